"""Order and basket events: order.created / .updated / .refunded / .refund_completed and
basket.abandoned / .updated / .converted (data: the OCAPI order or basket)."""

from __future__ import annotations

from typing import Final

from connectors.errors import WebhookPayloadError
from connectors.sfcc.documents import BasketDocument, OrderDocument
from connectors.sfcc.envelope import Envelope, Handler, new_event, read_data
from connectors.sfcc.status_map import PickupMethods, platform_status, stage_for
from domain.events import (
    AccountPayload,
    AlertKind,
    AlertPayload,
    CartPayload,
    CommerceEvent,
    EventType,
    OrderPayload,
    OrderStage,
)

_DELIVERY_STAGES = frozenset(
    {OrderStage.PARTIALLY_SHIPPED, OrderStage.SHIPPED, OrderStage.OUT_FOR_DELIVERY, OrderStage.DELIVERED}
)

# ---- orders -------------------------------------------------------------------------------------


def _order(event_type: EventType) -> Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent] | str:
        order = read_data(OrderDocument, envelope)
        facts = order.facts(methods)
        stage = stage_for(facts)
        if stage is None:
            return f"order {order.order_no} was replaced by another order, whose own events carry on"
        tracked = order.tracked_shipment()
        payload = OrderPayload(
            order_id=order.order_no,
            stage=stage,
            platform_status=platform_status(facts),
            shipment_id=tracked.shipment_id if tracked and stage in _DELIVERY_STAGES else None,
        )
        customer = order.customer_ref()
        events = [new_event(envelope, event_type, customer=customer, order=payload)]
        window = order.c_pickupWindowEnd
        if (
            event_type is EventType.ORDER_STATUS_CHANGED
            and facts.pickup
            and window is not None
            and window != order.c_previousPickupWindowEnd
        ):
            events.append(
                new_event(
                    envelope,
                    EventType.PICKUP_WINDOW_CHANGED,
                    suffix=":pickup-window",
                    customer=customer,
                    order=payload,
                    extra={"deadline": window.isoformat()},
                )
            )
        if event_type is EventType.ORDER_CREATED and order.c_vip:
            vip = AlertPayload(
                kind=AlertKind.VIP_PURCHASE,
                key=AlertKind.VIP_PURCHASE.value,
                detail=order.customer_info.customer_name,
                order_id=order.order_no,
                amount=order.order_total,
                currency=order.currency,
            )
            events.append(
                new_event(envelope, EventType.OPS_ALERT, suffix=":vip", customer=customer, alert=vip)
            )
        return events

    return handle


def _order_refunded(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    order = read_data(OrderDocument, envelope)
    # No stage: the order journey tells a full refund from a partial one against the order as it
    # reads it then (see workflows/order_stages.py), and a stage here would skip that read.
    payload = OrderPayload(
        order_id=order.order_no,
        platform_status=platform_status(order.facts(methods)),
        refund_id=order.c_refundId,
    )
    return [new_event(envelope, EventType.ORDER_REFUNDED, customer=order.customer_ref(), order=payload)]


def _refund_completed(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    order = read_data(OrderDocument, envelope)
    customer = order.customer_ref()
    customer_id = customer.customer_id or customer.email  # a guest is known by their email only
    if not customer_id:
        raise WebhookPayloadError("$.data.customer_info: needs customer_no, customer_id or email")
    account = AccountPayload(
        customer_id=customer_id,
        detail=f"order {order.order_no}",
        amount=order.c_refundAmount,
        currency=order.currency,
    )
    return [
        new_event(
            envelope,
            EventType.REFUND_COMPLETED,
            customer=customer,
            account=account,
            extra={"order_id": order.order_no},
        )
    ]


# ---- baskets ------------------------------------------------------------------------------------


def _basket(event_type: EventType) -> Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        basket = read_data(BasketDocument, envelope)
        cart = CartPayload(
            cart_id=basket.basket_id,
            order_id=basket.order_no if event_type is EventType.CART_CONVERTED else None,
        )
        return [new_event(envelope, event_type, customer=basket.customer_ref(), cart=cart)]

    return handle


HANDLERS: Final[dict[str, Handler]] = {
    "order.created": _order(EventType.ORDER_CREATED),
    "order.updated": _order(EventType.ORDER_STATUS_CHANGED),
    "order.refunded": _order_refunded,
    "order.refund_completed": _refund_completed,
    "basket.abandoned": _basket(EventType.CART_ABANDONED),
    "basket.updated": _basket(EventType.CART_UPDATED),
    "basket.converted": _basket(EventType.CART_CONVERTED),
}
