"""The issue's scenario: OpenText answering a send in 250 ms, and the worker killed with SIGKILL three
times while orders flow, so sends are cut off between OpenText's accept and the ledger's record."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client

from tests.faults.orders import (
    FIGURES,
    MESSAGES_PER_ORDER,
    ORDERS,
    drive,
    recovered_sends,
    settle,
    tally,
    unfinished_ledger_rows,
)
from tests.faults.stack import Stack
from tests.shop import Shop

# a guard above the 300 s default: stack start-up on a loaded machine plus the settle deadline
pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


async def test_a_worker_killed_three_times_loses_and_repeats_nothing(
    stack: Stack, shop: Shop, temporal: Client
) -> None:
    (await shop.http.post(f"{stack.sandbox_url}/sandbox/faults", json={"latency_ms": 250})).raise_for_status()
    orders = list(range(7001, 7001 + ORDERS))

    async def kill_the_worker_three_times() -> None:
        for _ in range(3):
            await asyncio.sleep(5)
            await asyncio.to_thread(stack.kill, "worker")
            await asyncio.sleep(1)
            await asyncio.to_thread(stack.start_worker)

    await asyncio.gather(drive(shop, orders), kill_the_worker_three_times())
    await settle(temporal, shop, orders)

    result = await tally(shop, orders)
    recovered = recovered_sends(stack.root / "worker.log")
    FIGURES.append(
        f"{result.line('worker SIGKILLed 3 times')}; {recovered} retries found their send at OpenText"
    )
    assert (result.duplicates, result.lost) == (0, 0), result.line("worker kill")
    assert result.per_recipient == {o: MESSAGES_PER_ORDER for o in orders}
    assert unfinished_ledger_rows(stack.database, shop) == []
    stack.check_alive()
