"""Salesforce Order Management platform events, accepted on `/webhooks/sfcc` beside our envelope.

Order Management publishes platform events (`OrderSummaryCreatedEvent`, `OrderSumStatusChangedEvent`,
`FOStatusChangedEvent`, …) on the Salesforce event bus. They leave it through a relay the merchant
runs: a Flow or Apex trigger that POSTs the event, or a Pub/Sub API / Streaming API subscriber that
forwards the message. Both shapes are detected and accepted, signed like the envelope:

    {"channel": "/event/OrderSumStatusChangedEvent",                     # Streaming API (CometD)
     "data": {"schema": "…", "event": {"replayId": 42},
              "payload": {"OrderSummaryId": "1Os…", "OldStatus": "Created", "NewStatus": "Approved",
                          "CreatedDate": "2026-11-23T09:00:00.000Z", "EventUuid": "…",
                          "OrderNumber": "00001234"}},
     "site_id": "RefArch"}

    {"attributes": {"type": "OrderSumStatusChangedEvent"},               # serialized by Apex / Flow
     "OrderSummaryId": "1Os…", "OldStatus": "Created", "NewStatus": "Approved", …, "site_id": "RefArch"}

What the relay adds (the platform events do not carry them):
- `site_id`, top level: the B2C Commerce site the order was placed on (our store key, and the key to
  the per-site webhook secret).
- `OrderNumber`, in the payload or at top level: the OrderSummary's `OrderNumber`, which for orders
  from B2C Commerce is the storefront `order_no`.

Journey key: the order journey of an SFCC order is keyed by its `order_no` (the envelope events'
key), so an OMS event joins that journey only through `OrderNumber`. Without it, the
`OrderSummaryId` is the key: the event starts (or joins) a journey of its own, which hydration cannot
read through OCAPI. So: relays should add `OrderNumber`; `OrderSummaryId` is the fallback that keeps
a relay without it from failing outright.

What each event becomes:
- `OrderSummaryCreatedEvent`: ORDER_CREATED, stage left to hydration.
- `OrderSumStatusChangedEvent`: ORDER_STATUS_CHANGED, stage from `SUMMARY_STAGES` below; a status
  that table does not name (e.g. "Waiting to Fulfill", which reads differently for a pickup) leaves
  the stage to hydration, which reads the order's own statuses.
- `FOStatusChangedEvent`: "Fulfilled" is SHIPMENT_CREATED (the fulfilment order is the shipment);
  Draft, Canceled and Rejected are ignored (Order Management re-routes a cancelled or rejected
  fulfilment order; whether the order is cancelled is the summary's status); the others (Allocated,
  Assigned, Pickpack, Pick Complete, Pack Complete, Printed) are ORDER_UPDATED for the timeline.
- Any other platform event (e.g. `ProcessExceptionEvent`) is ignored.

| OrderSummary status   | `OrderStage`        |
|-----------------------|---------------------|
| Created               | `PLACED`            |
| Approved              | `PAYMENT_CONFIRMED` |
| Partially Fulfilled   | `PARTIALLY_SHIPPED` |
| Fulfilled             | `SHIPPED`           |
| Cancelled / Canceled  | `CANCELLED`         |
| On Hold / Hold        | `ON_HOLD`           |
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import Field

from connectors.errors import WebhookPayloadError
from connectors.webhook import ParsedWebhook, parse_payload
from connectors.wire import Wire, aware
from domain.events import CommerceEvent, EventType, OrderPayload, OrderStage, Platform

ORDER_SUMMARY_CREATED = "OrderSummaryCreatedEvent"
ORDER_SUMMARY_STATUS_CHANGED = "OrderSumStatusChangedEvent"
FULFILLMENT_ORDER_STATUS_CHANGED = "FOStatusChangedEvent"
CHANNEL_PREFIX = "/event/"


def _norm(status: str | None) -> str:
    # Picklist labels vary in case and spacing between orgs ("Waiting to Fulfill", "WaitingToFulfill").
    return "".join(ch for ch in (status or "").lower() if ch.isalnum())


SUMMARY_STAGES: Final[dict[str, OrderStage]] = {
    _norm("Created"): OrderStage.PLACED,
    _norm("Approved"): OrderStage.PAYMENT_CONFIRMED,
    _norm("Partially Fulfilled"): OrderStage.PARTIALLY_SHIPPED,
    _norm("Fulfilled"): OrderStage.SHIPPED,
    _norm("Cancelled"): OrderStage.CANCELLED,
    _norm("Canceled"): OrderStage.CANCELLED,
    _norm("On Hold"): OrderStage.ON_HOLD,
    _norm("Hold"): OrderStage.ON_HOLD,
}
FO_FULFILLED = _norm("Fulfilled")
FO_IGNORED: Final = frozenset({_norm("Draft"), _norm("Canceled"), _norm("Cancelled"), _norm("Rejected")})


class _Payload(Wire):
    OrderSummaryId: str | None = None
    OrderNumber: str | None = None
    OrderId: str | None = None
    FulfillmentOrderId: str | None = None
    OldStatus: str | None = None
    NewStatus: str | None = None
    NewStatusCategory: str | None = None
    EventUuid: str | None = None
    ReplayId: str | int | None = None
    CreatedDate: datetime | None = None


class _Relayed(Wire):
    site_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    OrderNumber: str | None = None


def event_name(raw: dict[str, Any]) -> str | None:
    """The platform event's API name when `raw` is one of the shapes above, else None."""
    channel = raw.get("channel")
    if isinstance(channel, str) and channel.startswith(CHANNEL_PREFIX):
        return channel[len(CHANNEL_PREFIX) :] or None
    attributes = raw.get("attributes")
    if isinstance(attributes, dict):
        kind = attributes.get("type")
        if isinstance(kind, str) and kind.endswith("Event"):
            return kind
    return None


