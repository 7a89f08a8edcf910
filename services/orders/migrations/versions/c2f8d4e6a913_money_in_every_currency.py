"""money columns hold every ISO 4217 minor unit: numeric(18, 2) -> numeric(20, 4)"""

from servicekit.migrations import (
    LINE_MONEY_COLUMNS,
    TOTALS_MONEY_COLUMNS,
    narrow_money_columns,
    widen_money_columns,
)

revision = "c2f8d4e6a913"
down_revision = "8c3d5e7f9a21"

COLUMNS = {
    "orders": TOTALS_MONEY_COLUMNS,
    "order_lines": LINE_MONEY_COLUMNS,
    "quotes": TOTALS_MONEY_COLUMNS,
    "quote_lines": LINE_MONEY_COLUMNS,
}


def upgrade() -> None:
    widen_money_columns(COLUMNS)


def downgrade() -> None:
    narrow_money_columns(COLUMNS)
