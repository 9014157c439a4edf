"""ServiceCase: a return request, refund update or delivery dispute, as a conversation
(`case:{platform}:{store}:{case_id}`).

The customer hears about the case with reply options (SMS: numbered choices; email: reply to it;
push: action buttons) and a short reference code. Their answer is acknowledged, kept in the case's
transcript, and written into the platform's service process by the callback activity. Platform updates
(refund issued, replacement shipped) are passed on. No answer within the reply window: a reminder;
still none: the service team is alerted and the case marked as needing an agent. Case closed: done.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.callbacks import CallbackActivities, CaseWrite
    from activities.conversations import ConversationActivities, ConversationOpen
    from activities.hydration import HydrationActivities, OrderRef
    from domain.conversations import reference_code
    from domain.events import CasePayload, CommerceEvent, EventType, Platform
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
    from domain.policies import CasePolicy
    from workflows import search_attributes as sa
    from workflows.messaging import Messenger, WaitingMessage, call
    from workflows.timeline import Timeline, TimelineEntry


class ServiceCaseInput(BaseModel):
    platform: Platform
    store: str
    case: CasePayload
    policy: CasePolicy = Field(default_factory=CasePolicy)


class TranscriptLine(BaseModel):
    at: datetime
    who: str  # customer, us, platform, team
    channel: Channel | None = None
    text: str
    meaning: str | None = None  # for a customer's answer: the option it chose, or "not an option"


class CaseStatus(BaseModel):
    workflow_id: str
    case_id: str
    kind: str
    order_id: str | None
    code: str
    state: str  # waiting, answered, reminded, needs_agent, closed
    options: list[str]
    transcript: list[TranscriptLine]
    messages: list[MessageResult]
    waiting: list[WaitingMessage]
    timeline: list[TimelineEntry]


@workflow.defn
class ServiceCase:
    @workflow.init
    def __init__(self, inp: ServiceCaseInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._timeline = Timeline(workflow.now)
        self._messenger = Messenger(self._timeline.note)
        self._code = reference_code(workflow.info().workflow_id)
        self._state = "waiting"
        self._replies: list[InboundMessage] = []
        self._updates: list[CommerceEvent] = []
        self._closed = False
        self._transcript: list[TranscriptLine] = []
        self._order: OrderSnapshot | None = None
        self._seen: list[str] = []

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        if event.event_id in self._seen:
            return
        self._seen = [*self._seen[-199:], event.event_id]
        self._timeline.note("event", event.raw_scope or event.type.value, event_id=event.event_id)
        if event.type is EventType.CASE_CLOSED:
            self._closed = True
        elif event.type is EventType.CASE_UPDATED:
            self._updates.append(event)

    @workflow.signal
    def customer_response(self, message: InboundMessage) -> None:
        self._replies.append(message)

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        self._messenger.apply_receipt(receipt)

    @workflow.query
    def status(self) -> CaseStatus:
        case = self._inp.case
        return CaseStatus(
            workflow_id=workflow.info().workflow_id,
            case_id=case.case_id,
            kind=case.kind.value,
            order_id=case.order_id,
            code=self._code,
            state=self._state,
            options=[f"{o.answer} {o.label}" for o in self._policy.options],
            transcript=self._transcript,
            messages=self._messenger.messages,
            waiting=self._messenger.waiting,
            timeline=self._timeline.entries,
        )

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: ServiceCaseInput) -> CaseStatus:
        case = inp.case
        sa.upsert(platform=inp.platform.value, store=inp.store, case_id=case.case_id, order_id=case.order_id)
        self._set_state("waiting")
        self._order = await self._read_order()
        customer = self._customer()
        sa.upsert(customer_id=customer.customer_id)
        await call(
            ConversationActivities.open_conversation,
            ConversationOpen(
                workflow_id=workflow.info().workflow_id,
                code=self._code,
                addresses=[
                    (c, a) for c in (Channel.SMS, Channel.EMAIL, Channel.PUSH) if (a := customer.address(c))
                ],
                options=[o.answer for o in self._policy.options],
            ),
        )
        self._say("us", f"case opened ({case.kind.value})")
        await self._tell("opened")

        deadline = workflow.now() + self._policy.reply_window
        closes_at = workflow.now() + self._policy.max_open
        while not self._closed:
            self._describe()
            try:
                await workflow.wait_condition(
                    lambda: self._closed or bool(self._replies) or bool(self._updates),
                    timeout=max(min(deadline, closes_at) - workflow.now(), timedelta(0)),
                )
            except TimeoutError:
                if workflow.now() >= closes_at:
                    self._timeline.note("note", f"no news for {self._policy.max_open}; case closed")
                    break
                deadline = await self._no_answer(deadline)
                continue
            while self._updates:
                await self._pass_on(self._updates.pop(0))
            while self._replies:
                await self._answered(self._replies.pop(0))
        await self._tell("closed")
        self._set_state("closed")
        await call(ConversationActivities.close_conversation, workflow.info().workflow_id)
        self._describe()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _no_answer(self, deadline: datetime) -> datetime:
        """The reply window passed: remind once, then hand the case to the service team."""
        if self._state == "waiting":
            self._set_state("reminded")
            await self._tell("reminder")
            return workflow.now() + self._policy.escalate_after
        if self._state == "reminded":
            self._set_state("needs_agent")
            self._say("us", "no answer: escalated to the service team")
            await self._alert("team_escalated")
            await self._write_back("needs_agent", "no answer from the customer", None, None)
        return workflow.now() + self._policy.max_open  # waiting for the team or the customer now

    async def _answered(self, reply: InboundMessage) -> None:
        said = reply.action or reply.text
        option = self._policy.option_for(said)
        self._say(
            "customer", said, channel=reply.channel, meaning=option.meaning if option else "not an option"
        )
        if option is None:
            await self._tell("help", suffix=f"{len(self._transcript)}")
            return
        self._set_state("needs_agent" if option.meaning == "agent" else "answered")
        await self._tell("ack", suffix=f"{len(self._transcript)}", extra={"choice": option.label})
        await self._write_back("customer_reply", said, option.meaning, reply.channel)

    async def _pass_on(self, event: CommerceEvent) -> None:
        detail = (event.case.detail if event.case else None) or "update"
        self._say("platform", detail)
        if detail in ("refund_issued", "replacement_shipped", "resolved"):
            await self._tell(detail, suffix=event.event_id[:12])

    async def _write_back(self, event: str, text: str, meaning: str | None, channel: Channel | None) -> None:
        case = self._inp.case
        try:
            done = await call(
                CallbackActivities.record_case_update,
                CaseWrite(
                    platform=self._inp.platform,
                    store=self._inp.store,
                    case_id=case.case_id,
                    order_id=case.order_id,
                    event=event,
                    text=text,
                    meaning=meaning,
                    channel=channel.value if channel else None,
                    key=f"{workflow.info().workflow_id}:{event}:{len(self._transcript)}",
                ),
            )
            self._timeline.note("callback", done)
        except ActivityError as err:
            self._timeline.note("callback", f"could not write back: {err.cause or err}")

    async def _read_order(self) -> OrderSnapshot | None:
        if not self._inp.case.order_id:
            return None
        try:
            return await call(
                HydrationActivities.hydrate_order,
                OrderRef(
                    platform=self._inp.platform, store=self._inp.store, order_id=self._inp.case.order_id
                ),
            )
        except ActivityError as err:
            self._timeline.note("note", f"could not read the order: {err.cause or err}")
            return None

    def _customer(self) -> Recipient:
        return self._order.customer if self._order else Recipient()

    def _context(self, extra: dict[str, object] | None = None) -> dict[str, object]:
        case = self._inp.case
        return {
            "case": case.model_dump(mode="json"),
            "order": self._order.model_dump(mode="json") if self._order else {"order_id": case.order_id},
            "customer": self._customer().model_dump(mode="json"),
            "code": self._code,
            "options": [o.model_dump() for o in self._policy.options],
            "link": None,
            **(extra or {}),
        }

    async def _tell(
        self, step: str, suffix: str | None = None, extra: dict[str, object] | None = None
    ) -> None:
        wf = workflow.info().workflow_id
        customer = self._customer()
        await self._messenger.send(
            MessageRequest(
                key=f"{wf}:{step}" + (f":{suffix}" if suffix else ""),
                workflow_id=wf,
                journey="case",
                step=step,
                category=Category.TRANSACTIONAL,
                channels=self._policy.channels,
                recipient=customer,
                context=self._context(extra),
                customer_key=(
                    f"{self._inp.platform}:{self._inp.store}:{customer.customer_id}"
                    if customer.customer_id
                    else None
                ),
                policy=self._policy.delivery,
            )
        )
        self._say("us", step)

    async def _alert(self, step: str) -> None:
        wf = workflow.info().workflow_id
        self._timeline.note("alert", f"service team alerted: {step}")
        await self._messenger.send(
            MessageRequest(
                key=f"{wf}:ops:{step}",
                workflow_id=wf,
                journey="case",
                step=step,
                category=Category.OPERATIONAL,
                channels=self._policy.service_team_channels,
                recipient=self._policy.service_team,
                context=self._context(),
                policy=self._policy.delivery,
            )
        )

    def _say(self, who: str, text: str, channel: Channel | None = None, meaning: str | None = None) -> None:
        self._transcript.append(
            TranscriptLine(at=workflow.now(), who=who, channel=channel, text=text, meaning=meaning)
        )

    def _set_state(self, state: str) -> None:
        self._state = state
        sa.upsert(stage=f"case_{state}")

    def _describe(self) -> None:
        case = self._inp.case
        order = f" · order {case.order_id}" if case.order_id else ""
        workflow.set_current_details(
            f"Case {case.case_id} ({case.kind.value}){order} · {self._state} · code {self._code} · "
            f"{len(self._transcript)} transcript line(s)"
        )
