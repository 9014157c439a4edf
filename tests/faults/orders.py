"""Orders played through the ingress the way a BigCommerce store sends them, and the count of what
reached the customers: every order's customer has their own email and phone, so each message in the
sandbox's outbox belongs to exactly one recipient, who must get each of their messages once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select
from temporalio.client import Client
from temporalio.service import RPCError

from store.models import MessageRow
from tests.shop import Shop

ORDERS = 50
MESSAGES_PER_ORDER = 4  # confirmed, awaiting shipment, shipped, completed
SETTLE_TIMEOUT = 200.0  # a killed attempt is retried after its 60 s start-to-close timeout
FIGURES: list[str] = []  # one line per test, shown at the end of the run (conftest)


def phone(order_id: int) -> str:
    return f"+1415555{order_id:04d}"


def email(order_id: int) -> str:
    return f"buyer{order_id}@example.com"


async def deliver(post: Callable[[], Awaitable[httpx.Response]], what: str, timeout: float = 120.0) -> int:
    """Post until accepted, as a platform redelivers a webhook that was not (ingress or Temporal down).
    Returns how many redeliveries it took."""
    deadline = time.monotonic() + timeout
    redelivered = 0
    while True:
        try:
            if (await post()).status_code < 300:
                return redelivered
        except httpx.TransportError:
            pass
        redelivered += 1
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never accepted within {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def play(shop: Shop, order_id: int, pause: float) -> int:
    """One order from placement to completion: four webhooks, each announcing a message."""
    await shop.seed(order_id, status=11, phone=phone(order_id), email=email(order_id), customer_id=order_id)
    steps: list[tuple[str, Callable[[], Awaitable[httpx.Response]]]] = [
        ("created", lambda: shop.created(order_id)),
        ("awaiting shipment", lambda: shop.status_changed(order_id, 9)),
        ("shipped", lambda: shop.shipped(order_id)),
        ("completed", lambda: shop.status_changed(order_id, 10, previous=2)),
    ]
    redelivered = 0
    for name, post in steps:
        redelivered += await deliver(post, f"order {order_id} {name}")
        await asyncio.sleep(pause)
    return redelivered


async def drive(shop: Shop, orders: Iterable[int], *, at_once: int = 8, pause: float = 0.5) -> int:
    """All orders, `at_once` in flight, spread over time so faults land in the middle of the traffic.
    Returns how many webhooks had to be redelivered."""
    gate = asyncio.Semaphore(at_once)

    async def one(order_id: int) -> int:
        async with gate:
            return await play(shop, order_id, pause)

    return sum(await asyncio.gather(*(one(o) for o in orders)))


@dataclass
class Tally:
    orders: int
    expected: int
    delivered: int
    duplicates: int
    lost: int
    per_recipient: dict[int, int]

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.orders} orders, {self.expected} messages expected, {self.delivered} delivered, "
            f"{self.duplicates} duplicated, {self.lost} lost"
        )


async def tally(shop: Shop, orders: list[int]) -> Tally:
    owner = {address: o for o in orders for address in (phone(o), email(o))}
    messages = await shop.messages()
    per_recipient = Counter(owner.get(str(m["to"]), -1) for m in messages)
    per_key = Counter(str(m["reference"]) for m in messages)
    expected = len(orders) * MESSAGES_PER_ORDER
    return Tally(
        orders=len(orders),
        expected=expected,
        delivered=len(messages),
        duplicates=sum(n - 1 for n in per_key.values()),
        lost=max(expected - len(per_key), 0),
        per_recipient={o: per_recipient.get(o, 0) for o in orders},
    )


async def settle(client: Client, shop: Shop, orders: list[int]) -> None:
    """Until every message is in and no order journey has an activity pending (so no retry is left
    that could still send): the journeys' own state, not a guess at how long retries take."""
    expected = len(orders) * MESSAGES_PER_ORDER
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        if len(await shop.messages()) >= expected and not await any_pending(client, shop, orders):
            return
        await asyncio.sleep(2)
    raise AssertionError(
        f"not settled within {SETTLE_TIMEOUT:.0f} s: {(await tally(shop, orders)).line('now')}"
    )


async def any_pending(client: Client, shop: Shop, orders: list[int]) -> bool:
    for order_id in orders:
        try:
            described = await client.get_workflow_handle(shop.workflow_id(order_id)).describe()
        except RPCError:
            return True  # the server is still coming back
        if described.raw_description.pending_activities:
            return True
    return False


def unfinished_ledger_rows(database: Path, shop: Shop) -> list[str]:
    """Keys the ledger still has as "sending": a send whose outcome nobody recorded."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(MessageRow.key).where(
                    MessageRow.workflow_id.like(f"order:bigcommerce:{shop.store}:%"),
                    MessageRow.status == "sending",
                )
            )
            return [r.key for r in rows]
    finally:
        engine.dispose()


def recovered_sends(worker_log: Path) -> int:
    """How many retries found their earlier attempt's job at OpenText instead of sending again."""
    return worker_log.read_text(errors="replace").count("recording it, not sending again")
