"""SAP Commerce Cloud `OrderStatus`, `ConsignmentStatus` and `ReturnStatus` values mapped to Tidings' terms.

An SAP order carries two kinds of status: the order's own (`OrderStatus`, set by the order
process: payment, fraud check, split into consignments, completion) and one per consignment
(`ConsignmentStatus`, set by the warehouse / carrier: picking, shipping, pickup, delivery). Pickup
and delivery live on consignments only.

Order status:

| `OrderStatus`               | `OrderStage`         | why                                                |
|-----------------------------|----------------------|----------------------------------------------------|
| CREATED                     | `PLACED`             | the order exists, nothing checked yet              |
| ON_VALIDATION               | `PLACED`             | being validated before payment                     |
| CHECKED_VALID               | `PAYMENT_CONFIRMED`  | validated; the order process goes on               |
| PAYMENT_AUTHORIZED          | `PAYMENT_CONFIRMED`  | payment authorised                                 |
| PAYMENT_AMOUNT_RESERVED     | `PAYMENT_CONFIRMED`  | amount reserved on the card                        |
| PAYMENT_CAPTURED            | `PAYMENT_CONFIRMED`  | paid                                               |
| FRAUD_CHECKED               | `PAYMENT_CONFIRMED`  | passed the fraud check                             |
| ORDER_SPLIT                 | `AWAITING_SHIPMENT`  | split into consignments for the warehouses         |
| COMPLETED                   | `DELIVERED`          | fulfilment finished: the merchant's "done"         |
| WAIT_FRAUD_MANUAL_CHECK     | `FRAUD_REVIEW`       | held for a manual fraud check                      |
| PAYMENT_NOT_AUTHORIZED      | `PAYMENT_FAILED`     | the authorisation was declined                     |
| PAYMENT_AMOUNT_NOT_RESERVED | `PAYMENT_FAILED`     | the amount could not be reserved                   |
| PAYMENT_NOT_CAPTURED        | `PAYMENT_FAILED`     | the capture failed                                 |
| SUSPENDED                   | `ON_HOLD`            | held by the merchant                               |
| CHECKED_INVALID             | `ON_HOLD`            | validation failed: the merchant must act           |
| PROCESSING_ERROR            | `ON_HOLD`            | the order process failed: the merchant must act    |
| CANCELLING                  | `CANCELLED`          | the cancellation is under way: closing stage      |
| CANCELLED                   | `CANCELLED`          | closing stage                                      |

COMPLETED is set when the order process has finished every consignment (shipped or collected).
Like BigCommerce's "Completed" it counts as delivered, so the review journey starts there for
merchants whose carriers report nothing back; consignments that report delivery progress
(IN_TRANSIT, DELIVERING, DELIVERY_REJECTED) are still announced where they rank higher or are
exceptions (see the combination rules below).

Consignment status:

| `ConsignmentStatus` | `OrderStage`         | why                                                    |
|---------------------|----------------------|--------------------------------------------------------|
| WAITING             | `AWAITING_SHIPMENT`  | sent to the warehouse, not picked yet                  |
| PICKPACK            | `AWAITING_SHIPMENT`  | being picked and packed                                |
| READY               | `AWAITING_SHIPMENT`  | packed, waiting for the carrier                        |
| READY_FOR_PICKUP    | `AWAITING_PICKUP`    | click-and-collect: waiting in the store                |
| SHIPPED             | `SHIPPED`            | handed to the carrier                                  |
| IN_TRANSIT          | `SHIPPED`            | the carrier has it                                     |
| DELIVERING          | `OUT_FOR_DELIVERY`   | on the van today                                       |
| DELIVERY_COMPLETED  | `DELIVERED`          | delivered                                              |
| PICKUP_COMPLETE     | `DELIVERED`          | collected: the pickup journey treats it as "collected" |
| DELIVERY_REJECTED   | `RETURNED_TO_SENDER` | refused or undeliverable: the parcel goes back         |
| CANCELLED           | `CANCELLED`          | this consignment only: left out of the order's stage   |

Combination (`order_stage`), in this order:
1. A closing order status (CANCELLED, CANCELLING) decides.
2. An exception order status (fraud review, payment failed, on hold) decides: whatever its
   parcels say, the order is held.
3. The consignments' stage (cancelled consignments left out): a rejected delivery decides
   (`RETURNED_TO_SENDER`: the customer hears it is coming back and what to do); when every
   consignment is at least shipped, the least advanced of them (so
   "delivered" means every parcel arrived or was collected); when some but not all are shipped,
   `PARTIALLY_SHIPPED`; otherwise `AWAITING_PICKUP` if a consignment waits in a store, else
   `AWAITING_SHIPMENT`.
4. Progress: the consignments' stage where it ranks above the order status's, else the order's.

Return status (`ReturnRequest`, the merchant's case object; see `RETURN_STATUS_CASES`):

| `ReturnStatus`          | event          | detail              | refund done |
|-------------------------|----------------|---------------------|-------------|
| APPROVAL_PENDING        | `CASE_OPENED`  | return_requested    |             |
| APPROVING               | `CASE_UPDATED` | approving           |             |
| WAIT                    | `CASE_UPDATED` | approved            |             |
| RECEIVING               | `CASE_UPDATED` | goods_arriving      |             |
| RECEIVED                | `CASE_UPDATED` | goods_received      |             |
| REVERSING_PAYMENT       | `CASE_UPDATED` | refund_pending      |             |
| PAYMENT_REVERSAL_FAILED | `CASE_UPDATED` | refund_failed       |             |
| PAYMENT_REVERSED        | `CASE_UPDATED` | refund_issued       | yes         |
| REVERSING_TAX           | `CASE_UPDATED` | tax_reversing       | yes         |
| TAX_REVERSED            | `CASE_UPDATED` | tax_reversed        | yes         |
| TAX_REVERSAL_FAILED     | `CASE_UPDATED` | tax_reversal_failed | yes         |
| CANCELLING              | `CASE_UPDATED` | cancelling          |             |
| COMPLETED               | `CASE_CLOSED`  | resolved            | yes         |
| CANCELED                | `CASE_CLOSED`  | cancelled           |             |

Order statuses the team must hear of (`ORDER_STATUS_ALERTS`): a declined or failed payment is a
payment-gateway alert, a failed order process or validation a checkout alert (digests per store,
once per order and status; the customer hears of the order stage as above).

"Refund done" statuses come after the payment reversal in SAP's return process; the webhook may
skip intermediate statuses (its payload is read when it is sent, not when the item was saved), so
every one of them tells the refund (the events' ids make it one refund, see `dedupe.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from connectors.errors import WebhookPayloadError
from domain.events import CLOSING_STAGES, PROGRESS_RANK, AlertKind, EventType, OrderStage

ORDER_STATUS_ALERTS: Final[dict[str, AlertKind]] = {
    "PAYMENT_NOT_AUTHORIZED": AlertKind.PAYMENT_GATEWAY_ERROR,
    "PAYMENT_AMOUNT_NOT_RESERVED": AlertKind.PAYMENT_GATEWAY_ERROR,
    "PAYMENT_NOT_CAPTURED": AlertKind.PAYMENT_GATEWAY_ERROR,
    "PROCESSING_ERROR": AlertKind.CHECKOUT_FAILED,
    "CHECKED_INVALID": AlertKind.CHECKOUT_FAILED,
}

ORDER_STATUS_STAGES: Final[dict[str, OrderStage]] = {
    "CREATED": OrderStage.PLACED,
    "ON_VALIDATION": OrderStage.PLACED,
    "CHECKED_VALID": OrderStage.PAYMENT_CONFIRMED,
    "PAYMENT_AUTHORIZED": OrderStage.PAYMENT_CONFIRMED,
    "PAYMENT_AMOUNT_RESERVED": OrderStage.PAYMENT_CONFIRMED,
    "PAYMENT_CAPTURED": OrderStage.PAYMENT_CONFIRMED,
    "FRAUD_CHECKED": OrderStage.PAYMENT_CONFIRMED,
    "ORDER_SPLIT": OrderStage.AWAITING_SHIPMENT,
    "COMPLETED": OrderStage.DELIVERED,
    "WAIT_FRAUD_MANUAL_CHECK": OrderStage.FRAUD_REVIEW,
    "PAYMENT_NOT_AUTHORIZED": OrderStage.PAYMENT_FAILED,
    "PAYMENT_AMOUNT_NOT_RESERVED": OrderStage.PAYMENT_FAILED,
    "PAYMENT_NOT_CAPTURED": OrderStage.PAYMENT_FAILED,
    "SUSPENDED": OrderStage.ON_HOLD,
    "CHECKED_INVALID": OrderStage.ON_HOLD,
    "PROCESSING_ERROR": OrderStage.ON_HOLD,
    "CANCELLING": OrderStage.CANCELLED,
    "CANCELLED": OrderStage.CANCELLED,
}

CONSIGNMENT_STATUS_STAGES: Final[dict[str, OrderStage]] = {
    "WAITING": OrderStage.AWAITING_SHIPMENT,
    "PICKPACK": OrderStage.AWAITING_SHIPMENT,
    "READY": OrderStage.AWAITING_SHIPMENT,
    "READY_FOR_PICKUP": OrderStage.AWAITING_PICKUP,
    "SHIPPED": OrderStage.SHIPPED,
    "IN_TRANSIT": OrderStage.SHIPPED,
    "DELIVERING": OrderStage.OUT_FOR_DELIVERY,
    "DELIVERY_COMPLETED": OrderStage.DELIVERED,
    "PICKUP_COMPLETE": OrderStage.DELIVERED,
    "DELIVERY_REJECTED": OrderStage.RETURNED_TO_SENDER,
    "CANCELLED": OrderStage.CANCELLED,
}

CANCELLED_CONSIGNMENT = "CANCELLED"

# ReturnStatus → (the case event, the detail the case journey records or tells).
RETURN_STATUS_CASES: Final[dict[str, tuple[EventType, str]]] = {
    "APPROVAL_PENDING": (EventType.CASE_OPENED, "return_requested"),
    "APPROVING": (EventType.CASE_UPDATED, "approving"),
    "WAIT": (EventType.CASE_UPDATED, "approved"),
    "RECEIVING": (EventType.CASE_UPDATED, "goods_arriving"),
    "RECEIVED": (EventType.CASE_UPDATED, "goods_received"),
    "REVERSING_PAYMENT": (EventType.CASE_UPDATED, "refund_pending"),
    "PAYMENT_REVERSAL_FAILED": (EventType.CASE_UPDATED, "refund_failed"),
    "PAYMENT_REVERSED": (EventType.CASE_UPDATED, "refund_issued"),
    "REVERSING_TAX": (EventType.CASE_UPDATED, "tax_reversing"),
    "TAX_REVERSED": (EventType.CASE_UPDATED, "tax_reversed"),
    "TAX_REVERSAL_FAILED": (EventType.CASE_UPDATED, "tax_reversal_failed"),
    "CANCELLING": (EventType.CASE_UPDATED, "cancelling"),
    "COMPLETED": (EventType.CASE_CLOSED, "resolved"),
    "CANCELED": (EventType.CASE_CLOSED, "cancelled"),
}

# The money went back to the customer at or before these statuses.
REFUNDED_RETURN_STATUSES: Final = frozenset(
    {"PAYMENT_REVERSED", "REVERSING_TAX", "TAX_REVERSED", "TAX_REVERSAL_FAILED", "COMPLETED"}
)

# While a return is in one of these, a case journey for it should be running (or start): the
# first webhook Tidings sees for a return need not be APPROVAL_PENDING.
OPEN_RETURN_STATUSES: Final = frozenset(
    {
        "APPROVAL_PENDING",
        "APPROVING",
        "WAIT",
        "RECEIVING",
        "RECEIVED",
        "REVERSING_PAYMENT",
        "PAYMENT_REVERSAL_FAILED",
    }
)


def order_status_stage(status: str, where: str = "status.code") -> OrderStage:
    """The stage of one `OrderStatus` value; an unknown value is a payload we do not know."""
    try:
        return ORDER_STATUS_STAGES[status]
    except KeyError:
        raise WebhookPayloadError(f"{where}: unknown SAP OrderStatus {status!r}") from None


def consignment_status_stage(status: str, where: str = "consignments.status.code") -> OrderStage:
    try:
        return CONSIGNMENT_STATUS_STAGES[status]
    except KeyError:
        raise WebhookPayloadError(f"{where}: unknown SAP ConsignmentStatus {status!r}") from None


def return_status_case(status: str, where: str = "status.code") -> tuple[EventType, str]:
    try:
        return RETURN_STATUS_CASES[status]
    except KeyError:
        raise WebhookPayloadError(f"{where}: unknown SAP ReturnStatus {status!r}") from None


def consignment_stage(statuses: Iterable[str]) -> OrderStage | None:
    """What the consignments together say (rule 3 above); None without a live consignment."""
    stages = [consignment_status_stage(s) for s in statuses if s != CANCELLED_CONSIGNMENT]
    if not stages:
        return None
    if OrderStage.RETURNED_TO_SENDER in stages:
        return OrderStage.RETURNED_TO_SENDER
    shipped_rank = PROGRESS_RANK[OrderStage.SHIPPED]
    sent = [s for s in stages if PROGRESS_RANK[s] >= shipped_rank]
    if len(sent) == len(stages):
        return min(sent, key=PROGRESS_RANK.__getitem__)
    if sent:
        return OrderStage.PARTIALLY_SHIPPED
    if OrderStage.AWAITING_PICKUP in stages:
        return OrderStage.AWAITING_PICKUP
    return OrderStage.AWAITING_SHIPMENT


def order_stage(status: str, consignment_statuses: Iterable[str] = ()) -> OrderStage:
    """The order's canonical stage from its status and its consignments' (rules 1–4 above)."""
    ordered = order_status_stage(status)
    if ordered in CLOSING_STAGES or ordered not in PROGRESS_RANK:
        return ordered
    shipped = consignment_stage(consignment_statuses)
    if shipped is None:
        return ordered
    if shipped not in PROGRESS_RANK:
        return shipped
    return shipped if PROGRESS_RANK[shipped] > PROGRESS_RANK[ordered] else ordered
