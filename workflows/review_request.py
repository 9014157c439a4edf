"""ReviewRequest: after delivery, ask for a review and remind consumables to be reordered
(`review:{platform}:{store}:{order_id}`).

The order journey starts it when the order is delivered, without tying the two runs' lifetimes
together. It waits the policy's delay for the order's product categories (the longest: a case is
judged once used), asks for a review with a link to each product, and sends one reminder unless a
review arrives. A refund, return or dispute meanwhile cancels it; so does a marketing opt-out. For
consumables with a replenishment cycle, a reorder reminder with a prefilled link comes when the
cycle ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.hydration import HydrationActivities, ProductsRef
    from domain.events import CommerceEvent, EventType, OrderStage, Platform
    from domain.notifications import (
        Category,
        DeliveryReceipt,
        MessageRequest,
        MessageResult,
        MessageStatus,
        OrderSnapshot,
        ProductInfo,
    )
    from domain.policies import ReviewPolicy
    from domain.storefront_links import reorder_url
    from workflows import search_attributes as sa
    from workflows.messaging import (
        Messenger,
        WaitingMessage,
        call,
    )
    from workflows.timeline import Timeline, TimelineEntry

# A review naming no order (SAP Commerce) ends this request only when this order holds the product.
REVIEW_MATCH_PATCH = "review-of-this-order"
# Reorder links are each platform's own (runs recorded before used BigCommerce's cart.php everywhere).
REORDER_LINKS_PATCH = "platform-reorder-links"
CANCELLING_STAGES = frozenset(
    {OrderStage.REFUNDED, OrderStage.PARTIALLY_REFUNDED, OrderStage.DISPUTED, OrderStage.CANCELLED}
)


class ReviewInput(BaseModel):
    platform: Platform
    store: str
    order: OrderSnapshot
    policy: ReviewPolicy = Field(default_factory=ReviewPolicy)


class ReviewStatus(BaseModel):
    workflow_id: str
    order_id: str
    state: str  # waiting, requested, reminded, reviewed, cancelled, opted_out, done
    reason: str | None
    review_due: datetime | None
    replenish_due: datetime | None
    products: list[ProductInfo]
    messages: list[MessageResult]
    waiting: list[WaitingMessage]
    timeline: list[TimelineEntry]


@workflow.defn
class ReviewRequest:
    @workflow.init
    def __init__(self, inp: ReviewInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._timeline = Timeline(workflow.now)
        self._messenger = Messenger(self._timeline.note)
        self._state = "waiting"
        self._reason: str | None = None
        self._reviewed = False
        self._cancelled = False
        self._products: list[ProductInfo] = []
        self._review_due: datetime | None = None
        self._replenish_due: datetime | None = None

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        self._timeline.note("event", event.raw_scope or event.type.value, event_id=event.event_id)
        stage = event.order.stage if event.order else None
        if event.type is EventType.REVIEW_SUBMITTED:
            product = event.product
            if (
                event.order is None
                and product is not None
                and workflow.patched(REVIEW_MATCH_PATCH)
                and not self._bought(product.sku)
            ):
                return  # a review of something this order did not hold (the customer has others)
            self._reviewed = True
        elif event.type is EventType.ORDER_REFUNDED or stage in CANCELLING_STAGES:
            self._cancelled = True
            self._reason = f"order {stage or 'refunded'}"

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        self._messenger.apply_receipt(receipt)

    @workflow.query
    def status(self) -> ReviewStatus:
        return ReviewStatus(
            workflow_id=workflow.info().workflow_id,
            order_id=self._inp.order.order_id,
            state=self._state,
            reason=self._reason,
            review_due=self._review_due,
            replenish_due=self._replenish_due,
            products=self._products,
            messages=self._messenger.messages,
            waiting=self._messenger.waiting,
            timeline=self._timeline.entries,
        )

    @workflow.run
    async def run(self, inp: ReviewInput) -> ReviewStatus:
        order = inp.order
        sa.upsert(platform=inp.platform.value, store=inp.store, order_id=order.order_id)
        sa.upsert(customer_id=order.customer.customer_id)
        started = workflow.now()
        self._products = await self._read_products()
        categories = sorted({c for p in self._products for c in p.categories})
        self._review_due = started + self._policy.delay_for(categories)
        self._set_state("waiting")

        if await self._wait_until(self._review_due) and await self._ask("request"):
            self._set_state("requested")
            reminder = self._policy.reminder_after
            if reminder and await self._wait_until(workflow.now() + reminder) and await self._ask("reminder"):
                self._set_state("reminded")
        if self._reviewed:
            self._set_state("reviewed")

        if not self._cancelled and self._state not in ("opted_out",) and self._policy.replenishment:
            await self._replenish(started)
        if self._state in ("waiting", "requested", "reminded", "reviewed") and not self._cancelled:
            self._set_state("done" if self._state != "reviewed" else "reviewed")
        self._describe()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _wait_until(self, due: datetime) -> bool:
        """True when the time came with nothing that ends the request (review, cancellation)."""
        self._describe()
        try:
            await workflow.wait_condition(
                lambda: self._reviewed or self._cancelled, timeout=max(due - workflow.now(), timedelta(0))
            )
        except TimeoutError:
            return True
        if self._cancelled:
            self._set_state("cancelled")
        return False

    async def _ask(self, step: str) -> bool:
        result = await self._send(step, self._review_context())
        if result.refused_by_consent():
            self._reason = result.reason
            self._set_state("opted_out")
            return False
        return result.status in (MessageStatus.SENT, MessageStatus.DELIVERED)

    async def _replenish(self, delivered_at: datetime) -> None:
        lines = {line.product_id: line for line in self._inp.order.lines if line.product_id}
        consumables = [p for p in self._products if p.replenish_days and p.product_id in lines]
        if not consumables:
            return
        # The shortest-lasting consumable decides; quantities stretch the cycle.
        days = min((p.replenish_days or 0) * max(lines[p.product_id].quantity, 1) for p in consumables)
        self._replenish_due = delivered_at + timedelta(days=days) * self._policy.time_scale
        if not await self._wait_until(self._replenish_due):
            return
        own_links = workflow.patched(REORDER_LINKS_PATCH)
        items = [
            {
                "name": p.name,
                "quantity": lines[p.product_id].quantity,
                "reorder_url": self._reorder_url(p.product_id, lines[p.product_id].quantity)
                if own_links
                else f"{self._policy.store_url}/cart.php?action=add&product_id={p.product_id}"
                f"&qty={lines[p.product_id].quantity}",
            }
            for p in consumables
        ]
        await self._send("reorder", {**self._base_context(), "items": items, "link": items[0]["reorder_url"]})

    def _bought(self, sku: str) -> bool:
        return any(sku in (line.sku, line.product_id) for line in self._inp.order.lines)

    def _reorder_url(self, product_id: str, qty: int) -> str:
        """The platform's own add-to-cart link (or the store's configured one)."""
        return reorder_url(
            self._inp.platform,
            self._inp.store,
            self._policy.store_url,
            product_id,
            qty,
            self._policy.reorder_url,
        )

    def _base_context(self) -> dict[str, object]:
        order = self._inp.order.model_dump(mode="json")
        return {"order": order, "customer": order["customer"]}

    def _review_context(self) -> dict[str, object]:
        store = self._policy.store_url.rstrip("/")
        products = [
            {
                "name": p.name,
                "image_url": p.image_url,
                # catalog URLs are storefront-relative paths
                "review_url": f"{store}{p.url or '/'}#write_review",
            }
            for p in self._products
        ] or [
            {"name": line.name, "image_url": line.image_url, "review_url": self._policy.store_url}
            for line in self._inp.order.lines
        ]
        return {
            **self._base_context(),
            "products": products,
            "link": products[0]["review_url"] if products else None,
        }

    async def _send(self, step: str, context: dict[str, object]) -> MessageResult:
        wf = workflow.info().workflow_id
        customer = self._inp.order.customer
        return await self._messenger.send(
            MessageRequest(
                key=f"{wf}:{step}",
                workflow_id=wf,
                journey="review",
                step=step,
                category=Category.MARKETING,
                channels=self._policy.channels,
                recipient=customer,
                context=context,
                customer_key=(
                    f"{self._inp.platform}:{self._inp.store}:{customer.customer_id}"
                    if customer.customer_id
                    else None
                ),
                policy=self._policy.delivery,
            ),
            cancel_when=lambda: self._cancelled or self._reviewed,
        )

    async def _read_products(self) -> list[ProductInfo]:
        ids = sorted({line.product_id for line in self._inp.order.lines if line.product_id})
        if not ids:
            return []
        try:
            return await call(
                HydrationActivities.hydrate_products,
                ProductsRef(platform=self._inp.platform, store=self._inp.store, product_ids=ids),
            )
        except ActivityError as err:
            self._timeline.note("note", f"product details unavailable ({err.cause or err}); default timing")
            return []

    def _set_state(self, state: str) -> None:
        if self._state != state:
            self._timeline.note("state", state + (f": {self._reason}" if self._reason else ""))
        self._state = state
        sa.upsert(stage=f"review_{state}")

    def _describe(self) -> None:
        due = self._review_due if self._state == "waiting" else self._replenish_due
        when = f" · next {due:%Y-%m-%d %H:%M} UTC" if due else ""
        workflow.set_current_details(
            f"Review request for order {self._inp.order.order_id} · {self._state}{when} · "
            f"{self._messenger.sent_count()} message(s) sent"
        )
