"""Tables of the orders service's own database (outbox, inbox and idempotency keys included)."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.db import new_metadata

metadata = new_metadata()

MONEY = Numeric(18, 2)
QUANTITY = Numeric(15, 3)
PERCENT = Numeric(7, 4)

customers = Table(
    "customers",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(200), nullable=False),
    Column("billing_address", JSONB),
    Column("shipping_address", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_customers_name_id", "name", "id"),
)
Index("ix_customers_lower_email", func.lower(customers.c.email))

# One row per year: locked and incremented in the transaction that inserts the order, so a
# rolled-back order gives its number back and the sequence has no gaps.
order_number_counters = Table(
    "order_number_counters",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_value", Integer, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("customer_id", Uuid(as_uuid=False), ForeignKey("customers.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("fulfilment", String(20), nullable=False),
    Column("billing", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("order_date", Date, nullable=False),
    Column("contact", String(200)),
    Column("customer_reference", String(200)),
    Column("description", Text),
    Column("opening_text", Text),
    Column("closing_text", Text),
    Column("payment_terms_days", Integer, nullable=False),
    Column("payment_terms_text", String(200)),
    Column("billing_address", JSONB),
    Column("shipping_address", JSONB),
    Column("net_total", MONEY, nullable=False),
    Column("tax_total", MONEY, nullable=False),
    Column("gross_total", MONEY, nullable=False),
    Column("external_reference", String(200), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('draft', 'open', 'concluded', 'cancelled')", name="status"),
    CheckConstraint(
        "fulfilment IN ('unreserved', 'reserving', 'reserved', 'backordered', "
        "'partially_shipped', 'shipped')",
        name="fulfilment",
    ),
    CheckConstraint(
        "billing IN ('not_invoiced', 'invoiced', 'partially_paid', 'paid', 'credited')",
        name="billing",
    ),
    Index("ix_orders_created_at_id", "created_at", "id"),
    Index("ix_orders_customer_id", "customer_id"),
    Index("ix_orders_order_date", "order_date"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Uuid(as_uuid=False), ForeignKey("orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("description", Text, nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    Column("unit_price", MONEY, nullable=False),
    Column("discount_percent", PERCENT, nullable=False),
    Column("tax_rate", PERCENT, nullable=False),
    Column("net_amount", MONEY, nullable=False),
    Column("tax_amount", MONEY, nullable=False),
    Column("gross_amount", MONEY, nullable=False),
    Column("shipped_quantity", QUANTITY, nullable=False),
    PrimaryKeyConstraint("order_id", "line_no", name="pk_order_lines"),
    CheckConstraint("kind IN ('product', 'service')", name="kind"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

# Shipments already counted into the lines' shipped quantities: each counts once.
order_shipments = Table(
    "order_shipments",
    metadata,
    Column("order_id", Uuid(as_uuid=False), ForeignKey("orders.id"), nullable=False),
    Column("shipment_id", String(200), nullable=False),
    PrimaryKeyConstraint("order_id", "shipment_id", name="pk_order_shipments"),
)

order_documents = Table(
    "order_documents",
    metadata,
    Column("order_id", Uuid(as_uuid=False), ForeignKey("orders.id"), nullable=False),
    Column("document_id", String(200), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("download_path", String(500), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("order_id", "document_id", name="pk_order_documents"),
)

# Every event about an order, its own and the other services': the order's timeline.
order_timeline = Table(
    "order_timeline",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("order_id", Uuid(as_uuid=False), ForeignKey("orders.id"), nullable=False),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("source", String(500), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("summary", String(500), nullable=False),
    Column("actor", String(200)),  # who caused it (token subject); other systems: see source
    Column("data", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_order_timeline_order_id_occurred_at", "order_id", "occurred_at", "id"),
)
