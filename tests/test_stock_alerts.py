"""Stock alerts to merchandising from every platform's own inventory webhook: a sellout straight from
plenty to 0 (no low-stock stop on the way) is told, once per sellout; running low is told too."""

from __future__ import annotations

import uuid

import httpx
import pytest
from temporalio.client import Client

from connectors.sap_commerce import simulate as sap
from connectors.sap_commerce.webhooks import STOCK_IO
from domain.events import product_workflow_id
from tests.conftest import API_TOKEN, SAP_PASSWORD, SAP_USER, WEBHOOK_SECRET, Served
from tests.platforms.sap import SapShop
from tests.shop import Shop, eventually
from workflows.product_watch import ProductWatch


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)


async def test_a_bigcommerce_sellout_straight_to_zero_alerts_merchandising_once(
    shop: Shop, client: Client
) -> None:
    product = 91
    prefix = product_workflow_id("bigcommerce", shop.store, str(product))
    await shop.seed_stock(product, 40, name="Rain Jacket")
    assert (await shop.stock_changed(product, 40)).status_code == 202
    assert (await shop.stock_changed(product, 0)).status_code == 202  # a flash sale takes all 40

    async def alerted() -> bool:
        return bool(await shop.journey_messages(f"{prefix}:ops:sold_out:"))

    await eventually(alerted, timeout=60, what="the sellout alert")
    [alert] = await shop.journey_messages(f"{prefix}:ops:")
    assert alert["to"] == "merchandising@example.com"
    assert alert["subject"] == "[Tidings] Sold out: Rain Jacket (91)"
    assert "shoppers can no longer buy it" in alert["body"]

    assert (await shop.stock_changed(product, 0)).status_code == 202  # still 0: no news

    async def settled() -> bool:
        status = await client.get_workflow_handle(prefix).query(ProductWatch.status)
        return not status.pending and len(status.timeline) >= 4

    await eventually(settled, what="the repeated 0 to be taken")
    assert len(await shop.journey_messages(f"{prefix}:ops:")) == 1


async def test_a_disabled_bigcommerce_product_is_unavailable_at_the_next_stock_read(shop: Shop) -> None:
    """The merchant disables a product that still has stock; the next inventory webhook (a relative
    one, which the journey answers by reading the product) finds nothing for sale: sold out."""
    product = 92
    prefix = product_workflow_id("bigcommerce", shop.store, str(product))
    await shop.seed_stock(product, 40, name="Old Jacket")
    assert (await shop.stock_changed(product, 40)).status_code == 202
    await shop.update_product(product, availability="disabled")
    assert (await shop.sold(product, 1)).status_code == 202

    async def alerted() -> bool:
        return bool(await shop.journey_messages(f"{prefix}:ops:sold_out:"))

    await eventually(alerted, timeout=60, what="the unavailable product's alert")
    [alert] = await shop.journey_messages(f"{prefix}:ops:sold_out:")
    assert alert["subject"] == "[Tidings] Sold out: Old Jacket (92)"


async def test_an_sap_stock_level_at_zero_alerts_merchandising_and_a_low_one_too(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    site = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)
    code = f"P{uuid.uuid4().hex[:6]}"
    prefix = product_workflow_id("sap-commerce", site.store, code)

    async def level(available: int) -> None:
        doc = sap.stock_level_document(code, "warehouse_s", available=available)
        assert (await site.post(STOCK_IO, doc, site=site.store)).status_code == 202

    async def alerts(kind: str) -> list[dict[str, object]]:
        messages = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
        return [m for m in messages if str(m.get("reference") or "").startswith(f"{prefix}:ops:{kind}:")]

    await level(25)
    await level(3)
    await eventually(lambda: _any(alerts("low_stock")), timeout=60, what="the low-stock alert")
    await level(0)
    await eventually(lambda: _any(alerts("sold_out")), timeout=60, what="the sellout alert")
    [sold_out] = await alerts("sold_out")
    assert sold_out["to"] == "merchandising@example.com" and str(sold_out["subject"]).startswith(
        "[Tidings] Sold out:"
    )


async def _any(found: object) -> bool:
    return bool(await found)  # type: ignore[misc]
