"""an order may name the warehouse it is reserved and shipped from, and allow splitting"""

import sqlalchemy as sa
from alembic import op

revision = "a8e3c6f2d905"
down_revision = "b8d3f6a2c915"


def upgrade() -> None:
    op.add_column("orders", sa.Column("warehouse", sa.String(32)))
    op.add_column(
        "orders",
        sa.Column("split_allowed", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )


def downgrade() -> None:
    op.drop_column("orders", "split_allowed")
    op.drop_column("orders", "warehouse")
