"""AccountMessage: one account or security message (`account:{platform}:{store}:{customer_id}:{event_id}`).

Registration, verification, password reset, profile, security and saved-address changes, a payment
method about to expire and a completed refund. All are transactional: sent at once (quiet hours do
not hold them), except the payment-method notice, which waits until the policy's lead time before
the expiry date (at once when that moment has passed). Security changes go out on every channel of
the policy, so a taken-over mailbox cannot hide them.

The customer can acknowledge the message (a push action or a reply); the acknowledgment is written
into the platform's service process and the service desk, and the journey ends. Without one it ends
after the policy's wait.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.audience import AudienceActivities
    from activities.callbacks import CallbackActivities, CaseWrite
    from activities.conversations import ConversationActivities, ConversationOpen
    from activities.hydration import CustomerRead, HydrationActivities
    from domain.account_policy import AccountPolicy
    from domain.campaign import CustomerFacts
    from domain.conversations import reference_code
    from domain.events import AccountPayload, CommerceEvent, EventType, Platform
    from domain.notifications import (
        Category,
        Channel,
        DeliveryReceipt,
        InboundMessage,
        MessageRequest,
        MessageResult,
        MessageStatus,
        Recipient,
    )
    from workflows import search_attributes as sa
    from workflows.messaging import Messenger, call
    from workflows.timeline import Timeline, TimelineEntry

# Event type → template step (activities/templates/account/{step}.{channel}.{locale}.j2).
STEPS: dict[EventType, str] = {
    EventType.ACCOUNT_REGISTERED: "registered",
    EventType.ACCOUNT_VERIFICATION: "verification",
    EventType.PASSWORD_RESET: "password_reset",
    EventType.PROFILE_CHANGED: "profile_changed",
    EventType.SECURITY_CHANGED: "security_changed",
    EventType.ADDRESS_CHANGED: "address_changed",
    EventType.PAYMENT_METHOD_EXPIRING: "payment_method_expiring",
    EventType.REFUND_COMPLETED: "refund_completed",
}
DELIVERED = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED})
# Patch: an event that names only the customer's id (BigCommerce's `{id}` webhooks) reads the
# customer from the platform, so the message reaches customers who never saved preferences with us.
CUSTOMER_READ_PATCH = "account-customer-read"
# Patch: the account's customer goes into the customers table (campaigns reach new registrations).
RECORD_CUSTOMER_PATCH = "account-records-customer"


class AccountMessageInput(BaseModel):
    platform: Platform
    store: str
    customer_id: str
    policy: AccountPolicy = Field(default_factory=AccountPolicy)


class Acknowledgment(BaseModel):
    at: datetime
    channel: Channel
    text: str  # what the customer said, or the push action id
    written_back: str | None = None  # where the callback put it, or why it could not


class AccountStatus(BaseModel):
    workflow_id: str
    customer_id: str
    event_id: str | None
    event_type: EventType | None
    step: str | None
    # waiting (for its event), scheduled (payment-method notice), sent, not_sent, acknowledged,
    # unacknowledged (the wait passed)
    state: str
    send_at: datetime | None
    acknowledged: bool
    acknowledgment: Acknowledgment | None
    ack_due: datetime | None
    messages: list[MessageResult]
    timeline: list[TimelineEntry]


@workflow.defn
class AccountMessage:
    @workflow.init
    def __init__(self, inp: AccountMessageInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._timeline = Timeline(workflow.now)
        self._messenger = Messenger(self._timeline.note)
        self._event: CommerceEvent | None = None
        self._step: str | None = None
        self._state = "waiting"
        self._send_at: datetime | None = None
        self._ack_due: datetime | None = None
        self._replies: list[InboundMessage] = []
        self._ack: Acknowledgment | None = None
        self._customer: Recipient | None = None  # what the platform said when the event did not

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        # One event per run (its id is in the workflow id): anything else is a platform retry.
        if self._event is not None:
            self._timeline.note("event", f"{event.type.value}: again, ignored", event_id=event.event_id)
            return
        self._timeline.note("event", event.raw_scope or event.type.value, event_id=event.event_id)
        self._event = event

    @workflow.signal
    def customer_response(self, message: InboundMessage) -> None:
        said = message.action or message.text
        self._timeline.note("event", f"customer by {message.channel}: {said!r}")
        self._replies.append(message)

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        self._messenger.apply_receipt(receipt)

    @workflow.query
    def status(self) -> AccountStatus:
        event = self._event
        return AccountStatus(
            workflow_id=workflow.info().workflow_id,
            customer_id=self._inp.customer_id,
            event_id=event.event_id if event else None,
            event_type=event.type if event else None,
            step=self._step,
            state=self._state,
            send_at=self._send_at,
            acknowledged=self._ack is not None,
            acknowledgment=self._ack,
            ack_due=self._ack_due,
            messages=self._messenger.messages,
            timeline=self._timeline.entries,
        )

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: AccountMessageInput) -> AccountStatus:
        sa.upsert(platform=inp.platform.value, store=inp.store, customer_id=inp.customer_id)
        self._set_state("waiting")
        await workflow.wait_condition(lambda: self._event is not None)
        event = self._event
        assert event is not None
        step = STEPS.get(event.type)
        if step is None or event.account is None:
            self._timeline.note("note", f"{event.type.value} is not an account message; nothing sent")
            self._set_state("not_sent")
            return await self._finish()
        self._step = step
        await self._wait_for_expiry_notice(event.account)
        await self._read_customer(event)
        await self._record_customer()
        talks = await self._open_conversation(step)
        results = await self._send(step, event)
        if any(r.status in DELIVERED for r in results):
            self._set_state("sent")
            await self._await_acknowledgment(step)
        else:
            self._set_state("not_sent")  # nobody to acknowledge it: the reasons are in `messages`
        if talks:
            await call(ConversationActivities.close_conversation, workflow.info().workflow_id)
        return await self._finish()

    async def _finish(self) -> AccountStatus:
        self._describe()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _wait_for_expiry_notice(self, account: AccountPayload) -> None:
        """The payment-method notice goes out the policy's lead time before the expiry date."""
        if self._step != "payment_method_expiring" or account.expires_at is None:
            return
        expires = account.expires_at
        if expires.tzinfo is None:  # a platform that sends local times without a zone: take UTC
            expires = expires.replace(tzinfo=UTC)
        self._send_at = expires - self._policy.expiry_lead
        wait = self._send_at - workflow.now()
        if wait <= timedelta(0):
            return
        self._set_state("scheduled")
        self._describe()
        await workflow.sleep(wait)

    async def _read_customer(self, event: CommerceEvent) -> None:
        ref = event.customer
        if ref.email or ref.phone or not workflow.patched(CUSTOMER_READ_PATCH):
            return
        try:
            self._customer = await call(
                HydrationActivities.hydrate_customer,
                CustomerRead(
                    platform=self._inp.platform, store=self._inp.store, customer_id=self._inp.customer_id
                ),
            )
        except ActivityError as err:
            self._timeline.note("note", f"could not read the customer: {err.cause or err}")
            return
        if self._customer is None:
            self._timeline.note(
                "note", f"{self._inp.platform} has no details of customer {self._inp.customer_id}"
            )

    async def _record_customer(self) -> None:
        if not workflow.patched(RECORD_CUSTOMER_PATCH):
            return
        who = self._recipient()
        facts = CustomerFacts(
            platform=self._inp.platform,
            store=self._inp.store,
            customer_id=self._inp.customer_id,
            email=who.email,
            phone=who.phone,
            name=who.name,
            locale=who.locale,
        )
        try:
            await call(AudienceActivities.record_customer, facts)
        except ActivityError as err:
            self._timeline.note("note", f"customers table not updated: {err.cause or err}")

    async def _open_conversation(self, step: str) -> bool:
        """So that an SMS or email reply without a reference finds this journey (a push action
        carries the message key and needs none)."""
        if step not in self._policy.reply_steps:
            return False
        customer = self._recipient()
        addresses = [(c, a) for c in (Channel.SMS, Channel.EMAIL) if (a := customer.address(c))]
        if not addresses:
            return False
        await call(
            ConversationActivities.open_conversation,
            ConversationOpen(
                workflow_id=workflow.info().workflow_id,
                code=reference_code(workflow.info().workflow_id),
                addresses=addresses,
                options=[],
            ),
        )
        return True

    async def _send(self, step: str, event: CommerceEvent) -> list[MessageResult]:
        channels = self._policy.channels_for(step)
        if step in self._policy.every_channel:
            return [await self._send_on(step, event, [c], suffix=c.value) for c in channels]
        return [await self._send_on(step, event, channels)]

    async def _send_on(
        self, step: str, event: CommerceEvent, channels: list[Channel], suffix: str | None = None
    ) -> MessageResult:
        wf = workflow.info().workflow_id
        account = event.account
        assert account is not None
        customer = self._recipient()
        self._describe()
        return await self._messenger.send(
            MessageRequest(
                key=f"{wf}:{step}" + (f":{suffix}" if suffix else ""),
                workflow_id=wf,
                journey="account",
                step=step,
                category=Category.TRANSACTIONAL,
                channels=channels,
                recipient=customer,
                context={
                    "customer": customer.model_dump(mode="json"),
                    "account": account.model_dump(mode="json"),
                    "link": account.link,
                    # Only messages that ask for an answer quote the reference code.
                    "code": reference_code(wf) if step in self._policy.reply_steps else None,
                },
                customer_key=f"{self._inp.platform.value}:{self._inp.store}:{self._inp.customer_id}",
                policy=self._policy.delivery,
            )
        )

    async def _await_acknowledgment(self, step: str) -> None:
        self._ack_due = workflow.now() + self._policy.ack_wait
        self._describe()
        try:
            await workflow.wait_condition(lambda: bool(self._replies), timeout=self._policy.ack_wait)
        except TimeoutError:
            self._timeline.note("note", f"no acknowledgment within {self._policy.ack_wait}")
            self._set_state("unacknowledged")
            return
        reply = self._replies.pop(0)
        said = reply.action or reply.text
        self._ack = Acknowledgment(at=workflow.now(), channel=reply.channel, text=said)
        self._set_state("acknowledged")
        self._ack.written_back = await self._write_back(step, reply.channel, said)

    async def _write_back(self, step: str, channel: Channel, said: str) -> str:
        """Into the platform's service process and the service desk, where the team sees it."""
        event = self._event
        assert event is not None
        try:
            done = await call(
                CallbackActivities.record_case_update,
                CaseWrite(
                    platform=self._inp.platform,
                    store=self._inp.store,
                    case_id=f"account-{event.event_id}",
                    order_id=None,
                    event="acknowledged",
                    text=said,
                    meaning=step,
                    channel=channel.value,
                    key=f"{workflow.info().workflow_id}:acknowledged",
                ),
            )
        except ActivityError as err:
            done = f"could not write back: {err.cause or err}"
        self._timeline.note("callback", done)
        return done

    def _recipient(self) -> Recipient:
        """Who the event names; the delivery activity adds what their preferences say."""
        event = self._event
        ref = event.customer if event else None
        read = self._customer or Recipient()
        return Recipient(
            customer_id=self._inp.customer_id,
            name=(ref.name if ref else None) or read.name,
            email=(ref.email if ref else None) or read.email,
            phone=(ref.phone if ref else None) or read.phone,
            locale=(ref.locale if ref else None) or read.locale,
        )

    def _set_state(self, state: str) -> None:
        self._state = state
        sa.upsert(stage=f"account_{state}")

    def _describe(self) -> None:
        what = self._step or "account message"
        detail = f"{what} for customer {self._inp.customer_id} · {self._state}"
        if self._state == "scheduled" and self._send_at:
            detail += f" · sending {self._send_at:%Y-%m-%d %H:%M} UTC"
        if self._state == "sent" and self._ack_due:
            detail += f" · awaiting acknowledgment until {self._ack_due:%Y-%m-%d %H:%M} UTC"
        sent = self._messenger.sent_count()
        workflow.set_current_details(f"Account: {detail} · {sent} message(s) sent")
