"""Rules of quotes, stages and approval, addresses, copies and recurring billing (pure domain)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from orders.domain.addresses import AddressBook, AddressKind, CustomerAddress
from orders.domain.content import (
    CONTENT_FIELDS,
    Address,
    LineInput,
    LineKind,
    OpportunityRef,
    PaymentTerms,
    RecurrenceFrequency,
    Recurring,
    build_lines,
    content_of,
)
from orders.domain.errors import IllegalTransition, InvalidOrder, MissingFields, NotAllowed
from orders.domain.order import BLANKED_ON_COPY, Order, OrderStatus
from orders.domain.pipeline import Pipeline, Stage, decide_approval, move_to_stage
from orders.domain.quote import Quote, QuoteStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
HOME = Address("Calle Mayor 1", "28013", "Madrid", "ES")


def some_lines() -> list[LineInput]:
    return [LineInput("SKU-1", LineKind.SERVICE, "Work", D("2"), D("10.00"), D("21"))]


def an_order(**fields: object) -> Order:
    values: dict[str, object] = {
        "id": "o-1",
        "number": "SO-2026-000001",
        "customer_id": "c-1",
        "currency": "EUR",
        "order_date": TODAY,
        "lines": build_lines(some_lines()),
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Order(**values)  # type: ignore[arg-type]


def a_quote(**fields: object) -> Quote:
    values: dict[str, object] = {
        "id": "q-1",
        "number": "QT-2026-000001",
        "customer_id": "c-1",
        "currency": "EUR",
        "quote_date": TODAY,
        "valid_until": TODAY + timedelta(days=10),
        "lines": build_lines(some_lines()),
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Quote(**values)  # type: ignore[arg-type]


# --- quotes --------------------------------------------------------------------------------------


def test_a_quote_goes_from_draft_to_sent_to_accepted() -> None:
    quote = a_quote()
    quote.send(TODAY, NOW)
    assert (quote.status, quote.sent_at) == (QuoteStatus.SENT, NOW)
    quote.accept(TODAY, NOW)
    assert quote.status_on(TODAY) is QuoteStatus.ACCEPTED
    quote.ensure_convertible(TODAY)


def test_a_sent_quote_expires_after_its_validity_date_on_read() -> None:
    quote = a_quote()
    quote.send(TODAY, NOW)
    last_day = quote.valid_until
    assert quote.status_on(last_day) is QuoteStatus.SENT  # valid through its last day
    later = last_day + timedelta(days=1)
    assert quote.status_on(later) is QuoteStatus.EXPIRED
    assert quote.status is QuoteStatus.SENT  # nothing stored changes
    with pytest.raises(IllegalTransition) as refused:
        quote.accept(later, NOW)
    assert refused.value.status is QuoteStatus.EXPIRED
    with pytest.raises(IllegalTransition):
        quote.reject(later, NOW, None)
    assert quote.status is QuoteStatus.SENT


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (QuoteStatus.DRAFT, "accept"),
        (QuoteStatus.DRAFT, "reject"),
        (QuoteStatus.DRAFT, "convert"),
        (QuoteStatus.SENT, "send"),
        (QuoteStatus.SENT, "convert"),
        (QuoteStatus.SENT, "edit"),
        (QuoteStatus.ACCEPTED, "reject"),
        (QuoteStatus.ACCEPTED, "send"),
        (QuoteStatus.REJECTED, "accept"),
        (QuoteStatus.REJECTED, "convert"),
    ],
)
def test_illegal_quote_transitions_change_nothing(status: QuoteStatus, action: str) -> None:
    quote = a_quote(status=status)
    with pytest.raises(IllegalTransition, match="quote"):
        _do(quote, action)
    assert (quote.status, quote.contact, quote.decided_at) == (status, None, None)


def _do(quote: Quote, action: str) -> None:
    if action == "send":
        quote.send(TODAY, NOW)
    elif action == "accept":
        quote.accept(TODAY, NOW)
    elif action == "reject":
        quote.reject(TODAY, NOW, "no")
    elif action == "convert":
        quote.ensure_convertible(TODAY)
    else:
        quote.revise({"contact": "X"}, None, TODAY)


def test_a_quote_is_valid_from_its_date_and_cannot_be_sent_once_past() -> None:
    with pytest.raises(InvalidOrder) as raised:
        a_quote(valid_until=TODAY - timedelta(days=1))
    assert raised.value.field == "valid_until"
    stale = a_quote(quote_date=TODAY - timedelta(days=40), valid_until=TODAY - timedelta(days=10))
    with pytest.raises(InvalidOrder, match="valid_until"):
        stale.send(TODAY, NOW)
    assert stale.status is QuoteStatus.DRAFT
    with pytest.raises(InvalidOrder):
        a_quote().revise({"valid_until": TODAY - timedelta(days=1)}, None, TODAY)


def test_recurring_billing_ends_after_it_starts() -> None:
    Recurring(RecurrenceFrequency.MONTHLY, date(2027, 1, 1))
    Recurring(RecurrenceFrequency.YEARLY, date(2027, 1, 1), date(2027, 1, 2))
    for end in (date(2027, 1, 1), date(2026, 12, 31)):
        with pytest.raises(InvalidOrder) as raised:
            Recurring(RecurrenceFrequency.MONTHLY, date(2027, 1, 1), end)
        assert raised.value.field == "recurring.end"


# --- copies and confirmation ---------------------------------------------------------------------


def test_a_copy_blanks_exactly_customer_contact_and_opportunity() -> None:
    order = an_order(
        contact="Ana",
        opportunity=OpportunityRef("OPP-1", "Deal"),
        template_id="tpl",
        payment_terms=PaymentTerms(14, "Net 14"),
        description="Text",
    )
    copied = content_of(order, blank=BLANKED_ON_COPY)
    assert {name for name, value in copied.items() if value is None} >= BLANKED_ON_COPY
    assert {n for n in CONTENT_FIELDS if copied[n] != getattr(order, n)} == BLANKED_ON_COPY


def test_confirming_needs_a_customer_and_changes_nothing_without_one() -> None:
    order = an_order(customer_id=None)
    with pytest.raises(MissingFields) as raised:
        order.confirm()
    assert raised.value.fields == ["customer_id"]
    assert order.status is OrderStatus.DRAFT


def test_only_concluded_or_cancelled_orders_are_archived() -> None:
    order = an_order(status=OrderStatus.OPEN)
    with pytest.raises(IllegalTransition):
        order.archive(NOW)
    order.cancel("x")
    order.archive(NOW)
    assert order.archived
    with pytest.raises(IllegalTransition):
        order.archive(NOW)
    order.unarchive()
    with pytest.raises(IllegalTransition):
        order.unarchive()


# --- stages and approval -------------------------------------------------------------------------

PIPELINE = Pipeline(
    [
        Stage("qualification", "Qualification", 1, allowed_roles=("sales",)),
        Stage("approval", "Approval", 2, allowed_roles=("accounting",), is_approval=True),
        Stage(
            "execution",
            "Execution",
            3,
            required_fields=("contact", "contract_number", "payment_terms"),
            allowed_roles=("sales",),
        ),
    ]
)


def test_a_stage_names_every_missing_field_in_a_fixed_order() -> None:
    order = an_order(status=OrderStatus.OPEN, approval=None)
    approve = decide_approval(
        order, PIPELINE, {"accounting"}, approved=True, reason=None, actor="carol", now=NOW
    )
    assert (approve, order.stage) == (None, "approval")
    with pytest.raises(MissingFields) as raised:
        move_to_stage(order, PIPELINE, "execution", {"sales"})
    assert raised.value.fields == ["contract_number", "payment_terms", "contact"]
    assert order.stage == "approval"
    order.contract_number, order.contact = "K-1", "Ana"
    order.payment_terms = PaymentTerms(30)
    assert move_to_stage(order, PIPELINE, "execution", {"sales"}) == "approval"
    assert order.stage == "execution"


@pytest.mark.parametrize(
    ("stage", "roles", "status", "error"),
    [
        ("nowhere", {"admin"}, OrderStatus.OPEN, IllegalTransition),
        ("approval", {"admin"}, OrderStatus.OPEN, IllegalTransition),  # only by approving
        ("qualification", {"warehouse"}, OrderStatus.OPEN, NotAllowed),
        ("qualification", {"sales"}, OrderStatus.DRAFT, IllegalTransition),
        ("qualification", {"sales"}, OrderStatus.CONCLUDED, IllegalTransition),
        ("execution", {"admin"}, OrderStatus.OPEN, IllegalTransition),  # not approved yet
    ],
)
def test_refused_stage_moves_change_nothing(
    stage: str, roles: set[str], status: OrderStatus, error: type[Exception]
) -> None:
    order = an_order(status=status)
    with pytest.raises(error):
        move_to_stage(order, PIPELINE, stage, roles)
    assert order.stage is None


def test_admin_may_move_into_any_stage_and_the_same_stage_twice_is_refused() -> None:
    order = an_order(status=OrderStatus.OPEN)
    move_to_stage(order, PIPELINE, "qualification", {"admin"})
    with pytest.raises(IllegalTransition, match="already"):
        move_to_stage(order, PIPELINE, "qualification", {"sales"})


def test_a_refused_approval_cancels_the_order_with_its_reason() -> None:
    order = an_order(status=OrderStatus.OPEN, stage="qualification")
    with pytest.raises(NotAllowed):
        decide_approval(order, PIPELINE, {"sales"}, approved=False, reason="x", actor="a", now=NOW)
    with pytest.raises(InvalidOrder) as raised:
        decide_approval(
            order, PIPELINE, {"accounting"}, approved=False, reason=None, actor="c", now=NOW
        )
    assert raised.value.field == "reason"
    assert order.status.value == "open"
    decide_approval(
        order, PIPELINE, {"accounting"}, approved=False, reason="too risky", actor="c", now=NOW
    )
    assert order.status.value == "cancelled"
    assert order.cancellation_reason == "Approval refused: too risky"
    assert order.approval is not None
    assert not order.approval.approved
    assert order.stage == "qualification"


def test_without_an_approval_stage_there_is_nothing_to_decide() -> None:
    order = an_order(status=OrderStatus.OPEN)
    with pytest.raises(IllegalTransition, match="no approval stage"):
        decide_approval(
            order, Pipeline([]), {"admin"}, approved=True, reason=None, actor="a", now=NOW
        )


@pytest.mark.parametrize(
    ("stages", "field"),
    [
        ([Stage("a", "A", 1), Stage("a", "B", 2)], "1.key"),
        ([Stage("a", "A", 1), Stage("b", "B", 1)], "1.position"),
        ([Stage("A-1", "A", 1)], "0.key"),
        ([Stage("a", "A", 1, required_fields=("colour",))], "0.required_fields"),
        (
            [Stage("a", "A", 1, is_approval=True), Stage("b", "B", 2, is_approval=True)],
            "1.is_approval",
        ),
    ],
)
def test_an_ambiguous_stage_list_is_refused(stages: list[Stage], field: str) -> None:
    with pytest.raises(InvalidOrder) as raised:
        Pipeline.checked(stages)
    assert raised.value.field == field


# --- addresses -----------------------------------------------------------------------------------


def address(
    address_id: str, kind: AddressKind, minute: int, *, is_default: bool = False
) -> CustomerAddress:
    at = NOW + timedelta(minutes=minute)
    line1 = f"Street {address_id}"
    return CustomerAddress(
        address_id, "c-1", kind, replace(HOME, line1=line1), at, at, is_default=is_default
    )


def defaults(book: AddressBook) -> dict[AddressKind, str | None]:
    return {kind: (d.id if (d := book.default(kind)) else None) for kind in AddressKind}


def test_the_first_address_of_a_kind_is_its_default_and_a_new_default_takes_over() -> None:
    book = AddressBook("c-1", [])
    book.add(address("b1", AddressKind.BILLING, 1))
    book.add(address("s1", AddressKind.SHIPPING, 2))
    book.add(address("s2", AddressKind.SHIPPING, 3))
    assert defaults(book) == {AddressKind.BILLING: "b1", AddressKind.SHIPPING: "s1"}
    book.add(address("s3", AddressKind.SHIPPING, 4, is_default=True))
    assert defaults(book)[AddressKind.SHIPPING] == "s3"
    book.change("s2", {"is_default": True}, NOW)
    assert defaults(book)[AddressKind.SHIPPING] == "s2"
    assert sum(a.is_default for a in book.addresses) == 2


def test_removing_or_undefaulting_the_default_hands_it_to_the_oldest_other() -> None:
    book = AddressBook(
        "c-1",
        [
            address("s2", AddressKind.SHIPPING, 2),
            address("s1", AddressKind.SHIPPING, 1, is_default=True),
            address("s3", AddressKind.SHIPPING, 3),
        ],
    )
    book.change("s1", {"is_default": False}, NOW)
    assert defaults(book)[AddressKind.SHIPPING] == "s2"
    book.remove("s2")
    assert defaults(book)[AddressKind.SHIPPING] == "s1"
    assert book.removed == {"s2"}
    book.change("s1", {"kind": AddressKind.BILLING}, NOW)  # its new kind had none: default there
    assert defaults(book) == {AddressKind.BILLING: "s1", AddressKind.SHIPPING: "s3"}
    only = AddressBook("c-1", [address("b1", AddressKind.BILLING, 1, is_default=True)])
    only.change("b1", {"is_default": False}, NOW)
    assert defaults(only)[AddressKind.BILLING] == "b1"  # the only one of its kind stays default
