"""What the use cases need from storage: one repository Protocol per aggregate, and the
query values they take. The SQL adapters (adapters/) and the unit tests' fakes implement them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from orders.domain.addresses import CustomerAddress
from orders.domain.attachments import StoredFile, Subject
from orders.domain.catalogue import (
    Availability,
    CatalogueItem,
    KnownWarehouse,
    StockAvailability,
)
from orders.domain.contacts import Contact
from orders.domain.customer import Customer, CustomerGroup, Opportunity
from orders.domain.order import Billing, Fulfilment, Order, OrderStatus, OrderSummary
from orders.domain.ownership import EVERYONE, Viewer
from orders.domain.pipeline import Stage
from orders.domain.price_lists import PriceList
from orders.domain.quote import OrderRef, Quote, QuoteStatus


class OrderSort(StrEnum):
    CREATED_AT = "created_at"
    ORDER_DATE = "order_date"
    NUMBER = "number"
    GROSS = "gross"


class Direction(StrEnum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True)
class OrderFilters:
    status: OrderStatus | None = None
    fulfilment: Fulfilment | None = None
    billing: Billing | None = None
    customer_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    promised_before: date | None = None  # the order's promised delivery date is before it
    external_reference: str | None = None
    stage: str | None = None
    opportunity_id: str | None = None
    gross_min: Decimal | None = None
    gross_max: Decimal | None = None
    q: str | None = None  # part of the number, description or customer reference
    archived: bool = False  # False: active orders only; True: archived ones only
    sort: OrderSort = OrderSort.CREATED_AT
    direction: Direction = Direction.DESC
    owner: str | None = None  # `me` is resolved to the viewer before the query
    team: str | None = None
    viewer: Viewer = EVERYONE  # only what the viewer may see


# Where a page ended: the sort column's value of the last order, and its id (the tie-breaker).
Position = tuple[Any, str]


@dataclass(frozen=True)
class QuoteFilters:
    status: QuoteStatus | None = None  # `expired` and `sent` as of `today`
    customer_id: str | None = None
    opportunity_id: str | None = None
    q: str | None = None
    today: date | None = None
    owner: str | None = None
    team: str | None = None
    viewer: Viewer = EVERYONE


@dataclass(frozen=True)
class CustomerFilters:
    q: str | None = None  # part of the name or e-mail address
    owner: str | None = None
    team: str | None = None
    group: str | None = None
    archived: bool = False  # False: active customers only; True: archived ones only
    viewer: Viewer = EVERYONE


@dataclass(frozen=True)
class SavedFilter:
    id: str
    owner: str
    name: str
    query: dict[str, Any]
    created_at: datetime


class CustomerRepository(Protocol):
    async def add(self, customer: Customer) -> None: ...

    async def get(self, customer_id: str, *, for_update: bool = False) -> Customer | None: ...

    async def save(self, customer: Customer) -> None:
        """Store the customer's changeable fields (all but id and creation time)."""
        ...

    async def get_many(self, customer_ids: set[str]) -> dict[str, Customer]: ...

    async def find_by_email(self, email: str) -> Customer | None:
        """The oldest customer with this e-mail address, compared case-insensitively."""
        ...

    async def with_tax_id_or_email(
        self, tax_id: str | None, email: str | None, *, besides: str | None = None
    ) -> list[Customer]:
        """Customers (other than `besides`) with this tax id or e-mail (case-insensitive)."""
        ...

    async def has_orders(self, customer_id: str) -> bool:
        """Whether any order or quote names the customer."""
        ...

    async def delete(self, customer_id: str) -> None:
        """Delete the customer with its addresses and timeline (it has no orders)."""
        ...

    async def search(
        self, filters: CustomerFilters, *, limit: int, after: tuple[str, str] | None
    ) -> list[Customer]:
        """Customers by name then id, after the (name, id) position given."""
        ...


class CustomerGroupRepository(Protocol):
    async def add(self, group: CustomerGroup) -> bool:
        """Store it; False when a group has this code already."""
        ...

    async def get(self, code: str, *, for_update: bool = False) -> CustomerGroup | None: ...

    async def all(self) -> list[CustomerGroup]:
        """Every group by code."""
        ...

    async def save(self, group: CustomerGroup) -> None:
        """Store its name and description (the code never changes)."""
        ...

    async def in_use(self, code: str) -> bool:
        """Whether a customer (archived or not) is in the group."""
        ...

    async def delete(self, code: str) -> None: ...


class ContactRepository(Protocol):
    async def of_customer(self, customer_id: str) -> list[Contact]:
        """The customer's contacts by name."""
        ...

    async def get(self, contact_id: str) -> Contact | None: ...

    async def save(self, contact: Contact) -> None:
        """Insert or update it."""
        ...

    async def delete(self, contact_id: str) -> None: ...


class AttachmentRepository(Protocol):
    async def add(self, stored: StoredFile, content: bytes) -> None: ...

    async def of_subject(self, subject: Subject, subject_id: str) -> list[StoredFile]:
        """The files of the order, quote or customer, oldest first (without their content)."""
        ...

    async def get(self, file_id: str) -> tuple[StoredFile, bytes] | None: ...

    async def delete(self, file_id: str) -> None: ...


