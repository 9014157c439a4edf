"""Journeys whose histories the benchmark weighs, and the bare replica of any journey.

The standard order is BigCommerce's happy path, as tests/test_order_lifecycle.py plays it: four
webhooks (created, awaiting shipment, shipped, completed). tests/test_history_budget.py pins its size."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client

from bench.bare_workflow import BareEvent, BareJourney
from bench.load import bare_webhook
from tests.shop import Shop
from workflows.order_lifecycle import OrderLifecycle

STANDARD_WEBHOOKS = 4


@dataclass(frozen=True)
class HistorySize:
    events: int
    bytes: int
    signals: int  # webhooks (and receipts) the journey received, its start signal included
    messages: int  # send_message activities scheduled
    timers: int

    @classmethod
    def of(cls, history: History) -> HistorySize:
        kinds = Counter(e.event_type for e in history.events)
        sends = sum(
            1
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and e.activity_task_scheduled_event_attributes.activity_type.name in ("send_message", "bare_send")
        )
        return cls(
            events=len(history.events),
            bytes=history.ByteSize(),
            signals=kinds[EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED],
            messages=sends,
            timers=kinds[EventType.EVENT_TYPE_TIMER_STARTED],
        )


async def settled_history(client: Client, workflow_id: str, timeout: float = 120.0) -> History:
    """The history once no workflow task is pending and nothing new came for a second."""
    handle = client.get_workflow_handle(workflow_id)
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        history = History(events=(await handle.fetch_history()).events)
        kinds = [e.event_type for e in history.events]
        completed = max(i for i, k in enumerate(kinds) if k == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        done = EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED not in kinds[completed:]
        if done and len(history.events) == last:
            return history
        last = len(history.events) if done else -1
        await asyncio.sleep(1.0)
    raise TimeoutError(f"{workflow_id}: history still growing after {timeout:.0f} s")


async def standard_order(shop: Shop, client: Client, order_id: int, timeout: float = 120.0) -> str:
    """Plays the four webhooks, one after the other is handled; returns the workflow id."""
    workflow_id = shop.workflow_id(order_id)
    handle = client.get_workflow_handle(workflow_id)
    handled = 0

    async def until_handled(count: int) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = await handle.query(OrderLifecycle.status)
            seen = sum(1 for e in status.timeline if e.kind == "event") + status.duplicates_ignored
            if seen >= count and not status.busy and status.events_waiting == 0:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"{workflow_id}: {count} events not handled within {timeout:.0f} s")

    await shop.seed(order_id, status=11)
    for post in (
        lambda: shop.created(order_id),
        lambda: shop.status_changed(order_id, 9),
        lambda: shop.shipped(order_id),
        lambda: shop.status_changed(order_id, 10, previous=2),
    ):
        response = await post()
        if response.status_code != 202:
            raise RuntimeError(f"ingress answered {response.status_code}: {response.text}")
        handled += 1
        await until_handled(handled)
    return workflow_id


def replica_events(size: HistorySize) -> list[BareEvent]:
    """Bare events asking Temporal for what the journey did: as many signals, messages and timers."""
    signals = max(size.signals, 1)
    events = [BareEvent(name=f"e{i}", messages=0) for i in range(signals)]
    for m in range(size.messages):  # one message per signal in turn, the rest on the last
        events[min(m, signals - 1)].messages += 1
    for t in range(size.timers):
        events[min(t, signals - 1)].timers += 1
    return events


async def bare_replica(client: Client, task_queue: str, name: str, size: HistorySize) -> HistorySize:
    events = replica_events(size)
    for event in events:
        await bare_webhook(client, task_queue, name, 0, event)
    handle = client.get_workflow_handle(f"bare:{name}:0")
    deadline = time.monotonic() + 120
    while await handle.query(BareJourney.handled) < len(events):
        if time.monotonic() > deadline:
            raise TimeoutError(f"bare replica {name} not done")
        await asyncio.sleep(0.2)
    return HistorySize.of(await settled_history(client, handle.id))
