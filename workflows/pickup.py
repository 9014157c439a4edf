"""Pickup: one run per click-and-collect order (`pickup:{platform}:{store}:{order_id}`).

The order journey hands the order over when it is ready for pickup. The customer hears where and
until when; reminders come before the deadline; a new pickup window from the platform moves the
timers and tells the customer; "HERE" from the customer (reply or push action) alerts the store team
at once. Collected: a thank-you, done. Deadline passed: the customer is told, the store team alerted,
and the order cancelled and restocked on the platform (or only alerted, per store policy).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.callbacks import CallbackActivities, OrderWrite
    from activities.conversations import ConversationActivities, ConversationOpen
    from domain.conversations import reference_code
    from domain.events import CommerceEvent, EventType, OrderStage, Platform
    from domain.notifications import (
        Category,
        Channel,
        DeliveryReceipt,
        InboundMessage,
        MessageRequest,
        MessageResult,
        OrderSnapshot,
        Recipient,
    )
    from domain.policies import PickupPolicy
    from workflows import search_attributes as sa
    from workflows.messaging import (
        Messenger,
        WaitingMessage,
        call,
    )
    from workflows.timeline import Timeline, TimelineEntry

CONVERSATION_PATCH = "pickup-conversation"  # runs recorded before it never opened one
# "HERE, bay 4, red Golf": the words after HERE go to the store team (runs recorded before took a
# bare HERE only).
CURBSIDE_PATCH = "curbside-details"
ARRIVAL_ACK_PATCH = "curbside-ack"  # the customer hears the team is on its way out
DETAILS_MAX = 80  # characters of bay/car description passed on (an SMS, a push line)
COLLECTED_STAGES = frozenset({OrderStage.DELIVERED, OrderStage.SHIPPED})
# "HERE" in the languages we write in (the translated SMS ask for HERE, but people answer in theirs).
ARRIVAL_WORDS = frozenset(
    {
        "HERE",
        "I'M HERE",
        "IM HERE",
        "ARRIVED",
        "HIER",
        "BIN DA",
        "ICH BIN DA",
        "ICI",
        "JE SUIS LA",
        "JE SUIS LÀ",
        "AQUI",
        "AQUÍ",
        "ESTOY AQUI",
        "ESTOY AQUÍ",
        "LLEGUE",
        "LLEGUÉ",
    }
)


def arrival_details(message: InboundMessage) -> str | None:
    """None: not an arrival. Otherwise what the customer said after HERE (bay, car …), possibly "".
    A push action HERE carries the typed text, if any, as the details."""
    if (message.action or "").strip().upper() in ARRIVAL_WORDS:
        return message.text.strip()[:DETAILS_MAX] if message.action and message.text else ""
    text = message.text.strip()
    upper = text.upper()
    for word in sorted(ARRIVAL_WORDS, key=len, reverse=True):
        if upper == word or (upper.startswith(word) and not upper[len(word)].isalnum()):
            return text[len(word) :].strip(" ,.;:!-–").strip()[:DETAILS_MAX]
    return None


class PickupInput(BaseModel):
    platform: Platform
    store: str
    order: OrderSnapshot
    policy: PickupPolicy = Field(default_factory=PickupPolicy)


class PickupStatus(BaseModel):
    workflow_id: str
    order_id: str
    state: str  # waiting, collected, expired, cancelled
    location: str
    deadline: datetime
    reminders_sent: list[str]
    customer_arrived_at: datetime | None
    arrival_details: str | None = None
    platform_callback: str | None
    messages: list[MessageResult]
    waiting: list[WaitingMessage]
    timeline: list[TimelineEntry]


@workflow.defn
class Pickup:
    @workflow.init
    def __init__(self, inp: PickupInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._timeline = Timeline(workflow.now)
        self._messenger = Messenger(self._timeline.note)
        self._deadline = workflow.now() + inp.policy.hold_for
        self._state = "waiting"
        self._window_changed = False
        self._arrivals: list[InboundMessage] = []
        self._arrived_at: datetime | None = None
        self._arrival_details: str | None = None  # bay or car, as the customer described it
        self._reminders_sent: list[str] = []
        self._callback: str | None = None

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        self._timeline.note("event", event.raw_scope or event.type.value, event_id=event.event_id)
        if self._state != "waiting":
            return
        stage = event.order.stage if event.order else None
        if event.type is EventType.PICKUP_WINDOW_CHANGED and "deadline" in event.extra:
            self._deadline = datetime.fromisoformat(str(event.extra["deadline"]))
            self._window_changed = True
        elif stage in COLLECTED_STAGES:
            self._state = "collected"
        elif stage is OrderStage.CANCELLED:
            self._state = "cancelled"

    @workflow.signal
    def customer_response(self, message: InboundMessage) -> None:
        said = (message.action or message.text).strip().strip(".!").upper()
        self._timeline.note("event", f"customer: {said!r}")
        if self._state != "waiting":
            return
        described = arrival_details(message) is not None
        if said in ARRIVAL_WORDS or (described and workflow.patched(CURBSIDE_PATCH)):
            self._arrivals.append(message)

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        self._messenger.apply_receipt(receipt)

    @workflow.query
    def status(self) -> PickupStatus:
        return PickupStatus(
            workflow_id=workflow.info().workflow_id,
            order_id=self._inp.order.order_id,
            state=self._state,
            location=self._policy.location,
            deadline=self._deadline,
            reminders_sent=self._reminders_sent,
            customer_arrived_at=self._arrived_at,
            arrival_details=self._arrival_details,
            platform_callback=self._callback,
            messages=self._messenger.messages,
            waiting=self._messenger.waiting,
            timeline=self._timeline.entries,
        )

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: PickupInput) -> PickupStatus:
        order = inp.order
        sa.upsert(
            platform=inp.platform.value,
            store=inp.store,
            order_id=order.order_id,
            order_value=float(order.total),
            customer_id=order.customer.customer_id,
        )
        self._set_stage("awaiting_pickup")
        talks = workflow.patched(CONVERSATION_PATCH)
        if talks:  # so that an SMS "HERE" finds this journey
            await call(
                ConversationActivities.open_conversation,
                ConversationOpen(
                    workflow_id=workflow.info().workflow_id,
                    code=reference_code(workflow.info().workflow_id),
                    addresses=[
                        (c, a) for c in (Channel.SMS, Channel.PUSH) if (a := order.customer.address(c))
                    ],
                    options=sorted(ARRIVAL_WORDS),
                ),
            )
        await self._tell_customer("ready")
        while self._state == "waiting":
            self._describe()
            due, reminder = self._next_timer()
            try:
                await workflow.wait_condition(
                    lambda: self._state != "waiting" or self._window_changed or bool(self._arrivals),
                    timeout=max(due - workflow.now(), timedelta(0)),
                )
            except TimeoutError:
                if reminder is None:
                    await self._expire()
                else:
                    self._reminders_sent.append(reminder)
                    await self._tell_customer("reminder", key_suffix=reminder)
                continue
            if self._arrivals:
                await self._customer_arrived(self._arrivals.pop(0))
            if self._window_changed:
                self._window_changed = False
                self._reminders_sent = []  # the new window gets its own reminders
                await self._tell_customer("window_changed", key_suffix=f"{self._deadline:%Y%m%dT%H%M}")
        if self._state == "collected":
            await self._tell_customer("collected")
        if talks:
            await call(ConversationActivities.close_conversation, workflow.info().workflow_id)
        self._set_stage(self._state)
        self._describe()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    def _next_timer(self) -> tuple[datetime, str | None]:
        """The next reminder still ahead (and not sent for this window), else the deadline."""
        now = workflow.now()
        for number, before in enumerate(sorted(self._policy.reminders_before, reverse=True), start=1):
            label = str(number)  # first, second … reminder of this window
            at = self._deadline - before
            if label not in self._reminders_sent and at > now:
                return at, label
        return self._deadline, None

    async def _customer_arrived(self, message: InboundMessage) -> None:
        self._arrived_at = workflow.now()
        details = arrival_details(message)
        if details:
            self._arrival_details = details
        suffix = f"{len(self._timeline.entries)}"
        await self._alert("customer_here", key_suffix=suffix, arrival=details or None)
        if workflow.patched(ARRIVAL_ACK_PATCH):  # on the channel they wrote on, else the usual ones
            channels = [message.channel, *(c for c in self._policy.channels if c is not message.channel)]
            await self._tell_customer("arrival_ack", key_suffix=suffix, channels=channels)

    async def _expire(self) -> None:
        self._state = "expired"
        await self._tell_customer("expired")
        await self._alert("pickup_expired")
        if not self._policy.cancel_on_expiry:
            self._callback = "not cancelled: store policy only alerts"
            return
        order = self._inp.order
        try:
            self._callback = await call(
                CallbackActivities.cancel_and_restock,
                OrderWrite(
                    platform=self._inp.platform,
                    store=self._inp.store,
                    order_id=order.order_id,
                    note=f"Tidings: not collected by {self._deadline:%Y-%m-%d %H:%M} UTC; cancelled.",
                ),
            )
        except ActivityError as err:
            self._callback = f"cancel failed: {err.cause or err}"
        self._timeline.note("callback", self._callback)

    def _context(self) -> dict[str, object]:
        order = self._inp.order.model_dump(mode="json")
        return {
            "order": order,
            "customer": order["customer"],
            "location": self._policy.location,
            "deadline": self._deadline.isoformat(),
            "link": None,
        }

    async def _tell_customer(
        self, step: str, key_suffix: str | None = None, channels: list[Channel] | None = None
    ) -> None:
        wf = workflow.info().workflow_id
        customer = self._inp.order.customer
        await self._messenger.send(
            MessageRequest(
                key=f"{wf}:{step}" + (f":{key_suffix}" if key_suffix else ""),
                workflow_id=wf,
                journey="pickup",
                step=step,
                category=Category.TRANSACTIONAL,
                channels=channels or self._policy.channels,
                recipient=customer,
                context=self._context(),
                customer_key=(
                    f"{self._inp.platform}:{self._inp.store}:{customer.customer_id}"
                    if customer.customer_id
                    else None
                ),
                policy=self._policy.delivery,
            )
        )

    async def _alert(self, step: str, key_suffix: str | None = None, **extra: object) -> None:
        wf = workflow.info().workflow_id
        self._timeline.note("alert", f"store team alerted: {step}")
        team: Recipient = self._policy.store_team
        channels: list[Channel] = self._policy.store_team_channels
        await self._messenger.send(
            MessageRequest(
                key=f"{wf}:ops:{step}" + (f":{key_suffix}" if key_suffix else ""),
                workflow_id=wf,
                journey="pickup",
                step=f"team_{step}",
                category=Category.OPERATIONAL,
                channels=channels,
                recipient=team,
                context={**self._context(), **extra},
                policy=self._policy.delivery,
            )
        )

    def _set_stage(self, stage: str) -> None:
        sa.upsert(stage=stage)

    def _describe(self) -> None:
        workflow.set_current_details(
            f"Pickup of order {self._inp.order.order_id} at {self._policy.location} · {self._state} · "
            f"deadline {self._deadline:%Y-%m-%d %H:%M} UTC · {self._messenger.sent_count()} message(s) sent"
        )
