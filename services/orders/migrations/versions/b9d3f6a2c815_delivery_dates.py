"""delivery dates: requested and promised, per order and per order (or quote) line"""

import sqlalchemy as sa
from alembic import op

revision = "b9d3f6a2c815"
down_revision = "c4e7a1b9d318"

_TABLES = ("orders", "order_lines", "quote_lines")
_COLUMNS = ("requested_delivery_date", "promised_delivery_date")


def upgrade() -> None:
    for table in _TABLES:
        for column in _COLUMNS:
            op.add_column(table, sa.Column(column, sa.Date()))
    op.create_index("ix_orders_promised_delivery_date", "orders", ["promised_delivery_date"])


def downgrade() -> None:
    op.drop_index("ix_orders_promised_delivery_date", table_name="orders")
    for table in _TABLES:
        for column in reversed(_COLUMNS):
            op.drop_column(table, column)
