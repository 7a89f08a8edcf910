"""Orders on PostgreSQL: header, lines, documents and shipments."""

from __future__ import annotations

import functools
import operator
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Insert,
    Select,
    String,
    Table,
    Update,
    bindparam,
    column,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import TextualSelect

from orders.adapters.children import replace_lines
from orders.adapters.customers import keep_read_along, read_along
from orders.adapters.ownership import ownership_conditions
from orders.adapters.rows import (
    StoredTotals,
    approval_from_json,
    approval_to_json,
    canonical_id,
    content_from_row,
    content_values,
    line_from_row,
    line_values,
    stored_totals,
    text_match,
)
from orders.adapters.tables import (
    customers,
    order_documents,
    order_lines,
    order_shipments,
    orders,
)
from orders.domain.order import Billing, Document, Fulfilment, Order, OrderStatus, OrderSummary
from orders.domain.quote import OrderRef
from orders.service_layer.ports import Direction, OrderFilters, OrderSort, Position
from pricing import in_currency
from servicekit.db import as_arrays, unnested, with_parts
from servicekit.unit_of_work import SqlRepository, transaction_memo

SORT_COLUMNS = {
    OrderSort.CREATED_AT: orders.c.created_at,
    OrderSort.ORDER_DATE: orders.c.order_date,
    OrderSort.NUMBER: orders.c.number,
    OrderSort.GROSS: orders.c.gross_total,
}


