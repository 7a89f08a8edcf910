"""Builders of the event payloads the documents service consumes (contracts models), small
letterhead images, the in-memory fakes of the ports (for unit tests and the repository
contract), and the running service of the integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from contracts import CloudEvent, EventType
from contracts.common import (
    Address,
    CustomerRef,
    ItemKind,
    OrderLine,
    OrderSnapshot,
    PaymentTerms,
    TaxLine,
    Totals,
)
from contracts.events import (
    CreditNoteIssued,
    CreditNoteLine,
    DocumentGenerated,
    InvoiceIssued,
    InvoiceLine,
    InvoiceStatus,
)
from documents.adapters.tables import documents as documents_table
from documents.bootstrap import build_spec
from documents.config import DocumentsSettings
from documents.domain.emails import Email, EmailStatus, OutgoingEmail
from documents.domain.model import Document, DocumentKind, PrintableDocument
from documents.domain.notifications import NotificationPreferences
from documents.domain.templates import Template
from documents.entrypoints.cli import MIGRATIONS_DIR
from documents.service_layer.ports import (
    FoundFile,
    Mailer,
    Renderer,
    StoredObjectMissing,
    SweptStorage,
)
from documents.service_layer.unit_of_work import Position, UnitOfWork
from servicekit import dlq
from servicekit.consumer import parse_event
from servicekit.runtime import Runtime
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    service_with_input,
    settings_for_test,
)

# The tests' helper modules (`smtp_testing`) import by name under --import-mode=importlib.
sys.path.insert(0, str(Path(__file__).parent))

CENT = Decimal("0.01")
MARKUP = "<b>bold?</b> & <font color=red>"
SPANISH = "Señora Núñez, camión, pingüino"
COMPANY_RU = "ООО Ромашка"
CONTACT_RU = "Иван Петров"

Row = TypeVar("Row", Document, Template, Email)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line_values(index: int) -> dict[str, Any]:
    quantity = Decimal(index % 7 + 1) + Decimal("0.5") * (index % 2)
    unit_price = Decimal("19.99") + Decimal(index)
    discount = Decimal("10") if index % 5 == 0 else Decimal("0")
    tax_rate = Decimal("19") if index % 3 else Decimal("7")
    net = _money(quantity * unit_price * (100 - discount) / 100)
    tax = _money(net * tax_rate / 100)
    description = f"Artículo {index}: camión de juguete / игрушечный грузовик"
    if index == 3:
        description = MARKUP
    return {
        "line_no": index,
        "sku": f"SKU-{index:04d}",
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "discount_percent": discount,
        "tax_rate": tax_rate,
        "net_amount": net,
        "tax_amount": tax,
        "gross_amount": net + tax,
    }


def _totals(lines: list[dict[str, Any]]) -> Totals:
    rates = sorted({line["tax_rate"] for line in lines})
    taxes = [
        TaxLine(
            rate=rate,
            base=sum((x["net_amount"] for x in lines if x["tax_rate"] == rate), Decimal(0)),
            amount=sum((x["tax_amount"] for x in lines if x["tax_rate"] == rate), Decimal(0)),
        )
        for rate in rates
    ]
    net = sum((x["net_amount"] for x in lines), Decimal(0))
    tax = sum((x["tax_amount"] for x in lines), Decimal(0))
    return Totals(net=net, tax=tax, gross=net + tax, taxes=taxes)


def _addresses() -> tuple[Address, Address]:
    billing = Address(
        name=COMPANY_RU,
        line1="ул. Тверская, д. 7",
        postal_code="125009",
        city="Москва",
        country="RU",
    )
    shipping = Address(
        name="Señora Núñez",
        line1="Calle de Alcalá 42",
        postal_code="28014",
        city="Madrid",
        region="Comunidad de Madrid",
        country="ES",
    )
    return billing, shipping


def build_order(order_id: str, number: str, *, line_count: int = 60) -> OrderSnapshot:
    lines = [_line_values(i) for i in range(1, line_count + 1)]
    billing, shipping = _addresses()
    return OrderSnapshot(
        order_id=order_id,
        number=number,
        customer=CustomerRef(id="cust-1", name=COMPANY_RU, email="zakaz@romashka.example"),
        contact=CONTACT_RU,
        order_date=date(2026, 3, 2),
        currency="EUR",
        customer_reference="PO-Ñ-77",
        opening_text=f"Estimada {SPANISH}.\nGracias por su pedido.",
        closing_text="С уважением / Atentamente",
        payment_terms=PaymentTerms(days=14, text="14 días netos / 14 дней нетто"),
        billing_address=billing,
        shipping_address=shipping,
        lines=[OrderLine(kind=ItemKind.PRODUCT, **line) for line in lines],
        totals=_totals(lines),
    )


def build_invoice(
    order_id: str, number: str, order_number: str, *, line_count: int = 60
) -> InvoiceIssued:
    lines = [_line_values(i) for i in range(1, line_count + 1)]
    billing, shipping = _addresses()
    issue = date(2026, 3, 20)
    return InvoiceIssued(
        invoice_id=f"inv-{number}",
        number=number,
        order_id=order_id,
        order_number=order_number,
        customer=CustomerRef(id="cust-1", name=COMPANY_RU, email="buh@romashka.example"),
        billing_address=billing,
        shipping_address=shipping,
        issue_date=issue,
        due_date=issue + timedelta(days=30),
        currency="EUR",
        payment_terms=PaymentTerms(days=30),
        customer_reference="PO-Ñ-77",
        opening_text=f"{SPANISH}: le facturamos lo siguiente.",
        lines=[InvoiceLine(**line) for line in lines],
        totals=_totals(lines),
    )


@pytest.fixture
def order_builder() -> Callable[..., OrderSnapshot]:
    return build_order


@pytest.fixture
def invoice_builder() -> Callable[..., InvoiceIssued]:
    return build_invoice


def build_credit_note(
    invoice: InvoiceIssued, number: str, *, line_count: int = 2, credit: str = "0.00"
) -> CreditNoteIssued:
    """A credit note of the invoice's first `line_count` lines; `credit` of it was kept as the
    customer's credit, the rest taken off what the invoice owed."""
    lines = invoice.lines[:line_count]
    totals = _totals([line.model_dump() for line in lines])
    kept = Decimal(credit)
    return CreditNoteIssued(
        credit_note_id=f"cn-{number}",
        number=number,
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.number,
        order_id=invoice.order_id,
        order_number=invoice.order_number,
        customer=invoice.customer,
        billing_address=invoice.billing_address,
        issue_date=invoice.issue_date + timedelta(days=5),
        currency=invoice.currency,
        reason="Goods returned damaged / товар повреждён",
        lines=[CreditNoteLine(**line.model_dump(), invoice_line_no=line.line_no) for line in lines],
        totals=totals,
        applied_amount=totals.gross - kept,
        customer_credit=kept,
        invoice_status=InvoiceStatus.ISSUED,
        invoice_credited_total=totals.gross,
        invoice_balance=invoice.totals.gross - totals.gross,
    )


