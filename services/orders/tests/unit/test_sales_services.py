"""Use cases of quotes, copies, opportunities, stages, addresses and e-mails (in-memory)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import a_customer, document_generated

from contracts import EventType, new_event
from contracts.events import DocumentEmailed
from orders.domain.addresses import AddressKind
from orders.domain.content import (
    Address,
    LineInput,
    LineKind,
    PaymentTerms,
    RecurrenceFrequency,
    Recurring,
)
from orders.domain.errors import IllegalTransition, InvalidOrder, MissingFields
from orders.domain.order import OrderStatus
from orders.domain.pipeline import Stage
from orders.domain.quote import QuoteStatus
from orders.service_layer import addresses, customers, orders, pipeline, quotes, reactions
from orders.service_layer.content import OpportunityInput

HOME = Address("Calle Mayor 1", "28013", "Madrid", "ES")
DEPOT = Address("Polígono 7", "28500", "Arganda", "ES")


def lines() -> list[LineInput]:
    return [LineInput("SKU-1", LineKind.SERVICE, "Work", D("3"), D("19.99"), D("21"), D("5"))]


def content(customer_id: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "lines": lines(),
        "contact": "Ana",
        "customer_reference": "PO-1",
        "description": "Maintenance",
        "opening_text": "Hello",
        "closing_text": "Bye",
        "payment_terms": PaymentTerms(14, "Net 14"),
        "shipping_address": DEPOT,
        "opportunity": OpportunityInput("OPP-1", "Deal"),
        "template_id": "tpl-1",
        "recurring": Recurring(RecurrenceFrequency.YEARLY, date(2027, 1, 1)),
        **extra,
    }


async def test_an_accepted_quote_converts_into_a_draft_with_its_content(uow: Any) -> None:
    customer = await a_customer(uow, billing_address=HOME)
    quote = await quotes.create_quote(uow, quotes.NewQuote(**content(customer.id)))
    assert quote.number.startswith("QT-")
    assert quote.number.endswith("-000001")
    assert quote.valid_until == quote.quote_date + quotes.DEFAULT_VALIDITY
    sent = await quotes.send_quote(uow, quote.id, correlation_id="c-1")
    assert sent.status is QuoteStatus.SENT
    [event] = uow.outbox
    assert (event.type, event.subject, event.correlationid) == (
        EventType.QUOTE_SENT,
        quote.id,
        "c-1",
    )
    assert (event.data.content.order_id, event.data.content.number) == (quote.id, quote.number)
    assert event.data.content.recurring.frequency == "yearly"
    await quotes.accept_quote(uow, quote.id)

    converted, order = await quotes.convert_quote(uow, quote.id)
    assert (order.status, order.quote_id) == (OrderStatus.DRAFT, quote.id)
    for field in (
        "customer_id",
        "currency",
        "contact",
        "customer_reference",
        "description",
        "opening_text",
        "closing_text",
        "payment_terms",
        "billing_address",
        "shipping_address",
        "opportunity",
        "template_id",
        "recurring",
    ):
        assert getattr(order, field) == getattr(quote, field), field
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("SKU-1", D("3"), D("19.99"))
    ]
    assert order.totals == quote.totals
    assert [(o.id, o.number) for o in converted.orders] == [(order.id, order.number)]
    assert (await quotes.get_quote(uow, quote.id)).orders == converted.orders
    assert [e.type for e in uow.outbox[-2:]] == [
        EventType.ORDER_CREATED,
        EventType.QUOTE_CONVERTED,
    ]
    assert [e.type for e in await uow.timeline(quote_id=quote.id)] == [
        "orders.quote.created",
        EventType.QUOTE_SENT,
        EventType.QUOTE_ACCEPTED,
        EventType.QUOTE_CONVERTED,
    ]


async def test_a_quotes_outcome_is_published_with_the_change(uow: Any) -> None:
    customer = await a_customer(uow, billing_address=HOME)
    won = await quotes.create_quote(uow, quotes.NewQuote(**content(customer.id)))
    await quotes.send_quote(uow, won.id)
    await quotes.accept_quote(uow, won.id, correlation_id="c-2")
    accepted = uow.outbox[-1]
    assert (accepted.type, accepted.subject, accepted.correlationid) == (
        EventType.QUOTE_ACCEPTED,
        won.id,
        "c-2",
    )
    assert (accepted.data.quote_id, accepted.data.number) == (won.id, won.number)
    _, first = await quotes.convert_quote(uow, won.id)
    _, second = await quotes.convert_quote(uow, won.id)
    conversions = [e.data for e in uow.outbox if e.type == EventType.QUOTE_CONVERTED]
    assert [(c.quote_id, c.order_id, c.order_number) for c in conversions] == [
        (won.id, first.id, first.number),
        (won.id, second.id, second.number),
    ]

    lost = await quotes.create_quote(uow, quotes.NewQuote(**content(customer.id)))
    await quotes.send_quote(uow, lost.id)
    await quotes.reject_quote(uow, lost.id, "Too expensive")
    rejected = uow.outbox[-1]
    assert (rejected.type, rejected.subject) == (EventType.QUOTE_REJECTED, lost.id)
    assert (rejected.data.number, rejected.data.reason) == (lost.number, "Too expensive")
    timeline = await uow.timeline(quote_id=lost.id)
    assert (timeline[-1].type, timeline[-1].summary) == (
        EventType.QUOTE_REJECTED,
        "Quote rejected: Too expensive",
    )

    published = len(uow.outbox)
    with pytest.raises(IllegalTransition):
        await quotes.accept_quote(uow, lost.id)  # decided already: nothing recorded
    with pytest.raises(IllegalTransition):
        await quotes.convert_quote(uow, lost.id)
    assert len(uow.outbox) == published


async def test_a_copy_is_announced_once_it_has_a_customer(uow: Any) -> None:
    customer = await a_customer(uow, billing_address=HOME)
    original = await orders.create_order(uow, orders.NewOrder(**content(customer.id)))
    copy = await orders.copy_order(uow, original.id)
    assert (copy.customer_id, copy.contact, copy.opportunity) == (None, None, None)
    assert (copy.description, copy.payment_terms) == (original.description, original.payment_terms)
    assert uow.published_types() == [EventType.ORDER_CREATED]  # the original's only
    with pytest.raises(MissingFields):
        await orders.confirm_order(uow, copy.id)

    await orders.revise_order(uow, copy.id, {"description": "Still no customer"}, None)
    assert uow.published_types() == [EventType.ORDER_CREATED]
    revised = await orders.revise_order(uow, copy.id, {"customer_id": customer.id}, None)
    assert revised.billing_address == HOME  # the new customer's addresses, as on a new order
    assert uow.published_types() == [EventType.ORDER_CREATED, EventType.ORDER_CREATED]
    assert uow.outbox[-1].subject == copy.id
    await orders.revise_order(uow, copy.id, {"contact": "Luis"}, None)
    assert len(uow.outbox) == 2
    confirmed = await orders.confirm_order(uow, copy.id)
    assert confirmed.status is OrderStatus.OPEN


async def test_an_opportunity_remembers_its_customer_for_later_orders(uow: Any) -> None:
    customer = await a_customer(uow, billing_address=HOME)
    opportunity = OpportunityInput("OPP-9", "Fleet")
    with pytest.raises(InvalidOrder) as raised:
        await orders.create_order(
            uow,
            orders.NewOrder(
                customer_id=None, currency="EUR", lines=lines(), opportunity=opportunity
            ),
        )
    assert raised.value.field == "customer_id"
    await orders.create_order(
        uow,
        orders.NewOrder(
            customer_id=customer.id, currency="EUR", lines=lines(), opportunity=opportunity
        ),
    )
    later = await orders.create_order(
        uow,
        orders.NewOrder(customer_id=None, currency="EUR", lines=lines(), opportunity=opportunity),
    )
    assert later.customer_id == customer.id
    assert (await uow.opportunities.get("OPP-9")).customer_id == customer.id


async def test_stage_changes_and_a_refused_approval_are_published(uow: Any) -> None:
    await pipeline.replace_stages(
        uow,
        [
            Stage("review", "Review", 1, allowed_roles=("sales",)),
            Stage("approval", "Approval", 2, allowed_roles=("accounting",), is_approval=True),
        ],
    )
    customer = await a_customer(uow, billing_address=HOME)
    order = await orders.create_order(
        uow, orders.NewOrder(customer_id=customer.id, currency="EUR", lines=lines())
    )
    await orders.confirm_order(uow, order.id)
    uow.actor = "alice"
    moved = await pipeline.move_order(uow, order.id, "review", "ready", {"sales"})
    assert moved.stage == "review"
    event = uow.outbox[-1]
    assert event.type == EventType.ORDER_STAGE_CHANGED
    assert (event.data.from_stage, event.data.to_stage, event.data.reason) == (
        None,
        "review",
        "ready",
    )
    entry = (await uow.timeline(order.id))[-1]
    assert (entry.summary, entry.actor) == ("Stage (none) → Review: ready", "alice")

    uow.actor = "carol"
    refused = await pipeline.decide_approval(
        uow, order.id, approved=False, reason="no budget", roles={"accounting"}, actor="carol"
    )
    assert refused.status is OrderStatus.CANCELLED
    cancelled = uow.outbox[-1]
    assert cancelled.type == EventType.ORDER_CANCELLED
    assert (cancelled.data.previous_status, cancelled.data.reason) == (
        "open",
        "Approval refused: no budget",
    )


async def test_addresses_keep_the_customers_defaults_in_step(uow: Any) -> None:
    customer = await a_customer(uow, billing_address=HOME)
    [billing] = await addresses.list_addresses(uow, customer.id)
    assert (billing.kind, billing.is_default, billing.address) == (AddressKind.BILLING, True, HOME)
    depot = await addresses.add_address(
        uow, customer.id, addresses.NewAddress(AddressKind.SHIPPING, DEPOT, "Depot")
    )
    assert (await customers.get_customer(uow, customer.id)).shipping_address == DEPOT
    await addresses.change_address(uow, customer.id, depot.id, {}, {"city": "Getafe"})
    stored = await customers.get_customer(uow, customer.id)
    assert stored.shipping_address is not None
    assert stored.shipping_address.city == "Getafe"
    await addresses.remove_address(uow, customer.id, depot.id)
    assert (await customers.get_customer(uow, customer.id)).shipping_address is None


async def test_an_emailed_document_is_recorded_once_with_its_label(uow: Any) -> None:
    customer = await a_customer(uow, billing_address=HOME)
    order = await orders.create_order(
        uow, orders.NewOrder(customer_id=customer.id, currency="EUR", lines=lines())
    )
    generated = document_generated(order.id, "INV-1")
    await reactions.document_generated(
        uow,
        new_event(EventType.DOCUMENT_GENERATED, generated, source="/documents", subject=order.id),
    )
    payload = DocumentEmailed(
        email_id=str(uuid.uuid4()),
        document_id="doc-1",
        order_id=order.id,
        to=["ana@example.com", "luis@example.com"],
        subject="Invoice",
        status="sent",
        attempts=1,
    )
    for _ in range(2):  # the same e-mail reported twice, under two event ids
        await reactions.document_emailed(
            uow,
            new_event(EventType.DOCUMENT_EMAILED, payload, source="/documents", subject=order.id),
        )
    summaries = [
        e.summary for e in await uow.timeline(order.id) if e.type == EventType.DOCUMENT_EMAILED
    ]
    assert summaries == ["Invoice e-mailed to ana@example.com, luis@example.com"]
    with pytest.raises(orders.OrderNotFound):
        await reactions.document_emailed(
            uow,
            new_event(
                EventType.DOCUMENT_EMAILED,
                payload.model_copy(update={"order_id": str(uuid.uuid4())}),
                source="/documents",
                subject="x",
            ),
        )
