"""Abandoned-cart sequences by cart value, configured per store in the stores file (or for every store
with TIDINGS_CART_RULES): the cart journey's policy, as the ingress builds it, follows them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from temporalio.client import Client

from domain.notifications import Channel
from domain.settings import Settings
from starter.ingress import create_app as create_ingress
from starter.journeys import cart_policy
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served, free_port
from tests.shop import Shop, eventually

STORES = """
[[stores]]
platform = "bigcommerce"
store = "bigspender"
settings = { cart_rules = [
  { min_cart_value = 500, steps = [
      { name = "first_reminder", after = "PT15M", channels = ["push", "sms"] },
      { name = "cart_contents", after = "PT4H", channels = ["email"] },
  ] },
  { min_cart_value = 100, steps = [{ name = "first_reminder", after = "PT1H", channels = ["email"] }] },
] }

[[stores]]
platform = "bigcommerce"
store = "plain"
"""


def test_a_store_s_cart_rules_pick_the_sequence_by_cart_value(tmp_path: Path) -> None:
    path = tmp_path / "stores.toml"
    path.write_text(STORES)
    settings = Settings(stores_file=path)
    policy = cart_policy(settings.for_store("bigcommerce", "bigspender"))
    big = policy.sequence_for(Decimal("750.00"))
    assert [(s.name, s.after, s.channels) for s in big] == [
        ("first_reminder", timedelta(minutes=15), [Channel.PUSH, Channel.SMS]),
        ("cart_contents", timedelta(hours=4), [Channel.EMAIL]),
    ]
    assert [s.after for s in policy.sequence_for(Decimal("120"))] == [timedelta(hours=1)]
    assert policy.sequence_for(Decimal("40")) == policy.steps  # no rule: the default sequence
    plain = cart_policy(settings.for_store("bigcommerce", "plain"))
    assert plain.rules == [] and plain.sequence_for(Decimal("750")) == plain.steps


def test_rules_are_time_scaled_like_the_default_sequence(tmp_path: Path) -> None:
    path = tmp_path / "stores.toml"
    path.write_text(STORES)
    settings = Settings(stores_file=path, time_scale=0.01)
    policy = cart_policy(settings.for_store("bigcommerce", "bigspender"))
    assert policy.sequence_for(Decimal("750"))[1].after == timedelta(minutes=2, seconds=24)


def test_cart_rules_for_every_store_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = (
        '[{"min_cart_value": 50, "steps": [{"name": "first_reminder", "after": 600, "channels": ["sms"]}]}]'
    )
    monkeypatch.setenv("TIDINGS_CART_RULES", rules)
    policy = cart_policy(Settings())
    assert [s.channels for s in policy.sequence_for(Decimal("60"))] == [[Channel.SMS]]


def test_a_rule_by_segment_is_refused_rather_than_silently_never_matching() -> None:
    with pytest.raises(ValidationError, match="segment is not supported"):
        rule = {"segment": "vip", "steps": [{"name": "x", "after": 60, "channels": ["email"]}]}
        Settings.model_validate({"cart_rules": [rule]})


async def test_a_big_cart_on_a_store_with_rules_follows_its_own_sequence_end_to_end(
    client: Client, settings: Settings, worker: None, http: httpx.AsyncClient, sandbox: Served, tmp_path: Path
) -> None:
    """BigCommerce's `store/cart/abandoned` into an ingress reading a stores file whose store sends
    carts of 500 or more their contents first (by email), and smaller carts the default reminder."""
    shop = Shop(http, sandbox.url, "", WEBHOOK_SECRET, API_TOKEN)
    path = tmp_path / "stores.toml"
    path.write_text(
        f"""
[[stores]]
platform = "bigcommerce"
store = "{shop.store}"
settings = {{ cart_rules = [
  {{ min_cart_value = 500, steps = [{{ name = "cart_contents", after = "PT1H", channels = ["email"] }}] }},
] }}
"""
    )
    ruled = Settings.model_validate(
        {**settings.model_dump(), "stores_file": path, "ingress_port": free_port()}
    )

    async def same_client() -> Client:
        return client

    async with Served(create_ingress(ruled, same_client), ruled.ingress_port) as ingress:
        shop.ingress = ingress.url
        for customer in (31, 32):
            opted = await http.put(
                f"{ingress.url}/customers/bigcommerce/{shop.store}/{customer}/preferences",
                json={"marketing_opt_in": ["email"]},
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            )
            opted.raise_for_status()
        await shop.seed_cart("big-cart", customer_id=31, email="big@example.com", amount="750.00")
        await shop.seed_cart("small-cart", customer_id=32, email="small@example.com", amount="40.00")
        assert (await shop.cart_event("abandoned", "big-cart")).status_code == 202
        assert (await shop.cart_event("abandoned", "small-cart")).status_code == 202

        async def both() -> bool:
            return all(
                [
                    await shop.journey_messages(f"cart:bigcommerce:{shop.store}:{c}:")
                    for c in ("big-cart", "small-cart")
                ]
            )

        await eventually(both, timeout=60, what="each cart's first message")
    [big] = await shop.journey_messages(f"cart:bigcommerce:{shop.store}:big-cart:")
    assert big["reference"].endswith(":cart_contents") and big["to"] == "big@example.com"
    [small] = await shop.journey_messages(f"cart:bigcommerce:{shop.store}:small-cart:")
    assert small["reference"].endswith(":first_reminder") and small["to"] == "small@example.com"
