"""JSON Schema export of the event contracts, and the check that a change stays additive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.envelope import event_model
from contracts.events import EventType

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def event_schema(event_type: EventType) -> dict[str, Any]:
    """The JSON Schema of a whole event (envelope and payload) of one type."""
    model = event_model(event_type)
    schema = model.model_json_schema(mode="serialization")
    schema["title"] = event_type.value
    schema["properties"]["type"] = {"const": event_type.value, "title": "Type", "type": "string"}
    return schema


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write one `<type>.json` per event type; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type in EventType:
        path = directory / f"{event_type.value}.json"
        path.write_text(json.dumps(event_schema(event_type), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "$") -> list[str]:
    """Differences between two schemas that could break a reader or writer of `old`.

    Allowed (additive): new optional properties, new `$defs`, changed titles/descriptions.
    Everything else is reported: a removed property, a changed required set, a changed type,
    enum, const, pattern or bound.
    """
    problems: list[str] = []
    ignored = {
        "title",
        "description",
        "properties",
        "required",
        "$defs",
        "items",
        "anyOf",
        "allOf",
        "oneOf",
        "default",
        "examples",
    }
    for keyword in sorted((set(old) | set(new)) - ignored):
        if old.get(keyword) != new.get(keyword):
            problems.append(
                f"{where}: '{keyword}' changed from {old.get(keyword)!r} to {new.get(keyword)!r}"
            )
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}.{name}: property removed")
        else:
            problems.extend(breaking_changes(old_prop, new_props[name], f"{where}.{name}"))
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(new_required - old_required):
        problems.append(f"{where}.{name}: became required")
    for name in sorted(old_required - new_required):
        problems.append(f"{where}.{name}: no longer required")
    for keyword in ("anyOf", "allOf", "oneOf"):
        old_alts, new_alts = old.get(keyword, []), new.get(keyword, [])
        if len(old_alts) != len(new_alts):
            problems.append(f"{where}: '{keyword}' alternatives changed")
        else:
            for i, (o, n) in enumerate(zip(old_alts, new_alts, strict=True)):
                problems.extend(breaking_changes(o, n, f"{where}.{keyword}[{i}]"))
    if "items" in old or "items" in new:
        problems.extend(breaking_changes(old.get("items", {}), new.get("items", {}), f"{where}[]"))
    for name, old_def in old.get("$defs", {}).items():
        new_def = new.get("$defs", {}).get(name)
        if new_def is None:
            problems.append(f"{where}.$defs.{name}: definition removed")
        else:
            problems.extend(breaking_changes(old_def, new_def, f"{where}.$defs.{name}"))
    return problems
