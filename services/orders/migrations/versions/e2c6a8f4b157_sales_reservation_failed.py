"""the sales read model keeps when an order's reservation last failed (backorder ageing)"""

import sqlalchemy as sa
from alembic import op

revision = "e2c6a8f4b157"
down_revision = "d4f8a2c6e913"


def upgrade() -> None:
    op.add_column(
        "sales_milestones", sa.Column("reservation_failed_at", sa.DateTime(timezone=True))
    )


def downgrade() -> None:
    op.drop_column("sales_milestones", "reservation_failed_at")
