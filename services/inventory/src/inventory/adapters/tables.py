"""Tables of the inventory service's own database (outbox, inbox and idempotency keys included)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.schema import SchemaItem

from servicekit.db import new_metadata
from servicekit.import_jobs import import_jobs_table
from servicekit.sequencing import add_event_sequences_table

metadata = new_metadata()
# Our events are numbered per subject (CloudEvents `sequence`): orders applies fulfilment only
# forwards along an order's numbers.
event_sequences = add_event_sequences_table(metadata)

QUANTITY = Numeric(18, 3)


def _timestamp(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


def _timestamps() -> list[Column[object]]:
    return [_timestamp("created_at"), _timestamp("updated_at")]


def _of_a_stock_level(table: str) -> list[SchemaItem]:
    """The warehouse and SKU of a row about one stock level, and their foreign key."""
    return [
        Column("warehouse", String(32), nullable=False),
        Column("sku", String(64), nullable=False),
        ForeignKeyConstraint(
            ["warehouse", "sku"],
            ["stock_levels.warehouse", "stock_levels.sku"],
            name=f"fk_{table}_stock_levels",
        ),
    ]


products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("description", String(4000)),
    *_timestamps(),
    # The commercial side: {currency: amount as a decimal string}, sold per unit_of_measure.
    Column("list_prices", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("unit_of_measure", String(32), nullable=False, server_default="unit"),
    Column("tax_category", String(32), nullable=False, server_default="standard"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("barcode", String(14)),  # a valid GTIN (EAN-8/UPC-A/EAN-13/GTIN-14)
    CheckConstraint("kind IN ('product', 'service')", name="kind"),
    Index("ix_products_kind_sku", "kind", "sku"),
    Index("ix_products_barcode", "barcode"),
)

warehouses = Table(
    "warehouses",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    _timestamp("created_at"),
    # The reservation rule (domain.warehouses.candidates): the default first, then by priority.
    Column("priority", Integer, nullable=False, server_default=text("100")),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Index("uq_warehouses_default", "is_default", unique=True, postgresql_where=text("is_default")),
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("warehouse", String(32), ForeignKey("warehouses.code"), nullable=False),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("on_hand", QUANTITY, nullable=False, server_default=text("0")),
    Column("reserved", QUANTITY, nullable=False, server_default=text("0")),
    _timestamp("updated_at"),
    # Since when available is below the product's reorder point (NULL: not below): stock.low
    # is announced when it drops below, once, until it is back at the point or above.
    Column("low_since", DateTime(timezone=True)),
    PrimaryKeyConstraint("warehouse", "sku", name="pk_stock_levels"),
    # The last line of defence against overselling: the database refuses it too.
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
)

stock_adjustments = Table(
    "stock_adjustments",
    metadata,
    Column("id", String(36), primary_key=True),
    *_of_a_stock_level("stock_adjustments"),
    Column("kind", String(32), nullable=False),
    Column("quantity", QUANTITY, nullable=False),  # as requested (the count, for a correction)
    Column("quantity_change", QUANTITY, nullable=False),
    Column("on_hand", QUANTITY, nullable=False),
    Column("reserved", QUANTITY, nullable=False),
    Column("reason", String(500), nullable=False),
    _timestamp("created_at"),
    Index("ix_stock_adjustments_sku", "sku", "created_at"),
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    *_of_a_stock_level("stock_movements"),
    Column("kind", String(32), nullable=False),
    Column("quantity_change", QUANTITY, nullable=False),  # of the balance the kind affects
    Column("on_hand_change", QUANTITY, nullable=False),
    Column("reserved_change", QUANTITY, nullable=False),
    Column("on_hand", QUANTITY, nullable=False),  # after the movement
    Column("reserved", QUANTITY, nullable=False),
    Column("reason", String(500)),
    Column("reference", String(200), nullable=False),  # adjustment, order or shipment id
    Column("order_id", String(200)),
    _timestamp("created_at"),
    Index("ix_stock_movements_sku_id", "sku", "id"),
)

# One row per confirmed order this service has acted on (or cancelled before that): it makes
# a second delivery of the same fact a no-op, and `seq` orders backorders first come first served.
order_demands = Table(
    "order_demands",
    metadata,
    Column("order_id", String(200), primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("number", String(200)),
    Column("status", String(16), nullable=False),
    Column("correlation_id", String(200)),
    Column("causation_id", String(200)),
    # The last revision of the order applied here (0: as confirmed): an older one is stale.
    Column("revision", Integer, nullable=False, server_default=text("0")),
    *_timestamps(),
    Column("warehouse", String(32)),  # the warehouse the order named (NULL: any, by the rule)
    CheckConstraint("status IN ('backordered', 'reserved', 'cancelled')", name="status"),
    Index(
        "ix_order_demands_backordered",
        "seq",
        postgresql_where=text("status = 'backordered'"),
    ),
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column("order_id", String(200), ForeignKey("order_demands.order_id"), nullable=False),
    Column("warehouse", String(32), nullable=False),
    Column("sku", String(64), nullable=False),  # may be unknown to the catalogue (backordered)
    Column("quantity", QUANTITY, nullable=False),
    Column("shipped_quantity", QUANTITY, nullable=False, server_default=text("0")),
    Column("released_quantity", QUANTITY, nullable=False, server_default=text("0")),
    Column("status", String(24), nullable=False),
    *_timestamps(),
    PrimaryKeyConstraint("order_id", "warehouse", "sku", name="pk_reservation_lines"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint(
        "shipped_quantity >= 0 AND released_quantity >= 0 "
        "AND shipped_quantity + released_quantity <= quantity",
        name="within_quantity",
    ),
    Index("ix_reservation_lines_sku_status", "sku", "status"),
)

# What a revision of a reserved order could not reserve yet, per SKU: reserved (and the row
# dropped) when stock arrives, oldest first by `seq`.
reservation_waits = Table(
    "reservation_waits",
    metadata,
    Column("order_id", String(200), ForeignKey("order_demands.order_id"), nullable=False),
    Column("warehouse", String(32), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    *_timestamps(),
    PrimaryKeyConstraint("order_id", "warehouse", "sku", name="pk_reservation_waits"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    Index("ix_reservation_waits_sku_seq", "sku", "seq"),
)

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(200), ForeignKey("order_demands.order_id"), nullable=False),
    Column("warehouse", String(32), nullable=False),
    Column("fully_shipped", Boolean, nullable=False),
    Column("carrier", String(200)),
    Column("tracking_number", String(200)),
    Column("shipping_date", Date),
    Column("delivered_at", DateTime(timezone=True)),
    _timestamp("created_at"),
    Index("ix_shipments_order_id", "order_id", "created_at", "id"),
    # GET /shipments without an order: the oldest first, a page at a time
    Index("ix_shipments_created_at_id", "created_at", "id"),
)

shipment_lines = Table(
    "shipment_lines",
    metadata,
    Column("shipment_id", String(36), ForeignKey("shipments.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    PrimaryKeyConstraint("shipment_id", "sku", name="pk_shipment_lines"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

# Stock sent from one warehouse to another: it left the source (a transfer_out ledger row) and
# is on hand at the destination once received (a transfer_in row).
transfers = Table(
    "transfers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("from_warehouse", String(32), ForeignKey("warehouses.code"), nullable=False),
    Column("to_warehouse", String(32), ForeignKey("warehouses.code"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", String(500)),
    _timestamp("created_at"),
    Column("received_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('in_transit', 'received')", name="status"),
    CheckConstraint("from_warehouse <> to_warehouse", name="two_warehouses"),
    Index("ix_transfers_created_at_id", "created_at", "id"),
)

transfer_lines = Table(
    "transfer_lines",
    metadata,
    Column("transfer_id", String(36), ForeignKey("transfers.id"), nullable=False),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    PrimaryKeyConstraint("transfer_id", "sku", name="pk_transfer_lines"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

# Products CSV imports run in the background: the file, its progress, its report.
import_jobs = import_jobs_table(metadata)
