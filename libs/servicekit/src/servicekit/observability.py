"""Structured JSON logs carrying the order and correlation ids, and the Prometheus metrics."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from prometheus_client import Counter, Gauge, Histogram
from pythonjsonlogger.json import JsonFormatter

_order_id: ContextVar[str | None] = ContextVar("order_id", default=None)
_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_event_id: ContextVar[str | None] = ContextVar("event_id", default=None)


@contextmanager
def log_context(
    *, order_id: str | None = None, correlation_id: str | None = None, event_id: str | None = None
) -> Iterator[None]:
    """Attach ids to every log record written inside the block (also across awaits)."""
    tokens = [
        (_order_id, _order_id.set(order_id)),
        (_correlation_id, _correlation_id.set(correlation_id)),
        (_event_id, _event_id.set(event_id)),
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_correlation_id() -> str | None:
    return _correlation_id.get()


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.order_id = _order_id.get()
        record.correlation_id = _correlation_id.get()
        record.event_id = _event_id.get()
        return True


def configure_logging(service: str, level: str = "INFO", *, json_logs: bool = True) -> None:
    """Send every log record to stderr, as one JSON object per line unless told otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(service))
    if json_logs:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(order_id)s "
                "%(correlation_id)s %(event_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s [%(service)s] %(name)s: %(message)s "
                "(order=%(order_id)s correlation=%(correlation_id)s)"
            )
        )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "faststream"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


# Metrics are process-wide (one registry); the `service` label keeps the services apart
# when several run in one process, as in the tests.
EVENTS_CONSUMED = Counter(
    "suite_events_consumed_total",
    "Events taken from Kafka, by outcome (processed, duplicate, ignored, dead_lettered)",
    ["service", "topic", "event_type", "outcome"],
)
EVENT_RETRIES = Counter(
    "suite_event_retries_total",
    "Handler attempts that failed and were retried",
    ["service", "topic"],
)
DEAD_LETTERED = Counter(
    "suite_events_dead_lettered_total",
    "Messages sent to a dead-letter topic",
    ["service", "topic"],
)
HANDLER_SECONDS = Histogram(
    "suite_event_handler_duration_seconds",
    "Time to process one event, database commit included",
    ["service", "topic", "event_type"],
)
OUTBOX_PUBLISHED = Counter(
    "suite_outbox_published_total",
    "Outbox events published and acknowledged by Kafka",
    ["service", "topic"],
)
OUTBOX_BACKLOG = Gauge("suite_outbox_backlog", "Outbox events not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "suite_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox event", ["service"]
)
