"""Event handlers: what other services and systems tell us about orders.

Each runs inside the consumer's transaction (with the inbox row). An event about an order this
service does not have, or an inbound order that breaks our rules, can never succeed: it is
dead-lettered at once (PermanentError) rather than retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters.repository import SqlUnitOfWork
from orders.domain.model import InvalidOrder
from orders.service_layer import quotes, services
from orders.service_layer.unit_of_work import AbstractUnitOfWork
from servicekit.consumer import PermanentError

UseCase = Callable[[AbstractUnitOfWork, CloudEvent[Any]], Awaitable[object]]


async def _run(use_case: UseCase, event: CloudEvent[Any], session: AsyncSession) -> None:
    try:
        await use_case(SqlUnitOfWork(session), event)
    except services.OrderNotFound as exc:
        raise PermanentError(
            f"{event.type} {event.id} is about order {exc.order_id}, unknown to this service"
        ) from exc
    except services.QuoteNotFound as exc:
        raise PermanentError(
            f"{event.type} {event.id} is about quote {exc.quote_id}, unknown to this service"
        ) from exc
    except InvalidOrder as exc:
        raise PermanentError(f"{event.type} {event.id} is invalid: {exc}") from exc


async def handle_order_submitted(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.submit_order, event, session)


async def handle_stock_reserved(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.stock_reserved, event, session)


async def handle_stock_reservation_failed(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.stock_reservation_failed, event, session)


async def handle_stock_released(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.stock_released, event, session)


async def handle_shipment_dispatched(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.shipment_dispatched, event, session)


async def handle_invoice_issued(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.invoice_issued, event, session)


async def handle_payment_received(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.payment_received, event, session)


async def handle_document_generated(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.document_generated, event, session)


async def handle_quote_document_generated(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(quotes.quote_document_generated, event, session)


async def handle_document_emailed(event: CloudEvent[Any], session: AsyncSession) -> None:
    await _run(services.document_emailed, event, session)
