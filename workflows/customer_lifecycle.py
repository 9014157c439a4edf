"""CustomerLifecycle: one long-lived run per customer (`customer:{platform}:{store}:{customer_id}`).

Loyalty and win-back for one customer, driven by the platform's events and by durable timers:
- POINTS_EARNED: "you earned N points" at once (transactional by default: see LoyaltyPolicy).
- REWARD_EXPIRING: a reminder `reward_lead` before the reward's expiry (marketing).
- TIER_CHANGED: an upgrade is announced; a downgrade only recorded (unless the policy says otherwise).
- CUSTOMER_UPDATED: profile facts (birthday "MM-DD", locale, country, tier, points balance) kept in
  state; a birthday arms a yearly timer to the next birthday, store-local time.
- PRODUCT_SUGGESTIONS: one marketing message with the products the platform picked.
- ORDER_CREATED (fanned out to this run by the routing): counts the order and restarts the win-back
  clock; `winback_after` without an order sends one win-back, and no other until a new order.
What the run learns about the customer is upserted into the customers table (`record_customer`)
so that campaigns can segment on it. Marketing goes through the delivery activity (consent, caps);
a message held by quiet hours is kept with its due time and retried by a timer, so one held message
never blocks the others. The run continues-as-new every `events_per_run` events (or when Temporal
suggests it), carrying its state: profile, points, orders, timers, held messages, dedupe memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.audience import AudienceActivities
    from activities.delivery import DeliveryActivities
    from domain.events import CommerceEvent, CustomerRef, EventType
    from domain.notifications import (
        Category,
        Channel,
        DeliveryReceipt,
        MessageRequest,
        MessageResult,
        MessageStatus,
    )
    from workflows import search_attributes as sa
    from workflows.customer_lifecycle_facts import (
        absorb_contact,
        learn_bought,
        learn_profile,
        pending_reward,
        record_order,
    )
    from workflows.customer_lifecycle_messages import (
        customer_facts,
        details,
        loyalty_context,
        next_due,
        recipient,
        reward_reminder,
        stage_of,
        waiting_messages,
    )
    from workflows.customer_lifecycle_state import (
        RECENT_MESSAGES,
        RECENT_TIMELINE,
        SEEN_EVENT_MEMORY,
        CustomerLifecycleInput,
        CustomerProfile,
        HeldMessage,
        LifecycleState,
        LifecycleStatus,
        PendingReward,
    )
    from workflows.messaging import Messenger, call
    from workflows.timeline import Timeline

# Patch: points earned without a count are the rise of the balance over the one the run knew.
POINTS_FROM_BALANCE_PATCH = "points-from-balance"
# Patch: an order already counted whose event names its products still updates the customers table.
AFFINITY_PATCH = "order-affinity"

# The models lived here before the split; the starter and the tests still import them from here.
__all__ = [
    "CustomerLifecycle",
    "CustomerLifecycleInput",
    "CustomerProfile",
    "HeldMessage",
    "LifecycleState",
    "LifecycleStatus",
    "PendingReward",
]


@workflow.defn
class CustomerLifecycle:
    @workflow.init
    def __init__(self, inp: CustomerLifecycleInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._s = inp.state.model_copy(deep=True) if inp.state else LifecycleState()
        self._timeline = Timeline(workflow.now)
        self._timeline.entries = self._s.timeline
        self._messenger = Messenger(self._timeline.note)
        self._messenger.messages = self._s.messages
        self._events_this_run = 0
        self._dirty = False  # facts the customers table has not heard yet
        self._stage: str | None = None

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        if event.event_id in self._s.seen:
            return
        self._s.seen = [*self._s.seen[-SEEN_EVENT_MEMORY + 1 :], event.event_id]
        self._s.pending.append(event)

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        self._messenger.apply_receipt(receipt)

    @workflow.query
    def status(self) -> LifecycleStatus:
        s = self._s
        return LifecycleStatus(
            workflow_id=workflow.info().workflow_id,
            customer_id=self._inp.customer_id,
            stage=self._current_stage(),
            profile=s.profile,
            orders_count=s.orders_count,
            last_order_at=s.last_order_at,
            next_birthday=s.birthday_occurrence,
            birthday_due=s.birthday_due,
            winback_due=s.winback_due,
            rewards=s.rewards,
            waiting=waiting_messages(s.held),
            messages=self._messenger.messages,
            timeline=self._timeline.entries,
            runs=s.runs,
            events_this_run=self._events_this_run,
        )

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: CustomerLifecycleInput) -> None:
        sa.upsert(platform=inp.platform.value, store=inp.store, customer_id=inp.customer_id)
        while True:
            while self._s.pending:
                event = self._s.pending.pop(0)
                self._events_this_run += 1
                await self._handle(event)
            await self._fire_due_timers()
            if self._dirty:
                self._dirty = False
                await call(AudienceActivities.record_customer, customer_facts(self._inp, self._s))
            self._set_stage()
            if not self._s.pending and self._time_to_continue():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._next_input())
            due = next_due(self._s)
            self._describe(due)
            timeout = max(due - workflow.now(), timedelta(0)) if due else None
            try:
                await workflow.wait_condition(lambda: bool(self._s.pending), timeout=timeout)
            except TimeoutError:
                pass

    def _time_to_continue(self) -> bool:
        return (
            self._events_this_run >= self._policy.events_per_run
            or workflow.info().is_continue_as_new_suggested()
        )

    def _next_input(self) -> CustomerLifecycleInput:
        state = self._s.model_copy(
            update={
                "messages": self._messenger.messages[-RECENT_MESSAGES:],
                "timeline": self._timeline.entries[-RECENT_TIMELINE:],
                "runs": self._s.runs + 1,
            }
        )
        return self._inp.model_copy(update={"state": state})

    # --- events --------------------------------------------------------------------------------

    async def _handle(self, event: CommerceEvent) -> None:
        self._timeline.note("event", event.raw_scope or event.type.value, event_id=event.event_id)
        self._absorb(event.customer)
        kind = event.type
        if kind is EventType.ORDER_CREATED:
            self._order(event)
        elif kind is EventType.CUSTOMER_UPDATED:
            self._profile_update(event)
        elif kind is EventType.POINTS_EARNED:
            await self._points(event)
        elif kind is EventType.REWARD_EXPIRING:
            await self._reward(event)
        elif kind is EventType.TIER_CHANGED:
            await self._tier(event)
        elif kind is EventType.PRODUCT_SUGGESTIONS:
            await self._suggestions(event)
        else:
            self._timeline.note("note", f"{kind.value}: nothing to do for a customer's lifecycle")

    def _absorb(self, ref: CustomerRef) -> None:
        if absorb_contact(self._s.profile, ref):
            self._dirty = True

    def _order(self, event: CommerceEvent) -> None:
        learned = learn_bought(self._s, event)
        counted = record_order(self._s, event)
        if counted is not None:
            self._timeline.note("note", f"order {counted} already counted")
            if learned and workflow.patched(AFFINITY_PATCH):
                self._dirty = True  # what was in it is news for the customers table
            return
        self._dirty = True
        self._arm_winback()

    def _profile_update(self, event: CommerceEvent) -> None:
        birthday_changed, refused = learn_profile(self._s, event)
        if refused:
            self._timeline.note("note", refused)
        if birthday_changed:
            self._arm_birthday()
        self._dirty = True

    async def _points(self, event: CommerceEvent) -> None:
        account, profile = event.account, self._s.profile
        points = account.points if account else None
        if (
            points is None
            and account is not None
            and account.balance is not None
            and profile.points_balance is not None
            and workflow.patched(POINTS_FROM_BALANCE_PATCH)
        ):
            # A platform that sends only the new balance (SAP's `loyaltyPoints`): the rise is earned.
            points = account.balance - profile.points_balance
        if account is not None and account.balance is not None:
            profile.points_balance = account.balance
        elif points is not None:
            profile.points_balance = (profile.points_balance or 0) + points
        if not points or points <= 0:
            self._timeline.note("note", "no points earned: nothing to tell")
            return
        await self._send(
            "points_earned",
            self._policy.points_category,
            self._policy.points_channels,
            {"points": points},
            suffix=event.event_id,
        )

    async def _reward(self, event: CommerceEvent) -> None:
        account = event.account
        if account is None or account.expires_at is None:
            self._timeline.note("note", "reward expiring without an expiry date: ignored")
            return
        now = workflow.now()
        if account.expires_at <= now:
            self._timeline.note("note", f"reward expired at {account.expires_at:%Y-%m-%d %H:%M}: too late")
            return
        reward = pending_reward(account, account.expires_at, self._policy, now)
        name = reward.reward
        self._s.rewards = sorted(
            [r for r in self._s.rewards if r.reward != name] + [reward], key=lambda r: r.remind_at
        )
        self._timeline.note("note", f"reward {name}: reminder due {reward.remind_at:%Y-%m-%d %H:%M:%S} UTC")

    async def _tier(self, event: CommerceEvent) -> None:
        account, profile = event.account, self._s.profile
        if account is None or not account.tier:
            self._timeline.note("note", "tier change without a tier: ignored")
            return
        previous = account.previous_tier or profile.tier
        profile.tier = account.tier
        self._dirty = True
        if previous and previous.strip().lower() == account.tier.strip().lower():
            return
        upgrade = self._policy.is_upgrade(account.tier, previous)
        if not upgrade and not self._policy.announce_downgrades:
            self._timeline.note("note", f"tier {previous} → {account.tier}: a downgrade, not announced")
            return
        await self._send(
            "tier_changed",
            Category.TRANSACTIONAL,  # membership status news, like an order update
            self._policy.tier_channels,
            {"tier": account.tier, "previous_tier": previous, "upgrade": upgrade},
            suffix=event.event_id,
        )

    async def _suggestions(self, event: CommerceEvent) -> None:
        products = [p for p in (event.account.products if event.account else []) if p.strip()]
        if not products:
            self._timeline.note("note", "suggestions without products: nothing to send")
            return
        await self._send(
            "suggestions",
            Category.MARKETING,
            self._policy.suggestion_channels,
            {"suggestions": products[:6]},
            suffix=event.event_id,
        )

    # --- timers --------------------------------------------------------------------------------

    def _arm_winback(self) -> None:
        s, now = self._s, workflow.now()
        if s.last_order_at is None or s.winback_sent_for == s.last_order_at:
            s.winback_due = None
            return
        s.winback_due = now + self._policy.wait(s.last_order_at + self._policy.winback_after - now)

    def _arm_birthday(self) -> None:
        s, now = self._s, workflow.now()
        assert s.profile.birthday is not None
        s.birthday_occurrence = self._policy.next_birthday(s.profile.birthday, now)
        s.birthday_due = now + self._policy.wait(s.birthday_occurrence - now)
        self._timeline.note(
            "note", f"next birthday {s.birthday_occurrence:%Y-%m-%d}, offer due {s.birthday_due:%H:%M:%S} UTC"
        )

    async def _fire_due_timers(self) -> None:
        s = self._s
        now = workflow.now()
        for held in [h for h in s.held if h.not_before <= now]:
            s.held.remove(held)
            await self._deliver(held.request)
        for reward in [r for r in s.rewards if r.remind_at <= now]:
            s.rewards.remove(reward)
            await self._send(
                "reward_expiring",
                Category.MARKETING,
                self._policy.reward_channels,
                reward_reminder(reward),
                suffix=reward.reward,
                link=reward.link,
            )
        if s.birthday_due is not None and s.birthday_due <= now and s.birthday_occurrence is not None:
            await self._birthday()
        if s.winback_due is not None and s.winback_due <= now and s.last_order_at is not None:
            s.winback_due = None
            s.winback_sent_for = s.last_order_at
            await self._send(
                "winback",
                Category.MARKETING,
                self._policy.winback_channels,
                {"offer_code": self._policy.winback_code, "last_order_at": s.last_order_at.isoformat()},
                suffix=f"{s.last_order_at:%Y%m%dT%H%M%S}",
            )

    async def _birthday(self) -> None:
        s = self._s
        assert s.birthday_occurrence is not None and s.birthday_due is not None
        assert s.profile.birthday is not None
        occurrence, due = s.birthday_occurrence, s.birthday_due
        # Next year's, anchored on this one's due time so a late send does not shift every year after.
        s.birthday_occurrence = self._policy.next_birthday(s.profile.birthday, occurrence)
        s.birthday_due = due + self._policy.wait(s.birthday_occurrence - occurrence)
        await self._send(
            "birthday",
            Category.MARKETING,
            self._policy.birthday_channels,
            {"offer_code": self._policy.birthday_code},
            suffix=str(occurrence.year),
        )

    # --- sending -------------------------------------------------------------------------------

    async def _send(
        self,
        step: str,
        category: Category,
        channels: list[Channel],
        loyalty: dict[str, Any],
        *,
        suffix: str,
        link: str | None = None,
    ) -> None:
        wf = workflow.info().workflow_id
        profile = self._s.profile
        context = loyalty_context(profile, link or self._policy.store_url, loyalty)
        await self._deliver(
            MessageRequest(
                key=f"{wf}:{step}:{suffix}",
                workflow_id=wf,
                journey="loyalty",
                step=step,
                category=category,
                channels=channels,
                recipient=recipient(self._inp, profile),
                context=context,
                customer_key=f"{self._inp.platform.value}:{self._inp.store}:{self._inp.customer_id}",
                policy=self._policy.delivery,
            )
        )

    async def _deliver(self, request: MessageRequest) -> None:
        """One send; a message quiet hours hold back waits in `held` for its timer, not in line."""
        try:
            result = await call(
                DeliveryActivities.send_message, request.model_copy(update={"now": workflow.now()})
            )
        except ActivityError as err:
            result = MessageResult(key=request.key, status=MessageStatus.FAILED, reason=str(err.cause or err))
        step = f"{request.journey}/{request.step}"
        if result.status is MessageStatus.DEFERRED and result.not_before is not None:
            reason = result.reason or "quiet hours"
            self._s.held.append(HeldMessage(request=request, not_before=result.not_before, reason=reason))
            self._timeline.note("message", f"{step}: waiting, {reason}", message_key=request.key)
            return
        self._messenger.messages.append(result)
        summary = f"{step}: {result.status}" + (f" by {result.channel}" if result.channel else "")
        if result.reason:
            summary += f" ({result.reason})"
        self._timeline.note(
            "message", summary, message_key=request.key, channel=result.channel, status=result.status
        )

    # --- bookkeeping ---------------------------------------------------------------------------

    def _current_stage(self) -> str:
        return stage_of(self._s)

    def _set_stage(self) -> None:
        stage = self._current_stage()
        if stage != self._stage:
            self._stage = stage
            sa.upsert(stage=stage)

    def _describe(self, due: datetime | None) -> None:
        sent = self._messenger.sent_count()
        workflow.set_current_details(details(self._inp, self._s, due, sent))
