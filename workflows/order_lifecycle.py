"""OrderLifecycle: one run per order (`order:{platform}:{store}:{order_id}`).

It receives the platform's order events as `commerce_event` signals, keeps the order's stage
monotonic, tells the customer once per announced stage, alerts operations (high value, fraud review,
disputes, paid-but-not-shipped past the SLA), and stays open for a grace window after the order is
closed so that a late refund lands in the same run.
"""

from __future__ import annotations

__all__ = ["OrderLifecycle", "OrderLifecycleInput", "OrderStatus"]

from collections import deque
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.callbacks import CallbackActivities, CaseWrite
    from activities.hydration import HydrationActivities, OrderRef
    from domain.events import (
        CLOSING_STAGES,
        PROGRESS_RANK,
        CommerceEvent,
        OrderStage,
    )
    from domain.notifications import (
        Channel,
        DeliveryReceipt,
        InboundMessage,
        MessageRequest,
        OrderSnapshot,
    )
    from workflows import search_attributes as sa
    from workflows.messaging import (
        Messenger,
        call,
    )
    from workflows.order_handover import Handover
    from workflows.order_messages import customer_message, team_alert
    from workflows.order_stages import (
        COLLECTED_STAGES,
        SHIPMENT_EVENTS,
        SHIPPING_STAGES,
        stage_of,
    )
    from workflows.order_status import OrderLifecycleInput, OrderStatus
    from workflows.timeline import Timeline

SEEN_EVENT_MEMORY = 500  # bounded dedupe memory; platform retries repeat within hours, not hundreds of events
# Post-purchase journeys this run hands over to (a workflow.patched change: older runs never did).
HANDOVER_PATCH = "post-purchase-journeys"
ACK_PATCH = "customer-acknowledgments"  # acknowledgments written back to the platform
ACCOUNT_TEAM_PATCH = "account-team-alerts"  # expedited-shipping requests alert the account team
# A store's "confirmation on email and SMS both": the first confirmation goes out twice, once each.
CONFIRMATION_BOTH_PATCH = "confirmation-email-and-sms"
# A paid order past the ship SLA tells the customer too, once, with the platform's new estimate.
DELAY_NOTICE_PATCH = "customer-delay-notice"
CONFIRMATION_STAGES = frozenset(
    {OrderStage.PLACED, OrderStage.PAYMENT_CONFIRMED, OrderStage.AWAITING_SHIPMENT}
)


