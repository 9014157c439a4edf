"""A B2C Commerce site as the end-to-end tests play it (`PlatformShop`): it seeds OCAPI documents in
the sandbox's SFCC stand-in, changes them as the merchant's back office would, and posts the signed
envelopes the deploy/sfcc cartridge sends to `/webhooks/sfcc`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from connectors.sfcc.simulate import (
    basket_document,
    body_of,
    case_record,
    envelope,
    order_at_stage,
    order_document,
    signed_headers,
)
from domain.events import CaseKind, OrderStage, Platform, order_workflow_id
from tests.platforms.common import SandboxStore

SANDBOX_ONLY = ("notes", "api_writes")  # what the sandbox's inspection adds to an order document
REFUND_STAGES = frozenset({OrderStage.REFUNDED, OrderStage.PARTIALLY_REFUNDED})


class SfccShop:
    platform = Platform.SFCC.value

    def __init__(self, http: httpx.AsyncClient, sandbox_url: str, ingress_url: str, secret: str) -> None:
        self.http = http
        self.sandbox = sandbox_url.rstrip("/")
        self.ingress = ingress_url.rstrip("/")
        self.secret = secret
        self.store = f"Site{uuid.uuid4().hex[:8]}"  # a fresh site id per test
        self.seeds = SandboxStore(http, sandbox_url, "sfcc", self.store)
        self._baskets: dict[str, dict[str, Any]] = {}
        self._cases: dict[str, dict[str, Any]] = {}

    def order_workflow_id(self, order_id: str) -> str:
        return order_workflow_id(Platform.SFCC, self.store, order_id)

    # ---- orders ---------------------------------------------------------------------------------

    async def place_order(
        self,
        order_id: str,
        *,
        total: str = "59.90",
        email: str | None = "ada@example.com",
        phone: str | None = "+14155550101",
        customer_id: str = "7",
        pickup: bool = False,
    ) -> httpx.Response:
        """A new, paid, not yet confirmed order (PAYMENT_CONFIRMED), then `order.created`."""
        doc = order_document(
            order_id, total=total, email=email, phone=phone, customer_no=customer_id or None, pickup=pickup
        )
        await self._seed_order(doc)
        return await self.post("order.created", doc)

    async def move(self, order_id: str, stage: OrderStage) -> httpx.Response:
        """The seeded order changed so that `status_map` reads it as `stage`, then `order.updated`
        (`order.refunded` for refunds)."""
        doc = order_at_stage(await self.order(order_id), stage)
        await self._seed_order(doc)
        return await self.post("order.refunded" if stage in REFUND_STAGES else "order.updated", doc)

    async def order(self, order_id: str) -> dict[str, Any]:
        """The OCAPI order document as the sandbox holds it now (without its notes and writes)."""
        doc = await self._inspect(order_id)
        for key in SANDBOX_ONLY:
            doc.pop(key, None)
        return doc

    async def _seed_order(self, doc: dict[str, Any]) -> None:
        await self.seeds.put("orders", doc["order_no"], doc)

    async def _inspect(self, order_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = await self.seeds.get("orders", order_id)
        return doc

    # ---- baskets --------------------------------------------------------------------------------

    async def abandon_cart(
        self,
        cart_id: str,
        *,
        customer_id: str = "7",
        email: str | None = "ada@example.com",
        amount: str = "129.00",
    ) -> httpx.Response:
        basket = basket_document(cart_id, amount=amount, customer_no=customer_id or None, email=email)
        await self.seeds.put("baskets", cart_id, basket)
        self._baskets[cart_id] = basket
        return await self.post("basket.abandoned", basket)

    async def convert_cart(self, cart_id: str, order_id: str) -> httpx.Response:
        """The basket became `order_id`: OCAPI no longer has it, and `basket.converted` says so."""
        await self.seeds.delete("baskets", cart_id)
        basket = self._baskets.get(cart_id) or {"basket_id": cart_id, "currency": "USD"}
        return await self.post("basket.converted", {**basket, "order_no": order_id})

    # ---- service cases --------------------------------------------------------------------------

    async def open_case(self, case_id: str, order_id: str, kind: CaseKind, text: str) -> httpx.Response:
        """A Service Cloud case (CaseNumber = `case_id`) about the order, then `case.opened`."""
        email, phone = await self._contact(order_id)
        record = case_record(case_id, order_id, kind, text, email=email, phone=phone)
        self._cases[case_id] = await self._seed_case(record)
        return await self.post("case.opened", self._cases[case_id])

    async def close_case(self, case_id: str, order_id: str) -> httpx.Response:
        record = self._cases.get(case_id) or case_record(case_id, order_id, CaseKind.CUSTOMER_MESSAGE, "")
        self._cases[case_id] = await self._seed_case({**record, "Status": "Closed"})
        return await self.post("case.closed", self._cases[case_id])

    async def _seed_case(self, record: dict[str, Any]) -> dict[str, Any]:
        seeded: dict[str, Any] = await self.seeds.put("cases", record["CaseNumber"], record)
        return seeded

    async def _contact(self, order_id: str) -> tuple[str | None, str | None]:
        r = await self.http.get(self.seeds.url("orders", order_id))
        if r.status_code == 404:
            return "ada@example.com", "+14155550101"
        r.raise_for_status()
        doc = r.json()
        return (doc.get("customer_info") or {}).get("email"), (doc.get("billing_address") or {}).get("phone")

    # ---- posting --------------------------------------------------------------------------------

    async def post(self, event_type: str, data: dict[str, Any]) -> httpx.Response:
        return await self.post_body(body_of(envelope(event_type, self.store, data)))

    async def post_body(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(
            f"{self.ingress}/webhooks/sfcc",
            content=body,
            headers=headers or signed_headers(body, self.secret),
        )

    async def post_with_bad_auth(self) -> httpx.Response:
        body = body_of(envelope("order.created", self.store, order_document(f"X{uuid.uuid4().hex[:6]}")))
        return await self.post_body(body, signed_headers(body, self.secret + "-not"))

    async def post_malformed(self) -> httpx.Response:
        """Authentic, but the order has no `order_no`: the schema refuses it."""
        doc = order_document("00000000")
        del doc["order_no"]
        return await self.post("order.created", doc)

    # ---- what Tidings did -----------------------------------------------------------------------

    async def write_backs(self, order_id: str) -> list[str]:
        """Order notes and comments on the order's Service Cloud cases, oldest first."""
        notes = [(n["creation_date"], n["text"]) for n in (await self._inspect(order_id))["notes"]]
        listed = await self.seeds.get("case-comments")
        comments = [(c["CreatedDate"], c["CommentBody"]) for c in listed if c.get("order_no") == order_id]
        return [text for _, text in sorted(notes + comments)]

    async def cancelled_in_platform(self, order_id: str) -> bool:
        """Cancelled through OCAPI (a PATCH to status cancelled), not merely seeded as cancelled."""
        doc = await self._inspect(order_id)
        patched = any(w["body"].get("status") == "cancelled" for w in doc["api_writes"])
        return doc["status"] == "cancelled" and patched
