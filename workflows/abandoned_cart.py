"""AbandonedCart: one run per abandoned cart (`cart:{platform}:{store}:{cart_id}`).

The platform says a cart was abandoned; the journey reads it, and if there is someone to remind it
follows the policy's sequence (by default: after 1 h a push, or an email without push; after 24 h an
email with the cart's contents; after 72 h an SMS with an incentive code for carts worth it). It ends
at once when the cart converts (recovered, after which step), is deleted, or the shopper has opted
out of marketing; a cart update refreshes the contents and restarts the sequence clock. Exit
conditions and consent are checked again right before every send. With no conversion after the last
step, the cart expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.hydration import CartRef, HydrationActivities
    from domain.events import CommerceEvent, EventType, Platform
    from domain.notifications import (
        CartSnapshot,
        Category,
        DeliveryReceipt,
        MessageRequest,
        MessageResult,
        MessageStatus,
    )
    from domain.policies import CartPolicy, CartStep
    from workflows import search_attributes as sa
    from workflows.messaging import (
        Messenger,
        WaitingMessage,
        call,
    )
    from workflows.timeline import Timeline, TimelineEntry

SEEN_EVENT_MEMORY = 200
# A reminder that lands after the cart converted is the recovering step; older runs set Stage back.
SENT_WHILE_OVER_PATCH = "reminder-landed-after-conversion"


class AbandonedCartInput(BaseModel):
    platform: Platform
    store: str
    cart_id: str
    policy: CartPolicy = Field(default_factory=CartPolicy)


class CartOutcome(BaseModel):
    state: str  # "waiting", "recovered", "exited", "expired"
    after_step: str | None = None  # recovered: the last message sent before the conversion
    reason: str | None = None  # exited: why
    order_id: str | None = None  # recovered: the order it became


class CartStatus(BaseModel):
    workflow_id: str
    cart_id: str
    outcome: CartOutcome
    cart_value: str | None
    currency: str | None
    customer_id: str | None
    sequence: list[str]
    next_step: str | None
    next_step_due: datetime | None
    messages: list[MessageResult]
    waiting: list[WaitingMessage]
    timeline: list[TimelineEntry]


@workflow.defn
class AbandonedCart:
    @workflow.init
    def __init__(self, inp: AbandonedCartInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._timeline = Timeline(workflow.now)
        self._messenger = Messenger(self._timeline.note)
        self._snapshot: CartSnapshot | None = None
        self._sequence: list[CartStep] = []
        self._next = 0
        self._clock: datetime | None = None  # the sequence counts from here
        self._outcome = CartOutcome(state="waiting")
        self._refresh = False
        self._seen: list[str] = []
        self._last_sent: str | None = None

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        if event.event_id in self._seen:
            return
        self._seen = [*self._seen[-SEEN_EVENT_MEMORY + 1 :], event.event_id]
        self._timeline.note("event", event.raw_scope or event.type.value, event_id=event.event_id)
        if self._over:
            return
        if event.type is EventType.CART_CONVERTED:
            order_id = event.cart.order_id if event.cart else None
            self._finish(CartOutcome(state="recovered", after_step=self._last_sent, order_id=order_id))
        elif event.type is EventType.CART_DELETED:
            self._finish(CartOutcome(state="exited", reason="cart deleted"))
        elif event.type in (EventType.CART_UPDATED, EventType.CART_ABANDONED, EventType.CART_CREATED):
            self._refresh = True  # re-read the contents; the sequence clock restarts

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        self._messenger.apply_receipt(receipt)

    @workflow.query
    def status(self) -> CartStatus:
        snap = self._snapshot
        pending = self._sequence[self._next] if not self._over and self._next < len(self._sequence) else None
        return CartStatus(
            workflow_id=workflow.info().workflow_id,
            cart_id=self._inp.cart_id,
            outcome=self._outcome,
            cart_value=str(snap.total) if snap else None,
            currency=snap.currency if snap else None,
            customer_id=snap.customer.customer_id if snap else None,
            sequence=[step.name for step in self._sequence],
            next_step=pending.name if pending else None,
            next_step_due=self._due(pending) if pending else None,
            messages=self._messenger.messages,
            waiting=self._messenger.waiting,
            timeline=self._timeline.entries,
        )

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: AbandonedCartInput) -> CartStatus:
        sa.upsert(platform=inp.platform.value, store=inp.store, cart_id=inp.cart_id)
        self._set_stage("waiting")
        if await self._read_cart() and self._reachable():
            assert self._snapshot is not None
            self._sequence = self._policy.sequence_for(self._snapshot.total)
            self._clock = workflow.now()
            await self._follow_sequence()
        if not self._over:
            await self._await_conversion()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    @property
    def _over(self) -> bool:
        return self._outcome.state != "waiting"

    def _due(self, step: CartStep) -> datetime:
        assert self._clock is not None
        return self._clock + step.after

    async def _follow_sequence(self) -> None:
        while not self._over and self._next < len(self._sequence):
            step = self._sequence[self._next]
            self._describe(f"next: {step.name} at {self._due(step):%Y-%m-%d %H:%M} UTC")
            timeout = max(self._due(step) - workflow.now(), timedelta(0))
            try:
                await workflow.wait_condition(lambda: self._over or self._refresh, timeout=timeout)
            except TimeoutError:
                pass
            if self._over:
                return
            if self._refresh:
                self._refresh = False
                if await self._read_cart():
                    self._clock = workflow.now()
                    self._timeline.note("note", "cart updated: contents refreshed, sequence clock restarted")
                continue
            # Right before sending: the cart must still exist, with its current contents.
            if not await self._read_cart() or self._over:
                return
            await self._send_step(step)
            self._next += 1

    async def _send_step(self, step: CartStep) -> None:
        assert self._snapshot is not None
        snap = self._snapshot
        if step.min_cart_value is not None and snap.total < step.min_cart_value:
            self._timeline.note(
                "note", f"{step.name} skipped: cart value {snap.total} below {step.min_cart_value}"
            )
            return
        if step.incentive and not (self._policy.incentive_enabled and self._policy.incentive_code):
            self._timeline.note("note", f"{step.name} skipped: no incentive enabled for this store")
            return
        wf = workflow.info().workflow_id
        customer = snap.customer.customer_id
        context = {
            "cart": snap.model_dump(mode="json"),
            "customer": snap.customer.model_dump(mode="json"),
            "incentive_code": self._policy.incentive_code if step.incentive else None,
            "link": snap.checkout_url,
        }
        result = await self._messenger.send(
            MessageRequest(
                key=f"{wf}:{step.name}",
                workflow_id=wf,
                journey="cart",
                step=step.name,
                category=Category.MARKETING,
                channels=step.channels,
                recipient=snap.customer,
                context=context,
                customer_key=f"{self._inp.platform}:{self._inp.store}:{customer}" if customer else None,
                policy=self._policy.delivery,
            ),
            cancel_when=lambda: self._over,
        )
        if result.status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            self._last_sent = step.name
            if self._over and self._outcome.state == "recovered" and workflow.patched(SENT_WHILE_OVER_PATCH):
                # converted while this reminder was on its way: it counts, and the Stage stays recovered
                self._outcome = self._outcome.model_copy(update={"after_step": step.name})
            else:
                self._set_stage(f"reminded:{step.name}")
        elif result.refused_by_consent():
            self._finish(CartOutcome(state="exited", reason=f"no marketing consent ({result.reason})"))

    async def _await_conversion(self) -> None:
        if self._sequence and self._next >= len(self._sequence):
            self._describe(f"sequence done; expires in {self._policy.expire_after}")
            try:
                await workflow.wait_condition(lambda: self._over, timeout=self._policy.expire_after)
            except TimeoutError:
                self._finish(CartOutcome(state="expired", after_step=self._last_sent))

    async def _read_cart(self) -> bool:
        """Re-read the cart; False (and the journey exited) when it is gone or unreadable."""
        try:
            self._snapshot = await call(
                HydrationActivities.hydrate_cart,
                CartRef(platform=self._inp.platform, store=self._inp.store, cart_id=self._inp.cart_id),
            )
        except ActivityError as err:
            cause = err.cause
            gone = isinstance(cause, ApplicationError) and (cause.type or "").endswith("NotFound")
            self._finish(
                CartOutcome(state="exited", reason="cart deleted" if gone else f"cart unreadable: {cause}")
            )
            return False
        snap = self._snapshot
        sa.upsert(order_value=float(snap.total))
        sa.upsert(customer_id=snap.customer.customer_id)
        return True

    def _reachable(self) -> bool:
        assert self._snapshot is not None
        customer = self._snapshot.customer
        if customer.email or customer.phone or customer.push_token:
            return True
        self._finish(CartOutcome(state="exited", reason="no reachable customer"))
        return False

    def _finish(self, outcome: CartOutcome) -> None:
        if self._over:
            return
        self._outcome = outcome
        detail = outcome.reason or (f"after {outcome.after_step}" if outcome.after_step else None)
        self._timeline.note("outcome", outcome.state + (f": {detail}" if detail else ""))
        self._set_stage(outcome.state)
        self._describe(outcome.state + (f" ({detail})" if detail else ""))

    def _set_stage(self, stage: str) -> None:
        sa.upsert(stage=stage)

    def _describe(self, state: str) -> None:
        snap = self._snapshot
        value = f" · {snap.total} {snap.currency}" if snap else ""
        workflow.set_current_details(
            f"Cart {self._inp.cart_id} ({self._inp.platform}/{self._inp.store}){value} · {state} · "
            f"{self._messenger.sent_count()} message(s) sent"
        )
