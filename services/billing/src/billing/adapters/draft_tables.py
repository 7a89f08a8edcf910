"""Tables of draft invoices: what accounting is preparing to invoice from an order, priced as it
would be invoiced when the draft was last saved. A draft has no number; issuing it makes the
invoice of the same id (`invoices`), discarding it keeps the row, marked."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)

from billing.adapters.tables import metadata
from servicekit.columns import line_amount_columns

invoice_drafts = Table(
    "invoice_drafts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(200), nullable=False, index=True),
    Column("order_number", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("customer_email", String(200)),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text),  # why it was discarded
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('draft', 'issued', 'discarded')", name="status"),
)

invoice_draft_lines = Table(
    "invoice_draft_lines",
    metadata,
    Column("draft_id", String(36), ForeignKey("invoice_drafts.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("description", Text, nullable=False),
    *line_amount_columns(),
    PrimaryKeyConstraint("draft_id", "line_no"),
)
