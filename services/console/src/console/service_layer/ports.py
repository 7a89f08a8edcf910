"""The port the views need: the four services' public APIs, called as the signed-in user.

`SuiteApi` is implemented over HTTP in `adapters.suite_http` and by an in-memory fake in the
unit tests. Every method takes the user's bearer token: the services enforce the permissions.
Results are the services' JSON documents as they are (dicts); a refusal is a `ServiceError`
carrying the service's problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

Json = dict[str, Any]
Params = Mapping[str, str | int | None]


@dataclass
class ServiceError(Exception):
    """An RFC 9457 problem a service answered with (or one describing why none answered)."""

    status: int
    title: str
    detail: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)
    service: str = ""

    def __str__(self) -> str:
        return self.detail or self.title

    def field_errors(self) -> dict[str, str]:
        """Message per field path (`lines.0.quantity`), for showing next to the field."""
        messages: dict[str, str] = {}
        for error in self.errors:
            name = str(error.get("field", "")).removeprefix("body.")
            if name:
                messages.setdefault(name, str(error.get("message", "invalid")))
        return messages


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str


class SuiteApi(Protocol):
    # orders
    async def list_orders(self, token: str, params: Params) -> Json: ...
    async def get_order(self, token: str, order_id: str) -> Json: ...
    async def create_order(self, token: str, body: Json, idempotency_key: str) -> Json: ...
    async def order_action(self, token: str, order_id: str, action: str, body: Json) -> Json: ...
    async def order_timeline(self, token: str, order_id: str) -> list[Json]: ...
    async def list_customers(self, token: str, params: Params) -> Json: ...
    async def get_customer(self, token: str, customer_id: str) -> Json: ...
    async def create_customer(self, token: str, body: Json, idempotency_key: str) -> Json: ...
    async def customer_orders(self, token: str, customer_id: str, params: Params) -> Json: ...

    # inventory
    async def list_products(self, token: str, params: Params) -> Json: ...
    async def get_product(self, token: str, sku: str) -> Json | None: ...
    async def get_stock(self, token: str, sku: str) -> Json | None: ...
    async def create_shipment(self, token: str, body: Json, idempotency_key: str) -> Json: ...

    # billing
    async def list_invoices(self, token: str, params: Params) -> Json: ...
    async def get_invoice(self, token: str, invoice_id: str) -> Json: ...
    async def record_payment(
        self, token: str, invoice_id: str, body: Json, idempotency_key: str
    ) -> Json: ...
    async def list_receivables(self, token: str, params: Params) -> Json: ...

    # documents
    async def list_documents(self, token: str, params: Params) -> Json: ...
    async def document_content(self, token: str, document_id: str) -> Download: ...
