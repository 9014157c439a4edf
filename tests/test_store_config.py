"""Per-store configuration: the stores file, secrets from the environment, and what a store's
settings change (its policies, sender identity, OpenText account and webhook secret)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from connectors.sfcc.simulate import body_of, envelope, order_document, signed_headers
from domain.settings import Settings
from domain.store_config import STORE_SETTINGS, StoreConfigError, StoreDirectory
from starter.ingress import create_app as create_ingress
from starter.journeys import cart_policy, order_policy
from tests.conftest import SFCC_SECRET, Served, free_port

STORES = """
[opentext.eu]
base_url = "https://eu.opentext.example/mra/v1"
token_url = "https://eu.opentext.example/oauth2/token"
client_id = "acme-eu"
client_secret = "env:TEST_OT_EU_SECRET"

[[stores]]
platform = "sfcc"
store = "RefArch"
webhook_secret = "env:TEST_SFCC_SECRET"
opentext_account = "eu"
from_name = "RefArch Berlin"
locale = "de"
time_zone = "Europe/Berlin"
settings = { high_value_threshold = 250, ops_email = "ops@refarch.example", cart_incentive_code = "COMEBACK" }

[[stores]]
platform = "bigcommerce"
store = "abc123"
api_token = "env:TEST_BC_TOKEN"
"""


@pytest.fixture
def stores_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TEST_OT_EU_SECRET", "ot-secret")
    monkeypatch.setenv("TEST_SFCC_SECRET", "sfcc-secret")
    monkeypatch.setenv("TEST_BC_TOKEN", "bc-token")
    path = tmp_path / "stores.toml"
    path.write_text(STORES)
    return path


def test_a_store_gets_its_own_policies_identity_and_account(stores_file: Path) -> None:
    settings = Settings(stores_file=stores_file)
    refarch = settings.for_store("sfcc", "RefArch")
    policy = order_policy(refarch)
    assert float(policy.high_value_threshold) == 250
    assert policy.ops_team.email == "ops@refarch.example"
    assert policy.delivery.from_name == "RefArch Berlin"
    assert policy.delivery.default_locale == "de" and policy.delivery.store_time_zone == "Europe/Berlin"
    assert policy.delivery.opentext_account == "eu"
    assert cart_policy(refarch).incentive_code == "COMEBACK"
    assert settings.directory.opentext["eu"].client_secret is not None
    assert settings.directory.opentext["eu"].client_secret.get_secret_value() == "ot-secret"
    config = settings.store_config("sfcc", "RefArch")
    assert config is not None and config.webhook_secret is not None
    assert config.webhook_secret.get_secret_value() == "sfcc-secret"


def test_other_stores_run_on_the_global_settings(stores_file: Path) -> None:
    settings = Settings(stores_file=stores_file, high_value_threshold=900)
    assert settings.for_store("sfcc", "Other") is settings
    assert settings.for_store("bigcommerce", "RefArch") is settings  # same id, other platform
    assert settings.for_store("sap-commerce", "x").delivery_policy().opentext_account is None
    assert settings.bigcommerce_token("abc123") == "bc-token"
    assert settings.bigcommerce_token("zzz") == "sandbox"  # the global `*` token


def test_secrets_must_come_from_the_environment(tmp_path: Path) -> None:
    raw = {"stores": [{"platform": "sfcc", "store": "S", "webhook_secret": "plain-text"}]}
    with pytest.raises(StoreConfigError, match=r"stores\[0\] \(S\)\.webhook_secret: .*env:VARIABLE_NAME"):
        StoreDirectory.parse(raw)
    raw = {"stores": [{"platform": "sfcc", "store": "S", "webhook_secret": "env:TIDINGS_TEST_UNSET_VAR"}]}
    with pytest.raises(StoreConfigError, match="TIDINGS_TEST_UNSET_VAR is not set"):
        StoreDirectory.parse(raw)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"platform": "magento", "store": "S"}, "platform"),
        ({"platform": "sfcc", "store": "a b"}, "store"),
        ({"platform": "sfcc", "store": "S", "colour": "red"}, "colour"),
        (
            {"platform": "sfcc", "store": "S", "settings": {"task_queue": "x"}},
            "not a per-store setting: task_queue",
        ),
        ({"platform": "sfcc", "store": "S", "opentext_account": "nope"}, "'nope', which is not defined"),
    ],
)
def test_a_wrong_store_entry_is_named(entry: dict[str, object], problem: str) -> None:
    with pytest.raises(StoreConfigError, match=problem):
        StoreDirectory.parse({"stores": [entry]})


def test_a_store_listed_twice_is_refused() -> None:
    entry = {"platform": "sfcc", "store": "S"}
    with pytest.raises(StoreConfigError, match="listed twice"):
        StoreDirectory.parse({"stores": [entry, entry]})


def test_every_per_store_setting_is_a_setting() -> None:
    assert STORE_SETTINGS <= set(Settings.model_fields)


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "stores.toml"
    path.write_text("[[stores]\nplatform=")
    with pytest.raises(StoreConfigError, match="stores file"):
        StoreDirectory.load(path)


async def test_each_sfcc_site_is_verified_with_its_own_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, client: Client, worker: None
) -> None:
    monkeypatch.setenv("TEST_SITE_SECRET", "the-site-secret")
    path = tmp_path / "stores.toml"
    path.write_text(
        '[[stores]]\nplatform = "sfcc"\nstore = "OwnSecret"\nwebhook_secret = "env:TEST_SITE_SECRET"\n'
    )
    own = Settings(**{**settings.model_dump(), "stores_file": path, "ingress_port": free_port()})

    async def same_client() -> Client:
        return client

    def post(site: str, secret: str) -> tuple[bytes, dict[str, str]]:
        doc = order_document(f"S{uuid.uuid4().hex[:8]}")
        body = body_of(envelope("order.created", site, doc))
        return body, signed_headers(body, secret)

    async with Served(create_ingress(own, same_client), own.ingress_port) as served:
        async with httpx.AsyncClient() as http:
            url = f"{served.url}/webhooks/sfcc"
            body, headers = post("OwnSecret", "the-site-secret")
            assert (await http.post(url, content=body, headers=headers)).status_code == 202
            body, headers = post("OwnSecret", SFCC_SECRET)  # the global secret is not this site's
            refused = await http.post(url, content=body, headers=headers)
            assert refused.status_code == 401 and "signature" in refused.json()["error"]
            body, headers = post("OtherSite", SFCC_SECRET)  # a site the file does not list: global
            assert (await http.post(url, content=body, headers=headers)).status_code == 202
