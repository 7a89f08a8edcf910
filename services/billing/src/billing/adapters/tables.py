"""Tables of the billing service's own database (outbox, inbox and idempotency keys included)."""

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
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.columns import (
    MONEY,
    line_amount_columns,
    tax_breakdown_columns,
    totals_columns,
)
from servicekit.db import new_metadata
from servicekit.numbering import yearly_counter_table
from servicekit.sequencing import add_event_sequences_table

metadata = new_metadata()
# Our events about an order are numbered per order (CloudEvents `sequence`): orders applies
# billing states only forwards along them.
event_sequences = add_event_sequences_table(metadata)


# The gapless yearly counter behind invoice numbers (one row per year).
invoice_number_counters = yearly_counter_table(
    "invoice_number_counters", metadata, value_column="last_number"
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("order_id", String(200), nullable=False, index=True),  # per policy, one or more
    Column("order_number", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("customer_email", String(200)),
    Column("billing_address", JSONB),
    Column("shipping_address", JSONB),
    Column("currency", String(3), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("payment_terms_days", Integer, nullable=False),
    Column("payment_terms_text", String(200)),
    Column("customer_reference", String(200)),
    Column("opening_text", Text),
    Column("closing_text", Text),
    *totals_columns(),
    Column("paid_total", MONEY, nullable=False),
    # What its credit notes add up to, and the part that took off what it owed (credit notes).
    Column("credited_total", MONEY, nullable=False, server_default="0"),
    Column("credit_applied", MONEY, nullable=False, server_default="0"),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('issued', 'partially_paid', 'paid', 'credited')", name="status"),
    # The last line of defence against an overpayment, whatever the code above does.
    CheckConstraint("paid_total >= 0 AND paid_total <= gross_total", name="paid_within_gross"),
    # ... and against crediting more than the invoice, or than it owed.
    CheckConstraint(
        "credited_total <= gross_total AND credit_applied >= 0 AND credit_applied <= "
        "credited_total AND paid_total + credit_applied <= gross_total",
        name="credited_within_gross",
    ),
    Index("ix_invoices_customer_id", "customer_id"),
    Index("ix_invoices_status", "status"),
    Index("ix_invoices_created_at_id", "created_at", "id"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("invoice_id", String(36), ForeignKey("invoices.id")),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("description", Text, nullable=False),
    *line_amount_columns(),
    PrimaryKeyConstraint("invoice_id", "line_no"),
)

invoice_taxes = Table(
    "invoice_taxes",
    metadata,
    Column("invoice_id", String(36), ForeignKey("invoices.id")),
    *tax_breakdown_columns(),
    PrimaryKeyConstraint("invoice_id", "rate"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "invoice_id",
        String(36),
        ForeignKey("invoices.id"),
        nullable=False,
        index=True,
    ),
    Column("amount", MONEY, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("method", String(20), nullable=False),
    Column("reference", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Each row is an allocation of a customer payment (payment_tables.customer_payments) to
    # the invoice; a reversed payment's allocations keep their row, marked reversed.
    Column(
        "payment_id", String(36), ForeignKey("customer_payments.id"), nullable=False, index=True
    ),
    Column("reversed_at", DateTime(timezone=True)),
    CheckConstraint("amount > 0", name="positive_amount"),
    CheckConstraint("method IN ('bank_transfer', 'card', 'cash', 'other')", name="method"),
)