class AddressRepository(Protocol):
    async def of_customer(self, customer_id: str) -> list[CustomerAddress]:
        """Every address of the customer, oldest first."""
        ...

    async def get(self, address_id: str) -> CustomerAddress | None: ...

    async def save_all(
        self, customer_id: str, addresses: list[CustomerAddress], removed: set[str]
    ) -> None:
        """Store the customer's addresses as given, and delete the `removed` ones."""
        ...


class OrderRepository(Protocol):
    async def add(self, order: Order) -> None: ...

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """The order (None if unknown); `for_update` locks it until the transaction ends."""
        ...

    async def save(self, order: Order, *, lines: bool = False) -> None:
        """Store the order's header, documents and shipments (and its lines if `lines`)."""
        ...

    async def find_by_external_reference(self, reference: str) -> Order | None: ...

    async def absent_references(self, references: Collection[str]) -> set[str]:
        """Those of `references` no order has, asked together; `find_by_external_reference`
        of one of them then answers None without asking again, until an order is written
        with it."""
        ...

    async def search(
        self, filters: OrderFilters, *, limit: int, after: Position | None
    ) -> list[Order]:
        """Orders in the filters' sort order (id breaks ties), strictly after the position."""
        ...

    async def summaries(
        self, filters: OrderFilters, *, limit: int, after: Position | None
    ) -> list[OrderSummary]:
        """The orders `search` finds, each as `Order.summary()` would make it, without reading
        their lines or documents."""
        ...

    async def of_quote(self, quote_id: str) -> list[OrderRef]:
        """The orders converted from a quote, oldest first."""
        ...


class QuoteRepository(Protocol):
    async def add(self, quote: Quote) -> None: ...

    async def get(self, quote_id: str, *, for_update: bool = False) -> Quote | None: ...

    async def save(self, quote: Quote, *, lines: bool = False) -> None: ...

    async def search(
        self, filters: QuoteFilters, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[Quote]:
        """Newest first (created_at, id descending), strictly before the position given."""
        ...


class OpportunityRepository(Protocol):
    async def get(self, opportunity_id: str) -> Opportunity | None: ...

    async def upsert(self, opportunity: Opportunity) -> None:
        """Insert, or update its name and (when given) its customer."""
        ...


class StageRepository(Protocol):
    async def all(self) -> list[Stage]:
        """Every stage by position."""
        ...

    async def replace(self, stages: list[Stage]) -> None: ...


class SavedFilterRepository(Protocol):
    async def add(self, saved: SavedFilter) -> bool:
        """Store it; False when the owner already has a filter of that name."""
        ...

    async def get(self, filter_id: str, owner: str) -> SavedFilter | None: ...

    async def of_owner(
        self, owner: str, *, limit: int, after: tuple[str, str] | None
    ) -> list[SavedFilter]:
        """The owner's filters by name then id, after the (name, id) position given."""
        ...

    async def delete(self, filter_id: str, owner: str) -> bool: ...


class CatalogueRepository(Protocol):
    """The catalogue view: items by SKU, and what each warehouse holds of them."""

    async def get(self, sku: str, *, for_update: bool = False) -> CatalogueItem | None: ...

    async def items(self, skus: Collection[str]) -> dict[str, CatalogueItem]: ...

    async def read_ahead_items(self, skus: Collection[str]) -> None:
        """Read the items of `skus` together, for orders about to be created one after the
        other: `items` of them is then answered from what was read until the catalogue is
        written (a store may do nothing here)."""
        ...

    async def put(self, item: CatalogueItem) -> None:
        """Create or replace the item."""
        ...

    async def warehouse(self, code: str, *, for_update: bool = False) -> KnownWarehouse | None:
        """The warehouse as inventory last announced it (MAIN is known from the start)."""
        ...

    async def put_warehouse(self, warehouse: KnownWarehouse) -> None:
        """Create or replace the warehouse."""
        ...

    async def put_level_if_newer(self, level: StockAvailability) -> bool:
        """Store the level unless the one stored is newer (`domain.catalogue.is_newer` of their
        sequences); whether it was stored."""
        ...

    async def availability(self, skus: Collection[str]) -> dict[str, Availability]:
        """Per SKU, its levels in warehouse order (an SKU without levels is left out)."""
        ...

    async def search(
        self, *, text: str | None, active: bool | None, limit: int, after_sku: str | None
    ) -> tuple[list[CatalogueItem], bool]:
        """In SKU order after `after_sku`; `text` in the SKU or name, or the barcode."""
        ...


class PriceListRepository(Protocol):
    """Price lists with their breaks."""

    async def add(self, price_list: PriceList) -> None: ...

    async def replace(self, price_list: PriceList) -> None: ...

    async def delete(self, price_list_id: str) -> None: ...

    async def get(self, price_list_id: str, *, for_update: bool = False) -> PriceList | None: ...

    async def lock_target(self, target: tuple[str, str], currency: str) -> None:
        """Serialise changes to the lists of one customer (or group) and currency until the
        transaction ends, so two overlapping lists cannot be stored at once."""
        ...

    async def of_target(self, target: tuple[str, str], currency: str) -> list[PriceList]:
        """Every list of the customer (("customer", id)) or group (("group", code))."""
        ...

    async def valid_for(
        self, *, customer_id: str, customer_group: str | None, currency: str, day: date
    ) -> list[PriceList]:
        """The lists of the customer and of its group in `currency` valid on `day`."""
        ...

    async def page(
        self,
        *,
        customer_id: str | None,
        customer_group: str | None,
        currency: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> tuple[list[PriceList], bool]:
        """Newest first (creation time, then id)."""
        ...
