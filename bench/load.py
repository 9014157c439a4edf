"""Load generators for both arms: raw keep-alive HTTP to the ingress (cheap, so the generator does not
eat the CPU it measures) and bare `temporalio` signal-with-start."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from temporalio.client import Client

from bench.bare_workflow import BareEvent, BareJourney
from connectors.bigcommerce.simulate import order_webhook, signed_headers


async def in_lanes(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """`one(i)` for i in range(count), at most `concurrency` in flight (closed loop); returns seconds."""
    numbers = iter(range(count))

    async def lane() -> None:
        for i in numbers:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return time.perf_counter() - started


async def open_loop(count: int, rate: float, one: Callable[[int], Awaitable[None]]) -> None:
    """`one(i)` started at i / rate seconds whether or not the earlier ones have answered."""
    started = time.perf_counter()
    tasks: list[asyncio.Future[None]] = []
    for i in range(count):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(i)))
    await asyncio.gather(*tasks)


def webhook_request(port: int, body: bytes, secret: str) -> bytes:
    headers = {
        "Host": f"127.0.0.1:{port}",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **signed_headers(body, secret),
    }
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST /webhooks/bigcommerce HTTP/1.1\r\n{head}\r\n".encode() + body


def created_request(port: int, store: str, order_id: int, secret: str) -> bytes:
    body = json.dumps(order_webhook(store, "store/order/created", order_id)).encode()
    return webhook_request(port, body, secret)


class Connection:
    """A minimal keep-alive HTTP/1.1 client (httpx would cost as much CPU as the ingress it loads)."""

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


class ConnectionPool:
    def __init__(self, port: int) -> None:
        self.port = port
        self.free: asyncio.Queue[Connection] = asyncio.Queue()
        self.all: list[Connection] = []

    async def post(self, request: bytes) -> None:
        if self.free.empty():
            conn = Connection(*await asyncio.open_connection("127.0.0.1", self.port))
            self.all.append(conn)
        else:
            conn = self.free.get_nowait()
        status = await conn.post(request)
        self.free.put_nowait(conn)
        if status != 202:
            raise RuntimeError(f"ingress answered {status}")

    def close(self) -> None:
        for conn in self.all:
            conn.writer.close()


def bare_id(store: str, order_id: int) -> str:
    return f"bare:{store}:{order_id}"


async def bare_webhook(client: Client, task_queue: str, store: str, order_id: int, event: BareEvent) -> None:
    """What a bare app's webhook handler does: signal-with-start the journey."""
    await client.start_workflow(
        BareJourney.run,
        id=bare_id(store, order_id),
        task_queue=task_queue,
        start_signal="event",
        start_signal_args=[event],
    )
