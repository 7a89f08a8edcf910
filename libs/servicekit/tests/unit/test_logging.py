"""The JSON log lines: the fields docs/operating.md promises, extras, and tracebacks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from servicekit.observability import JsonLineFormatter, configure_logging, log_context


@pytest.fixture
def written(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """What the configured handler wrote to stderr; the root logger is put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield lambda: capsys.readouterr().err
    root.handlers, root.level = handlers, level


def test_a_json_line_carries_the_service_and_the_ids_of_its_context(
    written: Callable[[], str],
) -> None:
    configure_logging("inventory", "INFO")
    with log_context(order_id="o-1", correlation_id="c-1", event_id="e-1"):
        logging.getLogger("inventory.reservations").info("reserved %d of %s", 3, "P-1")

    line = json.loads(written())
    assert list(line)[:8] == [
        "time",
        "level",
        "logger",
        "message",
        "service",
        "order_id",
        "correlation_id",
        "event_id",
    ]
    assert line["level"] == "INFO"
    assert line["logger"] == "inventory.reservations"
    assert line["message"] == "reserved 3 of P-1"
    assert (line["service"], line["order_id"], line["correlation_id"], line["event_id"]) == (
        "inventory",
        "o-1",
        "c-1",
        "e-1",
    )
    assert datetime.strptime(line["time"], "%Y-%m-%d %H:%M:%S,%f")


def test_outside_a_context_the_ids_are_null(written: Callable[[], str]) -> None:
    configure_logging("billing", "INFO")
    logging.getLogger("billing").warning("no order here")

    line = json.loads(written())
    assert (line["order_id"], line["correlation_id"], line["event_id"]) == (None, None, None)


def test_extras_are_fields_and_a_traceback_is_kept(written: Callable[[], str]) -> None:
    configure_logging("orders", "INFO")
    moment = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("orders.broker").exception(
            "failed", extra={"topic": "orders.events", "at": moment}
        )

    line = json.loads(written())
    assert line["topic"] == "orders.events"
    assert line["at"] == moment.isoformat()
    assert "ValueError: broken" in line["exc_info"]
    assert "args" not in line
    assert "msecs" not in line


def test_a_level_that_is_off_writes_nothing(written: Callable[[], str]) -> None:
    configure_logging("documents", "INFO")
    logging.getLogger("documents").debug("not written")

    assert written() == ""


def test_the_time_is_written_per_record_also_within_one_second() -> None:
    formatter = JsonLineFormatter("orders")
    first = logging.makeLogRecord({"created": 1_796_100_000.25, "msecs": 250.0})
    second = logging.makeLogRecord({"created": 1_796_100_000.75, "msecs": 750.0})
    later = logging.makeLogRecord({"created": 1_796_100_001.5, "msecs": 500.0})

    stamps = [json.loads(formatter.format(record))["time"] for record in (first, second, later)]

    assert stamps[0].endswith(",250")
    assert stamps[1].endswith(",750")
    assert stamps[0][:19] == stamps[1][:19] != stamps[2][:19]
    assert stamps[2] == logging.Formatter().formatTime(later)


def test_plain_text_logs_name_the_service_and_the_order(written: Callable[[], str]) -> None:
    configure_logging("orders", "INFO", json_logs=False)
    with log_context(order_id="o-9"):
        logging.getLogger("orders").info("confirmed")

    text = written()
    assert "[orders] orders: confirmed (order=o-9 correlation=None)" in text


def test_a_line_written_inside_a_span_carries_its_trace_id(written: Callable[[], str]) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    configure_logging("orders", "INFO")
    logging.getLogger("orders").info("outside")
    with TracerProvider().get_tracer("test").start_as_current_span("request") as span:
        logging.getLogger("orders").info("inside")
    outside, inside = (json.loads(line) for line in written().splitlines())
    assert outside["trace_id"] is None
    assert inside["trace_id"] == format(span.get_span_context().trace_id, "032x")
