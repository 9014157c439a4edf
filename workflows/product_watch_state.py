"""ProductWatch's models: its input, the state it carries across continue-as-new, its status, and the
watch list with its rules of who is due for which message (pure, so the workflow only orchestrates)."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    field_serializer,
    field_validator,
    model_serializer,
)

from domain.events import CommerceEvent, Platform, WatchKind
from domain.notifications import Channel, MessageResult, Recipient
from domain.watch_policy import WatchPolicy
from workflows.timeline import TimelineEntry


class Watch(BaseModel):
    """One customer's wish about the product, per kind. Restock N tells the back-in-stock watches
    made before it (`since_restock` < N) once; a told (or bought) one is fulfilled and dropped when the
    product sells out again. Price-drop watches stay until unsubscribed."""

    customer_id: str
    kind: WatchKind
    channel: Channel
    subscribed_at: datetime
    since_restock: int  # restocks counted when the watch was made
    since_drop: int = 0  # price drops counted when the watch was made
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    push_token: str | None = None
    locale: str | None = None
    event_id: str | None = None  # forgotten by the dedupe once the watch ends, so it can be made again
    handled_restock: int = 0  # the last restock this watch was dealt with in (sent, refused or bought)
    notified_restock: int = 0  # the last restock it was told of (and so may hear "only a few left")
    nudged_restock: int = 0  # the last restock it heard "only a few left" in
    handled_drop: int = 0
    fulfilled: bool = False
    retry_at: datetime | None = None  # quiet hours: not before then

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Thousands of these travel in the continue-as-new input: leave out what equals the default.
        data: dict[str, Any] = handler(self)
        fields = type(self).model_fields
        return {k: v for k, v in data.items() if v is not None and fields[k].default != v}

    def recipient(self) -> Recipient:
        return Recipient(
            customer_id=self.customer_id,
            name=self.name,
            email=self.email,
            phone=self.phone,
            push_token=self.push_token,
            locale=self.locale,
        )


PACKED = "zlib+base64:"


class Unsubscription(BaseModel):
    customer_id: str
    kind: WatchKind | None = None  # None: every watch of the customer on this product


class InboxItem(BaseModel):
    """Work the run takes in order: platform events and unsubscriptions."""

    event: CommerceEvent | None = None
    unsubscribe: Unsubscription | None = None


class Totals(BaseModel):
    sent: int = 0
    suppressed: int = 0  # refused by consent or cap, or nothing to send on
    failed: int = 0
    skipped_bought: int = 0  # bought the product meanwhile: no back-in-stock news
    deferred: int = 0  # waited out quiet hours
    delivered: int = 0  # receipts
    undelivered: int = 0


class WatchState(BaseModel):
    """Everything a run hands to the next one when it continues as new."""

    chain: str | None = None  # the first run's id, short: keys never repeat an earlier entity's
    # Packed in the payload: a hot product's thousands of watches stay far below Temporal's payload
    # limits (2 000 watches: ~450 kB of JSON, ~30 kB packed). The status query gives the counts.
    watches: list[Watch] = Field(default_factory=list)
    stock: int | None = None
    stock_probed: bool = False  # the stock was read once for lack of an event telling it
    price: Decimal | None = None
    currency: str | None = None
    name: str | None = None
    url: str | None = None
    facts_read: bool = False  # catalog facts (name, link) were read once
    restocks: int = 0
    restocked_at: datetime | None = None
    out_since: datetime | None = None
    announcing: bool = False  # back-in-stock watches of the current restock may be pending
    low_restock: int | None = None  # the restock in which stock ran low: "only a few left" is due
    low_alerted: bool = False  # merchandising heard of the current low-stock episode
    low_episodes: int = 0
    alert_due: bool = False
    sellouts: int = 0  # sold-out episodes merchandising was told of
    sellout_due: bool = False  # the current sellout's alert is still to send
    drops: int = 0
    drop_from: Decimal | None = None
    drop_to: Decimal | None = None
    drop_active: bool = False
    seen: list[str] = Field(default_factory=list)
    inbox: list[InboxItem] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    last_activity: datetime | None = None
    runs: int = 1
    timeline: list[TimelineEntry] = Field(default_factory=list)

    @field_serializer("watches", when_used="json")
    def _pack(self, watches: list[Watch]) -> str:
        return PACKED + base64.b64encode(zlib.compress(_WATCH_LIST.dump_json(watches), 6)).decode()

    @field_validator("watches", mode="before")
    @classmethod
    def _unpack(cls, value: Any) -> Any:
        if isinstance(value, str) and value.startswith(PACKED):
            return json.loads(zlib.decompress(base64.b64decode(value.removeprefix(PACKED))))
        return value


_WATCH_LIST = TypeAdapter(list[Watch])


class ProductWatchInput(BaseModel):
    platform: Platform
    store: str
    sku: str
    policy: WatchPolicy = Field(default_factory=WatchPolicy)
    state: WatchState | None = None  # set by continue-as-new


class WatchStatus(BaseModel):
    workflow_id: str
    sku: str
    name: str | None
    stock: int | None
    price: str | None
    currency: str | None
    restocks: int
    stage: str  # in_stock, low_stock, sold_out, unknown
    subscribers: int  # customers with an open watch
    waiting_back_in_stock: int
    watching_price: int
    announcing: bool  # a restock is being told
    pending: list[str]  # work queued: events, an alert, messages still to send per step
    totals: Totals
    runs: int  # this run's number: 1 + continue-as-new so far
    messages: list[MessageResult]  # single messages of this run (alerts, reservations)
    timeline: list[TimelineEntry]


BACK_IN_STOCK, LOW_STOCK, PRICE_DROP = "back_in_stock", "low_stock", "price_drop"
BATCH_STEPS = (BACK_IN_STOCK, LOW_STOCK, PRICE_DROP)  # the messages that go to many, in this order

WatchKey = tuple[str, WatchKind]


class Watchers:
    """The watches by customer and kind, oldest first, and those being sent right now."""

    def __init__(self, watches: list[Watch]) -> None:
        self._by_key: dict[WatchKey, Watch] = {(w.customer_id, w.kind): w for w in watches}
        self.sending: set[WatchKey] = set()

    def all(self) -> list[Watch]:
        return list(self._by_key.values())

    def get(self, customer_id: str, kind: WatchKind) -> Watch | None:
        return self._by_key.get((customer_id, kind))

    def add(self, watch: Watch) -> None:
        """A new watch goes to the back of the line (replacing a fulfilled one of the same kind)."""
        self._by_key.pop((watch.customer_id, watch.kind), None)
        self._by_key[(watch.customer_id, watch.kind)] = watch

    def remove(self, customer_id: str, kind: WatchKind | None) -> list[Watch]:
        keys = [k for k in self._by_key if k[0] == customer_id and kind in (None, k[1])]
        return [self._by_key.pop(k) for k in keys]

    def prune(self) -> None:
        """Fulfilled watches are kept only until the product sells out (or restocks) again."""
        self._by_key = {k: w for k, w in self._by_key.items() if not w.fulfilled}

    def open(self) -> list[Watch]:
        return [w for w in self._by_key.values() if not w.fulfilled]

    def customers(self) -> int:
        return len({w.customer_id for w in self.open()})

    def waiting(self) -> int:
        return sum(1 for w in self.open() if w.kind is WatchKind.BACK_IN_STOCK)

    def candidates(self, step: str, s: WatchState) -> list[Watch]:
        """Who the step still has to tell (including those being sent and those held back)."""
        watches = self._by_key.values()
        if step == BACK_IN_STOCK and s.announcing:
            return [
                w
                for w in watches
                if w.kind is WatchKind.BACK_IN_STOCK
                and not w.fulfilled
                and w.since_restock < s.restocks
                and w.handled_restock < s.restocks
            ]
        if step == LOW_STOCK and s.low_restock is not None and s.low_restock == s.restocks:
            return [
                w
                for w in watches
                if w.kind is WatchKind.BACK_IN_STOCK
                and w.notified_restock == s.restocks
                and w.nudged_restock < s.restocks
            ]
        if step == PRICE_DROP and s.drop_active:
            return [
                w
                for w in watches
                if w.kind is WatchKind.PRICE_DROP and w.since_drop < s.drops and w.handled_drop < s.drops
            ]
        return []

    def due(self, step: str, s: WatchState, now: datetime) -> tuple[list[Watch], datetime | None]:
        """The step's watches to send now, and when the first one held back by quiet hours is due."""
        due, later = [], []
        for w in self.candidates(step, s):
            if (w.customer_id, w.kind) in self.sending:
                continue
            if w.retry_at is None or w.retry_at <= now:
                due.append(w)
            else:
                later.append(w.retry_at)
        return due, min(later, default=None)

    @staticmethod
    def done(step: str, watch: Watch, number: int, *, sent: bool, bought: bool, few_left: bool) -> bool:
        """Record that the step's message number `number` (the restock or price drop it was about)
        dealt with the watch. True when the watch's wish came true (told or bought): it ends, and its
        event id may be forgotten."""
        if step == PRICE_DROP:
            watch.handled_drop = number
            return False
        if step == LOW_STOCK:
            watch.nudged_restock = number
            return False
        watch.handled_restock = number
        if sent:
            watch.notified_restock = number
            if few_left:  # the news said so already
                watch.nudged_restock = number
        # A refused or failed message leaves the wish for the next restock.
        watch.fulfilled = sent or bought
        return watch.fulfilled
