"""Push first, from every platform's own webhooks: a customer with a push token hears about the order,
the pickup and the abandoned cart on the phone; without one, SMS or email carries the same news. A store
that asks for its order confirmation on email and SMS both gets the two."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from connectors.sfcc.simulate import order_document
from domain.events import OrderStage, Platform, cart_workflow_id, pickup_workflow_id
from domain.settings import Settings
from starter.ingress import create_app as create_ingress
from tests.conftest import API_TOKEN, SFCC_SECRET, Served, free_port
from tests.platforms.base import PlatformShop
from tests.platforms.sfcc import SfccShop
from tests.test_journeys_all_platforms import PLATFORMS, _shop, order_id, outbox, steps, wait_messages


@pytest.fixture(params=PLATFORMS)
def shop(
    request: pytest.FixtureRequest, http: httpx.AsyncClient, sandbox: Served, ingress: Served, client: Client
) -> PlatformShop:
    return _shop(request.param, http, sandbox.url, ingress.url, client)


@pytest.fixture(params=PLATFORMS)
def fast_shop(
    request: pytest.FixtureRequest,
    http: httpx.AsyncClient,
    sandbox: Served,
    fast_ingress: Served,
    ingress: Served,
    client: Client,
) -> PlatformShop:
    return _shop(request.param, http, sandbox.url, fast_ingress.url, client)


def _post_to(shop: PlatformShop, ingress_url: str) -> None:
    """The shop's webhooks go to another ingress (one with its own stores file)."""
    target: Any = getattr(shop, "shop", shop)  # BigCommerce's PlatformShop wraps its Shop
    target.ingress = ingress_url


async def register_device(
    http: httpx.AsyncClient, ingress: Served, shop: PlatformShop, customer_id: str, **prefs: object
) -> str:
    """The shopper's app registered for push: the token lands in their preferences."""
    token = f"device-{uuid.uuid4().hex[:10]}"
    r = await http.put(
        f"{ingress.url}/customers/{shop.platform}/{shop.store}/{customer_id}/preferences",
        json={"push_token": token, **prefs},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    r.raise_for_status()
    return token


async def test_order_news_goes_by_push_when_the_customer_has_a_token(
    shop: PlatformShop, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    token = await register_device(http, ingress, shop, "7")
    oid = order_id()
    assert (await shop.place_order(oid)).status_code == 202
    prefix = shop.order_workflow_id(oid) + ":"
    [confirmed] = await wait_messages(http, sandbox, prefix, 1)
    assert (confirmed["channel"], confirmed["to"]) == ("push", token)
    assert (await shop.move(oid, OrderStage.SHIPPED)).status_code == 202
    sent = await wait_messages(http, sandbox, prefix, 2)
    assert steps(sent, prefix)[1] == "shipped"
    assert (sent[1]["channel"], sent[1]["to"]) == ("push", token)


async def test_without_a_token_the_same_news_comes_by_email_and_sms(
    shop: PlatformShop, http: httpx.AsyncClient, sandbox: Served
) -> None:
    oid = order_id()
    await shop.place_order(oid, customer_id=str(800000 + int(oid) % 100000))  # nobody with a token
    prefix = shop.order_workflow_id(oid) + ":"
    [confirmed] = await wait_messages(http, sandbox, prefix, 1)
    assert (confirmed["channel"], confirmed["to"]) == ("email", "ada@example.com")
    await shop.move(oid, OrderStage.SHIPPED)
    sent = await wait_messages(http, sandbox, prefix, 2)
    assert (sent[1]["channel"], sent[1]["to"]) == ("sms", "+14155550101")


async def test_pickup_ready_and_reminders_go_by_push(
    fast_shop: PlatformShop, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = fast_shop
    token = await register_device(http, ingress, shop, "7")
    oid = order_id()
    await shop.place_order(oid, pickup=True)
    await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
    await shop.move(oid, OrderStage.AWAITING_PICKUP)
    prefix = pickup_workflow_id(shop.platform, shop.store, oid) + ":"
    sent = await wait_messages(http, sandbox, prefix, 2)  # ready, then the first reminder
    assert steps(sent, prefix)[:2] == ["ready", "reminder:1"]
    assert all((m["channel"], m["to"]) == ("push", token) for m in sent[:2])


async def test_cart_reminders_go_by_push_to_an_opted_in_customer(
    fast_shop: PlatformShop, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = fast_shop
    customer = str(600000 + uuid.uuid4().int % 100000)  # numeric: BigCommerce ids are
    token = await register_device(http, ingress, shop, customer, marketing_opt_in=["push", "email"])
    cart = uuid.uuid4().hex[:12]
    assert (await shop.abandon_cart(cart, customer_id=customer)).status_code == 202
    prefix = cart_workflow_id(shop.platform, shop.store, cart) + ":"
    sent = await wait_messages(http, sandbox, prefix, 2)
    assert steps(sent, prefix)[:2] == ["first_reminder", "cart_contents"]
    assert all((m["channel"], m["to"]) == ("push", token) for m in sent[:2])


@pytest.mark.parametrize("platform", [Platform.BIGCOMMERCE.value, Platform.SAP_COMMERCE.value])
async def test_a_store_can_have_its_confirmation_on_email_and_sms_both(
    platform: str,
    tmp_path: Path,
    settings: Settings,
    client: Client,
    worker: None,
    http: httpx.AsyncClient,
    sandbox: Served,
    ingress: Served,
) -> None:
    shop = _shop(platform, http, sandbox.url, ingress.url, client)
    path = tmp_path / "stores.toml"
    path.write_text(
        f'[[stores]]\nplatform = "{platform}"\nstore = "{shop.store}"\n'
        "settings = { confirmation_email_and_sms = true }\n"
    )
    own = Settings(**{**settings.model_dump(), "stores_file": path, "ingress_port": free_port()})

    async def same_client() -> Client:
        return client

    async with Served(create_ingress(own, same_client), own.ingress_port) as served:
        _post_to(shop, served.url)
        await register_device(http, served, shop, "7")  # a token does not take the place of either
        oid = order_id()
        assert (await shop.place_order(oid)).status_code == 202
        prefix = shop.order_workflow_id(oid) + ":"
        sent = await wait_messages(http, sandbox, prefix, 2)
        assert sorted(str(m["channel"]) for m in sent) == ["email", "sms"]
        step, by_sms = steps(sent, prefix)
        assert by_sms == f"{step}:sms"
        await shop.move(oid, OrderStage.SHIPPED)
        later = await wait_messages(http, sandbox, prefix, 3)
        assert steps(later, prefix)[2] == "shipped" and later[2]["channel"] == "push"
        assert len(await outbox(http, sandbox, prefix)) == 3  # only the first confirmation doubles


async def test_an_sfcc_app_registration_is_enough_for_push(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    """No preferences saved with us: the profile's push token, copied onto the order by the cartridge."""
    shop = SfccShop(http, sandbox.url, ingress.url, SFCC_SECRET)
    oid = order_id()
    token = f"app-{uuid.uuid4().hex[:10]}"
    doc = {**order_document(oid, customer_no=f"app{oid}"), "c_pushToken": token}
    await shop.seeds.put("orders", oid, doc)
    assert (await shop.post("order.created", doc)).status_code == 202
    [confirmed] = await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
    assert (confirmed["channel"], confirmed["to"]) == ("push", token)
