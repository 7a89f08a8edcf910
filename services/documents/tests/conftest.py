"""Builders of the event payloads the documents service consumes (contracts models), and small
letterhead images."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from PIL import Image, ImageDraw

from contracts.common import (
    Address,
    CustomerRef,
    ItemKind,
    OrderLine,
    OrderSnapshot,
    PaymentTerms,
    TaxLine,
    Totals,
)
from contracts.events import InvoiceIssued, InvoiceLine

CENT = Decimal("0.01")
MARKUP = "<b>bold?</b> & <font color=red>"
SPANISH = "Señora Núñez, camión, pingüino"
COMPANY_RU = "ООО Ромашка"
CONTACT_RU = "Иван Петров"


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line_values(index: int) -> dict[str, Any]:
    quantity = Decimal(index % 7 + 1) + Decimal("0.5") * (index % 2)
    unit_price = Decimal("19.99") + Decimal(index)
    discount = Decimal("10") if index % 5 == 0 else Decimal("0")
    tax_rate = Decimal("19") if index % 3 else Decimal("7")
    net = _money(quantity * unit_price * (100 - discount) / 100)
    tax = _money(net * tax_rate / 100)
    description = f"Artículo {index}: camión de juguete / игрушечный грузовик"
    if index == 3:
        description = MARKUP
    return {
        "line_no": index,
        "sku": f"SKU-{index:04d}",
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "discount_percent": discount,
        "tax_rate": tax_rate,
        "net_amount": net,
        "tax_amount": tax,
        "gross_amount": net + tax,
    }


def _totals(lines: list[dict[str, Any]]) -> Totals:
    rates = sorted({line["tax_rate"] for line in lines})
    taxes = [
        TaxLine(
            rate=rate,
            base=sum((x["net_amount"] for x in lines if x["tax_rate"] == rate), Decimal(0)),
            amount=sum((x["tax_amount"] for x in lines if x["tax_rate"] == rate), Decimal(0)),
        )
        for rate in rates
    ]
    net = sum((x["net_amount"] for x in lines), Decimal(0))
    tax = sum((x["tax_amount"] for x in lines), Decimal(0))
    return Totals(net=net, tax=tax, gross=net + tax, taxes=taxes)


def _addresses() -> tuple[Address, Address]:
    billing = Address(
        name=COMPANY_RU,
        line1="ул. Тверская, д. 7",
        postal_code="125009",
        city="Москва",
        country="RU",
    )
    shipping = Address(
        name="Señora Núñez",
        line1="Calle de Alcalá 42",
        postal_code="28014",
        city="Madrid",
        region="Comunidad de Madrid",
        country="ES",
    )
    return billing, shipping


def build_order(order_id: str, number: str, *, line_count: int = 60) -> OrderSnapshot:
    lines = [_line_values(i) for i in range(1, line_count + 1)]
    billing, shipping = _addresses()
    return OrderSnapshot(
        order_id=order_id,
        number=number,
        customer=CustomerRef(id="cust-1", name=COMPANY_RU, email="zakaz@romashka.example"),
        contact=CONTACT_RU,
        order_date=date(2026, 3, 2),
        currency="EUR",
        customer_reference="PO-Ñ-77",
        opening_text=f"Estimada {SPANISH}.\nGracias por su pedido.",
        closing_text="С уважением / Atentamente",
        payment_terms=PaymentTerms(days=14, text="14 días netos / 14 дней нетто"),
        billing_address=billing,
        shipping_address=shipping,
        lines=[OrderLine(kind=ItemKind.PRODUCT, **line) for line in lines],
        totals=_totals(lines),
    )


def build_invoice(
    order_id: str, number: str, order_number: str, *, line_count: int = 60
) -> InvoiceIssued:
    lines = [_line_values(i) for i in range(1, line_count + 1)]
    billing, shipping = _addresses()
    issue = date(2026, 3, 20)
    return InvoiceIssued(
        invoice_id=f"inv-{number}",
        number=number,
        order_id=order_id,
        order_number=order_number,
        customer=CustomerRef(id="cust-1", name=COMPANY_RU, email="buh@romashka.example"),
        billing_address=billing,
        shipping_address=shipping,
        issue_date=issue,
        due_date=issue + timedelta(days=30),
        currency="EUR",
        payment_terms=PaymentTerms(days=30),
        customer_reference="PO-Ñ-77",
        opening_text=f"{SPANISH}: le facturamos lo siguiente.",
        lines=[InvoiceLine(**line) for line in lines],
        totals=_totals(lines),
    )


@pytest.fixture
def order_builder() -> Callable[..., OrderSnapshot]:
    return build_order


@pytest.fixture
def invoice_builder() -> Callable[..., InvoiceIssued]:
    return build_invoice


def image_bytes(kind: str, size: tuple[int, int] = (600, 120)) -> bytes:
    """A small banner: blue, with an orange block (PNG or JPEG)."""
    image = Image.new("RGB", size, "#1F4E79")
    ImageDraw.Draw(image).rectangle([10, 10, size[0] // 3, size[1] - 10], fill="#F2A900")
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def png() -> bytes:
    return image_bytes("PNG")


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    return image_bytes("JPEG")
