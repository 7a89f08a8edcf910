"""Use cases of a customer's later life: change it, archive and restore it, delete it, and the
duplicates people are warned about (the same tax id or e-mail address as another customer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orders.domain.customer import Customer
from orders.domain.errors import Conflicting
from orders.domain.tax_ids import normalised_tax_id
from orders.service_layer.customer_groups import require_group
from orders.service_layer.customers import announce_customer, find_customer
from orders.service_layer.events import utcnow
from orders.service_layer.ownership import current_viewer
from orders.service_layer.unit_of_work import UnitOfWork

CHANGEABLE = frozenset({"name", "email", "group", "tax_id"})


@dataclass(frozen=True)
class DuplicateWarning:
    """Other customers share the tax id or e-mail address: perhaps the same one twice."""

    field: str
    message: str
    customer_ids: list[str]  # those of them the caller may see


async def duplicates_of(uow: UnitOfWork, customer: Customer) -> list[DuplicateWarning]:
    others = await uow.customers.with_tax_id_or_email(
        customer.tax_id, customer.email, besides=customer.id
    )
    viewer = current_viewer()
    warnings = []
    for field, same in (
        ("tax_id", [c for c in others if customer.tax_id and c.tax_id == customer.tax_id]),
        ("email", [c for c in others if c.email.lower() == customer.email.lower()]),
    ):
        if same:
            warnings.append(
                DuplicateWarning(
                    field=field,
                    message=f"{len(same)} other customer(s) have this {field.replace('_', ' ')}",
                    customer_ids=[c.id for c in same if viewer.sees(c.owner, c.team)],
                )
            )
    return warnings


async def change_customer(
    uow: UnitOfWork, customer_id: str, changes: Mapping[str, Any]
) -> Customer:
    """Change name, e-mail, group or tax id (null clears group and tax id); 409 while archived.
    The change goes on the customer's timeline, field by field."""
    customer = await find_customer(uow, customer_id, for_update=True)
    if customer.archived_at is not None:
        raise Conflicting("the customer is archived: restore it first")
    given = {name: value for name, value in changes.items() if name in CHANGEABLE}
    if "group" in given:
        await require_group(uow, given["group"])
    if given.get("tax_id") is not None:
        country = customer.billing_address.country if customer.billing_address else None
        given["tax_id"] = normalised_tax_id(given["tax_id"], country)
    changed = {
        name: {"from": getattr(customer, name), "to": value}
        for name, value in given.items()
        if getattr(customer, name) != value
    }
    for name, value in given.items():
        setattr(customer, name, value)
    if changed:
        customer.updated_at = utcnow()
        await uow.customers.save(customer)
        await uow.note(
            "orders.customer.changed",
            summary="Changed: "
            + ", ".join(f"{n} {c['from'] or '—'} → {c['to'] or '—'}" for n, c in changed.items()),
            data={"customer_id": customer.id, "changes": changed},
            customer_id=customer.id,
        )
        if "name" in changed:
            await announce_customer(uow, customer)
    return customer


async def archive_customer(uow: UnitOfWork, customer_id: str, *, archived: bool) -> Customer:
    """Archive a customer (it leaves the default lists and takes no new orders or quotes), or
    restore it; 409 when it already is so."""
    customer = await find_customer(uow, customer_id, for_update=True)
    if (customer.archived_at is not None) == archived:
        state = "archived" if archived else "not archived"
        raise Conflicting(f"the customer is {state} already")
    now = utcnow()
    customer.archived_at = now if archived else None
    customer.updated_at = now
    await uow.customers.save(customer)
    action = "archived" if archived else "restored"
    await uow.note(
        f"orders.customer.{action}",
        summary=f"Customer {action}",
        data={"customer_id": customer.id},
        customer_id=customer.id,
    )
    await announce_customer(uow, customer)
    return customer


async def delete_customer(uow: UnitOfWork, customer_id: str) -> None:
    """Delete a customer no order or quote names (409 otherwise: archive it instead)."""
    customer = await find_customer(uow, customer_id, for_update=True)
    if await uow.customers.has_orders(customer.id):
        raise Conflicting("orders or quotes name the customer: archive it instead")
    await uow.customers.delete(customer.id)
