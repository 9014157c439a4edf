"""Operations events: checkout.failed, payment.gateway_error, catalog.import_failed,
promotion.misconfigured and product.unavailable, each an OPS_ALERT keyed "{kind}:{qualifier}" (or the
kind alone without one)."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from connectors.sfcc.documents import Doc, Text
from connectors.sfcc.envelope import Envelope, Handler, new_event, read_data
from connectors.sfcc.status_map import PickupMethods
from domain.events import AlertKind, AlertPayload, CommerceEvent, EventType


class _OpsData(Doc):
    message: Text = None
    c_reason: Text = None
    c_gateway: Text = None
    order_no: Text = None
    basket_id: Text = None
    product_id: Text = None
    catalog_id: Text = None
    promotion_id: Text = None
    amount: Decimal | None = None
    currency: Text = None


def _ops(kind: AlertKind, qualifier: str) -> Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        data = read_data(_OpsData, envelope)
        value = getattr(data, qualifier)
        alert = AlertPayload(
            kind=kind,
            key=f"{kind.value}:{value}" if value else kind.value,
            detail=data.message or data.c_reason,
            order_id=data.order_no,
            sku=data.product_id,
            amount=data.amount,
            currency=data.currency,
        )
        return [new_event(envelope, EventType.OPS_ALERT, alert=alert)]

    return handle


HANDLERS: Final[dict[str, Handler]] = {
    "checkout.failed": _ops(AlertKind.CHECKOUT_FAILED, "c_reason"),
    "payment.gateway_error": _ops(AlertKind.PAYMENT_GATEWAY_ERROR, "c_gateway"),
    "catalog.import_failed": _ops(AlertKind.CATALOG_UPDATE_FAILED, "catalog_id"),
    "promotion.misconfigured": _ops(AlertKind.PROMOTION_MISCONFIGURED, "promotion_id"),
    "product.unavailable": _ops(AlertKind.PRODUCT_UNAVAILABLE, "product_id"),
}
