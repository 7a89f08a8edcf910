"""`SuiteApi` over the services' HTTP APIs (httpx), one connection pool per service."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from console.config import ConsoleSettings
from console.service_layer.ports import SERVICES, Download, Json, Params, Service, ServiceError


def _clean(params: Params) -> dict[str, str | int]:
    return {key: value for key, value in params.items() if value not in (None, "")}


class HttpSuiteApi:
    def __init__(
        self, settings: ConsoleSettings, transport: httpx.AsyncBaseTransport | None = None
    ):
        timeout = httpx.Timeout(settings.request_timeout_seconds)
        self._clients: dict[str, httpx.AsyncClient] = {
            name: httpx.AsyncClient(base_url=url, timeout=timeout, transport=transport)
            for name, url in zip(
                SERVICES,
                (
                    settings.orders_url,
                    settings.inventory_url,
                    settings.billing_url,
                    settings.documents_url,
                ),
                strict=True,
            )
        }

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def _call(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        *,
        params: Params | None = None,
        json: Json | None = None,
        idempotency_key: str | None = None,
        upload: Download | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if upload is not None:
            headers["Content-Type"] = upload.content_type
        try:
            response = await self._clients[service].request(
                method,
                path,
                params=_clean(params or {}),
                json=json,
                content=upload.content if upload is not None else None,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise ServiceError(
                503, "Service unavailable", f"the {service} service did not answer ({exc})"
            ) from exc
        if response.status_code >= 400:
            raise _problem(service, response)
        return response

    async def _json(self, service: str, method: str, path: str, token: str, **kw: Any) -> Any:
        return (await self._call(service, method, path, token, **kw)).json()

    async def _optional(self, service: str, path: str, token: str) -> Json | None:
        try:
            found: Json = await self._json(service, "GET", path, token)
        except ServiceError as exc:
            if exc.status in (404, 422):  # none, or not even a valid key (a name typed)
                return None
            raise
        return found

    async def read(
        self, token: str, service: Service, path: str, params: Params | None = None
    ) -> Any:
        return await self._json(service, "GET", path, token, params=params)

    async def command(
        self,
        token: str,
        service: Service,
        path: str,
        body: Json | None = None,
        *,
        method: str = "POST",
        idempotency_key: str | None = None,
    ) -> Any:
        response = await self._call(
            service, method, path, token, json=body, idempotency_key=idempotency_key
        )
        return response.json() if response.content else {}

    async def download(self, token: str, service: Service, path: str) -> Download:
        response = await self._call(service, "GET", path, token)
        disposition = response.headers.get("content-disposition", "")
        filename = disposition.partition("filename=")[2].split(";")[0].strip('"')
        return Download(
            response.content,
            response.headers.get("content-type", "application/octet-stream"),
            filename or path.rsplit("/", 1)[-1],
        )

    async def upload(
        self,
        token: str,
        service: Service,
        path: str,
        upload: Download,
        params: Params | None = None,
    ) -> Any:
        return await self._json(service, "POST", path, token, params=params, upload=upload)

    # orders
    async def list_orders(self, token: str, params: Params) -> Json:
        page: Json = await self._json("orders", "GET", "/orders", token, params=params)
        return page

    async def get_order(self, token: str, order_id: str) -> Json:
        order: Json = await self._json("orders", "GET", f"/orders/{_seg(order_id)}", token)
        return order

    async def create_order(self, token: str, body: Json, idempotency_key: str) -> Json:
        order: Json = await self._json(
            "orders", "POST", "/orders", token, json=body, idempotency_key=idempotency_key
        )
        return order

    async def order_action(self, token: str, order_id: str, action: str, body: Json) -> Json:
        path = f"/orders/{_seg(order_id)}/{_seg(action)}"
        order: Json = await self._json("orders", "POST", path, token, json=body)
        return order

    async def order_timeline(self, token: str, order_id: str) -> list[Json]:
        path = f"/orders/{_seg(order_id)}/timeline"
        timeline = await self._json("orders", "GET", path, token)
        entries: list[Json] = timeline["items"]
        return entries

    async def list_customers(self, token: str, params: Params) -> Json:
        page: Json = await self._json("orders", "GET", "/customers", token, params=params)
        return page

    async def get_customer(self, token: str, customer_id: str) -> Json:
        customer: Json = await self._json("orders", "GET", f"/customers/{_seg(customer_id)}", token)
        return customer

    async def create_customer(self, token: str, body: Json, idempotency_key: str) -> Json:
        customer: Json = await self._json(
            "orders", "POST", "/customers", token, json=body, idempotency_key=idempotency_key
        )
        return customer

    async def customer_orders(self, token: str, customer_id: str, params: Params) -> Json:
        path = f"/customers/{_seg(customer_id)}/orders"
        page: Json = await self._json("orders", "GET", path, token, params=params)
        return page

    async def list_quotes(self, token: str, params: Params) -> Json:
        page: Json = await self._json("orders", "GET", "/quotes", token, params=params)
        return page

    async def sales_report(self, token: str, params: Params) -> Json:
        report: Json = await self._json("orders", "GET", "/reports/sales", token, params=params)
        return report

    async def list_stages(self, token: str) -> Json:
        stages: Json = await self._json("orders", "GET", "/stages", token)
        return stages

    async def list_saved_filters(self, token: str) -> Json:
        params = {"limit": 100}
        page: Json = await self._json("orders", "GET", "/saved-filters", token, params=params)
        return page

    async def create_saved_filter(self, token: str, body: Json, idempotency_key: str) -> Json:
        saved: Json = await self._json(
            "orders", "POST", "/saved-filters", token, json=body, idempotency_key=idempotency_key
        )
        return saved

    async def saved_filter_orders(self, token: str, filter_id: str, params: Params) -> Json:
        path = f"/saved-filters/{_seg(filter_id)}/orders"
        page: Json = await self._json("orders", "GET", path, token, params=params)
        return page

    # inventory
    async def list_products(self, token: str, params: Params) -> Json:
        page: Json = await self._json("inventory", "GET", "/products", token, params=params)
        return page

    async def get_product(self, token: str, sku: str) -> Json | None:
        return await self._optional("inventory", f"/products/{_seg(sku)}", token)

    async def get_stock(self, token: str, sku: str) -> Json | None:
        return await self._optional("inventory", f"/stock/{_seg(sku)}", token)

    async def create_shipment(self, token: str, body: Json, idempotency_key: str) -> Json:
        shipment: Json = await self._json(
            "inventory", "POST", "/shipments", token, json=body, idempotency_key=idempotency_key
        )
        return shipment

    async def list_shipments(self, token: str, params: Params) -> Json:
        page: Json = await self._json("inventory", "GET", "/shipments", token, params=params)
        return page

    async def stock_movements(self, token: str, sku: str, params: Params) -> Json:
        path = f"/stock/{_seg(sku)}/movements"
        page: Json = await self._json("inventory", "GET", path, token, params=params)
        return page

    async def adjust_stock(self, token: str, body: Json, idempotency_key: str) -> Json:
        adjustment: Json = await self._json(
            "inventory",
            "POST",
            "/stock/adjustments",
            token,
            json=body,
            idempotency_key=idempotency_key,
        )
        return adjustment

    async def list_purchase_orders(self, token: str, params: Params) -> Json:
        page: Json = await self._json("inventory", "GET", "/purchase-orders", token, params=params)
        return page

    async def list_vendors(self, token: str, params: Params) -> Json:
        page: Json = await self._json("inventory", "GET", "/vendors", token, params=params)
        return page

    # billing
    async def list_invoices(self, token: str, params: Params) -> Json:
        page: Json = await self._json("billing", "GET", "/invoices", token, params=params)
        return page

    async def get_invoice(self, token: str, invoice_id: str) -> Json:
        invoice: Json = await self._json("billing", "GET", f"/invoices/{_seg(invoice_id)}", token)
        return invoice

    async def record_payment(
        self, token: str, invoice_id: str, body: Json, idempotency_key: str
    ) -> Json:
        path = f"/invoices/{_seg(invoice_id)}/payments"
        payment: Json = await self._json(
            "billing", "POST", path, token, json=body, idempotency_key=idempotency_key
        )
        return payment

    async def list_payments(self, token: str, params: Params) -> Json:
        page: Json = await self._json("billing", "GET", "/payments", token, params=params)
        return page

    async def list_receivables(self, token: str, params: Params) -> Json:
        page: Json = await self._json("billing", "GET", "/receivables", token, params=params)
        return page

    # documents
    async def list_documents(self, token: str, params: Params) -> Json:
        page: Json = await self._json("documents", "GET", "/documents", token, params=params)
        return page

    async def document_content(self, token: str, document_id: str) -> Download:
        found = await self.download(token, "documents", f"/documents/{_seg(document_id)}/content")
        if found.filename == "content":
            return Download(found.content, found.content_type, f"{document_id}.pdf")
        return found

    async def email_document(
        self, token: str, document_id: str, body: Json, idempotency_key: str
    ) -> Json:
        path = f"/documents/{_seg(document_id)}/email"
        email: Json = await self._json(
            "documents", "POST", path, token, json=body, idempotency_key=idempotency_key
        )
        return email


def _seg(value: str) -> str:
    """One path segment: whatever a person typed cannot reach another route."""
    return quote(value, safe="")


def _problem(service: str, response: httpx.Response) -> ServiceError:
    body: Any = None
    if response.headers.get("content-type", "").split(";")[0].endswith("json"):
        try:
            body = response.json()
        except ValueError:
            body = None
    if not isinstance(body, dict):
        body = {}
    errors = body.get("errors")
    return ServiceError(
        status=response.status_code,
        title=str(body.get("title") or response.reason_phrase or "Error"),
        detail=str(body.get("detail") or ""),
        errors=errors if isinstance(errors, list) else [],
        service=service,
    )
