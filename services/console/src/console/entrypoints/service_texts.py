"""What the services say in English, said in the reader's language: an order timeline entry
from its event `type` and `data`, and a 422's field message from its validation `type` (and
`limit`). Anything not covered here, or an entry whose data lacks what its words need, keeps the
service's own English text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from console.entrypoints.i18n import N_, Formatting

Json = Mapping[str, Any]
Words = Callable[[Formatting, Json], str]


def _kind(event_type: str) -> str:
    """`suite.order.created.v1` → `order.created`."""
    parts = event_type.split(".")
    if len(parts) > 2 and parts[-1].startswith("v") and parts[-1][1:].isdigit():
        parts = parts[:-1]
    return ".".join(parts[1:] if len(parts) > 2 else parts)


def _say(fmt: Formatting, message: str, **params: Any) -> str:
    return fmt.translate(message, params)


def _lines(fmt: Formatting, lines: Any) -> str:
    """`[{"sku": "W", "quantity": "2"}]` → `2 × W` (the number as the language writes it)."""
    if not isinstance(lines, list) or not lines:
        raise ValueError("no lines")
    return ", ".join(f"{fmt.number(line['quantity'])} × {line['sku']}" for line in lines)


def _with_reason(text: str, data: Json) -> str:
    """The person's own words (a reason typed in), as they were written, after a dash."""
    reason = data.get("reason")
    return f"{text} — {reason}" if reason else text


def _order_total(message: str) -> Words:
    def words(fmt: Formatting, data: Json) -> str:
        order = data["order"]
        total = fmt.money(order["totals"]["gross"], order["currency"])
        return _say(fmt, message, number=order["number"], total=total)

    return words


def _order_number(message: str, *, reason: bool = False) -> Words:
    def words(fmt: Formatting, data: Json) -> str:
        text = _say(fmt, message, number=data["number"])
        return _with_reason(text, data) if reason else text

    return words


def _revised(fmt: Formatting, data: Json) -> str:
    return _say(
        fmt,
        N_("Order %(number)s revised (revision %(revision)s)"),
        number=data["order"]["number"],
        revision=fmt.number(data["revision"]),
    )


def _stage(fmt: Formatting, data: Json) -> str:
    if data.get("from_stage"):
        text = _say(
            fmt,
            N_("Stage changed from %(before)s to %(after)s"),
            before=data["from_stage"],
            after=data["to_stage"],
        )
    else:
        text = _say(fmt, N_("Stage set to %(after)s"), after=data["to_stage"])
    return _with_reason(text, data)


def _reserved(fmt: Formatting, data: Json) -> str:
    if not data["lines"]:
        return _say(fmt, N_("Nothing to reserve: no line of the order is stocked"))
    return _say(fmt, N_("Stock reserved: %(lines)s"), lines=_lines(fmt, data["lines"]))


def _backordered(fmt: Formatting, data: Json) -> str:
    shortages = "; ".join(
        _say(
            fmt,
            N_("%(sku)s: %(requested)s requested, %(available)s available"),
            sku=s["sku"],
            requested=fmt.number(s["requested"]),
            available=fmt.number(s["available"]),
        )
        for s in data["shortages"]
    )
    if not shortages:
        raise ValueError("no shortages")
    return _say(fmt, N_("Not enough stock, order backordered: %(shortages)s"), shortages=shortages)


def _released(fmt: Formatting, data: Json) -> str:
    return _say(fmt, N_("Stock released: %(lines)s"), lines=_lines(fmt, data["lines"]))


def _carriage(data: Json) -> str:
    return ", ".join(str(data[k]) for k in ("carrier", "tracking_number") if data.get(k))


def _dispatched(fmt: Formatting, data: Json) -> str:
    message = (
        N_("Shipment dispatched: %(lines)s; order fully shipped")
        if data["fully_shipped"]
        else N_("Shipment dispatched: %(lines)s; order partially shipped")
    )
    text = _say(fmt, message, lines=_lines(fmt, data["lines"]))
    carriage = _carriage(data)
    return f"{text} ({carriage})" if carriage else text


def _delivered(fmt: Formatting, data: Json) -> str:
    text = _say(fmt, N_("Shipment delivered on %(day)s"), day=fmt.day(data["delivered_at"]))
    carriage = _carriage(data)
    return f"{text} ({carriage})" if carriage else text


def _invoice(fmt: Formatting, data: Json) -> str:
    message = (
        N_("Down payment invoice %(number)s issued: %(total)s")
        if data.get("kind") == "down_payment"
        else N_("Invoice %(number)s issued: %(total)s")
    )
    total = fmt.money(data["totals"]["gross"], data["currency"])
    text = _say(fmt, message, number=data["number"], total=total)
    if data.get("down_payment_deducted"):
        deducted = fmt.money(data["down_payment_deducted"], data["currency"])
        text += " " + _say(fmt, N_("(down payment of %(amount)s deducted)"), amount=deducted)
    return text


def _payment(fmt: Formatting, data: Json) -> str:
    currency = data["currency"]
    return _say(
        fmt,
        N_("Payment of %(amount)s received for invoice %(invoice)s; balance %(balance)s"),
        amount=fmt.money(data["amount"], currency),
        invoice=data["invoice_number"],
        balance=fmt.money(data["balance"], currency),
    )


def _credit_note(fmt: Formatting, data: Json) -> str:
    text = _say(
        fmt,
        N_("Credit note %(number)s issued for invoice %(invoice)s: %(total)s"),
        number=data["number"],
        invoice=data["invoice_number"],
        total=fmt.money(data["totals"]["gross"], data["currency"]),
    )
    return _with_reason(text, data)


