"""payments as their own aggregate: customer payments, their allocations, refunds of credit

Every payment recorded so far settled one invoice: it becomes a customer payment of the same id,
wholly allocated to that invoice.
"""

import sqlalchemy as sa
from alembic import op

revision = "a1f0c2b7d914"
down_revision = "f6b5c1d7e806"

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade() -> None:
    op.create_table(
        "customer_payments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("refunded_total", MONEY, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversal_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_customer_payments_positive_amount")),
        sa.CheckConstraint(
            "refunded_total >= 0 AND refunded_total <= amount",
            name=op.f("ck_customer_payments_refund_within"),
        ),
        sa.CheckConstraint(
            "status IN ('received', 'reversed')", name=op.f("ck_customer_payments_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_payments")),
    )
    op.create_index(
        "ix_customer_payments_customer_currency", "customer_payments", ["customer_id", "currency"]
    )
    op.create_index("ix_customer_payments_created_at_id", "customer_payments", ["created_at", "id"])
    op.create_index("ix_customer_payments_received_at", "customer_payments", ["received_at"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_positive_amount")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    op.create_index("ix_refunds_customer_id", "refunds", ["customer_id"])
    op.create_index("ix_refunds_created_at_id", "refunds", ["created_at", "id"])
    op.create_index("ix_refunds_paid_at", "refunds", ["paid_at"])
    op.create_table(
        "refund_parts",
        sa.Column("refund_id", sa.String(length=36), nullable=False),
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refund_parts_positive_amount")),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_refund_parts_refund_id_refunds")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["customer_payments.id"],
            name=op.f("fk_refund_parts_payment_id_customer_payments"),
        ),
        sa.PrimaryKeyConstraint("refund_id", "payment_id", name=op.f("pk_refund_parts")),
    )
    op.add_column("payments", sa.Column("payment_id", sa.String(length=36), nullable=True))
    op.add_column("payments", sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True))
    # The payments recorded on one invoice so far: each its own customer payment, allocated whole.
    op.execute(
        """
        INSERT INTO customer_payments (id, customer_id, currency, amount, refunded_total,
            received_at, method, reference, status, created_at, updated_at)
        SELECT p.id, i.customer_id, i.currency, p.amount, 0, p.received_at, p.method,
            p.reference, 'received', p.created_at, p.created_at
        FROM payments p JOIN invoices i ON i.id = p.invoice_id
        """
    )
    op.execute("UPDATE payments SET payment_id = id")
    op.alter_column("payments", "payment_id", nullable=False)
    op.create_index("ix_payments_payment_id", "payments", ["payment_id"])
    op.create_foreign_key(
        op.f("fk_payments_payment_id_customer_payments"),
        "payments",
        "customer_payments",
        ["payment_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_payments_payment_id_customer_payments"), "payments")
    op.drop_index("ix_payments_payment_id", table_name="payments")
    op.drop_column("payments", "reversed_at")
    op.drop_column("payments", "payment_id")
    op.drop_table("refund_parts")
    op.drop_table("refunds")
    op.drop_table("customer_payments")
