"""Tables of the credit notes: their own gapless yearly series, lines and tax breakdown.

An invoice keeps what its credit notes add up to (`invoices.credited_total`) and the part of
it that took off what it owed (`invoices.credit_applied`); what a note credited beyond that is
a customer payment (`payment_tables.customer_payments`) named in `credit_payment_id`.
"""

from sqlalchemy import (
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
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from billing.adapters.tables import metadata
from servicekit.columns import (
    MONEY,
    line_amount_columns,
    tax_breakdown_columns,
    totals_columns,
)
from servicekit.numbering import yearly_counter_table

credit_note_number_counters = yearly_counter_table(
    "credit_note_number_counters", metadata, value_column="last_number"
)

credit_notes = Table(
    "credit_notes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("invoice_id", String(36), ForeignKey("invoices.id"), nullable=False, index=True),
    Column("order_id", String(200), nullable=False, index=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("reason", Text, nullable=False),
    *totals_columns(),
    Column("applied_amount", MONEY, nullable=False),
    Column("customer_credit", MONEY, nullable=False),
    Column("credit_payment_id", String(36), ForeignKey("customer_payments.id")),
    Column("return_id", String(200)),
    Column("return_number", String(200)),
    Column("billing_address", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One credit note per return and invoice, whatever replays the return.
    UniqueConstraint("return_id", "invoice_id"),
    Index("ix_credit_notes_created_at_id", "created_at", "id"),
)

credit_note_lines = Table(
    "credit_note_lines",
    metadata,
    Column("credit_note_id", String(36), ForeignKey("credit_notes.id")),
    Column("line_no", Integer, nullable=False),
    Column("invoice_line_no", Integer),  # None: a credit of an amount
    Column("sku", String(64), nullable=False),
    Column("description", Text, nullable=False),
    *line_amount_columns(),
    PrimaryKeyConstraint("credit_note_id", "line_no"),
)

credit_note_taxes = Table(
    "credit_note_taxes",
    metadata,
    Column("credit_note_id", String(36), ForeignKey("credit_notes.id")),
    *tax_breakdown_columns(),
    PrimaryKeyConstraint("credit_note_id", "rate"),
)
