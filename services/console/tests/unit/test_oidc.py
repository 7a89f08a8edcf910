"""OpenID Connect sign-in: the authorization request carries PKCE (S256) and a state."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx

from console.bootstrap import build_app
from console.config import ConsoleSettings

from ..conftest import FakeSuiteApi


async def test_sign_in_redirects_to_the_identity_provider_with_pkce(monkeypatch):
    # Not the local stack's settings (deploy/local/env.sh turns Secure cookies off for plain HTTP).
    for name in ("AUTH_DEV_SECRET", "AUTH_ALLOW_DEV_SECRET", "CONSOLE_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    settings = ConsoleSettings(
        oidc_metadata_url="https://idp.example/.well-known/openid-configuration",
        oidc_client_id="console",
        session_secret="s" * 40,
        oidc_name="Example ID",
    )
    app = build_app(settings, FakeSuiteApi())
    client = app.state.oauth.create_client("idp")
    client.server_metadata.update(  # as loaded from the metadata URL
        {
            "issuer": "https://idp.example",
            "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token",
            "jwks_uri": "https://idp.example/jwks",
            "_loaded_at": time.time(),
        }
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://console.example") as http:
        page = await http.get("/sign-in?next=/invoices")
        assert "Sign in with Example ID" in page.text
        assert "/sign-in/dev" not in page.text  # no development sign-in here
        response = await http.get("/sign-in/oidc?next=/invoices")
        refused = await http.post("/sign-in/dev", data={"name": "x", "role": ["admin"]})
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert (
        f"{location.scheme}://{location.netloc}{location.path}" == "https://idp.example/authorize"
    )
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["console"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0]
    assert query["redirect_uri"] == ["https://console.example/sign-in/callback"]
    assert "secure" in response.headers["set-cookie"].lower()
    assert refused.status_code == 403  # no CSRF token; and the form does not exist here
