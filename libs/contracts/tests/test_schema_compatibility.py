"""The committed JSON Schemas are the public contract: changes must stay additive."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, create_model

from contracts import EventType, event_model
from contracts.cli import check
from contracts.schemas import SCHEMA_DIR, breaking_changes, event_schema, export


def test_every_event_type_has_a_committed_schema_compatible_with_the_models() -> None:
    assert check(SCHEMA_DIR) == []


def test_export_writes_one_schema_per_event_type(tmp_path: Path) -> None:
    written = export(tmp_path)
    assert {p.name for p in written} == {f"{t.value}.json" for t in EventType}
    schema = json.loads((tmp_path / "suite.order.confirmed.v1.json").read_text())
    assert schema["properties"]["type"]["const"] == "suite.order.confirmed.v1"
    assert {"id", "source", "specversion", "type", "data"} <= set(schema["properties"])


def _schema(**fields: Any) -> dict[str, Any]:
    model: type[BaseModel] = create_model("Payload", **fields)
    return model.model_json_schema(mode="serialization")


BASE = {"order_id": (str, ...), "amount": (Decimal, ...), "note": (str | None, None)}


def test_adding_an_optional_field_is_allowed() -> None:
    new = _schema(**BASE, extra=(str | None, None))
    assert breaking_changes(_schema(**BASE), new) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"order_id": None}, "order_id: property removed"),
        ({"extra": (str, ...)}, "extra: became required"),
        ({"note": (str, ...)}, "note: became required"),
        ({"amount": (int, ...)}, "amount"),
        ({"order_id": (str, Field(max_length=5))}, "maxLength"),
    ],
)
def test_breaking_changes_are_reported(change: dict[str, Any], expected: str) -> None:
    fields = {**BASE, **change}
    new = _schema(**{name: spec for name, spec in fields.items() if spec is not None})
    problems = breaking_changes(_schema(**BASE), new)
    assert any(expected in problem for problem in problems), problems


def test_a_changed_committed_schema_fails_the_check(tmp_path: Path) -> None:
    export(tmp_path)
    path = tmp_path / "suite.order.cancelled.v1.json"
    committed = json.loads(path.read_text())
    committed["$defs"]["OrderCancelled"]["properties"]["legacy_field"] = {"type": "string"}
    path.write_text(json.dumps(committed))
    assert check(tmp_path) == [
        "suite.order.cancelled.v1: $.$defs.OrderCancelled.legacy_field: property removed"
    ]


def test_an_event_round_trips_through_json() -> None:
    model = event_model(EventType.STOCK_RESERVED)
    event = model.model_validate(
        {
            "source": "/inventory",
            "type": EventType.STOCK_RESERVED.value,
            "subject": "o-1",
            "data": {"order_id": "o-1", "lines": [{"sku": "A-1", "quantity": "2.5"}]},
        }
    )
    again = model.model_validate_json(event.model_dump_json())
    assert again == event
    assert json.loads(event.model_dump_json())["data"]["lines"][0]["quantity"] == "2.5"
    assert event_schema(EventType.STOCK_RESERVED)["title"] == EventType.STOCK_RESERVED.value
