"""Billing's view of who owns each customer (orders' record owners, ADR 18), kept from
`suite.customer.changed.v1`, and who may read which customer's receivables and statements.

Billing knows no owners of its own: what a salesperson sees of receivables is the customers
orders says they (or their team) own. A customer the view does not know yet (created before
orders announced customers, or its event not consumed yet) is seen only by roles that see all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from contracts import CloudEvent
from contracts.events import CustomerChanged
from servicekit.unit_of_work import RecordsEvents
from servicekit.visibility import Viewer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerOwner:
    customer_id: str
    name: str
    owner: str | None
    team: str | None
    sequence: int | None = None


class CustomerOwners(Protocol):
    async def get(self, customer_id: str) -> CustomerOwner | None: ...

    async def put(self, owner: CustomerOwner) -> bool:
        """Keep `owner` unless a newer sequence is kept already; whether it was kept."""
        ...


class CustomerOwnersUnitOfWork(RecordsEvents, Protocol):
    @property
    def customer_owners(self) -> CustomerOwners: ...


class CustomerNotVisible(LookupError):
    """The viewer may not see the customer (answered as unknown: 404)."""


async def customer_changed(
    uow: CustomerOwnersUnitOfWork, event: CloudEvent[CustomerChanged]
) -> None:
    data = event.data
    kept = await uow.customer_owners.put(
        CustomerOwner(
            customer_id=data.customer_id,
            name=data.name,
            owner=data.owner,
            team=data.team,
            sequence=event.sequence,
        )
    )
    if not kept:
        log.info(
            "customer %s: event %s is older than the view, ignored", data.customer_id, event.id
        )


async def visible_owner(
    uow: CustomerOwnersUnitOfWork, customer_id: str, viewer: Viewer
) -> CustomerOwner | None:
    """The customer's owner as the view knows it; raises CustomerNotVisible when the viewer
    may not see the customer."""
    owner = await uow.customer_owners.get(customer_id)
    if viewer.sees_all:
        return owner
    if owner is None or not viewer.sees(owner.owner, owner.team):
        raise CustomerNotVisible(customer_id)
    return owner
