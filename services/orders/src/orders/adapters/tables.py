"""Tables of the orders service's own database (outbox, inbox and idempotency keys included)."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.columns import MONEY, PERCENT, QUANTITY, line_amount_columns, totals_columns
from servicekit.db import new_metadata
from servicekit.import_jobs import import_jobs_table
from servicekit.sequencing import add_event_sequences_table

metadata = new_metadata()
# Our events about an order (or quote) are numbered per subject (CloudEvents `sequence`).
event_sequences = add_event_sequences_table(metadata)


def _content_columns() -> list[Column[Any] | CheckConstraint]:
    """The columns orders and quotes share: their content and totals (rows.content_values)."""
    return [
        Column("currency", String(3), nullable=False),
        Column("contact", String(200)),
        Column("customer_reference", String(200)),
        Column("description", Text),
        Column("opening_text", Text),
        Column("closing_text", Text),
        Column("payment_terms_days", Integer),  # NULL: not agreed (the default terms apply)
        Column("payment_terms_text", String(200)),
        Column("billing_address", JSONB),
        Column("shipping_address", JSONB),
        Column("opportunity_id", String(200), ForeignKey("opportunities.id")),
        Column("opportunity_name", String(200)),
        Column("template_id", String(200)),
        Column("recurring_frequency", String(10)),
        Column("recurring_start", Date),
        Column("recurring_end", Date),
        *totals_columns(),
        CheckConstraint(
            "recurring_frequency IN ('monthly', 'quarterly', 'yearly')", name="recurring_frequency"
        ),
    ]


def _lines_table(name: str, owner: str, owner_table: str, *extra: Column[Any]) -> Table:
    """The lines of an order or a quote (rows.line_values), keyed by their number."""
    return Table(
        name,
        metadata,
        Column(owner, Uuid(as_uuid=False), ForeignKey(f"{owner_table}.id"), nullable=False),
        Column("line_no", Integer, nullable=False),
        Column("sku", String(64), nullable=False),
        Column("kind", String(10), nullable=False),
        Column("description", Text, nullable=False),
        *line_amount_columns(),
        # When the customer asked for the line and when it was promised (NULL: the order's).
        Column("requested_delivery_date", Date),
        Column("promised_delivery_date", Date),
        CheckConstraint("kind IN ('product', 'service')", name="kind"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        *extra,
        PrimaryKeyConstraint(owner, "line_no", name=f"pk_{name}"),
    )


def _documents_table(name: str, owner: str, owner_table: str, *kind: Column[Any]) -> Table:
    """The documents rendered for an order or a quote (children.add_documents); `kind` is the
    order's column telling a confirmation from an invoice."""
    return Table(
        name,
        metadata,
        Column(owner, Uuid(as_uuid=False), ForeignKey(f"{owner_table}.id"), nullable=False),
        Column("document_id", String(200), nullable=False),
        *kind,
        Column("reference", String(200), nullable=False),
        Column("download_path", String(500), nullable=False),
        Column("position", Integer, nullable=False),
        PrimaryKeyConstraint(owner, "document_id", name=f"pk_{name}"),
    )


def _ownership_columns(table: str) -> list[Column[Any] | Index]:
    """The owner (token subject) and team of a customer, quote or order (domain.ownership)."""
    return [
        Column("owner", String(200)),
        Column("team", String(200)),
        Index(f"ix_{table}_owner", "owner"),
        Index(f"ix_{table}_team", "team"),
    ]


def _year_counters(name: str) -> Table:
    """One row per year: locked and incremented in the transaction that inserts the numbered
    row, so a rolled-back insert gives its number back and the sequence has no gaps."""
    return Table(
        name,
        metadata,
        Column("year", Integer, primary_key=True, autoincrement=False),
        Column("last_value", Integer, nullable=False),
    )