@pytest.fixture
def credit_note_builder() -> Callable[..., CreditNoteIssued]:
    return build_credit_note


def image_bytes(kind: str, size: tuple[int, int] = (600, 120)) -> bytes:
    """A small banner: blue, with an orange block (PNG or JPEG)."""
    image = Image.new("RGB", size, "#1F4E79")
    ImageDraw.Draw(image).rectangle([10, 10, size[0] // 3, size[1] - 10], fill="#F2A900")
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def png() -> bytes:
    return image_bytes("PNG")


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    return image_bytes("JPEG")


# --- in-memory fakes of the ports ---------------------------------------------------------------
# They implement the service layer's Protocols (`_fakes_are_ports` lets mypy check it), and
# integration/test_repository_contract.py runs the same cases on them and on PostgreSQL.


def _now() -> datetime:
    return datetime.now(UTC)


def _paged(rows: Iterable[Row], after: Position | None, limit: int) -> list[Row]:
    """Like the SQL keyset page: by (created_at, id), after the position, at most `limit`."""
    ordered = sorted(rows, key=lambda row: (row.created_at or _now(), row.id))
    if after is not None:
        ordered = [row for row in ordered if (row.created_at or _now(), row.id) > after]
    return [replace(row) for row in ordered[:limit]]


def _update(rows: dict[uuid.UUID, Row], item: Row, changing: tuple[str, ...]) -> None:
    """Like the SQL update: only the `changing` fields of the stored row take `item`'s values,
    and both are stamped now."""
    item.updated_at = _now()
    changed = {name: getattr(item, name) for name in changing}
    rows[item.id] = replace(rows[item.id], **changed, updated_at=item.updated_at)


# What the SQL updates change (the adapters' `_rendition` and `_email_state`).
RENDITION = (
    "filename",
    "content_type",
    "size",
    "sha256",
    "storage_key",
    "source_event_id",
    "template_id",
    "language",
)
DELIVERY_STATE = (
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "last_error",
    "sent_at",
)


class FakeDocuments:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Document] = {}

    async def get(self, document_id: uuid.UUID) -> Document | None:
        row = self.rows.get(document_id)
        return replace(row) if row else None

    async def get_by_reference(
        self, kind: DocumentKind, reference: str, *, for_update: bool = False
    ) -> Document | None:
        for row in self.rows.values():
            if row.kind is kind and row.reference == reference:
                return replace(row)
        return None

    async def add(self, document: Document) -> None:
        assert document.id not in self.rows
        assert await self.get_by_reference(document.kind, document.reference) is None
        document.created_at = document.updated_at = _now()
        self.rows[document.id] = replace(document)

    async def update(self, document: Document) -> None:
        """Like the SQL update: the rendition's fields change, the owner and number do not."""
        _update(self.rows, document, RENDITION)

    async def template_of_order(self, order_id: str) -> str | None:
        for row in self.rows.values():
            if row.order_id == order_id and row.kind is DocumentKind.ORDER_CONFIRMATION:
                return row.template_id
        return None

    async def list(
        self,
        *,
        order_id: str | None,
        kind: DocumentKind | None,
        after: Position | None,
        limit: int,
        quote_id: str | None = None,
        purchase_order_id: str | None = None,
    ) -> list[Document]:
        rows = [
            row
            for row in self.rows.values()
            if (order_id is None or row.order_id == order_id)
            and (quote_id is None or row.quote_id == quote_id)
            and (purchase_order_id is None or row.purchase_order_id == purchase_order_id)
            and (kind is None or row.kind is kind)
        ]
        return _paged(rows, after, limit)


class FakeTemplates:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Template] = {}

    async def get(self, template_id: uuid.UUID, *, for_update: bool = False) -> Template | None:
        row = self.rows.get(template_id)
        return replace(row) if row else None

    async def get_by_name(self, name: str) -> Template | None:
        return next((replace(t) for t in self.rows.values() if t.name == name), None)

    async def get_default(self) -> Template | None:
        return next((replace(t) for t in self.rows.values() if t.is_default), None)

    async def add(self, template: Template) -> None:
        assert template.id not in self.rows
        assert await self.get_by_name(template.name) is None, "template names are unique"
        template.created_at = template.updated_at = _now()
        self._store(template)

    async def update(self, template: Template) -> None:
        assert template.id in self.rows
        template.updated_at = _now()
        self._store(template)

    def _store(self, template: Template) -> None:
        self.rows[template.id] = replace(template)
        assert sum(t.is_default for t in self.rows.values()) <= 1, "two default templates"

    async def delete(self, template_id: uuid.UUID) -> None:
        self.rows.pop(template_id, None)

    async def clear_default(self) -> None:
        for key, template in self.rows.items():
            if template.is_default:
                self.rows[key] = replace(template, is_default=False, updated_at=_now())

    async def list(self, *, after: Position | None, limit: int) -> list[Template]:
        return _paged(self.rows.values(), after, limit)


