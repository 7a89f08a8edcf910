"""The services' English said in the reader's language: timeline entries from their type and
data, 422 field messages from their validation type; the service's words when that cannot be."""

from __future__ import annotations

from typing import Any

import pytest

from console.entrypoints.i18n import Formatting
from console.entrypoints.service_texts import TIMELINE, field_message, timeline_text
from console.service_layer.ports import ServiceError

from ..conftest import csrf_of, order_doc

SPANISH, RUSSIAN, ENGLISH = Formatting("es"), Formatting("ru"), Formatting("en")
NBSP = "\xa0"

ORDER = {"number": "SO-7", "currency": "EUR", "totals": {"gross": "1234.50"}}
LINES = [{"sku": "WIDGET", "quantity": "1500"}, {"sku": "GADGET", "quantity": "2.5"}]

# type → (data, Spanish, Russian); spaces in the expected texts are compared without their kind
CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "order.created": (
        {"order": ORDER},
        "Pedido SO-7 creado: 1.234,50 €",
        "Заказ SO-7 создан: 1 234,50 €",
    ),
    "order.confirmed": (
        {"order": ORDER},
        "Pedido SO-7 confirmado: 1.234,50 €",
        "Заказ SO-7 подтверждён: 1 234,50 €",
    ),
    "order.completed": (
        {"order": ORDER},
        "Pedido SO-7 completado: 1.234,50 €",
        "Заказ SO-7 выполнен: 1 234,50 €",
    ),
    "order.cancelled": (
        {"order_id": "o1", "number": "SO-7", "reason": "duplicate", "previous_status": "open"},
        "Pedido SO-7 cancelado — duplicate",
        "Заказ SO-7 отменён — duplicate",
    ),
    "order.closed_short": (
        {"order_id": "o1", "number": "SO-7", "remainder": []},
        "Pedido SO-7 cerrado con lo enviado",
        "Заказ SO-7 закрыт по отгруженному",
    ),
    "order.revised": (
        {"order": ORDER, "revision": 2, "changes": []},
        "Pedido SO-7 modificado (revisión 2)",
        "Заказ SO-7 изменён (редакция 2)",
    ),
    "order.stage_changed": (
        {"order_id": "o1", "number": "SO-7", "from_stage": "Lead", "to_stage": "Won"},
        "Etapa cambiada de Lead a Won",
        "Этап изменён с «Lead» на «Won»",
    ),
    "order.backordered": (
        {"order_id": "o1", "number": "SO-7", "fulfilment": "backordered", "billing": "x"},
        "Pedido SO-7 pendiente de stock",
        "Заказ SO-7 ожидает поступления товара",
    ),
    "order.shipped": (
        {"order_id": "o1", "number": "SO-7"},
        "Pedido SO-7 enviado por completo",
        "Заказ SO-7 отгружен полностью",
    ),
    "order.paid": (
        {"order_id": "o1", "number": "SO-7"},
        "Pedido SO-7 pagado por completo",
        "Заказ SO-7 оплачен полностью",
    ),
    "order.overdue": (
        {"order_id": "o1", "number": "SO-7"},
        "Pedido SO-7 con pago vencido",
        "Заказ SO-7 просрочен",
    ),
    "stock.reserved": (
        {"order_id": "o1", "lines": LINES},
        "Existencias reservadas: 1.500 × WIDGET, 2,5 × GADGET",
        "Товар зарезервирован: 1 500 × WIDGET, 2,5 × GADGET",
    ),
    "stock.reservation_failed": (
        {"order_id": "o1", "shortages": [{"sku": "WIDGET", "requested": "5", "available": "2"}]},
        "Existencias insuficientes, pedido pendiente de stock: WIDGET: solicitado 5, disponible 2",
        "Недостаточно товара, заказ ожидает поступления: WIDGET: запрошено 5, доступно 2",
    ),
    "stock.released": (
        {"order_id": "o1", "lines": LINES[:1]},
        "Reserva liberada: 1.500 × WIDGET",
        "Резерв снят: 1 500 × WIDGET",
    ),
    "shipment.dispatched": (
        {
            "order_id": "o1",
            "shipment_id": "s1",
            "lines": LINES[1:],
            "fully_shipped": False,
            "carrier": "DHL",
            "tracking_number": "JD01",
        },
        "Envío despachado: 2,5 × GADGET; pedido enviado en parte (DHL, JD01)",
        "Отгрузка отправлена: 2,5 × GADGET; заказ отгружен частично (DHL, JD01)",
    ),
    "shipment.delivered": (
        {"order_id": "o1", "shipment_id": "s1", "delivered_at": "2026-12-01T10:00:00Z"},
        "Envío entregado el 1 dic 2026",
        "Отгрузка доставлена 1 дек. 2026 г.",
    ),
    "invoice.issued": (
        {"number": "INV-3", "currency": "USD", "totals": {"gross": "99"}},
        "Factura INV-3 emitida: 99,00 US$",
        "Счёт INV-3 выставлен: 99,00 $",
    ),
    "payment.received": (
        {"invoice_number": "INV-3", "amount": "40", "balance": "59", "currency": "EUR"},
        "Pago de 40,00 € recibido para la factura INV-3; saldo 59,00 €",
        "Получен платёж 40,00 € по счёту INV-3; остаток 59,00 €",
    ),
    "credit_note.issued": (
        {
            "number": "CN-1",
            "invoice_number": "INV-3",
            "currency": "EUR",
            "totals": {"gross": "10"},
            "reason": "damaged",
        },
        "Nota de crédito CN-1 emitida para la factura INV-3: 10,00 € — damaged",
        "Кредит-нота CN-1 к счёту INV-3 выставлена: 10,00 € — damaged",
    ),
    "document.generated": (
        {"kind": "order_confirmation", "reference": "SO-7"},
        "Documento generado: confirmación de pedido SO-7",
        "Документ сформирован: подтверждение заказа SO-7",
    ),
    "delivery_note.generated": (
        {"reference": "DN-SO-7-1", "shipment_id": "s1"},
        "Documento generado: albarán DN-SO-7-1",
        "Документ сформирован: накладная DN-SO-7-1",
    ),
    "return.received": (
        {"number": "RMA-1", "lines": [{"sku": "WIDGET", "quantity": "1", "disposition": "scrap"}]},
        "Devolución RMA-1 recibida: 1 × WIDGET (desecho)",
        "Возврат RMA-1 получен: 1 × WIDGET (списание)",
    ),
}


