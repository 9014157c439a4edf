"""TidingsCustomerReview → `REVIEW_SUBMITTED`: a customer wrote a review of a product (SAP Commerce's
own `CustomerReview` item, saved when the storefront's review form is sent, whatever its approval).
A review names the product and the customer, not the order: the ingress hands it to the customer's
waiting review requests, and the one whose order holds the product ends (no reminder follows).
The review carries no site; the destination's `site` parameter names it."""

from __future__ import annotations

from pydantic import Field

from connectors.sap_commerce.document_mapping import customer_ref
from connectors.sap_commerce.item_json import SapDate, SapProductRef, SapUser, SapWire
from connectors.sap_commerce.webhook_request import WebhookRequest
from connectors.webhook import parse_payload
from domain.events import CommerceEvent, EventType, ProductPayload


class SapCustomerReview(SapWire):
    """`CustomerReview`: who reviewed which product, with what rating (1–5), when."""

    product: SapProductRef
    user: SapUser
    rating: float | None = None
    creationtime: SapDate = Field(default=None)


def review_events(request: WebhookRequest) -> list[CommerceEvent]:
    review = parse_payload(SapCustomerReview, request.raw)
    site = request.site(None, "site")
    who = customer_ref(review.user)
    if who.customer_id is None:
        return []  # an anonymous review belongs to no order of ours
    event_id = f"sap:{site}:review:{who.customer_id}:{review.product.code}"
    return [
        request.event_of(
            event_id,
            site,
            EventType.REVIEW_SUBMITTED,
            who,
            product=ProductPayload(
                sku=review.product.code, product_id=review.product.code, name=review.product.name
            ),
            extra={"rating": review.rating} if review.rating is not None else {},
            occurred_at=review.creationtime,
        )
    ]
