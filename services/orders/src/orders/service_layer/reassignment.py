"""Use cases: give customers, quotes or orders (one or many at once) to another owner.

Each change goes on the record's timeline with who made it (the actor). A record the caller may
not see is unknown, and a bulk change naming one fails as a whole (nothing is changed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from orders.domain.customer import Customer
from orders.domain.order import Order
from orders.domain.quote import Quote
from orders.service_layer.customers import announce_customer, find_customer
from orders.service_layer.events import utcnow
from orders.service_layer.orders import get_order
from orders.service_layer.quotes import get_quote
from orders.service_layer.unit_of_work import UnitOfWork

Record = TypeVar("Record", Order, Quote, Customer)


@dataclass(frozen=True)
class Reassignment:
    owner: str
    team: str | None = None
    change_team: bool = False  # False: the record keeps its team; True: it gets `team`


def _summary(data: dict[str, Any]) -> str:
    summary = f"Reassigned from {data['from_owner'] or 'nobody'} to {data['to_owner']}"
    if data["from_team"] != data["to_team"]:
        summary += f" (team {data['from_team'] or 'none'} → {data['to_team'] or 'none'})"
    return summary


async def _reassign(
    uow: UnitOfWork,
    kind: str,
    ids: Sequence[str],
    reassignment: Reassignment,
    find: Callable[..., Awaitable[Record]],
    save: Callable[[Record], Awaitable[None]],
    announce: Callable[[UnitOfWork, Record], Awaitable[None]] | None = None,
) -> list[Record]:
    """`find(uow, id, for_update=True)` each record (visible to the caller, or it is unknown)."""
    changed: list[Record] = []
    for record_id in dict.fromkeys(ids):  # each once, in the order given
        record = await find(uow, record_id, for_update=True)
        before = (record.owner, record.team)
        record.owner = reassignment.owner
        if reassignment.change_team:
            record.team = reassignment.team
        if (record.owner, record.team) != before:
            record.updated_at = utcnow()
            await save(record)
            data = {
                f"{kind}_id": record.id,
                "from_owner": before[0],
                "to_owner": record.owner,
                "from_team": before[1],
                "to_team": record.team,
            }
            await uow.note(
                f"orders.{kind}.reassigned",
                summary=_summary(data),
                data=data,
                **{f"{kind}_id": record.id},
            )
            if announce is not None:
                await announce(uow, record)
        changed.append(record)
    return changed


async def reassign_orders(
    uow: UnitOfWork, ids: Sequence[str], reassignment: Reassignment
) -> list[Order]:
    return await _reassign(uow, "order", ids, reassignment, get_order, uow.orders.save)


async def reassign_quotes(
    uow: UnitOfWork, ids: Sequence[str], reassignment: Reassignment
) -> list[Quote]:
    return await _reassign(uow, "quote", ids, reassignment, get_quote, uow.quotes.save)


async def reassign_customers(
    uow: UnitOfWork, ids: Sequence[str], reassignment: Reassignment
) -> list[Customer]:
    return await _reassign(
        uow, "customer", ids, reassignment, find_customer, uow.customers.save, announce_customer
    )
