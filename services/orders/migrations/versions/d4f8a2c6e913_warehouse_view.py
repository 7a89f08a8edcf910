"""the warehouses as inventory announces them (warehouse.changed), MAIN from the start"""

import sqlalchemy as sa
from alembic import op

revision = "d4f8a2c6e913"
down_revision = "d4a8c2e6f135"


def upgrade() -> None:
    table = op.create_table(
        "catalogue_warehouses",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.BigInteger()),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalogue_warehouses")),
    )
    # inventory's default warehouse exists before any event announces it: orders may name it
    # at once (its first warehouse.changed, numbered, replaces this row).
    op.bulk_insert(
        table,
        [
            {
                "code": "MAIN",
                "name": "Main warehouse",
                "priority": 100,
                "is_default": True,
                "active": True,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("catalogue_warehouses")
