"""`tidings check-config`: the settings a production process refuses to start with.

The defaults make `tidings dev` work with no configuration: every URL points at the local sandbox
and every credential is a development one. In production the same defaults would send receipts and
STOP replies to a 401, or customers' messages to nowhere, without a single error. So with
TIDINGS_ENV=production each process checks its settings before it does anything else."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from domain.events import Platform
from domain.settings import Settings
from domain.store_config import StoreConfigError

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "sandbox"}


@dataclass(frozen=True)
class Problem:
    setting: str  # the environment variable to fix
    reason: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.reason}"


def env_name(field: str) -> str:
    return f"TIDINGS_{field.upper()}"


def is_local(url: str) -> bool:
    """A URL that only reaches this machine or the development sandbox."""
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower()
    return host in LOCAL_HOSTS or host.endswith(".localhost") or "/sandbox" in parts.path


def _is_default(settings: Settings, field: str) -> bool:
    value, default = getattr(settings, field), Settings.model_fields[field].default
    if isinstance(value, SecretStr) and isinstance(default, SecretStr):
        return value.get_secret_value() == default.get_secret_value()
    return bool(value == default)


def _changed(settings: Settings, *fields: str) -> bool:
    """Set to something of the operator's own (an empty value, as compose passes along, is not)."""
    return any(getattr(settings, f) and not _is_default(settings, f) for f in fields)


class _Report:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.problems: list[Problem] = []

    def add(self, field: str, reason: str) -> None:
        self.problems.append(Problem(env_name(field), reason))

    def secret(self, *fields: str) -> None:
        for field in fields:
            value = getattr(self.settings, field)
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
                self.add(field, "is not set")
            elif _is_default(self.settings, field):
                self.add(field, "is the development default")

    def remote(self, *fields: str, required: bool = True) -> None:
        for field in fields:
            url = getattr(self.settings, field)
            if not url:
                if required:
                    self.add(field, "is not set")
            elif is_local(url):
                self.add(field, f"points at localhost or the sandbox ({url})")

    def not_example(self, *fields: str) -> None:
        for field in fields:
            if _is_default(self.settings, field):
                self.add(field, f"is still the example default ({getattr(self.settings, field)})")


def _platforms_in_use(s: Settings) -> set[Platform]:
    used = {config.platform for config in s.directory.stores}
    if s.bigcommerce_client_secret or s.bigcommerce_header_secret or _changed(s, "bigcommerce_api_url"):
        used.add(Platform.BIGCOMMERCE)
    if s.sfcc_webhook_secret or _changed(s, "sfcc_api_url", "sfcc_client_id"):
        used.add(Platform.SFCC)
    if s.sap_webhook_user or s.sap_webhook_token or _changed(s, "sap_api_url", "sap_api_user"):
        used.add(Platform.SAP_COMMERCE)
    return used


def _platform_problems(r: _Report) -> None:
    s = r.settings
    used = _platforms_in_use(s)
    if not used:
        r.problems.append(
            Problem("TIDINGS_STORES_FILE", "no commerce platform is configured (no webhook secret, no store)")
        )
    # The global platform settings serve every store the stores file does not override.
    global_stores = {p for p in used if not any(c.platform == p for c in s.directory.stores)}
    if Platform.BIGCOMMERCE in global_stores:
        if not (s.bigcommerce_client_secret or s.bigcommerce_header_secret):
            r.add("bigcommerce_client_secret", "is not set (every BigCommerce webhook gets a 401)")
        r.remote("bigcommerce_api_url")
        if _is_default(s, "bigcommerce_tokens"):
            r.add("bigcommerce_tokens", "is the sandbox's placeholder token")
    if Platform.SFCC in global_stores:
        r.secret("sfcc_webhook_secret", "sfcc_client_secret")
        r.remote("sfcc_api_url", "sfcc_token_url", "sfcc_service_cloud_url")
    if Platform.SAP_COMMERCE in global_stores:
        if not s.sap_webhook_token and not (s.sap_webhook_user and s.sap_webhook_password):
            r.add(
                "sap_webhook_password", "is not set, nor TIDINGS_SAP_WEBHOOK_TOKEN (SAP webhooks get a 401)"
            )
        r.secret("sap_api_password", "sap_occ_client_secret")
        r.remote("sap_api_url")
    for config in s.directory.stores:
        where = f"TIDINGS_STORES_FILE ({config.platform}/{config.store})"
        for field in ("api_url", "token_url", "service_cloud_url"):
            url = getattr(config, field)
            if url and is_local(url):
                r.problems.append(Problem(where, f"{field} points at localhost or the sandbox ({url})"))
        if not (config.webhook_secret or config.webhook_password or config.webhook_token):
            r.problems.append(Problem(where, "has no webhook secret (its webhooks get a 401)"))


