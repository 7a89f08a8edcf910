"""The PDF renderer on its own: no broker, no database."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab import platypus
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace, makeToUnicodeCMap

from documents.adapters.pdf import (
    FontUnavailable,
    Letterhead,
    PdfRenderer,
    format_amount,
    format_percent,
    format_quantity,
    markup,
    split_text,
)
from documents.adapters.pdf import fonts as pdf_fonts_module
from documents.adapters.pdf import supply_tables as supply_tables_module
from documents.adapters.pdf import tables as tables_module
from documents.adapters.pdf import text as pdf_text_module
from documents.adapters.pdf.styles import styles_for
from documents.bootstrap import build_renderer
from documents.config import DocumentsSettings
from documents.domain.labels import labels_for
from documents.domain.model import PrintableDocument
from documents.domain.templates import Look
from documents.service_layer import printing

MARKUP = "<b>bold?</b> & <font color=red>"


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    settings = DocumentsSettings(
        company_name="Compañía Ejemplo S.L.",
        company_address="Gran Vía 1\\n28013 Madrid\\nEspaña",
        company_vat_id="ESB12345678",
        company_bank_details="IBAN ES00 0000 0000 0000 0000 0000\nBIC EXAMPLEXXX",
    )
    return build_renderer(settings)


def pdf_text(content: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def font_names(content: bytes) -> set[str]:
    """BaseFont names of every font the pages use, and whether each is embedded."""
    reader = PdfReader(io.BytesIO(content))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            names.add((str(font["/BaseFont"]), embedded))
    return names


def assert_only_embedded_dejavu(content: bytes) -> None:
    fonts = font_names(content)
    assert fonts, "no fonts found"
    for name, embedded in fonts:
        assert "DejaVuSans" in name, fonts
        assert embedded, f"{name} is not embedded"
    assert {name.split("+")[-1] for name, _ in fonts} == {"DejaVuSans", "DejaVuSans-Bold"}


def test_order_confirmation_prints_every_script_literally(renderer, order_builder) -> None:
    order = order_builder("order-1", "SO-2026-000001", line_count=60)
    content = renderer.render(printing.order_confirmation(order))

    assert content.startswith(b"%PDF-")
    text, pages = pdf_text(content)
    assert pages >= 2  # 60 lines do not fit on one page
    assert "Order confirmation" in text
    assert "SO-2026-000001" in text
    assert "ООО Ромашка" in text
    assert "Иван Петров" in text
    assert "Москва" in text
    assert "Señora Núñez, camión, pingüino" in text
    assert MARKUP in text  # printed as typed, not interpreted as markup
    assert f"{order.totals.gross:,.2f} EUR" in text
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text
    assert "SKU-0060" in text  # the last line made it onto the last page
    assert "Compañía Ejemplo S.L." in text
    assert "14 días netos / 14 дней нетто" in text
    assert_only_embedded_dejavu(content)


def test_invoice_prints_dates_totals_and_tax_breakdown(renderer, invoice_builder) -> None:
    issued = invoice_builder("order-1", "INV-2026-000001", "SO-2026-000001", line_count=60)
    content = renderer.render(printing.invoice(issued))

    text, pages = pdf_text(content)
    assert pages >= 2
    assert "Invoice" in text
    assert "INV-2026-000001" in text
    assert "SO-2026-000001" in text
    assert "2026-03-20" in text  # issue date
    assert "2026-04-19" in text  # due date
    assert "ООО Ромашка" in text
    assert "Señora Núñez, camión, pingüino" in text
    assert MARKUP in text
    gross = f"{issued.totals.gross:,.2f}"
    assert f"{gross} EUR" in text
    assert f"Please pay {gross} EUR by 2026-04-19" in text
    for tax in issued.totals.taxes:
        assert f"Tax {tax.rate.normalize():f} % on {tax.base:,.2f}" in text
    assert "IBAN ES00" in text
    assert "ESB12345678" in text
    assert_only_embedded_dejavu(content)


def test_the_table_header_repeats_on_every_page(renderer, order_builder) -> None:
    content = renderer.render(printing.order_confirmation(order_builder("o", "SO-1")))
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert "Unit price" in page.extract_text()


def test_rendering_is_deterministic(renderer, invoice_builder) -> None:
    printable = printing.invoice(invoice_builder("o", "INV-1", "SO-1", line_count=5))
    assert renderer.render(printable) == renderer.render(printable)


def test_a_paragraph_broken_once_per_width_gives_reportlabs_lines() -> None:
    style = ParagraphStyle("cell", fontName="Helvetica", fontSize=8, leading=10)
    words = "Installation and training on site, two days, travel included " * 3

    def fresh(width: float) -> tuple[float, float]:
        return tuple(platypus.Paragraph(words, style).wrap(width, 1000))  # type: ignore[return-value]

    paragraph = pdf_text_module.Paragraph(words, style)
    for width in (300, 300, 80, 80, 300, 40):
        assert paragraph.wrap(width, 1000) == fresh(width)
        assert paragraph.width == width
    assert fresh(80)[1] > fresh(300)[1]  # the widths tried break the text differently


@pytest.fixture
def long_documents(order_builder, invoice_builder, credit_note_builder) -> list[PrintableDocument]:
    """An order confirmation, an invoice and a credit note, each over several pages."""
    invoice = invoice_builder("o", "INV-1", "SO-1", line_count=40)
    return [
        printing.order_confirmation(order_builder("o", "SO-1", line_count=120)),
        printing.invoice(invoice),
        printing.credit_note(credit_note_builder(invoice, "CN-1", line_count=30)),
    ]


def test_keeping_a_paragraphs_lines_changes_no_byte(renderer, long_documents, monkeypatch) -> None:
    printables = long_documents
    kept = [renderer.render(printable) for printable in printables]
    for name in ("wrap", "split", "draw"):  # reportlab's own, every time
        monkeypatch.setattr(pdf_text_module.Paragraph, name, getattr(platypus.Paragraph, name))
    assert [renderer.render(printable) for printable in printables] == kept


def test_parsing_a_paragraph_once_changes_no_byte(renderer, long_documents, monkeypatch) -> None:
    printables = long_documents
    pdf_text_module._parsed.clear()
    parsed_afresh = [renderer.render(printable) for printable in printables]
    assert pdf_text_module._parsed  # the second renders take the parsed paragraphs
    assert [renderer.render(printable) for printable in printables] == parsed_afresh
    monkeypatch.setattr(pdf_text_module.Paragraph, "_setup", platypus.Paragraph._setup)
    assert [renderer.render(printable) for printable in printables] == parsed_afresh


def test_a_parsed_paragraph_is_taken_again_only_with_an_equal_style() -> None:
    text = "<b>Total</b> due &amp; payable"
    small = ParagraphStyle("cell", fontName="Helvetica", fontSize=8, leading=10)
    same_as_small = ParagraphStyle("cell", fontName="Helvetica", fontSize=8, leading=10)
    large = ParagraphStyle("cell", fontName="Helvetica", fontSize=16, leading=20)

    first = pdf_text_module.Paragraph(text, small)
    again = pdf_text_module.Paragraph(text, same_as_small)
    larger = pdf_text_module.Paragraph(text, large)

    def printed(paragraph: platypus.Paragraph) -> list[tuple[str, str, float]]:
        return [(frag.text, frag.fontName, frag.fontSize) for frag in paragraph.frags]

    assert printed(first) == printed(again)
    assert "".join(frag.text for frag in again.frags) == "Total due & payable"
    assert printed(again)[0] == ("Total", "Helvetica-Bold", 8)
    assert {size for _, _, size in printed(larger)} == {16}
    assert not {id(frag) for frag in first.frags} & {id(frag) for frag in again.frags}


@pytest.fixture
def many_scripts(order_builder) -> PrintableDocument:
    """An order whose lines use over 256 distinct characters: several subsets of each font."""
    order = order_builder("o", "SO-SCRIPTS", line_count=4)
    cyrillic, greek, latin_extended = (
        range(0x410, 0x450),
        range(0x3B1, 0x3CA),
        range(0x100, 0x17F),
    )
    alphabets = ["".join(map(chr, letters)) for letters in (cyrillic, greek, latin_extended)]
    alphabets.append("€ – “quoted” · ½")
    lines = [
        line.model_copy(update={"description": alphabet})
        for line, alphabet in zip(order.lines, alphabets, strict=True)
    ]
    return printing.order_confirmation(order.model_copy(update={"lines": lines}))


def test_keeping_the_subsets_font_files_changes_no_byte(
    renderer, long_documents, many_scripts, monkeypatch
) -> None:
    printables = [*long_documents, many_scripts]
    built_afresh = [renderer.render(printable) for printable in printables]
    cut = []
    monkeypatch.setattr(
        pdf_fonts_module.SubsetKeepingFace,
        "makeSubset",
        lambda face, subset: cut.append(subset) or TTFontFace.makeSubset(face, subset),
    )
    assert [renderer.render(printable) for printable in printables] == built_afresh
    assert cut == []  # every subset's file was kept from the first renders
    monkeypatch.setattr(
        pdf_fonts_module.SubsetKeepingFace, "addSubsetObjects", TTFontFace.addSubsetObjects
    )
    assert [renderer.render(printable) for printable in printables] == built_afresh
    text, _ = pdf_text(built_afresh[-1])
    for printed in ("АБВГД", "αβγδε", "ĀāĂăĄ", "€ – “quoted” · ½"):
        assert printed in text


def test_keeping_the_subsets_widths_and_character_maps_changes_no_byte(
    renderer, long_documents, many_scripts, monkeypatch
) -> None:
    printables = [*long_documents, many_scripts]
    built_afresh = [renderer.render(printable) for printable in printables]
    mapped = []
    monkeypatch.setattr(
        pdf_fonts_module,
        "makeToUnicodeCMap",
        lambda name, subset: mapped.append(name) or makeToUnicodeCMap(name, subset),
    )
    assert [renderer.render(printable) for printable in printables] == built_afresh
    assert mapped == []  # every subset's map was kept from the first renders
    monkeypatch.setattr(pdf_fonts_module.SubsetKeepingFont, "addObjects", TTFont.addObjects)
    assert [renderer.render(printable) for printable in printables] == built_afresh


def text_positions(content: bytes) -> list[tuple[str, float, float, str, float]]:
    """Every piece of text a PDF's first page prints: where its baseline starts on the page,
    in which font and size."""
    printed: list[tuple[str, float, float, str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            name = str(font["/BaseFont"]).split("+")[-1] if font else ""
            printed.append((text.strip(), round(x, 2), round(y, 2), name, round(size, 2)))

    PdfReader(io.BytesIO(content)).pages[0].extract_text(visitor_text=visit)
    return sorted(printed)


def test_a_short_cell_printed_as_a_plain_string_lands_where_its_paragraph_would(
    renderer, invoice_builder
) -> None:
    """The lines, totals and facts tables print numbers, and headers, SKUs, totals and facts
    that fit, as plain strings (cheaper to lay out and draw); a page must look as it did when
    every cell was a paragraph: the same text at the same place in the same font and size."""
    regular, bold = renderer.fonts()
    styles = styles_for(regular, bold, Look(language="en", accent_color="#1F2A44"))
    issued = invoice_builder("o", "INV-1", "SO-1", line_count=12)
    invoice = printing.invoice(issued.model_copy(update={"currency": "JPY"}))
    labels = labels_for("en")
    strings = 0

    def lines_style(row: int, column: int, rows: int) -> ParagraphStyle:
        if row == 0:
            return styles.head_right if column >= 3 else styles.head
        return styles.cell_right if column >= 3 else styles.cell

    def totals_style(row: int, column: int, rows: int) -> ParagraphStyle:
        return styles.total_right if row == rows - 1 else styles.cell_right

    def facts_style(row: int, column: int, rows: int) -> ParagraphStyle:
        return styles.small_grey if column == 0 else styles.cell

    def as_paragraphs(
        table: platypus.Table, style_of: Callable[[int, int, int], ParagraphStyle]
    ) -> platypus.Table:
        """The same table, styled the same, every string a paragraph as it used to be."""
        nonlocal strings
        rows = table._cellvalues
        for row_index, row in enumerate(rows):
            for column, value in enumerate(row):
                if isinstance(value, str) and value:
                    strings += 1
                    style = style_of(row_index, column, len(rows))
                    row[column] = pdf_text_module.Paragraph(markup(value), style)
        return table

    def printed(table: platypus.Table) -> bytes:
        buffer = io.BytesIO()
        platypus.SimpleDocTemplate(buffer, invariant=1).build([table])
        return buffer.getvalue()

    facts = [("Invoice no.", "INV-1"), ("Issue date", "2026-03-20"), ("Your reference", "PO 77")]
    for build, style_of in (
        (lambda: tables_module.lines_table(invoice, labels, styles, 180 * mm), lines_style),
        (
            lambda: supply_tables_module.supply_lines_table(
                invoice, labels, styles, 180 * mm, prices=True
            ),
            lines_style,
        ),
        (lambda: tables_module.totals_table(invoice, labels, styles), totals_style),
        (lambda: supply_tables_module.total_table(invoice, labels, styles), totals_style),
        (lambda: tables_module.facts_table(facts, styles, 80 * mm), facts_style),
    ):
        plain = printed(build())
        assert text_positions(plain) == text_positions(printed(as_paragraphs(build(), style_of)))
    # the rows' numbers and SKUs, both headers, the totals and the facts: all compared
    assert strings >= 12 * (6 + 4) + 8 + 6 + 2 * 4 + 2 + 2 * 3


def test_a_cell_prints_as_a_plain_string_only_what_its_paragraph_would_print() -> None:
    style = ParagraphStyle("cell", fontName="Helvetica", fontSize=8, leading=10)
    assert pdf_text_module.fitting("SKU-0001", style, 100) == "SKU-0001"
    for text, width in (
        ("SKU-0001", 20),  # too wide: the paragraph wraps it
        ("A  B", 100),  # a paragraph collapses the spaces
        (" lead", 100),
        ("tab\there", 100),
        ("bell\x07", 100),  # a paragraph drops control characters
    ):
        assert isinstance(pdf_text_module.fitting(text, style, width), platypus.Paragraph), text
    kept = pdf_text_module.fitting("<b>x</b> & y", style, 100)
    assert kept == "<b>x</b> & y"  # a plain string prints markup characters literally


def test_a_kept_subset_file_is_taken_again_only_for_the_same_characters_in_order() -> None:
    face = pdfmetrics.getFont(build_renderer(DocumentsSettings()).fonts()[0]).face
    latin = [0, *range(32, 127), 0xE9]
    files = [face._subset_file(tuple(subset), True) for subset in (latin, latin[::-1], latin)]
    assert files[0] == files[2]
    assert files[0][1] != files[1][1]  # the same characters in another order: another file
    assert zlib.decompress(files[0][1]) == face.makeSubset(latin)
    assert files[0][0] == len(face.makeSubset(latin))


def test_renders_share_the_styles_of_equal_fonts_and_colours() -> None:
    plain = styles_for("Regular", "Bold", None)
    spanish = styles_for("Regular", "Bold", Look(language="es"))
    branded = styles_for("Regular", "Bold", Look(language="es", primary_color="#003366"))
    dark_header = styles_for("Regular", "Bold", Look(language="es", accent_color="#000000"))
    assert plain is spanish  # the language prints other words, in the same styles
    assert branded is styles_for("Regular", "Bold", Look(language="de", primary_color="#003366"))
    assert branded is not plain
    assert branded.title.textColor.hexval() == "0x003366"
    assert plain.title.textColor.hexval() != "0x003366"
    assert dark_header.head.textColor.hexval() == "0xffffff"
    assert styles_for("Other", "Bold", None) is not plain
    assert styles_for("Other", "Bold", None).base.fontName == "Other"


def test_a_huge_unbroken_description_still_fits(renderer, order_builder) -> None:
    order = order_builder("o", "SO-LONG", line_count=2)
    huge = "Ж" * 4000  # one "word" far taller than a page once wrapped in its column
    line = order.lines[0].model_copy(update={"description": huge})
    order = order.model_copy(update={"lines": [line, order.lines[1]]})
    text, pages = pdf_text(renderer.render(printing.order_confirmation(order)))
    assert pages >= 1
    assert text.count("Ж") == 4000


def test_no_lines_and_no_addresses(renderer, order_builder) -> None:
    order = order_builder("o", "SO-EMPTY", line_count=0).model_copy(
        update={"billing_address": None, "shipping_address": None, "opening_text": None}
    )
    text, pages = pdf_text(renderer.render(printing.order_confirmation(order)))
    assert pages == 1
    assert "No lines." in text
    assert "Thank you for your order" in text


def test_a_missing_font_names_the_file_and_the_package(tmp_path: Path) -> None:
    missing = tmp_path / "NoSuchFont.ttf"
    renderer = PdfRenderer(
        Letterhead("X"),
        font_path=missing,
        bold_font_path="/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    )
    with pytest.raises(FontUnavailable) as raised:
        renderer.check_fonts()
    message = str(raised.value)
    assert str(missing) in message
    assert "fonts-dejavu-core" in message
    assert "DOCUMENTS_FONT_PATH" in message
    assert isinstance(raised.value, OSError)  # the consumer retries, never dead-letters


def test_an_unusable_font_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "Broken.ttf"
    broken.write_bytes(b"not a font")
    renderer = PdfRenderer(Letterhead("X"), font_path=broken, bold_font_path=broken)
    with pytest.raises(FontUnavailable, match="unusable"):
        renderer.check_fonts()


# --- text helpers -----------------------------------------------------------------------------


def test_markup_escapes_user_text_and_keeps_line_breaks() -> None:
    assert markup("<b>x</b> & <font>") == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;font&gt;"
    assert markup("a\r\nb\nc") == "a<br/>b<br/>c"
    assert markup("bell\x07 and nul\x00") == "bell and nul"
    assert markup(None) == ""


def test_number_formats() -> None:
    assert format_amount(Decimal("1234567.5")) == "1,234,567.50"
    assert format_amount(Decimal("2.675")) == "2.68"  # half up, not banker's rounding
    assert format_amount(Decimal("-3.005")) == "-3.01"
    assert format_quantity(Decimal("10.500")) == "10.5"
    assert format_quantity(Decimal("1000.000")) == "1,000"
    assert format_percent(Decimal("19.0000")) == "19"
    assert format_percent(Decimal("7.5000")) == "7.5"
    assert format_percent(Decimal("100")) == "100"


def test_split_text_bounds_every_piece() -> None:
    text = "uno dos tres " * 200 + "\n" + "x" * 1500 + "\nfin"
    pieces = split_text(text, limit=100)
    assert all(len(piece) <= 100 for piece in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )
    assert split_text("short\ntext", limit=100) == ["short\ntext"]
    assert split_text("", limit=100) == [""]


@pytest.mark.parametrize(
    ("currency", "price", "net", "tax", "gross"),
    [
        ("JPY", "333.5", "1,001", "100", "1,101"),  # no minor unit: whole yen, no decimals
        ("BHD", "0.415", "1.245", "0.125", "1.370"),  # 3 minor digits: fils
    ],
)
def test_amounts_are_printed_with_the_currency_minor_digits(
    renderer, invoice_builder, currency: str, price: str, net: str, tax: str, gross: str
) -> None:
    issued = invoice_builder("order-1", "INV-2026-000002", "SO-2026-000002", line_count=1)
    plain = {"net": net.replace(",", ""), "tax": tax, "gross": gross.replace(",", "")}
    line = issued.lines[0].model_copy(
        update={
            "quantity": Decimal(3),
            "unit_price": Decimal(price),
            "discount_percent": Decimal(0),
            "tax_rate": Decimal(10),
            "net_amount": Decimal(plain["net"]),
            "tax_amount": Decimal(plain["tax"]),
            "gross_amount": Decimal(plain["gross"]),
        }
    )
    totals = issued.totals.model_copy(
        update={
            "net": Decimal(plain["net"]),
            "tax": Decimal(plain["tax"]),
            "gross": Decimal(plain["gross"]),
            "taxes": [],
        }
    )
    issued = issued.model_copy(update={"currency": currency, "lines": [line], "totals": totals})
    text, _ = pdf_text(renderer.render(printing.invoice(issued)))
    assert f"{gross} {currency}" in text
    assert f"Please pay {gross} {currency}" in text
    assert f"Tax 10 % on {net}" in text  # the breakdown computed from the printed lines
    assert price in text
    assert format_amount(Decimal("1234.5"), "JPY") == "1,235"
    assert format_amount(Decimal("1.2345"), "BHD") == "1.235"


def test_credit_note_prints_the_invoice_it_credits_the_reason_and_the_settlement(
    renderer, invoice_builder, credit_note_builder
) -> None:
    issued = invoice_builder("order-1", "INV-2026-000001", "SO-2026-000001", line_count=5)
    note = credit_note_builder(issued, "CN-2026-000001", line_count=2, credit="1.00")
    content = renderer.render(printing.credit_note(note))

    text, _ = pdf_text(content)
    assert "Credit note" in text
    assert "CN-2026-000001" in text
    assert "Credits invoice" in text
    assert "INV-2026-000001" in text
    assert "SO-2026-000001" in text
    assert "2026-03-25" in text  # issue date
    assert "Reason: Goods returned damaged / товар повреждён" in text
    assert "We credit you for the following items." in text
    gross = f"{note.totals.gross:,.2f}"
    assert f"{gross} EUR" in text
    deducted = f"{note.applied_amount:,.2f}"
    assert f"{deducted} EUR is deducted from what invoice INV-2026-000001 still owes." in text
    assert "1.00 EUR is kept as credit in your favour." in text
    assert "Please pay" not in text
    assert "PAYMENT TERMS" not in text
    assert_only_embedded_dejavu(content)
