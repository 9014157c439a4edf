"""A BigCommerce store as the tests play it: seeds orders in the sandbox, changes their status the way
a merchant would, and posts the signed webhooks BigCommerce would send."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from connectors.bigcommerce.simulate import (
    cart_webhook,
    customer_webhook,
    inventory_webhook,
    message_webhook,
    order_webhook,
    product_updated_webhook,
    refund_webhook,
    shipment_webhook,
    signed_headers,
    transaction_webhook,
)
from domain.events import order_workflow_id


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Shop:
    def __init__(
        self, http: httpx.AsyncClient, sandbox_url: str, ingress_url: str, secret: str, api_token: str = ""
    ) -> None:
        self.http = http
        self.sandbox = sandbox_url
        self.ingress = ingress_url
        self.secret = secret
        self.api_token = api_token
        self.store = f"s{uuid.uuid4().hex[:8]}"

    def workflow_id(self, order_id: int) -> str:
        return order_workflow_id("bigcommerce", self.store, str(order_id))

    async def seed(
        self,
        order_id: int,
        *,
        status: int = 11,
        total: str = "59.90",
        currency: str = "USD",
        email: str | None = "ada@example.com",
        phone: str | None = "+14155550101",
        customer_id: int = 7,
        product_id: int | None = None,
        shipping_method: str | None = None,
    ) -> None:
        """`shipping_method` (e.g. "Pickup In Store") adds a shipping address carrying it."""
        body: dict[str, Any] = {
            "id": order_id,
            "customer_id": customer_id,
            "status_id": status,
            "total_inc_tax": total,
            "currency_code": currency,
            "date_created": "Mon, 23 Nov 2026 09:00:00 +0000",
            "billing_address": {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": email or "",
                "phone": phone or "",
            },
            "products": [
                {
                    "name": "Mug",
                    "sku": "MUG-1",
                    "quantity": 2,
                    "price_inc_tax": "29.95",
                    "product_id": product_id or 0,
                }
            ],
        }
        if shipping_method is not None:
            body["shipping_addresses"] = [
                {
                    "id": 1,
                    "order_id": order_id,
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "city": "Austin",
                    "country_iso2": "US",
                    "shipping_method": shipping_method,
                }
            ]
        r = await self.http.put(
            f"{self.sandbox}/sandbox/bigcommerce/{self.store}/orders/{order_id}", json=body
        )
        r.raise_for_status()

    async def set_status(self, order_id: int, status: int) -> None:
        r = await self.http.put(
            f"{self.sandbox}/stores/{self.store}/v2/orders/{order_id}",
            json={"status_id": status},
            headers={"X-Auth-Token": "t"},
        )
        r.raise_for_status()

    async def add_shipment(self, order_id: int, shipment_id: int) -> None:
        shipment = {
            "id": shipment_id,
            "tracking_number": f"1Z{order_id}",
            "tracking_carrier": "ups",
            "tracking_link": f"https://track.example/{order_id}",
            "shipping_method": "Ground",
        }
        r = await self.http.post(
            f"{self.sandbox}/sandbox/bigcommerce/{self.store}/orders/{order_id}/shipments", json=shipment
        )
        r.raise_for_status()

    async def post_body(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        sig = signed_headers(body, self.secret) if headers is None else headers
        return await self.http.post(
            f"{self.ingress}/webhooks/bigcommerce",
            content=body,
            headers={"Content-Type": "application/json", **sig},
        )

    async def post(self, payload: dict[str, Any]) -> httpx.Response:
        return await self.post_body(json.dumps(payload).encode())

    async def created(self, order_id: int) -> httpx.Response:
        return await self.post(order_webhook(self.store, "store/order/created", order_id))

    async def status_changed(self, order_id: int, new: int, previous: int = 11) -> httpx.Response:
        await self.set_status(order_id, new)
        return await self.post(
            order_webhook(
                self.store, "store/order/statusUpdated", order_id, new_status=new, previous_status=previous
            )
        )

    async def shipped(self, order_id: int, shipment_id: int = 1, status: int = 2) -> httpx.Response:
        await self.set_status(order_id, status)
        await self.add_shipment(order_id, shipment_id)
        return await self.post(shipment_webhook(self.store, order_id, shipment_id))

    async def refunded(self, order_id: int, refund_id: int, status: int) -> httpx.Response:
        await self.set_status(order_id, status)
        return await self.post(refund_webhook(self.store, order_id, refund_id))

    async def messages(self, order_id: int | None = None) -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.sandbox}/sandbox/messages")
        r.raise_for_status()
        prefix = (
            self.workflow_id(order_id) + ":" if order_id is not None else f"order:bigcommerce:{self.store}:"
        )
        return [m for m in r.json() if (m.get("reference") or "").startswith(prefix)]

    async def steps(self, order_id: int) -> list[str]:
        """The message steps the sandbox received for an order, oldest first (e.g. `shipped`)."""
        prefix = self.workflow_id(order_id) + ":"
        return [m["reference"][len(prefix) :] for m in await self.messages(order_id)]

    async def seed_cart(
        self,
        cart_id: str,
        *,
        customer_id: int = 7,
        email: str | None = "ada@example.com",
        amount: str = "129.00",
    ) -> None:
        body = {
            "id": cart_id,
            "customer_id": customer_id,
            "email": email or "",
            "currency": {"code": "USD"},
            "cart_amount": amount,
            "line_items": {
                "physical_items": [
                    {
                        "product_id": 11,
                        "name": "Trail Shoes",
                        "sku": "TS-1",
                        "quantity": 1,
                        "sale_price": amount,
                        "list_price": amount,
                        "image_url": "https://img.example/ts.png",
                        "url": "https://shop.example/ts",
                    }
                ]
            },
        }
        r = await self.http.put(f"{self.sandbox}/sandbox/bigcommerce/{self.store}/carts/{cart_id}", json=body)
        r.raise_for_status()
        if customer_id:
            await self.http.put(
                f"{self.sandbox}/sandbox/bigcommerce/{self.store}/customers/{customer_id}",
                json={
                    "id": customer_id,
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": email or "",
                    "phone": "+14155550101",
                },
            )

    async def delete_cart(self, cart_id: str) -> None:
        r = await self.http.delete(f"{self.sandbox}/sandbox/bigcommerce/{self.store}/carts/{cart_id}")
        r.raise_for_status()

    async def cart_event(self, scope: str, cart_id: str, order_id: int | None = None) -> httpx.Response:
        return await self.post(cart_webhook(self.store, f"store/cart/{scope}", cart_id, order_id))

    async def seed_product(
        self, product_id: int, *, category: str, replenish_days: int | None = None
    ) -> None:
        custom = [{"name": "replenish_days", "value": str(replenish_days)}] if replenish_days else []
        r = await self.http.put(
            f"{self.sandbox}/sandbox/bigcommerce/{self.store}/categories/{product_id}",
            json={"id": product_id, "name": category},
        )
        r.raise_for_status()
        r = await self.http.put(
            f"{self.sandbox}/sandbox/bigcommerce/{self.store}/products/{product_id}",
            json={
                "id": product_id,
                "name": "Mug",
                "sku": "MUG-1",
                "categories": [product_id],
                "custom_url": {"url": "/mug/"},
                "custom_fields": custom,
            },
        )
        r.raise_for_status()

    async def opt_in(self, customer_id: int, *channels: str, **extra: object) -> None:
        r = await self.http.put(
            f"{self.ingress}/customers/bigcommerce/{self.store}/{customer_id}/preferences",
            json={"marketing_opt_in": list(channels), **extra},
            headers={"Authorization": f"Bearer {self.api_token}"},
        )
        r.raise_for_status()

    async def journey_messages(self, prefix: str) -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.sandbox}/sandbox/messages")
        r.raise_for_status()
        return [m for m in r.json() if (m.get("reference") or "").startswith(prefix)]

    # ---- orders as the sandbox holds them ---------------------------------------------------------

    async def order(self, order_id: int) -> dict[str, Any] | None:
        """The V2 order as the store holds it now; None when it was never seeded."""
        r = await self.http.get(
            f"{self.sandbox}/stores/{self.store}/v2/orders/{order_id}", headers={"X-Auth-Token": "t"}
        )
        if r.status_code == 404:
            return None
        r.raise_for_status()
        order: dict[str, Any] = r.json()
        return order

    async def staff_notes(self, order_id: int) -> list[str]:
        """The order's staff notes, one line each, oldest first."""
        order = await self.order(order_id)
        notes = (order or {}).get("staff_notes") or ""
        return [line for line in str(notes).splitlines() if line.strip()]

    async def message(self, order_id: int, message_id: int = 1) -> httpx.Response:
        """The customer wrote to the store about the order (it opens the order's service case)."""
        return await self.post(message_webhook(self.store, order_id, message_id))

    # ---- catalog stock and price, customers, payments ----------------------------------------------

    async def seed_stock(
        self,
        product_id: int,
        available: int,
        *,
        name: str = "Trail Shoes",
        price: str = "129.00",
        tracked: bool = True,
    ) -> None:
        """A catalog product with its stock (`inventory_tracking` "product", or "none" when not
        `tracked`) and price; replaces any product seeded under this id."""
        r = await self.http.put(
            f"{self.sandbox}/sandbox/bigcommerce/{self.store}/products/{product_id}",
            json={
                "id": product_id,
                "name": name,
                "sku": f"P-{product_id}",
                "price": float(price),
                "inventory_tracking": "product" if tracked else "none",
                "inventory_level": available,
                "custom_url": {"url": f"/p-{product_id}/"},
            },
        )
        r.raise_for_status()

    async def update_product(self, product_id: int, **changes: Any) -> None:
        """Change the product as a merchant's tool would (`PUT /v3/catalog/products/{id}`)."""
        r = await self.http.put(
            f"{self.sandbox}/stores/{self.store}/v3/catalog/products/{product_id}",
            json=changes,
            headers={"X-Auth-Token": "t"},
        )
        r.raise_for_status()

    async def stock_changed(self, product_id: int, available: int) -> httpx.Response:
        """The merchant sets the stock level; BigCommerce says so with an absolute inventory webhook."""
        await self.update_product(product_id, inventory_level=available)
        return await self.post(inventory_webhook(self.store, product_id, available))

    async def sold(self, product_id: int, quantity: int = 1) -> httpx.Response:
        """An order takes `quantity` off the stock; the webhook only says by how much."""
        product = await self.http.get(
            f"{self.sandbox}/stores/{self.store}/v3/catalog/products/{product_id}",
            headers={"X-Auth-Token": "t"},
        )
        product.raise_for_status()
        level = int(product.json()["data"]["inventory_level"])
        await self.update_product(product_id, inventory_level=max(0, level - quantity))
        return await self.post(
            inventory_webhook(
                self.store,
                product_id,
                -quantity,
                method="relative",
                scope="store/product/inventory/order/updated",
            )
        )

    async def price_changed(self, product_id: int, price: str, sale_price: str = "0") -> httpx.Response:
        """The merchant changes the price; BigCommerce's product webhook says only that it changed."""
        await self.update_product(product_id, price=float(price), sale_price=float(sale_price))
        return await self.post(product_updated_webhook(self.store, product_id))

    async def customer_event(self, scope: str, customer_id: int) -> httpx.Response:
        """A `store/customer/...` webhook (`connectors.bigcommerce.simulate.CUSTOMER_SCOPES`)."""
        return await self.post(customer_webhook(self.store, scope, customer_id))

    async def payment_failed(
        self, order_id: int, code: str = "2001", message: str = "Insufficient Funds"
    ) -> httpx.Response:
        """The payment gateway refused a capture on the order."""
        return await self.post(
            transaction_webhook(self.store, order_id, status="error", code=code, message=message)
        )
