"""Settings of the console (environment variables `CONSOLE_*`; the services' URLs and the
development identity are read under the names the local stack already exports)."""

from __future__ import annotations

import hashlib
import hmac

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    """The console's own variable first, then the name the rest of the suite uses."""
    return AliasChoices(f"CONSOLE_{name}", name)


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    json_logs: bool = False

    # The four services' public HTTP APIs, called with the signed-in user's token.
    orders_url: str = Field("http://127.0.0.1:8001", validation_alias=_env("ORDERS_URL"))
    inventory_url: str = Field("http://127.0.0.1:8002", validation_alias=_env("INVENTORY_URL"))
    billing_url: str = Field("http://127.0.0.1:8003", validation_alias=_env("BILLING_URL"))
    documents_url: str = Field("http://127.0.0.1:8004", validation_alias=_env("DOCUMENTS_URL"))
    request_timeout_seconds: float = Field(default=15.0, gt=0)

    # The session cookie: signed with this secret, HttpOnly, SameSite=Lax.
    session_secret: SecretStr | None = Field(
        default=None, description="At least 32 characters; derived from AUTH_DEV_SECRET locally"
    )
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    cookie_secure: bool = Field(default=True, description="false only for plain-HTTP development")

    # OpenID Connect: authorization code flow with PKCE against the identity provider.
    oidc_metadata_url: str | None = Field(
        default=None, description="The IdP's .well-known/openid-configuration"
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = Field(default=None, description="None: public client")
    oidc_scope: str = "openid profile email"
    oidc_roles_claim: str = "roles"
    oidc_name: str = Field(default="the identity provider", description="Shown on the button")

    # Local development only: sign in by picking a role and a name; tokens are signed with the
    # development secret the services accept when AUTH_ALLOW_DEV_SECRET=true.
    dev_secret: SecretStr | None = Field(default=None, validation_alias="AUTH_DEV_SECRET")
    allow_dev_secret: bool = Field(default=False, validation_alias="AUTH_ALLOW_DEV_SECRET")
    token_issuer: str = Field(default="suite-dev", validation_alias="AUTH_ISSUER")
    token_audience: str = Field(default="sales-order-suite", validation_alias="AUTH_AUDIENCE")

    @model_validator(mode="after")
    def _sign_in_configured(self) -> ConsoleSettings:
        if self.dev_secret is not None and not self.allow_dev_secret:
            raise ValueError(
                "AUTH_DEV_SECRET is for local development only: set AUTH_ALLOW_DEV_SECRET=true "
                "as well, or configure CONSOLE_OIDC_METADATA_URL and CONSOLE_OIDC_CLIENT_ID"
            )
        if bool(self.oidc_metadata_url) != bool(self.oidc_client_id):
            raise ValueError("CONSOLE_OIDC_METADATA_URL and CONSOLE_OIDC_CLIENT_ID go together")
        if not (self.oidc_metadata_url or self.dev_sign_in):
            raise ValueError(
                "no sign-in configured: set CONSOLE_OIDC_METADATA_URL and CONSOLE_OIDC_CLIENT_ID "
                "or, for local development, AUTH_DEV_SECRET with AUTH_ALLOW_DEV_SECRET=true"
            )
        if self.session_secret is None and not self.dev_sign_in:
            raise ValueError("CONSOLE_SESSION_SECRET is required (at least 32 characters)")
        if self.session_secret is not None and len(self.session_secret.get_secret_value()) < 32:
            raise ValueError("CONSOLE_SESSION_SECRET must be at least 32 characters")
        return self

    @property
    def dev_sign_in(self) -> bool:
        return self.dev_secret is not None and self.allow_dev_secret

    @property
    def oidc(self) -> bool:
        return self.oidc_metadata_url is not None

    def cookie_signing_key(self) -> str:
        if self.session_secret is not None:
            return self.session_secret.get_secret_value()
        assert self.dev_secret is not None  # the validator allows no other case
        key = self.dev_secret.get_secret_value().encode()
        return hmac.new(key, b"console-session", hashlib.sha256).hexdigest()
