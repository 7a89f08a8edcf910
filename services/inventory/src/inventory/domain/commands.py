"""What people ask of the inventory over HTTP; events from other services arrive as events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from inventory.domain.catalogue import CatalogueDetails
from inventory.domain.model import AdjustmentKind, ItemKind
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
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class DispatchShipment:
    order_id: str
    lines: tuple[tuple[str, Decimal], ...]
    carriage: Carriage = field(default_factory=Carriage)
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmDelivery:
    """The carrier delivered the shipment, at `delivered_at` (None: now)."""

    shipment_id: str
    delivered_at: datetime | None = None
    correlation_id: str | None = None
    actor: str | None = None
