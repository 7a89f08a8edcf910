"""Bearer tokens: verified once, then kept while valid and for at most TOKEN_KEPT_SECONDS."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from pydantic import SecretStr

from servicekit.auth import (
    TOKEN_KEPT_SECONDS,
    TOKENS_KEPT,
    AuthSettings,
    Principal,
    Role,
    TokenVerifier,
    Unauthenticated,
    current_actor,
    require,
)
from servicekit.http import install_problem_handlers

SECRET = "a-development-secret-of-32-chars!"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings() -> AuthSettings:
    return AuthSettings(  # every field given: AUTH_* in the environment changes nothing here
        dev_secret=SecretStr(SECRET),
        allow_dev_secret=True,
        leeway_seconds=0,
        jwks_url=None,
        public_key=None,
        public_key_file=None,
        issuer="suite-dev",
        audience="sales-order-suite",
    )


def token(subject: str = "alice", *, lives: float = 3600, **claims: object) -> str:
    return jwt.encode(
        {
            "sub": subject,
            "iss": "suite-dev",
            "aud": "sales-order-suite",
            "exp": int(time.time() + lives),
            "roles": ["sales"],
            **claims,
        },
        SECRET,
        algorithm="HS256",
    )


def test_a_verified_token_is_kept_with_its_principal() -> None:
    verifier = TokenVerifier(settings(), clock=Clock())
    alice = token(team="north")
    assert verifier.kept(alice) is None
    principal = verifier.verify(alice)
    assert principal == Principal("alice", frozenset({"sales"}), "north")
    assert verifier.kept(alice) == principal
    assert verifier.kept(token("bob")) is None


def test_a_token_is_kept_no_longer_than_it_is_valid() -> None:
    clock = Clock()
    verifier = TokenVerifier(settings(), clock=clock)
    short = token(lives=60)
    verifier.verify(short)
    clock.now += 55
    assert verifier.kept(short) is not None
    clock.now += 10  # past its expiry: verified again (and refused) from now on
    assert verifier.kept(short) is None


def test_a_long_lived_token_is_verified_again_after_the_keeping_time() -> None:
    clock = Clock()
    verifier = TokenVerifier(settings(), clock=clock)
    day = token(lives=86_400)
    verifier.verify(day)
    clock.now += TOKEN_KEPT_SECONDS - 1
    assert verifier.kept(day) is not None
    clock.now += 2
    assert verifier.kept(day) is None


def test_a_refused_token_is_not_kept() -> None:
    verifier = TokenVerifier(settings(), clock=Clock())
    forged = jwt.encode(
        jwt.decode(token(), options={"verify_signature": False}),
        "another-secret-of-at-least-32-chars",
        algorithm="HS256",
    )
    with pytest.raises(Unauthenticated):
        verifier.verify(forged)
    assert verifier.kept(forged) is None
    expired = token(lives=-10)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(expired)
    assert verifier.kept(expired) is None


def test_the_store_starts_over_once_full() -> None:
    verifier = TokenVerifier(settings(), clock=Clock())
    tokens = [token(f"user-{n}") for n in range(TOKENS_KEPT + 1)]
    for each in tokens:
        verifier.verify(each)
    assert verifier.kept(tokens[0]) is None
    assert verifier.kept(tokens[-1]) is not None


async def test_requests_with_a_kept_token_skip_the_signature_check() -> None:
    verifier = TokenVerifier(settings(), clock=Clock())
    checked: list[str] = []
    verify = verifier.verify

    def counting(raw: str) -> Principal:
        checked.append(raw)
        return verify(raw)

    verifier.verify = counting  # type: ignore[method-assign]
    app = FastAPI(dependencies=[Depends(require(Role.SALES))])
    install_problem_handlers(app)
    app.state.token_verifier = verifier

    @app.get("/me")
    async def me() -> dict[str, str | None]:
        return {"actor": current_actor()}

    headers = {"Authorization": f"Bearer {token('alice')}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        answers = [await client.get("/me", headers=headers) for _ in range(3)]
        refused = await client.get("/me", headers={"Authorization": "Bearer not-a-token"})
    assert [a.json() for a in answers] == [{"actor": "alice"}] * 3
    assert refused.status_code == 401
    assert len(checked) == 2  # alice's token once, the bad one once