def _opentext_problems(r: _Report) -> None:
    s = r.settings
    r.remote("opentext_base_url", "opentext_token_url")
    if s.opentext_username:
        r.secret("opentext_password")
    else:
        r.secret("opentext_client_secret")
    for name, account in s.directory.opentext.items():
        for url in (account.base_url, account.token_url):
            if url and is_local(url):
                r.problems.append(
                    Problem(f"TIDINGS_STORES_FILE (opentext.{name})", f"points at the sandbox ({url})")
                )
    # Without it every delivery receipt and every STOP reply is refused: a compliance failure.
    r.secret("opentext_callback_secret")


def _encryption_problems(r: _Report) -> None:
    s = r.settings
    if s.encryption == "off":
        return
    if s.encryption_keys is None:
        r.add("encryption_keys", "no encryption key (or set TIDINGS_ENCRYPTION=off)")
        return
    try:
        keys = json.loads(s.encryption_keys.get_secret_value())
        sizes = {kid: len(base64.b64decode(value, validate=True)) for kid, value in keys.items()}
    except (ValueError, AttributeError, TypeError, binascii.Error):
        r.add("encryption_keys", 'is not a JSON object of base64 keys ({"key-id": "<base64>"})')
        return
    for kid, size in sizes.items():
        if size != 32:
            r.add("encryption_keys", f"key {kid!r} is {size} bytes, not 32")
    if s.encryption_key_id is None:
        r.add("encryption_key_id", "is not set (which key encrypts)")
    elif s.encryption_key_id not in sizes:
        r.add("encryption_key_id", f"{s.encryption_key_id!r} is not one of TIDINGS_ENCRYPTION_KEYS")


def _exposure_problems(r: _Report) -> None:
    s = r.settings
    if s.ingress_docs:
        r.add("ingress_docs", "/docs and /openapi.json are served without auth (set it to false)")
    if s.temporal_ui_url and not is_local(s.temporal_ui_url) and not s.temporal_ui_auth:
        r.add("temporal_ui_auth", f"the Temporal UI at {s.temporal_ui_url} is reachable without a login")
    if (s.temporal_tls_cert is None) != (s.temporal_tls_key is None):
        r.add("temporal_tls_key", "mTLS needs both TIDINGS_TEMPORAL_TLS_CERT and TIDINGS_TEMPORAL_TLS_KEY")
    for field in ("temporal_tls_cert", "temporal_tls_key", "temporal_tls_ca"):
        path = getattr(s, field)
        if path is not None and not path.is_file():
            r.add(field, f"{path} is not a readable file")


def problems(settings: Settings) -> list[Problem]:
    """Every missing or unsafe setting; none outside production."""
    if settings.env != "production":
        return []
    r = _Report(settings)
    try:
        settings.directory  # noqa: B018 - loads and validates the stores file
    except StoreConfigError as exc:
        return [Problem("TIDINGS_STORES_FILE", str(exc))]
    r.secret("api_token")
    if is_local(settings.temporal_address):  # the dev server's address; a cluster is never on loopback
        r.add("temporal_address", f"points at this machine ({settings.temporal_address})")
    if settings.database_url.startswith("sqlite"):
        r.add("database_url", "is SQLite; production runs several processes on PostgreSQL")
    _opentext_problems(r)
    _platform_problems(r)
    _encryption_problems(r)
    _exposure_problems(r)
    r.remote("service_desk_url", required=False)
    r.not_example("store_url", "ops_email")
    return r.problems


class UnsafeConfiguration(SystemExit):
    """Raised at a production process's start: the message names every problem."""


def require_safe(settings: Settings, process: str) -> None:
    """Called first by every long-running process: refuse to start on an unsafe configuration."""
    found = problems(settings)
    if found:
        lines = "\n".join(f"  - {p}" for p in found)
        raise UnsafeConfiguration(f"{process}: refusing to start with TIDINGS_ENV=production:\n{lines}")
