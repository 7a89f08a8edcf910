"""Tables of the payment aggregate (customer payments, refunds of customer credit) and of the
collection of overdue invoices.

A payment's allocations to invoices are rows of `tables.payments` (what each invoice lists as
its payments), linked by `payment_id`.
"""

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)

from billing.adapters.tables import metadata
from servicekit.columns import MONEY

customer_payments = Table(
    "customer_payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("refunded_total", MONEY, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("method", String(20), nullable=False),
    Column("reference", String(200)),
    Column("status", String(20), nullable=False),
    Column("reversed_at", DateTime(timezone=True)),
    Column("reversal_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount > 0", name="positive_amount"),
    CheckConstraint("refunded_total >= 0 AND refunded_total <= amount", name="refund_within"),
    CheckConstraint("status IN ('received', 'reversed')", name="status"),
    Index("ix_customer_payments_customer_currency", "customer_id", "currency"),
    Index("ix_customer_payments_created_at_id", "created_at", "id"),
    Index("ix_customer_payments_received_at", "received_at"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=False),
    Column("method", String(20), nullable=False),
    Column("reference", String(200)),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount > 0", name="positive_amount"),
    Index("ix_refunds_customer_id", "customer_id"),
    Index("ix_refunds_created_at_id", "created_at", "id"),
    Index("ix_refunds_paid_at", "paid_at"),
)

# Which payments' credit a refund paid out, and how much of each.
refund_parts = Table(
    "refund_parts",
    metadata,
    Column("refund_id", String(36), ForeignKey("refunds.id"), nullable=False),
    Column("payment_id", String(36), ForeignKey("customer_payments.id"), nullable=False),
    Column("amount", MONEY, nullable=False),
    CheckConstraint("amount > 0", name="positive_amount"),
    PrimaryKeyConstraint("refund_id", "payment_id"),
)

# The daily collection run: one row per day, claimed by the first worker (the primary key makes
# a second worker's claim wait for the first's commit, then find the day taken).
collection_runs = Table(
    "collection_runs",
    metadata,
    Column("day", Date, primary_key=True),
    Column("overdue", Integer, nullable=False),
    Column("reminders", Integer, nullable=False),
    Column("ran_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The collection steps an invoice reached: 0 overdue, then each dunning level, once each.
collection_steps = Table(
    "collection_steps",
    metadata,
    Column("invoice_id", String(36), ForeignKey("invoices.id"), nullable=False),
    Column("step", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("reached_on", Date, nullable=False),
    Column("days_past_due", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("invoice_id", "step"),
)