def entry(kind: str, data: Any, **extra: Any) -> dict[str, Any]:
    return {
        "type": f"suite.{kind}.v1",
        "summary": "the service's words",
        "data": data,
        "source": "orders",
        "occurred_at": "2026-12-01T10:00:00Z",
        "actor": None,
        **extra,
    }


def plain(text: str) -> str:
    return text.replace(NBSP, " ").replace("\u202f", " ")


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_type_reads_in_spanish_and_russian(kind: str) -> None:
    data, spanish, russian = CASES[kind]
    assert plain(timeline_text(SPANISH, entry(kind, data))) == spanish
    assert plain(timeline_text(RUSSIAN, entry(kind, data))) == russian


def test_english_words_come_from_the_data_too() -> None:
    data, _, _ = CASES["stock.reserved"]
    assert timeline_text(ENGLISH, entry("stock.reserved", data)) == (
        "Stock reserved: 1,500 × WIDGET, 2.5 × GADGET"
    )


def test_every_covered_type_has_a_case() -> None:
    assert set(TIMELINE) - set(CASES) <= {"return.authorised"}


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("quote.sent", {"number": "Q-1"}),  # a type without words of ours
        ("order.created", {"external_reference": "x"}),  # the data lacks the order
        ("stock.reserved", {"order_id": "o1", "lines": "WIDGET"}),  # lines of the wrong shape
        ("invoice.issued", {"number": "INV-3", "totals": {}}),
        ("order.cancelled", None),
    ],
)
def test_the_service_summary_stays_when_the_words_cannot_be_made(kind: str, data: Any) -> None:
    assert timeline_text(SPANISH, entry(kind, data)) == "the service's words"


