"""Configuration: environment variables prefixed `TIDINGS_` (and a `.env` file). Secrets only from
the environment. Defaults point at the local sandbox so `tidings dev` needs no configuration."""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import PositiveInt, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.events import Platform
from domain.notifications import DeliveryPolicy
from domain.policies import SequenceRule
from domain.store_config import StoreConfig, StoreDirectory


class Settings(BaseSettings):
    # An empty variable is unset (compose passes empty defaults along): check-config judges the default.
    model_config = SettingsConfigDict(
        env_prefix="TIDINGS_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    # production: `tidings check-config` (run at every process start) refuses unsafe or missing settings
    env: Literal["development", "production"] = "development"
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_api_key: SecretStr | None = None  # Temporal Cloud; implies TLS
    temporal_tls: bool = False
    # mTLS (self-hosted with client certificates, or Temporal Cloud without an API key): PEM files.
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None  # only for a private CA; the system roots otherwise
    temporal_tls_server_name: str | None = None
    temporal_connect_timeout: float = 120.0  # seconds a starting process waits for Temporal
    namespace_retention_days: int = 30  # `tidings setup-namespace`, when it creates the namespace
    temporal_ui_url: str | None = None  # where operators reach the Temporal Web UI
    temporal_ui_auth: bool = False  # that UI asks for a login (its TEMPORAL_AUTH_ENABLED)
    task_queue: str = "tidings"
    # Worker tuning: which queues a process polls ("main", "bulk" or both), how much it runs at once.
    worker_queues: str = "main,bulk"
    worker_max_cached_workflows: int = 1000
    worker_max_concurrent_activities: int = 100
    worker_max_concurrent_workflow_tasks: int = 100
    worker_shutdown_grace_seconds: float = 30.0  # after SIGTERM: in-flight activities finish within it
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
    opentext_account: str | None = None  # a named account of the stores file; None: the one above

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
    sfcc_api_url: str = "http://127.0.0.1:8025"  # OCAPI host root
    sfcc_token_url: str = "http://127.0.0.1:8025/sfcc/oauth2/access_token"  # Account Manager
    sfcc_client_id: str = "tidings-dev"
    sfcc_client_secret: SecretStr = SecretStr("tidings-dev")
    sfcc_service_cloud_url: str = "http://127.0.0.1:8025"  # Service Cloud org (case comments)
    sap_webhook_user: str | None = None
    sap_webhook_password: SecretStr | None = None
    sap_webhook_token: SecretStr | None = None  # bearer token instead of Basic credentials
    sap_api_url: str = "http://127.0.0.1:8025"  # Integration API (OData) and OCC root
    sap_api_user: str = "tidings-dev"
    sap_api_password: SecretStr = SecretStr("tidings-dev")
    sap_occ_client_id: str = "tidings-dev"  # OCC trusted client: cancel-and-restock
    sap_occ_client_secret: SecretStr = SecretStr("tidings-dev")
    sap_cart_url: str | None = None  # the shopper's cart link, "{site}" and "{cart}" filled in

    # Several stores, across platforms, each with its own credentials and settings (domain/store_config.py).
    stores_file: Path | None = None
    default_locale: str = "en"  # for customers whose platform record names no language
    store_time_zone: str = "UTC"  # for customers neither preferences nor phone numbers place
    default_region: str = "US"  # for national phone numbers
    marketing_cap: int | None = 3  # marketing messages per customer and channel per week

    # Bearer token for the ingress's own APIs (preferences, subscriptions).
    api_token: SecretStr | None = None

    log_json: bool = True  # one JSON object per line; false: plain text with [workflow_id trace_id]
    log_level: str = "INFO"
    metrics_host: str = "0.0.0.0"
    metrics_port: int = 9464  # the worker's Prometheus endpoint (Temporal SDK + tidings metrics); 0: off

    ingress_host: str = "127.0.0.1"
    ingress_docs: bool = True  # /docs and /openapi.json; production: off (they need no auth)
    ingress_port: int = 8000
    max_body_bytes: PositiveInt = 1_048_576  # larger request bodies get 413, on every ingress route
    sandbox_port: int = 8025

    ops_email: str = "ops@example.com"
    ops_phone: str | None = None
    ops_push_token: str | None = None  # the on-call device: payment and checkout alerts push to it first
    cart_incentive_code: str | None = None  # set: the abandoned-cart incentive step is on
    # Abandoned-cart sequences by cart value (first match wins, else the default sequence); per store
    # in the stores file: `settings = { cart_rules = [{ min_cart_value = 200, steps = [...] }] }`.
    cart_rules: list[SequenceRule] = []
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
    confirmation_email_and_sms: bool = False  # the order confirmation by email and by SMS, both
    # Carrier → tracking URL with {number} (JSON object), over the built-in table (domain/tracking.py).
    tracking_urls: dict[str, str] = {}
    reorder_url: str | None = None  # add-to-cart link template; None: the platform's own
    merchandising_email: str = "merchandising@example.com"  # low stock, unavailable products
    account_team_email: str = "accounts@example.com"  # high-value orders, VIP purchases, expedited shipping
    vip_customer_groups: list[str] = ["VIP"]  # platform customer groups (names or ids) whose orders alert
    restock_batch_size: int = 100  # back-in-stock subscribers told per batch
    restock_send_rate: float = 20.0  # marketing sends per second per worker (activity rate limit)
    low_stock_threshold: int = 5
    price_drop_percent: float = 10.0
    cancellation_spike_count: int = 10  # cancellations per store within the window that alert
    cancellation_spike_minutes: float = 60.0
    alert_window_minutes: float = 5.0  # alerts with one key within this window are one digest
    winback_days: float = 90.0

    # Payload encryption (AES-256-GCM) for everything Tidings writes into Temporal. Keys: JSON object
    # {"key-id": "<base64 of 32 bytes>", ...}; the id named by encryption_key_id encrypts, all decrypt.
    encryption: Literal["on", "off"] = "on"
    encryption_keys: SecretStr | None = None
    encryption_key_id: str | None = None

    @field_validator("cart_rules")
    @classmethod
    def _cart_rules_by_value(cls, rules: list[SequenceRule]) -> list[SequenceRule]:
        # The cart journey judges a rule by the cart's value only: a segment would never match.
        if any(rule.segment for rule in rules):
            raise ValueError("cart_rules: a rule by segment is not supported yet (use min_cart_value)")
        if any(not rule.steps for rule in rules):
            raise ValueError("cart_rules: every rule needs at least one step")
        return rules

    @cached_property
    def directory(self) -> StoreDirectory:
        return StoreDirectory.load(self.stores_file)

    def store_config(self, platform: Platform | str | None, store: str) -> StoreConfig | None:
        return self.directory.find(platform, store)

    def for_store(self, platform: Platform | str | None, store: str) -> Settings:
        """These settings as one store sees them: its overrides over the global ones."""
        config = self.store_config(platform, store)
        if config is None:
            return self
        update: dict[str, Any] = dict(config.settings)
        for field, value in (
            ("opentext_account", config.opentext_account),
            ("opentext_from_name", config.from_name),
            ("default_locale", config.locale),
            ("store_time_zone", config.time_zone),
        ):
            if value is not None:
                update[field] = value
        return self.model_validate({**self.model_dump(), **update}) if update else self

    @property
    def bulk_task_queue(self) -> str:
        """Bulk marketing sends (restocks, campaigns): its activity rate limit paces them all."""
        return f"{self.task_queue}-bulk"

    def delivery_policy(self) -> DeliveryPolicy:
        """The store's identity and defaults for every message of a journey (use on `for_store`)."""
        return DeliveryPolicy(
            marketing_cap=self.marketing_cap,
            store_time_zone=self.store_time_zone,
            default_region=self.default_region,
            default_locale=self.default_locale,
            from_name=self.opentext_from_name,
            opentext_account=self.opentext_account,
        )

    def bigcommerce_token(self, store_hash: str) -> str:
        config = self.store_config(Platform.BIGCOMMERCE, store_hash)
        if config is not None and config.api_token is not None:
            return config.api_token.get_secret_value()
        token = self.bigcommerce_tokens.get(store_hash) or self.bigcommerce_tokens.get("*")
        if token is None:
            raise LookupError(f"no BigCommerce API token configured for store {store_hash}")
        return token.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    return Settings()
