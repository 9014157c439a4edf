"""Campaign: one promotional message to a segment of a store's customers (`campaign:{store}:{id}`).

The audience is counted once, then read a page at a time from the customers table (`audience_page`,
cursor-based), so the run never holds more than one page. Sends go out in paced batches: `rate × 1 s`
messages at once (at most `max_batch`), then a durable timer until the batch's second is over.

Why pace here rather than only by the bulk task queue's activity rate limit: that limit is one number
for the whole queue (every campaign and every restock together), fixed when the worker starts, so it
cannot give one campaign its own `--rate`; and a campaign that scheduled its whole audience at once
behind it would sit with thousands of pending activities (Temporal allows 2,000 per run) and could not
be paused. So each campaign paces itself, and its sends run on the bulk queue (`send_task_queue`),
whose limit stays the provider-wide ceiling over all of them.

The delivery activity decides consent (marketing opt-in per channel), opt-outs and frequency caps:
what it refuses is counted as suppressed, by reason. A send quiet hours hold back comes back DEFERRED
with `not_before`; it is kept (counted as deferred, still remaining) and retried when that time
comes, before new customers are read. Too many deferred at once and no new page is read until some
are due. Signals `pause` (no new sends), `resume` and `cancel` (stop, end with the progress so far).
The run continues-as-new at a page boundary when its history grows, carrying cursor and progress.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.audience import AudienceActivities, AudiencePage, AudienceQuery
    from activities.delivery import DeliveryActivities
    from domain.campaign import (
        AudienceCursor,
        CampaignPolicy,
        CampaignProgress,
        CampaignSpec,
        CampaignStatus,
        CustomerFacts,
    )
    from domain.notifications import (
        Category,
        DeliveryReceipt,
        DeliveryState,
        MessageRequest,
        MessageResult,
        MessageStatus,
        SkipCode,
    )
    from workflows import search_attributes as sa
    from workflows.messaging import ACTIVITY_GIVE_UP, ACTIVITY_RETRY, ACTIVITY_TIMEOUT, call


class DeferredSend(BaseModel):
    customer: CustomerFacts
    not_before: datetime


class CampaignState(BaseModel):
    """What one run hands the next when it continues-as-new."""

    as_of: datetime  # the segment is judged at this moment, every page alike
    started_at: datetime
    progress: CampaignProgress = Field(default_factory=CampaignProgress)
    counted: bool = False
    seen: int = 0  # customers read from the segment so far
    cursor: AudienceCursor | None = None
    paging_done: bool = False
    deferred: list[DeferredSend] = Field(default_factory=list)
    paused: bool = False
    cancelled: bool = False
    runs: int = 1


class CampaignInput(BaseModel):
    spec: CampaignSpec
    policy: CampaignPolicy = Field(default_factory=CampaignPolicy)
    state: CampaignState | None = None  # set by continue-as-new


@workflow.defn
class Campaign:
    @workflow.init
    def __init__(self, inp: CampaignInput) -> None:
        self._spec = inp.spec
        self._policy = inp.policy
        now = workflow.now()
        self._s = inp.state.model_copy(deep=True) if inp.state else CampaignState(as_of=now, started_at=now)
        self._buffer: list[CustomerFacts] = []  # the current page's customers not sent yet
        self._state = "starting"
        self._finished_at: datetime | None = None

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def pause(self) -> None:
        self._s.paused = True

    @workflow.signal
    def resume(self) -> None:
        self._s.paused = False

    @workflow.signal
    def cancel(self) -> None:
        self._s.cancelled = True

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        if receipt.state is DeliveryState.DELIVERED:
            self._s.progress.delivered += 1
        elif receipt.state is DeliveryState.FAILED:
            self._s.progress.bounced += 1

    @workflow.query
    def status(self) -> CampaignStatus:
        """The same as `progress`: every journey answers `status` (operators query it in the Web UI)."""
        return self.progress()

    @workflow.query
    def progress(self) -> CampaignStatus:
        return CampaignStatus(
            workflow_id=workflow.info().workflow_id,
            store=self._spec.store,
            campaign_id=self._spec.campaign_id,
            state=self._state,
            segment=self._spec.segment.describe(),
            rate=self._spec.rate,
            progress=self._numbers(),
            started_at=self._s.started_at,
            finished_at=self._finished_at,
            runs=self._s.runs,
        )

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: CampaignInput) -> CampaignStatus:
        spec = self._spec
        sa.upsert(store=spec.store, platform=spec.platform.value if spec.platform else None)
        if not self._s.counted:
            self._s.progress.audience = await call(AudienceActivities.audience_count, self._query(None))
            self._s.counted = True
        size, interval = self._policy.batch(spec.rate)
        while not self._s.cancelled:
            if self._s.paused:
                self._enter("paused")
                await workflow.wait_condition(lambda: not self._s.paused or self._s.cancelled)
                continue
            batch = await self._next_batch(size)
            if not batch:
                if self._s.paging_done and not self._buffer and not self._s.deferred:
                    break
                await self._wait_for_deferred()
                continue
            self._enter("sending")
            started = workflow.now()
            await asyncio.gather(*(self._send(customer) for customer in batch))
            rest = started + interval - workflow.now()
            if rest > timedelta(0):
                try:  # the pace; a cancel need not wait for it
                    await workflow.wait_condition(lambda: self._s.cancelled, timeout=rest)
                except TimeoutError:
                    pass
            if not self._buffer and not self._s.cancelled and self._history_full():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={"state": self._next_state()}))
        self._finished_at = workflow.now()
        if not self._s.cancelled:
            self._s.progress.audience = self._s.seen  # what the segment turned out to hold
        self._enter("cancelled" if self._s.cancelled else "completed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.progress()

    def _query(self, after: AudienceCursor | None) -> AudienceQuery:
        return AudienceQuery(
            store=self._spec.store,
            platform=self._spec.platform,
            segment=self._spec.segment,
            as_of=self._s.as_of,
            after=after,
            limit=self._policy.page_size,
        )

    async def _next_batch(self, size: int) -> list[CustomerFacts]:
        """Deferred sends that are due first, then the current page, reading the next one when it is
        used up (unless too many sends already wait for quiet hours to end)."""
        now = workflow.now()
        due = [d for d in self._s.deferred if d.not_before <= now][:size]
        for item in due:
            self._s.deferred.remove(item)
        batch = [d.customer for d in due]
        room = size - len(batch)
        if room and not self._buffer and not self._s.paging_done:
            if len(self._s.deferred) < self._policy.max_deferred:
                await self._read_page()
        batch += self._buffer[:room]
        del self._buffer[:room]
        return batch

    async def _read_page(self) -> None:
        page: AudiencePage = await call(AudienceActivities.audience_page, self._query(self._s.cursor))
        self._buffer = list(page.customers)
        self._s.seen += len(page.customers)
        self._s.cursor = page.next
        self._s.paging_done = page.next is None

    async def _wait_for_deferred(self) -> None:
        wake = min(d.not_before for d in self._s.deferred)
        self._enter("waiting")
        try:
            await workflow.wait_condition(
                lambda: self._s.cancelled or self._s.paused,
                timeout=max(wake - workflow.now(), timedelta(seconds=1)),
            )
        except TimeoutError:
            pass

    async def _send(self, customer: CustomerFacts) -> None:
        spec, wf = self._spec, workflow.info().workflow_id
        content = spec.content_for(customer.language)
        request = MessageRequest(
            key=f"{wf}:{customer.platform.value}:{customer.customer_id}",
            workflow_id=wf,
            journey="campaign",
            step=spec.template,
            category=Category.MARKETING,
            channels=spec.channels,
            recipient=customer.recipient(),
            context={
                "campaign": content.as_context(),
                "customer": {"name": customer.name},
                "link": content.link,
            },
            customer_key=customer.customer_key,
            policy=self._policy.delivery,
            now=workflow.now(),
        )
        try:
            result: MessageResult = await workflow.execute_activity_method(
                DeliveryActivities.send_message,
                request,
                task_queue=self._policy.send_task_queue,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                schedule_to_close_timeout=ACTIVITY_GIVE_UP,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as err:
            result = MessageResult(key=request.key, status=MessageStatus.FAILED, reason=str(err.cause or err))
        self._count(customer, result)

    def _count(self, customer: CustomerFacts, result: MessageResult) -> None:
        progress = self._s.progress
        if result.status is MessageStatus.DEFERRED and result.not_before is not None:
            self._s.deferred.append(DeferredSend(customer=customer, not_before=result.not_before))
        elif result.status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            progress.sent += 1
        elif result.status is MessageStatus.SUPPRESSED:
            progress.suppressed += 1
            reason = _suppression_reason(result)
            progress.suppressed_by[reason] = progress.suppressed_by.get(reason, 0) + 1
        else:
            progress.failed += 1

    def _numbers(self) -> CampaignProgress:
        progress = self._s.progress
        pending = len(self._s.deferred) + len(self._buffer)
        audience = max(progress.audience, progress.processed + pending, self._s.seen)
        return progress.model_copy(
            update={
                "audience": audience,
                "deferred": len(self._s.deferred),
                "remaining": audience - progress.processed,
            }
        )

    def _history_full(self) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() >= self._policy.history_limit
            or info.is_continue_as_new_suggested()
        )

    def _next_state(self) -> CampaignState:
        return self._s.model_copy(update={"progress": self._numbers(), "runs": self._s.runs + 1})

    def _enter(self, state: str) -> None:
        if state != self._state:
            self._state = state
            sa.upsert(stage=state)
        p = self._numbers()
        workflow.set_current_details(
            f"Campaign {self._spec.campaign_id} ({self._spec.store}) · {self._spec.segment.describe()} · "
            f"{state} · {p.sent} sent, {p.suppressed} suppressed, {p.failed} failed, {p.deferred} deferred, "
            f"{p.remaining} remaining of {p.audience} · {self._spec.rate:g}/s"
        )


def _suppression_reason(result: MessageResult) -> str:
    """The reason that kept the message back: the first channel that had an address says why."""
    tried = [a.code for a in result.attempts if a.code is not None and a.code is not SkipCode.NO_ADDRESS]
    if tried:
        return tried[0].value
    return SkipCode.NO_ADDRESS.value if result.attempts else "no_channel"
