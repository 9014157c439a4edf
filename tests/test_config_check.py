"""`tidings check-config`: production refuses the development defaults, naming each setting to fix."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.settings import Settings, get_settings
from starter.cli import app
from starter.config_check import is_local, problems

KEY = base64.b64encode(b"k" * 32).decode()

PRODUCTION = {
    "TIDINGS_ENV": "production",
    "TIDINGS_TEMPORAL_ADDRESS": "temporal-frontend.temporal.svc:7233",
    "TIDINGS_DATABASE_URL": "postgresql+asyncpg://tidings:pw@db:5432/tidings",
    "TIDINGS_API_TOKEN": "api-token",
    "TIDINGS_OPENTEXT_BASE_URL": "https://api.opentext.example/mra/v1",
    "TIDINGS_OPENTEXT_TOKEN_URL": "https://api.opentext.example/tenants/acme/oauth2/token",
    "TIDINGS_OPENTEXT_CLIENT_SECRET": "ot-secret",
    "TIDINGS_OPENTEXT_CALLBACK_SECRET": "callback-secret",
    "TIDINGS_BIGCOMMERCE_API_URL": "https://api.bigcommerce.com",
    "TIDINGS_BIGCOMMERCE_CLIENT_SECRET": "bc-secret",
    "TIDINGS_BIGCOMMERCE_TOKENS": '{"abc123": "bc-token"}',
    "TIDINGS_ENCRYPTION_KEYS": json.dumps({"k1": KEY}),
    "TIDINGS_ENCRYPTION_KEY_ID": "k1",
    "TIDINGS_INGRESS_DOCS": "false",
    "TIDINGS_STORE_URL": "https://shop.acme.test",
    "TIDINGS_OPS_EMAIL": "ops@acme.test",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A complete production environment, isolated from the developer's own TIDINGS_ variables and .env."""
    for name in list(os.environ):
        if name.startswith("TIDINGS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()  # the CLI reads the environment through the cached settings
    yield dict(PRODUCTION)
    get_settings.cache_clear()


def named(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> set[str]:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return {p.setting for p in problems(Settings())}


def test_a_complete_production_configuration_passes(production: dict[str, str]) -> None:
    assert problems(Settings()) == []


def test_development_is_never_refused(monkeypatch: pytest.MonkeyPatch, production: dict[str, str]) -> None:
    assert named(monkeypatch, TIDINGS_ENV="development", TIDINGS_API_TOKEN=None) == set()


def test_the_secrets_that_turn_receipts_and_stop_replies_into_401s_are_required(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str]
) -> None:
    found = named(monkeypatch, TIDINGS_OPENTEXT_CALLBACK_SECRET=None, TIDINGS_API_TOKEN=None)
    assert found == {"TIDINGS_OPENTEXT_CALLBACK_SECRET", "TIDINGS_API_TOKEN"}


def test_sandbox_urls_and_development_credentials_are_refused(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str]
) -> None:
    found = named(
        monkeypatch,
        TIDINGS_OPENTEXT_BASE_URL=None,  # the default: the local sandbox
        TIDINGS_OPENTEXT_CLIENT_SECRET=None,  # the default: tidings-dev
        TIDINGS_SFCC_WEBHOOK_SECRET="sfcc-secret",  # SFCC in use, its URLs left at the sandbox
        TIDINGS_SFCC_CLIENT_SECRET="sfcc-client",
    )
    assert found == {
        "TIDINGS_OPENTEXT_BASE_URL",
        "TIDINGS_OPENTEXT_CLIENT_SECRET",
        "TIDINGS_SFCC_API_URL",
        "TIDINGS_SFCC_TOKEN_URL",
        "TIDINGS_SFCC_SERVICE_CLOUD_URL",
    }


def test_sap_needs_its_webhook_credentials_and_a_real_api(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str]
) -> None:
    found = named(monkeypatch, TIDINGS_SAP_API_URL="http://localhost:9002", TIDINGS_SAP_API_USER="tidings")
    assert found == {
        "TIDINGS_SAP_WEBHOOK_PASSWORD",
        "TIDINGS_SAP_API_PASSWORD",
        "TIDINGS_SAP_OCC_CLIENT_SECRET",
        "TIDINGS_SAP_API_URL",
    }


def test_encryption_needs_a_key_unless_turned_off(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str]
) -> None:
    assert named(monkeypatch, TIDINGS_ENCRYPTION_KEYS=None) == {"TIDINGS_ENCRYPTION_KEYS"}
    assert named(monkeypatch, TIDINGS_ENCRYPTION="off") == set()
    short = json.dumps({"k1": base64.b64encode(b"short").decode()})
    assert named(monkeypatch, TIDINGS_ENCRYPTION="on", TIDINGS_ENCRYPTION_KEYS=short) == {
        "TIDINGS_ENCRYPTION_KEYS"
    }
    assert named(
        monkeypatch, TIDINGS_ENCRYPTION_KEYS=json.dumps({"k1": KEY}), TIDINGS_ENCRYPTION_KEY_ID="k2"
    ) == {"TIDINGS_ENCRYPTION_KEY_ID"}


