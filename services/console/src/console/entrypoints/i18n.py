"""The person's language (their choice, else the browser's Accept-Language, else English), the
messages in it (Babel catalogues under `translations/`), and money, numbers and dates
formatted for it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

LANGUAGES = {"en": "English", "es": "Español", "ru": "Русский"}
DEFAULT = "en"
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"


def N_(message: str) -> str:
    """Marks a message for the catalogues; it is translated where it is shown."""
    return message


# The words `label()` shows for the services' states, kinds and groupings, the order actions'
# labels (console.domain.orders) and the services' problem titles: marked so the catalogues
# keep them.
# fmt: off
VOCABULARY = (
    # orders, quotes, purchase orders, invoices, payments, webhook deliveries
    N_("draft"), N_("open"), N_("concluded"), N_("cancelled"), N_("sent"), N_("accepted"),
    N_("rejected"), N_("expired"), N_("partially received"), N_("received"), N_("reversed"),
    N_("issued"), N_("partially paid"), N_("paid"), N_("overdue"), N_("credited"),
    N_("not invoiced"), N_("invoiced"), N_("unreserved"), N_("reserving"), N_("reserved"),
    N_("backordered"), N_("partially shipped"), N_("shipped"), N_("pending"), N_("succeeded"),
    N_("failed"), N_("delivered"), N_("active"), N_("inactive"),
    # invoicing policies
    N_("on completion"), N_("on delivery"), N_("manual"),
    # kinds: items, stock movements, statement entries, documents, payment methods
    N_("product"), N_("service"), N_("receipt"), N_("damage"), N_("loss"),
    N_("count correction"), N_("reservation"), N_("release"), N_("shipment"), N_("return"),
    N_("scrap"), N_("invoice"), N_("payment"), N_("payment reversed"), N_("refund"),
    N_("credit note"), N_("order confirmation"), N_("quote"), N_("purchase order"),
    N_("delivery note"), N_("statement"), N_("bank transfer"), N_("card"), N_("cash"),
    N_("other"),
    # sorting and report groupings
    N_("created at"), N_("order date"), N_("number"), N_("gross"), N_("period"),
    N_("customer"), N_("owner"), N_("month"), N_("week"), N_("day"),
    # the order actions
    N_("Confirm"), N_("Cancel order"), N_("Ship what is left"), N_("Complete"), N_("Close short"),
    # problem titles the services answer with
    N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"), N_("Conflict"),
    N_("Precondition Failed"), N_("Unprocessable Entity"), N_("Unprocessable Content"),
    N_("Service unavailable"), N_("Internal Server Error"), N_("Too Many Requests"),
)
# fmt: on


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalogue of `language`, compiled from its .po file once per process."""
    po = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return NullTranslations()
    import io

    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def negotiate(choice: Any, accept_language: str | None) -> str:
    """The chosen language if it is one we have, else the best of the browser's, else English."""
    if isinstance(choice, str) and choice in LANGUAGES:
        return choice
    wanted: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            wanted.append((quality, tag.strip()))
    for _, tag in sorted(wanted, key=lambda item: -item[0]):
        language = tag.replace("_", "-").split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return DEFAULT


@functools.cache
def locale_of(language: str) -> Locale:
    """Babel's locale of `language` (English's if Babel has none), parsed once per process: a
    page formats every amount and date of its tables with it."""
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


@dataclass(frozen=True)
class Formatting:
    """What the templates call: `_`, `label`, `money`, `number`, `percent`, `day`, `moment`."""

    language: str

    @property
    def locale(self) -> Locale:
        return locale_of(self.language)

    def gettext(self) -> Callable[[str], str]:
        return translations(self.language).gettext

    def label(self, value: str | None) -> str:
        """A state's name (`partially_shipped`) in words of this language."""
        if not value:
            return "—"
        return translations(self.language).gettext(value.replace("_", " "))

    def money(self, amount: Any, currency: str | None) -> str:
        """`1234.5 EUR` as this language writes it (1.234,50 € in Spanish); the amount as it
        came when it is not a number, so nothing is hidden."""
        if amount is None or amount == "":
            return "—"
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            return f"{amount} {currency or ''}".strip()
        if not currency:
            return format_decimal(value, locale=self.locale)
        return format_currency(value, currency, locale=self.locale)

    def number(self, value: Any) -> str:
        if value is None or value == "":
            return "—"
        try:
            return format_decimal(Decimal(str(value)), locale=self.locale)
        except (InvalidOperation, ValueError):
            return str(value)

    def percent(self, value: Any) -> str:
        """A share (`0.9531`) as this language writes a percentage (95.3 %)."""
        if value is None or value == "":
            return "—"
        try:
            share = Decimal(str(value)).quantize(Decimal("0.001")).normalize()
            return format_percent(share, locale=self.locale, decimal_quantization=False)
        except (InvalidOperation, ValueError):
            return str(value)

    def translate(self, message: str, params: Any = None) -> str:
        """A message (`Order %(number)s created.`) in this language, its parameters filled in."""
        text = translations(self.language).gettext(message)
        if isinstance(params, dict) and params:
            try:
                return text % params
            except (KeyError, TypeError, ValueError):
                return message % params
        return text

    def moment(self, value: Any) -> str:
        """A timestamp (ISO 8601) as this language writes a date and time, in UTC."""
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value) if value else "—"
        return format_datetime(parsed, format="short", tzinfo=None, locale=self.locale)

    def day(self, value: Any) -> str:
        try:
            return format_date(
                date.fromisoformat(str(value)[:10]), format="medium", locale=self.locale
            )
        except ValueError:
            return str(value) if value else "—"
