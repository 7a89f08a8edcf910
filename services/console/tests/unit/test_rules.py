"""What an order's state and a person's roles allow, the settings, and the vendored htmx."""

from __future__ import annotations

import hashlib
import re

import pytest

from console.config import ConsoleSettings
from console.domain import orders as rules
from console.entrypoints.signin_views import user_from_tokens
from console.entrypoints.web import STATIC_DIR, safe_next

from ..conftest import order_doc


def names(actions):
    return [a.name for a in actions]


@pytest.mark.parametrize(
    ("status", "fulfilment", "expected"),
    [
        ("draft", "unreserved", ["confirm", "cancel"]),
        ("open", "reserving", ["cancel"]),
        ("open", "reserved", ["ship", "cancel"]),
        ("open", "partially_shipped", ["ship", "close-short"]),
        ("open", "shipped", ["complete"]),
        ("concluded", "shipped", []),
        ("cancelled", "unreserved", []),
    ],
)
def test_the_state_admits_these_actions(status, fulfilment, expected):
    assert names(rules.available_actions(order_doc(status, fulfilment))) == expected


def test_an_order_closed_short_is_not_closed_short_again():
    order = order_doc("open", "partially_shipped", closed_short_at="2026-12-01T10:00:00Z")
    assert names(rules.available_actions(order)) == ["ship"]


def test_roles_choose_among_them():
    order = order_doc("open", "reserved")
    assert names(rules.actions_for(order, frozenset({"warehouse"}))) == ["ship"]
    assert names(rules.actions_for(order, frozenset({"sales"}))) == ["cancel"]
    assert names(rules.actions_for(order, frozenset({"admin"}))) == ["ship", "cancel"]
    assert rules.actions_for(order, frozenset({"viewer", "accounting"})) == []


def test_an_order_of_services_only_can_be_completed_once_open():
    order = order_doc(
        "open",
        "unreserved",
        lines=[{"sku": "S", "kind": "service", "quantity": "1", "shipped_quantity": "0"}],
    )
    assert names(rules.available_actions(order)) == ["complete", "cancel"]


def test_what_is_left_to_ship_adds_up_per_sku():
    order = order_doc(
        lines=[
            {"sku": "A", "kind": "product", "quantity": "2.5", "shipped_quantity": "0.5"},
            {"sku": "A", "kind": "product", "quantity": "1", "shipped_quantity": "0"},
            {"sku": "B", "kind": "product", "quantity": "1", "shipped_quantity": "1"},
            {"sku": "S", "kind": "service", "quantity": "1", "shipped_quantity": "0"},
        ]
    )
    assert rules.remaining(order) == [{"sku": "A", "quantity": "3.0"}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/orders/1", "/orders/1"),
        ("//evil.example/", "/orders"),
        ("https://evil.example", "/orders"),
        ("/\\evil.example", "/orders"),
        (None, "/orders"),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(value, expected):
    assert safe_next(value) == expected


def test_sign_in_needs_an_identity_provider_or_the_development_secret(monkeypatch):
    for name in ("AUTH_DEV_SECRET", "AUTH_ALLOW_DEV_SECRET", "CONSOLE_SESSION_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="no sign-in configured"):
        ConsoleSettings()
    with pytest.raises(ValueError, match="local development only"):
        ConsoleSettings(dev_secret="x" * 40)
    with pytest.raises(ValueError, match="CONSOLE_SESSION_SECRET is required"):
        ConsoleSettings(
            oidc_metadata_url="https://idp/.well-known/openid-configuration",
            oidc_client_id="console",
        )
    settings = ConsoleSettings(
        oidc_metadata_url="https://idp/.well-known/openid-configuration",
        oidc_client_id="console",
        session_secret="s" * 32,
    )
    assert settings.oidc
    assert not settings.dev_sign_in


def test_the_person_comes_from_the_id_token_and_roles_may_come_from_the_access_token():
    import jwt

    access = jwt.encode({"sub": "u1", "roles": ["accounting"]}, "k" * 32, algorithm="HS256")
    user = user_from_tokens(
        {"access_token": access, "userinfo": {"sub": "u1", "name": "Una"}}, "roles"
    )
    assert (user.subject, user.name, user.roles, user.token) == (
        "u1",
        "Una",
        frozenset({"accounting"}),
        access,
    )
    user = user_from_tokens(
        {"access_token": access, "userinfo": {"sub": "u1", "roles": "sales viewer"}}, "roles"
    )
    assert user.roles == frozenset({"sales", "viewer"})
    assert user.name == "u1"


def test_the_vendored_htmx_is_the_recorded_one():
    record = (STATIC_DIR / "VENDORED.md").read_text()
    row = next(line for line in record.splitlines() if line.startswith("| `htmx.min.js`"))
    recorded = re.findall(r"`([0-9a-f]{64})`", row)
    assert recorded == [hashlib.sha256((STATIC_DIR / "htmx.min.js").read_bytes()).hexdigest()]
    assert "2.0.11" in row


def test_bars_are_shares_of_the_largest_in_their_currency():
    from decimal import Decimal

    from console.domain.charts import bar_widths

    rows = [
        {"currency": "EUR", "gross": "50"},
        {"currency": "EUR", "gross": "200"},
        {"currency": "USD", "gross": "0"},
        {"currency": "EUR", "gross": "not a number"},
    ]
    assert bar_widths(rows) == [Decimal("25.0"), Decimal("100.0"), Decimal(0), Decimal(0)]
