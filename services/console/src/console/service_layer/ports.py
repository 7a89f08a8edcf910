"""The port the views need: the four services' public APIs, called as the signed-in user.

`SuiteApi` is implemented over HTTP in `adapters.suite_http` and by an in-memory fake in the
unit tests. Every method takes the user's bearer token: the services enforce the permissions.
Results are the services' JSON documents as they are (dicts); a refusal is a `ServiceError`
carrying the service's problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import quote

Json = dict[str, Any]
Params = Mapping[str, str | int | None]
Service = Literal["orders", "inventory", "billing", "documents"]
SERVICES: tuple[Service, ...] = ("orders", "inventory", "billing", "documents")


def path(template: str, *segments: object) -> str:
    """`path("/quotes/{}/send", quote_id)`: each segment quoted, so whatever a person typed
    cannot reach another route."""
    return template.format(*(quote(str(segment), safe="") for segment in segments))


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
    # any resource of the four services: the pages call `read`/`command` with the path
    async def read(
        self, token: str, service: Service, path: str, params: Params | None = None
    ) -> Any: ...
    async def command(
        self,
        token: str,
        service: Service,
        path: str,
        body: Json | None = None,
        *,
        method: str = "POST",
        idempotency_key: str | None = None,
    ) -> Any: ...
    async def download(self, token: str, service: Service, path: str) -> Download: ...
    async def upload(
        self,
        token: str,
        service: Service,
        path: str,
        upload: Download,
        params: Params | None = None,
    ) -> Any: ...

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
    async def list_saved_filters(self, token: str) -> Json: ...
    async def list_quotes(self, token: str, params: Params) -> Json: ...
    async def list_stages(self, token: str) -> Json: ...
    async def sales_report(self, token: str, params: Params) -> Json: ...
    async def create_saved_filter(self, token: str, body: Json, idempotency_key: str) -> Json: ...
    async def saved_filter_orders(self, token: str, filter_id: str, params: Params) -> Json: ...

    # inventory
    async def list_products(self, token: str, params: Params) -> Json: ...
    async def get_product(self, token: str, sku: str) -> Json | None: ...
    async def get_stock(self, token: str, sku: str) -> Json | None: ...
    async def create_shipment(self, token: str, body: Json, idempotency_key: str) -> Json: ...
    async def list_shipments(self, token: str, params: Params) -> Json: ...
    async def stock_movements(self, token: str, sku: str, params: Params) -> Json: ...
    async def adjust_stock(self, token: str, body: Json, idempotency_key: str) -> Json: ...
    async def list_purchase_orders(self, token: str, params: Params) -> Json: ...
    async def list_vendors(self, token: str, params: Params) -> Json: ...

    # billing
    async def list_invoices(self, token: str, params: Params) -> Json: ...
    async def get_invoice(self, token: str, invoice_id: str) -> Json: ...
    async def record_payment(
        self, token: str, invoice_id: str, body: Json, idempotency_key: str
    ) -> Json: ...
    async def list_receivables(self, token: str, params: Params) -> Json: ...
    async def list_payments(self, token: str, params: Params) -> Json: ...

    # documents
    async def list_documents(self, token: str, params: Params) -> Json: ...
    async def document_content(self, token: str, document_id: str) -> Download: ...
    async def email_document(
        self, token: str, document_id: str, body: Json, idempotency_key: str
    ) -> Json: ...
