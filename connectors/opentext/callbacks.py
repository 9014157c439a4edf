"""What OpenText posts to us: status webhooks (delivery receipts) and inbound customer messages.
This module is the one place that knows those wire formats and how the callbacks authenticate.

Authentication
    OpenText does not document how webhooks are signed (reference/opentext.md), so ours is a shared
    secret in a header (`TIDINGS_OPENTEXT_CALLBACK_HEADER`, default `X-Tidings-Callback-Secret`),
    registered with the webhook URL. `verify_callback` compares it in constant time.

Status webhook (`POST /callbacks/opentext/status`)
    The body is a status document, the same schema as the status API (`GET …/status?job_id=`), or a
    JSON list of them::

        {"job_id": "xsi-0000000001", "job_state": ["Complete", "Posted"],
         "entry_time": "2024-03-05T10:00:00Z",
         "customer_reference_base64": "<base64 of our message key>",
         "deliveries": [
           {"ref_base64": "<base64>", "sms": "+15551234567",          # or "email": "ana@example.com"
            "delivery_attempts": [{"state": "Sent", "gamma_code": null,
                                   "first_attempt": "…", "delivery_time": "…"}],
            "events": {"sms_delivery_events": [{"event_time": "…", "status": "Confirmed", "message": "…"}]}}
         ]}

    Email deliveries carry `events.email_delivery_events` = {`dsn`: [{`status`: "2.0.0", `message`}],
    `html_open`: […], `opt_out`: …}. `parse_status_webhook` turns each delivery into one
    `DeliveryReceipt`; the rules are in its docstring.

Inbound message (`POST /callbacks/opentext/inbound`) — **our definition**
    OpenText's mobile-originated payload is unverified, so until it is known this is the format (the
    sandbox posts it; a correction against the live API changes `parse_inbound` only)::

        {"message_id": "sbx-in-0000000001",        # provider's id of the inbound message (required)
         "channel": "sms",                          # "sms" | "email" | "push" (required)
         "from": "+14155550101",                    # the customer's address or push token (required)
         "to": "TIDINGS",                           # our sender id / short code / reply address (optional)
         "text": "STOP",                            # the message text, may be "" for a push action (required)
         "received_at": "2024-03-05T10:00:00Z",     # ISO 8601 with a time zone (required)
         "reference_base64": "<base64>",            # customer_reference of the message replied to (optional)
         "action": "GOT_IT"}                        # push action id the customer tapped (optional)

    Unknown fields are ignored; known fields must have the types above.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors import safe_json
from connectors.errors import WebhookAuthError, WebhookPayloadError
from domain import identifiers
from domain.notifications import Channel, DeliveryReceipt, DeliveryState, InboundMessage

DEFAULT_CALLBACK_HEADER = "X-Tidings-Callback-Secret"

# OpenText's delivery attempt states (reference/opentext.md "Status").
SENT = "sent"
FAILED_ATTEMPT_STATES = frozenset({"error", "cancelled", "canceled"})
PENDING_ATTEMPT_STATES = frozenset({"submitted", "pending", "inprocess"})
# SMS handset events that end a delivery badly; "Confirmed" ends it well, anything else is in flight.
SMS_CONFIRMED = "confirmed"
SMS_FAILED_EVENTS = frozenset({"failed", "rejected", "expired", "undeliverable", "deleted"})


# ---- authentication -----------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    # Starlette's Headers are case-insensitive already; a plain dict is not.
    wanted = name.lower()
    for key, candidate in headers.items():
        if key.lower() == wanted:
            return candidate
    return None


def verify_callback(headers: Mapping[str, str], *, header_name: str, secret: str | None) -> None:
    """Raise `WebhookAuthError` unless the shared-secret header carries `secret`. With no secret
    configured every callback is refused: an open endpoint would let anyone forge receipts/opt-outs."""
    if not secret:
        raise WebhookAuthError("callback secret not configured")
    given = _header(headers, header_name)
    if given is None or not given:
        raise WebhookAuthError(f"missing {header_name} header")
    if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
        raise WebhookAuthError(f"{header_name} header does not match")


# ---- small strict readers -----------------------------------------------------------------------


def _load_json(body: bytes, what: str) -> Any:
    try:
        return safe_json.loads(body)  # UTF-8, depth, number and surrogate limits
    except safe_json.JsonLimitError as exc:
        raise WebhookPayloadError(f"{what}: {exc}") from None
    except WebhookPayloadError as exc:
        raise WebhookPayloadError(f"{what} body is not JSON: {exc}") from None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WebhookPayloadError(f"{where} must be a JSON object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise WebhookPayloadError(f"{where} must be a list, got {type(value).__name__}")
    return value


def _string(value: Any, where: str, *, required: bool = False, allow_empty: bool = True) -> str | None:
    if value is None:
        if required:
            raise WebhookPayloadError(f"{where} is required")
        return None
    if not isinstance(value, str):
        raise WebhookPayloadError(f"{where} must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise WebhookPayloadError(f"{where} must not be empty")
    return value


def _required(value: Any, where: str, *, allow_empty: bool = False) -> str:
    text = _string(value, where, required=True, allow_empty=allow_empty)
    assert text is not None
    return text


def _base64_text(value: Any, where: str) -> str | None:
    text = _string(value, where)
    if not text:
        return None
    try:
        decoded = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise WebhookPayloadError(f"{where} is not base64 of UTF-8 text: {exc}") from exc
    return decoded or None


def _timestamp(value: Any, where: str, *, required: bool = False) -> datetime | None:
    text = _string(value, where, required=required)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise WebhookPayloadError(f"{where} is not an ISO 8601 timestamp: {text!r}") from exc
    if parsed.tzinfo is None:
        # OpenText writes UTC ("…Z"); a time without a zone is read as UTC rather than local time.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _at(where: str, field: str) -> str:
    """`[1].deliveries[0]` style paths, so an error names exactly what is wrong."""
    return f"{where}.{field}" if where else field


def _b64(text: str | None) -> str | None:
    return base64.b64encode(text.encode("utf-8")).decode("ascii") if text else None


def _iso(value: datetime) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.isoformat().replace("+00:00", "Z")


# ---- status webhooks ----------------------------------------------------------------------------


def parse_status_webhook(body: bytes) -> list[DeliveryReceipt]:
    """One `DeliveryReceipt` per delivery of each status document in the body (a document or a list).

    - channel: `sms` or `email`, from the address field the delivery carries;
    - message_key: `customer_reference_base64` decoded (else the delivery's `ref_base64`);
    - state, from the last delivery attempt: `Sent` → DELIVERED, except that an SMS whose handset
      events are present is DELIVERED only once the last one is "Confirmed" (FAILED when it is
      "Failed"/"Rejected"/"Expired"…, PENDING otherwise), and an email whose last DSN is permanent
      (5.x.x) is FAILED; `Error`/`Cancelled` → FAILED; anything else (Submitted, Pending,
      InProcess, no attempt yet, or a state OpenText adds later) → PENDING;
    - detail: for failures, the attempt state, its `gamma_code` and the last event's message;
    - opted_out: the email events' `opt_out` is truthy.

    Raises `WebhookPayloadError` naming the first thing that is not the documented shape, and
    `InvalidIdentifier` for a job id or address no one would send.
    """
    payload = _load_json(body, "status webhook")
    if isinstance(payload, list):
        documents = [(doc, f"[{i}]") for i, doc in enumerate(payload)]
    elif isinstance(payload, dict):
        documents = [(payload, "")]
    else:
        raise WebhookPayloadError(
            f"status webhook body must be a status document or a list of them, got {type(payload).__name__}"
        )
    receipts: list[DeliveryReceipt] = []
    for document, where in documents:
        receipts.extend(_document_receipts(_object(document, f"status document{where}"), where))
    return receipts


def _document_receipts(document: dict[str, Any], where: str) -> list[DeliveryReceipt]:
    job_id = identifiers.check(None, "job_id", _required(document.get("job_id"), _at(where, "job_id")))
    message_key = _base64_text(
        document.get("customer_reference_base64"), _at(where, "customer_reference_base64")
    )
    entry_time = _timestamp(document.get("entry_time"), _at(where, "entry_time"))
    if "deliveries" not in document:
        raise WebhookPayloadError(f"{_at(where, 'deliveries')} is required")
    deliveries = _list(document["deliveries"], _at(where, "deliveries"))
    receipts = []
    for i, delivery in enumerate(deliveries):
        delivery_where = _at(where, f"deliveries[{i}]")
        receipt = _receipt(_object(delivery, delivery_where), delivery_where, job_id, message_key)
        if receipt.occurred_at is None:
            receipt.occurred_at = entry_time
        receipts.append(receipt)
    return receipts


@dataclass
class _Outcome:
    """What a delivery's events say, reduced to the last one (events are listed oldest first)."""

    status: str | None = None  # SMS event status, lower case; or the email's DSN code
    message: str | None = None
    at: datetime | None = None
    opted_out: bool = False


def _sms_outcome(events: dict[str, Any], where: str) -> _Outcome:
    sms_events = _list(events.get("sms_delivery_events"), f"{where}.sms_delivery_events")
    if not sms_events:
        return _Outcome()
    last_where = f"{where}.sms_delivery_events[{len(sms_events) - 1}]"
    last = _object(sms_events[-1], last_where)
    return _Outcome(
        status=(_string(last.get("status"), f"{last_where}.status") or "").strip().lower(),
        message=_string(last.get("message"), f"{last_where}.message"),
        at=_timestamp(last.get("event_time"), f"{last_where}.event_time"),
    )


def _email_outcome(events: dict[str, Any], where: str) -> _Outcome:
    email_where = f"{where}.email_delivery_events"
    email_events = _object(events.get("email_delivery_events") or {}, email_where)
    outcome = _Outcome(opted_out=bool(email_events.get("opt_out")))
    dsns = _list(email_events.get("dsn"), f"{email_where}.dsn")
    if dsns:
        last_where = f"{email_where}.dsn[{len(dsns) - 1}]"
        last = _object(dsns[-1], last_where)
        outcome.status = (_string(last.get("status"), f"{last_where}.status") or "").strip() or None
        outcome.message = _string(last.get("message"), f"{last_where}.message")
        outcome.at = _timestamp(last.get("event_time"), f"{last_where}.event_time")
    return outcome


def _state(channel: Channel, attempt_state: str, outcome: _Outcome) -> DeliveryState:
    if attempt_state in FAILED_ATTEMPT_STATES:
        return DeliveryState.FAILED
    if attempt_state != SENT:
        return DeliveryState.PENDING
    if channel == Channel.SMS and outcome.status is not None:
        if outcome.status in SMS_FAILED_EVENTS:
            return DeliveryState.FAILED
        if outcome.status != SMS_CONFIRMED:
            return DeliveryState.PENDING  # the carrier has it, the handset has not confirmed yet
    if channel == Channel.EMAIL and outcome.status and outcome.status.startswith("5"):
        return DeliveryState.FAILED  # a permanent bounce after the hand-over
    return DeliveryState.DELIVERED


def _receipt(delivery: dict[str, Any], where: str, job_id: str, document_key: str | None) -> DeliveryReceipt:
    has_sms, has_email = "sms" in delivery, "email" in delivery
    if has_sms == has_email:
        problem = "both sms and email" if has_sms else "neither sms nor email"
        raise WebhookPayloadError(f"{where} has {problem}: cannot tell the channel")
    channel = Channel.SMS if has_sms else Channel.EMAIL
    address = _required(delivery[channel.value], f"{where}.{channel.value}")
    identifiers.check(None, "address", address)
    message_key = document_key or _base64_text(delivery.get("ref_base64"), f"{where}.ref_base64")

    attempts = _list(delivery.get("delivery_attempts"), f"{where}.delivery_attempts")
    attempt_where = f"{where}.delivery_attempts[{max(len(attempts) - 1, 0)}]"
    attempt = _object(attempts[-1], attempt_where) if attempts else {}
    raw_state = (_string(attempt.get("state"), f"{attempt_where}.state") or "").strip()
    gamma_code = attempt.get("gamma_code")
    if gamma_code is not None and not isinstance(gamma_code, str | int):
        raise WebhookPayloadError(f"{attempt_where}.gamma_code must be a string or number")

    events = _object(delivery.get("events") or {}, f"{where}.events")
    events_where = f"{where}.events"
    outcome = _sms_outcome(events, events_where) if has_sms else _email_outcome(events, events_where)
    state = _state(channel, raw_state.lower(), outcome)

    detail: str | None = None
    if state == DeliveryState.FAILED:
        parts = [
            raw_state or None,
            f"gamma_code {gamma_code}" if gamma_code not in (None, "") else None,
            f"DSN {outcome.status}" if channel == Channel.EMAIL and outcome.status else None,
            outcome.message,
        ]
        detail = "; ".join(part for part in parts if part) or None
    elif raw_state and raw_state.lower() not in PENDING_ATTEMPT_STATES | {SENT}:
        detail = f"unknown delivery state {raw_state!r}"  # kept pending, not refused: see docstring

    occurred_at = (
        _timestamp(attempt.get("delivery_time"), f"{attempt_where}.delivery_time")
        or outcome.at
        or _timestamp(attempt.get("first_attempt"), f"{attempt_where}.first_attempt")
    )
    return DeliveryReceipt(
        job_id=job_id,
        message_key=message_key,
        channel=channel,
        address=address,
        state=state,
        detail=detail,
        occurred_at=occurred_at,
        opted_out=outcome.opted_out,
    )


# ---- inbound messages ---------------------------------------------------------------------------


def parse_inbound(body: bytes) -> InboundMessage:
    """The inbound JSON (module docstring) as an `InboundMessage`; `WebhookPayloadError` otherwise
    (`InvalidIdentifier` for a message id or sender no one would send)."""
    payload = _object(_load_json(body, "inbound message"), "inbound message body")
    channel_name = _required(payload.get("channel"), "channel")
    try:
        channel = Channel(channel_name)
    except ValueError as exc:
        known = ", ".join(c.value for c in Channel)
        raise WebhookPayloadError(f"channel must be one of {known}, got {channel_name!r}") from exc
    received_at = _timestamp(payload.get("received_at"), "received_at", required=True)
    assert received_at is not None
    return InboundMessage(
        channel=channel,
        sender=identifiers.check(None, "address", _required(payload.get("from"), "from")),
        text=_required(payload.get("text"), "text", allow_empty=True),
        received_at=received_at,
        to=_string(payload.get("to"), "to"),
        provider_message_id=identifiers.check(
            None, "message_id", _required(payload.get("message_id"), "message_id")
        ),
        reference=_base64_text(payload.get("reference_base64"), "reference_base64"),
        action=_string(payload.get("action"), "action") or None,
    )


def inbound_payload(message: InboundMessage) -> dict[str, Any]:
    """The inbound JSON for `message`: the inverse of `parse_inbound` (the sandbox posts this).
    `provider_message_id` is required by the format, so a message without one is a `ValueError`."""
    if not message.provider_message_id:
        raise ValueError("an inbound payload needs the provider's message id (provider_message_id)")
    payload: dict[str, Any] = {
        "message_id": message.provider_message_id,
        "channel": message.channel.value,
        "from": message.sender,
        "to": message.to,
        "text": message.text,
        "received_at": _iso(message.received_at),
    }
    if message.reference:
        payload["reference_base64"] = _b64(message.reference)
    if message.action:
        payload["action"] = message.action
    return payload
