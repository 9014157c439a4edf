"""The sandbox's imitation of the SAP Commerce Cloud APIs the connector calls, plus seeding endpoints.

- Integration API (OData v2) under `/odata2webservices/{IntegrationObject}/{EntitySet}`: the
  `Tidings*` IOs' entity sets, read with `$filter` (the subset the connector sends: `eq` on
  attributes and navigation paths such as `site/uid`, `and`, `or`, parentheses), `$expand`
  (navigation properties not expanded answer `__deferred`, as SAP's do), `$top`/`$skip`, or by key
  (`Orders('00001234')`); `POST .../Comments` upserts a comment by code. HTTP Basic with any
  non-empty user and password. Errors are OData's `{"error": {"code", "message": {"lang", "value"}}}`.
- OAuth: `POST /authorizationserver/oauth/token` (client credentials; any non-empty client).
- OCC: `POST /occ/v2/{site}/users/{uid}/orders/{code}/cancellation` with a bearer token: cancels
  the entries, puts their stock back (recorded), and the order becomes CANCELLED. Errors are OCC's
  `{"errors": [{"type", "message"}]}`.
- Seeding (`/sandbox/sap/{site}/...`): `PUT` orders, carts, customers, return requests (each the IO's
  item JSON, as a webhook posts it), products, stock levels; `DELETE` a cart; `GET` an order shows
  its document with the comments and cancellations Tidings wrote; `GET /sandbox/sap/writes` lists
  every write; `PUT /sandbox/sap/faults` makes the next API calls fail.

Codes are unique per base site here (tests reuse order numbers across sites), so lookups that SAP
would do by code alone also match the site; stock levels and products are global, as in SAP.
State lives on `request.app.state.sap`, created on first use (sap_state.py). The Integration API
is in sap_odata.py, OAuth and OCC in sap_occ.py; this router includes both and adds the seeding.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox import sap_occ, sap_odata
from connectors.sandbox.documents import forget, parse_faults, seeded, stored
from connectors.sandbox.sap_occ import TOKEN_TTL as TOKEN_TTL
from connectors.sandbox.sap_occ import issue_token as issue_token
from connectors.sandbox.sap_occ import occ_cancel as occ_cancel
from connectors.sandbox.sap_odata import Predicate as Predicate
from connectors.sandbox.sap_odata import odata_post_comment as odata_post_comment
from connectors.sandbox.sap_odata import odata_read as odata_read
from connectors.sandbox.sap_odata import odata_view as odata_view
from connectors.sandbox.sap_odata import parse_filter as parse_filter
from connectors.sandbox.sap_state import CANCELLED as CANCELLED
from connectors.sandbox.sap_state import ODATA as ODATA
from connectors.sandbox.sap_state import BasicAuth as BasicAuth
from connectors.sandbox.sap_state import BearerAuth as BearerAuth
from connectors.sandbox.sap_state import SapSandbox as SapSandbox
from connectors.sandbox.sap_state import State, json_body, lookup, odata_error
from connectors.sandbox.sap_state import occ_error as occ_error
from connectors.sandbox.sap_state import require_basic as require_basic
from connectors.sandbox.sap_state import require_bearer as require_bearer
from connectors.sandbox.sap_state import sandbox_of as sandbox_of

router = APIRouter(tags=["SAP Commerce"])
router.include_router(sap_odata.router)
router.include_router(sap_occ.router)

DEFAULT_CATALOG = "tidingsProductCatalog"
DEFAULT_VERSION = "Online"


# ---- seeding (sandbox only) ------------------------------------------------------------------------


def _with_site(doc: dict[str, Any], site: str) -> None:
    doc["site"] = {"uid": site, "integrationKey": site}


@router.put("/sandbox/sap/{site}/orders/{code}", tags=["sandbox"])
async def seed_order(site: str, code: str, request: Request, state: State) -> dict[str, Any]:
    """Body: a `TidingsOrder` item JSON (as simulate.order_document builds it). Replaces any order
    seeded under this code on this site."""
    doc = await json_body(request)
    if not isinstance(lookup(doc, "status/code"), str):
        raise odata_error(400, "missing_attribute", "an order needs status.code")
    doc["code"], doc["integrationKey"] = code, code
    _with_site(doc, site)
    doc.setdefault("entries", [])
    doc.setdefault("consignments", [])
    return seeded(state.orders, (site, code), doc)


@router.get("/sandbox/sap/{site}/orders/{code}", tags=["sandbox"])
async def show_order(site: str, code: str, state: State) -> dict[str, Any]:
    """The order as SAP holds it now, the comments Tidings wrote on it and on its return requests
    (oldest first), and its cancellations through OCC."""
    order = stored(
        state.orders,
        (site, code),
        lambda: odata_error(404, "not_found", f"no order {code} seeded for site {site}"),
    )
    return {
        "order": copy.deepcopy(order),
        "comments": [
            {k: v for k, v in c.items() if k != "document"}
            for c in state.comments
            if c["site"] == site and c["order"] == code
        ],
        "cancellations": [c for c in state.cancellations if c["site"] == site and c["order"] == code],
    }


@router.put("/sandbox/sap/{site}/carts/{code}", tags=["sandbox"])
async def seed_cart(site: str, code: str, request: Request, state: State) -> dict[str, Any]:
    doc = await json_body(request)
    doc["code"], doc["integrationKey"] = code, code
    _with_site(doc, site)
    doc.setdefault("entries", [])
    return seeded(state.carts, (site, code), doc)


@router.delete("/sandbox/sap/{site}/carts/{code}", tags=["sandbox"])
async def remove_cart(site: str, code: str, state: State) -> dict[str, int]:
    """Forget the cart (as SAP does when it is checked out): the Integration API no longer finds it."""
    return forget(state.carts, (site, code))


@router.put("/sandbox/sap/{site}/customers/{uid}", tags=["sandbox"])
async def seed_customer(site: str, uid: str, request: Request, state: State) -> dict[str, Any]:
    doc = await json_body(request)
    doc["uid"], doc["integrationKey"] = uid, uid
    return seeded(state.customers, (site, uid), doc)


@router.put("/sandbox/sap/{site}/returns/{code}", tags=["sandbox"])
async def seed_return(site: str, code: str, request: Request, state: State) -> dict[str, Any]:
    """Body: a `TidingsReturnRequest` item JSON; its order must be seeded on this site."""
    doc = await json_body(request)
    order_code = lookup(doc, "order/code")
    if (site, order_code) not in state.orders:
        raise odata_error(400, "missing_nav_property", f"Order [{order_code}] is not seeded for site {site}")
    doc["code"], doc["integrationKey"] = code, code
    doc.setdefault("RMA", code)
    _with_site(doc["order"], site)
    return seeded(state.returns, (site, code), doc)


@router.put("/sandbox/sap/{site}/stock/{warehouse}/{product_code}", tags=["sandbox"])
async def seed_stock(
    site: str, warehouse: str, product_code: str, request: Request, state: State
) -> dict[str, Any]:
    """A stock level (global in SAP: per warehouse, not per site). Body: `available`, `reserved`,
    optional `overSelling`, `inStockStatus`."""
    doc = await json_body(request)
    doc["productCode"] = product_code
    doc["warehouse"] = {"code": warehouse, "integrationKey": warehouse}
    doc.setdefault("available", 0)
    doc.setdefault("reserved", 0)
    doc.setdefault("inStockStatus", {"code": "notSpecified", "integrationKey": "notSpecified"})
    doc["integrationKey"] = f"{product_code}|{warehouse}"
    return seeded(state.stock, (warehouse, product_code), doc)


@router.put("/sandbox/sap/{site}/products/{code}", tags=["sandbox"])
async def seed_product(site: str, code: str, request: Request, state: State) -> dict[str, Any]:
    """A `TidingsProduct` item JSON; without `catalogVersion`, the sandbox catalog's Online version."""
    doc = await json_body(request)
    doc["code"] = code
    version = doc.setdefault(
        "catalogVersion", {"version": DEFAULT_VERSION, "catalog": {"id": DEFAULT_CATALOG}}
    )
    catalog = str(lookup(version, "catalog/id") or DEFAULT_CATALOG)
    return seeded(state.products, (catalog, str(version.get("version", DEFAULT_VERSION)), code), doc)


@router.get("/sandbox/sap/writes", tags=["sandbox"])
async def list_writes(state: State) -> dict[str, list[dict[str, Any]]]:
    """Every comment and cancellation Tidings made, oldest first."""
    return {
        "comments": [{k: v for k, v in c.items() if k != "document"} for c in state.comments],
        "cancellations": state.cancellations,
    }


@router.put("/sandbox/sap/faults", tags=["sandbox"])
async def set_faults(request: Request, state: State) -> dict[str, int]:
    """Body: a list of `{status, times, retry_after?, path_contains?}`: the next matching API calls
    answer that status (OData error shape). `[]` clears them."""
    try:
        state.faults = parse_faults(await request.body())
    except (ValueError, TypeError) as exc:
        raise odata_error(400, "invalid_json", f"faults must be a list of objects: {exc}") from exc
    return {"faults": len(state.faults)}
