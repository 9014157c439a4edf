"""The sandbox's whole memory: messages received, tokens issued, faults set, seeded platform data.

In memory on purpose: the sandbox is a test double, and a restart giving a clean slate is a feature.
One instance lives on `app.state.sandbox`; every handler reaches it through `get_state`.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, Field

from connectors.opentext.callbacks import DEFAULT_CALLBACK_HEADER
from connectors.sandbox.faults import FaultConfig
from domain.notifications import Channel


class MessageRecord(BaseModel):
    """One message to one destination, as the sandbox received it (base64 parts decoded)."""

    channel: Channel
    to: str
    text: str | None = None  # SMS text or push body
    subject: str | None = None  # email
    html: str | None = None  # email HTML part
    body: str | None = None  # email plain-text part
    title: str | None = None  # push
    reference: str | None = None  # customer_reference: our message key
    received_at: datetime
    job_id: str
    # "sent" when accepted; "delivered" once the status callback reports it, "failed" when the
    # address is in the faults' `undeliverable` list.
    status: Literal["sent", "delivered", "failed"] = "sent"
    ref: str | None = None  # the destination's own `ref`
    submit_id: str | None = None  # the X-MRA-SubmitId header
    from_name: str | None = None  # email
    image: str | None = None  # push
    link: str | None = None  # push
    data: dict[str, str] = Field(default_factory=dict)  # push data map


class ReplyRecord(BaseModel):
    """A simulated customer message to us (`POST /sandbox/reply`) and what the ingress made of it."""

    channel: Channel
    sender: str  # the customer's phone, email or push token
    to: str | None = None
    text: str
    received_at: datetime
    message_id: str
    reference: str | None = None  # the message key replied to
    action: str | None = None  # push action id
    callback_status: int | None = None  # the ingress's HTTP status; None when it was not reached
    callback_error: str | None = None


class CallbackAttempt(BaseModel):
    """One POST of a callback to the ingress (`GET /sandbox/callbacks`)."""

    kind: Literal["status", "inbound"]
    url: str
    attempt: int  # 1 for the first try of this callback
    job_id: str | None = None  # status callbacks
    message_id: str | None = None  # inbound callbacks
    status_code: int | None = None  # None: no HTTP answer (connection error, timeout)
    error: str | None = None
    at: datetime


@dataclass
class SeededOrder:
    """A BigCommerce V2 order and its sub-resources, which BigCommerce serves from separate URLs."""

    order: dict[str, Any]
    products: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    shipping_addresses: list[dict[str, Any]] = field(default_factory=list)


def utc_now() -> datetime:
    return datetime.now(UTC)


class SandboxState:
    def __init__(
        self,
        callback_url: str | None = None,
        token_ttl: int = 3600,
        *,
        callback_secret: str | None = None,
        callback_header: str = DEFAULT_CALLBACK_HEADER,
        status_delay: float = 0.5,
    ) -> None:
        # Where OpenText-style callbacks (status webhooks, replies) go: the ingress's base URL, to
        # which `/callbacks/opentext/status` and `/callbacks/opentext/inbound` are appended.
        # None: status callbacks are not sent and replies answer 502.
        self.callback_url = callback_url.rstrip("/") if callback_url else None
        self.callback_secret = callback_secret  # sent in `callback_header`; no header when None
        self.callback_header = callback_header
        self.status_delay = status_delay  # seconds between accepting a send and its status callback
        self.callback_attempts = 4  # tries per status callback (connection errors and 5xx are retried)
        self.callback_backoff = 0.5  # seconds before the first retry, doubled each time
        self.callback_timeout = 10.0  # seconds per callback request
        self.callbacks: list[CallbackAttempt] = []
        self.replies: list[ReplyRecord] = []
        self.pending: set[asyncio.Task[None]] = set()  # scheduled callbacks, cancelled at shutdown
        self.token_ttl = token_ttl
        self.messages: list[MessageRecord] = []
        self.tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self.faults = FaultConfig()
        self.rng = random.Random()
        self.orders: dict[tuple[str, str], SeededOrder] = {}
        self.customers: dict[tuple[str, str], dict[str, Any]] = {}
        self.customer_groups: dict[tuple[str, str], dict[str, Any]] = {}  # BigCommerce V2 groups
        self.writes: list[dict[str, Any]] = []
        self.service_desk: list[dict[str, Any]] = []  # what the service-desk stand-in received
        self.service_desk_secret: str | None = None  # set: its signature is checked
        self._job_seq = 0
        self._reply_seq = 0
        self._instance = secrets.token_hex(4)

    # OpenText side

    def upcoming_job_id(self) -> str:
        return f"xsi-{self._job_seq + 1:010d}"

    def take_job_id(self) -> str:
        job_id = self.upcoming_job_id()
        self._job_seq += 1
        return job_id

    def take_reply_id(self) -> str:
        """Unique across sandbox restarts (the ingress dedupes inbound messages on this id and its
        store outlives the sandbox), yet readable: a per-instance prefix, then a sequence."""
        self._reply_seq += 1
        return f"sbx-in-{self._instance}-{self._reply_seq:04d}"

    def issue_token(self) -> str:
        token = "sbx-" + secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_ttl
        return token

    def token_valid(self, token: str) -> bool:
        expires = self.tokens.get(token)
        return expires is not None and time.monotonic() < expires

    def set_faults(self, faults: FaultConfig) -> None:
        self.faults = faults
        # A seed makes the sequence of injected failures repeatable across test runs.
        self.rng = random.Random(faults.seed)

    def messages_matching(self, to: str | None = None, reference: str | None = None) -> list[MessageRecord]:
        return [
            m
            for m in self.messages
            if (to is None or m.to == to) and (reference is None or m.reference == reference)
        ]

    def replies_matching(self, sender: str | None = None) -> list[ReplyRecord]:
        return [r for r in self.replies if sender is None or r.sender == sender]

    # BigCommerce side

    def order(self, store_hash: str, order_id: str) -> SeededOrder | None:
        return self.orders.get((store_hash, order_id))


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state
