"""The Temporal server (a dev server on a database file) killed and started again while orders
flow: webhooks are redelivered until accepted, the journeys carry on from the file, nothing is
sent twice or lost."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.client import Client

from tests.faults.orders import (
    FIGURES,
    MESSAGES_PER_ORDER,
    ORDERS,
    drive,
    settle,
    tally,
    unfinished_ledger_rows,
)
from tests.faults.stack import Stack
from tests.shop import Shop

# a guard above the 300 s default: stack start-up on a loaded machine plus the settle deadline
pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


async def test_a_server_restart_loses_and_repeats_nothing(stack: Stack, shop: Shop, temporal: Client) -> None:
    (await shop.http.post(f"{stack.sandbox_url}/sandbox/faults", json={"latency_ms": 250})).raise_for_status()
    orders = list(range(8001, 8001 + ORDERS))

    back_at: list[float] = []

    async def restart_the_server() -> None:
        await asyncio.sleep(6)
        await asyncio.to_thread(stack.kill, "temporal")
        await asyncio.sleep(3)
        await asyncio.to_thread(stack.start_server)
        back_at.append(time.monotonic())

    async def traffic() -> int:
        redelivered = await drive(shop, orders)
        assert back_at and time.monotonic() > back_at[0], "the orders were all in before the server came back"
        return redelivered

    redelivered, _ = await asyncio.gather(traffic(), restart_the_server())
    await settle(temporal, shop, orders)

    result = await tally(shop, orders)
    FIGURES.append(
        f"{result.line('Temporal server SIGKILLed and restarted')}; {redelivered} webhooks redelivered"
    )
    assert (result.duplicates, result.lost) == (0, 0), result.line("server restart")
    assert result.per_recipient == {o: MESSAGES_PER_ORDER for o in orders}
    assert unfinished_ledger_rows(stack.database, shop) == []
    stack.check_alive()
