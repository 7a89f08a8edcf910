"""An order confirmation prints the order's requested and promised delivery dates, and a line's
own promise under the line (read back from the PDF)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from documents.bootstrap import build_renderer
from documents.config import DocumentsSettings
from documents.domain.templates import Look
from documents.service_layer import printing


@pytest.fixture(scope="module")
def pdf_renderer() -> Any:
    return build_renderer(DocumentsSettings(company_name="Example Ltd."))


def pdf_text(content: bytes) -> str:
    """The text of every page, its white space (labels wrap in their column) one space."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def dated(order: Any) -> Any:
    lines = [
        line.model_copy(update={"promised_delivery_date": date(2026, 3, 20)}) if i == 1 else line
        for i, line in enumerate(order.lines)
    ]
    return order.model_copy(
        update={
            "requested_delivery_date": date(2026, 3, 9),
            "promised_delivery_date": date(2026, 3, 16),
            "lines": lines,
        }
    )


def test_the_confirmation_prints_the_delivery_dates(pdf_renderer: Any, order_builder: Any) -> None:
    order = dated(order_builder("order-1", "SO-2026-000001", line_count=3))
    text = pdf_text(pdf_renderer.render(printing.order_confirmation(order)))
    assert "Requested delivery" in text
    assert "2026-03-09" in text
    assert "Promised delivery" in text
    assert "2026-03-16" in text
    assert text.count("Promised delivery: 2026-03-20") == 1  # line 2's own promise only
    assert text.index("SKU-0002") < text.index("Promised delivery: 2026-03-20")
    assert text.index("Promised delivery: 2026-03-20") < text.index("SKU-0003")

    spanish = pdf_text(pdf_renderer.render(printing.order_confirmation(order, Look(language="es"))))
    assert "Entrega prometida: 2026-03-20" in spanish
    assert "Entrega solicitada" in spanish


def test_an_order_without_dates_prints_none(pdf_renderer: Any, order_builder: Any) -> None:
    order = order_builder("order-2", "SO-2026-000002", line_count=2)
    text = pdf_text(pdf_renderer.render(printing.order_confirmation(order)))
    assert "delivery" not in text.lower()
