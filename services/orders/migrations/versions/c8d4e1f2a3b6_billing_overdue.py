"""an order's billing state can be overdue (its invoice was not paid by its due date)"""

from alembic import op

revision = "c8d4e1f2a3b6"
down_revision = "c2f8d4e6a913"

BEFORE = "billing IN ('not_invoiced', 'invoiced', 'partially_paid', 'paid', 'credited')"
AFTER = "billing IN ('not_invoiced', 'invoiced', 'partially_paid', 'overdue', 'paid', 'credited')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_orders_billing"), "orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_billing"), "orders", AFTER)


def downgrade() -> None:
    op.execute("UPDATE orders SET billing = 'invoiced' WHERE billing = 'overdue'")
    op.drop_constraint(op.f("ck_orders_billing"), "orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_billing"), "orders", BEFORE)
