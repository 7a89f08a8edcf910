"""The person's language (their choice, else the browser's Accept-Language, else English), the
messages in it (Babel catalogues under `translations/`), and money, numbers and dates
formatted for it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

LANGUAGES = {"en": "English", "es": "Español", "ru": "Русский"}
DEFAULT = "en"
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"


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


@dataclass(frozen=True)
class Formatting:
    """What the templates call: `_`, `label`, `money`, `number`, `day`."""

    language: str

    @property
    def locale(self) -> Locale:
        try:
            return Locale.parse(self.language)
        except (UnknownLocaleError, ValueError):
            return Locale.parse(DEFAULT)

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
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            return f"{amount} {currency or ''}".strip()
        if not currency:
            return format_decimal(value, locale=self.locale)
        return format_currency(value, currency, locale=self.locale)

    def number(self, value: Any) -> str:
        try:
            return format_decimal(Decimal(str(value)), locale=self.locale)
        except (InvalidOperation, ValueError):
            return str(value)

    def day(self, value: Any) -> str:
        try:
            return format_date(
                date.fromisoformat(str(value)[:10]), format="medium", locale=self.locale
            )
        except ValueError:
            return str(value)