def _header_values(order: Order, totals: StoredTotals | None = None) -> dict[str, Any]:
    """The header's columns; `totals` (net, tax, gross) when they are known to be the lines'
    (`_PricedAs`), else the order's worked out."""
    return {
        "number": order.number,
        "customer_id": order.customer_id,
        "status": order.status.value,
        "fulfilment": order.fulfilment.value,
        "billing": order.billing.value,
        "order_date": order.order_date,
        **content_values(order, totals),
        "external_reference": order.external_reference,
        "contract_number": order.contract_number,
        "quote_id": order.quote_id,
        "stage": order.stage,
        "approval": approval_to_json(order.approval),
        "cancellation_reason": order.cancellation_reason,
        "archived_at": order.archived_at,
        # Copies: a save's parameters may wait for the batch's exchange (ADR 57), and the order
        # may be handed to the batch's next handler (ADR 58), which may change these in place.
        "applied_sequences": dict(order.applied_sequences),
        "invoice_states": dict(order.invoice_states),
        "nothing_to_ship": order.nothing_to_ship,
        "invoiced_total": order.invoiced_total,
        "closed_short_at": order.closed_short_at,
        "warehouse": order.warehouse,
        "split_allowed": order.split_allowed,
        "requested_delivery_date": order.requested_delivery_date,
        "promised_delivery_date": order.promised_delivery_date,
        "owner": order.owner,
        "team": order.team,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


class _LineRow(NamedTuple):
    """What line_from_row reads of a line, in the order the children statement gives it."""

    line_no: int
    sku: str
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    shipped_quantity: Decimal
    cancelled_quantity: Decimal
    returned_quantity: Decimal
    requested_delivery_date: date | None
    promised_delivery_date: date | None
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal


# What shipments, releases and returns change on a line (its amounts follow what is cancelled):
# when nothing else changed, a save updates these on the changed lines in one statement.
_QUANTITY_COLUMNS = (
    "shipped_quantity",
    "cancelled_quantity",
    "returned_quantity",
    "net_amount",
    "tax_amount",
    "gross_amount",
)
_FIXED = [i for i, name in enumerate(_LineRow._fields) if name not in _QUANTITY_COLUMNS]
_UPDATE_QUANTITIES = text(
    f"""
    UPDATE {order_lines.name} l SET {", ".join(f"{name} = v.{name}" for name in _QUANTITY_COLUMNS)}
    FROM unnest(CAST(:line_nos AS integer[]), {
        ", ".join(f"CAST(:{name} AS numeric[])" for name in _QUANTITY_COLUMNS)
    }) AS v(line_no, {", ".join(_QUANTITY_COLUMNS)})
    WHERE l.order_id = CAST(:order_id AS uuid) AND l.line_no = v.line_no
    """  # noqa: S608 (constants: the columns and table are ours)
)


def _children_of(order_id: str) -> str:
    """The SQL of an order's lines, documents and shipments (`order_id`: the SQL of its id, a
    uuid), as three columns: an array of rows of each (asyncpg reads a row of an array as a
    tuple, its values in their own types)."""
    return f"""
        ARRAY(SELECT ROW({", ".join(f"l.{name}" for name in _LineRow._fields)})
              FROM {order_lines.name} l WHERE l.order_id = {order_id}
              ORDER BY l.line_no) AS child_lines,
        ARRAY(SELECT ROW(d.document_id, d.kind, d.reference, d.download_path)
              FROM {order_documents.name} d WHERE d.order_id = {order_id}
              ORDER BY d.position) AS child_documents,
        ARRAY(SELECT s.shipment_id
              FROM {order_shipments.name} s WHERE s.order_id = {order_id}) AS child_shipments
    """  # noqa: S608 (constants: the columns and tables are ours)


_CHILD_COLUMNS: tuple[ColumnClause[Any], ...] = (
    column("child_lines"),
    column("child_documents"),
    column("child_shipments"),
)

# The children of some orders in one round trip.
_CHILDREN = (
    text(
        f"SELECT o.id, {_children_of('o.id::uuid')} FROM unnest(CAST(:ids AS text[])) AS o(id)"  # noqa: S608
    )
    .bindparams(bindparam("ids"))
    .columns(column("id"), *_CHILD_COLUMNS)
)

# An order's customer is read along with it (NULL when it has none): the customers repository
# of the same unit of work keeps the row (the confirmation's snapshot and the answer need it).

# Whether a locked read's children are current. Once the lock is granted PostgreSQL gives the
# newest header, but the children (subqueries) are those of the statement's snapshot. Every
# transaction that writes an order's children writes its header too (`add`, `save`), so the
# header locked being the version the snapshot saw says the children are the newest as well;
# when it is not they are read again.
_CURRENT = f"h.xmin = (SELECT s.xmin FROM {orders.name} s WHERE s.id = h.id) AS children_current"  # noqa: S608


def _whole(where: str, *, locked: bool, customer: bool) -> TextualSelect:
    """Orders read whole in one round trip (a locked one unless it had to wait for a writer):
    their header and children (`_children_of`); if `locked`, `FOR UPDATE` with
    `children_current`; if `customer`, the customer's row read along. Built once each."""
    # The columns are declared in the order they are selected: SQLAlchemy matches them by
    # position, types (and their result processing) included.
    selected = [f"h.{header.name}" for header in orders.c]
    declared: list[ColumnClause[Any]] = [*orders.c]
    joined = ""
    if locked:
        selected.append(_CURRENT)
        declared.append(column("children_current"))
    if customer:
        customer_selected, customer_declared = read_along("c")
        selected += customer_selected
        declared += customer_declared
        # LATERAL: a lock wait rechecks no join condition against a customer read before it.
        its_customer = f"SELECT * FROM {customers.name} WHERE id = h.customer_id"  # noqa: S608
        joined = f"LEFT JOIN LATERAL ({its_customer}) c ON true"
    return text(
        f"""
        SELECT {", ".join(selected)}, {_children_of("h.id")}
        FROM {orders.name} h {joined} WHERE {where}{" FOR UPDATE OF h" if locked else ""}
        """  # noqa: S608 (constants: the columns and tables are ours)
    ).columns(*declared, *_CHILD_COLUMNS)


_ONE = "h.id = CAST(:order_id AS uuid)"
_WHOLE = _whole(_ONE, locked=False, customer=True)
_WHOLE_LOCKED = _whole(_ONE, locked=True, customer=True)
# Some orders read whole and locked, in id order (rows are locked as the sorted result comes out).
_WHOLES_LOCKED_IN_ORDER = _whole(
    "h.id = ANY(CAST(:ids AS uuid[])) ORDER BY h.id", locked=True, customer=False
)

# The header's UPDATE takes parameters named `header_<column>`, apart from those of a statement
# that carries it in a `WITH` (the timeline booking).
_HEADER_PREFIX = "header_"


@functools.cache  # per set of columns, not on every save
def _header_names(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The header parameters' names for `columns`, in their order."""
    return tuple(_HEADER_PREFIX + name for name in columns)


def _header_parameters(values: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The header's `values` as parameters, and their names."""
    names = _header_names(tuple(values))
    return dict(zip(names, values.values(), strict=True)), names


@functools.cache  # per set of parameters: built once
def header_update(parameters: tuple[str, ...]) -> Update:
    """The UPDATE of the header of order `:header_id` from the `parameters` that
    `SqlOrderRepository.save_all_but_header` gave, each `header_<column>`: run by `save`, or in
    a `WITH` of another statement of the same transaction."""
    key = _HEADER_PREFIX + "id"
    columns = [orders.c[name.removeprefix(_HEADER_PREFIX)] for name in parameters if name != key]
    return (
        update(orders)
        .where(orders.c.id == bindparam(key))
        .values(
            {
                column: bindparam(_HEADER_PREFIX + column.name, type_=column.type)
                for column in columns
            }
        )
    )


# An added order's lines, and the documents and shipments an add or a save writes, as arrays
# (`servicekit.db.unnested`): one part of the statement each, however many there are.
_DOCUMENT_COLUMNS = tuple(column.name for column in order_documents.c)
_LINE_COLUMNS = tuple(column.name for column in order_lines.c)
_SHIPMENT_COLUMNS = tuple(column.name for column in order_shipments.c)

# The shape of an order's save: the header's parameter names; documents added, shipments added.
SaveShape = tuple[tuple[str, ...], bool, bool]


@dataclass(frozen=True)
class OrderSave:
    """An order's save but for its lines, as one statement's parameters (`save_parts(shape)`
    are its parts): the header's UPDATE, and the documents and shipments added since it was
    read."""

    parameters: dict[str, Any]
    shape: SaveShape


@functools.cache  # per shape: built once
def save_parts(shape: SaveShape) -> dict[str, UpdateBase]:
    """The parts of an `OrderSave` of this shape, by name, for a statement to run each as a
    data-modifying `WITH`: they write different tables and read none of them (ADR 39)."""
    header, documents, shipments = shape
    parts: dict[str, UpdateBase] = {"saved": header_update(header)}
    if documents:
        parts["documents_added"] = _inserted(order_documents, _DOCUMENT_COLUMNS, "document")
    if shipments:
        parts["shipments_added"] = _inserted(order_shipments, _SHIPMENT_COLUMNS, "shipment")
    return parts


def _inserted(table: Table, columns: tuple[str, ...], prefix: str) -> Insert:
    """Rows given as arrays, each skipped if stored already (a save of another copy of the
    order)."""
    rows = unnested(table, columns, prefix)
    chosen = select(*(rows.c[column] for column in columns))
    return insert(table).from_select(list(columns), chosen).on_conflict_do_nothing()


# The shape of an order's add: the header's parameter names; lines, documents, shipments given.
AddShape = tuple[tuple[str, ...], bool, bool, bool]


@dataclass(frozen=True)
class OrderAdd:
    """A new order, as one statement's parameters (`add_parts(shape)` are its parts): the
    header's INSERT and its children's."""

    parameters: dict[str, Any]
    shape: AddShape


@functools.cache  # per shape: built once
def add_parts(shape: AddShape) -> dict[str, UpdateBase]:
    """The parts of an `OrderAdd` of this shape, by name, for a statement to run each as a
    data-modifying `WITH`: the header (`header_<column>` for each of its names) and the
    children there are (arrays, as `save_parts` takes them). The children's foreign keys are
    checked at the statement's end, when the header is in; no part reads a table another part
    writes (ADR 39)."""
    header, lines, documents, shipments = shape
    values = {name: bindparam(_HEADER_PREFIX + name, type_=orders.c[name].type) for name in header}
    parts: dict[str, UpdateBase] = {"added": orders.insert().values(values)}
    if lines:
        parts["lines_added"] = _inserted(order_lines, _LINE_COLUMNS, "line")
    if documents:
        parts["documents_added"] = _inserted(order_documents, _DOCUMENT_COLUMNS, "document")
    if shipments:
        parts["shipments_added"] = _inserted(order_shipments, _SHIPMENT_COLUMNS, "shipment")
    return parts


@functools.cache  # per shape: built once
def _add_statement(shape: AddShape) -> Executable:
    """`add`'s one statement: `add_parts(shape)` as its `WITH`s."""
    return with_parts(literal_column("true").label("written"), add_parts(shape))


@functools.cache
def _save_statement(shape: SaveShape) -> Executable:
    """`save`'s one statement: the header's UPDATE alone, or with its children as `WITH`s."""
    parts = save_parts(shape)
    if len(parts) == 1:
        return parts["saved"]
    return with_parts(literal_column("true").label("written"), parts)


# The ids of an order's documents and shipments as stored: (documents, shipments).
Stored = tuple[frozenset[str], frozenset[str]]


def _pricing_inputs(order: Order) -> tuple[object, ...]:
    """Every object an order's totals are worked out from: its currency, and each line with
    the inputs of its amounts (`Line.amounts`)."""
    inputs: list[object] = [order.currency]
    for line in order.lines:
        inputs += (
            line,
            line.quantity,
            line.cancelled_quantity,
            line.unit_price,
            line.discount_percent,
            line.tax_rate,
            line.currency,
        )
    return tuple(inputs)


@dataclass(frozen=True, slots=True)
class _PricedAs:
    """The totals stored with an order's header, and the objects they were worked out from:
    while an order holds those very objects (by identity, as `Order.totals`'s memo compares
    them; a changed line or amount is another object), a save writes the stored totals again
    instead of summing the lines anew."""

    inputs: tuple[object, ...]
    totals: StoredTotals

    def of(self, order: Order) -> StoredTotals | None:
        inputs = _pricing_inputs(order)
        if len(inputs) == len(self.inputs) and all(map(operator.is_, inputs, self.inputs)):
            return self.totals
        return None


# Where the orders of a consumed batch wait for its handlers (`read_ahead`): a memo of its
# transaction, forgotten with it and when a savepoint rolls back.
_READ_AHEAD, _BATCH = "orders.read_ahead", "batch"
# The totals stored with the orders the transaction read or wrote (`_PricedAs`, by id).
_PRICED = "orders.priced"
# The external references the transaction found no order has (`absent_references`), as
# `{"absent": set}`: until an order is written with one.
_ABSENT_REFERENCES = "orders.absent_references"
_TAKEN_REFERENCES = select(orders.c.external_reference).where(
    orders.c.external_reference == bindparam("references", type_=ARRAY(String)).any_()
)


@dataclass(frozen=True)
class _Copy:
    """An order as the batch's transaction last read or wrote it, with what its repository
    remembers of it as stored (documents and shipments, lines by number); `saved`: when it is
    the copy a handler saved, the header it wrote and its documents then, to see whether it was
    changed since."""

    order: Order
    stored: Stored
    lines: dict[int, tuple[Any, ...]]
    saved: tuple[dict[str, Any], tuple[Document, ...]] | None = None

    def unchanged(self) -> bool:
        """Whether the order is still what was read or written (all a save would write)."""
        if self.saved is None:
            return True  # as read, and not handed out since
        header, documents = self.saved
        order = self.order
        # The totals follow from the lines and the currency, compared here on their own.
        totals = (header["net_total"], header["tax_total"], header["gross_total"])
        return (
            tuple(order.documents) == documents
            and order.shipment_ids == self.stored[1]
            and {"id": order.id, **_header_values(order, totals)} == header
            and {line[0]: line for line in _line_rows(order)} == self.lines
        )


@dataclass
class _ReadAhead:
    """The orders a batch locked and read ahead, waiting for its handlers (ADR 35), and the
    copies handlers took. A copy a handler took and then saved waits again for the next one
    (ADR 58): it is what the transaction wrote, and the lock keeps other transactions off it."""

    waiting: dict[str, _Copy]
    handed: dict[str, Order]  # by id, the copy last handed out or read locked

    def take(self, order_id: str) -> _Copy | None:
        copy = self.waiting.pop(order_id, None)
        if copy is None or not copy.unchanged():
            self.handed.pop(order_id, None)
            return None  # changed after its save: read again
        self.handed[order_id] = copy.order
        return copy


class SqlOrderRepository(SqlRepository):
    """Orders; it remembers which documents and shipments of each order it read or wrote, so
    that a save writes only those added since (the rest are stored already).

    It alone writes an order's children, and always with its header (`add`, `save`): a locked
    read relies on it (`_whole`, ADR 43)."""

    def __init__(self, session: AsyncSession, customer_rows: dict[str, Any] | None = None) -> None:
        super().__init__(session)
        # Where the customers repository of the unit of work keeps the rows it read.
        self._customer_rows = customer_rows
        self._stored: dict[str, Stored] = {}
        self._lines: dict[str, dict[int, tuple[Any, ...]]] = {}  # as stored, by line number

    async def add(self, order: Order) -> None:
        """The order with its lines, documents and shipments: one statement."""
        added = self.adding(order)
        await self.session.execute(_add_statement(added.shape), added.parameters)

    def adding(self, order: Order) -> OrderAdd:
        """`add`, but for the statement: its parameters and shape, for a statement that runs
        `add_parts(shape)` with them (the booking of the order's first event: one round trip
        for both). The order counts as stored from now on."""
        self._written(order)
        values = {"id": order.id, **_header_values(order, self._totals_to_write(order))}
        parameters, _ = _header_parameters(values)
        lines = [line_values("order_id", order.id, line, order_lines) for line in order.lines]
        documents, shipments = self._new_children(order)
        parameters |= as_arrays(lines, _LINE_COLUMNS, "line")
        parameters |= as_arrays(documents, _DOCUMENT_COLUMNS, "document")
        parameters |= as_arrays(shipments, _SHIPMENT_COLUMNS, "shipment")
        self._lines[order.id] = {line[0]: line for line in _line_rows(order)}
        return OrderAdd(parameters, (tuple(values), bool(lines), bool(documents), bool(shipments)))

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        wanted = canonical_id(order_id)
        if wanted is None:
            return None  # no id at all: no order has it
        ahead = self._read_ahead()
        if ahead is not None and (copy := ahead.take(wanted)) is not None:
            self._stored[wanted], self._lines[wanted] = copy.stored, copy.lines
            return copy.order
        query = _WHOLE_LOCKED if for_update else _WHOLE
        whole = (await self.session.execute(query, {"order_id": wanted})).first()
        if whole is None:
            return None
        self._keep_customer(whole)
        order = (await self._assembled_whole([whole]))[0]
        if ahead is not None and for_update:
            ahead.handed[wanted] = order  # locked and current, as a copy read ahead
        return order

    def _keep_customer(self, whole: Row[Any]) -> None:
        """Hand the customer's row read along with an order to the customers repository (as
        of the statement's snapshot, as a read of its own would be)."""
        if self._customer_rows is not None:
            keep_read_along(self._customer_rows, whole)

    async def find_by_external_reference(self, reference: str) -> Order | None:
        if reference in transaction_memo(self.session, _ABSENT_REFERENCES).get("absent", ()):
            return None  # none when the batch began, and none written since
        row = (
            await self.session.execute(
                select(orders).where(orders.c.external_reference == reference)
            )
        ).first()
        return None if row is None else (await self._assemble([row]))[0]

    async def read_ahead(self, order_ids: Sequence[str]) -> None:
        """Lock and read the orders of a consumed batch before its handlers run, in two
        statements instead of two per handler; `get` hands each out once, and again after
        the handler that took it saved it (ADR 58).

        Locked in id order, so that two batches about the same orders never deadlock. Until a
        handler takes it, an order read ahead is what a `get` would read: the lock keeps other
        transactions off it, and a write of another copy of it in this one (`add`, `save`)
        drops it.
        """
        rows = (await self.session.execute(_WHOLES_LOCKED_IN_ORDER, {"ids": order_ids})).all()
        ahead = transaction_memo(self.session, _READ_AHEAD).setdefault(_BATCH, _ReadAhead({}, {}))
        for order in await self._assembled_whole(rows):
            ahead.waiting[order.id] = _Copy(order, self._stored[order.id], self._lines[order.id])

    def _read_ahead(self) -> _ReadAhead | None:
        """The transaction's orders read ahead, if it read any (a consumer's batch)."""
        read_ahead: _ReadAhead | None = transaction_memo(self.session, _READ_AHEAD).get(_BATCH)
        return read_ahead

    async def absent_references(self, references: Collection[str]) -> set[str]:
        """In one statement (a consumed batch's submissions, a file's orders); kept for the
        transaction, for `find_by_external_reference`."""
        wanted = sorted(set(references))
        taken = set(
            (await self.session.execute(_TAKEN_REFERENCES, {"references": wanted})).scalars()
        )
        absent = set(wanted) - taken
        transaction_memo(self.session, _ABSENT_REFERENCES).setdefault("absent", set()).update(
            absent
        )
        return absent

    def _written(self, order: Order, header: dict[str, Any] | None = None) -> None:
        """After a write of the order: the copy written waits for the batch's next handler if
        it is the one handed out (`header`: the header it was saved with); any other copy
        written makes the one waiting out of date. Its external reference is no longer absent."""
        if order.external_reference is not None:
            absent = transaction_memo(self.session, _ABSENT_REFERENCES).get("absent")
            if absent is not None:
                absent.discard(order.external_reference)
        ahead = self._read_ahead()
        if ahead is None:
            return
        lines = self._lines.get(order.id)
        if header is None or lines is None or ahead.handed.get(order.id) is not order:
            ahead.waiting.pop(order.id, None)
            ahead.handed.pop(order.id, None)
            return
        saved = (header, tuple(order.documents))
        ahead.waiting[order.id] = _Copy(order, self._stored[order.id], lines, saved)

    async def save(self, order: Order, *, lines: bool = False) -> None:
        saving = await self.save_all_but_header(order, lines=lines)
        await self.session.execute(_save_statement(saving.shape), saving.parameters)

    async def save_all_but_header(self, order: Order, *, lines: bool = False) -> OrderSave:
        """`save`, but for the statement that writes the header and the new documents and
        shipments: its parameters and shape are returned, for a statement that runs
        `save_parts(shape)` with them (one round trip for all, and fewer still in another
        statement of the transaction)."""
        if lines:
            await self._save_lines(order)
        values = {"id": order.id, **_header_values(order, self._totals_to_write(order))}
        parameters, header = _header_parameters(values)
        documents, shipments = self._new_children(order)
        if documents:
            parameters |= as_arrays(documents, _DOCUMENT_COLUMNS, "document")
        if shipments:
            parameters |= as_arrays(shipments, _SHIPMENT_COLUMNS, "shipment")
        self._written(order, values)
        return OrderSave(parameters, (header, bool(documents), bool(shipments)))

    async def search(
        self, filters: OrderFilters, *, limit: int, after: Position | None
    ) -> list[Order]:
        rows = (await self.session.execute(_found(select(orders), filters, limit, after))).all()
        return await self._assemble(rows)

    async def summaries(
        self, filters: OrderFilters, *, limit: int, after: Position | None
    ) -> list[OrderSummary]:
        query = _found(select(*_SUMMARY_COLUMNS), filters, limit, after)
        return [_summary_of(row) for row in (await self.session.execute(query)).all()]

    async def of_quote(self, quote_id: str) -> list[OrderRef]:
        return (await orders_of_quotes(self.session, [quote_id]))[quote_id]

    def _totals_to_write(self, order: Order) -> StoredTotals:
        """The totals stored with the order, while its lines are the ones they were worked out
        from (most events change no line: their saves then sum none); else its totals worked
        out, remembered with what they were worked out from."""
        priced = self._priced()
        known = priced.get(order.id)
        stored = None if known is None else known.of(order)
        if stored is not None:
            return stored
        totals = stored_totals(order.totals)
        priced[order.id] = _PricedAs(_pricing_inputs(order), totals)
        return totals

    def _priced(self) -> dict[str, _PricedAs]:
        """The totals stored with the orders the transaction read or wrote, by id: a memo of
        the transaction, since each handler of a batch has a repository of its own and may be
        handed an order another one read (`read_ahead`)."""
        priced: dict[str, _PricedAs] = transaction_memo(self.session, _PRICED)
        return priced

    def _new_children(self, order: Order) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The rows of the documents and of the shipments added since the order was read (all
        of them when it was not read here), taken as stored from now on."""
        documents, shipments = self._stored.get(order.id, (frozenset(), frozenset()))
        new_documents = [
            {"order_id": order.id, "position": position, **asdict(document)}
            for position, document in enumerate(order.documents)
            if document.document_id not in documents
        ]
        new_shipments = [
            {"order_id": order.id, "shipment_id": shipment}
            for shipment in sorted(order.shipment_ids - shipments)
        ]
        self._remember(order.id, order.documents, order.shipment_ids)
        return new_documents, new_shipments

    async def _save_lines(self, order: Order) -> None:
        """Replace the order's lines; or, when only their quantities changed since they were
        read (a shipment, a release, a return), update those of the changed lines."""
        new = _line_rows(order)
        stored = self._lines.get(order.id)
        self._lines[order.id] = {line[0]: line for line in new}
        if stored is None or stored.keys() != {line[0] for line in new}:
            await replace_lines(self.session, order_lines, "order_id", order.id, order.lines)
            return
        if any(_fixed(line) != _fixed(stored[line[0]]) for line in new):
            await replace_lines(self.session, order_lines, "order_id", order.id, order.lines)
            return
        changed = [_LineRow._make(line) for line in new if line != stored[line[0]]]
        if changed:
            parameters: dict[str, Any] = {
                "order_id": order.id,
                "line_nos": [line.line_no for line in changed],
            }
            for name in _QUANTITY_COLUMNS:
                parameters[name] = [getattr(line, name) for line in changed]
            await self.session.execute(_UPDATE_QUANTITIES, parameters)

    def _remember(self, order_id: str, documents: Sequence[Document], shipments: set[str]) -> None:
        self._stored[order_id] = (
            frozenset(document.document_id for document in documents),
            frozenset(shipments),
        )

    async def _assemble(self, rows: Sequence[Row[Any]]) -> list[Order]:
        """Orders from their header rows, with their lines, documents and shipments read in one
        more statement."""
        if not rows:
            return []
        children = await self.session.execute(_CHILDREN, {"ids": [row.id for row in rows]})
        return self._assembled(rows, children.all())

    async def _assembled_whole(self, rows: Sequence[Row[Any]]) -> list[Order]:
        """Orders from rows of their header and children (`_whole`); the
        children of those whose `children_current` is false are read again, in one statement."""
        stale = [row for row in rows if not getattr(row, "children_current", True)]
        if not stale:
            return self._assembled(rows, rows)
        fresh = (await self.session.execute(_CHILDREN, {"ids": [row.id for row in stale]})).all()
        stale_ids = {row.id for row in stale}
        return self._assembled(rows, [*(r for r in rows if r.id not in stale_ids), *fresh])

    def _assembled(self, rows: Sequence[Row[Any]], children: Sequence[Row[Any]]) -> list[Order]:
        """Orders from their header rows and their children's (`_children_of`, by `id`)."""
        lines: dict[str, list[_LineRow]] = {}
        documents: dict[str, list[Document]] = {}
        shipments: dict[str, set[str]] = {}
        for child in children:
            order_id = child.id
            read = lines[order_id] = [_LineRow._make(line) for line in child.child_lines]
            self._lines[order_id] = {line.line_no: tuple(line) for line in read}
            documents[order_id] = [Document(*document) for document in child.child_documents]
            shipments[order_id] = set(child.child_shipments)
            self._remember(order_id, documents[order_id], shipments[order_id])
        assembled = [
            Order(
                id=row.id,
                number=row.number,
                customer_id=row.customer_id,
                order_date=row.order_date,
                # Made in the order's currency: the order keeps them (no copy into it).
                lines=[line_from_row(line, row.currency) for line in lines[row.id]],
                lines_in_currency=True,
                created_at=row.created_at,
                updated_at=row.updated_at,
                status=OrderStatus(row.status),
                fulfilment=Fulfilment(row.fulfilment),
                billing=Billing(row.billing),
                external_reference=row.external_reference,
                documents=documents[row.id],
                shipment_ids=shipments[row.id],
                contract_number=row.contract_number,
                quote_id=row.quote_id,
                stage=row.stage,
                approval=approval_from_json(row.approval),
                cancellation_reason=row.cancellation_reason,
                archived_at=row.archived_at,
                applied_sequences=dict(row.applied_sequences),
                invoice_states=dict(row.invoice_states),
                nothing_to_ship=row.nothing_to_ship,
                closed_short_at=row.closed_short_at,
                warehouse=row.warehouse,
                split_allowed=row.split_allowed,
                requested_delivery_date=row.requested_delivery_date,
                promised_delivery_date=row.promised_delivery_date,
                invoiced_total=(
                    in_currency(row.invoiced_total, row.currency)
                    if row.invoiced_total is not None
                    else None
                ),
                owner=row.owner,
                team=row.team,
                **content_from_row(row),
            )
            for row in rows
        ]
        priced = self._priced()
        for order, row in zip(assembled, rows, strict=True):
            priced[order.id] = _PricedAs(
                _pricing_inputs(order), (row.net_total, row.tax_total, row.gross_total)
            )
        return assembled


def _line_rows(order: Order) -> list[tuple[Any, ...]]:
    """The order's lines as the children statement reads them back."""
    return [
        tuple(values[name] for name in _LineRow._fields)
        for values in (line_values("order_id", order.id, line, order_lines) for line in order.lines)
    ]


def _fixed(line: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a shipment, a release or a return does not change on a line."""
    return tuple(line[i] for i in _FIXED)


def _order_conditions(filters: OrderFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    equal = {
        orders.c.status: filters.status and filters.status.value,
        orders.c.fulfilment: filters.fulfilment and filters.fulfilment.value,
        orders.c.billing: filters.billing and filters.billing.value,
        orders.c.customer_id: filters.customer_id,
        orders.c.external_reference: filters.external_reference,
        orders.c.stage: filters.stage,
        orders.c.opportunity_id: filters.opportunity_id,
    }
    conditions += [column == value for column, value in equal.items() if value is not None]
    if filters.date_from is not None:
        conditions.append(orders.c.order_date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(orders.c.order_date <= filters.date_to)
    if filters.promised_before is not None:
        conditions.append(orders.c.promised_delivery_date < filters.promised_before)
    if filters.gross_min is not None:
        conditions.append(orders.c.gross_total >= filters.gross_min)
    if filters.gross_max is not None:
        conditions.append(orders.c.gross_total <= filters.gross_max)
    if filters.q:
        conditions.append(
            text_match(
                filters.q, orders.c.number, orders.c.description, orders.c.customer_reference
            )
        )
    archived = orders.c.archived_at.is_not(None)
    conditions.append(archived if filters.archived else ~archived)
    conditions += ownership_conditions(
        orders, owner=filters.owner, team=filters.team, viewer=filters.viewer
    )
    return conditions


async def orders_of_quotes(
    session: AsyncSession, quote_ids: Sequence[str]
) -> dict[str, list[OrderRef]]:
    found: dict[str, list[OrderRef]] = {quote_id: [] for quote_id in quote_ids}
    if not quote_ids:
        return found
    for row in await session.execute(
        select(orders.c.quote_id, orders.c.id, orders.c.number)
        .where(orders.c.quote_id.in_(list(quote_ids)))
        .order_by(orders.c.created_at, orders.c.id)
    ):
        found[row.quote_id].append(OrderRef(row.id, row.number))
    return found


def _found(query: Select[Any], filters: OrderFilters, limit: int, after: Position | None) -> Any:
    """`query` over the orders the filters keep, in their sort (id breaks ties), strictly after
    the position, at most `limit`."""
    column = SORT_COLUMNS[filters.sort]
    descending = filters.direction is Direction.DESC
    query = query.order_by(
        column.desc() if descending else column.asc(),
        orders.c.id.desc() if descending else orders.c.id.asc(),
    ).limit(limit)
    for condition in _order_conditions(filters):
        query = query.where(condition)
    if after is not None:
        value, last_id = after
        here = tuple_(column, orders.c.id)
        there = tuple_(literal(value, column.type), literal(last_id, orders.c.id.type))
        query = query.where(here < there if descending else here > there)
    return query


# An order's header as a summary shows it: the totals stored with it, no children.
_SUMMARY_COLUMNS = (
    orders.c.id,
    orders.c.number,
    orders.c.customer_id,
    orders.c.currency,
    orders.c.order_date,
    orders.c.status,
    orders.c.fulfilment,
    orders.c.billing,
    orders.c.stage,
    orders.c.net_total,
    orders.c.tax_total,
    orders.c.gross_total,
    orders.c.invoiced_total,
    orders.c.external_reference,
    orders.c.owner,
    orders.c.team,
    orders.c.archived_at,
    orders.c.created_at,
    orders.c.updated_at,
)


def _summary_of(row: Row[Any]) -> OrderSummary:
    currency = row.currency
    return OrderSummary(
        id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        currency=currency,
        order_date=row.order_date,
        status=OrderStatus(row.status),
        fulfilment=Fulfilment(row.fulfilment),
        billing=Billing(row.billing),
        stage=row.stage,
        # NUMERIC(20, 4) answers 12.5000; the totals are in the currency's minor unit.
        net=in_currency(row.net_total, currency),
        tax=in_currency(row.tax_total, currency),
        gross=in_currency(row.gross_total, currency),
        invoiced_total=(
            in_currency(row.invoiced_total, currency) if row.invoiced_total is not None else None
        ),
        external_reference=row.external_reference,
        owner=row.owner,
        team=row.team,
        archived_at=row.archived_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
