"""The catalogues: every message the console shows has its Spanish and Russian translation, and
no page shows English text that bypasses them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from console.entrypoints.i18n import LANGUAGES, TRANSLATIONS_DIR, Formatting
from console.entrypoints.web import TEMPLATES_DIR

SERVICE_DIR = Path(__file__).resolve().parents[2]
PACKAGE_DIR = TEMPLATES_DIR.parent


def extracted() -> set[str]:
    """What `pybabel extract -F babel.cfg -k N_` finds (README, Languages)."""
    with (SERVICE_DIR / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, *_ in extract_from_dir(
            str(PACKAGE_DIR), method_map, options_map, keywords=keywords
        )
    }


def test_extraction_finds_the_templates_and_the_views_messages():
    messages = extracted()
    assert {"Orders", "Order %(number)s created.", "partially shipped"} <= messages


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_every_message_has_a_translation(language):
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=language)
    untranslated = sorted(
        message
        for message in extracted()
        if message not in catalogue or not catalogue[message].string or catalogue[message].fuzzy
    )
    assert untranslated == [], f"{language}: no translation for {untranslated}"


# What may stand in a template outside `_()`: punctuation, figures and these few symbols.
ALLOWED = re.compile(r"[\s\d#%×·—–…:;,.()/|+\-−→←]*")


def visible_text(source: str) -> list[str]:
    """The text and the labelling attributes of a template, with its Jinja parts removed."""
    source = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    attributes = re.findall(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', source)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    text = re.sub(r'<[^>]*>|\b[\w-]+="[^"]*"', "\n", source)  # tags; attributes of a macro
    chunks = (chunk.strip() for chunk in re.split(r"\n|\s{2,}", text))
    return [chunk for chunk in (*attributes, *chunks) if not ALLOWED.fullmatch(chunk)]


@pytest.mark.parametrize(
    "template",
    sorted(p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*.html")),
)
def test_a_template_shows_no_words_outside_the_catalogues(template):
    assert visible_text((TEMPLATES_DIR / template).read_text()) == []


def test_the_check_sees_untranslated_words():
    assert visible_text('<p title="Hello">{{ x }} Total: {{ _("Fine") }}</p>') == [
        "Hello",
        "Total:",
    ]


def test_money_dates_and_numbers_follow_the_language():
    english, spanish, russian = Formatting("en"), Formatting("es"), Formatting("ru")
    assert english.money("1234.5", "EUR") == "€1,234.50"
    assert spanish.money("1234.5", "EUR") == "1.234,50\xa0€"
    assert russian.money("1234.5", "EUR") == "1\xa0234,50\xa0€"
    assert english.money("990", "JPY") == "¥990"
    assert english.money(None, "EUR") == "—"
    assert spanish.number("12345.5") == "12.345,5"
    assert russian.percent("0.9531") == "95,3\xa0%"
    assert russian.day("2026-12-01") == "1 дек. 2026\u202fг."
    assert spanish.moment("2026-12-01T10:05:00Z") == "1/12/26, 10:05"
    assert russian.translate("Order %(number)s created.", {"number": "SO-1"}) == (
        "Заказ SO-1 создан."
    )
    # A language Babel does not know formats as English, the first time and every time after.
    assert [Formatting("zz-unknown").money("1234.5", "EUR") for _ in range(2)] == ["€1,234.50"] * 2
    assert spanish.money("1234.5", "EUR") == "1.234,50\xa0€"  # a locale parsed once, kept as is