class FakeEmails:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Email] = {}

    async def get(self, email_id: uuid.UUID, *, for_update: bool = False) -> Email | None:
        row = self.rows.get(email_id)
        return replace(row) if row else None

    async def add(self, email: Email) -> None:
        assert email.id not in self.rows
        email.created_at = email.updated_at = _now()
        self.rows[email.id] = replace(email, to=list(email.to), cc=list(email.cc))

    async def update(self, email: Email) -> None:
        """Like the SQL update: only the delivery state changes."""
        _update(self.rows, email, DELIVERY_STATE)

    async def claim_next_due(self, now: datetime) -> Email | None:
        due = [
            e
            for e in self.rows.values()
            if e.status is EmailStatus.QUEUED
            and e.next_attempt_at is not None
            and e.next_attempt_at <= now
        ]
        due.sort(key=lambda e: (e.next_attempt_at or now, e.id))
        return replace(due[0]) if due else None

    async def next_due_at(self) -> datetime | None:
        queued = [e.next_attempt_at for e in self.rows.values() if e.status is EmailStatus.QUEUED]
        return min((at for at in queued if at), default=None)

    async def list(
        self, *, document_id: uuid.UUID | None, after: Position | None, limit: int
    ) -> list[Email]:
        rows = [
            row
            for row in self.rows.values()
            if document_id is None or row.document_id == document_id
        ]
        return _paged(rows, after, limit)


