"""Exactly once under provider trouble: 200 order messages while the sandbox fails 30 % of sends
(429 with Retry-After, 500 and 503 mixed); every message arrives once and the ledger shows it
delivered."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from domain.settings import Settings
from store.models import MessageRow
from store.stores import Stores
from tests.conftest import WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually

ORDERS = 50  # × 4 announced stages = 200 messages


@pytest.fixture
async def flaky_sandbox(http: httpx.AsyncClient, sandbox: Served) -> AsyncIterator[None]:
    faults = {"error_rate": 0.3, "status_codes": [429, 500, 503], "retry_after": 1, "seed": 7}
    assert (await http.post(f"{sandbox.url}/sandbox/faults", json=faults)).status_code == 200
    yield
    await http.post(f"{sandbox.url}/sandbox/faults", json={})


async def play(shop: Shop, order_id: int) -> None:
    await shop.seed(order_id, status=11, phone=f"+1415555{order_id:04d}")
    for response in (
        await shop.created(order_id),
        await shop.status_changed(order_id, 9),
        await shop.shipped(order_id),
        await shop.status_changed(order_id, 10, previous=2),
    ):
        assert response.status_code == 202


async def test_two_hundred_messages_arrive_exactly_once_despite_faults(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, settings: Settings, flaky_sandbox: None
) -> None:
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET)
    await asyncio.gather(*(play(shop, 5000 + i) for i in range(ORDERS)))

    async def all_arrived() -> bool:
        return len(await shop.messages()) >= ORDERS * 4

    await eventually(all_arrived, timeout=180, what="200 messages in the outbox")
    stores = await Stores.open(settings.database_url)
    try:

        async def all_delivered() -> bool:
            async with stores.engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(MessageRow.delivery).where(
                            MessageRow.workflow_id.like(f"order:bigcommerce:{shop.store}:%")
                        )
                    )
                ).all()
            states.clear()
            states.update(r.delivery for r in rows)
            return sum(states.values()) == ORDERS * 4 and states["delivered"] == ORDERS * 4

        states: Counter[str | None] = Counter()
        await eventually(all_delivered, timeout=60, what=f"every ledger row delivered (now {states})")
    finally:
        await stores.close()

    await asyncio.sleep(2)  # let any straggling retry show itself
    references = Counter(m["reference"] for m in await shop.messages())
    assert len(references) == ORDERS * 4
    assert max(references.values()) == 1, [r for r, n in references.items() if n > 1]
    faults = (await http.get(f"{sandbox.url}/sandbox/faults")).json()
    assert faults["error_rate"] == 0.3  # the faults were on throughout
