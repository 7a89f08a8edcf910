"""an order can be partially invoiced, and remembers the gross its invoices add up to"""

import sqlalchemy as sa
from alembic import op

revision = "e9b1c7d3f5a2"
down_revision = "d3a9e5b7c102"

BEFORE = "billing IN ('not_invoiced', 'invoiced', 'partially_paid', 'overdue', 'paid', 'credited')"
AFTER = (
    "billing IN ('not_invoiced', 'partially_invoiced', 'invoiced', 'partially_paid', 'overdue', "
    "'paid', 'credited')"
)


def upgrade() -> None:
    op.drop_constraint(op.f("ck_orders_billing"), "orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_billing"), "orders", AFTER)
    op.add_column("orders", sa.Column("invoiced_total", sa.Numeric(precision=20, scale=4)))


def downgrade() -> None:
    op.drop_column("orders", "invoiced_total")
    op.execute("UPDATE orders SET billing = 'invoiced' WHERE billing = 'partially_invoiced'")
    op.drop_constraint(op.f("ck_orders_billing"), "orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_billing"), "orders", BEFORE)
