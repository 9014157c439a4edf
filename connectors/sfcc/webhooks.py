"""Parse SFCC webhook bodies into canonical `CommerceEvent`s.

B2C Commerce has no webhooks of its own; the contract is ours (the cartridge in deploy/sfcc sends
it): an envelope `{event_id, event_type, site_id, occurred_at, data}` published as JSON Schema in
`envelope.schema.json` and validated against it (errors name the JSON path). `data` is the OCAPI
document of the thing the event is about, so events are rich: the order events carry the whole
order, and the stage comes from `status_map.py`. `event_id` is the dedupe key, `site_id` the store.
Salesforce Order Management platform events are accepted on the same endpoint (`oms.py`). The
envelope lives in `envelope.py`; the handlers in `order_events.py`, `case_events.py`,
`product_events.py`, `account_events.py` and `ops_events.py`.

| event_type                        | canonical event(s)                       | data                        |
|-----------------------------------|------------------------------------------|-----------------------------|
| order.created                     | ORDER_CREATED (stage from the table)     | OCAPI order                 |
| order.updated                     | ORDER_STATUS_CHANGED, and PICKUP_WINDOW_ | OCAPI order                 |
|                                   | CHANGED when a pickup order's            |                             |
|                                   | c_pickupWindowEnd moved (differs from    |                             |
|                                   | c_previousPickupWindowEnd)               |                             |
| order.refunded                    | ORDER_REFUNDED (refund_id c_refundId;    | OCAPI order                 |
|                                   | the journey reads full vs partial)       |                             |
| order.refund_completed            | REFUND_COMPLETED (amount c_refundAmount) | OCAPI order                 |
| basket.abandoned/updated/converted| CART_ABANDONED / CART_UPDATED /          | OCAPI basket (+ order_no)   |
|                                   | CART_CONVERTED                           |                             |
| case.opened/updated/closed        | CASE_OPENED / CASE_UPDATED / CASE_CLOSED | Service Cloud Case          |
| inventory.changed                 | INVENTORY_CHANGED (available = ats)      | product inventory record    |
| product.price_changed             | PRICE_CHANGED                            | OCAPI product               |
| wishlist.item_added               | PRODUCT_WATCHED (c_watch)                | product_list_item + customer|
| reservation.expiring              | RESERVATION_EXPIRING (c_reservedUntil)   | product_id + customer_info  |

Account, loyalty and operations events (data: the OCAPI customer profile, with c_* facts):
- customer.registered / .verification / .password_reset / .profile_changed / .security_changed /
  .address_changed: ACCOUNT_REGISTERED / ACCOUNT_VERIFICATION / PASSWORD_RESET / PROFILE_CHANGED /
  SECURITY_CHANGED / ADDRESS_CHANGED (detail c_change, link c_link); a profile change carrying a
  birthday also gives CUSTOMER_UPDATED (birthday "MM-DD") for the customer lifecycle journey.
- customer.payment_method_expiring: PAYMENT_METHOD_EXPIRING, expiring at the end of the earliest
  card's expiry month (UTC), detail the masked card number.
- customer.suggestions, loyalty.points_earned / .reward_expiring / .tier_changed: PRODUCT_SUGGESTIONS
  (c_products), POINTS_EARNED (c_points, c_pointsBalance), REWARD_EXPIRING (c_rewardValue,
  c_rewardCurrency, c_rewardExpiresAt), TIER_CHANGED (c_tier, c_previousTier).
- checkout.failed, payment.gateway_error, catalog.import_failed, promotion.misconfigured,
  product.unavailable (data: message plus the qualifier c_reason, c_gateway, catalog_id,
  promotion_id, product_id): OPS_ALERT keyed "{kind}:{qualifier}", or the kind alone without one.

Case kinds come from the Case `Type`: "Return" → return_request, "Refund" → refund, "Delivery
Dispute" → delivery_dispute, anything else → customer_message; the case id is the `CaseNumber`.
Customers are keyed as `documents.customer_key` says (customer_no, else customer_id).
Unknown event types are ignored (HTTP 200), so a newer cartridge never breaks an older Tidings.
"""

from __future__ import annotations

from typing import Final

from connectors.sfcc import (
    account_events,
    case_events,
    oms,
    ops_events,
    order_events,
    product_events,
    review_events,
)
from connectors.sfcc.case_events import CASE_KINDS
from connectors.sfcc.envelope import (
    EVENT_TYPES,
    MAX_PROBLEMS,
    SCHEMA,
    Envelope,
    Handler,
    peek_site_id,
    read_envelope,
)
from connectors.sfcc.status_map import DEFAULT_PICKUP_METHODS, PickupMethods
from connectors.webhook import ParsedWebhook, json_object_body

__all__ = [
    "CASE_KINDS",
    "EVENT_TYPES",
    "HANDLED_EVENT_TYPES",
    "MAX_PROBLEMS",
    "SCHEMA",
    "Envelope",
    "parse_webhook",
    "peek_site_id",
]


def parse_webhook(body: bytes, *, pickup_methods: PickupMethods = DEFAULT_PICKUP_METHODS) -> ParsedWebhook:
    """Parse a raw (already verified) body: our envelope or an Order Management platform event.
    Raises `WebhookPayloadError` naming the JSON path of what is wrong."""
    raw = json_object_body(body, decimals=True)  # amounts keep the cents they were sent with
    name = oms.event_name(raw)
    if name is not None and "event_type" not in raw:
        return oms.parse_oms(raw, name)
    envelope = read_envelope(raw)
    handler = _HANDLERS.get(envelope.event_type)
    if handler is None:
        return ParsedWebhook(
            scope=envelope.event_type, events=[], ignored=f"event type {envelope.event_type} is not handled"
        )
    outcome = handler(envelope, pickup_methods)
    if isinstance(outcome, str):
        return ParsedWebhook(scope=envelope.event_type, events=[], ignored=outcome)
    return ParsedWebhook(scope=envelope.event_type, events=outcome)


_HANDLERS: Final[dict[str, Handler]] = {
    **order_events.HANDLERS,
    **case_events.HANDLERS,
    **product_events.HANDLERS,
    **account_events.HANDLERS,
    **ops_events.HANDLERS,
    **review_events.HANDLERS,
}

HANDLED_EVENT_TYPES: Final[frozenset[str]] = frozenset(_HANDLERS)
