"""Outgoing webhooks: Standard Webhooks signatures, target checks, backoff."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import ModuleType

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from servicekit.webhooks import (
    UnsafeTarget,
    WebhookSettings,
    check_target,
    http_client,
    new_secret,
    pinned_address,
    pinning,
    post,
    resolve_target,
    retry_delay,
    signed_headers,
)

STRICT = WebhookSettings()
OPEN = WebhookSettings(allow_private_targets=True, allow_http=True)


def test_a_signature_verifies_with_the_reference_library_and_by_hand() -> None:
    secret = new_secret()
    body = '{"type":"suite.order.created.v1","data":{"number":"SO-1"}}'
    headers = signed_headers(secret, "msg_1", body, datetime.now(UTC))

    assert Webhook(secret).verify(body, headers) == {
        "type": "suite.order.created.v1",
        "data": {"number": "SO-1"},
    }
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"msg_1.{headers['webhook-timestamp']}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert headers["webhook-id"] == "msg_1"


def test_a_changed_body_or_another_secret_does_not_verify() -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", '{"a":1}', datetime.now(UTC))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify('{"a":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify('{"a":1}', headers)


def test_secrets_are_fresh_and_in_the_standard_form() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "must be an https URL"),
        ("ftp://hooks.example.com/x", "must be an https URL"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://localhost:8443/x", "loopback"),
        ("https://[::1]/x", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.1.2.3/x", "private"),
        ("https://192.168.0.10/x", "private"),
        ("https://172.16.5.4/x", "private"),
        ("https://[::ffff:10.0.0.1]/x", "private"),
        ("https://0.0.0.0/x", "not a public address"),
        ("https://100.64.0.1/x", "not a public address"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https:///x", "has no host"),
    ],
)
def test_unsafe_targets_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeTarget, match=reason):
        check_target(url, STRICT)


def test_public_https_targets_pass_and_configuration_can_open_the_rest() -> None:
    assert check_target("https://93.184.215.14/hooks", STRICT) == ("93.184.215.14", 443)
    assert check_target("https://hooks.example.com:8443/x", STRICT) == ("hooks.example.com", 8443)
    assert check_target("http://127.0.0.1:9000/x", OPEN) == ("127.0.0.1", 9000)
    with pytest.raises(UnsafeTarget, match="https or http"):
        check_target("ftp://127.0.0.1/x", OPEN)


async def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    async def internal(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.5"]

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    with pytest.raises(UnsafeTarget, match=r"resolves to 10\.0\.0\.5, a private address"):
        await resolve_target("https://hooks.example.com/x", STRICT, internal)
    await resolve_target("https://hooks.example.com/x", STRICT, public)
    await resolve_target("https://hooks.example.com/x", OPEN, internal)


async def test_an_attempt_connects_to_the_address_checked_not_to_a_second_look_up() -> None:
    answers = iter([["93.184.215.14"], ["10.0.0.5"]])  # a rebinding DNS server

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    sent: list[tuple[httpx.Request, str | None]] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        sent.append((request, pinned_address(request.url.host)))  # where it would connect
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        attempt = await post(
            client, "https://hooks.example.com:8443/in?x=1", "{}", {}, STRICT, rebinding
        )
        assert attempt.delivered, attempt
        [(request, address)] = sent
        # Its host name kept (its Host, its TLS server name and certificate), its address pinned.
        assert str(request.url) == "https://hooks.example.com:8443/in?x=1"
        assert request.headers["host"] == "hooks.example.com:8443"
        assert address == "93.184.215.14"
        assert pinned_address("hooks.example.com") is None  # only while the attempt runs
        refused = await post(
            client, "https://hooks.example.com:8443/in", "{}", {}, STRICT, rebinding
        )
        assert not refused.delivered
        assert (
            refused.error
            == "target refused: hooks.example.com resolves to 10.0.0.5, a private address"
        )
        assert len(sent) == 1


async def test_an_ipv6_address_is_bracketed_and_a_literal_or_an_open_network_left_alone() -> None:
    async def v6(host: str, port: int) -> list[str]:
        return ["2606:2800:220:1:248:1893:25c8:1946"]

    pins: list[str | None] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        pins.append(pinned_address(request.url.raw_host.decode()))
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        await post(client, "https://hooks.example.com/in", "{}", {}, STRICT, v6)
        await post(client, "https://93.184.215.14/in", "{}", {}, STRICT, v6)
        await post(client, "http://hooks.example.com/in", "{}", {}, OPEN, v6)
        await post(client, "https://bücher.example/in", "{}", {}, STRICT, v6)
    assert pins == [
        "2606:2800:220:1:248:1893:25c8:1946",
        None,  # a literal address: nothing to resolve
        None,  # every address allowed: nothing to pin
        "2606:2800:220:1:248:1893:25c8:1946",  # pinned by the name the pool connects to
    ]


async def test_the_client_connects_to_the_pinned_address_and_keeps_a_connection_per_host() -> None:
    accepted: list[int] = []

    async def counting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        await _no_content(reader, writer)

    server = await asyncio.start_server(counting, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    # Names no resolver knows: the requests arrive only because their address is pinned.
    hosts = ["hooks.shop.invalid", "hooks.erp.invalid"]
    try:
        async with http_client(OPEN) as client:
            answers = []
            for host in hosts * 2:
                with pinning({host: "127.0.0.1"}):
                    answers.append(await client.post(f"http://{host}:{port}/in", content=b"{}"))
    finally:
        server.close()
    assert [answer.status_code for answer in answers] == [204] * 4
    # One connection a host, kept alive: never one opened for another host's name (its TLS
    # server name, its certificate), though both are at the same address.
    assert len(accepted) == 2


class _ModuleSearches(importlib.abc.MetaPathFinder):
    """Records each module Python searches for (an import that `sys.modules` did not answer)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        self.names.append(fullname)
        return None  # the other finders go on as usual


async def _no_content(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while await reader.readuntil(b"\r\n\r\n"):
            await reader.readexactly(2)  # the body: {}
            writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass  # the client closed its connection
    finally:
        writer.close()


async def test_a_request_of_the_webhook_client_searches_for_no_module() -> None:
    # httpcore imports sniffio for each lock and event a request sets up: without it installed,
    # each of those was a failed import searching sys.path, ~0.1 ms and six times a request.
    server = await asyncio.start_server(_no_content, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    searches = _ModuleSearches()
    try:
        async with http_client(OPEN) as client:
            first = await client.post(f"http://127.0.0.1:{port}/in", content=b"{}")
            sys.meta_path.insert(0, searches)
            try:
                again = [
                    await client.post(f"http://127.0.0.1:{port}/in", content=b"{}")
                    for _ in range(3)
                ]
            finally:
                sys.meta_path.remove(searches)
    finally:
        server.close()
    assert [r.status_code for r in (first, *again)] == [204] * 4
    assert searches.names == []


def test_backoff_doubles_up_to_its_cap() -> None:
    settings = WebhookSettings(first_backoff_seconds=30, max_backoff_seconds=300)
    assert [retry_delay(n, settings) for n in (1, 2, 3, 4, 5, 6)] == [
        timedelta(seconds=s) for s in (30, 60, 120, 240, 300, 300)
    ]