def _document(fmt: Formatting, data: Json) -> str:
    return _say(
        fmt,
        N_("Document generated: %(document)s %(reference)s"),
        document=fmt.label(data["kind"]),
        reference=data["reference"],
    )


def _delivery_note(fmt: Formatting, data: Json) -> str:
    return _document(fmt, {"kind": "delivery_note", "reference": data["reference"]})


_DISPOSITIONS = (N_("restock"), N_("scrap"))  # what `label()` says of a returned line


def _return_received(fmt: Formatting, data: Json) -> str:
    goods = ", ".join(
        f"{fmt.number(line['quantity'])} × {line['sku']} ({fmt.label(line['disposition'])})"
        for line in data["lines"]
    )
    return _say(
        fmt, N_("Return %(number)s received: %(goods)s"), number=data["number"], goods=goods
    )


def _return_authorised(fmt: Formatting, data: Json) -> str:
    text = _say(
        fmt,
        N_("Return %(number)s authorised: %(goods)s"),
        number=data["number"],
        goods=_lines(fmt, data["lines"]),
    )
    return _with_reason(text, data)


TIMELINE: dict[str, Words] = {
    "order.created": _order_total(N_("Order %(number)s created: %(total)s")),
    "order.confirmed": _order_total(N_("Order %(number)s confirmed: %(total)s")),
    "order.completed": _order_total(N_("Order %(number)s completed: %(total)s")),
    "order.cancelled": _order_number(N_("Order %(number)s cancelled"), reason=True),
    "order.closed_short": _order_number(N_("Order %(number)s closed short"), reason=True),
    "order.revised": _revised,
    "order.stage_changed": _stage,
    "order.backordered": _order_number(N_("Order %(number)s backordered")),
    "order.shipped": _order_number(N_("Order %(number)s fully shipped")),
    "order.paid": _order_number(N_("Order %(number)s paid in full")),
    "order.overdue": _order_number(N_("Order %(number)s overdue")),
    "stock.reserved": _reserved,
    "stock.reservation_failed": _backordered,
    "stock.released": _released,
    "shipment.dispatched": _dispatched,
    "shipment.delivered": _delivered,
    "invoice.issued": _invoice,
    "payment.received": _payment,
    "credit_note.issued": _credit_note,
    "document.generated": _document,
    "delivery_note.generated": _delivery_note,
    "return.authorised": _return_authorised,
    "return.received": _return_received,
}


def timeline_text(fmt: Formatting, entry: Json) -> str:
    """A timeline entry in the reader's language; the service's `summary` for a type not
    covered or data without what the words need."""
    summary = str(entry.get("summary") or "")
    words = TIMELINE.get(_kind(str(entry.get("type") or "")))
    data = entry.get("data")
    if words is None or not isinstance(data, Mapping):
        return summary
    try:
        text = words(fmt, data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return summary
    if entry.get("stale"):
        return _say(fmt, N_("Not applied (a later event came first): %(text)s"), text=text)
    return text


# pydantic's error `type` → the kind of refusal; `limit` fills in the bound when given.
_NUMBER = frozenset(
    [
        "int_parsing",
        "int_type",
        "int_from_float",
        "float_parsing",
        "float_type",
        "decimal_parsing",
        "decimal_type",
        "finite_number",
        "decimal_max_digits",
    ]
)
_DATE = frozenset(
    [
        "date_parsing",
        "date_type",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
        "datetime_parsing",
        "datetime_type",
        "datetime_from_date_parsing",
    ]
)
_UNKNOWN = ("enum", "literal_error")
_BOUND = {
    "string_too_short": N_("Minimum length: %(limit)s."),
    "string_too_long": N_("Maximum length: %(limit)s."),
    "too_short": N_("Minimum number of entries: %(limit)s."),
    "too_long": N_("Maximum number of entries: %(limit)s."),
    "greater_than": N_("Must be greater than %(limit)s."),
    "greater_than_equal": N_("Must be at least %(limit)s."),
    "less_than": N_("Must be less than %(limit)s."),
    "less_than_equal": N_("Must be at most %(limit)s."),
}
_UNBOUNDED = {
    "string_too_short": N_("Too short."),
    "string_too_long": N_("Too long."),
    "too_short": N_("Too few entries."),
    "too_long": N_("Too many entries."),
}


def field_message(fmt: Formatting, error: Json) -> str:
    """A 422's message for one field in the reader's language, when its `type` says what kind
    of refusal it is; else the service's own message."""
    kind = str(error.get("type") or "")
    message = str(error.get("message") or "invalid")
    limit = error.get("limit")
    if kind == "missing":
        return _say(fmt, N_("Required."))
    if kind in _NUMBER:
        return _say(fmt, N_("Not a number."))
    if kind in _DATE:
        return _say(fmt, N_("Not a date."))
    if kind in _UNKNOWN:
        return _say(fmt, N_("Not one of the allowed values."))
    if kind in ("greater_than", "greater_than_equal") and str(limit) == "0":
        zero_ok = kind == "greater_than_equal"
        return _say(fmt, N_("Must not be negative.") if zero_ok else N_("Must be positive."))
    if kind in _BOUND and limit is not None:
        return _say(fmt, _BOUND[kind], limit=fmt.number(limit))
    if kind in _UNBOUNDED:
        return _say(fmt, _UNBOUNDED[kind])
    return message


def field_messages(fmt: Formatting, errors: Any, shown: Mapping[str, str]) -> dict[str, str]:
    """`shown` (a refusal's message per field) with each message the problem's `errors` give a
    kind for said in the reader's language."""
    said = dict(shown)
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, Mapping):
            continue
        name = str(error.get("field", "")).removeprefix("body.")
        if name in said and said[name] == str(error.get("message", "invalid")):
            said[name] = field_message(fmt, error)
    return said
