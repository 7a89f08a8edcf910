"""What people ask of the inventory over HTTP; events from other services arrive as events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from inventory.domain.catalogue import CatalogueDetails
from inventory.domain.model import MAIN_WAREHOUSE, AdjustmentKind, ItemKind
from inventory.domain.records import Carriage


@dataclass(frozen=True, kw_only=True)
class UpsertProduct:
    """Create or replace a catalogue entry; `actor` and `correlation_id` go into its event."""

    sku: str
    name: str
    kind: ItemKind
    description: str | None = None
    details: CatalogueDetails = field(default_factory=CatalogueDetails)
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class AdjustStock:
    """Receive, write off or count stock; `actor` and `correlation_id` go into the event."""

    sku: str
    kind: AdjustmentKind
    quantity: Decimal
    reason: str
    warehouse: str = MAIN_WAREHOUSE
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class DispatchShipment:
    order_id: str
    lines: tuple[tuple[str, Decimal], ...]
    carriage: Carriage = field(default_factory=Carriage)
    warehouse: str | None = None  # None: where the lines are reserved (one warehouse)
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmDelivery:
    """The carrier delivered the shipment, at `delivered_at` (None: now)."""

    shipment_id: str
    delivered_at: datetime | None = None
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateWarehouse:
    code: str
    name: str
    priority: int = 100
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class WarehouseAction:
    """Change one warehouse (rename, deactivate, reactivate, make it the default): who asked,
    in which flow."""

    code: str
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class TransferStock:
    """Send stock from one warehouse to another (it is in transit until received)."""

    from_warehouse: str
    to_warehouse: str
    lines: tuple[tuple[str, Decimal], ...]
    note: str | None = None
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReceiveTransfer:
    transfer_id: str
    correlation_id: str | None = None
    actor: str | None = None
