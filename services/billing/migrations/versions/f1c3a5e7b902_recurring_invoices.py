"""recurring invoices: one per order and period; billing remembers each order's status"""

import sqlalchemy as sa
from alembic import op

revision = "f1c3a5e7b902"
down_revision = "d4a9e2f7c180"


def upgrade() -> None:
    op.add_column("billable_orders", sa.Column("status", sa.String(length=20), nullable=True))
    op.create_check_constraint(
        op.f("ck_billable_orders_status"),
        "billable_orders",
        "status IN ('draft', 'open', 'concluded', 'cancelled')",
    )
    op.create_table(
        "recurring_invoices",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_recurring_invoices_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("order_id", "period_start", name=op.f("pk_recurring_invoices")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_recurring_invoices_invoice_id")),
    )


def downgrade() -> None:
    op.drop_table("recurring_invoices")
    op.drop_constraint(op.f("ck_billable_orders_status"), "billable_orders", type_="check")
    op.drop_column("billable_orders", "status")
