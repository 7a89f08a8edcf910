"""shipments: carrier, tracking number, shipping date and delivery time"""

import sqlalchemy as sa
from alembic import op

revision = "e6f2b8d4c510"
down_revision = "d5e1a7c3b409"


def upgrade() -> None:
    op.add_column("shipments", sa.Column("carrier", sa.String(200)))
    op.add_column("shipments", sa.Column("tracking_number", sa.String(200)))
    op.add_column("shipments", sa.Column("shipping_date", sa.Date()))
    op.add_column("shipments", sa.Column("delivered_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    for column in ("delivered_at", "shipping_date", "tracking_number", "carrier"):
        op.drop_column("shipments", column)
