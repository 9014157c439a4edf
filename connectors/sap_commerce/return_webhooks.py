"""TidingsReturnRequest webhooks: the service case a return request is, and once it is refunded,
the order's refund and the customer's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.sap_commerce import dedupe
from connectors.sap_commerce.document_mapping import customer_id_of, customer_ref
from connectors.sap_commerce.return_documents import SapReturnRequest
from connectors.sap_commerce.status_map import (
    OPEN_RETURN_STATUSES,
    REFUNDED_RETURN_STATUSES,
    return_status_case,
)
from connectors.sap_commerce.webhook_request import WebhookRequest
from connectors.webhook import parse_payload
from domain.events import (
    AccountPayload,
    CaseKind,
    CasePayload,
    CommerceEvent,
    EventType,
    OrderPayload,
    OrderStage,
)

IMMEDIATE_REFUND = "IMMEDIATE"  # ReturnAction: refund without the goods coming back


def return_case_id(request: SapReturnRequest) -> str:
    """The case a return request is: its RMA (what the customer sees), else its code."""
    return request.rma or request.code


def return_events(request: WebhookRequest) -> list[CommerceEvent]:
    returned = parse_payload(SapReturnRequest, request.raw)
    site = request.site(returned.order.site, "order.site.uid")
    status = returned.status.code
    event_type, detail = return_status_case(status)
    order = returned.order
    customer = customer_ref(order.user)
    entries = returned.return_entries
    immediate = bool(entries) and all(
        e.action is not None and e.action.code == IMMEDIATE_REFUND for e in entries
    )
    case_id = return_case_id(returned)
    case = CasePayload(
        case_id=case_id,
        kind=CaseKind.REFUND if immediate else CaseKind.RETURN_REQUEST,
        order_id=order.code,
        subject=f"Return {case_id} for order {order.code}",
    )
    refunded = status in REFUNDED_RETURN_STATUSES and returned.refund_amount != 0
    occurred = returned.modifiedtime

    def event(aspect: str, kind: EventType, **parts: Any) -> CommerceEvent:
        return request.event_of(
            dedupe.return_event_id(site, returned, aspect),
            site,
            kind,
            customer,
            occurred_at=occurred,
            **parts,
        )

    events = []
    if status in OPEN_RETURN_STATUSES:
        said = "; ".join(e.notes for e in entries if e.notes) or ", ".join(
            e.reason.code for e in entries if e.reason is not None
        )
        events.append(
            event("opened", EventType.CASE_OPENED, case=case.model_copy(update={"detail": said or detail}))
        )
    if event_type is not EventType.CASE_OPENED and not (refunded and detail == "refund_issued"):
        events.append(event("status", event_type, case=case.model_copy(update={"detail": detail})))
    if refunded:
        events.extend(_refund_events(returned, case, event))
    return events


def _refund_events(
    returned: SapReturnRequest, case: CasePayload, event: Callable[..., CommerceEvent]
) -> list[CommerceEvent]:
    order = returned.order
    amount = returned.refund_amount
    covers_total = amount is not None and order.total_price is not None and amount >= order.total_price
    events = [
        event(
            "refund-case", EventType.CASE_UPDATED, case=case.model_copy(update={"detail": "refund_issued"})
        ),
        # A full refund closes the order (its stage says so); a partial one is news on its own.
        event(
            "refund-order",
            EventType.ORDER_STATUS_CHANGED if covers_total else EventType.ORDER_REFUNDED,
            order=OrderPayload(
                order_id=order.code,
                stage=OrderStage.REFUNDED if covers_total else OrderStage.PARTIALLY_REFUNDED,
                platform_status=f"ReturnRequest {case.case_id} {returned.status.code}",
                refund_id=case.case_id,
            ),
        ),
    ]
    customer_id = customer_id_of(order.user)
    if customer_id is not None:
        events.append(
            event(
                "refund-account",
                EventType.REFUND_COMPLETED,
                account=AccountPayload(
                    customer_id=customer_id,
                    detail=f"return {case.case_id} for order {order.code}",
                    amount=amount,
                    currency=order.currency.isocode if order.currency else None,
                ),
            )
        )
    return events
