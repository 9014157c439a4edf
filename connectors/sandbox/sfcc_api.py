"""The sandbox's imitation of the SFCC APIs the connector calls, plus seeding endpoints.

- Account Manager: `POST /sfcc/oauth2/access_token` (client credentials, HTTP Basic; any client).
- OCAPI Shop API under `/s/{site}/dw/shop/{version}`: orders (GET, PATCH status), order notes (GET,
  POST), baskets, products (`expand=availability,prices`), `POST /order_search` (the query subset
  the connector sends: term/one_of on order fields, date ranges). Errors are OCAPI faults:
  `{"_v": "24.5", "fault": {"type": "OrderNotFoundException", "message": …}}`.
- Service Cloud under `/services/data/{version}`: `GET /query?q=SOQL` (SELECT … FROM Case WHERE
  CaseNumber = '…', SELECT … FROM CaseComment WHERE ParentId = '…') and `POST /sobjects/CaseComment`;
  errors as Salesforce's list of `{errorCode, message}`. One org for every site: a case number seeded
  twice (two sites) resolves to the case seeded last.
- Seeding (`/sandbox/sfcc/{site}/...`, this module): orders, baskets, products, cases; `GET` of an
  order shows the notes and API writes it received, `GET .../case-comments` the comments on the
  site's cases. `PUT /sandbox/sfcc/faults` makes the next OCAPI / Service Cloud calls fail (status,
  Retry-After).

The APIs live in `sfcc_ocapi.py` and `sfcc_service_cloud.py`, the state and error shapes in
`sfcc_state.py`; `router` includes them all, so any app that includes it gets an empty SFCC on start.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox import sfcc_ocapi, sfcc_service_cloud
from connectors.sandbox.documents import forget, parse_faults, seeded
from connectors.sandbox.sfcc_state import (
    SfccSandbox,
    State,
    fault,
    json_body,
    now,
    salesforce_error,
    sandbox_of,
    stored_order,
)
from connectors.sfcc.status_map import ORDER_STATUSES

__all__ = ["SfccSandbox", "fault", "router", "salesforce_error", "sandbox_of"]

router = APIRouter(tags=["SFCC"])
# Included first, so the routes keep the order they had when this was one module.
router.include_router(sfcc_ocapi.router)
router.include_router(sfcc_service_cloud.router)

SANDBOX_ONLY = ("notes", "api_writes")


# ---- seeding and inspection (sandbox only) ------------------------------------------------------


@router.put("/sandbox/sfcc/{site}/orders/{order_no}", tags=["sandbox"])
async def seed_order(site: str, order_no: str, request: Request, state: State) -> dict[str, Any]:
    """Body: an OCAPI order document. Replaces the document; notes (a sub-resource) are kept."""
    order = await json_body(request)
    for key in (*SANDBOX_ONLY, "_v"):
        order.pop(key, None)
    order["order_no"] = order_no
    order.setdefault("status", "new")
    order.setdefault("creation_date", now())
    if order["status"] not in ORDER_STATUSES:
        raise fault(400, "InvalidOrderStatusException", f"'{order['status']}' is not an order status.")
    state.orders[(site, order_no)] = order
    return {"site_id": site, "order_no": order_no, "status": order["status"]}


@router.get("/sandbox/sfcc/{site}/orders/{order_no}", tags=["sandbox"])
async def inspect_order(site: str, order_no: str, state: State) -> dict[str, Any]:
    """The order as stored, with the notes and the API writes (PATCH) it received, oldest first."""
    order = copy.deepcopy(stored_order(state, site, order_no))
    order["notes"] = copy.deepcopy(state.notes.get((site, order_no), []))
    order["api_writes"] = copy.deepcopy(state.api_writes.get((site, order_no), []))
    return order


@router.put("/sandbox/sfcc/{site}/baskets/{basket_id}", tags=["sandbox"])
async def seed_basket(site: str, basket_id: str, request: Request, state: State) -> dict[str, Any]:
    basket = await json_body(request)
    basket["basket_id"] = basket_id
    basket.setdefault("currency", "USD")
    basket.setdefault("last_modified", now())
    return seeded(state.baskets, (site, basket_id), basket)


@router.delete("/sandbox/sfcc/{site}/baskets/{basket_id}", tags=["sandbox"])
async def delete_basket(site: str, basket_id: str, state: State) -> dict[str, int]:
    """Forget the basket (as when it became an order): OCAPI answers 404 for it."""
    return forget(state.baskets, (site, basket_id))


@router.put("/sandbox/sfcc/{site}/products/{product_id}", tags=["sandbox"])
async def seed_product(site: str, product_id: str, request: Request, state: State) -> dict[str, Any]:
    """Body: an OCAPI product (`name`, `price`, `currency`, `primary_category_id`, `inventory {ats}`,
    `c_*`)."""
    product = await json_body(request)
    product["id"] = product_id
    product.setdefault("name", product_id)
    return seeded(state.products, (site, product_id), product)


@router.put("/sandbox/sfcc/{site}/cases/{case_number}", tags=["sandbox"])
async def seed_case(site: str, case_number: str, request: Request, state: State) -> dict[str, Any]:
    """Body: a Service Cloud Case record. Seeding a case number again updates that site's case."""
    record = await json_body(request)
    record["CaseNumber"] = case_number
    existing = next(
        (
            i
            for i, c in state.cases.items()
            if c.get("CaseNumber") == case_number and state.case_sites.get(i) == site
        ),
        None,
    )
    record_id = existing or record.get("Id") or f"500{uuid.uuid4().hex[:15]}"
    record["Id"] = record_id
    state.cases.pop(record_id, None)  # re-inserted last: the newest case with this number wins lookups
    state.cases[record_id] = record
    state.case_sites[record_id] = site
    return copy.deepcopy(record)


@router.get("/sandbox/sfcc/{site}/case-comments", tags=["sandbox"])
async def case_comments(site: str, state: State) -> list[dict[str, Any]]:
    """Comments on this site's cases, oldest first, with the case number and order they concern."""
    listed = []
    for comment in state.comments:
        if state.case_sites.get(comment["ParentId"]) != site:
            continue
        case = state.cases.get(comment["ParentId"], {})
        listed.append(
            {
                **comment,
                "CaseNumber": case.get("CaseNumber"),
                "order_no": case.get("c_orderNo") or case.get("Order__c"),
            }
        )
    return listed


@router.put("/sandbox/sfcc/faults", tags=["sandbox"])
async def set_faults(request: Request, state: State) -> dict[str, int]:
    """Body: `[{"status": 503, "times": 2, "retry_after": 1, "path_contains": "/orders/"}]`: the next
    matching OCAPI or Service Cloud calls answer so. An empty list clears them."""
    try:
        state.faults = parse_faults(await request.body())
    except (ValueError, TypeError) as exc:
        raise fault(
            400, "MalformedDocumentException", f"faults must be a list of fault objects: {exc}"
        ) from None
    return {"faults": len(state.faults)}
