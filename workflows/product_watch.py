"""ProductWatch: one long-lived entity per SKU (`product:{platform}:{store}:{sku}`).

Customers watch the product for a restock or a price drop (PRODUCT_WATCHED from the platform or the
subscriptions API). When the available quantity goes from none to some, the back-in-stock watchers
are told in batches on the bulk task queue, whose activity rate limit paces the sends at the store's
send rate. The stock is read again before each batch (sold out again: the rest wait for the next
restock) and those who bought the product meanwhile are skipped. Each watcher hears of a restock once
(the message key holds the restock number). Stock at or below the policy threshold alerts
merchandising and tells the restock's watchers "only a few left", once per restock. A price drop of
at least the policy percentage goes to price watchers while the product is in stock; the holder of a
reservation about to expire hears of it (transactional).

Signals only queue work; the run takes it in order: one event, one alert, or the dispatch of one
batch. The next batch is dispatched (stock re-read, buyers skipped) once half of the previous one is
out, so the bulk queue never runs dry and at most one and a half batches are queued when the product
sells out. Before its history grows large the run continues as new, carrying watchers, stock, price
and the dedupe memory. With no watcher left and nothing happening for the policy's idle time, it ends.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.delivery import DeliveryActivities
    from domain.events import CommerceEvent, EventType, ProductPayload, WatchKind
    from domain.notifications import (
        DeliveryReceipt,
        DeliveryState,
        MessageRequest,
        MessageResult,
        MessageStatus,
    )
    from workflows import search_attributes as sa
    from workflows.messaging import ACTIVITY_GIVE_UP, ACTIVITY_RETRY, ACTIVITY_TIMEOUT, Messenger
    from workflows.product_watch_messages import (
        batch_request,
        details,
        low_stock_alert,
        pick_channel,
        reservation_request,
        sold_out_alert,
        stage_name,
    )
    from workflows.product_watch_reads import ProductReads
    from workflows.product_watch_state import (
        BACK_IN_STOCK,
        BATCH_STEPS,
        LOW_STOCK,
        PRICE_DROP,
        InboxItem,
        ProductWatchInput,
        Unsubscription,
        Watch,
        Watchers,
        WatchState,
        WatchStatus,
    )
    from workflows.timeline import Timeline

SENT = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED})
# Price changes that carry no price (BigCommerce) are read from the catalog; older runs skipped them.
PRICE_READ_PATCH = "price-read"
# Patch: a sellout (stock reaches 0, from whatever it was) alerts merchandising, on every platform.
SELLOUT_ALERT_PATCH = "sellout-alert"


@workflow.defn
class ProductWatch:
    @workflow.init
    def __init__(self, inp: ProductWatchInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._s = inp.state.model_copy(deep=True) if inp.state else WatchState(last_activity=workflow.now())
        self._s.chain = self._s.chain or workflow.info().run_id[:8]
        self._timeline = Timeline(workflow.now)
        self._timeline.entries = self._s.timeline
        self._messenger = Messenger(self._note)
        self._reads = ProductReads(inp, self._note)
        self._watchers = Watchers(self._s.watches)
        self._batches: set[asyncio.Task[None]] = set()
        self._broken: list[BaseException] = []  # a batch that failed for a reason other than its sends
        self._landings = 0  # batches landed
        self._stage: str | None = None

    # --- signals and queries -------------------------------------------------------------------

    @workflow.signal
    def commerce_event(self, event: CommerceEvent) -> None:
        s = self._s
        if event.event_id in s.seen:
            return
        s.seen = [*s.seen[-self._policy.seen_event_memory + 1 :], event.event_id]
        s.inbox.append(InboxItem(event=event))
        s.last_activity = workflow.now()

    @workflow.signal
    def unsubscribe(self, request: Unsubscription) -> None:
        self._s.inbox.append(InboxItem(unsubscribe=request))
        self._s.last_activity = workflow.now()

    @workflow.signal
    def delivery_receipt(self, receipt: DeliveryReceipt) -> None:
        if receipt.state is DeliveryState.PENDING or self._messenger.apply_receipt(receipt):
            return
        # A batch message: only counted, bulk sends keep no list.
        if receipt.state is DeliveryState.DELIVERED:
            self._s.totals.delivered += 1
        else:
            self._s.totals.undelivered += 1

    @workflow.query
    def status(self) -> WatchStatus:
        s, open_watches = self._s, self._watchers.open()
        return WatchStatus(
            workflow_id=workflow.info().workflow_id,
            sku=self._inp.sku,
            name=s.name,
            stock=s.stock,
            price=str(s.price) if s.price is not None else None,
            currency=s.currency,
            restocks=s.restocks,
            stage=self._stage_name(),
            subscribers=self._watchers.customers(),
            waiting_back_in_stock=sum(1 for w in open_watches if w.kind is WatchKind.BACK_IN_STOCK),
            watching_price=sum(1 for w in open_watches if w.kind is WatchKind.PRICE_DROP),
            announcing=s.announcing,
            pending=self._pending(),
            totals=s.totals,
            runs=s.runs,
            messages=self._messenger.messages,
            timeline=self._timeline.entries,
        )

    def _pending(self) -> list[str]:
        s = self._s
        pending = [f"{len(s.inbox)} event(s)"] if s.inbox else []
        if s.alert_due or s.sellout_due:
            pending.append("merchandising alert")
        for step in BATCH_STEPS:
            if waiting := len(self._watchers.candidates(step, s)):
                pending.append(f"{step}: {waiting} to tell")
        if self._watchers.sending:
            pending.append(f"{len(self._watchers.sending)} being sent")
        return pending

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: ProductWatchInput) -> WatchStatus:
        sa.upsert(platform=inp.platform.value, store=inp.store, sku=inp.sku)
        self._set_stage()
        if inp.state is not None:
            carried = len(self._watchers.all())
            self._note("note", f"continued as new: run {self._s.runs}, {carried} watch(es) carried")
        while True:
            self._describe()
            if not await self._next_work():
                # Idle with nobody watching. A signal may still be on its way in: take it first.
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._s.inbox and not self._watchers.open():
                    break
                continue
            if self._continue_as_new_due():
                # The batches under way belong to this run: let them land first.
                await workflow.wait_condition(lambda: not self._batches)
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    ProductWatchInput(
                        platform=inp.platform,
                        store=inp.store,
                        sku=inp.sku,
                        policy=self._policy,
                        state=self._carried(),
                    )
                )
        self._note("outcome", f"no watchers and idle for {self._policy.idle_after}: ended")
        self._describe("ended")
        return self.status()

    async def _next_work(self) -> bool:
        """Do one thing: take an event, send the alert, or dispatch a batch. False when the entity
        has been idle long enough to end."""
        while not self._has_work():
            if not await self._wait_for_work():
                return False
        if self._broken:  # a bug, not a send that failed: fail the workflow task, to be retried
            raise self._broken[0]
        s = self._s
        if s.inbox:
            await self._take(s.inbox.pop(0))
        elif s.alert_due:
            s.alert_due = False
            await self._alert_merchandising()
        elif s.sellout_due:
            s.sellout_due = False
            await self._alert_sellout()
        elif (step := self._dispatchable()) is not None:
            await self._dispatch(step)
        self._settle()
        return True

    async def _wait_for_work(self) -> bool:
        """Until there is work, a batch lands or the wait's limit passes. A landing may hold messages
        back (quiet hours) or end the last watch, both of which change the limit: so it ends the wait
        too. False when the entity has been idle long enough to end."""
        landed = self._landings
        try:
            await workflow.wait_condition(
                lambda: self._has_work() or self._landings != landed, timeout=self._wait_limit()
            )
        except TimeoutError:
            return self._has_work() or not self._idle_over()
        return True

    def _has_work(self) -> bool:
        s = self._s
        return (
            bool(s.inbox or self._broken) or s.alert_due or s.sellout_due or self._dispatchable() is not None
        )

    def _dispatchable(self) -> str | None:
        """The step with watches due, once at most half a batch is still going out."""
        if len(self._watchers.sending) > self._policy.batch_size // 2:
            return None
        now = workflow.now()
        return next((step for step in BATCH_STEPS if self._watchers.due(step, self._s, now)[0]), None)

    def _wait_limit(self) -> timedelta | None:
        """Until the first message held back by quiet hours is due; with no watchers, until idle."""
        now = workflow.now()
        retries = [t for step in BATCH_STEPS if (t := self._watchers.due(step, self._s, now)[1])]
        if retries:
            return max(min(retries) - now, timedelta(0))
        if self._watchers.open() or self._batches:
            return None
        return max(self._idle_deadline() - now, timedelta(0))

    def _idle_deadline(self) -> datetime:
        return (self._s.last_activity or workflow.now()) + self._policy.idle_after

    def _idle_over(self) -> bool:
        return not self._watchers.open() and not self._batches and workflow.now() >= self._idle_deadline()

    def _continue_as_new_due(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._policy.max_history_events
        )

    def _carried(self) -> WatchState:
        return self._s.model_copy(
            update={
                "watches": self._watchers.all(),
                "timeline": self._timeline.entries[-self._policy.timeline_memory :],
                "runs": self._s.runs + 1,
            }
        )

    # --- events --------------------------------------------------------------------------------

    async def _take(self, item: InboxItem) -> None:
        if item.unsubscribe is not None:
            self._unsubscribe(item.unsubscribe)
            return
        event = item.event
        assert event is not None
        self._note("event", event.raw_scope or event.type.value, event_id=event.event_id)
        product = event.product
        if product is None:
            self._note("note", f"{event.type.value} names no product: ignored")
            return
        s = self._s
        s.name, s.url = product.name or s.name, product.url or s.url
        s.currency = product.currency or s.currency
        if event.type is EventType.PRODUCT_WATCHED:
            await self._subscribe(event, product)
        elif event.type is EventType.INVENTORY_CHANGED:
            await self._inventory(product)
        elif event.type is EventType.PRICE_CHANGED:
            await self._price(product)
        elif event.type is EventType.RESERVATION_EXPIRING:
            await self._reservation(event, product)
        else:
            self._note("note", f"{event.type.value} is not a product event: ignored")

    async def _subscribe(self, event: CommerceEvent, product: ProductPayload) -> None:
        s, who = self._s, event.customer
        customer_id = who.customer_id or who.email or who.phone
        if not customer_id:
            self._note("note", "a watch without a customer: ignored")
            return
        kind = product.watch or WatchKind.BACK_IN_STOCK
        token = event.extra.get("push_token")
        push_token = token if isinstance(token, str) else None
        channel, unknown = pick_channel(product.channel, bool(who.email), bool(who.phone), bool(push_token))
        if unknown:
            self._note("note", f"unknown channel {product.channel!r}: using the customer's addresses")
        contact: dict[str, Any] = {
            "name": who.name,
            "email": who.email,
            "phone": who.phone,
            "push_token": push_token,
            "locale": who.locale,
        }
        old = self._watchers.get(customer_id, kind)
        if old is not None and not old.fulfilled:
            for field, value in contact.items():
                if value:
                    setattr(old, field, value)
            old.channel = channel
            self._note("note", f"customer {customer_id} renewed their {kind.value} watch ({channel.value})")
            return
        self._watchers.add(
            Watch(
                customer_id=customer_id,
                kind=kind,
                channel=channel,
                subscribed_at=workflow.now(),
                since_restock=s.restocks,
                since_drop=s.drops,
                event_id=event.event_id,
                **contact,
            )
        )
        self._note("note", f"customer {customer_id} watches for {kind.value} by {channel.value}")
        if kind is WatchKind.BACK_IN_STOCK and s.stock is None:
            # Learn the stock (not a change of it), so that the next inventory event tells a restock.
            if product.available is not None:
                s.stock = product.available
            elif not s.stock_probed:
                s.stock_probed = True
                s.stock = await self._read_stock()
            self._set_stage()

    def _unsubscribe(self, request: Unsubscription) -> None:
        gone = self._watchers.remove(request.customer_id, request.kind)
        for watch in gone:
            self._forget(watch)
        what = request.kind.value if request.kind else "every watch"
        self._note("note", f"customer {request.customer_id} unsubscribed ({what}): {len(gone)} ended")

    def _forget(self, watch: Watch) -> None:
        """The watch is over: the same request later is a new watch, not a duplicate."""
        if watch.event_id in self._s.seen:
            self._s.seen.remove(watch.event_id)

    async def _inventory(self, product: ProductPayload) -> None:
        available = product.available
        if available is None:
            available = await self._read_stock()
            if available is None:
                self._note("note", "stock not in the event and not readable: nothing to judge")
                return
        previous = self._s.stock if self._s.stock is not None else product.previous_available
        self._apply_stock(available, previous)

    def _apply_stock(self, available: int, previous: int | None) -> None:
        s = self._s
        s.stock = available
        self._set_stage()
        if available <= 0:
            if previous is None or previous > 0:
                self._sold_out()
            return
        # Unknown before: a restock for those waiting (they asked to hear when it is available).
        if (previous is not None and previous <= 0) or (previous is None and self._watchers.waiting()):
            s.restocks += 1
            s.restocked_at = workflow.now()
            s.announcing, s.low_restock = True, None
            self._watchers.prune()
            waiting = self._watchers.waiting()
            self._note("note", f"restock #{s.restocks}: {available} available, {waiting} waiting to hear")
        if available > self._policy.low_stock_threshold:
            s.low_alerted = False  # the next time it runs low is news again
            return
        if not s.low_alerted:
            s.low_alerted, s.alert_due = True, True
            s.low_episodes += 1
        if s.restocks and s.low_restock != s.restocks:
            s.low_restock = s.restocks
            self._note("note", f"low stock: {available} left")

    def _sold_out(self) -> None:
        s = self._s
        s.out_since = workflow.now()
        s.announcing = s.drop_active = s.low_alerted = False
        s.low_restock = None
        self._watchers.prune()
        self._note("note", f"sold out: {self._watchers.waiting()} waiting for the next restock")
        if workflow.patched(SELLOUT_ALERT_PATCH):
            s.sellouts += 1
            s.sellout_due = True

    async def _price(self, product: ProductPayload) -> None:
        s = self._s
        if product.price is None and workflow.patched(PRICE_READ_PATCH):
            product = product.model_copy(update={"price": await self._reads.price()})  # thin webhooks
        if product.price is None:
            self._note("note", "price change without a price: skipped")
            return
        before = s.price if s.price is not None else product.previous_price
        s.price = product.price
        if before is None or before <= 0 or product.price >= before:
            self._note("note", f"price {product.price}")
            return
        percent = (before - product.price) / before * 100
        change = f"{before} → {product.price} (-{percent:.1f}%)"
        if percent < self._policy.price_drop_percent:
            self._note("note", f"price {change}: too small to tell")
            return
        stock = s.stock
        if stock is None:
            stock = s.stock = await self._read_stock()
            self._set_stage()
        if stock is not None and stock <= 0:
            self._note("note", f"price drop {change} ignored: out of stock")
            return
        s.drops += 1
        s.drop_from, s.drop_to, s.drop_active = before, product.price, True
        self._note("note", f"price drop #{s.drops}: {change}")

    async def _reservation(self, event: CommerceEvent, product: ProductPayload) -> None:
        who, until = event.customer, product.reserved_until
        holder = who.customer_id or who.email or who.phone
        token = event.extra.get("push_token")
        if not holder:
            self._note("note", "a reservation without its holder: nobody to tell")
            return
        if until is not None and until <= workflow.now():
            self._note("note", f"reservation of {holder} already expired: not told")
            return
        await self._read_facts()
        wf = workflow.info().workflow_id
        which = f"{until:%Y%m%dT%H%M%S}" if until else event.event_id
        await self._messenger.send(
            reservation_request(self._inp, self._s, wf, who, holder, which, token, until)
        )

    async def _alert_merchandising(self) -> None:
        s = self._s
        wf = workflow.info().workflow_id
        await self._read_facts()
        self._note("alert", f"merchandising alerted: {s.stock} left")
        await self._messenger.send(low_stock_alert(self._inp, s, wf))

    async def _alert_sellout(self) -> None:
        await self._read_facts()
        self._note("alert", "merchandising alerted: sold out")
        await self._messenger.send(sold_out_alert(self._inp, self._s, workflow.info().workflow_id))

    # --- batches -------------------------------------------------------------------------------

    def _settle(self) -> None:
        """Close the campaigns that have nobody left to tell."""
        s, candidates = self._s, self._watchers.candidates
        if s.announcing and not candidates(BACK_IN_STOCK, s):
            s.announcing = False
            self._note("note", f"restock #{s.restocks}: every watcher dealt with")
        # While the restock is still told, its news may yet need the nudge: keep the flag till then.
        if s.low_restock is not None and not s.announcing and not candidates(LOW_STOCK, s):
            s.low_restock = None
        if s.drop_active and not candidates(PRICE_DROP, s):
            s.drop_active = False

    async def _dispatch(self, step: str) -> None:
        """Re-read the stock, skip the buyers, and hand one batch to the bulk queue."""
        s = self._s
        fresh = await self._read_stock()
        if fresh is not None:
            self._apply_stock(fresh, s.stock)  # sold out again: the step has nobody due any more
        batch = self._watchers.due(step, s, workflow.now())[0][: self._policy.batch_size]
        if not batch:
            return
        await self._read_facts()
        bought: set[str] = set()
        if step != PRICE_DROP:
            bought = await self._purchased(batch, s.out_since if step == BACK_IN_STOCK else s.restocked_at)
        few_left = step == BACK_IN_STOCK and s.low_restock == s.restocks
        number = s.drops if step == PRICE_DROP else s.restocks
        for watch in batch:
            if watch.customer_id in bought:
                s.totals.skipped_bought += 1
                if Watchers.done(step, watch, number, sent=False, bought=True, few_left=False):
                    self._forget(watch)
        sending = [w for w in batch if w.customer_id not in bought]
        self._watchers.sending.update((w.customer_id, w.kind) for w in sending)
        task = asyncio.create_task(
            self._send_batch(step, number, sending, few_left, len(batch) - len(sending))
        )
        self._batches.add(task)
        task.add_done_callback(self._landed)

    def _landed(self, task: asyncio.Task[None]) -> None:
        self._batches.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._broken.append(task.exception())  # type: ignore[arg-type]

    async def _send_batch(
        self, step: str, number: int, batch: list[Watch], few_left: bool, bought: int
    ) -> None:
        results = await asyncio.gather(*(self._send_one(step, number, w, few_left) for w in batch))
        counts = {status: sum(1 for r in results if r.status is status) for status in MessageStatus}
        summary = ", ".join(f"{n} {status.value}" for status, n in counts.items() if n) or "nothing sent"
        skipped = f", {bought} bought it meanwhile" if bought else ""
        self._note("message", f"{step} #{number}: batch of {len(batch) + bought}: {summary}{skipped}")
        self._settle()
        self._landings += 1

    async def _send_one(self, step: str, number: int, watch: Watch, few_left: bool) -> MessageResult:
        """One send of a batch; its slot frees as soon as it lands, so the next batch can follow."""
        s = self._s
        result = await self._bulk_send(self._request(step, number, watch, few_left))
        self._watchers.sending.discard((watch.customer_id, watch.kind))
        if result.status is MessageStatus.DEFERRED and result.not_before is not None:
            watch.retry_at = result.not_before
            s.totals.deferred += 1
            return result
        watch.retry_at = None
        sent = result.status in SENT
        s.totals.sent += sent
        s.totals.failed += result.status is MessageStatus.FAILED
        s.totals.suppressed += result.status is MessageStatus.SUPPRESSED
        if Watchers.done(step, watch, number, sent=sent, bought=False, few_left=few_left):
            self._forget(watch)
        return result

    def _request(self, step: str, number: int, watch: Watch, few_left: bool) -> MessageRequest:
        wf = workflow.info().workflow_id
        return batch_request(self._inp, self._s, wf, workflow.now(), step, number, watch, few_left)

    async def _bulk_send(self, request: MessageRequest) -> MessageResult:
        try:
            return await workflow.execute_activity_method(
                DeliveryActivities.send_message,
                request,
                task_queue=self._policy.bulk_task_queue,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                schedule_to_close_timeout=ACTIVITY_GIVE_UP,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as err:
            return MessageResult(key=request.key, status=MessageStatus.FAILED, reason=str(err.cause or err))

    # --- platform reads ------------------------------------------------------------------------

    async def _read_stock(self) -> int | None:
        return await self._reads.stock()

    async def _purchased(self, batch: list[Watch], since: datetime | None) -> set[str]:
        return await self._reads.purchased(batch, since)

    async def _read_facts(self) -> None:
        await self._reads.facts(self._s)

    # --- helpers -------------------------------------------------------------------------------

    def _note(self, kind: str, summary: str, **details: Any) -> None:
        self._timeline.note(kind, summary, **details)
        memory = self._policy.timeline_memory
        if len(self._timeline.entries) > memory:
            del self._timeline.entries[:-memory]

    def _stage_name(self) -> str:
        return stage_name(self._s.stock, self._policy.low_stock_threshold)

    def _set_stage(self) -> None:
        stage = self._stage_name()
        if stage != self._stage:
            self._stage = stage
            sa.upsert(stage=stage)

    def _describe(self, state: str | None = None) -> None:
        subscribers = self._watchers.customers()
        workflow.set_current_details(details(self._inp, self._s, state, subscribers))
