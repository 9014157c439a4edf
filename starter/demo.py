"""`tidings demo`: the whole stack in the background, five orders played through signed BigCommerce
webhooks (one in fraud review, one cancelled, one high value, one declined with a duplicate webhook),
then a table of every message they produced, read from the sandbox outbox."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from connectors.bigcommerce.simulate import order_webhook, shipment_webhook, signed_headers
from domain.events import order_workflow_id
from domain.settings import Settings
from starter.devstack import DevStack, stack_environment, ui_port
from starter.temporal_client import connect
from workflows.order_lifecycle import OrderLifecycle

STORE = "demo-store"
SETTLE_TIMEOUT = 90.0


@dataclass
class DemoOrder:
    order_id: int
    name: str
    email: str
    phone: str | None
    total: str
    currency: str
    first_status: int
    script: list[tuple[str, int | None]] = field(default_factory=list)  # (action, new status)
    products: list[dict[str, Any]] = field(default_factory=list)


ORDERS = [
    DemoOrder(
        1001,
        "Ada Lovelace",
        "ada@example.com",
        "+14155550101",
        "89.90",
        "USD",
        11,
        [("status", 9), ("ship", 2), ("status", 10)],
        [
            {"name": "Analytical Engine Mug", "sku": "MUG-1", "quantity": 2, "price_inc_tax": "24.95"},
            {"name": "Punch Card Notebook", "sku": "NB-7", "quantity": 1, "price_inc_tax": "40.00"},
        ],
    ),
    DemoOrder(
        1002,
        "Grace Hopper",
        "grace@example.com",
        "+14155550102",
        "310.00",
        "USD",
        12,
        [("status", 11), ("status", 9)],
        [{"name": "Nanosecond Wire Set", "sku": "WIRE-1", "quantity": 1, "price_inc_tax": "310.00"}],
    ),
    DemoOrder(
        1003,
        "Alan Turing",
        "alan@example.co.uk",
        None,
        "42.00",
        "GBP",
        11,
        [("status", 5), ("status", 9)],
        [{"name": "Enigma Puzzle", "sku": "PZ-3", "quantity": 1, "price_inc_tax": "42.00"}],
    ),
    DemoOrder(
        1004,
        "Katherine Johnson",
        "katherine@example.com",
        "+14155550104",
        "2450.00",
        "EUR",
        11,
        [("status", 9), ("ship", 2)],
        [{"name": "Orbital Telescope", "sku": "TEL-9", "quantity": 1, "price_inc_tax": "2450.00"}],
    ),
    DemoOrder(
        1005,
        "Linus Pauling",
        "linus@example.com",
        "+14155550105",
        "15.00",
        "USD",
        7,
        [("status", 6), ("duplicate", None)],
        [{"name": "Vitamin C", "sku": "VC-1", "quantity": 1, "price_inc_tax": "15.00"}],
    ),
]


class Demo:
    def __init__(self, settings: Settings, secret: str, console: Console) -> None:
        self.settings = settings
        self.secret = secret
        self.console = console
        self.sandbox = f"http://127.0.0.1:{settings.sandbox_port}"
        self.ingress = f"http://127.0.0.1:{settings.ingress_port}"
        self.posted: dict[str, set[str]] = {}  # workflow id → distinct event ids posted
        self.last_body: dict[int, bytes] = {}

    async def seed(self, http: httpx.AsyncClient, order: DemoOrder) -> None:
        first, last = order.name.split(" ", 1)
        body = {
            "id": order.order_id,
            "customer_id": order.order_id - 900,
            "status_id": order.first_status,
            "date_created": "Mon, 23 Nov 2026 09:00:00 +0000",
            "total_inc_tax": order.total,
            "currency_code": order.currency,
            "billing_address": {
                "first_name": first,
                "last_name": last,
                "email": order.email,
                "phone": order.phone or "",
                "city": "Springfield",
                "country_iso2": "US",
            },
            "products": order.products,
            "shipping_addresses": [{"id": 1, "city": "Springfield", "country_iso2": "US"}],
        }
        r = await http.put(f"{self.sandbox}/sandbox/bigcommerce/{STORE}/orders/{order.order_id}", json=body)
        r.raise_for_status()

    async def post(self, http: httpx.AsyncClient, order: DemoOrder, payload: dict[str, Any] | None) -> None:
        import json

        body = json.dumps(payload).encode() if payload is not None else self.last_body[order.order_id]
        r = await http.post(
            f"{self.ingress}/webhooks/bigcommerce",
            content=body,
            headers={"Content-Type": "application/json", **signed_headers(body, self.secret)},
        )
        if r.status_code != 202:
            raise RuntimeError(f"ingress answered {r.status_code}: {r.text}")
        self.last_body[order.order_id] = body
        wf = order_workflow_id("bigcommerce", STORE, str(order.order_id))
        self.posted.setdefault(wf, set()).add(json.loads(body)["hash"])

    async def set_status(self, http: httpx.AsyncClient, order: DemoOrder, status: int) -> None:
        r = await http.put(
            f"{self.sandbox}/stores/{STORE}/v2/orders/{order.order_id}",
            json={"status_id": status},
            headers={"X-Auth-Token": "demo"},
        )
        r.raise_for_status()

    async def play(self, http: httpx.AsyncClient, order: DemoOrder) -> None:
        await self.seed(http, order)
        await self.post(http, order, order_webhook(STORE, "store/order/created", order.order_id))
        previous = order.first_status
        for step, (action, status) in enumerate(order.script):
            await asyncio.sleep(0.4)
            if action == "duplicate":
                await self.post(http, order, None)
                continue
            assert status is not None
            await self.set_status(http, order, status)
            if action == "ship":
                shipment = {
                    "id": step + 1,
                    "tracking_number": f"1Z{order.order_id}X",
                    "tracking_carrier": "ups",
                    "tracking_link": f"https://track.example/{order.order_id}",
                    "shipping_method": "Ground",
                }
                r = await http.post(
                    f"{self.sandbox}/sandbox/bigcommerce/{STORE}/orders/{order.order_id}/shipments",
                    json=shipment,
                )
                r.raise_for_status()
                await self.post(http, order, shipment_webhook(STORE, order.order_id, step + 1))
            await self.post(
                http,
                order,
                order_webhook(
                    STORE,
                    "store/order/statusUpdated",
                    order.order_id,
                    new_status=status,
                    previous_status=previous,
                ),
            )
            previous = status

    async def settled(self) -> bool:
        """Every posted event handled and nothing in flight, by each journey's own `status` query."""
        client = await connect(self.settings)
        for wf, events in self.posted.items():
            status = await client.get_workflow_handle(wf).query(OrderLifecycle.status)
            handled = {e.event_id for e in status.timeline if e.kind == "event"}
            if handled != events or status.busy or status.events_waiting:
                return False
        return True

    async def run(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=20) as http:
            with self.console.status("playing five orders through signed BigCommerce webhooks …"):
                await asyncio.gather(*(self.play(http, order) for order in ORDERS))
            deadline = time.monotonic() + SETTLE_TIMEOUT
            with self.console.status("waiting for the journeys to send their messages …"):
                while not await self.settled():
                    if time.monotonic() > deadline:
                        raise TimeoutError("journeys did not settle in time")
                    await asyncio.sleep(0.5)
            r = await http.get(f"{self.sandbox}/sandbox/messages")
            r.raise_for_status()
            messages: list[dict[str, Any]] = r.json()
            return messages