class FakeNotificationPreferences:
    def __init__(self) -> None:
        self.rows: dict[str, NotificationPreferences] = {}

    async def get(self, user: str) -> NotificationPreferences:
        return self.rows.get(user, NotificationPreferences(user))

    async def save(self, preferences: NotificationPreferences) -> None:
        self.rows[preferences.user] = preferences


class FakeOrderSnapshots:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[OrderSnapshot, int | None]] = {}

    async def get(self, order_id: str) -> OrderSnapshot | None:
        kept = self.rows.get(order_id)
        return kept[0] if kept else None

    async def keep(self, snapshot: OrderSnapshot, sequence: int | None) -> bool:
        kept = self.rows.get(snapshot.order_id)
        previous = kept[1] if kept is not None else None
        if previous is not None and sequence is not None and sequence <= previous:
            return False  # forwards only, as the SQL repository
        self.rows[snapshot.order_id] = (snapshot, sequence)
        return True


@dataclass
class FakeUnitOfWork:
    documents: FakeDocuments = field(default_factory=FakeDocuments)
    templates: FakeTemplates = field(default_factory=FakeTemplates)
    emails: FakeEmails = field(default_factory=FakeEmails)
    notification_preferences: FakeNotificationPreferences = field(
        default_factory=FakeNotificationPreferences
    )
    order_snapshots: FakeOrderSnapshots = field(default_factory=FakeOrderSnapshots)
    events: list[CloudEvent[Any]] = field(default_factory=list)

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        self.events.append(event)

    async def add_new_and_record(
        self, document: Document, event: CloudEvent[Any], *, key: str | None = None
    ) -> bool:
        rows = self.documents.rows
        taken = {(row.kind, row.reference) for row in rows.values()}
        if document.id in rows or (document.kind, document.reference) in taken:
            return False  # as the SQL statement's ON CONFLICT DO NOTHING, with no read of ours
        document.created_at = document.updated_at = _now()
        rows[document.id] = replace(document)
        await self.record(event, key=key)
        return True


class FakeStorage:
    """Keeps what it is given by key; notes each write; fails the writes of `failing` keys.

    Each write is stamped with the clock's time (`clock`, else now) and a new version; keys that
    begin with a dot stand for the leftovers of unfinished writes."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.written: list[str] = []
        self.failing: set[str] = set()
        self.modified: dict[str, datetime] = {}
        self.versions: dict[str, int] = {}
        self.clock: Callable[[], datetime] = _now

    async def put(self, key: str, content: bytes) -> None:
        self.written.append(key)
        if key in self.failing:
            raise OSError(f"cannot write {key}")
        self.objects[key] = content
        self.modified[key] = self.clock()
        self.versions[key] = self.versions.get(key, 0) + 1

    async def get(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise StoredObjectMissing(key) from None

    async def check(self) -> None:
        return None

    async def files_older_than(
        self, cutoff: datetime, *, batch: int
    ) -> AsyncIterator[list[FoundFile]]:
        found = [
            FoundFile(
                name=key,
                key=None if key.startswith(".") else key,
                size=len(content),
                modified_at=self.modified[key],
                version=str(self.versions[key]),
            )
            for key, content in sorted(self.objects.items())
            if self.modified[key] < cutoff
        ]
        for start in range(0, len(found), batch):
            yield found[start : start + batch]

    async def remove(self, found: FoundFile) -> bool:
        if str(self.versions.get(found.name)) != found.version or found.name not in self.objects:
            return False
        del self.objects[found.name]
        return True


class FakeMailer:
    """Fails the first `failures` messages (like a server that is down), then delivers."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[OutgoingEmail] = []
        self.tries = 0

    async def send(self, email: OutgoingEmail) -> None:
        self.tries += 1
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 2525)")
        self.sent.append(email)


