"""Tables of purchasing (vendors, the products they supply, purchase orders and receipts) and of
customers' returns."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
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

from inventory.adapters.tables import QUANTITY, metadata
from inventory.adapters.tables import _timestamps as timestamps
from servicekit.numbering import yearly_counter_table

# Purchase prices are unit costs: four decimals, the amounts computed from them are rounded to
# the currency's minor unit (libs/pricing).
UNIT_PRICE = Numeric(18, 4)


vendors = Table(
    "vendors",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_terms_days", Integer, nullable=False),
    Column("email", String(200)),
    Column("phone", String(50)),
    Column("contact_name", String(200)),
    Column("address", JSONB),
    *timestamps(),
    CheckConstraint("payment_terms_days BETWEEN 0 AND 365", name="payment_terms_days"),
    Index("ix_vendors_name", "name", "id"),
)

vendor_products = Table(
    "vendor_products",
    metadata,
    Column("vendor_id", String(36), ForeignKey("vendors.id"), nullable=False),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("vendor_sku", String(64)),
    Column("purchase_price", UNIT_PRICE, nullable=False),
    Column("lead_time_days", Integer, nullable=False),
    PrimaryKeyConstraint("vendor_id", "sku", name="pk_vendor_products"),
    CheckConstraint("purchase_price >= 0", name="purchase_price_not_negative"),
    CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("vendor_id", String(36), ForeignKey("vendors.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("warehouse", String(32), ForeignKey("warehouses.code"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("expected_date", Date),
    Column("notes", String(4000)),
    Column("sent_at", DateTime(timezone=True)),
    *timestamps(),
    CheckConstraint(
        "status IN ('draft', 'sent', 'partially_received', 'received', 'cancelled')",
        name="status",
    ),
    Index("ix_purchase_orders_vendor", "vendor_id", "created_at"),
    Index("ix_purchase_orders_created", "created_at", "id"),
)

purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    Column("purchase_order_id", String(36), ForeignKey("purchase_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    Column("unit_price", UNIT_PRICE, nullable=False),
    Column("expected_date", Date),
    Column("allow_over_receipt", Boolean, nullable=False, server_default=text("false")),
    Column("received", QUANTITY, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("purchase_order_id", "line_no", name="pk_purchase_order_lines"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("received >= 0", name="received_not_negative"),
    CheckConstraint("allow_over_receipt OR received <= quantity", name="received_within_quantity"),
    Index("ix_purchase_order_lines_sku", "sku"),
)

purchase_receipts = Table(
    "purchase_receipts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("purchase_order_id", String(36), ForeignKey("purchase_orders.id"), nullable=False),
    Column("warehouse", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_purchase_receipts_order", "purchase_order_id", "created_at"),
)

purchase_receipt_lines = Table(
    "purchase_receipt_lines",
    metadata,
    Column("receipt_id", String(36), ForeignKey("purchase_receipts.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    PrimaryKeyConstraint("receipt_id", "sku", name="pk_purchase_receipt_lines"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

purchase_order_number_counters = yearly_counter_table("purchase_order_number_counters", metadata)

# --- returns (RMA) ------------------------------------------------------------------------------

returns = Table(
    "returns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("order_id", String(200), ForeignKey("order_demands.order_id"), nullable=False),
    Column("reason", String(4000), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", String(4000)),
    Column("received_at", DateTime(timezone=True)),
    *timestamps(),
    CheckConstraint("status IN ('authorised', 'received', 'cancelled')", name="status"),
    Index("ix_returns_order", "order_id", "created_at"),
    Index("ix_returns_created", "created_at", "id"),
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("return_id", String(36), ForeignKey("returns.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", QUANTITY, nullable=False),
    Column("disposition", String(16)),  # set when the return is received
    PrimaryKeyConstraint("return_id", "sku", name="pk_return_lines"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("disposition IN ('restock', 'scrap')", name="disposition"),
)

return_number_counters = yearly_counter_table("return_number_counters", metadata)

# --- reorder points -----------------------------------------------------------------------------

reorder_points = Table(
    "reorder_points",
    metadata,
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("reorder_point", QUANTITY, nullable=False),
    Column("reorder_quantity", QUANTITY, nullable=False),
    *timestamps(),
    CheckConstraint("reorder_point >= 0", name="point_not_negative"),
    CheckConstraint("reorder_quantity > 0", name="quantity_positive"),
)

# A SKU's own reorder point in one warehouse; reorder_points (per product) is the fallback of the
# warehouses without one.
warehouse_reorder_points = Table(
    "warehouse_reorder_points",
    metadata,
    Column("warehouse", String(32), ForeignKey("warehouses.code"), nullable=False),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("reorder_point", QUANTITY, nullable=False),
    Column("reorder_quantity", QUANTITY, nullable=False),
    *timestamps(),
    PrimaryKeyConstraint("warehouse", "sku", name="pk_warehouse_reorder_points"),
    CheckConstraint("reorder_point >= 0", name="point_not_negative"),
    CheckConstraint("reorder_quantity > 0", name="quantity_positive"),
)
