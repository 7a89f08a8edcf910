"""Bearer-token authentication and role-based authorisation for every service's HTTP API.

Tokens are JWTs verified with PyJWT against the identity provider's JWKS URL or a configured
public key (RS256/ES256): signature, expiry, issuer and audience. A shared-secret (HS256) mode
exists for local development only and is refused unless `AUTH_ALLOW_DEV_SECRET=true`.

Roles come from the `roles` claim (a list) or from `scope` (space-separated); `admin` may do
everything. The subject (`sub`) becomes the actor of every change and of the events it causes;
the optional `team` claim names the caller's team (record-level visibility may use it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.http import Problem


class Role(StrEnum):
    SALES = "sales"  # customers, quotes, orders
    WAREHOUSE = "warehouse"  # products, stock, shipments
    ACCOUNTING = "accounting"  # invoices, payments
    PURCHASING = "purchasing"  # vendors, purchase orders
    ADMIN = "admin"  # configuration; may do everything
    INTEGRATION = "integration"  # read access plus submitting orders
    VIEWER = "viewer"  # read only


READ = frozenset(Role)  # any role may read


class Unauthenticated(Problem):
    status = 401
    title = "Unauthorized"


class Forbidden(Problem):
    status = 403
    title = "Forbidden"


class AuthSettings(BaseSettings):
    """`AUTH_*`: how tokens are verified. One of jwks_url, public_key(_file) or a dev secret."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    jwks_url: str | None = None
    public_key: SecretStr | None = None
    public_key_file: Path | None = None
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    issuer: str = "suite-dev"
    audience: str = "sales-order-suite"
    leeway_seconds: int = 30
    dev_secret: SecretStr | None = None
    allow_dev_secret: bool = False
    protect_metrics: bool = False

    @model_validator(mode="after")
    def _one_verifier(self) -> AuthSettings:
        if self.dev_secret is not None and not self.allow_dev_secret:
            raise ValueError(
                "AUTH_DEV_SECRET is for local development only: also set "
                "AUTH_ALLOW_DEV_SECRET=true to use it, or configure AUTH_JWKS_URL/AUTH_PUBLIC_KEY"
            )
        if self.dev_secret is not None and len(self.dev_secret.get_secret_value()) < 32:
            raise ValueError("AUTH_DEV_SECRET must be at least 32 characters")
        if not (self.jwks_url or self.public_key or self.public_key_file or self.dev_secret):
            raise ValueError(
                "no token verification configured: set AUTH_JWKS_URL, AUTH_PUBLIC_KEY(_FILE) "
                "or, for local development, AUTH_DEV_SECRET with AUTH_ALLOW_DEV_SECRET=true"
            )
        return self


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    team: str | None = None

    def has_any(self, roles: frozenset[Role]) -> bool:
        return Role.ADMIN in self.roles or bool(self.roles & roles)


_actor: ContextVar[str | None] = ContextVar("actor", default=None)


def current_actor() -> str | None:
    """The subject of the request being served, if any: the actor of the change it makes."""
    return _actor.get()


@contextmanager
def acting_as(actor: str | None) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


# A client sends the same token with every request until it expires. Once verified, a token's
# principal is kept while the token is valid, and at most as long as PyJWKClient keeps a fetched
# signing key (300 s): checking the signature again cost 75 µs a request with HS256, 120 µs with
# an RS256 key, and a key from a JWKS also sent each check to a worker thread. Up to TOKENS_KEPT
# tokens, then the store starts over.
TOKENS_KEPT = 1024
TOKEN_KEPT_SECONDS = 300.0


