"""Per-store configuration: a merchant runs several stores, across platforms, each with its own
platform credentials, OpenText account, sender identity, locale defaults and policy settings.

The stores file (`TIDINGS_STORES_FILE`, TOML) lists them; a store it does not list runs on the
global `TIDINGS_*` settings, so a single-store deployment needs no file. Secrets never sit in the
file: a secret field holds `env:NAME` and its value comes from that environment variable.

    [opentext.eu]                       # OpenText accounts, referred to by name
    base_url = "https://eu.example/mra/v1"
    token_url = "https://eu.example/tenants/acme/oauth2/token"
    client_id = "acme-eu"
    client_secret = "env:OPENTEXT_EU_SECRET"

    [[stores]]
    platform = "sfcc"
    store = "RefArch"                   # BigCommerce store hash, SFCC site id, SAP base site uid
    api_url = "https://acme.dx.commercecloud.salesforce.com"
    api_client_id = "…"
    api_client_secret = "env:SFCC_REFARCH_CLIENT_SECRET"
    webhook_secret = "env:SFCC_REFARCH_WEBHOOK_SECRET"
    opentext_account = "eu"
    from_name = "RefArch"
    locale = "de"
    time_zone = "Europe/Berlin"
    settings = { high_value_threshold = 500, ops_email = "ops@refarch.example" }
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from domain.events import Platform

ENV_PREFIX = "env:"

# The global settings a store may override: what shapes its journeys' policies and its team contacts.
STORE_SETTINGS = frozenset(
    {
        "ops_email",
        "ops_phone",
        "ops_push_token",
        "cart_incentive_code",
        "cart_rules",
        "store_url",
        "pickup_location",
        "pickup_cancel_on_expiry",
        "store_team_email",
        "store_team_phone",
        "service_team_email",
        "merchandising_email",
        "account_team_email",
        "vip_customer_groups",
        "review_delay_days",
        "review_reminder_days",
        "high_value_threshold",
        "ship_sla_hours",
        "confirmation_email_and_sms",
        "tracking_urls",
        "reorder_url",
        "restock_batch_size",
        "low_stock_threshold",
        "price_drop_percent",
        "cancellation_spike_count",
        "cancellation_spike_minutes",
        "alert_window_minutes",
        "winback_days",
        "marketing_cap",
        "default_region",
    }
)


class StoreConfigError(ValueError):
    """The stores file is unreadable or wrong; the message names the store and the field."""


def _secret(value: object, where: str) -> SecretStr | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(ENV_PREFIX):
        raise StoreConfigError(f"{where}: secrets come from the environment; write env:VARIABLE_NAME")
    name = value[len(ENV_PREFIX) :]
    resolved = os.environ.get(name)
    if resolved is None:
        raise StoreConfigError(f"{where}: environment variable {name} is not set")
    return SecretStr(resolved)


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenTextAccount(_Config):
    base_url: str
    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    username: str | None = None  # set: HTTP Basic instead of OAuth
    password: SecretStr | None = None


class StoreConfig(_Config):
    platform: Platform
    store: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")  # it goes into workflow ids
    name: str | None = None
    api_url: str | None = None  # the platform's API root
    api_token: SecretStr | None = None  # BigCommerce X-Auth-Token
    api_client_id: str | None = None  # SFCC Account Manager client, SAP OAuth client
    api_client_secret: SecretStr | None = None
    api_user: str | None = None  # SAP Integration API (Basic)
    api_password: SecretStr | None = None
    token_url: str | None = None
    service_cloud_url: str | None = None  # SFCC: Service Cloud org for case comments
    webhook_secret: SecretStr | None = None  # BigCommerce client secret, SFCC HMAC secret
    webhook_user: str | None = None  # SAP Commerce consumed destination: Basic …
    webhook_password: SecretStr | None = None
    webhook_token: SecretStr | None = None  # … or bearer token
    opentext_account: str | None = None
    from_name: str | None = None
    locale: str | None = None  # for customers whose platform record names no language
    time_zone: str | None = None  # for customers neither preferences nor phone numbers place
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("settings")
    @classmethod
    def _known_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - STORE_SETTINGS)
        if unknown:
            raise ValueError(f"not a per-store setting: {', '.join(unknown)}")
        return value


_SECRET_FIELDS = ("api_token", "api_client_secret", "api_password", "webhook_secret", "webhook_password")


class StoreDirectory(BaseModel):
    stores: list[StoreConfig] = Field(default_factory=list)
    opentext: dict[str, OpenTextAccount] = Field(default_factory=dict)

    def find(self, platform: Platform | str | None, store: str) -> StoreConfig | None:
        for config in self.stores:
            if config.store == store and (platform is None or config.platform == Platform(platform)):
                return config
        return None

    @classmethod
    def load(cls, path: Path | None) -> StoreDirectory:
        if path is None:
            return cls()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise StoreConfigError(f"stores file {path}: {exc}") from exc
        return cls.parse(raw, str(path))

    @classmethod
    def parse(cls, raw: dict[str, Any], source: str = "stores file") -> StoreDirectory:
        stores = []
        for i, entry in enumerate(raw.get("stores", [])):
            where = f"{source}: stores[{i}] ({entry.get('store', '?')})"
            entry = dict(entry)
            for name in (*_SECRET_FIELDS, "webhook_token"):
                entry[name] = _secret(entry.get(name), f"{where}.{name}")
            stores.append(_validated(StoreConfig, entry, where))
        accounts = {}
        for name, entry in raw.get("opentext", {}).items():
            where = f"{source}: opentext.{name}"
            entry = dict(entry)
            for field in ("client_secret", "password"):
                entry[field] = _secret(entry.get(field), f"{where}.{field}")
            accounts[name] = _validated(OpenTextAccount, entry, where)
        directory = cls(stores=stores, opentext=accounts)
        for config in stores:
            if config.opentext_account and config.opentext_account not in accounts:
                raise StoreConfigError(
                    f"{source}: store {config.store} names OpenText account "
                    f"{config.opentext_account!r}, which is not defined"
                )
        seen: set[tuple[Platform, str]] = set()
        for config in stores:
            if (config.platform, config.store) in seen:
                raise StoreConfigError(f"{source}: store {config.platform}/{config.store} is listed twice")
            seen.add((config.platform, config.store))
        return directory


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], entry: dict[str, Any], where: str) -> M:
    try:
        return model.model_validate(entry)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise StoreConfigError(f"{where}: {problems}") from None
