"""reorder points: the suggested purchase list"""

import sqlalchemy as sa
from alembic import op

revision = "f7a3c9e5d611"
down_revision = "e6f2b8d4c510"

QUANTITY = sa.Numeric(precision=18, scale=3)


def upgrade() -> None:
    op.create_table(
        "reorder_points",
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), primary_key=True),
        sa.Column("reorder_point", QUANTITY, nullable=False),
        sa.Column("reorder_quantity", QUANTITY, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "reorder_point >= 0", name=op.f("ck_reorder_points_point_not_negative")
        ),
        sa.CheckConstraint(
            "reorder_quantity > 0", name=op.f("ck_reorder_points_quantity_positive")
        ),
    )


def downgrade() -> None:
    op.drop_table("reorder_points")
