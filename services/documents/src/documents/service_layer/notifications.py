"""Milestone notifications: an order became backordered, fully shipped, overdue or paid, and
its owner is told by e-mail, when they gave an address here and did not opt out of that
milestone, in the language they chose (English unless chosen). The e-mail goes through the
same outbox as documents' e-mails, with nothing attached; its outcome is reported as
`suite.notification.emailed.v1` on the order's timeline."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from contracts import EventType
from contracts.events import OrderMilestone
from documents.domain.emails import Email
from documents.domain.notifications import MILESTONE_EVENTS
from documents.service_layer.mailing import utcnow
from documents.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# Subject and text of each milestone's e-mail per language ({number}: the order's number), and
# the footer saying why it came.
MESSAGES: dict[str, dict[EventType, tuple[str, str]]] = {
    "en": {
        EventType.ORDER_BACKORDERED: (
            "Order {number} is backordered",
            "Some lines of order {number} could not be reserved: they wait for stock.",
        ),
        EventType.ORDER_SHIPPED: (
            "Order {number} is fully shipped",
            "Every line of order {number} has been shipped.",
        ),
        EventType.ORDER_OVERDUE: (
            "Order {number} is overdue",
            "An invoice of order {number} is past its due date and not paid in full.",
        ),
        EventType.ORDER_PAID: (
            "Order {number} is paid",
            "The invoices of order {number} are paid in full.",
        ),
    },
    "es": {
        EventType.ORDER_BACKORDERED: (
            "El pedido {number} está pendiente de existencias",
            "Algunas líneas del pedido {number} no se pudieron reservar: esperan existencias.",
        ),
        EventType.ORDER_SHIPPED: (
            "El pedido {number} se ha enviado por completo",
            "Todas las líneas del pedido {number} se han enviado.",
        ),
        EventType.ORDER_OVERDUE: (
            "El pedido {number} tiene un pago vencido",
            "Una factura del pedido {number} ha vencido y no está pagada por completo.",
        ),
        EventType.ORDER_PAID: (
            "El pedido {number} está pagado",
            "Las facturas del pedido {number} están pagadas por completo.",
        ),
    },
    "ru": {
        EventType.ORDER_BACKORDERED: (
            "Заказ {number} ожидает поступления товара",
            "Некоторые позиции заказа {number} не удалось зарезервировать: они ждут поступления.",
        ),
        EventType.ORDER_SHIPPED: (
            "Заказ {number} полностью отгружен",
            "Все позиции заказа {number} отгружены.",
        ),
        EventType.ORDER_OVERDUE: (
            "Оплата заказа {number} просрочена",
            "Счёт по заказу {number} просрочен и оплачен не полностью.",
        ),
        EventType.ORDER_PAID: (
            "Заказ {number} оплачен",
            "Счета по заказу {number} оплачены полностью.",
        ),
    },
}
FOOTERS: dict[str, str] = {
    "en": "You receive this because you own the order; you can opt out in your notification "
    "settings.",
    "es": "Recibe este mensaje porque es el responsable del pedido; puede darse de baja en su "
    "configuración de notificaciones.",
    "ru": "Вы получили это письмо, потому что отвечаете за этот заказ; отказаться от писем можно "
    "в настройках уведомлений.",
}
NOTIFIED_MILESTONES: tuple[EventType, ...] = tuple(MESSAGES["en"])


async def queue_notification(
    uow: UnitOfWork,
    milestone_type: str,
    milestone: OrderMilestone,
    *,
    correlation_id: str | None,
    now: datetime | None = None,
) -> Email | None:
    """Queue the owner's e-mail about the milestone; None when there is nobody to tell."""
    if milestone.owner is None:
        return None
    event_type = EventType(milestone_type)
    preferences = await uow.notification_preferences.get(milestone.owner)
    address = preferences.address_for(MILESTONE_EVENTS[event_type])
    if address is None:
        return None
    language = preferences.language if preferences.language in MESSAGES else "en"
    subject, text = MESSAGES[language][event_type]
    email = Email(
        id=uuid.uuid4(),
        document_id=None,
        to=[address],
        subject=subject.format(number=milestone.number),
        message=text.format(number=milestone.number) + "\n\n" + FOOTERS[language],
        order_id=milestone.order_id,
        milestone=milestone_type,
        next_attempt_at=now or utcnow(),
        correlation_id=correlation_id,
    )
    await uow.emails.add(email)
    log.info("notification %s of %s queued for %s", email.id, milestone_type, milestone.number)
    return email