@workflow.defn
class OrderLifecycle:
    @workflow.init
    def __init__(self, inp: OrderLifecycleInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._inbox: deque[CommerceEvent] = deque()
        self._seen: deque[str] = deque(maxlen=SEEN_EVENT_MEMORY)
        self._duplicates = 0
        self._busy = False
        self._snapshot: OrderSnapshot | None = None
        self._rank = -1
        self._progress: OrderStage | None = None
        self._exception: OrderStage | None = None  # fraud review, on hold …: shown until progress resumes
        self._announced: set[str] = set()
        self._alerted: set[str] = set()
        self._closed = False
        self._paid_at: datetime | None = None
        self._settled_at: datetime | None = None  # delivered or closed: the grace window starts
        self._timeline = Timeline(workflow.now)
        self._note = self._timeline.note
        self._messenger = Messenger(self._note)
        self._acks: list[InboundMessage] = []
        self._handover = Handover(inp.platform, inp.store, inp.order_id, self._note)  # pickup, review
        self._confirmed = False  # the order's first confirmation went out

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        self._inbox.append(event)

    @workflow.signal
    def customer_response(self, message: InboundMessage) -> None:
        """A customer's acknowledgment of one of our messages (a push action "got it")."""
        self._acks.append(message)

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        self._messenger.apply_receipt(receipt)

    @workflow.query
    def status(self) -> OrderStatus:
        snap = self._snapshot
        return OrderStatus(
            workflow_id=workflow.info().workflow_id,
            platform=self._inp.platform,
            store=self._inp.store,
            order_id=self._inp.order_id,
            stage=self._stage,
            progress_stage=self._progress,
            closed=self._closed,
            order_value=snap.total if snap else None,
            currency=snap.currency if snap else None,
            customer_id=snap.customer.customer_id if snap else None,
            duplicates_ignored=self._duplicates,
            events_waiting=len(self._inbox),
            busy=self._busy,
            messages=self._messenger.messages,
            waiting=self._messenger.waiting,
            timeline=self._timeline.entries,
            ship_sla_due=self._sla_due(),
            completes_at=self._completes_at(),
        )

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: OrderLifecycleInput) -> OrderStatus:
        sa.upsert(platform=inp.platform.value, store=inp.store, order_id=inp.order_id)
        self._describe()
        while True:
            while self._inbox:
                self._busy = True
                await self._handle(self._inbox.popleft())
                self._busy = False
                self._describe()
            while self._acks:
                await self._acknowledged(self._acks.pop(0))
            deadline = self._next_deadline()
            timeout = None if deadline is None else max(deadline - workflow.now(), timedelta(0))
            try:
                await workflow.wait_condition(lambda: bool(self._inbox) or bool(self._acks), timeout=timeout)
            except TimeoutError:
                if await self._on_deadline():
                    break
                self._describe()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    @property
    def _stage(self) -> OrderStage | None:
        return self._exception or self._progress

    def _sla_due(self) -> datetime | None:
        if self._paid_at is None or self._closed or "ship_sla" in self._alerted:
            return None
        if self._rank >= PROGRESS_RANK[OrderStage.AWAITING_PICKUP]:
            return None
        return self._paid_at + self._policy.ship_sla

    def _completes_at(self) -> datetime | None:
        return None if self._settled_at is None else self._settled_at + self._policy.grace_after_close

    def _expires_at(self) -> datetime:
        return workflow.info().start_time + self._policy.max_open

    def _next_deadline(self) -> datetime | None:
        candidates = [d for d in (self._sla_due(), self._completes_at(), self._expires_at()) if d is not None]
        return min(candidates) if candidates else None

    async def _on_deadline(self) -> bool:
        """Returns True when the run is over."""
        now = workflow.now()
        sla_due = self._sla_due()
        if sla_due is not None and now >= sla_due:
            self._note("note", f"not shipped {self._policy.ship_sla} after payment")
            await self._alert("ship_sla")
            if workflow.patched(DELAY_NOTICE_PATCH):
                await self._tell_delay()
        completes = self._completes_at()
        if completes is not None and now >= completes and not self._inbox:
            self._note("note", "grace window over; journey complete")
            return True
        if now >= self._expires_at() and not self._inbox:
            self._note("note", f"no news for {self._policy.max_open}; journey closed as {self._stage}")
            return True
        return False

    # --- events --------------------------------------------------------------------------------

    async def _handle(self, event: CommerceEvent) -> None:
        if event.event_id in self._seen:
            self._duplicates += 1
            return
        self._seen.append(event.event_id)
        order = event.order
        label = event.raw_scope or event.type.value
        if order is not None and order.platform_status:
            label += f" → {order.platform_status}"
        self._note("event", label, event_id=event.event_id)

        stage = order.stage if order else None
        if (
            self._snapshot is None
            or stage is None
            or stage in SHIPPING_STAGES
            or event.type in SHIPMENT_EVENTS
        ):
            if not await self._hydrate():
                return
        assert self._snapshot is not None
        announced = stage_of(event, self._snapshot.stage)
        if announced is None:
            self._note("note", f"{self._snapshot.stage} recorded, not announced", event_id=event.event_id)
            return
        await self._advance(announced, event)
        if workflow.patched(HANDOVER_PATCH):
            await self._handover.hand_over(announced, event, self._snapshot, self._policy)

    async def _hydrate(self) -> bool:
        first = self._snapshot is None
        try:
            self._snapshot = await call(
                HydrationActivities.hydrate_order,
                OrderRef(platform=self._inp.platform, store=self._inp.store, order_id=self._inp.order_id),
            )
        except ActivityError as err:
            self._note("note", f"could not read the order from {self._inp.platform}: {err.cause or err}")
            return self._snapshot is not None
        snap = self._snapshot
        sa.upsert(order_value=float(snap.total))
        sa.upsert(customer_id=snap.customer.customer_id)
        if first and snap.total >= self._policy.high_value_threshold:
            await self._alert("high_value")
        if first and workflow.patched(ACCOUNT_TEAM_PATCH):
            method = self._policy.expedited([s.shipping_method for s in snap.shipments if s.shipping_method])
            if method is not None:
                await self._alert("expedited", shipping_method=method)
        return True

    async def _advance(self, stage: OrderStage, event: CommerceEvent) -> None:
        now = workflow.now()
        if stage in PROGRESS_RANK:
            rank = PROGRESS_RANK[stage]
            if self._closed or rank <= self._rank:
                if not self._closed:
                    self._exception = None  # progress resumed, e.g. fraud review cleared
                why = "order closed" if self._closed else f"already {self._progress}"
                self._note("note", f"{stage} recorded, not announced ({why})", event_id=event.event_id)
                self._set_stage_attribute()
                return
            self._rank, self._progress, self._exception = rank, stage, None
            if rank >= PROGRESS_RANK[OrderStage.PAYMENT_CONFIRMED] and self._paid_at is None:
                self._paid_at = now
            if stage is OrderStage.DELIVERED:
                self._settled_at = now
            self._set_stage_attribute()
            if self._handover.pickup_id is not None and stage in COLLECTED_STAGES:
                self._note(
                    "note", f"{stage}: the pickup journey thanks the customer", event_id=event.event_id
                )
            elif stage in self._policy.announced_stages:
                await self._announce(stage, stage.value)
            return

        if self._closed:
            self._note("note", f"{stage} recorded, not announced (order closed)", event_id=event.event_id)
            return
        step_key = stage.value
        if stage is OrderStage.PARTIALLY_REFUNDED:  # every partial refund is news
            refund = event.order.refund_id if event.order else None
            step_key = f"{stage.value}:{refund or event.event_id}"
        if step_key in self._announced:
            self._note("note", f"{stage} recorded, already announced", event_id=event.event_id)
            return
        if stage in CLOSING_STAGES:
            self._closed = True
            self._settled_at = now
            self._progress, self._exception = stage, None
        else:
            self._exception = stage
        self._set_stage_attribute()
        if stage in self._policy.announced_stages:
            await self._announce(stage, step_key)
        if stage in self._policy.ops_stages:
            await self._alert(stage.value)

    async def _acknowledged(self, message: InboundMessage) -> None:
        said = message.action or message.text
        self._note("event", f"customer acknowledged: {said!r}", message_key=message.reference)
        if not workflow.patched(ACK_PATCH):
            return
        try:
            done = await call(
                CallbackActivities.record_case_update,
                CaseWrite(
                    platform=self._inp.platform,
                    store=self._inp.store,
                    case_id=f"order-{self._inp.order_id}",
                    order_id=self._inp.order_id,
                    event="acknowledged",
                    text=said,
                    meaning=(message.reference or "").rsplit(":", 1)[-1] or None,
                    channel=message.channel.value,
                    key=f"{workflow.info().workflow_id}:ack:{len(self._timeline.entries)}",
                ),
            )
            self._note("callback", done)
        except ActivityError as err:
            self._note("callback", f"could not write back: {err.cause or err}")

    def _set_stage_attribute(self) -> None:
        if self._stage is not None:
            sa.upsert(stage=self._stage.value)

    # --- messages ------------------------------------------------------------------------------

    async def _announce(self, stage: OrderStage, step_key: str) -> None:
        self._announced.add(step_key)
        if self._snapshot is None:
            return
        first_confirmation = stage in CONFIRMATION_STAGES and not self._confirmed
        if first_confirmation:
            self._confirmed = True
        if (
            first_confirmation
            and self._policy.confirmation_both
            and workflow.patched(CONFIRMATION_BOTH_PATCH)
        ):
            await self._send(self._customer_message(stage.value, step_key, [Channel.EMAIL]))
            await self._send(self._customer_message(stage.value, f"{step_key}:sms", [Channel.SMS]))
            return
        await self._send(self._customer_message(stage.value, step_key, self._policy.channels_for(stage)))

    def _customer_message(
        self, step: str, step_key: str, channels: list[Channel], **context: object
    ) -> MessageRequest:
        assert self._snapshot is not None
        inp = self._inp
        return customer_message(
            workflow.info().workflow_id,
            inp.platform,
            inp.store,
            self._snapshot,
            self._policy,
            step,
            step_key,
            channels,
            **context,
        )

    async def _tell_delay(self) -> None:
        """Sorry, late: read the order again for the platform's current estimate, then tell once."""
        if "delayed" in self._announced or not await self._hydrate() or self._snapshot is None:
            return
        self._announced.add("delayed")
        estimate = self._snapshot.estimated_delivery
        await self._send(
            self._customer_message(
                "delayed",
                "delayed",
                self._policy.channels,
                estimate=estimate.date().isoformat() if estimate else None,
            )
        )

    async def _alert(self, reason: str, **context: object) -> None:
        if reason in self._alerted:
            return
        self._alerted.add(reason)
        self._note("alert", f"operations alerted: {reason}")
        if self._snapshot is None:
            return
        await self._send(
            team_alert(
                workflow.info().workflow_id, self._snapshot, self._policy, reason, self._stage, **context
            )
        )

    async def _send(self, request: MessageRequest) -> None:
        await self._messenger.send(request)

    # --- bookkeeping ---------------------------------------------------------------------------

    def _describe(self) -> None:
        sent = self._messenger.sent_count()
        stage = self._stage.value if self._stage else "waiting for the order"
        value = f" · {self._snapshot.total} {self._snapshot.currency}" if self._snapshot else ""
        workflow.set_current_details(
            f"Order {self._inp.order_id} ({self._inp.platform}/{self._inp.store}) · {stage}{value} · "
            f"{sent} message(s) sent"
        )
