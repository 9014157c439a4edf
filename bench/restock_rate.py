"""How fast a restock reaches its watchers, against the send rate the bulk task queue allows.

    .venv/bin/python bench/restock_rate.py [--subscribers 2000] [--rate 50] [--batch 100]

Starts a Temporal dev server, the sandbox (as its own process, standing in for OpenText and the
BigCommerce store) and, in this process, the worker as worker.py runs it: every workflow and activity
on the main task queue, and the delivery activity alone on the bulk queue with
`max_task_queue_activities_per_second` = `--rate` (TIDINGS_RESTOCK_SEND_RATE). N customers opt in to marketing
email (the store's preferences) and subscribe to a sold-out product; the product is restocked with
more than N units; the run waits until every watcher is told, then prints what the outbox received:
delivered, duplicates (must be 0), elapsed time, and the achieved send rate against the configured one.

The store's database is a fresh SQLite file (`--database-dir`, a temporary directory by default):
every send writes the ledger twice, so on a slow disk SQLite's commits, not the rate limit, can be
what a low ratio measures; /dev/shm takes the disk out of it.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.events import (
    CommerceEvent,
    EventType,
    Platform,
    ProductPayload,
    WatchKind,
    product_workflow_id,
)
from domain.notifications import Channel
from domain.preferences import Preferences
from domain.settings import Settings
from starter.codec import KeyRing
from starter.devstack import temporal_binary, wait_for_port
from starter.encryption import converter_for
from starter.journeys import deliver_event
from starter.subscriptions_api import SubscriptionRequest, subscription_event
from store.stores import Stores
from worker import running_worker
from workflows.product_watch import ProductWatch
from workflows.product_watch_state import WatchStatus
from workflows.search_attributes import ALL_KEYS

STORE = "bench"
SKU = "4242"  # BigCommerce keys products by id
SANDBOX_PORT = 18725
CONCURRENCY = 16


@asynccontextmanager
async def sandbox(port: int) -> AsyncIterator[str]:
    """The sandbox in its own process, so its work does not share this event loop with the worker."""
    code = f"from connectors.sandbox.server import serve; serve(port={port}, status_delay=0)"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        wait_for_port("127.0.0.1", port, "sandbox")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


def stock_event(available: int) -> CommerceEvent:
    return CommerceEvent(
        event_id=f"stock-{uuid.uuid4().hex}",
        platform=Platform.BIGCOMMERCE,
        store=STORE,
        type=EventType.INVENTORY_CHANGED,
        occurred_at=datetime.now(UTC),
        product=ProductPayload(sku=SKU, available=available),
    )


async def set_stock(http: httpx.AsyncClient, sandbox_url: str, available: int, seed: bool = False) -> None:
    if seed:
        r = await http.put(
            f"{sandbox_url}/sandbox/bigcommerce/{STORE}/products/{SKU}",
            json={
                "name": "Trail Shoes",
                "price": 129,
                "inventory_tracking": "product",
                "inventory_level": available,
            },
        )
    else:
        r = await http.put(
            f"{sandbox_url}/stores/{STORE}/v3/catalog/products/{SKU}",
            json={"inventory_level": available},
            headers={"X-Auth-Token": "bench"},
        )
    r.raise_for_status()


async def in_lanes(count: int, one: Callable[[int], Awaitable[object]]) -> None:
    """`one(n)` for n in 1..count, CONCURRENCY at a time."""
    numbers = iter(range(1, count + 1))

    async def lane() -> None:
        for n in numbers:
            await one(n)

    await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.5)


async def main(subscribers: int, rate: float, batch: int, database_dir: Path) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        # encrypted, as production runs (a throwaway key)
        data_converter=converter_for(KeyRing({"bench": KeyRing.new_key()}, "bench")),
        dev_server_log_level="error",
    )
    async with env, sandbox(SANDBOX_PORT) as sandbox_url, httpx.AsyncClient(timeout=30) as http:
        settings = Settings(
            temporal_address=env.client.service_client.config.target_host,
            task_queue=f"bench-{uuid.uuid4().hex[:6]}",
            database_url=f"sqlite+aiosqlite:///{database_dir / 'tidings.db'}",
            opentext_base_url=f"{sandbox_url}/mra/v1",
            opentext_token_url=f"{sandbox_url}/tenants/tidings/oauth2/token",
            bigcommerce_api_url=sandbox_url,
            restock_send_rate=rate,
            restock_batch_size=batch,
            marketing_cap=None,
        )
        client = env.client
        workflow_id = product_workflow_id(Platform.BIGCOMMERCE, STORE, SKU)
        handle = client.get_workflow_handle(workflow_id)

        async def status() -> WatchStatus:
            return await handle.query(ProductWatch.status)

        stores = await Stores.open(settings.database_url)
        try:
            started = time.perf_counter()
            await in_lanes(
                subscribers,
                lambda n: stores.preferences.put(
                    "bigcommerce", STORE, str(n), Preferences(marketing_opt_in=[Channel.EMAIL])
                ),
            )
            took = time.perf_counter() - started
            print(f"{subscribers} customers opted in to marketing email in {took:.1f} s")
        finally:
            await stores.close()

        async with running_worker(client, settings):
            await set_stock(http, sandbox_url, 0, seed=True)
            await deliver_event(client, settings, stock_event(0))
            started = time.perf_counter()

            async def subscribe(n: int) -> None:
                request = SubscriptionRequest(
                    platform=Platform.BIGCOMMERCE,
                    store=STORE,
                    customer_id=str(n),
                    sku=SKU,
                    kind=WatchKind.BACK_IN_STOCK,
                    channel=Channel.EMAIL,
                    email=f"watcher{n}@bench.test",
                )
                await deliver_event(client, settings, subscription_event(request))

            await in_lanes(subscribers, subscribe)

            async def all_subscribed() -> bool:
                current = await status()
                return current.waiting_back_in_stock == subscribers and not current.pending

            await until(all_subscribed, 120, "every subscription")
            print(f"{subscribers} subscriptions taken in {time.perf_counter() - started:.1f} s")

            await set_stock(http, sandbox_url, subscribers + 100)  # enough for everyone: no sell-out
            restocked, cpu_before = time.perf_counter(), time.process_time()
            restocked_at = datetime.now(UTC)
            await deliver_event(client, settings, stock_event(subscribers + 100))

            async def all_told() -> bool:
                totals = (await status()).totals
                return totals.sent + totals.suppressed + totals.failed >= subscribers

            await until(all_told, max(120.0, 3 * subscribers / rate), "every watcher told")
            elapsed = time.perf_counter() - restocked
            cores = (time.process_time() - cpu_before) / elapsed
            final = await status()

        r = await http.get(f"{sandbox_url}/sandbox/messages")
        r.raise_for_status()
        sent = [m for m in r.json() if (m.get("reference") or "").startswith(f"{workflow_id}:back_in_stock:")]

    per_watcher = collections.Counter(m["to"] for m in sent)
    duplicates = sum(n - 1 for n in per_watcher.values())
    times = sorted(datetime.fromisoformat(m["received_at"]) for m in sent)
    window = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / window if window else float("nan")
    print(f"delivered:          {len(per_watcher)} of {subscribers} watchers ({len(sent)} messages)")
    print(f"duplicates:         {duplicates}")
    print(f"suppressed/failed:  {final.totals.suppressed}/{final.totals.failed}")
    print(f"elapsed:            {elapsed:.1f} s from the restock event to the last watcher told")
    print(f"first message after {(times[0] - restocked_at).total_seconds():.2f} s" if times else "no message")
    print(f"achieved rate:      {achieved:.1f} messages/s over {window:.1f} s (batches of {batch})")
    print(f"configured rate:    {rate:.1f} messages/s")
    print(f"ratio:              {achieved / rate:.2f}")
    print(f"workflow runs:      {final.runs} (continue-as-new along the way)")
    # Near one core, this one worker process is what limits the rate, not the queue: add replicas.
    print(f"worker process CPU: {cores:.2f} cores while sending")
    if duplicates or len(per_watcher) != subscribers:
        raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="bulk sends per second (the queue's limit)")
    parser.add_argument(
        "--batch", type=int, default=100, help="watchers per batch (TIDINGS_RESTOCK_BATCH_SIZE)"
    )
    parser.add_argument("--database-dir", type=Path, default=None, help="where the SQLite store goes")
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory(dir=args.database_dir) as data:
        asyncio.run(main(args.subscribers, args.rate, args.batch, Path(data)))
