"""Templates on the printed page: labels in the template's language, colours, letterhead image,
footer on every page, default texts, company overrides; and the label sets themselves."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import fields
from datetime import date

import pytest
from pypdf import PdfReader
from reportlab.lib import colors
from reportlab.lib.rl_accel import fp_str

from contracts.events import QuoteSent
from documents.adapters.images import decode_letterhead, read_letterhead
from documents.adapters.pdf import PdfRenderer
from documents.bootstrap import build_renderer
from documents.config import DocumentsSettings
from documents.domain.labels import (
    ENGLISH,
    LABELS,
    RUSSIAN,
    SPANISH,
    UnsupportedLanguage,
    check_language,
    labels_for,
)
from documents.domain.model import PaymentTerms
from documents.domain.templates import (
    MAX_IMAGE_BYTES,
    CompanyDetails,
    InvalidTemplate,
    Look,
    check_colour,
    is_dark,
)
from documents.service_layer import printing

PRIMARY = "#1F4E79"
ACCENT = "#C0392B"
FOOTER = "Registro Mercantil de Madrid, Tomo 1234 · www.ejemplo.es"


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return build_renderer(
        DocumentsSettings(company_name="Compañía Ejemplo S.L.", company_vat_id="ESB12345678")
    )


def pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def flat(content: bytes) -> str:
    """All the text, every run of white space one space (wrapped cells join up again)."""
    return " ".join(" ".join(pages(content)).split())


def fill_colours(content: bytes) -> set[str]:
    """Every non-stroking RGB colour the pages set (`r g b rg`), as reportlab writes them."""
    found: set[str] = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        stream = page.get_contents().get_data().decode("latin-1")
        found |= {match.strip() for match in re.findall(r"([\d. ]+) rg", stream)}
    return found


def rgb(colour: str) -> str:
    value = colors.HexColor(colour)
    return fp_str(value.red, value.green, value.blue)


def quote(order, valid_until: date = date(2026, 4, 30)) -> QuoteSent:
    content = order.model_copy(update={"order_id": "quote-1", "number": "QT-2026-000007"})
    return QuoteSent(
        quote_id="quote-1", number="QT-2026-000007", valid_until=valid_until, content=content
    )


# --- labels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "titles", "words"),
    [
        (
            "es",
            ("Confirmación de pedido", "Factura", "Presupuesto"),
            ("Descripción", "Precio unit.", "Total neto", "CONDICIONES DE PAGO", "Página 1 de"),
        ),
        (
            "ru",
            ("Подтверждение заказа", "Счёт", "Коммерческое предложение"),
            ("Наименование", "Кол-во", "Итого без налога", "УСЛОВИЯ ОПЛАТЫ", "Страница 1 из"),
        ),
        (
            "en-GB",
            ("Order confirmation", "Invoice", "Quotation"),
            ("Description", "Unit price", "Net total", "PAYMENT TERMS", "Page 1 of"),
        ),
    ],
)
def test_labels_print_in_the_templates_language(
    renderer, order_builder, invoice_builder, language, titles, words
) -> None:
    look = Look(language=language)
    order = order_builder("order-1", "SO-2026-000001", line_count=40)
    confirmation = flat(renderer.render(printing.order_confirmation(order, look)))
    issued = invoice_builder("order-1", "INV-2026-000001", "SO-2026-000001", line_count=3)
    invoice = flat(renderer.render(printing.invoice(issued, look)))
    quotation = flat(renderer.render(printing.quotation(quote(order), look)))

    assert titles[0] in confirmation
    assert titles[1] in invoice
    assert titles[2] in quotation
    for word in words:
        assert word in confirmation, word
    labels = labels_for(language)
    # Headers and totals of the other label sets never leak in.
    for other in LABELS.values():
        if other is not labels:
            assert other.net_total not in confirmation
            assert other.page.split(" ")[0] not in confirmation
    assert labels.total.format(currency="EUR") in invoice
    assert (
        labels.payment_request(
            f"{issued.totals.gross:,.2f}", "EUR", issued.due_date, "INV-2026-000001"
        )
        in invoice
    )


def test_every_label_set_has_every_label_and_placeholder() -> None:
    assert set(LABELS) >= {"en", "es", "ru"}
    placeholders = {
        field.name: set(re.findall(r"{(\w+)}", getattr(ENGLISH, field.name)))
        for field in fields(ENGLISH)
        if isinstance(getattr(ENGLISH, field.name), str)
    }
    for labels in LABELS.values():
        for name, expected in placeholders.items():
            value = getattr(labels, name)
            assert value.strip(), (labels.language, name)
            assert set(re.findall(r"{(\w+)}", value)) == expected, (labels.language, name)


def test_payment_terms_in_each_language() -> None:
    assert PaymentTerms(days=30).wording() == "Payable within 30 days."
    assert PaymentTerms(days=30).wording(SPANISH) == "Pagadero en un plazo de 30 días."
    assert PaymentTerms(days=1).wording(SPANISH) == "Pagadero en un plazo de 1 día."
    assert PaymentTerms(days=0).wording(SPANISH) == "Pago inmediato a la recepción."
    assert PaymentTerms(days=21).wording(RUSSIAN) == "Оплата в течение 21 дня."
    assert PaymentTerms(days=11).wording(RUSSIAN) == "Оплата в течение 11 дней."
    assert PaymentTerms(days=14).wording(RUSSIAN) == "Оплата в течение 14 дней."
    assert PaymentTerms(days=14, text="Vorkasse").wording(RUSSIAN) == "Vorkasse"


def test_language_tags() -> None:
    assert labels_for("es-MX") is SPANISH
    assert labels_for("RU") is RUSSIAN
    assert labels_for(None) is ENGLISH
    assert labels_for("xx") is ENGLISH
    assert check_language("es-419") == "es-419"
    with pytest.raises(UnsupportedLanguage, match="supported: en, es, ru"):
        check_language("de")
    with pytest.raises(UnsupportedLanguage, match="BCP 47"):
        check_language("spanish please")


# --- the look ---------------------------------------------------------------------------------


def test_a_neutral_template_prints_exactly_the_built_in_look(renderer, order_builder) -> None:
    order = order_builder("order-1", "SO-2026-000001", line_count=30)
    built_in = renderer.render(printing.order_confirmation(order))
    assert renderer.render(printing.order_confirmation(order, Look(language="en"))) == built_in
    assert rgb(PRIMARY) not in fill_colours(built_in)


def test_colours_letterhead_footer_and_company(renderer, order_builder, png) -> None:
    image = read_letterhead(png)
    look = Look(
        language="es",
        letterhead=image,
        footer_text=f"{FOOTER}\nSegunda línea",
        primary_color=PRIMARY,
        accent_color=ACCENT,
        company=CompanyDetails(name="Ejemplo Iberia S.L.", vat_id="ESB99999999"),
    )
    order = order_builder("order-1", "SO-2026-000001", line_count=60)
    content = renderer.render(printing.order_confirmation(order, look))

    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 3
    # The letterhead image is embedded once, at the top of the first page only.
    [embedded] = reader.pages[0].images
    assert embedded.image is not None
    assert embedded.image.size == (image.width, image.height)
    assert all(not page.images for page in reader.pages[1:])
    # The footer text and the company overrides are on every page.
    for number, text in enumerate(pages(content), start=1):
        assert FOOTER in text, number
        assert "Segunda línea" in text
        assert f"Página {number} de {len(reader.pages)}" in text
        assert "Ejemplo Iberia S.L." in text
        assert "NIF-IVA ESB99999999" in text
        assert "Compañía Ejemplo S.L." not in text
    # Title and headings in the primary colour, the table header row in the accent colour,
    # with white text on it (the accent is dark).
    used = fill_colours(content)
    assert rgb(PRIMARY) in used
    assert rgb(ACCENT) in used
    assert fp_str(1, 1, 1) in used


def test_a_jpeg_letterhead_is_embedded_as_is(renderer, order_builder, jpeg) -> None:
    look = Look(language="ru", letterhead=read_letterhead(jpeg))
    content = renderer.render(
        printing.order_confirmation(order_builder("o", "SO-1", line_count=2), look)
    )
    page = PdfReader(io.BytesIO(content)).pages[0]
    [name] = page["/Resources"]["/XObject"]
    embedded = page["/Resources"]["/XObject"][name].get_object()
    assert "/DCTDecode" in embedded["/Filter"]
    assert embedded.get_data() == jpeg  # passed through: the very bytes that were uploaded


def test_default_texts_only_when_the_order_has_none(renderer, order_builder) -> None:
    look = Look(
        language="es",
        default_opening_text="Texto de apertura por defecto.",
        default_closing_text="Texto de cierre por defecto.",
    )
    order = order_builder("o", "SO-1", line_count=2)
    own = "\n".join(pages(renderer.render(printing.order_confirmation(order, look))))
    assert "Gracias por su pedido." in own  # the order's own opening text
    assert "С уважением / Atentamente" in own  # and its own closing text
    assert "por defecto" not in own

    bare = order.model_copy(update={"opening_text": None, "closing_text": None})
    text = "\n".join(pages(renderer.render(printing.order_confirmation(bare, look))))
    assert "Texto de apertura por defecto." in text
    assert "Texto de cierre por defecto." in text

    # Without a template default, the language's own default opening; no closing at all.
    plain = "\n".join(
        pages(renderer.render(printing.order_confirmation(bare, Look(language="es"))))
    )
    assert SPANISH.opening_order_confirmation in plain
    assert "por defecto" not in plain


def test_a_long_footer_is_cut_to_the_page_width(renderer, order_builder) -> None:
    look = Look(language="en", footer_text="x" * 400 + "\nsecond\nthird line is dropped")
    text = pages(
        renderer.render(printing.order_confirmation(order_builder("o", "S", line_count=1), look))
    )
    assert "…" in text[0]
    assert "second" in text[0]
    assert "third line" not in text[0]


def test_quotations_show_their_validity(renderer, order_builder) -> None:
    order = order_builder("o", "SO-1", line_count=3)
    text = "\n".join(pages(renderer.render(printing.quotation(quote(order)))))
    assert "Quotation" in text
    assert "QT-2026-000007" in text
    assert "Valid until" in text
    assert "This quotation is valid until 2026-04-30." in text
    assert "Quotation date" in text
    assert "2026-03-02" in text
    spanish = "\n".join(
        pages(renderer.render(printing.quotation(quote(order), Look(language="es"))))
    )
    assert "Presupuesto" in spanish
    assert "Este presupuesto es válido hasta el 2026-04-30." in spanish


# --- letterhead images ------------------------------------------------------------------------


def test_images_are_decoded_and_described(png, jpeg) -> None:
    image = decode_letterhead(base64.b64encode(png).decode())
    assert (image.content_type, image.width, image.height) == ("image/png", 600, 120)
    assert image.content == png
    prefixed = "data:image/jpeg;base64," + base64.encodebytes(jpeg).decode()  # with line breaks
    assert decode_letterhead(prefixed).content_type == "image/jpeg"
    assert repr(image).startswith("LetterheadImage(image/png, 600x120, ")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda png: "not base64!", "base64"),
        (lambda png: base64.b64encode(b"GIF89a....").decode(), "neither a PNG nor a JPEG"),
        (lambda png: base64.b64encode(png[: len(png) // 2]).decode(), "cannot be decoded"),
        (lambda png: base64.b64encode(b"").decode(), "empty"),
        (
            lambda png: base64.b64encode(png + b"\0" * (MAX_IMAGE_BYTES + 1)).decode(),
            "larger than",
        ),
    ],
)
def test_bad_images_are_refused(png, make, message) -> None:
    with pytest.raises(InvalidTemplate, match=message) as refused:
        decode_letterhead(make(png))
    assert refused.value.field == "letterhead_image"


def test_colour_contrast() -> None:
    assert is_dark("#1F4E79")
    assert is_dark("#000000")
    assert not is_dark("#EDEDED")
    assert not is_dark("#FFFF00")
    assert check_colour("accent_color", "#1f4e79") == "#1F4E79"
    assert check_colour("accent_color", None) is None
    with pytest.raises(InvalidTemplate, match="#RRGGBB"):
        check_colour("accent_color", "#12345")
