"""Reorder reminders link into each platform's own cart: BigCommerce's cart.php, SFCC's
Cart-AddProduct of the site, SAP Commerce's storefront cart of the base site; played from each
platform's webhooks up to delivery, with the consumable in the platform's catalog."""

from __future__ import annotations

import httpx
import pytest

from connectors.sap_commerce import simulate as sap_simulate
from domain.events import OrderStage, Platform, review_workflow_id
from domain.storefront_links import reorder_url
from tests.conftest import API_TOKEN, SAP_PASSWORD, SAP_USER, SFCC_SECRET, Served
from tests.platforms.base import PlatformShop
from tests.platforms.sap import SapShop
from tests.platforms.sfcc import SfccShop
from tests.test_journeys_all_platforms import order_id, wait_messages


def test_each_platform_has_its_own_add_to_cart_link() -> None:
    def link(platform: Platform) -> str:
        return reorder_url(platform, "Ref Arch", "https://shop.example/", "MUG 1", 2)

    assert link(Platform.BIGCOMMERCE) == "https://shop.example/cart.php?action=add&product_id=MUG%201&qty=2"
    assert link(Platform.SFCC) == (
        "https://shop.example/on/demandware.store/Sites-Ref%20Arch-Site/default/Cart-AddProduct"
        "?pid=MUG%201&quantity=2"
    )
    assert (
        link(Platform.SAP_COMMERCE)
        == "https://shop.example/Ref%20Arch/cart/add?productCodePost=MUG%201&qty=2"
    )
    own = "{store_url}/{site}/en/USD/cart?add={product_id}:{qty}"
    assert reorder_url(Platform.SAP_COMMERCE, "electronics", "https://s.example", "7", 1, own) == (
        "https://s.example/electronics/en/USD/cart?add=7:1"
    )


@pytest.fixture(params=[Platform.SFCC.value, Platform.SAP_COMMERCE.value])
def shop(
    request: pytest.FixtureRequest, http: httpx.AsyncClient, sandbox: Served, fast_ingress: Served
) -> PlatformShop:
    if request.param == Platform.SFCC:
        return SfccShop(http, sandbox.url, fast_ingress.url, SFCC_SECRET)
    return SapShop(http, sandbox.url, fast_ingress.url, SAP_USER, SAP_PASSWORD)


async def stock_the_consumable(shop: PlatformShop, http: httpx.AsyncClient, sandbox: Served) -> None:
    """MUG-1 (the orders' line) lasts 3 days a unit, as the platform's catalog says."""
    if isinstance(shop, SfccShop):
        await shop.seeds.put("products", "MUG-1", {"id": "MUG-1", "name": "Mug", "c_replenishDays": 3})
    else:
        doc = sap_simulate.product_document("MUG-1", "Mug", replenish_days=3)
        r = await http.put(f"{sandbox.url}/sandbox/sap/{shop.store}/products/MUG-1", json=doc)
        r.raise_for_status()


async def test_the_reorder_reminder_links_into_the_platforms_own_cart(
    shop: PlatformShop, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    await stock_the_consumable(shop, http, sandbox)
    opted = await http.put(
        f"{ingress.url}/customers/{shop.platform}/{shop.store}/7/preferences",
        json={"marketing_opt_in": ["email"]},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    opted.raise_for_status()
    oid = order_id()
    await shop.place_order(oid, phone=None)
    await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
    await shop.move(oid, OrderStage.SHIPPED)
    await shop.move(oid, OrderStage.DELIVERED)
    prefix = review_workflow_id(shop.platform, shop.store, oid) + ":reorder"
    [reorder] = await wait_messages(http, sandbox, prefix, 1)
    expected = reorder_url(Platform(shop.platform), shop.store, "https://store.example", "MUG-1", 2)
    assert expected in str(reorder["body"])
    assert "cart.php" not in str(reorder["body"])