class FakeRenderer:
    """Deterministic bytes from what the document prints; records the rendering thread."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    async def render(self, document: PrintableDocument) -> bytes:
        return await asyncio.to_thread(self._render, document)

    def _render(self, document: PrintableDocument) -> bytes:
        self.threads.append(threading.get_ident())
        return f"%PDF-fake {document!r}".encode()


def _fakes_are_ports(
    uow: FakeUnitOfWork, storage: FakeStorage, mailer: FakeMailer, renderer: FakeRenderer
) -> tuple[UnitOfWork, SweptStorage, Mailer, Renderer]:
    """Never called: mypy checks here that every fake implements its Protocol."""
    return uow, storage, mailer, renderer


@pytest.fixture
def fake_uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def new_fake_uow() -> type[FakeUnitOfWork]:
    """For a test that needs a second, separate unit of work."""
    return FakeUnitOfWork


@pytest.fixture
def fake_storage() -> FakeStorage:
    return FakeStorage()


@pytest.fixture
def fake_renderer() -> FakeRenderer:
    return FakeRenderer()


@pytest.fixture
def make_mailer() -> type[FakeMailer]:
    return FakeMailer


# --- the running service (integration tests) ---------------------------------------------------


@dataclass
class RunningService:
    """The documents service (API and worker) on a fresh database, and a producer to feed it."""

    runtime: Runtime
    client: httpx.AsyncClient
    kafka: KafkaSettings
    producer: AIOKafkaProducer
    storage_dir: Path

    async def publish(self, topic: str, event: CloudEvent[Any] | bytes, *, key: str) -> None:
        value = event if isinstance(event, bytes) else event.model_dump_json().encode()
        await self.producer.send_and_wait(self.kafka.topic(topic), value=value, key=key.encode())

    async def documents(self, **query: str) -> list[dict[str, Any]]:
        response = await self.client.get("/documents", params=query)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def documents_of(self, order_id: str) -> list[dict[str, Any]]:
        return await self.documents(order_id=order_id)

    async def content(self, document: dict[str, Any]) -> bytes:
        response = await self.client.get(document["download_path"])
        assert response.status_code == 200, response.text
        return response.content

    async def email(self, email_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/emails/{email_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def row(self, document_id: str) -> Any:
        """The document's row, read from the database directly."""
        async with self.runtime.sessionmaker() as session:
            query = select(documents_table).where(documents_table.c.id == uuid.UUID(document_id))
            return (await session.execute(query)).one()

    async def count_rows(self) -> int:
        async with self.runtime.sessionmaker() as session:
            query = select(func.count()).select_from(documents_table)
            return int((await session.execute(query)).scalar_one())

    async def events(self, event_type: EventType) -> list[tuple[bytes, CloudEvent[Any]]]:
        """The events of `event_type` on documents.events, with their keys."""
        records = await dlq.read_topic(self.kafka, self.kafka.topic("documents.events"))
        events = [(record.key, parse_event(record.value)) for record in records]
        return [(key, event) for key, event in events if event.type == event_type]

    async def generated_events(self) -> list[tuple[bytes, CloudEvent[Any]]]:
        """Every event on documents.events, read as `document.generated`."""
        records = await dlq.read_topic(self.kafka, self.kafka.topic("documents.events"))
        return [
            (record.key, CloudEvent[DocumentGenerated].model_validate_json(record.value))
            for record in records
        ]


@contextlib.asynccontextmanager
async def _running_service(
    databases: TemporaryDatabases, kafka: KafkaSettings, tmp_path: Path, **settings: Any
) -> AsyncIterator[RunningService]:
    storage_dir = tmp_path / "documents"
    spec = build_spec(
        await settings_for_test(
            DocumentsSettings,
            databases,
            kafka,
            "documents",
            storage_dir=str(storage_dir),
            consumer_max_attempts=2,
            **settings,
        )
    )
    async with service_with_input(spec, MIGRATIONS_DIR) as (runtime, client, producer):
        yield RunningService(runtime, client, kafka, producer, storage_dir)


@pytest.fixture
def start_service(
    databases: TemporaryDatabases, kafka: KafkaSettings, tmp_path: Path
) -> Callable[..., contextlib.AbstractAsyncContextManager[RunningService]]:
    """`async with start_service(**settings) as service:` (DocumentsSettings overrides)."""
    return functools.partial(_running_service, databases, kafka, tmp_path)
