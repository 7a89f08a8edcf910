"""Signing in and out: OpenID Connect (authorization code + PKCE, Authlib) against the
identity provider; in local development only, a form that picks a role and a name."""

from __future__ import annotations

from typing import Annotated, Any

import jwt
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.config import ConsoleSettings
from console.domain.user import ROLES, User
from console.entrypoints.i18n import LANGUAGES, N_
from console.entrypoints.web import check_csrf, formatting, render, safe_next, see_other
from servicekit.auth import mint_token

router = APIRouter(dependencies=[Depends(check_csrf)])

OIDC_CLIENT = "idp"
DEV_TOKEN_HOURS = 8


def build_oauth(settings: ConsoleSettings) -> OAuth | None:
    """The OpenID Connect client, or None when only development sign-in is configured."""
    if not settings.oidc:
        return None
    oauth = OAuth()
    oauth.register(
        OIDC_CLIENT,
        client_id=settings.oidc_client_id,
        client_secret=(
            settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
        ),
        server_metadata_url=settings.oidc_metadata_url,
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
    )
    return oauth


def _settings(request: Request) -> ConsoleSettings:
    settings: ConsoleSettings = request.app.state.settings
    return settings


def _start_session(request: Request, user: User) -> None:
    """A fresh session (new CSRF token) for the person who just signed in."""
    request.session.clear()
    request.session["user"] = user.to_session()


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    settings = _settings(request)
    return render(
        request,
        "sign_in.html",
        {
            "next": safe_next(next),
            "oidc": settings.oidc,
            "oidc_name": settings.oidc_name,
            "dev_sign_in": settings.dev_sign_in,
            "roles": ROLES,
        },
    )


@router.post("/sign-in/dev")
async def dev_sign_in(
    request: Request,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    role: Annotated[list[str], Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Development only: a token for the chosen roles, signed with the development secret."""
    settings = _settings(request)
    if not settings.dev_sign_in or settings.dev_secret is None:
        return render(request, "sign_in.html", {"message": N_("Not available.")}, status_code=404)
    roles = sorted({r for r in role if r in ROLES})
    if not roles:
        return render(
            request,
            "sign_in.html",
            {
                "next": safe_next(next),
                "dev_sign_in": True,
                "roles": ROLES,
                "message": N_("Pick at least one role."),
            },
            status_code=422,
        )
    subject = name.strip()
    token = mint_token(
        settings.dev_secret.get_secret_value(),
        subject=subject,
        roles=roles,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=DEV_TOKEN_HOURS * 3600,
    )
    _start_session(request, User(subject, subject, frozenset(roles), token))
    return see_other(request, safe_next(next))


@router.get("/sign-in/oidc")
async def oidc_sign_in(request: Request, next: str | None = None) -> Response:
    oauth: OAuth | None = request.app.state.oauth
    if oauth is None:
        return render(request, "sign_in.html", {"message": N_("Not available.")}, status_code=404)
    request.session["next"] = safe_next(next)
    redirect_uri = str(request.url_for("oidc_callback"))
    response: Response = await oauth.create_client(OIDC_CLIENT).authorize_redirect(
        request, redirect_uri
    )
    return response


@router.get("/sign-in/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    oauth: OAuth | None = request.app.state.oauth
    if oauth is None:
        return render(request, "sign_in.html", {"message": N_("Not available.")}, status_code=404)
    settings = _settings(request)
    try:
        token: dict[str, Any] = await oauth.create_client(OIDC_CLIENT).authorize_access_token(
            request
        )
    except OAuthError as exc:
        return render(
            request,
            "sign_in.html",
            {
                "oidc": True,
                "oidc_name": settings.oidc_name,
                "message": formatting(request).translate(
                    N_("Sign-in failed: %(reason)s"), {"reason": exc.description or exc.error}
                ),
            },
            status_code=400,
        )
    next_url = safe_next(request.session.get("next"))
    _start_session(request, user_from_tokens(token, settings.oidc_roles_claim))
    return see_other(request, next_url)


def user_from_tokens(token: dict[str, Any], roles_claim: str) -> User:
    """The person from the verified ID token's claims; roles from the ID token or, failing
    that, from the access token the services will verify (read here only to choose buttons)."""
    claims: dict[str, Any] = dict(token.get("userinfo") or {})
    access_token = str(token["access_token"])
    roles = claims.get(roles_claim)
    if roles is None:
        try:
            roles = jwt.decode(access_token, options={"verify_signature": False}).get(roles_claim)
        except jwt.PyJWTError:
            roles = None
    if isinstance(roles, str):
        roles = roles.split()
    subject = str(claims.get("sub", ""))
    name = str(claims.get("name") or claims.get("preferred_username") or subject)
    return User(subject, name, frozenset(str(r) for r in roles or []), access_token)


@router.post("/language")
async def choose_language(
    request: Request,
    language: Annotated[str, Form(max_length=10)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """The person's choice of language, kept in their session (else the browser's is used)."""
    if language in LANGUAGES:
        request.session["lang"] = language
    return see_other(request, safe_next(next))


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    request.session.clear()
    return see_other(request, "/sign-in")
