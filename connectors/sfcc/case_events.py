"""Service Cloud Case events: case.opened / .updated / .closed (data: the Case sObject).

Case kinds come from the Case `Type`: "Return" → return_request, "Refund" → refund, "Delivery
Dispute" → delivery_dispute, anything else → customer_message; the case id is the `CaseNumber`."""

from __future__ import annotations

from typing import Final

from pydantic import Field

from connectors.sfcc.documents import Doc, Text
from connectors.sfcc.envelope import Envelope, Handler, new_event, read_data
from connectors.sfcc.status_map import PickupMethods
from domain.events import CaseKind, CasePayload, CommerceEvent, CustomerRef, EventType


class CaseRecord(Doc):
    """A Service Cloud Case, as its sObject (plus `c_orderNo` when the relay adds the order number)."""

    Id: Text = None
    CaseNumber: str = Field(min_length=1)
    Subject: Text = None
    Description: Text = None
    Status: Text = None
    Type: Text = None
    SuppliedEmail: Text = None
    SuppliedPhone: Text = None
    SuppliedName: Text = None
    c_orderNo: Text = None
    Order__c: Text = None
    c_detail: Text = None  # case.updated: what happened (refund_issued, replacement_shipped, resolved)

    def order_no(self) -> str | None:
        return self.c_orderNo or self.Order__c


def _norm(text: str | None) -> str:
    return "".join(ch for ch in (text or "").lower() if ch.isalnum())


CASE_KINDS: Final[dict[str, CaseKind]] = {
    "return": CaseKind.RETURN_REQUEST,
    "returnrequest": CaseKind.RETURN_REQUEST,
    "refund": CaseKind.REFUND,
    "refundrequest": CaseKind.REFUND,
    "deliverydispute": CaseKind.DELIVERY_DISPUTE,
}


def _case(event_type: EventType) -> Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        case = read_data(CaseRecord, envelope)
        detail = case.Description if event_type is EventType.CASE_OPENED else (case.c_detail or case.Status)
        payload = CasePayload(
            case_id=case.CaseNumber,
            kind=CASE_KINDS.get(_norm(case.Type), CaseKind.CUSTOMER_MESSAGE),
            order_id=case.order_no(),
            subject=case.Subject,
            detail=detail,
        )
        customer = CustomerRef(email=case.SuppliedEmail, phone=case.SuppliedPhone, name=case.SuppliedName)
        extra = {"case_record_id": case.Id} if case.Id else {}
        return [new_event(envelope, event_type, customer=customer, case=payload, extra=extra)]

    return handle


HANDLERS: Final[dict[str, Handler]] = {
    "case.opened": _case(EventType.CASE_OPENED),
    "case.updated": _case(EventType.CASE_UPDATED),
    "case.closed": _case(EventType.CASE_CLOSED),
}
