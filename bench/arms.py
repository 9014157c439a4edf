"""One round of each measurement, for either arm: "tidings" (signed webhooks through the ingress to
the Tidings worker) or "bare" (signal-with-start to the bare worker)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bench.bare_workflow import BareEvent
from bench.load import ConnectionPool, bare_webhook, created_request, in_lanes, open_loop
from bench.procs import CpuMeter
from bench.stack import SECRET, Stack
from tests.shop import Shop

Arm = Literal["tidings", "bare"]


@dataclass
class Round:
    e2e_per_s: float  # orders whose confirmation reached the outbox, per second
    accepted_per_s: float  # webhooks accepted (202 / signal-with-start returned) per second
    cpu_ms_per_order: float  # every counted process
    worker_cpu_ms_per_order: float


def prefix(arm: Arm, store: str) -> str:
    return f"order:bigcommerce:{store}:" if arm == "tidings" else f"bare:{store}:"


async def outbox(stack: Stack, arm: Arm, store: str) -> dict[str, datetime]:
    """When the first message of each journey of `store` reached the sandbox, by journey."""
    r = await stack.http.get(f"{stack.sandbox_url}/sandbox/messages")
    r.raise_for_status()
    start = prefix(arm, store)
    first: dict[str, datetime] = {}
    for m in r.json():
        reference = m.get("reference") or ""
        if reference.startswith(start):
            journey = reference[len(start) :].split(":", 1)[0]
            first.setdefault(journey, datetime.fromisoformat(m["received_at"]))
    return first


async def until_told(stack: Stack, arm: Arm, store: str, count: int, timeout: float) -> dict[str, datetime]:
    deadline = time.monotonic() + timeout
    while True:
        told = await outbox(stack, arm, store)
        if len(told) >= count:
            return told
        if time.monotonic() > deadline:
            raise TimeoutError(f"{arm}: {len(told)} of {count} journeys told within {timeout:.0f} s")
        await asyncio.sleep(0.25)


async def prepare(stack: Stack, arm: Arm, count: int) -> tuple[str, list[bytes]]:
    """A fresh store; for Tidings its orders seeded in the sandbox (hydration reads them) and the
    signed requests built, before any clock starts."""
    store = f"{arm[0]}{uuid.uuid4().hex[:8]}"
    await stack.http.delete(f"{stack.sandbox_url}/sandbox/messages")
    if arm == "bare":
        return store, []
    shop = Shop(stack.http, stack.sandbox_url, stack.ingress_url, SECRET)
    shop.store = store

    async def seed(i: int) -> None:
        await shop.seed(i + 1, status=11)

    await in_lanes(count, 16, seed)
    return store, [created_request(stack.ingress_port, store, i + 1, SECRET) for i in range(count)]


def sender(
    stack: Stack, arm: Arm, store: str, requests: list[bytes], pool: ConnectionPool
) -> Callable[[int], Awaitable[None]]:
    async def tidings(i: int) -> None:
        await pool.post(requests[i])

    async def bare(i: int) -> None:
        await bare_webhook(stack.plain, stack.bare_queue, store, i + 1, BareEvent(name="payment_confirmed"))

    return tidings if arm == "tidings" else bare


def counted(stack: Stack, arm: Arm) -> list[int]:
    """Worker + server + ingress; the bench process both ways (for bare it is the ingress: its
    signal-with-start client; for Tidings the raw HTTP load, cheaper than that)."""
    if arm == "tidings":
        return [stack.worker_pid, stack.server_pid, stack.ingress_pid, stack.bench_pid]
    return [stack.bare_pid, stack.server_pid, stack.bench_pid]


async def e2e_round(stack: Stack, arm: Arm, count: int, concurrency: int) -> Round:
    store, requests = await prepare(stack, arm, count)
    pool = ConnectionPool(stack.ingress_port)
    one = sender(stack, arm, store, requests, pool)
    meter = CpuMeter(counted(stack, arm))
    worker = CpuMeter([stack.worker_pid if arm == "tidings" else stack.bare_pid])
    meter.start()
    worker.start()
    started = time.perf_counter()
    try:
        sending = await in_lanes(count, concurrency, one)
    finally:
        pool.close()
    await until_told(stack, arm, store, count, timeout=60 + count)
    elapsed = time.perf_counter() - started
    return Round(
        e2e_per_s=count / elapsed,
        accepted_per_s=count / sending,
        cpu_ms_per_order=meter.stop() * 1000 / count,
        worker_cpu_ms_per_order=worker.stop() * 1000 / count,
    )


async def latency_round(stack: Stack, arm: Arm, count: int, rate: float) -> list[float]:
    """Webhook → OpenText request, in ms, for `count` orders sent at `rate`/s (open loop)."""
    store, requests = await prepare(stack, arm, count)
    pool = ConnectionPool(stack.ingress_port)
    one = sender(stack, arm, store, requests, pool)
    sent_at: dict[str, float] = {}

    async def timed(i: int) -> None:
        sent_at[str(i + 1)] = time.time()
        await one(i)

    try:
        await open_loop(count, rate, timed)
    finally:
        pool.close()
    told = await until_told(stack, arm, store, count, timeout=60 + count)
    return [(told[k].timestamp() - sent_at[k]) * 1000 for k in sent_at]
