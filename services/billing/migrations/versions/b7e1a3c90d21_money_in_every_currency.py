"""money columns hold every ISO 4217 minor unit: numeric(18, 2) -> numeric(20, 4)"""

from servicekit.migrations import (
    LINE_MONEY_COLUMNS,
    TOTALS_MONEY_COLUMNS,
    narrow_money_columns,
    widen_money_columns,
)

revision = "b7e1a3c90d21"
down_revision = "a1f0c2b7d914"

COLUMNS = {
    "invoices": (*TOTALS_MONEY_COLUMNS, "paid_total"),
    "invoice_lines": LINE_MONEY_COLUMNS,
    "invoice_taxes": ("base", "amount"),
    "payments": ("amount",),
    "customer_payments": ("amount", "refunded_total"),
    "refunds": ("amount",),
    "refund_parts": ("amount",),
}


def upgrade() -> None:
    widen_money_columns(COLUMNS)


def downgrade() -> None:
    narrow_money_columns(COLUMNS)