def test_a_stale_entry_says_it_was_not_applied() -> None:
    text = timeline_text(SPANISH, entry("order.paid", {"number": "SO-7"}, stale=True))
    assert (
        text
        == "No aplicado (ya había llegado un evento posterior): Pedido SO-7 pagado por completo"
    )


@pytest.mark.parametrize(
    ("error", "spanish", "russian"),
    [
        ({"type": "missing", "message": "Field required"}, "Obligatorio.", "Обязательное поле."),
        (
            {"type": "string_too_short", "message": "x", "limit": "3"},
            "Longitud mínima: 3.",
            "Минимальная длина: 3.",
        ),
        (
            {"type": "string_too_long", "message": "x", "limit": "2000"},
            "Longitud máxima: 2.000.",
            "Максимальная длина: 2 000.",
        ),
        (
            {"type": "string_too_long", "message": "x"},
            "Demasiado largo.",
            "Слишком длинное значение.",
        ),
        ({"type": "decimal_parsing", "message": "x"}, "No es un número válido.", "Это не число."),
        (
            {"type": "date_from_datetime_parsing", "message": "x"},
            "No es una fecha válida.",
            "Это не дата.",
        ),
        (
            {"type": "greater_than", "message": "x", "limit": "0"},
            "Debe ser mayor que cero.",
            "Должно быть больше нуля.",
        ),
        (
            {"type": "greater_than_equal", "message": "x", "limit": "1"},
            "Debe ser como mínimo 1.",
            "Должно быть не меньше 1.",
        ),
        (
            {"type": "enum", "message": "Input should be 'a' or 'b'"},
            "No es uno de los valores permitidos.",
            "Недопустимое значение.",
        ),
        # a kind we do not word, or none at all (a domain rule): the service's message
        ({"type": "value_error", "message": "Bad IBAN"}, "Bad IBAN", "Bad IBAN"),
        ({"message": "unknown customer"}, "unknown customer", "unknown customer"),
    ],
)
def test_field_messages_by_kind(error: dict[str, Any], spanish: str, russian: str) -> None:
    assert plain(field_message(SPANISH, error)) == spanish
    assert plain(field_message(RUSSIAN, error)) == russian


async def test_the_order_card_timeline_and_a_refusal_next_to_its_field_in_spanish(
    client, fake_api, sign_in
):
    fake_api.orders["o1"] = order_doc(id="o1", status="open", fulfilment="reserved")
    fake_api.timeline = [
        entry("order.confirmed", {"order": ORDER}),
        entry("suite.unknown", {}, type="suite.webhook.disabled.v1", summary="Webhook off"),
    ]
    await sign_in("sales")
    page = await client.get("/orders/o1", headers={"Accept-Language": "es"})
    assert "Pedido SO-7 confirmado: 1.234,50" in page.text
    assert "Webhook off" in page.text  # not covered: the service's words
    assert "the service&#39;s words" not in page.text

    fake_api.refuse["orders /customers/c1/contacts"] = ServiceError(
        422,
        "Invalid input",
        "Invalid fields: body.email, body.name",
        errors=[
            {
                "field": "body.email",
                "message": "String too long",
                "type": "string_too_long",
                "limit": "200",
            },
            {"field": "body.name", "message": "A contact needs a name"},
        ],
    )
    fake_api.resources["orders /customers/c1/contacts"] = {"items": []}
    card = await client.get("/customers/c1", headers={"Accept-Language": "es"})
    answer = await client.post(
        "/customers/c1/contacts",
        data={"csrf_token": csrf_of(card.text), "name": "", "email": "x" * 201},
        headers={"Accept-Language": "es"},
    )
    assert 'id="err-email" role="alert">Longitud máxima: 200.' in answer.text
    assert 'id="err-name" role="alert">A contact needs a name' in answer.text