def test_docs_and_a_public_temporal_ui_without_login_are_refused(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str]
) -> None:
    found = named(
        monkeypatch, TIDINGS_INGRESS_DOCS="true", TIDINGS_TEMPORAL_UI_URL="https://temporal.acme.test"
    )
    assert found == {"TIDINGS_INGRESS_DOCS", "TIDINGS_TEMPORAL_UI_AUTH"}
    assert named(monkeypatch, TIDINGS_INGRESS_DOCS="false", TIDINGS_TEMPORAL_UI_AUTH="true") == set()
    assert (
        named(monkeypatch, TIDINGS_TEMPORAL_UI_AUTH="false", TIDINGS_TEMPORAL_UI_URL="http://127.0.0.1:8233")
        == set()
    )


def test_a_temporal_address_on_this_machine_is_refused(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str]
) -> None:
    assert named(monkeypatch, TIDINGS_TEMPORAL_ADDRESS="localhost:7233") == {"TIDINGS_TEMPORAL_ADDRESS"}
    assert named(monkeypatch, TIDINGS_TEMPORAL_ADDRESS="acme.a1b2c.tmprl.cloud:7233") == set()


def test_sqlite_and_half_an_mtls_pair_are_refused(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str], tmp_path: Path
) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    found = named(
        monkeypatch, TIDINGS_DATABASE_URL="sqlite+aiosqlite:///x.db", TIDINGS_TEMPORAL_TLS_CERT=str(cert)
    )
    assert found == {"TIDINGS_DATABASE_URL", "TIDINGS_TEMPORAL_TLS_KEY"}


def test_stores_file_stores_are_checked_too(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str], tmp_path: Path
) -> None:
    stores = tmp_path / "stores.toml"
    stores.write_text('[[stores]]\nplatform = "sfcc"\nstore = "refarch"\napi_url = "http://127.0.0.1:8025"\n')
    found = {str(p) for p in problems(Settings(stores_file=stores))}
    assert (
        "TIDINGS_STORES_FILE (sfcc/refarch): api_url points at localhost or the sandbox (http://127.0.0.1:8025)"
        in found
    )
    assert "TIDINGS_STORES_FILE (sfcc/refarch): has no webhook secret (its webhooks get a 401)" in found


def test_local_means_this_machine_or_the_sandbox() -> None:
    assert is_local("http://127.0.0.1:8025/mra/v1") and is_local("http://sandbox:8025")
    assert is_local("https://shop.test/sandbox/service-desk") and is_local("localhost:8233")
    assert not is_local("https://api.bigcommerce.com") and not is_local("https://eu.example/mra/v1")


def test_check_config_command_exits_1_naming_each_problem(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str]
) -> None:
    monkeypatch.delenv("TIDINGS_OPENTEXT_CALLBACK_SECRET")
    monkeypatch.setenv("TIDINGS_OPENTEXT_TOKEN_URL", "http://localhost:8025/token")
    result = CliRunner().invoke(app, ["check-config"])
    assert result.exit_code == 1
    assert "TIDINGS_OPENTEXT_CALLBACK_SECRET: is not set" in result.output
    assert "TIDINGS_OPENTEXT_TOKEN_URL: points at localhost" in result.output
    monkeypatch.setenv("TIDINGS_OPENTEXT_CALLBACK_SECRET", "s")
    monkeypatch.setenv("TIDINGS_OPENTEXT_TOKEN_URL", "https://api.opentext.example/token")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["check-config"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["worker", "ingress"])
def test_production_processes_refuse_to_start_on_the_defaults(tmp_path: Path, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env["TIDINGS_ENV"] = "production"
    tidings = Path(sys.executable).parent / "tidings"
    done = subprocess.run(
        [str(tidings), command], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert f"{command}: refusing to start with TIDINGS_ENV=production" in done.stderr
    assert "TIDINGS_OPENTEXT_CALLBACK_SECRET: is not set" in done.stderr


def test_empty_values_passed_along_by_compose_count_as_unset(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str]
) -> None:
    """compose passes `${TIDINGS_SFCC_API_URL:-}` as an empty string to a merchant without SFCC."""
    assert (
        named(monkeypatch, TIDINGS_SFCC_API_URL="", TIDINGS_SFCC_WEBHOOK_SECRET="", TIDINGS_SAP_API_URL="")
        == set()
    )
    found = named(monkeypatch, TIDINGS_SFCC_WEBHOOK_SECRET="sfcc-secret", TIDINGS_SFCC_CLIENT_SECRET="c")
    assert "TIDINGS_SFCC_API_URL" in found  # SFCC in use: its empty URL is not set
