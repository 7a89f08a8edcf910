"""A milestone e-mail is written in the language its recipient chose (English unless chosen)."""

from __future__ import annotations

import pytest

from contracts import EventType
from contracts.events import OrderMilestone
from documents.domain.notifications import NOTIFICATION_LANGUAGES, NotificationPreferences
from documents.service_layer.notifications import FOOTERS, MESSAGES, queue_notification

SHIPPED = OrderMilestone(
    order_id="o-1", number="SO-2026-000009", fulfilment="shipped", billing="none", owner="ana"
)


@pytest.mark.parametrize(
    ("language", "subject", "sentence"),
    [
        (None, "Order SO-2026-000009 is fully shipped", "Every line of order SO-2026-000009"),
        ("es", "El pedido SO-2026-000009 se ha enviado por completo", "Todas las líneas"),
        ("ru", "Заказ SO-2026-000009 полностью отгружен", "Все позиции заказа SO-2026-000009"),
    ],
)
async def test_the_owner_is_written_to_in_their_language(
    fake_uow, language: str | None, subject: str, sentence: str
) -> None:
    await fake_uow.notification_preferences.save(
        NotificationPreferences("ana", "ana@example.com", language=language)
    )
    email = await queue_notification(
        fake_uow, EventType.ORDER_SHIPPED.value, SHIPPED, correlation_id=None
    )
    assert email is not None
    assert email.subject == subject
    assert sentence in email.message
    assert email.message.endswith(FOOTERS[language or "en"])


def test_every_language_has_every_milestone_and_a_footer() -> None:
    assert set(MESSAGES) == set(FOOTERS) == set(NOTIFICATION_LANGUAGES)
    for language, messages in MESSAGES.items():
        assert set(messages) == set(MESSAGES["en"]), language
        for subject, text in messages.values():
            assert "{number}" in subject, language
            assert "{number}" in text, language
