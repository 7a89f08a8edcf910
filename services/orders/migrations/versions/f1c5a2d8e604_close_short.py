"""an open order with shipments can be closed short: the cancelled remainder per line"""

import sqlalchemy as sa
from alembic import op

revision = "f1c5a2d8e604"
down_revision = "c4e7a1b9d503"


def upgrade() -> None:
    op.add_column("orders", sa.Column("closed_short_at", sa.DateTime(timezone=True)))
    op.add_column(
        "order_lines",
        sa.Column(
            "cancelled_quantity",
            sa.Numeric(precision=15, scale=3),
            nullable=False,
            server_default=sa.text("0"),
        ),
    )


def downgrade() -> None:
    op.drop_column("order_lines", "cancelled_quantity")
    op.drop_column("orders", "closed_short_at")