def parse_oms(raw: dict[str, Any], name: str) -> ParsedWebhook:
    """One Order Management platform event (shape already detected by `event_name`)."""
    payload_raw, replay_id = _payload_of(raw)
    if name not in (ORDER_SUMMARY_CREATED, ORDER_SUMMARY_STATUS_CHANGED, FULFILLMENT_ORDER_STATUS_CHANGED):
        return ParsedWebhook(scope=name, events=[], ignored=f"platform event {name} is not handled")
    relayed = parse_payload(_Relayed, raw, "$")
    where = "$.data.payload" if "channel" in raw else "$"
    payload = parse_payload(_Payload, payload_raw, where)
    order_id = payload.OrderNumber or relayed.OrderNumber or payload.OrderSummaryId
    if not order_id:
        raise WebhookPayloadError(f"{where}: needs OrderNumber (added by the relay) or OrderSummaryId")

    if name == ORDER_SUMMARY_CREATED:
        event_type, order = EventType.ORDER_CREATED, OrderPayload(order_id=order_id)
    elif name == ORDER_SUMMARY_STATUS_CHANGED:
        if not payload.NewStatus:
            raise WebhookPayloadError(f"{where}.NewStatus is missing")
        event_type = EventType.ORDER_STATUS_CHANGED
        order = OrderPayload(
            order_id=order_id,
            stage=SUMMARY_STAGES.get(_norm(payload.NewStatus)),
            previous_stage=SUMMARY_STAGES.get(_norm(payload.OldStatus)),
            platform_status=f"OrderSummary {payload.NewStatus}",
        )
    else:
        status = _norm(payload.NewStatus)
        if not status:
            raise WebhookPayloadError(f"{where}.NewStatus is missing")
        if status in FO_IGNORED or _norm(payload.NewStatusCategory) in FO_IGNORED:
            return ParsedWebhook(
                scope=name,
                events=[],
                ignored=f"fulfillment order {payload.NewStatus}: Order Management re-routes it; "
                "the order summary's status tells whether the order is cancelled",
            )
        event_type = EventType.SHIPMENT_CREATED if status == FO_FULFILLED else EventType.ORDER_UPDATED
        order = OrderPayload(
            order_id=order_id,
            platform_status=f"FulfillmentOrder {payload.NewStatus}",
            shipment_id=payload.FulfillmentOrderId if status == FO_FULFILLED else None,
        )

    extra = {
        key: value
        for key, value in (
            ("order_summary_id", payload.OrderSummaryId),
            ("fulfillment_order_id", payload.FulfillmentOrderId),
        )
        if value
    }
    event = CommerceEvent(
        event_id=_event_id(name, payload, replay_id, raw),
        platform=Platform.SFCC,
        store=relayed.site_id,
        type=event_type,
        occurred_at=aware(payload.CreatedDate) if payload.CreatedDate else datetime.now(UTC),
        order=order,
        raw_scope=name,
        extra=extra,
    )
    return ParsedWebhook(scope=name, events=[event])


def _payload_of(raw: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    if "channel" not in raw:
        return raw, None
    data = raw.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
        raise WebhookPayloadError("$.data.payload: a Streaming API message carries the event in data.payload")
    event = data.get("event")
    replay_id = event.get("replayId") if isinstance(event, dict) else None
    return data["payload"], replay_id


def _event_id(name: str, payload: _Payload, replay_id: Any, raw: dict[str, Any]) -> str:
    if payload.EventUuid:
        return payload.EventUuid
    replay = payload.ReplayId if payload.ReplayId is not None else replay_id
    if replay is not None:
        return f"{name}:{replay}"
    # Neither: a stable digest, so a redelivery of the same body still dedupes.
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return f"{name}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"
