"""End to end: customers subscribe through `POST /subscriptions` on the ingress, BigCommerce's signed
inventory webhooks restock the product and sell most of it again, and the sandbox outbox receives
the back-in-stock news, the "only a few left" nudge and the merchandising alert. The session worker
runs ProductWatch and the bulk queue's rate-limited delivery worker, as worker.py does."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from temporalio.client import Client

from domain.events import product_workflow_id
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from workflows.product_watch import ProductWatch

PRODUCT = 77


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)


async def subscribe(shop: Shop, customer: int) -> httpx.Response:
    return await shop.http.post(
        f"{shop.ingress}/subscriptions",
        json={
            "platform": "bigcommerce",
            "store": shop.store,
            "customer_id": str(customer),
            "sku": str(PRODUCT),
            "kind": "back_in_stock",
            "channel": "email",
            "email": f"watcher{customer}@example.com",
        },
        headers={"Authorization": f"Bearer {shop.api_token}"},
    )


async def test_subscribers_hear_of_the_restock_and_of_the_last_few(shop: Shop, client: Client) -> None:
    prefix = product_workflow_id("bigcommerce", shop.store, str(PRODUCT))
    await shop.seed_stock(PRODUCT, 0)
    assert (await shop.stock_changed(PRODUCT, 0)).status_code == 202  # sold out
    for customer in (41, 42):
        await shop.opt_in(customer, "email")
        answer = await subscribe(shop, customer)
        assert answer.status_code == 202 and answer.json()["workflow_id"] == prefix

    assert (await shop.stock_changed(PRODUCT, 12)).status_code == 202  # the merchant restocks

    async def told(step: str, count: int) -> bool:
        return len(await shop.journey_messages(f"{prefix}:{step}:")) == count

    await eventually(lambda: told("back_in_stock", 2), what="the back-in-stock news")
    news = await shop.journey_messages(f"{prefix}:back_in_stock:")
    assert sorted(m["to"] for m in news) == ["watcher41@example.com", "watcher42@example.com"]
    assert "Trail Shoes is back in stock" in news[0]["subject"]

    await shop.sold(PRODUCT, 10)  # a relative webhook: the journey reads the 2 left from the store
    await eventually(lambda: told("low_stock", 2), what="the only-a-few-left nudge")
    await eventually(lambda: told("ops:low_stock", 1), what="the merchandising alert")
    assert len(await shop.journey_messages(f"{prefix}:ops:sold_out:")) == 1  # the first 0 was told too
    status = await client.get_workflow_handle(prefix).query(ProductWatch.status)
    assert status.stock == 2 and status.restocks == 1 and status.stage == "low_stock"


async def test_a_bigcommerce_price_cut_reaches_price_watchers_though_the_webhook_has_no_price(
    shop: Shop, client: Client
) -> None:
    product = PRODUCT + 1
    prefix = product_workflow_id("bigcommerce", shop.store, str(product))
    await shop.seed_stock(product, 8, price="200.00")
    await shop.opt_in(51, "email")
    answer = await shop.http.post(
        f"{shop.ingress}/subscriptions",
        json={
            "platform": "bigcommerce",
            "store": shop.store,
            "customer_id": "51",
            "sku": str(product),
            "kind": "price_drop",
            "channel": "email",
            "email": "bargain51@example.com",
        },
        headers={"Authorization": f"Bearer {shop.api_token}"},
    )
    assert answer.status_code == 202
    assert (await shop.price_changed(product, "200.00")).status_code == 202  # the price the watch learns

    async def learned() -> bool:
        status = await client.get_workflow_handle(prefix).query(ProductWatch.status)
        return status.price is not None and float(status.price) == 200.0

    await eventually(learned, what="the price read from the catalog")
    await asyncio.sleep(1.1)  # the same thin payload a second later: a new change, not a redelivery
    assert (await shop.price_changed(product, "150.00")).status_code == 202  # 25 % off

    async def told() -> bool:
        return len(await shop.journey_messages(f"{prefix}:price_drop:")) == 1

    try:
        await eventually(told, what="the price-drop news")
    except AssertionError:
        status = await client.get_workflow_handle(prefix).query(ProductWatch.status)
        raise AssertionError([(e.kind, e.summary) for e in status.timeline]) from None
    [news] = await shop.journey_messages(f"{prefix}:price_drop:")
    assert news["to"] == "bargain51@example.com"
    status = await client.get_workflow_handle(prefix).query(ProductWatch.status)
    assert status.price is not None and float(status.price) == 150.0
