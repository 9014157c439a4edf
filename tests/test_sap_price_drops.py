"""SAP Commerce price drops through the `TidingsPriceRow` webhook into the ingress: a customer watching
the price hears of a drop; a price for one user price group is not a drop for everyone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.sap_commerce import simulate as sap
from connectors.sap_commerce.webhooks import PRICE_IO, STOCK_IO
from domain.events import product_workflow_id
from tests.conftest import API_TOKEN, SAP_PASSWORD, SAP_USER, Served
from tests.platforms.sap import SapShop
from tests.shop import eventually
from workflows.product_watch import ProductWatch

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


async def test_an_sap_price_row_drop_reaches_price_watchers(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, client: Any
) -> None:
    site = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)
    code = f"P{uuid.uuid4().hex[:6]}"
    wf = product_workflow_id("sap-commerce", site.store, code)
    email = f"{code.lower()}@example.de"
    answer = await http.post(
        f"{ingress.url}/subscriptions",
        json={
            "platform": "sap-commerce",
            "store": site.store,
            "customer_id": "c-1",
            "sku": code,
            "kind": "price_drop",
            "channel": "email",
            "email": email,
        },
        headers=AUTH,
    )
    assert answer.status_code == 202, answer.text
    opted = await http.put(
        f"{ingress.url}/customers/sap-commerce/{site.store}/c-1/preferences",
        json={"marketing_opt_in": ["email"]},
        headers=AUTH,
    )
    opted.raise_for_status()
    stock = sap.stock_level_document(code, "warehouse_s", available=30)
    assert (await site.post(STOCK_IO, stock, site=site.store)).status_code == 202
    start = datetime.now(UTC)

    async def price(value: str, minutes: int, group: str | None = None) -> None:
        row = sap.price_row_document(
            code, value, user_price_group=group, modified_at=start + timedelta(minutes=minutes)
        )
        answer = await site.post(PRICE_IO, row, site=site.store)
        assert answer.status_code == (200 if group else 202), answer.text  # 200: ignored

    await price("100.00", 1)
    await price("60.00", 2, group="employees")  # staff prices: nobody else pays them
    await price("80.00", 3)

    async def told() -> bool:
        messages = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
        return any(str(m.get("reference") or "").startswith(f"{wf}:price_drop:") for m in messages)

    await eventually(told, timeout=60, what="the price drop")
    messages = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
    [drop] = [m for m in messages if str(m.get("reference") or "").startswith(f"{wf}:price_drop:")]
    assert drop["to"] == email and "80.00" in drop["subject"]
    assert "from $100.00 to $80.00 (20% less)" in drop["body"]
    status = await client.get_workflow_handle(wf).query(ProductWatch.status)
    assert str(status.price) == "80.00"
