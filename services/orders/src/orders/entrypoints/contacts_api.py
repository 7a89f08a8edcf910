"""A customer's contacts over HTTP (orders and quotes pick one with `contact_id`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.contacts import Contact
from orders.entrypoints import contacts_schemas
from orders.entrypoints.common import PROBLEMS, SALES, created_once, creating, run_query
from orders.service_layer import contacts
from servicekit.api import ErrorTable, IdempotencyKey, problems_from
from servicekit.http import NotFound

router = APIRouter(tags=["customers"])

NOT_FOUND: ErrorTable = {contacts.ContactNotFound: NotFound}


def contact_read(contact: Contact) -> contacts_schemas.ContactRead:
    return contacts_schemas.ContactRead(
        id=contact.id,
        customer_id=contact.customer_id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        position=contact.position,
        label=contact.label,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


@creating(router, "/customers/{customer_id}/contacts", contacts_schemas.ContactRead)
async def add_contact(
    customer_id: str,
    body: contacts_schemas.ContactCreate,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Add a contact person to the customer."""
    new = contacts.NewContact(**body.model_dump())

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        return contact_read(await contacts.add_contact(uow, customer_id, new))

    return await created_once(
        request,
        scope="contacts",
        key=idempotency_key,
        body={"customer_id": customer_id, **body.model_dump(mode="json")},
        create=create,
    )


@router.get(
    "/customers/{customer_id}/contacts",
    response_model=contacts_schemas.ContactPage,
    responses=PROBLEMS,
)
async def list_contacts(customer_id: str, request: Request) -> contacts_schemas.ContactPage:
    """The customer's contacts by name (never more than one page)."""
    found = await run_query(request, contacts.list_contacts, customer_id)
    return contacts_schemas.ContactPage(items=[contact_read(c) for c in found], next_cursor=None)


@router.patch(
    "/customers/{customer_id}/contacts/{contact_id}",
    dependencies=SALES,
    response_model=contacts_schemas.ContactRead,
    responses=PROBLEMS,
)
async def change_contact(
    customer_id: str,
    contact_id: uuid.UUID,
    body: contacts_schemas.ContactUpdate,
    request: Request,
) -> contacts_schemas.ContactRead:
    """Change a contact. Orders and quotes keep the copy they took."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    with problems_from(NOT_FOUND):
        changed = await run_query(
            request, contacts.change_contact, customer_id, str(contact_id), changes
        )
    return contact_read(changed)


@router.delete(
    "/customers/{customer_id}/contacts/{contact_id}",
    dependencies=SALES,
    status_code=204,
    responses=PROBLEMS,
)
async def delete_contact(customer_id: str, contact_id: uuid.UUID, request: Request) -> Response:
    """Delete a contact; orders and quotes keep the copy they took."""
    with problems_from(NOT_FOUND):
        await run_query(request, contacts.remove_contact, customer_id, str(contact_id))
    return Response(status_code=204)
