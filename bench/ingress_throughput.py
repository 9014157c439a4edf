"""Webhooks per second through the ingress (signature check, parsing, signal-with-start) against bare
`temporalio` signal-with-start on the same dev server, at the same concurrency, in one run.

    .venv/bin/python bench/ingress_throughput.py [--events 600] [--concurrency 16] [--rounds 4]

Both arms start one new OrderLifecycle per event (a fresh order id), so they ask the same of Temporal;
no worker runs, so workflow tasks just queue. The ingress runs as its own process (as in production),
the rounds alternate the arms (ABBA, since the server slows as it fills), and the report gives the
ratio of the best rounds and the median of the per-round ratios (these machines are noisy).
The load generator is a minimal keep-alive HTTP client, so it costs the 2-core machine about what
the bare arm's gRPC client does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from connectors.bigcommerce.simulate import order_webhook, signed_headers
from connectors.bigcommerce.webhooks import parse_webhook
from domain.settings import Settings
from starter.codec import KeyRing
from starter.devstack import temporal_binary, wait_for_port
from starter.encryption import converter_for
from starter.journeys import deliver_event
from workflows.search_attributes import ALL_KEYS

SECRET = "bench-secret"


async def run_concurrently(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Runs `one(i)` for i in range(count) with at most `concurrency` in flight; returns events/s."""
    next_index = iter(range(count))

    async def lane() -> None:
        for i in next_index:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


def bodies(store: str, count: int) -> list[bytes]:
    return [json.dumps(order_webhook(store, "store/order/created", i + 1)).encode() for i in range(count)]


async def bare_round(client: Client, settings: Settings, store: str, count: int, concurrency: int) -> float:
    # The same canonical events the ingress would produce, parsed before the clock starts.
    events = [parse_webhook(b).events[0] for b in bodies(store, count)]

    async def one(i: int) -> None:
        await deliver_event(client, settings, events[i])

    return await run_concurrently(count, concurrency, one)


def raw_request(port: int, body: bytes) -> bytes:
    headers = {
        "Host": f"127.0.0.1:{port}",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **signed_headers(body, SECRET),
    }
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST /webhooks/bigcommerce HTTP/1.1\r\n{head}\r\n".encode() + body


class Connection:
    """A minimal keep-alive HTTP/1.1 client, so the load generator costs little CPU next to the
    server it measures (httpx would take as much CPU as the ingress on a 2-core machine)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status


async def ingress_round(port: int, store: str, count: int, concurrency: int) -> float:
    requests = [raw_request(port, b) for b in bodies(store, count)]
    pool = [Connection(*await asyncio.open_connection("127.0.0.1", port)) for _ in range(concurrency)]
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in pool:
        free.put_nowait(conn)

    async def one(i: int) -> None:
        conn = await free.get()
        status = await conn.post(requests[i])
        free.put_nowait(conn)
        if status != 202:
            raise RuntimeError(f"ingress answered {status}")

    try:
        return await run_concurrently(count, concurrency, one)
    finally:
        for conn in pool:
            conn.writer.close()


async def main(events: int, concurrency: int, rounds: int) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        # encrypted, as production runs (a throwaway key)
        data_converter=converter_for(KeyRing({"bench": KeyRing.new_key()}, "bench")),
        dev_server_log_level="error",
    )
    async with env:
        address = env.client.service_client.config.target_host
        ingress_port = 18765
        settings = Settings(temporal_address=address, task_queue="bench", bigcommerce_client_secret=SECRET)  # type: ignore[arg-type]
        child_env = {
            **os.environ,
            "TIDINGS_TEMPORAL_ADDRESS": address,
            "TIDINGS_TASK_QUEUE": "bench",
            "TIDINGS_BIGCOMMERCE_CLIENT_SECRET": SECRET,
            "TIDINGS_INGRESS_PORT": str(ingress_port),
        }
        ingress = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "starter", "ingress", env=child_env
        )
        try:
            wait_for_port("127.0.0.1", ingress_port, "ingress")
            await ingress_round(ingress_port, "warm-i", 50, concurrency)
            await bare_round(env.client, settings, "warm-b", 50, concurrency)
            bare: list[float] = []
            through: list[float] = []
            for r in range(rounds):
                # ABBA order, so neither arm always runs on the fuller (slower) server
                arms = ["bare", "ingress"] if r % 2 == 0 else ["ingress", "bare"]
                for arm in arms:
                    if arm == "bare":
                        bare.append(await bare_round(env.client, settings, f"bare{r}", events, concurrency))
                    else:
                        through.append(await ingress_round(ingress_port, f"ingress{r}", events, concurrency))
                print(f"round {r + 1}: bare {bare[-1]:7.1f}/s   ingress {through[-1]:7.1f}/s")
        finally:
            ingress.terminate()
            await ingress.wait()
    paired = [t / b for t, b in zip(through, bare, strict=True)]
    print(f"events per round {events}, concurrency {concurrency}")
    print(f"best bare signal-with-start: {max(bare):7.1f} events/s")
    print(f"best through the ingress:    {max(through):7.1f} events/s")
    print(f"ratio of bests:              {max(through) / max(bare):5.2f}")
    print(f"median of per-round ratios:  {statistics.median(paired):5.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()  # the ingress runs on uvloop too (uvicorn picks it up)
    except ImportError:
        pass
    asyncio.run(main(args.events, args.concurrency, args.rounds))
