"""ConsentReply: the one message an inbound message earns back when no journey answers it. STOP (and
its synonyms) gets the usual confirmation, sent despite the opt-out it confirms; START gets a welcome
back; a reply that matches no open conversation, or several, gets a helpful answer (journey "reply").
The opt-out itself is recorded by the ingress at once; this workflow makes the answer durable and
exactly-once (its id carries the provider's message id, so a retried webhook does not answer twice)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.notifications import Category, Channel, MessageRequest, MessageResult, Recipient
    from workflows import search_attributes as sa
    from workflows.messaging import Messenger
    from workflows.timeline import Timeline, TimelineEntry


class ConsentReplyInput(BaseModel):
    channel: Channel
    address: str
    keyword: str  # the word the customer sent, as they sent it
    change: str  # the template step: "stopped", "started", "unmatched", "which_case"
    locale: str = "en"
    journey: str = "consent"  # template folder; "reply" for answers to unmatched replies
    context: dict[str, Any] = Field(default_factory=dict)


class ConsentReplyStatus(BaseModel):
    change: str
    keyword: str
    messages: list[MessageResult]
    timeline: list[TimelineEntry]


STAGE_PATCH = "consent-stage"  # runs recorded before it set no search attribute


@workflow.defn
class ConsentReply:
    @workflow.init
    def __init__(self, inp: ConsentReplyInput) -> None:
        self._inp = inp
        self._timeline = Timeline(workflow.now)
        self._messenger = Messenger(self._timeline.note)

    @workflow.query
    def status(self) -> ConsentReplyStatus:
        return ConsentReplyStatus(
            change=self._inp.change,
            keyword=self._inp.keyword,
            messages=self._messenger.messages,
            timeline=self._timeline.entries,
        )

    @workflow.run
    async def run(self, inp: ConsentReplyInput) -> ConsentReplyStatus:
        workflow.set_current_details(f"{inp.channel} {inp.keyword!r} → {inp.change}; confirming")
        if workflow.patched(STAGE_PATCH):  # findable in the Web UI: Stage = "stopped", "started" …
            sa.upsert(stage=inp.change)
        self._timeline.note("event", f"{inp.channel} keyword {inp.keyword!r}: {inp.change}")
        wf = workflow.info().workflow_id
        result = await self._messenger.send(
            MessageRequest(
                key=wf,
                workflow_id=wf,
                journey=inp.journey,
                step=inp.change,
                category=Category.TRANSACTIONAL,
                channels=[inp.channel],
                recipient=_recipient(inp.channel, inp.address, inp.locale),
                context=inp.context,
                confirms_opt_out=inp.change == "stopped",
            )
        )
        workflow.set_current_details(
            f"{inp.channel} {inp.keyword!r} → {inp.change}; confirmation {result.status}"
        )
        return self.status()


def _recipient(channel: Channel, address: str, locale: str) -> Recipient:
    field = {Channel.SMS: "phone", Channel.EMAIL: "email", Channel.PUSH: "push_token"}[channel]
    return Recipient(locale=locale, **{field: address})
