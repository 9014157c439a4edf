"""BigCommerce order status ids mapped to Tidings' canonical `OrderStage`.

BigCommerce has fifteen fixed status ids (merchants may relabel them, but the ids never change),
so the id is what we map, never the label.

| id | BigCommerce status           | `OrderStage`         | why                                  |
|---:|------------------------------|----------------------|--------------------------------------|
|  0 | Incomplete                   | `INCOMPLETE`         | checkout left before payment         |
|  1 | Pending                      | `PLACED`             | order exists, payment not captured   |
|  7 | Awaiting Payment             | `PLACED`             | offline payment (transfer, cheque)   |
| 11 | Awaiting Fulfillment         | `PAYMENT_CONFIRMED`  | paid; the merchant picks and packs   |
|  9 | Awaiting Shipment            | `AWAITING_SHIPMENT`  | packed, waiting for the carrier      |
|  8 | Awaiting Pickup              | `AWAITING_PICKUP`    | ready for click-and-collect          |
|  3 | Partially Shipped            | `PARTIALLY_SHIPPED`  | some items shipped, some to follow   |
|  2 | Shipped                      | `SHIPPED`            | every item shipped                   |
| 10 | Completed                    | `DELIVERED`          | the merchant's "done"                |
|  6 | Declined                     | `PAYMENT_FAILED`     | the payment was declined             |
| 12 | Manual Verification Required | `FRAUD_REVIEW`       | held for a fraud / manual check      |
| 13 | Disputed                     | `DISPUTED`           | chargeback or dispute opened         |
|  5 | Cancelled                    | `CANCELLED`          | closing stage                        |
|  4 | Refunded                     | `REFUNDED`           | closing stage                        |
| 14 | Partially Refunded           | `PARTIALLY_REFUNDED` | the order carries on                 |
"""

from __future__ import annotations

from typing import Final

from connectors.errors import WebhookPayloadError
from domain.events import OrderStage

STATUS_NAMES: Final[dict[int, str]] = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}

STATUS_STAGES: Final[dict[int, OrderStage]] = {
    0: OrderStage.INCOMPLETE,
    1: OrderStage.PLACED,
    7: OrderStage.PLACED,
    11: OrderStage.PAYMENT_CONFIRMED,
    9: OrderStage.AWAITING_SHIPMENT,
    8: OrderStage.AWAITING_PICKUP,
    3: OrderStage.PARTIALLY_SHIPPED,
    2: OrderStage.SHIPPED,
    10: OrderStage.DELIVERED,
    6: OrderStage.PAYMENT_FAILED,
    12: OrderStage.FRAUD_REVIEW,
    13: OrderStage.DISPUTED,
    5: OrderStage.CANCELLED,
    4: OrderStage.REFUNDED,
    14: OrderStage.PARTIALLY_REFUNDED,
}


def stage_for_status(status_id: int) -> OrderStage:
    """The canonical stage of a BigCommerce status id; an unknown id is a payload we do not know."""
    try:
        return STATUS_STAGES[status_id]
    except (KeyError, TypeError):  # TypeError: an unhashable value slipped through
        raise WebhookPayloadError(f"unknown BigCommerce order status id {status_id!r}") from None


def status_name(status_id: int) -> str:
    """BigCommerce's own label for a status id (raises like `stage_for_status` when unknown)."""
    stage_for_status(status_id)
    return STATUS_NAMES[status_id]
