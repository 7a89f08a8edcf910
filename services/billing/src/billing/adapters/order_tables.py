"""Tables of what billing knows about orders: the latest snapshot of each one with its
invoicing policy, and the quantities its shipments took (from inventory's events)."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
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
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("policy IN ('on_completion', 'on_delivery', 'manual')", name="policy"),
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
