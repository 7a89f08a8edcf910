"""The documents of the supply side: the purchase order sent to a vendor and the delivery note
(packing slip) of a shipment. Plain Python: their extra facts and their words in each language.

A purchase order is printed for its vendor (the vendor takes the party block, the warehouse
the goods go to and the expected date are facts); a delivery note is printed per shipment of an
order, from the order as its last confirmation described it (kept by this service) and the
shipment's lines: SKU, description and quantity, never a price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SupplyDetails:
    """What a purchase order or a delivery note prints beyond a sales document's fields."""

    warehouse: str | None = None  # where a purchase order's goods go; where a shipment left from
    expected_date: date | None = None  # of a purchase order
    order_number: str | None = None  # the order a delivery note ships
    shipment_id: str | None = None
    shipping_date: date | None = None
    carrier: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class SupplyLabels:
    """The fixed texts of purchase orders and delivery notes in one language."""

    purchase_order: str
    purchase_order_no: str
    purchase_order_date: str
    expected_date: str
    deliver_to_warehouse: str
    vendor: str
    vendor_sku: str  # {code}
    expected: str  # {date}
    opening_purchase_order: str
    delivery_note: str
    delivery_note_no: str
    shipment: str
    shipping_date: str
    shipped_from: str
    carrier: str
    tracking_number: str
    opening_delivery_note: str


SUPPLY_LABELS: dict[str, SupplyLabels] = {
    "en": SupplyLabels(
        purchase_order="Purchase order",
        purchase_order_no="PO no.",
        purchase_order_date="Order date",
        expected_date="Expected",
        deliver_to_warehouse="Deliver to",
        vendor="VENDOR",
        vendor_sku="Your code: {code}",
        expected="Expected {date}",
        opening_purchase_order="Please supply the following items.",
        delivery_note="Delivery note",
        delivery_note_no="Delivery note no.",
        shipment="Shipment",
        shipping_date="Shipping date",
        shipped_from="Shipped from",
        carrier="Carrier",
        tracking_number="Tracking no.",
        opening_delivery_note="Please find enclosed the following items of your order.",
    ),
    "es": SupplyLabels(
        purchase_order="Pedido de compra",
        purchase_order_no="N.º de pedido",
        purchase_order_date="Fecha del pedido",
        expected_date="Entrega prevista",
        deliver_to_warehouse="Entregar en",
        vendor="PROVEEDOR",
        vendor_sku="Su ref.: {code}",
        expected="Previsto el {date}",
        opening_purchase_order="Les rogamos nos suministren los siguientes artículos.",
        delivery_note="Albarán de entrega",
        delivery_note_no="N.º de albarán",
        shipment="Envío",
        shipping_date="Fecha de envío",
        shipped_from="Enviado desde",
        carrier="Transportista",
        tracking_number="N.º de seguimiento",
        opening_delivery_note="Le enviamos los siguientes artículos de su pedido.",
    ),
    "ru": SupplyLabels(
        purchase_order="Заказ поставщику",
        purchase_order_no="№ заказа",
        purchase_order_date="Дата заказа",
        expected_date="Ожидается",
        deliver_to_warehouse="Склад доставки",
        vendor="ПОСТАВЩИК",
        vendor_sku="Ваш артикул: {code}",
        expected="Ожидается {date}",
        opening_purchase_order="Просим поставить следующие позиции.",
        delivery_note="Накладная",
        delivery_note_no="№ накладной",
        shipment="Отгрузка",
        shipping_date="Дата отгрузки",
        shipped_from="Склад отгрузки",
        carrier="Перевозчик",
        tracking_number="Трек-номер",
        opening_delivery_note="Направляем вам следующие позиции вашего заказа.",
    ),
}


def supply_labels(language: str) -> SupplyLabels:
    """The supply labels of a label set's language (English when there are none)."""
    return SUPPLY_LABELS.get(language, SUPPLY_LABELS["en"])
