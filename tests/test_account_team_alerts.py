"""High-value orders and expedited-shipping requests reach the account team (not operations), end to
end from an SFCC order whose shipment asks for overnight delivery."""

from __future__ import annotations

import uuid

import httpx
import pytest
from temporalio.client import Client

from connectors.sfcc.simulate import order_document
from tests.conftest import SFCC_SECRET, Served
from tests.platforms.sfcc import SfccShop
from tests.shop import eventually


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> SfccShop:
    return SfccShop(http, sandbox.url, ingress.url, SFCC_SECRET)


async def alerts(shop: SfccShop, sandbox: Served, order_no: str) -> list[dict[str, object]]:
    prefix = shop.order_workflow_id(order_no) + ":ops:"
    messages = (await shop.http.get(f"{sandbox.url}/sandbox/messages")).json()
    return [m for m in messages if str(m.get("reference") or "").startswith(prefix)]


async def test_an_expensive_overnight_order_alerts_the_account_team(
    shop: SfccShop, sandbox: Served, client: Client
) -> None:
    order_no = f"E{uuid.uuid4().hex[:8]}"
    doc = order_document(order_no, total="2450.00")
    doc["shipments"][0]["shipping_method"] = {"id": "overnight", "name": "Express Overnight"}
    await shop._seed_order(doc)
    assert (await shop.post("order.created", doc)).status_code == 202

    async def both() -> bool:
        return len(await alerts(shop, sandbox, order_no)) == 2

    await eventually(both, what="the high-value and expedited alerts")
    sent = {str(m["reference"]).rsplit(":", 1)[-1]: m for m in await alerts(shop, sandbox, order_no)}
    assert set(sent) == {"high_value", "expedited"}
    assert all(m["to"] == "accounts@example.com" for m in sent.values())
    assert "Express Overnight" in str(sent["expedited"]["subject"]) + str(sent["expedited"]["body"])


async def test_an_ordinary_ground_order_alerts_nobody(shop: SfccShop, sandbox: Served) -> None:
    order_no = f"G{uuid.uuid4().hex[:8]}"
    assert (await shop.place_order(order_no)).status_code == 202
    prefix = shop.order_workflow_id(order_no) + ":"

    async def confirmed() -> bool:
        messages = (await shop.http.get(f"{sandbox.url}/sandbox/messages")).json()
        return any(str(m.get("reference") or "").startswith(prefix) for m in messages)

    await eventually(confirmed, what="the order confirmation")
    assert await alerts(shop, sandbox, order_no) == []
