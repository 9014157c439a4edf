"""review.submitted: the shopper reviewed a product they bought (data: the order number, the
product and the rating, as the cartridge's review hook posts them; B2C Commerce keeps no reviews of
its own, so the merchant's review form or review provider calls the hook). It ends the order's
review request: no reminder follows."""

from __future__ import annotations

from typing import Final

from pydantic import Field

from connectors.sfcc.documents import Doc, Text
from connectors.sfcc.envelope import Envelope, Handler, new_event, read_data
from connectors.sfcc.status_map import PickupMethods
from domain.events import CommerceEvent, CustomerRef, EventType, OrderPayload, ProductPayload


class ReviewDocument(Doc):
    order_no: str = Field(min_length=1)
    product_id: str = Field(min_length=1)
    rating: int | None = Field(default=None, ge=1, le=5)
    customer_no: Text = None


def _review_submitted(envelope: Envelope, _methods: PickupMethods) -> list[CommerceEvent]:
    review = read_data(ReviewDocument, envelope)
    return [
        new_event(
            envelope,
            EventType.REVIEW_SUBMITTED,
            customer=CustomerRef(customer_id=review.customer_no),
            order=OrderPayload(order_id=review.order_no),
            product=ProductPayload(sku=review.product_id),
            extra={"rating": review.rating} if review.rating is not None else {},
        )
    ]


HANDLERS: Final[dict[str, Handler]] = {"review.submitted": _review_submitted}
