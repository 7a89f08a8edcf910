"""the recurring job finds the orders with a schedule by a partial index, not a scan of every
order ever billed"""

import sqlalchemy as sa
from alembic import op

revision = "d9b4f6a2c718"
down_revision = "c7a3e5b9d126"


def upgrade() -> None:
    op.create_index(
        "ix_billable_orders_recurring",
        "billable_orders",
        ["order_id"],
        unique=False,
        postgresql_where=sa.text("jsonb_typeof(snapshot -> 'recurring') = 'object'"),
    )


def downgrade() -> None:
    op.drop_index("ix_billable_orders_recurring", table_name="billable_orders")
