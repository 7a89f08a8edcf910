"""Tables of what billing knows about orders: the latest snapshot of each one with its
invoicing policy, and the quantities its shipments took (from inventory's events)."""

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
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB

from billing.adapters.tables import metadata
from servicekit.columns import QUANTITY

billable_orders = Table(
    "billable_orders",
    metadata,
    Column("order_id", String(200), primary_key=True),
    # The order's latest snapshot (contracts' OrderSnapshot as JSON); None until an order event
    # arrived (a policy may be set, or a shipment reported, before).
    Column("snapshot", JSONB),
    # None: the service's default policy (BILLING_INVOICING_POLICY).
    Column("policy", String(20)),
    # The order's status as its events told it (draft, open, concluded, cancelled): recurring
    # invoices are issued for open and concluded orders, never for drafts or cancelled ones.
    Column("status", String(20)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("policy IN ('on_completion', 'on_delivery', 'manual')", name="policy"),
    CheckConstraint("status IN ('draft', 'open', 'concluded', 'cancelled')", name="status"),
)

# An order whose snapshot carries a recurring schedule. The recurring job looks at those alone,
# through a partial index on this very condition (written with literals, not parameters, so the
# planner can match every plan to the index), not through a scan of every order ever billed
# (ADR 50).
HAS_RECURRING_SCHEDULE = func.jsonb_typeof(
    billable_orders.c.snapshot.op("->")(literal_column("'recurring'"))
) == literal_column("'object'")
Index(
    "ix_billable_orders_recurring",
    billable_orders.c.order_id,
    postgresql_where=HAS_RECURRING_SCHEDULE,
)

# One invoice per recurring order and period, whatever the number of workers or runs.
recurring_invoices = Table(
    "recurring_invoices",
    metadata,
    Column("order_id", String(200), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("invoice_id", String(36), ForeignKey("invoices.id"), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("order_id", "period_start"),
)

order_shipments = Table(
    "order_shipments",
    metadata,
    Column("order_id", String(200), nullable=False),
    Column("shipment_id", String(200), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("order_id", "shipment_id", "sku"),
)

# The invoice lines that are not order lines: a down-payment invoice's lines (`down_payment`)
# and the negative lines deducting down payments on the order's later invoices (`deduction`).
# Invoiced quantities leave them out; what is left to deduct is their sum per tax rate.
down_payment_lines = Table(
    "down_payment_lines",
    metadata,
    Column("invoice_id", String(36), ForeignKey("invoices.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("order_id", String(200), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("invoice_id", "line_no"),
    CheckConstraint("kind IN ('down_payment', 'deduction')", name="kind"),
)

# The state of an order's recurring invoicing (no row: `active`). `ended` issues no period
# starting on or after `ends_on`, for good.
recurring_schedules = Table(
    "recurring_schedules",
    metadata,
    Column("order_id", String(200), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("ends_on", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('active', 'paused', 'ended')", name="status"),
)

# Each pause of an order's recurring invoicing: no period starting from `paused_on` until
# `resumed_on` (open while paused) is ever invoiced.
recurring_pauses = Table(
    "recurring_pauses",
    metadata,
    Column("order_id", String(200), nullable=False),
    Column("paused_on", Date, nullable=False),
    Column("resumed_on", Date),
    PrimaryKeyConstraint("order_id", "paused_on"),
)
