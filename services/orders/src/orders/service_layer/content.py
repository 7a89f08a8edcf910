"""What orders and quotes are made of: their customer, addresses and opportunity, as given on
creation or in a change, checked and completed from what the customer and opportunity know."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orders.domain.addresses import AddressKind
from orders.domain.content import Address, LineInput, OpportunityRef, PaymentTerms, Recurring
from orders.domain.customer import Customer, Opportunity
from orders.domain.errors import InvalidOrder
from orders.service_layer.contacts import pick_contact
from orders.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class OpportunityInput:
    """An opportunity as a request names it; its customer, when given, is remembered."""

    id: str
    name: str
    customer_id: str | None = None


@dataclass(frozen=True)
class NewContent:
    """What orders and quotes are created from (the customer may come from the opportunity)."""

    customer_id: str | None
    currency: str
    lines: Sequence[LineInput]
    contact: str | None = None
    customer_reference: str | None = None
    description: str | None = None
    opening_text: str | None = None
    closing_text: str | None = None
    payment_terms: PaymentTerms | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    billing_address_id: str | None = None
    shipping_address_id: str | None = None
    opportunity: OpportunityInput | None = None
    template_id: str | None = None
    recurring: Recurring | None = None
    contact_id: str | None = None  # one of the customer's contacts, copied into `contact`


@dataclass(frozen=True)
class ResolvedContent:
    customer: Customer
    billing_address: Address | None
    shipping_address: Address | None
    opportunity: OpportunityRef | None
    contact: str | None = None

    def fields(self, new: NewContent) -> dict[str, Any]:
        """The domain content fields (CONTENT_FIELDS) of a new order or quote."""
        return {
            "customer_id": self.customer.id,
            "currency": new.currency,
            "contact": self.contact,
            "customer_reference": new.customer_reference,
            "description": new.description,
            "opening_text": new.opening_text,
            "closing_text": new.closing_text,
            "payment_terms": new.payment_terms,
            "billing_address": self.billing_address,
            "shipping_address": self.shipping_address,
            "opportunity": self.opportunity,
            "template_id": new.template_id,
            "recurring": new.recurring,
        }


async def pick_address(
    uow: UnitOfWork,
    customer_id: str | None,
    kind: AddressKind,
    inline: Address | None,
    address_id: str | None,
) -> Address | None:
    """The address given inline, or a copy of the customer's address `address_id`."""
    field = f"{kind.value}_address_id"
    if address_id is None:
        return inline
    if inline is not None:
        raise InvalidOrder(field, f"give either {kind.value}_address or {field}, not both")
    if customer_id is None:
        raise InvalidOrder(field, "choose the customer first")
    found = await uow.addresses.get(address_id)
    if found is None or found.customer_id != customer_id or found.kind is not kind:
        raise InvalidOrder(field, f"no {kind.value} address of this customer has this id")
    return found.address


async def remember_opportunity(
    uow: UnitOfWork, given: OpportunityInput, customer_id: str | None
) -> OpportunityRef:
    """Upsert the opportunity (with its customer when known) and return the reference."""
    if given.customer_id is not None and await uow.customers.get(given.customer_id) is None:
        raise InvalidOrder("opportunity.customer_id", "no customer has this id")
    await uow.opportunities.upsert(
        Opportunity(given.id, given.name, given.customer_id or customer_id)
    )
    return OpportunityRef(given.id, given.name)


async def customer_from_opportunity(uow: UnitOfWork, given: OpportunityInput | None) -> str | None:
    """The customer an opportunity names, or the one known from earlier orders and quotes."""
    if given is None:
        return None
    if given.customer_id is not None:
        return given.customer_id
    known = await uow.opportunities.get(given.id)
    return known.customer_id if known else None


async def resolve_content(uow: UnitOfWork, new: NewContent) -> ResolvedContent:
    """The customer (given, else the opportunity's), the addresses and the opportunity."""
    customer_id = new.customer_id or await customer_from_opportunity(uow, new.opportunity)
    if customer_id is None:
        raise InvalidOrder(
            "customer_id", "required, unless an opportunity with a known customer is given"
        )
    customer = await uow.customers.get(customer_id)
    field = "customer_id" if new.customer_id else "opportunity.customer_id"
    if customer is None:
        raise InvalidOrder(field, "no customer has this id")
    if customer.archived_at is not None:
        raise InvalidOrder(field, "the customer is archived")
    billing = await pick_address(
        uow, customer.id, AddressKind.BILLING, new.billing_address, new.billing_address_id
    )
    shipping = await pick_address(
        uow, customer.id, AddressKind.SHIPPING, new.shipping_address, new.shipping_address_id
    )
    billing = billing or customer.billing_address
    shipping = shipping or customer.shipping_address or billing
    opportunity = None
    if new.opportunity is not None:
        opportunity = await remember_opportunity(uow, new.opportunity, customer.id)
    contact = await pick_contact(uow, customer.id, new.contact, new.contact_id)
    return ResolvedContent(customer, billing, shipping, opportunity, contact)


async def resolve_changes(
    uow: UnitOfWork, current_customer_id: str | None, given: Mapping[str, Any]
) -> dict[str, Any]:
    """PATCH fields → domain changes: an opportunity may bring the customer, addresses picked
    by id are copied, and a new customer brings its addresses unless others are given."""
    changes = dict(given)
    opportunity: OpportunityInput | None = changes.pop("opportunity", None)
    if current_customer_id is None and "customer_id" not in changes:
        prefilled = await customer_from_opportunity(uow, opportunity)
        if prefilled is not None:
            changes["customer_id"] = prefilled
    customer_id = changes.get("customer_id", current_customer_id)
    new_customer = None
    if customer_id != current_customer_id:
        new_customer = await uow.customers.get(customer_id) if customer_id else None
        if new_customer is None:
            raise InvalidOrder("customer_id", "no customer has this id")
        if new_customer.archived_at is not None:
            raise InvalidOrder("customer_id", "the customer is archived")
    for kind in AddressKind:
        address_id = changes.pop(f"{kind.value}_address_id", None)
        if address_id is not None:
            changes[f"{kind.value}_address"] = await pick_address(
                uow, customer_id, kind, changes.get(f"{kind.value}_address"), address_id
            )
    contact_id = changes.pop("contact_id", None)
    if contact_id is not None:
        changes["contact"] = await pick_contact(
            uow, customer_id, changes.get("contact"), contact_id
        )
    if new_customer is not None:
        # Addresses not given follow the new customer, as they would on a new order.
        changes.setdefault("billing_address", new_customer.billing_address)
        changes.setdefault(
            "shipping_address", new_customer.shipping_address or changes["billing_address"]
        )
    if "opportunity" in given:
        changes["opportunity"] = (
            await remember_opportunity(uow, opportunity, customer_id) if opportunity else None
        )
    return changes