class TokenVerifier:
    def __init__(
        self, settings: AuthSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._kept: dict[str, tuple[Principal, float]] = {}  # token → principal, kept until
        self._jwks = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        )
        key: str | None = None
        if settings.public_key is not None:
            key = settings.public_key.get_secret_value()
        elif settings.public_key_file is not None:
            key = settings.public_key_file.read_text()
        self._public_key = key

    @property
    def fetches_keys(self) -> bool:
        return self._jwks is not None

    def kept(self, token: str) -> Principal | None:
        """The principal of `token` if it was verified lately and is still valid, else None."""
        found = self._kept.get(token)
        if found is None:
            return None
        principal, until = found
        if self._clock() < until:
            return principal
        self._kept.pop(token, None)
        return None

    def verify(self, token: str) -> Principal:
        """The principal of a valid `token` (else `Unauthenticated`), kept for its next uses."""
        try:
            key, algorithms = self._key_for(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=algorithms,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the bearer token has expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("the bearer token is not meant for this audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the bearer token comes from an unknown issuer") from None
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthenticated(f"invalid bearer token: {exc}") from None
        roles = claims.get("roles", [])
        if isinstance(roles, str):
            roles = roles.split()
        scopes = str(claims.get("scope", "")).split()
        team = claims.get("team")
        principal = Principal(
            subject=str(claims["sub"]),
            roles=frozenset([*roles, *scopes]),
            team=str(team) if team else None,
        )
        valid_for = float(claims["exp"]) + self.settings.leeway_seconds - time.time()
        if len(self._kept) >= TOKENS_KEPT:
            self._kept.clear()
        self._kept[token] = (principal, self._clock() + min(valid_for, TOKEN_KEPT_SECONDS))
        return principal

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key, self.settings.algorithms
        if self._public_key is not None:
            return self._public_key, self.settings.algorithms
        assert self.settings.dev_secret is not None
        return self.settings.dev_secret.get_secret_value(), ["HS256"]


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        raise Unauthenticated("authentication is not configured on this service")
    return verifier


async def authenticate(request: Request) -> Principal:
    """The caller's identity from `Authorization: Bearer <JWT>`; it becomes the actor."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("a bearer token is required (Authorization: Bearer <JWT>)")
    verifier = _verifier(request)
    token = token.strip()
    principal = verifier.kept(token)
    if principal is None and verifier.fetches_keys:
        # The JWKS client may do blocking HTTP on a cache miss.
        principal = await asyncio.to_thread(verifier.verify, token)
    elif principal is None:
        principal = verifier.verify(token)
    # async dependency: set in the request's own context (sync ones run in a worker thread)
    _actor.set(principal.subject)
    return principal


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting a principal with any of `roles` (or admin)."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(r.value for r in allowed))

    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.has_any(allowed):
            raise Forbidden(f"this needs one of the roles: {names}", missing_scopes=sorted(allowed))
        return principal

    return dependency


def require_for_changes(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Reads need any role; anything else (POST, PUT, PATCH, DELETE) needs one of `roles`."""
    changing = require(*roles)
    reading = require(*READ)

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(authenticate)]
    ) -> Principal:
        check = reading if request.method in ("GET", "HEAD", "OPTIONS") else changing
        return await check(principal)

    return dependency


def mint_token(
    secret_or_private_key: str,
    *,
    subject: str,
    roles: list[str],
    issuer: str = "suite-dev",
    audience: str = "sales-order-suite",
    ttl_seconds: int = 8 * 3600,
    algorithm: str = "HS256",
    team: str | None = None,
) -> str:
    """Issue a token (development and tests only; production tokens come from the IdP)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": roles,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if team is not None:
        claims["team"] = team
    token: str = jwt.encode(claims, secret_or_private_key, algorithm=algorithm)
    return token


def main(argv: list[str] | None = None) -> int:
    """`suite-token --role sales [--subject alice]`: a development token (AUTH_DEV_SECRET)."""
    import argparse

    parser = argparse.ArgumentParser(prog="suite-token", description=main.__doc__)
    parser.add_argument("--role", action="append", choices=[r.value for r in Role], required=True)
    parser.add_argument("--subject", default=None, help="defaults to dev-<first role>")
    parser.add_argument("--hours", type=float, default=8)
    args = parser.parse_args(argv)
    settings = AuthSettings()
    if settings.dev_secret is None:
        parser.error("AUTH_DEV_SECRET is not set: tokens for real deployments come from the IdP")
    print(
        mint_token(
            settings.dev_secret.get_secret_value(),
            subject=args.subject or f"dev-{args.role[0]}",
            roles=args.role,
            issuer=settings.issuer,
            audience=settings.audience,
            ttl_seconds=int(args.hours * 3600),
        )
    )
    return 0