def print_messages(console: Console, messages: list[dict[str, Any]]) -> None:
    table = Table(title=f"{len(messages)} messages in the sandbox outbox")
    for column in ("order", "message", "channel", "to", "content"):
        table.add_column(column, overflow="fold")
    rows = []
    for m in messages:
        # references are message keys: order:{platform}:{store}:{order id}:{step}
        _, _, _, order_id, step = (m.get("reference") or "::::").split(":", 4)
        content = m.get("subject") or m.get("title") or m.get("text") or ""
        rows.append((order_id, m.get("received_at") or "", step, m["channel"], m["to"], content))
    for order_id, _, step, channel, to, content in sorted(rows):
        table.add_row(order_id, step, channel, to, content)
    console.print(table)


def run_demo(
    settings: Settings, data_dir: Path, time_scale: float, console: Console, keep: bool = False
) -> int:
    env = stack_environment(settings, data_dir, {"TIDINGS_TIME_SCALE": str(time_scale)})
    secret = env["TIDINGS_BIGCOMMERCE_CLIENT_SECRET"]
    started = time.monotonic()
    console.print(f"[bold]Tidings demo[/] (state in {data_dir}, time scale {time_scale})")
    with console.status("starting Temporal dev server, worker, ingress and sandbox …"):
        stack = DevStack(settings, data_dir, env, log_dir=data_dir / "logs")
        stack.__enter__()
    try:
        messages = asyncio.run(Demo(settings, secret, console).run())
        print_messages(console, messages)
        console.print(
            f"Journeys: Temporal Web UI at http://127.0.0.1:{ui_port(settings)} (filter: OrderId = '1002'); "
            f"outbox page at http://127.0.0.1:{settings.sandbox_port}/"
        )
        if keep:
            console.print("The stack keeps running for you to look around; Ctrl-C stops it.")
            stack.run_until_stopped()
    finally:
        with console.status("stopping …"):
            stack.stop()
    console.print(f"done in {time.monotonic() - started:.0f} s; logs in {data_dir / 'logs'}")
    return 0
