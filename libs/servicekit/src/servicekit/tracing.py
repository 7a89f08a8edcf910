"""Distributed tracing with OpenTelemetry: one trace from an HTTP request through the outbox,
Kafka and the consumers of the other services (ADR 15).

Off unless configured: a process traces when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and `OTEL_SDK_DISABLED` is not `true`; the exporter
then reads the other standard `OTEL_*` variables (headers, protocol options, sampler). Tests pass
an exporter of their own to `configure_tracing`.

How the context travels:

- FastAPI requests, asyncpg statements (what SQLAlchemy sends) and aiokafka's sends and
  receives get spans from the OpenTelemetry instrumentation packages.
- An event recorded into the outbox carries the current span's context in the CloudEvents
  distributed tracing extension, `traceparent` (and `tracestate`), in the stored JSON.
- The relay publishes each row under a PRODUCER span whose parent is that context, and the Kafka
  message carries the span's own `traceparent` header.
- A consumer handles each event under a CONSUMER span whose parent is the message's
  `traceparent` header, or else the event's extension; the events its handler records continue
  the same trace.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_W3C = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("servicekit")
_enabled = False
_provider: TracerProvider | None = None


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the standard variables ask for traces to be exported."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def configure_tracing(service: str, exporter: SpanExporter | None = None) -> bool:
    """Install the process's tracer provider and the instrumentations, once per process.

    Without `exporter`, only when `tracing_requested()`: spans then go to the OTLP endpoint
    (HTTP/protobuf). Returns whether this process traces.
    """
    global _enabled, _provider
    if _enabled:
        return True
    if exporter is None:
        if not tracing_requested():
            return False
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    if _provider is None:
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
        _provider = TracerProvider(resource=resource)
        trace.set_tracer_provider(_provider)
    _provider.add_span_processor(BatchSpanProcessor(exporter))
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AIOKafkaInstrumentor().instrument()
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    _enabled = True
    log.info("tracing to %s", type(exporter).__name__)
    return True


def tracing_enabled() -> bool:
    return _enabled


def disable_tracing() -> None:
    """Stop tracing in this process (tests): the hooks do nothing again, aiokafka is restored.
    The tracer provider stays installed (OpenTelemetry allows one per process)."""
    global _enabled
    if not _enabled:
        return
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AIOKafkaInstrumentor().uninstrument()
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    _enabled = False


def instrument_app(app: Any) -> None:
    """Spans for the app's requests, probes and scrapes excepted (when this process traces)."""
    if not _enabled:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="/health/.*,/metrics")


def current_trace_id() -> str | None:
    """The current trace's id (32 hex digits), for log lines; None outside a recorded span."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def trace_extension() -> dict[str, str]:
    """The CloudEvents distributed tracing attributes of the current span (none when off)."""
    if not _enabled:
        return {}
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return {k: v for k, v in carrier.items() if k in (TRACEPARENT, TRACESTATE)}


def _context_of_event(payload: str | bytes | None) -> otel_context.Context | None:
    try:
        document = json.loads(payload or b"")
    except ValueError:
        return None
    if not isinstance(document, dict) or TRACEPARENT not in document:
        return None
    return _W3C.extract({k: str(document[k]) for k in (TRACEPARENT, TRACESTATE) if k in document})


@contextmanager
def publishing(topic: str, payload: str, headers: dict[str, str]) -> Iterator[dict[str, str]]:
    """Around the relay's publication of one outbox row: a PRODUCER span, child of the context
    the event was recorded in; yields the headers to publish with (the span's `traceparent`
    added). With tracing off, the headers as they are, at no cost."""
    if not _enabled:
        yield headers
        return
    with _tracer.start_as_current_span(
        f"{topic} publish",
        context=_context_of_event(payload),
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    ):
        carrier = dict(headers)
        inject(carrier)
        yield carrier


@contextmanager
def consuming(topic: str, event: Any, headers: Any, consumer: str) -> Iterator[None]:
    """Around a consumer's handling of one event: a CONSUMER span, child of the message's
    `traceparent` header or else of the event's extension. Nothing with tracing off."""
    if not _enabled:
        yield
        return
    carrier = {
        name: value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        for name, value in headers or ()
    }
    if TRACEPARENT in carrier:
        parent = extract(carrier)
    else:
        extras = getattr(event, "model_extra", None) or {}
        parent = _W3C.extract(
            {k: str(v) for k, v in extras.items() if k in (TRACEPARENT, TRACESTATE)}
        )
    with _tracer.start_as_current_span(
        f"{topic} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": consumer,
            "messaging.message.id": str(getattr(event, "id", "")),
            "cloudevents.event_type": str(getattr(event, "type", "")),
        },
    ):
        yield
