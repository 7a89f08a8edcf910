"""orders remember that inventory had nothing to reserve, so they complete without a shipment"""

import sqlalchemy as sa
from alembic import op

revision = "4e239712a1de"
down_revision = "e5a4b0c6d705"


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("nothing_to_ship", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("orders", "nothing_to_ship")
