"""Outgoing webhooks any service can send: Standard Webhooks signatures, safe targets, retries.

A service keeps its subscriptions and a delivery outbox in its own database (orders does, see
its `webhooks` modules); what does not depend on those tables lives here:

- `new_secret()` and `signed_headers()`: the Standard Webhooks convention (`webhook-id`,
  `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`),
  signed by the `standardwebhooks` reference library, so any receiver's library verifies it.
- `check_target()` / `resolve_target()`: a target URL must be https (unless allowed) and must not
  point at loopback, link-local, private or otherwise non-public addresses (unless allowed): a
  subscription must not turn the service into a probe of its own network.
- `post()`: one delivery attempt to an address checked just before (no second look-up a
  rebinding DNS server could answer otherwise), redirects not followed, bounded by a total
  timeout. The request keeps its host name (its `Host`, its TLS server name and certificate,
  and the connection pool's key): `http_client()`'s connections go to the address `pinning()`
  names for the host, so a kept-alive connection serves only the host it was opened for.
- `retry_delay()`: the exponential backoff between attempts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import ipaddress
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpcore
import httpx
from prometheus_client import Counter, Histogram
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
MAX_ERROR = 1000

WEBHOOK_ATTEMPTS = Counter(
    "suite_webhook_attempts_total",
    "Webhook delivery attempts by outcome (delivered, failed)",
    ["service", "outcome"],
)
WEBHOOK_RESPONSE_SECONDS = Histogram(
    "suite_webhook_response_seconds",
    "How long receivers took to answer a webhook delivery attempt",
    ["service"],
)
WEBHOOK_SUBSCRIPTIONS_DISABLED = Counter(
    "suite_webhook_subscriptions_disabled_total",
    "Webhook subscriptions disabled after repeated failed deliveries",
    ["service"],
)


class WebhookSettings(BaseSettings):
    """`WEBHOOK_*`: how a service sends webhooks (identical for every service of a deployment)."""

    model_config = SettingsConfigDict(env_prefix="WEBHOOK_", extra="ignore")

    allow_private_targets: bool = Field(
        default=False,
        description="Accept loopback, link-local and private addresses (tests, closed networks)",
    )
    allow_http: bool = Field(default=False, description="Accept http:// targets (not https)")
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Whole attempt, connection to last byte"
    )
    max_attempts: int = Field(default=8, ge=1, le=50, description="Then the delivery has failed")
    first_backoff_seconds: float = Field(default=30.0, gt=0)
    max_backoff_seconds: float = Field(default=6 * 3600.0, gt=0)
    disable_after_failures: int = Field(
        default=20, ge=1, description="Consecutive failed attempts that disable a subscription"
    )
    concurrency: int = Field(default=10, ge=1, le=200, description="Attempts in flight at once")
    poll_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="The dispatcher's fallback poll (new deliveries wake it by NOTIFY)",
    )
    retention_days: float = Field(
        default=30.0, gt=0, description="How long the delivery log keeps finished deliveries"
    )


class UnsafeTarget(ValueError):
    """A target URL the settings do not allow (its message says why)."""


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt to send `body` as message `message_id`."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at.astimezone(UTC), body),
        "content-type": "application/json",
    }


def _address_refusal(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone index
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "not a public address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


def _host_of(url: str, settings: WebhookSettings) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a valid URL: {exc}") from None
    allowed = ("https", "http") if settings.allow_http else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeTarget(f"must be an {' or '.join(allowed)} URL")
    if not parts.hostname:
        raise UnsafeTarget("has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("must not carry credentials: the signature authenticates us")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_addresses(host: str, addresses: Iterable[str], settings: WebhookSettings) -> None:
    """Refuse when any address the host resolves to is not allowed by the settings."""
    if settings.allow_private_targets:
        return
    for address in addresses:
        reason = _address_refusal(address)
        if reason is not None:
            if host == address:
                raise UnsafeTarget(f"{host} is {reason}")
            raise UnsafeTarget(f"{host} resolves to {address}, {reason}")


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (the event loop's non-blocking getaddrinfo)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeTarget(f"{host} cannot be resolved: {exc}") from None
    return sorted({str(info[4][0]) for info in infos})


def check_target(url: str, settings: WebhookSettings) -> tuple[str, int]:
    """Check what can be checked without DNS: scheme, host, and an IP literal's range.

    Returns the host and port for `resolve_target`.
    """
    host, port = _host_of(url, settings)
    if not _is_ip_literal(host):
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            check_addresses(host, ["127.0.0.1"], settings)
        return host, port
    check_addresses(host, [host.strip("[]")], settings)
    return host, port


async def resolve_target(
    url: str, settings: WebhookSettings, resolver: Resolver = resolve
) -> list[str]:
    """`check_target`, then every address of the host: raises `UnsafeTarget` when refused;
    returns the addresses checked (none where every address is allowed).

    Called when a subscription is saved and again before each attempt (a name may be re-pointed
    at an internal address after it was accepted); the attempt then connects to an address
    checked here, never to what a second look-up might answer (`pinned`).
    """
    host, port = check_target(url, settings)
    if settings.allow_private_targets:  # any address will do: nothing to check or pin
        return []
    addresses = await resolver(host, port)
    check_addresses(host, addresses, settings)
    return addresses


# The address each host name connects to, in this context (an attempt's task): `pinning()`.
_PINNED: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "webhook_pinned_addresses", default=None
)


@contextlib.contextmanager
def pinning(addresses: Mapping[str, str]) -> Iterator[None]:
    """While the block runs (in this task), `http_client()`'s new connections to a host named
    in `addresses` go to its address there, not to what resolving the name again would answer
    (DNS rebinding). Names as a URL carries them to the network (`httpx.URL(url).raw_host`,
    IDNA-encoded)."""
    token = _PINNED.set(addresses)
    try:
        yield
    finally:
        _PINNED.reset(token)


def pinned_address(host: str) -> str | None:
    """The address `host` connects to in this context, if `pinning()` named one."""
    return (_PINNED.get() or {}).get(host)


class _PinningBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting to the pinned address of a host if it has one.
    The URL, and so the pool's key, the `Host` header and the TLS server name, keep the host."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._backend.connect_tcp(
            pinned_address(host) or host, port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._backend.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Attempt:
    """The outcome of one attempt: delivered (a 2xx answer) or the reason it was not."""

    delivered: bool
    status_code: int | None
    error: str | None
    response_ms: int


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: str,
    headers: dict[str, str],
    settings: WebhookSettings,
    resolver: Resolver = resolve,
) -> Attempt:
    """Send one attempt. Never raises for the receiver's faults: they are the outcome.

    The whole attempt, name resolution included, is cut at `timeout_seconds`; redirects are
    answers like any other (a 3xx is a failure), never followed.
    """
    started = time.perf_counter()

    def outcome(status: int | None, error: str | None) -> Attempt:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Attempt(error is None, status, error[:MAX_ERROR] if error else None, elapsed)

    try:
        async with asyncio.timeout(settings.timeout_seconds):
            addresses = await resolve_target(url, settings, resolver)
            host = httpx.URL(url).raw_host.decode("ascii")  # as the pool will connect to it
            with pinning({host: addresses[0]} if addresses and not _is_ip_literal(host) else {}):
                response = await client.post(
                    url, content=body.encode(), headers=headers, follow_redirects=False
                )
    except UnsafeTarget as exc:
        return outcome(None, f"target refused: {exc}")
    except TimeoutError:
        return outcome(None, f"no answer within {settings.timeout_seconds:g}s")
    except httpx.TimeoutException:
        return outcome(None, f"no answer within {settings.timeout_seconds:g}s")
    except httpx.HTTPError as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    if 200 <= response.status_code < 300:
        return outcome(response.status_code, None)
    if response.is_redirect:
        location = response.headers.get("location", "")
        return outcome(response.status_code, f"redirect to {location!r} not followed")
    return outcome(response.status_code, f"HTTP {response.status_code}")


def http_client(settings: WebhookSettings) -> httpx.AsyncClient:
    """The client attempts are sent with: no redirects, no proxies from the environment, and
    connections made to the addresses `pinning()` names."""
    transport = httpx.AsyncHTTPTransport(
        trust_env=False, limits=httpx.Limits(max_connections=settings.concurrency * 2)
    )
    # httpx takes no network backend; its pool does (`network_backend=`), and keeps it here.
    pool = transport._pool
    if not isinstance(pool, httpcore.AsyncConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx's transport no longer keeps an httpcore pool: pin otherwise")
    pool._network_backend = _PinningBackend(pool._network_backend)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.timeout_seconds),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": "sales-order-suite-webhooks/1"},
    )


def retry_delay(attempts: int, settings: WebhookSettings) -> timedelta:
    """The wait after the `attempts`-th failed attempt: first_backoff, doubling, capped."""
    seconds = settings.first_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.max_backoff_seconds))
