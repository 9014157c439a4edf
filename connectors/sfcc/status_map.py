"""SFCC order state mapped to Tidings' canonical `OrderStage`.

A B2C Commerce order carries four status fields (OCAPI spells them as lower-case strings):
`status` (created, new, open, completed, cancelled, replaced, failed), `shipping_status`
(not_shipped, part_shipped, shipped), `payment_status` (not_paid, part_paid, paid) and
`confirmation_status` (not_confirmed, confirmed). Delivery, collection, fraud review and refunds are
not SFCC statuses at all: merchants keep them in custom attributes, and this contract names them
(`c_deliveryStatus`, `c_pickedUp`, `c_pickupReady`, `c_fraudStatus`, `c_refundStatus`; the cartridge
in deploy/sfcc sends them). A *pickup order* is one with a shipment whose shipping method id is a
pickup method (`PickupMethods`: by default any id containing "pickup", "bopis" or "store"), or one
marked `c_isPickup` true, or with a `c_fromStoreId` on the order or a shipment (SFRA's BOPIS).

The stage is the first row, top to bottom, whose condition holds:

| rule               | condition (first match wins)      | `OrderStage`         | why                  |
|--------------------|-----------------------------------|----------------------|----------------------|
| replaced           | status replaced                   | none                 | see below            |
| failed             | status failed                     | `PAYMENT_FAILED`     | payment declined     |
| cancelled          | status cancelled                  | `CANCELLED`          | closing stage        |
| refunded           | c_refundStatus full               | `REFUNDED`           | closing stage        |
| partially_refunded | c_refundStatus partial            | `PARTIALLY_REFUNDED` | the order carries on |
| fraud_review       | c_fraudStatus review              | `FRAUD_REVIEW`       | held for a check     |
| address_problem    | c_deliveryStatus address_invalid  | `ADDRESS_PROBLEM`    | customer must fix it |
| returned           | c_deliveryStatus returned         | `RETURNED_TO_SENDER` | going back to us     |
| delivery_failed    | c_deliveryStatus failed_attempt   | `DELIVERY_FAILED`    | carrier missed them  |
| picked_up          | pickup order, c_pickedUp true     | `DELIVERED`          | collected            |
| delivered          | c_deliveryStatus delivered        | `DELIVERED`          | the carrier says so  |
| out_for_delivery   | c_deliveryStatus out_for_delivery | `OUT_FOR_DELIVERY`   | on the van           |
| shipped            | shipping_status shipped           | `SHIPPED`            | completed too: below |
| part_shipped       | shipping_status part_shipped      | `PARTIALLY_SHIPPED`  | more to follow       |
| pickup_ready       | pickup order, c_pickupReady true  | `AWAITING_PICKUP`    | paid or pay in store |
| unpaid             | payment_status not_paid/part_paid | `PLACED`             | not captured yet     |
| pickup_preparing   | pickup order (paid, not ready)    | `PAYMENT_CONFIRMED`  | no carrier coming    |
| confirmed          | confirmation_status confirmed     | `AWAITING_SHIPMENT`  | for the carrier      |
| paid               | otherwise (paid, not confirmed)   | `PAYMENT_CONFIRMED`  | to be confirmed      |

Decisions:
- A replaced order (`status` replaced) has no stage: it was superseded by a replacement order, whose
  own events carry the customer's journey on; its events are ignored.
- `completed` + shipped is `SHIPPED`, not `DELIVERED`. SFCC's "completed" says the merchant's
  processing is over (OMS/ERP integrations set it once fulfilment is done), nothing about the parcel
  arriving; telling a customer "delivered" too early is worse than not saying it. Delivery comes from
  the carrier integration (`c_deliveryStatus`) or, for pickups, from collection (`c_pickedUp`).
- `created` (the order exists, `OrderMgr.placeOrder` not yet called) is `PLACED` like `new` and `open`:
  the shopper has checked out; if placing fails the order becomes `failed` (row 2).
- Exceptions (rows 1-9) win over progress: a shipped order put on fraud review is in review, and a
  carrier's failed attempt, return or address failure (`c_deliveryStatus`) is told as what it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, ConfigDict

from domain.events import OrderStage

ORDER_STATUSES: Final = ("created", "new", "open", "completed", "cancelled", "replaced", "failed")
SHIPPING_STATUSES: Final = ("not_shipped", "part_shipped", "shipped")
PAYMENT_STATUSES: Final = ("not_paid", "part_paid", "paid")
CONFIRMATION_STATUSES: Final = ("not_confirmed", "confirmed")


class PickupMethods(BaseModel):
    """Which shipping method ids mean "collect in store": the exact `ids` a merchant configures, and
    any id containing one of `fragments` (case-insensitive)."""

    model_config = ConfigDict(frozen=True)

    ids: frozenset[str] = frozenset()
    fragments: tuple[str, ...] = ("pickup", "bopis", "store")

    def matches(self, method_id: str | None) -> bool:
        if not method_id:
            return False
        if method_id in self.ids:
            return True
        lowered = method_id.lower()
        return any(fragment.lower() in lowered for fragment in self.fragments)


DEFAULT_PICKUP_METHODS: Final = PickupMethods()


@dataclass(frozen=True)
class OrderFacts:
    """The parts of an order document the stage depends on (statuses lower-case, as OCAPI sends)."""

    status: str
    shipping_status: str = "not_shipped"
    payment_status: str = "not_paid"
    confirmation_status: str = "not_confirmed"
    pickup: bool = False
    pickup_ready: bool = False
    picked_up: bool = False
    delivery_status: str | None = None
    fraud_status: str | None = None
    refund_status: str | None = None


@dataclass(frozen=True)
class StageRule:
    """One row of the table: a name to refer to it by, the condition, and the stage (None: none)."""

    name: str
    stage: OrderStage | None
    holds: Callable[[OrderFacts], bool]


def _unpaid(facts: OrderFacts) -> bool:
    return facts.payment_status in ("not_paid", "part_paid")


STAGE_RULES: Final[tuple[StageRule, ...]] = (
    StageRule("replaced", None, lambda f: f.status == "replaced"),
    StageRule("failed", OrderStage.PAYMENT_FAILED, lambda f: f.status == "failed"),
    StageRule("cancelled", OrderStage.CANCELLED, lambda f: f.status == "cancelled"),
    StageRule("refunded", OrderStage.REFUNDED, lambda f: f.refund_status == "full"),
    StageRule("partially_refunded", OrderStage.PARTIALLY_REFUNDED, lambda f: f.refund_status == "partial"),
    StageRule("fraud_review", OrderStage.FRAUD_REVIEW, lambda f: f.fraud_status == "review"),
    StageRule(
        "address_problem", OrderStage.ADDRESS_PROBLEM, lambda f: f.delivery_status == "address_invalid"
    ),
    StageRule("returned", OrderStage.RETURNED_TO_SENDER, lambda f: f.delivery_status == "returned"),
    StageRule("delivery_failed", OrderStage.DELIVERY_FAILED, lambda f: f.delivery_status == "failed_attempt"),
    StageRule("picked_up", OrderStage.DELIVERED, lambda f: f.pickup and f.picked_up),
    StageRule("delivered", OrderStage.DELIVERED, lambda f: f.delivery_status == "delivered"),
    StageRule(
        "out_for_delivery", OrderStage.OUT_FOR_DELIVERY, lambda f: f.delivery_status == "out_for_delivery"
    ),
    StageRule("shipped", OrderStage.SHIPPED, lambda f: f.shipping_status == "shipped"),
    StageRule("part_shipped", OrderStage.PARTIALLY_SHIPPED, lambda f: f.shipping_status == "part_shipped"),
    StageRule("pickup_ready", OrderStage.AWAITING_PICKUP, lambda f: f.pickup and f.pickup_ready),
    StageRule("unpaid", OrderStage.PLACED, _unpaid),
    StageRule("pickup_preparing", OrderStage.PAYMENT_CONFIRMED, lambda f: f.pickup),
    StageRule("confirmed", OrderStage.AWAITING_SHIPMENT, lambda f: f.confirmation_status == "confirmed"),
    StageRule("paid", OrderStage.PAYMENT_CONFIRMED, lambda f: True),
)


def matching_rule(facts: OrderFacts) -> StageRule:
    """The first row of the table that holds (the last one always does)."""
    return next(rule for rule in STAGE_RULES if rule.holds(facts))


def stage_for(facts: OrderFacts) -> OrderStage | None:
    """The canonical stage of an order; None for a replaced order (nothing to announce)."""
    return matching_rule(facts).stage


def platform_status(facts: OrderFacts) -> str:
    """SFCC's own view for the journey's timeline, e.g. "open/paid/not_shipped"."""
    return f"{facts.status}/{facts.payment_status}/{facts.shipping_status}"


def is_pickup(
    method_ids: Iterable[str | None],
    *,
    marked: bool = False,
    store_ids: Iterable[str | None] = (),
    methods: PickupMethods = DEFAULT_PICKUP_METHODS,
) -> bool:
    """A pickup order: marked `c_isPickup`, fulfilled from a store (`c_fromStoreId`), or shipped with
    a pickup shipping method."""
    return marked or any(store_ids) or any(methods.matches(method_id) for method_id in method_ids)
