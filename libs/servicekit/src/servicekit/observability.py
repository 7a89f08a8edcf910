"""JSON logs carrying the order, correlation and trace ids, and the Prometheus metrics."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from servicekit.tracing import current_trace_id

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
    """Copies the ids onto the record, for the plain-text format that names them as fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.order_id = _order_id.get()
        record.correlation_id = _correlation_id.get()
        record.event_id = _event_id.get()
        return True


# What every LogRecord carries; anything else on a record came in through `extra=` and is logged.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the service and its ids, extras.

    Built by hand, in one dict and one `json.dumps`: logging is on every event's path, and a
    generic formatter's field parsing and per-record processing cost several times as much.
    """

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self._second = -1
        self._second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # the default format ("2026-12-01 06:45:49,493"), its strftime done once a second
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(second))
            self._second = second
        return f"{self._second_text},{int(record.msecs):03d}"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            "order_id": _order_id.get(),
            "correlation_id": _correlation_id.get(),
            "event_id": _event_id.get(),
            "trace_id": current_trace_id(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=_json_default)


def configure_logging(service: str, level: str = "INFO", *, json_logs: bool = True) -> None:
    """Send every log record to stderr, as one JSON object per line unless told otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonLineFormatter(service))
    else:
        handler.addFilter(_ContextFilter(service))
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
BATCHES_HANDLED_ONE_BY_ONE = Counter(
    "suite_consumer_batches_one_by_one_total",
    "Batches whose transaction failed and that were handled again one record at a time",
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
# The outbox gauges are read from the database on a clock of their own: they keep moving while
# Kafka is down, when they matter most.
OUTBOX_BACKLOG = Gauge(
    "suite_outbox_backlog",
    "Outbox events waiting to be published (parked ones excluded)",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "suite_outbox_oldest_age_seconds",
    "Age of the oldest outbox event waiting to be published (parked ones excluded)",
    ["service"],
)
OUTBOX_PARKED = Gauge(
    "suite_outbox_parked_rows",
    "Outbox events Kafka refused for good, waiting for an operator (suite-ops outbox retry)",
    ["service"],
)
OUTBOX_PARKED_TOTAL = Counter(
    "suite_outbox_parked_total",
    "Outbox events parked after a permanent refusal",
    ["service", "topic"],
)
OUTBOX_MEASURED = Gauge(
    "suite_outbox_measured_timestamp_seconds",
    "When the outbox gauges were last read from the database (Unix time)",
    ["service"],
)
OUTBOX_SHARDS_HELD = Gauge(
    "suite_outbox_shards_held", "Outbox shards this relay holds", ["service"]
)


# Business signals. Counted when the fact is published (the relay), so every service's own facts
# are counted exactly where they are decided.
ORDERS_CONFIRMED = Counter("suite_orders_confirmed", "Orders confirmed", ["service"])
ORDERS_BACKORDERED = Counter(
    "suite_orders_backordered", "Confirmed orders whose stock could not be reserved", ["service"]
)
SHIPMENTS = Counter("suite_shipments", "Shipments dispatched", ["service"])
ORDERS_COMPLETED = Counter("suite_orders_completed", "Orders completed", ["service"])
INVOICES_ISSUED = Counter("suite_invoices_issued", "Invoices issued", ["service"])
DOCUMENTS_RENDERED = Counter(
    "suite_documents_rendered", "PDF documents rendered and stored", ["service", "kind"]
)
STOCK_LOW = Counter(
    "suite_stock_low",
    "Times a warehouse's available stock of a SKU dropped below the product's reorder point",
    ["service", "warehouse"],
)
_BUSINESS_COUNTERS = {
    "suite.order.confirmed.v1": ORDERS_CONFIRMED,
    "suite.stock.reservation_failed.v1": ORDERS_BACKORDERED,
    "suite.shipment.dispatched.v1": SHIPMENTS,
    "suite.order.completed.v1": ORDERS_COMPLETED,
    "suite.invoice.issued.v1": INVOICES_ISSUED,
}


def count_business_event(service: str, event_type: str, payload: str) -> None:
    """Count a published fact in the business counter it belongs to, if any."""
    counter = _BUSINESS_COUNTERS.get(event_type)
    if counter is not None:
        counter.labels(service).inc()
    elif event_type == "suite.document.generated.v1":
        kind = str(json.loads(payload).get("data", {}).get("kind", "unknown"))
        DOCUMENTS_RENDERED.labels(service, kind).inc()
    elif event_type == "suite.quote.document_generated.v1":
        DOCUMENTS_RENDERED.labels(service, "quote").inc()
    elif event_type == "suite.stock.low.v1":
        warehouse = str(json.loads(payload).get("data", {}).get("warehouse", "unknown"))
        STOCK_LOW.labels(service, warehouse).inc()


ORDER_STAGE_SECONDS = Histogram(
    "suite_order_stage_seconds",
    "Time an order spends between two steps of its life, as the orders service sees them",
    ["stage"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400, 7 * 86400),
)
# stage name -> (the event that ends it, the event that started it)
_PIPELINE_STAGES = {
    "suite.stock.reserved.v1": ("confirmation_to_reservation", "suite.order.confirmed.v1"),
    "suite.order.completed.v1": ("shipment_to_completion", "suite.shipment.dispatched.v1"),
    "suite.invoice.issued.v1": ("completion_to_invoice", "suite.order.completed.v1"),
}


def pipeline_stage_of(event: Any) -> tuple[str, str] | None:
    """(stage name, type of the event that started it) for an event that ends a stage."""
    if event.type == "suite.document.generated.v1" and getattr(event.data, "kind", "") == "invoice":
        return "invoice_to_pdf", "suite.invoice.issued.v1"
    return _PIPELINE_STAGES.get(event.type)
