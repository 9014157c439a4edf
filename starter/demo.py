"""`tidings demo`: the whole stack in the background; six orders played through signed BigCommerce
webhooks (one in fraud review, one cancelled, one high value, one declined with a duplicate webhook,
one click-and-collect), an abandoned cart recovered after its first reminder, a STOP reply, a service
case answered by SMS, and the review request of a delivered order; then a table of every message,
read from the sandbox outbox."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from connectors.bigcommerce.simulate import (
    cart_webhook,
    message_webhook,
    order_webhook,
    shipment_webhook,
    signed_headers,
)
from domain.events import (
    cart_workflow_id,
    case_workflow_id,
    order_workflow_id,
    pickup_workflow_id,
    review_workflow_id,
)
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
    DemoOrder(
        1006,
        "Mary Jackson",
        "mary@example.com",
        "+14155550106",
        "64.00",
        "USD",
        11,
        [("status", 8), ("status", 10)],  # click and collect: ready for pickup, then collected
        [{"name": "Wind Tunnel Kit", "sku": "WT-2", "quantity": 1, "price_inc_tax": "64.00"}],
    ),
]
CART_ID = "c0ffee00-0000-4000-8000-00000000ada1"
ADA = 101  # Ada's customer id (order 1001): she opted in to marketing, so she gets cart reminders


class Demo:
    def __init__(self, settings: Settings, secret: str, console: Console, api_token: str = "") -> None:
        self.settings = settings
        self.secret = secret
        self.api_token = api_token
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

    async def opt_in(self, http: httpx.AsyncClient, customer_id: int, email: str, phone: str) -> None:
        r = await http.put(
            f"{self.ingress}/customers/bigcommerce/{STORE}/{customer_id}/preferences",
            json={
                "email": email,
                "phone": phone,
                "marketing_opt_in": ["email", "sms", "push"],
                "locale": "en",
            },
            headers={"Authorization": f"Bearer {self.api_token}"},
        )
        r.raise_for_status()

    async def abandon_cart(self, http: httpx.AsyncClient) -> None:
        """Ada leaves a cart, gets the first reminder, and buys: the cart is recovered."""
        cart = {
            "id": CART_ID,
            "customer_id": ADA,
            "email": "ada@example.com",
            "currency": {"code": "USD"},
            "cart_amount": "149.00",
            "line_items": {
                "physical_items": [
                    {
                        "product_id": 77,
                        "name": "Difference Engine Poster",
                        "sku": "DE-1",
                        "quantity": 1,
                        "sale_price": "149.00",
                        "list_price": "149.00",
                        "image_url": None,
                        "url": None,
                    },
                ]
            },
        }
        (
            await http.put(f"{self.sandbox}/sandbox/bigcommerce/{STORE}/carts/{CART_ID}", json=cart)
        ).raise_for_status()
        await self.post_payload(http, cart_webhook(STORE, "store/cart/abandoned", CART_ID))
        await self.until(lambda: self.outbox_has(http, f"{cart_workflow_id('bigcommerce', STORE, CART_ID)}:"))
        await self.post_payload(http, cart_webhook(STORE, "store/cart/converted", CART_ID, order_id=1007))

    async def service_case(self, http: httpx.AsyncClient) -> None:
        """Katherine writes to the store about order 1004; the case asks her how to go on, she texts
        "2" (talk to an agent), gets an acknowledgment, and her answer lands in the order's staff notes."""
        await self.post_payload(http, message_webhook(STORE, 1004))
        case = case_workflow_id("bigcommerce", STORE, "order-1004")
        await self.until(lambda: self.outbox_has(http, f"{case}:opened"))
        r = await http.post(f"{self.sandbox}/sandbox/reply", json={"from": "+14155550104", "text": "2"})
        r.raise_for_status()
        await self.until(lambda: self.outbox_has(http, f"{case}:ack"))

    async def stop_texts(self, http: httpx.AsyncClient) -> None:
        """Linus answers STOP: every SMS to his number stops, and he gets the usual confirmation."""
        r = await http.post(f"{self.sandbox}/sandbox/reply", json={"from": "+14155550105", "text": "STOP"})
        r.raise_for_status()
        await self.until(lambda: self.outbox_has(http, "consent:sms:"))

    async def post_payload(self, http: httpx.AsyncClient, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        r = await http.post(
            f"{self.ingress}/webhooks/bigcommerce",
            content=body,
            headers={"Content-Type": "application/json", **signed_headers(body, self.secret)},
        )
        r.raise_for_status()

    async def outbox_has(self, http: httpx.AsyncClient, prefix: str) -> bool:
        messages = (await http.get(f"{self.sandbox}/sandbox/messages")).json()
        return any((m.get("reference") or "").startswith(prefix) for m in messages)

    async def until(self, check: Callable[[], Awaitable[bool]]) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not await check():
            if time.monotonic() > deadline:
                raise TimeoutError("the demo's journeys did not settle in time")
            await asyncio.sleep(0.3)

    async def run(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=20) as http:
            await self.opt_in(http, ADA, "ada@example.com", "+14155550101")
            with self.console.status("playing six orders through signed BigCommerce webhooks …"):
                await asyncio.gather(*(self.play(http, order) for order in ORDERS))
            with self.console.status("waiting for the order journeys to send their messages …"):
                await self.until(self.settled)
            with self.console.status("a cart, a STOP reply, a service case, a pickup and a review request …"):
                await asyncio.gather(self.abandon_cart(http), self.stop_texts(http), self.service_case(http))
                review = review_workflow_id("bigcommerce", STORE, "1001")
                pickup = pickup_workflow_id("bigcommerce", STORE, "1006")
                await self.until(lambda: self.outbox_has(http, f"{review}:reminder"))
                await self.until(lambda: self.outbox_has(http, f"{pickup}:collected"))
            r = await http.get(f"{self.sandbox}/sandbox/messages")
            r.raise_for_status()
            messages: list[dict[str, Any]] = r.json()
            return messages


def print_messages(console: Console, messages: list[dict[str, Any]]) -> None:
    table = Table(title=f"{len(messages)} messages in the sandbox outbox")
    for column in ("order/cart", "message", "channel", "to", "content"):
        table.add_column(column, overflow="fold")
    rows = []
    for m in messages:
        # references are message keys: {journey}:{platform}:{store}:{order or cart id}:{step}
        parts = (m.get("reference") or "").split(":", 4)
        if parts[0] == "consent":
            subject, step = "—", "consent:STOP"
        else:
            parts += [""] * (5 - len(parts))
            subject, step = (parts[3][:8] if parts[0] == "cart" else parts[3]), f"{parts[0]}:{parts[4]}"
        content = m.get("subject") or m.get("title") or m.get("text") or ""
        rows.append((subject, m.get("received_at") or "", step, m["channel"], m["to"], content))
    for order_id, _, step, channel, to, content in sorted(rows):
        table.add_row(order_id, step, channel, to, content)
    console.print(table)


def run_demo(
    settings: Settings, data_dir: Path, time_scale: float, console: Console, keep: bool = False
) -> int:
    env = stack_environment(
        settings,
        data_dir,
        {
            "TIDINGS_TIME_SCALE": str(time_scale),
            # a demo cannot wait a week for a review request: ask after ~30 min (2 s at the default scale)
            "TIDINGS_REVIEW_DELAY_DAYS": "0.02",
            "TIDINGS_REVIEW_REMINDER_DAYS": "0.01",
            "TIDINGS_CART_INCENTIVE_CODE": "COMEBACK10",
        },
    )
    secret = env["TIDINGS_BIGCOMMERCE_CLIENT_SECRET"]
    started = time.monotonic()
    console.print(f"[bold]Tidings demo[/] (state in {data_dir}, time scale {time_scale})")
    with console.status("starting Temporal dev server, worker, ingress and sandbox …"):
        stack = DevStack(settings, data_dir, env, log_dir=data_dir / "logs")
        stack.__enter__()
    try:
        messages = asyncio.run(Demo(settings, secret, console, env["TIDINGS_API_TOKEN"]).run())
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
