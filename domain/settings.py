"""Configuration: environment variables prefixed `TIDINGS_` (and a `.env` file). Secrets only from
the environment. Defaults point at the local sandbox so `tidings dev` needs no configuration."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDINGS_", env_file=".env", extra="ignore")

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_api_key: SecretStr | None = None  # Temporal Cloud; implies TLS
    temporal_tls: bool = False
    task_queue: str = "tidings"
    database_url: str = "sqlite+aiosqlite:///.data/tidings.db"
    time_scale: float = 1.0

    opentext_base_url: str = "http://127.0.0.1:8025/mra/v1"
    opentext_token_url: str = "http://127.0.0.1:8025/tenants/tidings/oauth2/token"
    opentext_client_id: str = "tidings-dev"
    opentext_client_secret: SecretStr = SecretStr("tidings-dev")
    # HTTP Basic instead of OAuth when a username is set.
    opentext_username: str | None = None
    opentext_password: SecretStr | None = None
    opentext_from_name: str = "Tidings Store"

    # Shared secret OpenText's status and inbound webhooks must carry (header below); our side of
    # an unverified wire detail (reference/opentext.md), so it is ours to choose.
    opentext_callback_secret: SecretStr | None = None
    opentext_callback_header: str = "X-Tidings-Callback-Secret"

    bigcommerce_api_url: str = "http://127.0.0.1:8025"
    bigcommerce_client_secret: SecretStr | None = None
    # The older alternative to signatures: a secret custom header set when the hook was created.
    bigcommerce_header_name: str = "X-Tidings-Secret"
    bigcommerce_header_secret: SecretStr | None = None
    # API tokens per store hash, JSON: {"abc123": "token"}; `*` is the fallback (the sandbox takes any).
    bigcommerce_tokens: dict[str, SecretStr] = {"*": SecretStr("sandbox")}

    sfcc_webhook_secret: SecretStr | None = None
    sap_webhook_user: str | None = None
    sap_webhook_password: SecretStr | None = None

    # Bearer token for the ingress's own APIs (preferences, subscriptions).
    api_token: SecretStr | None = None

    ingress_host: str = "127.0.0.1"
    ingress_port: int = 8000
    sandbox_port: int = 8025

    ops_email: str = "ops@example.com"
    ops_phone: str | None = None
    cart_incentive_code: str | None = None  # set: the abandoned-cart incentive step is on
    store_url: str = "https://store.example"  # storefront root: product, review and reorder links
    pickup_location: str = "our store"
    pickup_cancel_on_expiry: bool = True  # False: an uncollected pickup only alerts the store team
    store_team_email: str = "store@example.com"
    store_team_phone: str | None = None
    service_desk_url: str | None = None  # a generic signed HTTP target for case replies (any service desk)
    service_desk_secret: SecretStr | None = None
    service_team_email: str = "service@example.com"
    review_delay_days: float = 7.0  # after delivery, unless a product category asks for longer
    review_reminder_days: float = 5.0
    high_value_threshold: float = 1000.0
    ship_sla_hours: float = 48.0

    def bigcommerce_token(self, store_hash: str) -> str:
        token = self.bigcommerce_tokens.get(store_hash) or self.bigcommerce_tokens.get("*")
        if token is None:
            raise LookupError(f"no BigCommerce API token configured for store {store_hash}")
        return token.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    return Settings()
