"""The words a document prints around the data, in each language a template may choose.

English is the built-in look: its labels are exactly what documents printed before templates
existed. A template's language is a BCP 47 tag (`es`, `es-MX`, `ru`); its primary subtag picks
the label set. Dates and amounts keep one format in every language (ISO 8601, `1,234.50`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

# BCP 47 in its common shape: a 2-3 letter language, then subtags (script, region, variants).
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


class UnsupportedLanguage(ValueError):
    """No label set for the language of a tag."""


@dataclass(frozen=True)
class Labels:
    """Every fixed text of a document in one language."""

    language: str
    order_confirmation: str
    invoice: str
    credit_note: str
    quotation: str
    order_no: str
    order_date: str
    invoice_no: str
    credit_note_no: str
    credited_invoice_no: str
    reason: str  # {reason}
    credit_deducted: str  # {amount} {currency} {number}: taken off what the invoice owes
    credit_kept: str  # {amount} {currency}: kept as the customer's credit
    issue_date: str
    due_date: str
    quotation_no: str
    quotation_date: str
    valid_until: str
    your_reference: str
    currency: str
    vat_id: str
    attention: str
    customer: str
    bill_to: str
    ship_to: str
    column_no: str
    column_sku: str
    column_description: str
    column_quantity: str
    column_unit_price: str
    column_discount: str
    column_tax: str
    column_net: str  # {currency}
    no_lines: str
    net_total: str
    tax_on: str  # {rate} {base}
    total_tax: str
    total: str  # {currency}
    payment_terms: str
    payable_immediately: str
    payable_within: Callable[[int], str]
    please_pay: str  # {amount} {currency} {number}
    please_pay_by: str  # {amount} {currency} {date} {number}
    quotation_valid_until: str  # {date}
    page: str  # {number} {total}
    opening_order_confirmation: str
    opening_invoice: str
    opening_credit_note: str
    opening_quotation: str
    # Delivery dates (order confirmations): the order's, and a line's own promise under it.
    requested_delivery: str
    promised_delivery: str
    line_promised_delivery: str  # {date}

    def page_of(self, number: int, total: int) -> str:
        return self.page.format(number=number, total=total)

    def terms(self, days: int, text: str | None) -> str:
        """Payment terms as printed: the agreed text, else a sentence from the number of days."""
        if text:
            return text
        if days == 0:
            return self.payable_immediately
        return self.payable_within(days)

    def payment_request(self, amount: str, currency: str, due: date | None, number: str) -> str:
        if due is None:
            return self.please_pay.format(amount=amount, currency=currency, number=number)
        return self.please_pay_by.format(
            amount=amount, currency=currency, date=due.isoformat(), number=number
        )


def _russian_days(days: int) -> str:
    # "в течение N дня/дней": genitive, singular after 1, 21, 31... (but not 11)
    word = "дня" if days % 10 == 1 and days % 100 != 11 else "дней"
    return f"Оплата в течение {days} {word}."


ENGLISH = Labels(
    language="en",
    order_confirmation="Order confirmation",
    invoice="Invoice",
    credit_note="Credit note",
    quotation="Quotation",
    order_no="Order no.",
    order_date="Order date",
    invoice_no="Invoice no.",
    credit_note_no="Credit note no.",
    credited_invoice_no="Credits invoice",
    reason="Reason: {reason}",
    credit_deducted="{amount} {currency} is deducted from what invoice {number} still owes.",
    credit_kept="{amount} {currency} is kept as credit in your favour.",
    issue_date="Issue date",
    due_date="Due date",
    quotation_no="Quotation no.",
    quotation_date="Quotation date",
    valid_until="Valid until",
    your_reference="Your reference",
    currency="Currency",
    vat_id="VAT ID",
    attention="Attn.",
    customer="CUSTOMER",
    bill_to="BILL TO",
    ship_to="SHIP TO",
    column_no="No.",
    column_sku="SKU",
    column_description="Description",
    column_quantity="Qty",
    column_unit_price="Unit price",
    column_discount="Disc.%",
    column_tax="Tax %",
    column_net="Net ({currency})",
    no_lines="No lines.",
    requested_delivery="Requested delivery",
    promised_delivery="Promised delivery",
    line_promised_delivery="Promised delivery: {date}",
    net_total="Net total",
    tax_on="Tax {rate} % on {base}",
    total_tax="Total tax",
    total="Total ({currency})",
    payment_terms="PAYMENT TERMS",
    payable_immediately="Payable immediately upon receipt.",
    payable_within=lambda days: f"Payable within {days} days.",
    please_pay="Please pay {amount} {currency}, quoting invoice number {number}.",
    please_pay_by="Please pay {amount} {currency} by {date}, quoting invoice number {number}.",
    quotation_valid_until="This quotation is valid until {date}.",
    page="Page {number} of {total}",
    opening_order_confirmation="Thank you for your order. We confirm it as follows.",
    opening_invoice="We invoice you for the following items.",
    opening_credit_note="We credit you for the following items.",
    opening_quotation="Thank you for your interest. We are pleased to quote as follows.",
)

SPANISH = Labels(
    language="es",
    order_confirmation="Confirmación de pedido",
    invoice="Factura",
    credit_note="Nota de crédito",
    quotation="Presupuesto",
    order_no="N.º de pedido",
    order_date="Fecha del pedido",
    invoice_no="N.º de factura",
    credit_note_no="N.º de nota de crédito",
    credited_invoice_no="Rectifica la factura",
    reason="Motivo: {reason}",
    credit_deducted="Se descuentan {amount} {currency} de lo pendiente de la factura {number}.",
    credit_kept="{amount} {currency} quedan como saldo a su favor.",
    issue_date="Fecha de emisión",
    due_date="Vencimiento",
    quotation_no="N.º de presupuesto",
    quotation_date="Fecha",
    valid_until="Válido hasta",
    your_reference="Su referencia",
    currency="Moneda",
    vat_id="NIF-IVA",
    attention="A/A",
    customer="CLIENTE",
    bill_to="FACTURAR A",
    ship_to="ENVIAR A",
    column_no="N.º",
    column_sku="Ref.",
    column_description="Descripción",
    column_quantity="Cant.",
    column_unit_price="Precio unit.",
    column_discount="Dto. %",
    column_tax="Imp. %",
    column_net="Neto ({currency})",
    no_lines="Sin líneas.",
    requested_delivery="Entrega solicitada",
    promised_delivery="Entrega prometida",
    line_promised_delivery="Entrega prometida: {date}",
    net_total="Total neto",
    tax_on="Impuesto {rate} % sobre {base}",
    total_tax="Total impuestos",
    total="Total ({currency})",
    payment_terms="CONDICIONES DE PAGO",
    payable_immediately="Pago inmediato a la recepción.",
    payable_within=lambda days: (
        "Pagadero en un plazo de 1 día." if days == 1 else f"Pagadero en un plazo de {days} días."
    ),
    please_pay="Le rogamos abone {amount} {currency} indicando el número de factura {number}.",
    please_pay_by=(
        "Le rogamos abone {amount} {currency} antes del {date} "
        "indicando el número de factura {number}."
    ),
    quotation_valid_until="Este presupuesto es válido hasta el {date}.",
    page="Página {number} de {total}",
    opening_order_confirmation="Gracias por su pedido. Se lo confirmamos como sigue.",
    opening_invoice="Le facturamos los siguientes artículos.",
    opening_credit_note="Le abonamos los siguientes artículos.",
    opening_quotation="Gracias por su interés. Nos complace presentarle el siguiente presupuesto.",
)

RUSSIAN = Labels(
    language="ru",
    order_confirmation="Подтверждение заказа",
    invoice="Счёт",
    credit_note="Кредит-нота",
    quotation="Коммерческое предложение",
    order_no="№ заказа",
    order_date="Дата заказа",
    invoice_no="№ счёта",
    credit_note_no="№ кредит-ноты",
    credited_invoice_no="К счёту",
    reason="Причина: {reason}",
    credit_deducted="{amount} {currency} списано с задолженности по счёту {number}.",
    credit_kept="{amount} {currency} зачтено в ваш кредит.",
    issue_date="Дата счёта",
    due_date="Оплатить до",
    quotation_no="№ предложения",
    quotation_date="Дата",
    valid_until="Действует до",
    your_reference="Ваш номер",
    currency="Валюта",
    vat_id="ИНН",
    attention="Вниманию:",
    customer="ПОКУПАТЕЛЬ",
    bill_to="ПЛАТЕЛЬЩИК",
    ship_to="АДРЕС ДОСТАВКИ",
    column_no="№",
    column_sku="Артикул",
    column_description="Наименование",
    column_quantity="Кол-во",
    column_unit_price="Цена",
    column_discount="Скидка %",
    column_tax="Налог %",
    column_net="Нетто ({currency})",
    no_lines="Нет позиций.",
    requested_delivery="Желаемая дата поставки",
    promised_delivery="Обещанная дата поставки",
    line_promised_delivery="Обещанная дата поставки: {date}",
    net_total="Итого без налога",
    tax_on="Налог {rate} % с {base}",
    total_tax="Итого налог",
    total="Всего ({currency})",
    payment_terms="УСЛОВИЯ ОПЛАТЫ",
    payable_immediately="Оплата сразу по получении.",
    payable_within=_russian_days,
    please_pay="Просим оплатить {amount} {currency}, указав номер счёта {number}.",
    please_pay_by="Просим оплатить {amount} {currency} до {date}, указав номер счёта {number}.",
    quotation_valid_until="Предложение действительно до {date}.",
    page="Страница {number} из {total}",
    opening_order_confirmation="Благодарим за заказ. Подтверждаем его в следующем составе.",
    opening_invoice="Выставляем счёт за следующие позиции.",
    opening_credit_note="Возмещаем вам стоимость следующих позиций.",
    opening_quotation="Благодарим за интерес. Предлагаем вам следующее.",
)

LABELS: dict[str, Labels] = {labels.language: labels for labels in (ENGLISH, SPANISH, RUSSIAN)}
SUPPORTED_LANGUAGES = tuple(sorted(LABELS))


def primary_language(tag: str) -> str:
    """`es-MX` -> `es`; raises UnsupportedLanguage for a malformed tag."""
    if not LANGUAGE_TAG.match(tag):
        raise UnsupportedLanguage(f"{tag!r} is not a BCP 47 language tag")
    return tag.split("-", 1)[0].lower()


def check_language(tag: str) -> str:
    """The tag, if it is well formed and there is a label set for its language."""
    if primary_language(tag) not in LABELS:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise UnsupportedLanguage(f"no labels for language {tag!r} (supported: {supported})")
    return tag


def labels_for(tag: str | None) -> Labels:
    """The label set of a language tag; English (the built-in look) for none or an unknown one."""
    if not tag:
        return ENGLISH
    try:
        return LABELS.get(primary_language(tag), ENGLISH)
    except UnsupportedLanguage:
        return ENGLISH
