"""Pure parts of the kit: parsing, retry timing, cursors, problem responses, Kafka settings."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

import httpx
import pytest
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from faststream.security import SASLScram512
from pydantic import BaseModel, Field, ValidationError

from contracts import EventType, UnknownEventType, new_event
from contracts.events import StockReleased
from servicekit.consumer import RetryPolicy, parse_event
from servicekit.db import json_column_text
from servicekit.http import (
    Conflict,
    InvalidInput,
    decode_cursor,
    encode_cursor,
    install_problem_handlers,
    json_text,
    request_fingerprint,
)
from servicekit.settings import KafkaSettings


def released_event_json() -> bytes:
    event = new_event(
        EventType.STOCK_RELEASED,
        StockReleased(order_id="o-1", lines=[]),
        source="/inventory",
        subject="o-1",
    )
    return event.model_dump_json().encode()


def test_parse_event_types_the_payload() -> None:
    event = parse_event(released_event_json())
    assert isinstance(event.data, StockReleased)
    assert event.subject == "o-1"
    assert event.correlationid == event.id  # a new flow correlates with itself


def test_parse_event_refuses_unknown_types_and_bad_payloads() -> None:
    raw = json.loads(released_event_json())
    with pytest.raises(UnknownEventType, match="unknown event type") as unknown:
        parse_event(json.dumps({**raw, "type": "suite.nope.v1"}).encode())
    assert (unknown.value.event_type, unknown.value.from_the_suite) == ("suite.nope.v1", True)
    with pytest.raises(UnknownEventType) as outsider:
        parse_event(json.dumps({**raw, "type": "nope", "source": "/shop"}).encode())
    assert outsider.value.from_the_suite is False
    with pytest.raises(ValidationError, match="order_id"):
        parse_event(json.dumps({**raw, "data": {"lines": []}}).encode())
    with pytest.raises(ValidationError):
        parse_event(b"{not json")
    with pytest.raises(ValueError, match="empty"):
        parse_event(b"")


def test_parse_event_ignores_unknown_fields_from_newer_producers() -> None:
    raw = json.loads(released_event_json())
    raw["data"]["added_later"] = 1
    raw["newextension"] = "x"
    event = parse_event(json.dumps(raw).encode())
    assert event.data == StockReleased(order_id="o-1", lines=[])


def test_retry_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=5, backoff_seconds=0.5, max_backoff_seconds=3)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


class Colour(StrEnum):
    RED = "red"


class Line(BaseModel):
    sku: str
    quantity: Decimal
    due: date


def fingerprint_through_jsonable_encoder(body: object) -> str:
    """How fingerprints were taken before JSON-ready bodies skipped jsonable_encoder."""
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize(
    "body",
    [
        # A JSON-ready body, as routes pass it (`model_dump(mode="json")`).
        Line(sku="SKU-1", quantity=Decimal("2.50"), due=date(2026, 12, 1)).model_dump(mode="json")
        | {"notes": ["Zoë", "東京"], "discount": 0.5, "rush": True, "contact": None, "n": {"1": 2}},
        # Not JSON-ready: decimals, dates, ids, enums and models inside.
        {
            "quantity": Decimal("2.50"),
            "when": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
            "id": uuid.UUID(int=7),
            "colour": Colour.RED,
            "lines": (Line(sku="SKU-1", quantity=Decimal("1"), due=date(2026, 1, 2)),),
        },
    ],
    ids=["json-ready", "needs-encoding"],
)
def test_a_request_fingerprint_is_the_one_taken_through_jsonable_encoder(body: object) -> None:
    # Keys remembered before a deploy must still match the retries sent after it.
    assert request_fingerprint(body) == fingerprint_through_jsonable_encoder(body)


def test_json_text_encodes_what_json_cannot_take_as_it_is() -> None:
    assert json.loads(json_text({"amount": Decimal("2.50"), "on": date(2026, 12, 1)})) == {
        "amount": 2.5,
        "on": "2026-12-01",
    }
    assert json_text({"b": 1, "a": [1, "x"]}, sort_keys=True) == '{"a": [1, "x"], "b": 1}'


def test_cursor_round_trip_and_garbage() -> None:
    position = {"created_at": "2026-01-01T00:00:00+00:00", "id": "abc"}
    assert decode_cursor(encode_cursor(position)) == position
    assert decode_cursor(None) is None
    with pytest.raises(InvalidInput) as caught:
        decode_cursor("%%%not-a-cursor")
    assert caught.value.errors == [
        {"field": "query.cursor", "message": "not a cursor this service issued"}
    ]


class Thing(BaseModel):
    quantity: int = Field(gt=0)


def problem_app() -> httpx.AsyncClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    @app.post("/things/{name}/close")
    async def close(name: str) -> None:
        raise Conflict(f"thing {name} is already closed", status="closed", action="close")

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_validation_errors_are_problem_json_naming_the_field() -> None:
    async with problem_app() as client:
        response = await client.post("/things", json={"quantity": 0})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Invalid input"
    assert [e["field"] for e in body["errors"]] == ["body.quantity"]


async def test_domain_conflicts_and_unknown_routes_are_problem_json() -> None:
    async with problem_app() as client:
        conflict = await client.post("/things/a/close")
        missing = await client.get("/nowhere")
        broken = await client.get("/broken")
    assert conflict.status_code == 409
    assert conflict.json()["status"] == 409  # an extension never overrides a standard member
    assert conflict.json()["action"] == "close"
    assert conflict.json()["detail"] == "thing a is already closed"
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert broken.status_code == 500
    assert broken.headers["content-type"] == "application/problem+json"
    assert "bug" not in broken.text  # internals are logged, not shown


def test_scram_settings_reach_both_clients() -> None:
    settings = KafkaSettings(
        bootstrap_servers="k1:9092,k2:9092",
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="orders",
        sasl_password="s3cret",
        topic_prefix="staging.",
    )
    client = settings.client_options()
    assert client["bootstrap_servers"] == ["k1:9092", "k2:9092"]
    assert client["sasl_mechanism"] == "SCRAM-SHA-512"
    assert client["sasl_plain_password"] == "s3cret"
    broker = settings.broker_options()
    assert isinstance(broker["security"], SASLScram512)
    assert "s3cret" not in repr(settings)
    assert settings.topic("orders.events") == "staging.orders.events"


def test_json_columns_are_written_as_the_standard_library_would_read_them() -> None:
    values: list[object] = [
        {"street": "Hafenstraße 5", "lines": [1, 2.5, None, True], "nested": {"k": {}}},
        {1: "a", 2.5: "b", None: "c", False: "d"},  # keys that are not text become text
        ["x", {"y": []}],
        None,
    ]
    for value in values:
        assert json.loads(json_column_text(value)) == json.loads(json.dumps(value))
    assert list(json.loads(json_column_text({"b": 1, "a": 2}))) == ["b", "a"]  # in the order given
    with pytest.raises(TypeError):
        json_column_text({"amount": Decimal("1.50")})  # money is text in JSON, never a float
    with pytest.raises(TypeError):
        json_column_text({"count": 2**64})  # read back, it would be a float
