"""One set of repository cases, run against the unit tests' in-memory fake and against the SQL
adapters on a migrated PostgreSQL database: the fake behaves as the database does, or this fails.

Every SQL case runs in a transaction that is rolled back at its end, so each starts empty.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from contracts import CloudEvent, EventType, new_event
from contracts.events import OrderCancelled, StockReleased
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.addresses import AddressKind, CustomerAddress
from orders.domain.attachments import StoredFile, Subject
from orders.domain.catalogue import StockAvailability
from orders.domain.contacts import Contact
from orders.domain.content import (
    Address,
    Line,
    LineKind,
    OpportunityRef,
    PaymentTerms,
    RecurrenceFrequency,
    Recurring,
)
from orders.domain.customer import Customer, CustomerGroup, Opportunity
from orders.domain.order import (
    Approval,
    Billing,
    Document,
    Fulfilment,
    Order,
    OrderStatus,
    OrderSummary,
)
from orders.domain.ownership import Viewer, Visibility
from orders.domain.pipeline import Stage
from orders.domain.quote import OrderRef, Quote, QuoteDocument, QuoteStatus
from orders.entrypoints.cli import MIGRATIONS_DIR
from orders.service_layer.ports import (
    CustomerFilters,
    Direction,
    OrderFilters,
    OrderSort,
    QuoteFilters,
    SavedFilter,
)
from orders.service_layer.unit_of_work import UnitOfWork
from servicekit.testing import contract_sessions_fixture, fake_or_sql_fixture

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HOME = Address("Calle Mayor 1", "28013", "Madrid", "ES", name="Acme", region="Madrid")
DEPOT = Address("Hafenstraße 5", "20457", "Hamburg", "DE")


contract_sessions = contract_sessions_fixture(MIGRATIONS_DIR, "orders_contract")
# The same unit of work port: the in-memory fake (`fake_uow`), or SQL in a rolled-back transaction.
store = fake_or_sql_fixture(SqlUnitOfWork)


def new_id() -> str:
    return str(uuid.uuid4())


def a_customer(name: str = "acme", email: str | None = None, **fields: Any) -> Customer:
    fields.setdefault("created_at", T0)
    return Customer(id=new_id(), name=name, email=email or f"{name}@example.com", **fields)


def lines(*prices: str) -> list[Line]:
    return [
        Line(
            line_no=number,
            sku=f"SKU-{number}",
            kind=LineKind.PRODUCT if number % 2 else LineKind.SERVICE,
            description=f"Item {number}",
            quantity=D("2.5"),
            unit_price=D(price),
            tax_rate=D("21"),
            discount_percent=D("10") if number == 1 else D("0"),
        )
        for number, price in enumerate(prices or ("10.00",), start=1)
    ]


def an_order(customer: Customer, number: int, **fields: Any) -> Order:
    fields.setdefault("created_at", T0 + timedelta(minutes=number))
    fields.setdefault("updated_at", fields["created_at"])
    fields.setdefault("order_date", date(2026, 3, number))
    fields.setdefault("lines", lines())
    return Order(
        id=new_id(),
        number=f"SO-2026-{number:06d}",
        customer_id=customer.id,
        currency="EUR",
        **fields,
    )


def a_quote(customer: Customer, number: int, **fields: Any) -> Quote:
    fields.setdefault("created_at", T0 + timedelta(minutes=number))
    fields.setdefault("updated_at", fields["created_at"])
    fields.setdefault("quote_date", date(2026, 3, 1))
    fields.setdefault("valid_until", date(2026, 3, 31))
    return Quote(
        id=new_id(),
        number=f"QT-2026-{number:06d}",
        customer_id=customer.id,
        currency="EUR",
        lines=lines("99.90"),
        **fields,
    )


async def customers(store: UnitOfWork, *names: str) -> list[Customer]:
    made = [a_customer(name) for name in names]
    for customer in made:
        await store.customers.add(customer)
    return made


# --- customers and their addresses ---------------------------------------------------------------


async def test_customer_groups_tax_ids_duplicates_and_deletion(store: UnitOfWork) -> None:
    group = CustomerGroup("retail", "Retail", None, T0)
    assert await store.customer_groups.add(group)
    assert not await store.customer_groups.add(replace(group, name="Again"))
    await store.customer_groups.save(replace(group, name="Shops", description="B2C"))
    assert await store.customer_groups.all() == [CustomerGroup("retail", "Shops", "B2C", T0)]
    assert not await store.customer_groups.in_use("retail")
    acme = a_customer("acme", "Buyer@Example.com", group="retail", tax_id="DE136695976")
    bolt = a_customer("bolt", "buyer@example.com", created_at=T0 + timedelta(days=1))
    unused = a_customer("unused", archived_at=T0, updated_at=T0)
    for customer in (acme, bolt, unused):
        await store.customers.add(customer)
    assert await store.customers.get(unused.id) == unused
    assert await store.customer_groups.in_use("retail")
    assert await store.customers.with_tax_id_or_email("DE136695976", None) == [acme]
    assert await store.customers.with_tax_id_or_email(None, "BUYER@example.com") == [acme, bolt]
    assert await store.customers.with_tax_id_or_email(
        "DE136695976", "buyer@example.com", besides=acme.id
    ) == [bolt]
    assert await store.customers.with_tax_id_or_email(None, None) == []
    archived = CustomerFilters(archived=True)
    assert await store.customers.search(archived, limit=10, after=None) == [unused]
    assert await store.customers.search(CustomerFilters(group="retail"), limit=10, after=None) == [
        acme
    ]
    await store.orders.add(an_order(acme, 1))
    assert await store.customers.has_orders(acme.id)
    assert not await store.customers.has_orders(bolt.id)
    await store.quotes.add(a_quote(bolt, 1))
    assert await store.customers.has_orders(bolt.id)
    await store.note("orders.customer.archived", summary="x", data={}, customer_id=unused.id)
    await store.customers.delete(unused.id)
    assert await store.customers.get(unused.id) is None
    await store.customer_groups.delete("retail_unknown")
    assert await store.customer_groups.get("retail") is not None


async def test_contacts_are_stored_by_customer_and_name(store: UnitOfWork) -> None:
    [acme, bolt] = await customers(store, "acme", "bolt")
    zoe = Contact(new_id(), acme.id, "Zoe", T0, T0, email="z@x.com", phone="1", position="CEO")
    ana = Contact(new_id(), acme.id, "Ana", T0, T0)
    for contact in (zoe, ana, Contact(new_id(), bolt.id, "Bea", T0, T0)):
        await store.contacts.save(contact)
    assert await store.contacts.of_customer(acme.id) == [ana, zoe]
    changed = replace(ana, email="ana@x.com", updated_at=T0 + timedelta(hours=1))
    await store.contacts.save(changed)
    assert await store.contacts.get(ana.id) == changed
    await store.contacts.delete(zoe.id)
    assert await store.contacts.of_customer(acme.id) == [changed]
    assert await store.contacts.get("not-an-id") is None


async def test_files_are_kept_per_subject_with_their_content(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")

    def a_file(minutes: int, subject: Subject = Subject.CUSTOMER) -> StoredFile:
        moment = T0 + timedelta(minutes=minutes)
        return StoredFile(
            new_id(), subject, acme.id, "a.pdf", "application/pdf", 3, "ab", None, moment
        )

    later, earlier, other = a_file(2), a_file(1), a_file(0, Subject.ORDER)
    for stored in (later, earlier, other):
        await store.attachments.add(stored, b"%PD")
    assert await store.attachments.of_subject(Subject.CUSTOMER, acme.id) == [earlier, later]
    assert await store.attachments.get(later.id) == (later, b"%PD")
    await store.attachments.delete(later.id)
    assert await store.attachments.get(later.id) is None
    assert await store.attachments.get("not-an-id") is None


async def test_owned_records_are_filtered_by_owner_team_and_viewer(store: UnitOfWork) -> None:
    owners = [("alice", "north"), ("bob", "north"), ("carol", "south"), (None, None)]
    made = [a_customer(f"c{i}", owner=o, team=t) for i, (o, t) in enumerate(owners)]
    for customer in made:
        await store.customers.add(customer)
    for number, customer in enumerate(made, start=1):
        await store.orders.add(an_order(customer, number, owner=customer.owner, team=customer.team))
        await store.quotes.add(a_quote(customer, number, owner=customer.owner, team=customer.team))
    alice = Viewer("alice", "north", Visibility.OWN)
    manager = Viewer("nina", "north", Visibility.TEAM)
    everyone = Viewer(None, None, Visibility.ALL)
    cases: list[tuple[dict[str, Any], set[str | None]]] = [
        ({"viewer": alice}, {"alice"}),
        ({"viewer": manager}, {"alice", "bob"}),
        ({"viewer": everyone}, {"alice", "bob", "carol", None}),
        ({"viewer": everyone, "team": "north"}, {"alice", "bob"}),
        ({"viewer": manager, "owner": "bob"}, {"bob"}),
        ({"viewer": manager, "owner": "carol"}, set()),
        ({"viewer": Viewer(None, None, Visibility.TEAM)}, set()),
    ]
    for filters, expected in cases:
        found_orders = await store.orders.search(OrderFilters(**filters), limit=10, after=None)
        assert {o.owner for o in found_orders} == expected, filters
        found_quotes = await store.quotes.search(QuoteFilters(**filters), limit=10, before=None)
        assert {q.owner for q in found_quotes} == expected, filters
        found = await store.customers.search(CustomerFilters(**filters), limit=10, after=None)
        assert {c.owner for c in found} == expected, filters
    [order] = await store.orders.search(OrderFilters(viewer=alice), limit=10, after=None)
    assert (order.owner, order.team) == ("alice", "north")


async def test_a_customer_reads_back_as_stored_and_saves_its_changes(store: UnitOfWork) -> None:
    [acme, bolt] = await customers(store, "acme", "bolt")
    assert await store.customers.get(acme.id) == acme
    assert await store.customers.get_many({acme.id, bolt.id, new_id()}) == {
        acme.id: acme,
        bolt.id: bolt,
    }
    changed = replace(acme, name="acme ltd", billing_address=HOME, shipping_address=DEPOT)
    await store.customers.save(changed)
    assert await store.customers.get(acme.id, for_update=True) == changed
    assert await store.customers.get(new_id()) is None
    assert await store.customers.get("not-an-id") is None


async def test_the_customer_of_an_email_is_the_oldest_ignoring_case(store: UnitOfWork) -> None:
    older = a_customer("older", "Buyer@Example.com", created_at=T0)
    newer = a_customer("newer", "buyer@example.com", created_at=T0 + timedelta(days=1))
    for customer in (newer, older):
        await store.customers.add(customer)
    assert await store.customers.find_by_email("BUYER@example.COM") == older
    assert await store.customers.find_by_email("nobody@example.com") is None


async def test_customers_are_searched_by_name_or_email_and_paged(store: UnitOfWork) -> None:
    [alpha, beta, gamma] = await customers(store, "alpha", "beta", "gamma")
    assert await store.customers.search(CustomerFilters(), limit=2, after=None) == [alpha, beta]
    after_beta = (beta.name, beta.id)
    assert await store.customers.search(CustomerFilters(), limit=2, after=after_beta) == [gamma]
    assert await store.customers.search(CustomerFilters(q="BET"), limit=10, after=None) == [beta]
    assert await store.customers.search(
        CustomerFilters(q="GAMMA@EXAMPLE"), limit=10, after=None
    ) == [gamma]
    assert await store.customers.search(CustomerFilters(q="%"), limit=10, after=None) == []


async def test_addresses_are_kept_oldest_first_and_removed(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")

    def address(kind: AddressKind, minutes: int, value: Address) -> CustomerAddress:
        moment = T0 + timedelta(minutes=minutes)
        return CustomerAddress(
            id=new_id(),
            customer_id=acme.id,
            kind=kind,
            address=value,
            created_at=moment,
            updated_at=moment,
            label=f"label {minutes}",
            is_default=minutes < 2,
        )

    billing = address(AddressKind.BILLING, 0, HOME)
    shipping = address(AddressKind.SHIPPING, 1, DEPOT)
    other = address(AddressKind.SHIPPING, 2, HOME)
    await store.addresses.save_all(acme.id, [other, shipping, billing], set())
    assert await store.addresses.of_customer(acme.id) == [billing, shipping, other]
    assert await store.addresses.get(shipping.id) == shipping
    moved = replace(other, label="warehouse", is_default=True)
    await store.addresses.save_all(
        acme.id, [billing, replace(shipping, is_default=False), moved], set()
    )
    await store.addresses.save_all(acme.id, [billing, moved], {shipping.id})
    assert await store.addresses.of_customer(acme.id) == [billing, moved]
    assert await store.addresses.get(shipping.id) is None
    assert await store.addresses.get("not-an-id") is None


# --- orders --------------------------------------------------------------------------------------


async def test_an_order_reads_back_whole_and_saves_its_changes(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")
    await store.opportunities.upsert(Opportunity("OPP-1", "Fleet", acme.id))
    order = an_order(
        acme,
        1,
        lines=lines("10.00", "0.01", "1234.56"),
        contact="Ana",
        customer_reference="PO-77",
        description="Spring fleet",
        opening_text="Dear Ana,",
        closing_text="Regards",
        payment_terms=PaymentTerms(14, "14 days net"),
        billing_address=HOME,
        shipping_address=DEPOT,
        external_reference="EXT-1",
        contract_number="C-1",
        opportunity=OpportunityRef("OPP-1", "Fleet"),
        template_id="classic",
        recurring=Recurring(RecurrenceFrequency.MONTHLY, date(2026, 4, 1), date(2027, 4, 1)),
    )
    await store.orders.add(order)
    assert await store.orders.get(order.id) == order

    order.confirm()
    order.stock_reserved()
    order.shipment_dispatched("SHIP-1", [("SKU-1", D("1.5"))], False)
    order.add_document(Document("DOC-1", "order_confirmation", "SO-2026-000001", "/d/1"))
    order.stage = "execution"
    order.approval = Approval(True, "fine", "boss", T0 + timedelta(hours=1))
    order.updated_at = T0 + timedelta(hours=2)
    await store.orders.save(order, lines=True)
    assert await store.orders.get(order.id, for_update=True) == order
    assert order.status is OrderStatus.OPEN
    assert order.fulfilment is Fulfilment.PARTIALLY_SHIPPED


async def test_saving_an_order_without_its_lines_keeps_the_stored_lines(
    store: UnitOfWork,
) -> None:
    [acme] = await customers(store, "acme")
    order = an_order(acme, 1)
    await store.orders.add(order)
    stored_lines = [replace(line) for line in order.lines]
    order.lines[0].shipped_quantity = D("1")
    order.billing = Billing.INVOICED
    await store.orders.save(order)
    found = await store.orders.get(order.id)
    assert found is not None
    assert found.lines == stored_lines
    assert found.billing is Billing.INVOICED


async def stored_totals(store: UnitOfWork, order: Order) -> tuple[D, D, D]:
    found = await store.orders.summaries(OrderFilters(), limit=50, after=None)
    [summary] = [summary for summary in found if summary.id == order.id]
    return summary.net, summary.tax, summary.gross


async def test_the_stored_totals_follow_the_lines_saved(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")
    order = an_order(acme, 1, lines=lines("10.00", "20.00"))
    await store.orders.add(order)
    before = order.totals
    read = await store.orders.get(order.id, for_update=True)
    assert read is not None
    read.confirm()
    await store.orders.save(read)
    assert await stored_totals(store, read) == (before.net, before.tax, before.gross)
    read.lines[1].cancelled_quantity = D("1")  # one of 2.5 no longer delivered: a lower total
    await store.orders.save(read, lines=True)
    after = read.totals
    assert after.gross < before.gross
    assert await stored_totals(store, read) == (after.net, after.tax, after.gross)
    read.lines = [*read.lines, *lines("5.00")[:1]]
    read.lines[-1].line_no = 3
    await store.orders.save(read, lines=True)
    more = read.totals
    assert await stored_totals(store, read) == (more.net, more.tax, more.gross)


async def test_a_save_that_changed_no_line_does_not_sum_the_lines_again(
    store: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not isinstance(store, SqlUnitOfWork):
        pytest.skip("what a save writes is the SQL adapter's concern")
    [acme] = await customers(store, "acme")
    order = an_order(acme, 1, lines=lines("10.00", "20.00"))
    await store.orders.add(order)
    read = await store.orders.get(order.id, for_update=True)
    assert read is not None
    summed: list[Order] = []
    worked_out: property = vars(Order)["totals"]

    def counted(self: Order) -> Any:
        summed.append(self)
        return worked_out.fget(self) if worked_out.fget else None

    monkeypatch.setattr(Order, "totals", property(counted))
    read.confirm()
    read.stock_reserved()
    await store.orders.save(read)
    await store.orders.save(read)
    assert summed == []
    read.lines[0].quantity = D("3")
    await store.orders.save(read)
    assert summed == [read]


async def test_unknown_orders_are_none(store: UnitOfWork) -> None:
    assert await store.orders.get(new_id()) is None
    assert await store.orders.get("SO-2026-000001") is None
    assert await store.orders.find_by_external_reference("EXT-404") is None


async def test_a_read_orders_lines_are_its_own_and_priced_in_its_currency(
    store: UnitOfWork,
) -> None:
    [acme] = await customers(store, "acme")
    euros = an_order(acme, 1, lines=lines("12.5", "0.125"))
    yen = replace(an_order(acme, 2, lines=lines("1235")), currency="JPY")
    for order in (euros, yen):
        await store.orders.add(order)

    read_euros, read_yen = await store.orders.get(euros.id), await store.orders.get(yen.id)
    assert read_euros is not None
    assert read_yen is not None
    # Unit prices as the currency writes them (its decimals at least, no zeros beyond them),
    # each line priced in the order's currency.
    assert [str(line.unit_price) for line in read_euros.lines] == ["12.50", "0.125"]
    assert [str(line.unit_price) for line in read_yen.lines] == ["1235"]
    assert [line.currency for line in read_euros.lines + read_yen.lines] == ["EUR"] * 2 + ["JPY"]
    assert read_yen.totals == yen.totals
    # A line changed on one order read changes no other order's.
    again = await store.orders.get(euros.id)
    assert again is not None
    read_euros.lines[0].shipped_quantity += 1
    assert again.lines[0].shipped_quantity == euros.lines[0].shipped_quantity


async def test_an_order_is_found_by_its_external_reference(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")
    order = an_order(acme, 1, external_reference="EXT-9")
    await store.orders.add(order)
    await store.orders.add(an_order(acme, 2))
    assert await store.orders.find_by_external_reference("EXT-9") == order


async def test_orders_are_filtered(store: UnitOfWork) -> None:
    [acme, bolt] = await customers(store, "acme", "bolt")
    await store.opportunities.upsert(Opportunity("OPP-1", "Fleet", acme.id))
    small = an_order(acme, 1, lines=lines("5.00"), description="Small Bolts")
    large = an_order(
        acme,
        2,
        lines=lines("500.00"),
        status=OrderStatus.OPEN,
        fulfilment=Fulfilment.RESERVED,
        stage="execution",
        opportunity=OpportunityRef("OPP-1", "Fleet"),
        customer_reference="po-large",
    )
    other = an_order(bolt, 3, lines=lines("50.00"), billing=Billing.PAID)
    archived = an_order(bolt, 4, status=OrderStatus.CONCLUDED, archived_at=T0 + timedelta(days=3))
    for order in (small, large, other, archived):
        await store.orders.add(order)

    async def ids(**filters: Any) -> list[str]:
        found = await store.orders.search(OrderFilters(**filters), limit=10, after=None)
        return [order.number for order in found]

    newest_first = [other.number, large.number, small.number]
    assert await ids() == newest_first
    assert await ids(archived=True) == [archived.number]
    assert await ids(status=OrderStatus.OPEN) == [large.number]
    assert await ids(fulfilment=Fulfilment.RESERVED) == [large.number]
    assert await ids(billing=Billing.PAID) == [other.number]
    assert await ids(customer_id=acme.id) == [large.number, small.number]
    assert await ids(stage="execution", opportunity_id="OPP-1") == [large.number]
    assert await ids(date_from=date(2026, 3, 2), date_to=date(2026, 3, 3)) == [
        other.number,
        large.number,
    ]
    assert await ids(gross_min=large.totals.gross) == [large.number]
    assert await ids(gross_min=D("100"), gross_max=D("200")) == [other.number]
    assert await ids(q="small bolts") == [small.number]
    assert await ids(q="PO-LARGE") == [large.number]
    assert await ids(q="000003") == [other.number]
    assert await ids(q="_") == []
    assert await ids(external_reference="EXT-404") == []


@pytest.mark.parametrize(
    ("sort", "direction"),
    [(sort, direction) for sort in OrderSort for direction in Direction],
)
async def test_orders_are_sorted_and_paged_in_every_sort(
    store: UnitOfWork, sort: OrderSort, direction: Direction
) -> None:
    [acme] = await customers(store, "acme")
    # Two orders share each sort value, so the id decides between them.
    made = [
        an_order(
            acme,
            number,
            lines=lines(("20.00", "10.00")[number % 2]),
            order_date=date(2026, 3, 1 + number % 2),
            created_at=T0 + timedelta(minutes=number % 2),
        )
        for number in range(1, 6)
    ]
    for order in made:
        await store.orders.add(order)
    filters = OrderFilters(sort=sort, direction=direction)
    everything = await store.orders.search(filters, limit=10, after=None)

    def values(order: Order) -> Any:
        return {
            OrderSort.CREATED_AT: order.created_at,
            OrderSort.ORDER_DATE: order.order_date,
            OrderSort.NUMBER: order.number,
            OrderSort.GROSS: order.totals.gross,
        }[sort]

    expected = sorted(made, key=lambda o: (values(o), o.id), reverse=direction is Direction.DESC)
    assert [o.id for o in everything] == [o.id for o in expected]
    first = await store.orders.search(filters, limit=2, after=None)
    rest = await store.orders.search(filters, limit=10, after=(values(first[-1]), first[-1].id))
    assert [o.id for o in first + rest] == [o.id for o in expected]


def printed(summary: OrderSummary) -> tuple[str, ...]:
    return tuple(map(str, (summary.net, summary.tax, summary.gross, summary.invoiced_total)))


async def test_summaries_are_the_searched_orders_headers_with_the_same_totals(
    store: UnitOfWork,
) -> None:
    [acme, bolt] = await customers(store, "acme", "bolt")
    made = [
        an_order(acme, 1, lines=lines("19.99", "5.00"), owner="ana", team="south"),
        an_order(
            acme,
            2,
            lines=lines("500.00"),
            status=OrderStatus.OPEN,
            fulfilment=Fulfilment.RESERVED,
            stage="execution",
            external_reference="EXT-2",
        ),
        # Totals stored in a currency without decimals, and one already invoiced in part.
        replace(an_order(bolt, 3, lines=lines("1235", "99")), currency="JPY"),
        an_order(bolt, 4, lines=lines("0.05"), billing=Billing.PAID, invoiced_total=D("0.15")),
        an_order(bolt, 5, status=OrderStatus.CONCLUDED, archived_at=T0 + timedelta(days=3)),
    ]
    for order in made:
        await store.orders.add(order)

    for filters in (
        OrderFilters(),
        OrderFilters(archived=True),
        OrderFilters(customer_id=bolt.id, sort=OrderSort.GROSS, direction=Direction.ASC),
        OrderFilters(fulfilment=Fulfilment.RESERVED),
    ):
        found = await store.orders.search(filters, limit=10, after=None)
        summaries = await store.orders.summaries(filters, limit=10, after=None)
        assert found, filters
        assert summaries == [order.summary() for order in found]
        # The stored totals print as the lines' totals do: the currency's decimals, no more.
        assert [printed(s) for s in summaries] == [printed(o.summary()) for o in found]
    # The same positions page them.
    filters = OrderFilters(sort=OrderSort.GROSS)
    first = await store.orders.summaries(filters, limit=2, after=None)
    rest = await store.orders.summaries(filters, limit=10, after=(first[-1].gross, first[-1].id))
    everything = await store.orders.search(filters, limit=10, after=None)
    assert [s.id for s in first + rest] == [o.id for o in everything]


# --- quotes --------------------------------------------------------------------------------------


async def test_a_quote_reads_back_whole_with_the_orders_made_from_it(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")
    quote = a_quote(
        acme, 1, payment_terms=PaymentTerms(10), billing_address=HOME, description="Offer"
    )
    await store.quotes.add(quote)
    assert await store.quotes.get(quote.id) == quote

    quote.status = QuoteStatus.ACCEPTED
    quote.sent_at = T0 + timedelta(hours=1)
    quote.decided_at = T0 + timedelta(hours=2)
    quote.add_document(QuoteDocument("DOC-Q", "QT-2026-000001", "/d/q"))
    quote.lines = lines("1.00", "2.00")
    await store.quotes.save(quote, lines=True)
    first = an_order(acme, 1, quote_id=quote.id, created_at=T0 + timedelta(days=1))
    second = an_order(acme, 2, quote_id=quote.id, created_at=T0 + timedelta(days=2))
    for order in (second, first):
        await store.orders.add(order)
    refs = [OrderRef(first.id, first.number), OrderRef(second.id, second.number)]
    assert await store.orders.of_quote(quote.id) == refs
    assert await store.quotes.get(quote.id, for_update=True) == replace(quote, orders=refs)
    assert await store.quotes.get(new_id()) is None


async def test_quotes_are_filtered_newest_first_and_paged(store: UnitOfWork) -> None:
    [acme, bolt] = await customers(store, "acme", "bolt")
    await store.opportunities.upsert(Opportunity("OPP-2", "Renewal", None))
    draft = a_quote(acme, 1, description="Draft Offer")
    sent = a_quote(acme, 2, status=QuoteStatus.SENT, valid_until=date(2026, 3, 20))
    expired = a_quote(bolt, 3, status=QuoteStatus.SENT, valid_until=date(2026, 3, 9))
    won = a_quote(
        bolt,
        4,
        status=QuoteStatus.ACCEPTED,
        opportunity=OpportunityRef("OPP-2", "Renewal"),
        customer_reference="Ref-Won",
    )
    for quote in (draft, sent, expired, won):
        await store.quotes.add(quote)
    today = date(2026, 3, 10)

    async def numbers(**filters: Any) -> list[str]:
        found = await store.quotes.search(
            QuoteFilters(today=today, **filters), limit=10, before=None
        )
        return [quote.number for quote in found]

    assert await numbers() == [won.number, expired.number, sent.number, draft.number]
    assert await numbers(status=QuoteStatus.EXPIRED) == [expired.number]
    assert await numbers(status=QuoteStatus.SENT) == [sent.number]
    assert await numbers(status=QuoteStatus.DRAFT) == [draft.number]
    assert await numbers(customer_id=acme.id) == [sent.number, draft.number]
    assert await numbers(opportunity_id="OPP-2") == [won.number]
    assert await numbers(q="draft offer") == [draft.number]
    assert await numbers(q="REF-WON") == [won.number]
    page = await store.quotes.search(QuoteFilters(), limit=2, before=None)
    assert [q.number for q in page] == [won.number, expired.number]
    rest = await store.quotes.search(
        QuoteFilters(), limit=10, before=(page[-1].created_at, page[-1].id)
    )
    assert [q.number for q in rest] == [sent.number, draft.number]


# --- opportunities, stages, saved filters, counters ----------------------------------------------


async def test_an_opportunity_keeps_its_customer_when_named_without_one(
    store: UnitOfWork,
) -> None:
    [acme] = await customers(store, "acme")
    await store.opportunities.upsert(Opportunity("OPP-1", "Fleet", acme.id))
    await store.opportunities.upsert(Opportunity("OPP-1", "Fleet 2026", None))
    assert await store.opportunities.get("OPP-1") == Opportunity("OPP-1", "Fleet 2026", acme.id)
    await store.opportunities.upsert(Opportunity("OPP-2", "Other", None))
    assert await store.opportunities.get("OPP-2") == Opportunity("OPP-2", "Other", None)
    assert await store.opportunities.get("OPP-404") is None


async def test_stages_are_replaced_as_a_whole_and_read_by_position(store: UnitOfWork) -> None:
    approval = Stage("approval", "Approval", 2, ("contract_number",), ("admin",), True)
    execution = Stage("execution", "Execution", 1, ("payment_terms", "contact"), ("sales",))
    await store.stages.replace([approval, execution])
    assert await store.stages.all() == [execution, approval]
    await store.stages.replace([approval])
    assert await store.stages.all() == [approval]
    await store.stages.replace([])
    assert await store.stages.all() == []


async def test_saved_filters_belong_to_their_owner(store: UnitOfWork) -> None:
    def saved(owner: str, name: str) -> SavedFilter:
        return SavedFilter(new_id(), owner, name, {"status": "open", "q": name}, T0)

    open_ones, big, theirs = saved("ana", "open"), saved("ana", "big"), saved("bob", "open")
    for one in (open_ones, big, theirs):
        assert await store.saved_filters.add(one)
    assert not await store.saved_filters.add(saved("ana", "open"))
    assert await store.saved_filters.get(open_ones.id, "ana") == open_ones
    assert await store.saved_filters.get(open_ones.id, "bob") is None
    assert await store.saved_filters.get("not-an-id", "ana") is None
    assert await store.saved_filters.of_owner("ana", limit=1, after=None) == [big]
    assert await store.saved_filters.of_owner("ana", limit=5, after=("big", big.id)) == [open_ones]
    assert not await store.saved_filters.delete(open_ones.id, "bob")
    assert await store.saved_filters.delete(open_ones.id, "ana")
    assert not await store.saved_filters.delete(open_ones.id, "ana")
    assert await store.saved_filters.of_owner("ana", limit=5, after=None) == [big]


async def test_numbers_count_per_year_and_per_kind(store: UnitOfWork) -> None:
    assert [await store.next_order_sequence(2026) for _ in range(3)] == [1, 2, 3]
    assert await store.next_order_sequence(2027) == 1
    assert await store.next_quote_sequence(2026) == 1
    assert await store.next_order_sequence(2026) == 4


# --- the timeline --------------------------------------------------------------------------------


def an_event(payload: Any, event_type: EventType, subject: str, at: datetime) -> CloudEvent[Any]:
    event = new_event(event_type, payload, source="/elsewhere", subject=subject)
    return event.model_copy(update={"time": at})


async def test_the_timeline_is_in_event_time_then_recording_order(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")
    order = an_order(acme, 1)
    await store.orders.add(order)
    late = T0 + timedelta(hours=2)
    ours = an_event(
        OrderCancelled(order_id=order.id, number=order.number, previous_status="draft"),
        EventType.ORDER_CANCELLED,
        order.id,
        late,
    )
    theirs = an_event(
        StockReleased(order_id=order.id, lines=[]), EventType.STOCK_RELEASED, order.id, T0
    )
    same_time = an_event(
        StockReleased(order_id=order.id, lines=[]), EventType.STOCK_RELEASED, order.id, late
    )
    await store.record(ours, summary="Order cancelled", order_id=order.id)
    await store.note_received(theirs, summary="Stock released " + "x" * 600, order_id=order.id)
    await store.note_received(same_time, summary="Released again", order_id=order.id)
    await store.note_received(theirs, summary="Delivered twice", order_id=order.id)
    await store.note(
        "orders.order.archived", summary="Archived", data={"n": "1"}, order_id=order.id
    )

    entries = await store.timeline(order.id)
    assert [(e.event_id, e.summary) for e in entries] == [
        (theirs.id, ("Stock released " + "x" * 600)[:500]),
        (ours.id, "Order cancelled"),
        (same_time.id, "Released again"),
        (entries[3].event_id, "Archived"),
    ]
    assert len(entries[0].summary) == 500
    assert entries[1].type == EventType.ORDER_CANCELLED
    assert entries[1].data == ours.data.model_dump(mode="json")
    assert entries[3].type == "orders.order.archived"
    assert entries[3].source == "/orders"
    assert entries[3].occurred_at > late
    assert await store.has_entry("orders.order.archived", {"n": "1"}, order_id=order.id)
    assert not await store.has_entry("orders.order.archived", {"n": "2"}, order_id=order.id)
    assert await store.has_entry(
        EventType.STOCK_RELEASED, {"order_id": order.id}, order_id=order.id
    )


async def test_a_quote_has_a_timeline_of_its_own(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")
    quote = a_quote(acme, 1)
    order = an_order(acme, 1)
    await store.quotes.add(quote)
    await store.orders.add(order)
    await store.note("orders.quote.created", summary="Created", data={}, quote_id=quote.id)
    await store.note("orders.order.copied", summary="Copied", data={}, order_id=order.id)
    assert [e.summary for e in await store.timeline(quote_id=quote.id)] == ["Created"]
    assert [e.summary for e in await store.timeline(order.id)] == ["Copied"]
    assert not await store.has_entry("orders.order.copied", {}, quote_id=quote.id)


async def test_event_numbers_and_stale_entries_read_back(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")
    order, other = an_order(acme, 1), an_order(acme, 2)
    for each in (order, other):
        await store.orders.add(each)
    cancelled = OrderCancelled(order_id=order.id, number=order.number, previous_status="draft")
    for subject in (order.id, other.id, order.id):  # our events: numbered per order
        await store.record(
            an_event(
                cancelled.model_copy(update={"order_id": subject}),
                EventType.ORDER_CANCELLED,
                subject,
                T0,
            ),
            summary="Order cancelled",
            order_id=subject,
        )
    late = an_event(
        StockReleased(order_id=order.id, lines=[]), EventType.STOCK_RELEASED, order.id, T0
    ).model_copy(update={"sequence": 4})
    await store.note_received(late, summary="Stale", order_id=order.id, stale=True)

    entries = await store.timeline(order.id)
    assert [(e.sequence, e.stale) for e in entries] == [(1, False), (2, False), (4, True)]
    assert [e.sequence for e in await store.timeline(other.id)] == [1]

    order.applied_sequences = {"/inventory": 4, "/billing": 2}
    await store.orders.save(order)
    found = await store.orders.get(order.id)
    assert found is not None
    assert found.applied_sequences == {"/inventory": 4, "/billing": 2}


async def test_nothing_to_ship_reads_back(store: UnitOfWork) -> None:
    [acme] = await customers(store, "acme")
    order = an_order(acme, 1)
    await store.orders.add(order)
    added = await store.orders.get(order.id)
    assert added is not None
    assert added.nothing_to_ship is False

    order.nothing_to_ship = True
    await store.orders.save(order)
    found = await store.orders.get(order.id)
    assert found is not None
    assert found.nothing_to_ship is True


# --- the catalogue view --------------------------------------------------------------------------


def a_level(sku: str, available: str, sequence: int | None) -> StockAvailability:
    return StockAvailability(
        sku=sku,
        warehouse="MAIN",
        on_hand=D(available) + 1,
        reserved=D(1),
        available=D(available),
        sequence=sequence,
    )


async def test_a_stock_level_moves_only_forwards(store: UnitOfWork) -> None:
    sku = f"LVL-{uuid.uuid4().hex[:8].upper()}"
    assert await store.catalogue.put_level_if_newer(a_level(sku, "7", 5))
    assert not await store.catalogue.put_level_if_newer(a_level(sku, "9", 4))  # older
    assert not await store.catalogue.put_level_if_newer(a_level(sku, "8", 5))  # the same
    assert (await store.catalogue.availability([sku]))[sku].available == D(7)

    assert await store.catalogue.put_level_if_newer(a_level(sku, "6", 6))
    assert await store.catalogue.put_level_if_newer(a_level(sku, "3", None))  # unnumbered: taken
    assert (await store.catalogue.availability([sku]))[sku].available == D(3)
    # After an unnumbered level, any numbered one is taken again.
    assert await store.catalogue.put_level_if_newer(a_level(sku, "2", 1))
    assert (await store.catalogue.availability([sku]))[sku].available == D(2)
