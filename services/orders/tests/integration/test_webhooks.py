"""Webhooks end to end: a real HTTP receiver on loopback gets signed deliveries of the facts
recorded by a running orders service (real PostgreSQL and Kafka), with retries, disabling,
manual redelivery and a timeout that does not stall the other deliveries."""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import hmac
import io
import itertools
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from standardwebhooks.webhooks import Webhook

from contracts import EventType, new_event
from contracts.events import StockReservationFailed
from orders.bootstrap import build_spec
from orders.config import OrdersSettings
from orders.entrypoints.cli import MIGRATIONS_DIR
from orders.entrypoints.exports_api import DELIVERY_COLUMNS, WEBHOOK_COLUMNS
from servicekit import dlq
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    bearer,
    eventually,
    service_with_input,
    settings_for_test,
)
from servicekit.topics import delete_topics, ensure_topics
from servicekit.webhooks import WebhookSettings

CREATED = EventType.ORDER_CREATED.value
HANG_SECONDS = 30.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    at: float


@dataclass
class Receiver:
    """An HTTP server on loopback: `/ok/...` answers 204, `/fail/...` 500 (until the path is
    put in `healed`), `/hang/...` never answers in time, `/redirect/...` answers 302."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    healed: set[str] = field(default_factory=set)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode()
            this = state["receiver"]
            this.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, 0.0)
            )
            this.received[-1].at = time.monotonic()
            if self.path.startswith("/hang/"):
                time.sleep(HANG_SECONDS)
                self.send_response(204)
            elif self.path.startswith("/redirect/"):
                self.send_response(302)
                self.send_header("location", "/ok/after-redirect")
            elif self.path.startswith("/fail/") and self.path not in this.healed:
                self.send_response(500)
            else:
                self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["receiver"] = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Service:
    client: httpx.AsyncClient
    kafka: KafkaSettings
    producer: AIOKafkaProducer


@contextlib.asynccontextmanager
async def running(
    kafka_bootstrap: str, databases: TemporaryDatabases, poll_interval_seconds: float
) -> AsyncIterator[Service]:
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}."
    )
    await ensure_topics(kafka)
    webhooks = WebhookSettings(
        allow_private_targets=True,  # the receiver is on loopback
        allow_http=True,
        timeout_seconds=2,
        max_attempts=5,
        first_backoff_seconds=0.3,
        max_backoff_seconds=2,
        disable_after_failures=3,
        poll_interval_seconds=poll_interval_seconds,
    )
    settings = await settings_for_test(
        OrdersSettings, databases, kafka, "orders", webhooks=webhooks, catalogue_required=False
    )
    try:
        async with service_with_input(build_spec(settings), MIGRATIONS_DIR) as (
            _,
            client,
            producer,
        ):
            yield Service(client, kafka, producer)
    finally:
        await delete_topics(kafka)


@pytest.fixture(scope="module")
async def service(kafka_bootstrap: str, databases: TemporaryDatabases) -> AsyncIterator[Service]:
    async with running(kafka_bootstrap, databases, poll_interval_seconds=0.1) as service:
        yield service


@pytest.fixture(scope="module")
async def slowly_polling(
    kafka_bootstrap: str, databases: TemporaryDatabases
) -> AsyncIterator[Service]:
    """A service whose dispatcher polls only once a minute: what it sends sooner, a NOTIFY
    woke it for."""
    async with running(kafka_bootstrap, databases, poll_interval_seconds=60) as service:
        yield service


async def subscribe(service: Service, url: str, *types: str) -> dict[str, Any]:
    response = await service.client.post(
        "/webhooks", json={"url": url, "event_types": list(types or (CREATED,))}
    )
    assert response.status_code == 201, response.text
    subscription: dict[str, Any] = response.json()
    return subscription


async def new_order(service: Service) -> dict[str, Any]:
    customer = await service.client.post(
        "/customers", json={"name": "Hooks GmbH", "email": f"h-{uuid.uuid4().hex[:8]}@example.com"}
    )
    assert customer.status_code == 201, customer.text
    body = {
        "customer_id": customer.json()["id"],
        "currency": "EUR",
        "lines": [
            {
                "sku": "BOLT-10",
                "kind": "product",
                "description": "Bolts",
                "quantity": "3",
                "unit_price": "2.50",
                "tax_rate": "21",
            }
        ],
    }
    order = await service.client.post("/orders", json=body)
    assert order.status_code == 201, order.text
    created: dict[str, Any] = order.json()
    return created


async def deliveries(service: Service, subscription_id: str) -> list[dict[str, Any]]:
    response = await service.client.get(f"/webhooks/{subscription_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def path_of(name: str) -> str:
    return f"/{name}/{uuid.uuid4().hex[:8]}"


async def test_a_receiver_gets_signed_deliveries_that_verify(
    service: Service, receiver: Receiver
) -> None:
    path = path_of("ok")
    subscription = await subscribe(service, receiver.url(path))
    secret = subscription["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in (await service.client.get(f"/webhooks/{subscription['id']}")).json()

    order = await new_order(service)
    [got] = await eventually(lambda: _async(receiver.at(path)))

    event = Webhook(secret).verify(got.body, got.headers)  # the reference implementation
    assert event["type"] == CREATED
    assert event["subject"] == order["id"]
    assert got.headers["webhook-id"] == event["id"]
    # The published algorithm, by hand: base64(HMAC-SHA256(key, "id.timestamp.body")).
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{got.headers['webhook-id']}.{got.headers['webhook-timestamp']}.{got.body}"
    digest = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    assert got.headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()

    [logged] = await eventually(lambda: _succeeded(service, subscription["id"]), within=10)
    assert logged["event_id"] == event["id"]
    assert logged["order_id"] == order["id"]
    assert (logged["attempts"], logged["last_status_code"]) == (1, 204)
    assert logged["response_ms"] is not None


async def test_a_failing_receiver_is_retried_with_backoff_then_disabled_and_redelivery_works(
    service: Service, receiver: Receiver
) -> None:
    path = path_of("fail")
    subscription = await subscribe(service, receiver.url(path))
    order = await new_order(service)

    async def disabled() -> dict[str, Any] | None:
        read = (await service.client.get(f"/webhooks/{subscription['id']}")).json()
        return None if read["active"] else read

    read = await eventually(disabled, within=20)
    assert read["consecutive_failures"] == 3
    assert read["disabled_reason"] == "3 consecutive failed delivery attempts"
    attempts = receiver.at(path)
    assert len(attempts) == 3
    assert len({a.headers["webhook-id"] for a in attempts}) == 1  # one message, retried
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.3 - 0.05  # never before its backoff: 0.3 s, then 0.6 s
    assert gaps[1] >= 0.6 - 0.05
    [logged] = await deliveries(service, subscription["id"])
    assert (logged["status"], logged["attempts"]) == ("pending", 3)
    assert (logged["last_status_code"], logged["last_error"]) == (500, "HTTP 500")

    async def announced() -> list[Any]:
        records = await dlq.read_topic(service.kafka, service.kafka.topic("orders.events"))
        return [r for r in records if r.key == subscription["id"].encode()]

    [record] = await eventually(announced)
    event = json.loads(record.value)
    assert event["type"] == EventType.WEBHOOK_DISABLED.value
    assert event["data"]["consecutive_failures"] == 3
    assert order["id"] not in record.value.decode()

    # The receiver is fixed; an administrator re-enables the subscription and redelivers.
    receiver.healed.add(path)
    enabled = await service.client.patch(f"/webhooks/{subscription['id']}", json={"active": True})
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["consecutive_failures"] == 0
    redelivered = await service.client.post(
        f"/webhooks/{subscription['id']}/deliveries/{logged['id']}/redeliver"
    )
    assert redelivered.status_code == 202, redelivered.text
    [done] = await eventually(lambda: _succeeded(service, subscription["id"]), within=10)
    assert done["last_error"] is None
    assert receiver.at(path)[-1].headers["webhook-id"] == attempts[0].headers["webhook-id"]


async def test_a_receiver_that_never_answers_times_out_without_stalling_the_others(
    service: Service, receiver: Receiver
) -> None:
    hanging = await subscribe(service, receiver.url(path_of("hang")))
    redirecting = await subscribe(service, receiver.url(path_of("redirect")))
    healthy_path = path_of("ok")
    healthy = await subscribe(service, receiver.url(healthy_path))
    await new_order(service)

    [ok] = await eventually(lambda: _succeeded(service, healthy["id"]), within=10)

    async def timed_out() -> list[dict[str, Any]]:
        return [d for d in await deliveries(service, hanging["id"]) if d["last_error"]]

    [slow] = await eventually(timed_out, within=15)
    assert slow["last_error"] == "no answer within 2s"
    assert slow["status"] == "pending"  # tried again after its backoff
    # Delivered while the other one hung, not after its timeout.
    assert datetime.fromisoformat(ok["delivered_at"]) < datetime.fromisoformat(
        slow["last_attempt_at"]
    )

    async def refused_redirect() -> list[dict[str, Any]]:
        return [d for d in await deliveries(service, redirecting["id"]) if d["last_error"]]

    [redirected] = await eventually(refused_redirect)
    assert redirected["last_status_code"] == 302
    assert "not followed" in redirected["last_error"]
    assert not receiver.at("/ok/after-redirect")


async def test_bad_subscriptions_are_refused_naming_the_field(service: Service) -> None:
    unknown = await service.client.post(
        "/webhooks", json={"url": "https://hooks.example.com/x", "event_types": ["suite.nope.v1"]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.event_types"

    not_http = await service.client.post(
        "/webhooks", json={"url": "ftp://127.0.0.1/x", "event_types": [CREATED]}
    )
    assert not_http.status_code == 422
    assert not_http.json()["errors"][0]["field"] == "body.url"
    listed = (await service.client.get("/webhooks")).json()["items"]
    assert all(item["url"] != "ftp://127.0.0.1/x" for item in listed)


async def _async(value: Any) -> Any:
    return value


async def _succeeded(service: Service, subscription_id: str) -> list[dict[str, Any]]:
    return [d for d in await deliveries(service, subscription_id) if d["status"] == "succeeded"]


async def test_an_order_backordered_by_inventory_is_a_webhook_of_its_own(
    service: Service, receiver: Receiver
) -> None:
    path = path_of("ok")
    subscription = await subscribe(service, receiver.url(path), EventType.ORDER_BACKORDERED.value)
    order = await new_order(service)
    confirmed = await service.client.post(f"/orders/{order['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    failed = StockReservationFailed(
        order_id=order["id"], shortages=[{"sku": "BOLT-10", "requested": "3", "available": "1"}]
    )
    cause = new_event(
        EventType.STOCK_RESERVATION_FAILED, failed, source="/inventory", subject=order["id"]
    )
    await service.producer.send_and_wait(
        service.kafka.topic("inventory.events"),
        value=cause.model_dump_json().encode(),
        key=order["id"].encode(),
    )

    [got] = await eventually(lambda: _async(receiver.at(path)))
    event = Webhook(subscription["secret"]).verify(got.body, got.headers)
    assert (event["type"], event["subject"]) == (EventType.ORDER_BACKORDERED.value, order["id"])
    assert event["causationid"] == cause.id
    assert event["data"]["fulfilment"] == "backordered"


async def test_a_new_delivery_and_a_redelivery_wake_the_dispatcher_long_before_its_poll(
    slowly_polling: Service, receiver: Receiver
) -> None:
    path = path_of("ok")
    subscription = await subscribe(slowly_polling, receiver.url(path))
    await new_order(slowly_polling)

    # The dispatcher's next poll is a minute away: only the NOTIFY of the order's transaction
    # can have it send within these 30 seconds.
    [got] = await eventually(lambda: _async(receiver.at(path)), within=30)
    [logged] = await eventually(lambda: _succeeded(slowly_polling, subscription["id"]), within=30)

    redelivered = await slowly_polling.client.post(
        f"/webhooks/{subscription['id']}/deliveries/{logged['id']}/redeliver"
    )
    assert redelivered.status_code == 202, redelivered.text
    again = await eventually(lambda: _async(receiver.at(path)[1:]), within=30)
    assert again[0].headers["webhook-id"] == got.headers["webhook-id"]


async def test_subscriptions_and_their_deliveries_export_for_administrators_only(
    service: Service, receiver: Receiver
) -> None:
    subscription = await subscribe(service, receiver.url(path_of("csv")))
    order = await new_order(service)
    [logged] = await eventually(lambda: _succeeded(service, subscription["id"]), within=10)

    response = await service.client.get("/exports/webhooks.csv")
    assert response.status_code == 200, response.text
    assert subscription["secret"] not in response.text  # never the secret
    reader = csv.DictReader(io.StringIO(response.text))
    assert tuple(reader.fieldnames or ()) == WEBHOOK_COLUMNS
    [row] = [r for r in reader if r["id"] == subscription["id"]]
    assert (row["url"], row["event_types"], row["active"]) == (
        subscription["url"],
        CREATED,
        "true",
    )

    path = f"/exports/webhooks/{subscription['id']}/deliveries.csv"

    async def rows(**params: str) -> list[dict[str, str]]:
        answer = await service.client.get(path, params=params)
        assert answer.status_code == 200, answer.text
        reader = csv.DictReader(io.StringIO(answer.text))
        assert tuple(reader.fieldnames or ()) == DELIVERY_COLUMNS
        return list(reader)

    [delivered] = await rows(status="succeeded")
    assert (delivered["id"], delivered["order_id"], delivered["last_status_code"]) == (
        logged["id"],
        order["id"],
        "204",
    )
    assert await rows(status="failed") == []
    unknown = await service.client.get(f"/exports/webhooks/{uuid.uuid4()}/deliveries.csv")
    assert unknown.status_code == 404
    for refused_path in ("/exports/webhooks.csv", path):
        refused = await service.client.get(refused_path, headers=bearer("sales"))
        assert refused.status_code == 403, refused_path