# Groups of customers (wholesale, retail, ...): price lists are keyed on the code.
customer_groups = Table(
    "customer_groups",
    metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(200), nullable=False),
    Column("billing_address", JSONB),
    Column("shipping_address", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    *_ownership_columns("customers"),
    Column("group_code", String(50), ForeignKey("customer_groups.code")),
    Column("tax_id", String(50)),
    Column("archived_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Index("ix_customers_name_id", "name", "id"),
    Index("ix_customers_group_code", "group_code"),
    Index("ix_customers_tax_id", "tax_id"),
)
Index("ix_customers_lower_email", func.lower(customers.c.email))

# A customer's billing and shipping addresses; the default of each kind is also copied into
# customers.billing_address / shipping_address (what orders take when they name none).
customer_addresses = Table(
    "customer_addresses",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("customer_id", Uuid(as_uuid=False), ForeignKey("customers.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("label", String(200)),
    Column("address", JSONB, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("kind IN ('billing', 'shipping')", name="kind"),
    Index("ix_customer_addresses_customer_id", "customer_id", "created_at", "id"),
    Index(
        "uq_customer_addresses_default",
        "customer_id",
        "kind",
        unique=True,
        postgresql_where=text("is_default"),
    ),
)

# A customer's contact people (an order or quote picking one keeps a copy of its label).
customer_contacts = Table(
    "customer_contacts",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("customer_id", Uuid(as_uuid=False), ForeignKey("customers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(200)),
    Column("phone", String(50)),
    Column("position", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_customer_contacts_customer_id", "customer_id", "name", "id"),
)

# Files attached to an order, a quote or a customer (domain.attachments), content included.
attachments = Table(
    "attachments",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("subject", String(10), nullable=False),
    Column("subject_id", Uuid(as_uuid=False), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("subject IN ('order', 'quote', 'customer')", name="subject"),
    Index("ix_attachments_subject", "subject", "subject_id", "created_at"),
)

# CRM opportunities, known from the orders and quotes that name them (the CRM owns them).
opportunities = Table(
    "opportunities",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("customer_id", Uuid(as_uuid=False), ForeignKey("customers.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The administrator-defined stages of open orders (replaced as a whole).
stages = Table(
    "stages",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False, unique=True),
    Column("required_fields", JSONB, nullable=False),
    Column("allowed_roles", JSONB, nullable=False),
    Column("is_approval", Boolean, nullable=False),
)

# Order list queries saved by a user (the token subject), under a name unique per user.
saved_filters = Table(
    "saved_filters",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("name", String(100), nullable=False),
    Column("query", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("owner", "name", name="uq_saved_filters_owner_name"),
)

order_number_counters = _year_counters("order_number_counters")

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    # NULL only for a draft copy whose customer is yet to be chosen
    Column("customer_id", Uuid(as_uuid=False), ForeignKey("customers.id")),
    Column("status", String(20), nullable=False),
    Column("fulfilment", String(20), nullable=False),
    Column("billing", String(20), nullable=False),
    Column("order_date", Date, nullable=False),
    *_content_columns(),
    Column("external_reference", String(200), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("contract_number", String(200)),
    Column("stage", String(50)),
    Column("quote_id", Uuid(as_uuid=False), ForeignKey("quotes.id")),
    Column("approval", JSONB),
    Column("cancellation_reason", Text),
    Column("archived_at", DateTime(timezone=True)),
    # The last sequence applied per producing service (event source), e.g. {"/inventory": 4}:
    # an event numbered at or below it is stale and changes no state.
    Column("applied_sequences", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("invoice_states", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Inventory had nothing to reserve (it stocks none of the product lines): none is shipped.
    Column("nothing_to_ship", Boolean, nullable=False, server_default=text("false")),
    # The gross its invoices add up to, as billing last reported it (None: not invoiced).
    Column("invoiced_total", MONEY),
    # Closed short: the unshipped remainder is cancelled; completes once inventory released it.
    Column("closed_short_at", DateTime(timezone=True)),
    # Reserve and ship from this warehouse only (NULL: inventory's rule); may it be split.
    Column("warehouse", String(32)),
    Column("split_allowed", Boolean, nullable=False, server_default=text("false")),
    # When the customer asked for the goods and when they were promised (order level).
    Column("requested_delivery_date", Date),
    Column("promised_delivery_date", Date),
    *_ownership_columns("orders"),
    CheckConstraint("status IN ('draft', 'open', 'concluded', 'cancelled')", name="status"),
    CheckConstraint(
        "fulfilment IN ('unreserved', 'reserving', 'reserved', 'backordered', "
        "'partially_shipped', 'shipped')",
        name="fulfilment",
    ),
    CheckConstraint(
        "billing IN ('not_invoiced', 'partially_invoiced', 'invoiced', 'partially_paid', "
        "'overdue', 'paid', 'credited')",
        name="billing",
    ),
    Index("ix_orders_created_at_id", "created_at", "id"),
    Index("ix_orders_customer_id", "customer_id"),
    Index("ix_orders_order_date", "order_date"),
    Index("ix_orders_gross_total_id", "gross_total", "id"),
    Index("ix_orders_stage", "stage"),
    Index("ix_orders_opportunity_id", "opportunity_id"),
    Index("ix_orders_quote_id", "quote_id"),
    Index("ix_orders_promised_delivery_date", "promised_delivery_date"),
)

order_lines = _lines_table(
    "order_lines",
    "order_id",
    "orders",
    Column("shipped_quantity", QUANTITY, nullable=False),
    # The unshipped remainder an order closed short cancelled (domain.order.close_short).
    Column("cancelled_quantity", QUANTITY, nullable=False, server_default=text("0")),
    # Received back from the customer (inventory's return.received).
    Column("returned_quantity", QUANTITY, nullable=False, server_default=text("0")),
)

# Shipments already counted into the lines' shipped quantities: each counts once.
order_shipments = Table(
    "order_shipments",
    metadata,
    Column("order_id", Uuid(as_uuid=False), ForeignKey("orders.id"), nullable=False),
    Column("shipment_id", String(200), nullable=False),
    PrimaryKeyConstraint("order_id", "shipment_id", name="pk_order_shipments"),
)

order_documents = _documents_table(
    "order_documents", "order_id", "orders", Column("kind", String(50), nullable=False)
)

# Every event about an order (or a quote), its own and the other services': the timeline. Also
# facts only this service records (types not starting with `suite.`, e.g. a quote accepted).
order_timeline = Table(
    "order_timeline",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("order_id", Uuid(as_uuid=False), ForeignKey("orders.id")),
    Column("quote_id", Uuid(as_uuid=False), ForeignKey("quotes.id")),
    Column("customer_id", Uuid(as_uuid=False), ForeignKey("customers.id")),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("source", String(500), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("summary", String(500), nullable=False),
    Column("actor", String(200)),  # who caused it (token subject); other systems: see source
    Column("data", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sequence", BigInteger),  # the event's CloudEvents `sequence`, if it has one
    # Received after a newer event of its producer: recorded, not applied.
    Column("stale", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint(
        "num_nonnulls(order_id, quote_id, customer_id) = 1", name="one_subject_of_three"
    ),
    Index("ix_order_timeline_order_id_occurred_at", "order_id", "occurred_at", "id"),
    Index("ix_order_timeline_quote_id_occurred_at", "quote_id", "occurred_at", "id"),
    Index("ix_order_timeline_customer_id_occurred_at", "customer_id", "occurred_at", "id"),
)

quote_number_counters = _year_counters("quote_number_counters")

quotes = Table(
    "quotes",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("customer_id", Uuid(as_uuid=False), ForeignKey("customers.id"), nullable=False),
    Column("status", String(20), nullable=False),  # as stored: `expired` is computed
    Column("quote_date", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    *_content_columns(),
    Column("sent_at", DateTime(timezone=True)),
    Column("decided_at", DateTime(timezone=True)),
    Column("rejection_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    *_ownership_columns("quotes"),
    CheckConstraint("status IN ('draft', 'sent', 'accepted', 'rejected')", name="status"),
    Index("ix_quotes_created_at_id", "created_at", "id"),
    Index("ix_quotes_customer_id", "customer_id"),
    Index("ix_quotes_opportunity_id", "opportunity_id"),
)

quote_lines = _lines_table("quote_lines", "quote_id", "quotes")

quote_documents = _documents_table("quote_documents", "quote_id", "quotes")

# Webhooks (orders.adapters.webhooks): the subscriptions, and their delivery outbox and log.
webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSONB, nullable=False),  # a list of CloudEvents types
    Column("secret", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("description", String(500)),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("disabled_reason", String(500)),
    Column("created_by", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_webhook_subscriptions_created_at_id", "created_at", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column(
        "subscription_id",
        Uuid(as_uuid=False),
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("order_id", String(200)),  # the event's subject: an order's (or a quote's) id
    Column("payload", Text, nullable=False),  # the body, byte for byte the same every attempt
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_status_code", Integer),
    Column("last_error", String(1000)),
    Column("response_ms", Integer),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_event"),
    CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="delivery_status"),
    Index("ix_webhook_deliveries_subscription", "subscription_id", "created_at", "id"),
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_webhook_deliveries_created_at", "created_at"),
)

# What other systems call our records (orders.adapters.imports): a CSV import of a row whose
# reference is known already creates nothing. `kind`: customer, ...
external_references = Table(
    "external_references",
    metadata,
    Column("kind", String(20), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("entity_id", Uuid(as_uuid=False), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("kind", "reference"),
    Index("ix_external_references_entity", "kind", "entity_id"),
)

# CSV imports run in the background (orders.adapters.imports): the file, its progress, its report.
import_jobs = import_jobs_table(metadata)

# --- the catalogue view, kept from inventory's events (product.changed, stock.level_changed) ---

catalogue_items = Table(
    "catalogue_items",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("description", Text),
    Column("list_prices", JSONB, nullable=False),  # {currency: amount as a decimal string}
    Column("unit_of_measure", String(32), nullable=False),
    Column("tax_category", String(32), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("barcode", String(14)),
    Column("sequence", BigInteger),  # of the product event applied last (per SKU)
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_catalogue_items_barcode", "barcode"),
)

catalogue_stock = Table(
    "catalogue_stock",
    metadata,
    Column("sku", String(64), nullable=False),
    Column("warehouse", String(32), nullable=False),
    Column("on_hand", QUANTITY, nullable=False),
    Column("reserved", QUANTITY, nullable=False),
    Column("available", QUANTITY, nullable=False),
    Column("sequence", BigInteger),  # of the stock-level event applied last (per SKU)
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("sku", "warehouse", name="pk_catalogue_stock"),
)

# The warehouses as inventory announces them (warehouse.changed); MAIN is there from the start
# (the migration adds it), so orders naming it are taken before the first event.
catalogue_warehouses = Table(
    "catalogue_warehouses",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("sequence", BigInteger),  # of the warehouse event applied last (per code)
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# --- price lists (per customer or customer group, one currency, validity, quantity breaks) ---

price_lists = Table(
    "price_lists",
    metadata,
    Column("id", Uuid(as_uuid=False), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("customer_id", Uuid(as_uuid=False), ForeignKey("customers.id")),
    Column("customer_group", String(50)),  # the group's code
    Column("valid_from", Date),  # NULL: always (until valid_to)
    Column("valid_to", Date),  # NULL: open-ended
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("(customer_id IS NULL) <> (customer_group IS NULL)", name="one_target"),
    Index("ix_price_lists_customer", "customer_id", "currency"),
    Index("ix_price_lists_group", "customer_group", "currency"),
    Index("ix_price_lists_created_at_id", "created_at", "id"),
)

price_list_entries = Table(
    "price_list_entries",
    metadata,
    Column(
        "price_list_id",
        Uuid(as_uuid=False),
        ForeignKey("price_lists.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("sku", String(64), nullable=False),
    Column("min_quantity", QUANTITY, nullable=False),
    Column("unit_price", MONEY),
    Column("discount_percent", PERCENT),
    PrimaryKeyConstraint("price_list_id", "sku", "min_quantity", name="pk_price_list_entries"),
    CheckConstraint("(unit_price IS NULL) <> (discount_percent IS NULL)", name="one_price"),
)

# The sales read model (adapters/sales_model.py): fed by the events about orders, invoices and
# credit notes (the same events the topics keep), so it can be rebuilt from the topics. No
# foreign keys: it stands on the events alone.
sales_intake = Table(
    "sales_intake",
    metadata,
    Column("order_id", Uuid(as_uuid=False), primary_key=True),
    Column("number", String(32), nullable=False),
    Column("customer_id", Uuid(as_uuid=False), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("confirmed_on", Date, nullable=False),
    Column("net", MONEY, nullable=False),
    Column("gross", MONEY, nullable=False),
    Column("cancelled", Boolean, nullable=False, server_default=text("false")),
    Column("sequence", BigInteger),  # the last order event applied (only forwards)
    Index("ix_sales_intake_confirmed_on", "confirmed_on"),
)

# One row per invoice (+) and per credit note (−): revenue net of credit notes.
sales_revenue = Table(
    "sales_revenue",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("document_id", String(200), nullable=False),
    Column("number", String(64), nullable=False),
    Column("order_id", Uuid(as_uuid=False), nullable=False),
    Column("customer_id", Uuid(as_uuid=False), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("net", MONEY, nullable=False),  # negative for a credit note
    Column("gross", MONEY, nullable=False),
    PrimaryKeyConstraint("kind", "document_id", name="pk_sales_revenue"),
    CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
    Index("ix_sales_revenue_issued_on", "issued_on"),
    Index("ix_sales_revenue_order_id", "order_id"),
)

# What changed an invoice's open amount after it was issued, one row per fact: a payment
# allocated to it (−), its reversal (+), a credit note (− what it took off the invoice).
sales_settlements = Table(
    "sales_settlements",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("key", String(200), nullable=False),  # the allocation (or payment), credit note
    Column("invoice_id", String(200), nullable=False),
    Column("order_id", Uuid(as_uuid=False), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", MONEY, nullable=False),  # added to the invoice's open amount
    PrimaryKeyConstraint("kind", "invoice_id", "key", name="pk_sales_settlements"),
    CheckConstraint("kind IN ('payment', 'reversal', 'credit_note')", name="kind"),
    Index("ix_sales_settlements_invoice_id", "invoice_id"),
)

# When each order first reached its milestones (the order cycle time): the earliest event of each.
sales_milestones = Table(
    "sales_milestones",
    metadata,
    Column("order_id", Uuid(as_uuid=False), primary_key=True),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("shipped_at", DateTime(timezone=True)),
    Column("invoiced_at", DateTime(timezone=True)),
    Column("paid_at", DateTime(timezone=True)),
    # the latest `stock.reservation_failed` (backorder ageing counts from it)
    Column("reservation_failed_at", DateTime(timezone=True)),
)

# The lines of each confirmed order as last confirmed or revised (per product figures, fill rate).
sales_lines = Table(
    "sales_lines",
    metadata,
    Column("order_id", Uuid(as_uuid=False), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    Column("net", MONEY, nullable=False),
    Column("gross", MONEY, nullable=False),
    PrimaryKeyConstraint("order_id", "line_no", name="pk_sales_lines"),
    Index("ix_sales_lines_sku", "sku"),
)

# The sales gauges' all-time totals per currency and measure (`intake_net`, `revenue_net`,
# `credited_net`), as of their last refresh; triggers on `sales_intake` and `sales_revenue`
# append every change of a total to `sales_total_changes`, and the refresh folds them in (ADR 49).
sales_totals = Table(
    "sales_totals",
    metadata,
    Column("currency", String(3), nullable=False),
    Column("measure", String(16), nullable=False),
    Column("amount", MONEY, nullable=False),
    PrimaryKeyConstraint("currency", "measure", name="pk_sales_totals"),
)
sales_total_changes = Table(
    "sales_total_changes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("measure", String(16), nullable=False),
    Column("amount", MONEY, nullable=False),
)

# Per sent quote: what `quote.sent` said of it and when it was accepted, rejected and first
# converted into an order (`quote.accepted`, `quote.rejected`, `quote.converted`).
sales_quotes = Table(
    "sales_quotes",
    metadata,
    Column("quote_id", Uuid(as_uuid=False), primary_key=True),
    Column("number", String(32)),
    Column("customer_id", Uuid(as_uuid=False)),
    Column("currency", String(3)),
    Column("quote_date", Date),
    Column("valid_until", Date),
    Column("sent_at", DateTime(timezone=True)),
    Column("accepted_at", DateTime(timezone=True)),
    Column("rejected_at", DateTime(timezone=True)),
    Column("converted_at", DateTime(timezone=True)),
)

# What each shipment took of each SKU of its order (`shipment.dispatched`).
sales_shipped = Table(
    "sales_shipped",
    metadata,
    Column("shipment_id", String(200), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("order_id", Uuid(as_uuid=False), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    PrimaryKeyConstraint("shipment_id", "sku", name="pk_sales_shipped"),
    Index("ix_sales_shipped_order_id", "order_id"),
)
