"""OpsAlerts: operations alerts for one store and alert key (`alerts:{platform}:{store}:{key}`).

Low inventory, unavailable products, failed catalog updates, checkout failures, payment gateway
errors, misconfigured promotions and orders worth a personal touch reach the team the policy names
for their kind, by that team's channel order. A burst is one message with a count, not a storm:
events are de-duplicated on their id, and the first alert of a window waits the window out
collecting, then the team gets ONE digest (the count, first and last time, a few sample details).
The next event opens the next window. Cancellations are counted per store in a sliding window;
only more of them than the policy allows opens a window, and after that digest the spike stays
quiet for one sliding window.

The run completes when idle for a while (a fresh event starts a new run through signal-with-start)
and continues as new after a number of windows, carrying its counts, so its history stays small.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.alert_policy import AlertPolicy
    from domain.events import AlertKind, AlertPayload, CommerceEvent, Platform
    from domain.notifications import (
        Category,
        Channel,
        DeliveryReceipt,
        MessageRequest,
        MessageResult,
        MessageStatus,
    )
    from workflows import search_attributes as sa
    from workflows.messaging import Messenger
    from workflows.timeline import Timeline, TimelineEntry

SEEN_EVENT_MEMORY = 500  # a burst is hundreds of events; their ids, not more
TIMELINE_MEMORY = 200  # a long-lived run keeps the latest entries only
MESSAGE_MEMORY = 50


class AlertSample(BaseModel):
    """One alert event as a digest quotes it."""

    kind: AlertKind
    at: datetime
    detail: str | None = None
    order_id: str | None = None
    sku: str | None = None
    amount: Decimal | None = None
    currency: str | None = None

    @classmethod
    def of(cls, alert: AlertPayload, at: datetime) -> AlertSample:
        return cls(
            kind=alert.kind,
            at=at,
            detail=alert.detail,
            order_id=alert.order_id,
            sku=alert.sku,
            amount=alert.amount,
            currency=alert.currency,
        )


class AlertWindow(BaseModel):
    number: int
    kind: AlertKind
    opened_at: datetime
    closes_at: datetime
    count: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    samples: list[AlertSample] = Field(default_factory=list)


class AlertCarry(BaseModel):
    """What a continued run takes over from the one before it."""

    window_no: int = 0
    windows_sent: int = 0
    events: int = 0
    kind: AlertKind | None = None
    seen: list[str] = Field(default_factory=list)
    inbox: list[AlertSample] = Field(default_factory=list)
    cancellations: list[datetime] = Field(default_factory=list)  # inside the sliding window
    recent_cancellations: list[AlertSample] = Field(default_factory=list)
    spike_quiet_until: datetime | None = None


class OpsAlertsInput(BaseModel):
    platform: Platform
    store: str
    key: str
    policy: AlertPolicy = Field(default_factory=AlertPolicy)
    carry: AlertCarry | None = None


class AlertsStatus(BaseModel):
    workflow_id: str
    platform: Platform
    store: str
    key: str
    kind: AlertKind | None
    stage: str  # idle, collecting, sending
    team: str | None  # who hears about this kind
    window: AlertWindow | None  # the window collecting now
    current_count: int  # alerts in that window (cancellations: in the sliding window)
    window_no: int
    windows_sent: int
    events: int  # distinct alert events this chain of runs received
    spike_threshold: int
    messages: list[MessageResult]
    timeline: list[TimelineEntry]


@workflow.defn
class OpsAlerts:
    @workflow.init
    def __init__(self, inp: OpsAlertsInput) -> None:
        carry = inp.carry or AlertCarry()
        self._inp = inp
        self._policy = inp.policy
        self._timeline = Timeline(workflow.now)
        self._messenger = Messenger(self._note)
        self._stage = ""  # set by the run's first step
        self._window: AlertWindow | None = None
        self._window_no = carry.window_no
        self._windows_sent = carry.windows_sent
        self._windows_this_run = 0
        self._events = carry.events
        self._kind = carry.kind
        self._seen = list(carry.seen)
        self._inbox = list(carry.inbox)
        self._cancellations = list(carry.cancellations)
        self._recent_cancellations = list(carry.recent_cancellations)
        self._spike_quiet_until = carry.spike_quiet_until

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        if event.event_id in self._seen:
            return
        self._seen = [*self._seen[-SEEN_EVENT_MEMORY + 1 :], event.event_id]
        alert = event.alert
        if alert is None:
            self._note("event", f"{event.type.value}: not an alert, ignored", event_id=event.event_id)
            return
        self._events += 1
        self._kind = self._kind or alert.kind
        sample = AlertSample.of(alert, self._when(event.occurred_at))
        self._note("event", f"{alert.kind.value}: {_describe(sample)}", event_id=event.event_id)
        if alert.kind is AlertKind.CANCELLATION:
            self._count_cancellation(sample)
        if self._window is not None and self._window.kind is alert.kind:
            self._add(self._window, sample)
        else:
            self._inbox.append(sample)

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        self._messenger.apply_receipt(receipt)

    @workflow.query
    def status(self) -> AlertsStatus:
        kind = self._window.kind if self._window else self._kind
        if kind is AlertKind.CANCELLATION:
            count = len(self._live_cancellations())
        else:
            count = self._window.count if self._window else 0
        return AlertsStatus(
            workflow_id=workflow.info().workflow_id,
            platform=self._inp.platform,
            store=self._inp.store,
            key=self._inp.key,
            kind=kind,
            stage=self._stage,
            team=self._policy.route_for(kind)[0] if kind else None,
            window=self._window,
            current_count=count,
            window_no=self._window_no,
            windows_sent=self._windows_sent,
            events=self._events,
            spike_threshold=self._policy.cancellation_spike_count,
            messages=self._messenger.messages,
            timeline=self._timeline.entries,
        )

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: OpsAlertsInput) -> AlertsStatus:
        sa.upsert(platform=inp.platform.value, store=inp.store)
        while True:
            if not self._inbox:
                self._set_stage("idle")
                self._describe()
                try:
                    await workflow.wait_condition(lambda: bool(self._inbox), timeout=self._idle_timeout())
                except TimeoutError:
                    pass
                if not self._inbox:
                    break  # idle long enough: a later alert starts a fresh run
            first = self._inbox.pop(0)
            if first.kind is not AlertKind.CANCELLATION or self._spiking():
                await self._digest(first)
            if self._windows_this_run >= self._policy.windows_per_run or (
                workflow.info().is_continue_as_new_suggested()
            ):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={"carry": self._carry()}))
        self._describe()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _digest(self, first: AlertSample) -> None:
        """Collect alerts like `first` for one window, then tell the team once."""
        now = workflow.now()
        self._window_no += 1
        window = AlertWindow(
            number=self._window_no, kind=first.kind, opened_at=now, closes_at=now + self._policy.window
        )
        self._add(window, first)
        for sample in [s for s in self._inbox if s.kind is first.kind]:  # arrived with it
            self._add(window, sample)
        self._inbox = [s for s in self._inbox if s.kind is not first.kind]
        self._window = window
        self._set_stage("collecting")
        self._describe()
        if self._policy.window > timedelta(0):
            await workflow.sleep(self._policy.window)
        self._window = None  # alerts from now on open the next window
        self._set_stage("sending")
        await self._send(window)
        self._windows_sent += 1
        self._windows_this_run += 1
        if window.kind is AlertKind.CANCELLATION:
            self._spike_quiet_until = workflow.now() + self._policy.cancellation_spike_window

    async def _send(self, window: AlertWindow) -> None:
        wf = workflow.info().workflow_id
        team_name, team, channels = self._policy.route_for(window.kind)
        if window.kind is AlertKind.CANCELLATION:
            live = self._live_cancellations()
            count, first_at, last_at = len(live), min(live, default=None), max(live, default=None)
            samples = self._recent_cancellations[-self._policy.samples :]
            step = "cancellation_spike"
        else:
            count, first_at, last_at = window.count, window.first_at, window.last_at
            samples = window.samples
            step = "digest"
        self._note("alert", f"{team_name} alerted: {count} × {window.kind.value}")
        # Window numbers restart with a fresh run (after an idle completion); the chain's first run
        # id keeps this run's message keys apart from the earlier runs' in the ledger.
        label = f"{workflow.info().first_execution_run_id[:8]}-{window.number}"
        await self._messenger.send(
            MessageRequest(
                key=f"{wf}:{label}",
                workflow_id=wf,
                journey="alerts",
                step=step,
                category=Category.OPERATIONAL,
                channels=channels,
                recipient=team,
                context={
                    "alert": {
                        "kind": window.kind.value,
                        "key": self._inp.key,
                        "team": team_name,
                        "count": count,
                        "first_at": (first_at or window.opened_at).isoformat(),
                        "last_at": (last_at or window.opened_at).isoformat(),
                        "samples": [s.model_dump(mode="json") for s in samples],
                        "more": max(count - len(samples), 0),
                        "window_minutes": _minutes(self._policy.window),
                        "spike_minutes": _minutes(self._policy.cancellation_spike_window),
                        "threshold": self._policy.cancellation_spike_count,
                        "platform": self._inp.platform.value,
                        "store": self._inp.store,
                        "workflow_id": wf,
                    },
                    "link": None,
                },
                policy=self._policy.delivery,
            )
        )
        del self._messenger.messages[:-MESSAGE_MEMORY]

    # --- cancellations -------------------------------------------------------------------------

    def _count_cancellation(self, sample: AlertSample) -> None:
        self._cancellations.append(sample.at)
        self._recent_cancellations = [*self._recent_cancellations[-self._policy.samples + 1 :], sample]
        self._cancellations = self._live_cancellations()

    def _live_cancellations(self) -> list[datetime]:
        since = workflow.now() - self._policy.cancellation_spike_window
        return [at for at in self._cancellations if at > since]

    def _spiking(self) -> bool:
        """More cancellations in the sliding window than the policy allows, and no spike digest
        within the last window."""
        self._cancellations = self._live_cancellations()
        since = workflow.now() - self._policy.cancellation_spike_window
        self._recent_cancellations = [s for s in self._recent_cancellations if s.at > since]
        quiet = self._spike_quiet_until is not None and workflow.now() < self._spike_quiet_until
        return len(self._cancellations) > self._policy.cancellation_spike_count and not quiet

    # --- bookkeeping ---------------------------------------------------------------------------

    def _add(self, window: AlertWindow, sample: AlertSample) -> None:
        window.count += 1
        window.first_at = min(window.first_at or sample.at, sample.at)
        window.last_at = max(window.last_at or sample.at, sample.at)
        if len(window.samples) < self._policy.samples:
            window.samples.append(sample)

    def _when(self, occurred_at: datetime) -> datetime:
        """When it happened as the platform says, but never later than now (a skewed clock)."""
        at = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC)
        return min(at, workflow.now())

    def _idle_timeout(self) -> timedelta:
        """Idle this long and the run may end without forgetting anything that still counts: the
        sliding window's cancellations and a spike's quiet period outlive it."""
        now = workflow.now()
        ends = [now + self._policy.idle_after]
        if self._cancellations:
            ends.append(max(self._cancellations) + self._policy.cancellation_spike_window)
        if self._spike_quiet_until is not None:
            ends.append(self._spike_quiet_until)
        return max(max(ends) - now, timedelta(seconds=1))

    def _carry(self) -> AlertCarry:
        return AlertCarry(
            window_no=self._window_no,
            windows_sent=self._windows_sent,
            events=self._events,
            kind=self._kind,
            seen=self._seen,
            inbox=self._inbox,
            cancellations=self._live_cancellations(),
            recent_cancellations=self._recent_cancellations,
            spike_quiet_until=self._spike_quiet_until,
        )

    def _note(
        self,
        kind: str,
        summary: str,
        *,
        event_id: str | None = None,
        message_key: str | None = None,
        channel: Channel | None = None,
        status: MessageStatus | None = None,
    ) -> None:
        self._timeline.note(
            kind, summary, event_id=event_id, message_key=message_key, channel=channel, status=status
        )
        del self._timeline.entries[:-TIMELINE_MEMORY]

    def _set_stage(self, stage: str) -> None:
        if stage != self._stage:
            sa.upsert(stage=stage)
        self._stage = stage

    def _describe(self) -> None:
        kind = (self._window.kind if self._window else self._kind) or self._inp.key
        head = f"Alerts {kind} ({self._inp.key}) in {self._inp.platform.value}/{self._inp.store}"
        if self._window is not None:
            state = (
                f"collecting: {self._window.count} since {self._window.opened_at:%H:%M:%S} UTC, "
                f"digest at {self._window.closes_at:%H:%M:%S} UTC"
            )
        else:
            state = "idle"
        workflow.set_current_details(f"{head} · {state} · {self._windows_sent} digest(s) sent")


def _describe(sample: AlertSample) -> str:
    parts = [sample.detail or "", f"order {sample.order_id}" if sample.order_id else ""]
    parts.append(f"SKU {sample.sku}" if sample.sku else "")
    return "; ".join(p for p in parts if p) or "no detail"


def _minutes(duration: timedelta) -> float | int:
    minutes = round(duration.total_seconds() / 60, 1)
    return int(minutes) if minutes == int(minutes) else minutes
