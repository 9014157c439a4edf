"""Which stage an order event stands for. Pure functions over the domain types, kept apart from the
workflow so they can be read (and tested) on their own."""

from __future__ import annotations

from domain.events import PROGRESS_RANK, CommerceEvent, EventType, OrderStage

SHIPPING_STAGES = frozenset({OrderStage.PARTIALLY_SHIPPED, OrderStage.SHIPPED})
COLLECTED_STAGES = frozenset({OrderStage.SHIPPED, OrderStage.DELIVERED})
SHIPMENT_EVENTS = frozenset({EventType.SHIPMENT_CREATED, EventType.SHIPMENT_UPDATED})
AFTERMATH_STAGES = frozenset(
    {OrderStage.CANCELLED, OrderStage.REFUNDED, OrderStage.PARTIALLY_REFUNDED, OrderStage.DISPUTED}
)


def stage_of(event: CommerceEvent, current: OrderStage) -> OrderStage | None:
    """The stage an event stands for; None when it announces nothing. Thin webhooks are read against
    the order's *current* status, which may already be further along when a burst of events arrives,
    so an event never claims more than it says: a new order is at most confirmed (or just placed, when
    it is already cancelled, refunded or disputed), a shipment at most shipped. Partial refunds are
    announced from refund events only, which carry the refund's id (BigCommerce also sends a status
    change for them)."""
    told = event.order.stage if event.order else None
    stage = told if told is not None and event.type not in SHIPMENT_EVENTS else current
    if event.type is EventType.ORDER_CREATED:
        if PROGRESS_RANK.get(stage, -1) > PROGRESS_RANK[OrderStage.PAYMENT_CONFIRMED]:
            return OrderStage.PAYMENT_CONFIRMED
        if stage in AFTERMATH_STAGES:
            return OrderStage.PLACED
    if event.type in SHIPMENT_EVENTS:
        return OrderStage.PARTIALLY_SHIPPED if current is OrderStage.PARTIALLY_SHIPPED else OrderStage.SHIPPED
    if event.type is EventType.ORDER_REFUNDED:
        return OrderStage.REFUNDED if current is OrderStage.REFUNDED else OrderStage.PARTIALLY_REFUNDED
    if stage is OrderStage.PARTIALLY_REFUNDED:
        return None
    return stage
