"""The sandbox's Integration API (OData v2): `$filter` (the subset the connector sends), `$expand`
with `__deferred` navigation properties, `$top`/`$skip`, reads by key, and comments posted through
the comment IOs (upserted by code)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.sap_state import (
    ODATA,
    BasicAuth,
    SapSandbox,
    State,
    json_body,
    lookup,
    now_iso,
    odata_error,
)

router = APIRouter()

# ---- $filter ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<literal>'(?:[^']|'')*')|(?P<paren>[()])|(?P<word>[A-Za-z_$][\w/]*))")

Predicate = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise odata_error(400, "invalid_query", f"$filter cannot be parsed near {text[position:]!r}")
        tokens.append(match.group(match.lastgroup or "word"))
        position = match.end()
    return tokens


def parse_filter(text: str) -> Predicate:
    """`a eq 'x'`, `a/b eq 'x'`, `and` (binds tighter), `or`, parentheses."""
    tokens = _tokens(text)
    position = 0

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise odata_error(400, "invalid_query", f"$filter ends too early: {text!r}")
        position += 1
        return tokens[position - 1]

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def factor() -> Predicate:
        token = take()
        if token == "(":
            inner = disjunction()
            if take() != ")":
                raise odata_error(400, "invalid_query", f"$filter: missing ')' in {text!r}")
            return inner
        operator, literal = take(), take()
        if operator != "eq" or not literal.startswith("'"):
            raise odata_error(400, "invalid_query", f"$filter supports only `<path> eq '<value>'`: {text!r}")
        wanted = literal[1:-1].replace("''", "'")
        return lambda doc: lookup(doc, token) is not None and str(lookup(doc, token)) == wanted

    def conjunction() -> Predicate:
        parts = [factor()]
        while peek() == "and":
            take()
            parts.append(factor())
        return lambda doc: all(p(doc) for p in parts)

    def disjunction() -> Predicate:
        parts = [conjunction()]
        while peek() == "or":
            take()
            parts.append(conjunction())
        return lambda doc: any(p(doc) for p in parts)

    predicate = disjunction()
    if position != len(tokens):
        raise odata_error(400, "invalid_query", f"$filter has trailing input: {text!r}")
    return predicate


# ---- OData views -------------------------------------------------------------------------------------


def _expanded(expand: str | None) -> set[str]:
    paths: set[str] = set()
    for item in (expand or "").split(","):
        parts = [p for p in item.strip().split("/") if p]
        for end in range(1, len(parts) + 1):
            paths.add("/".join(parts[:end]))  # expanding a/b expands a too
    return paths


def odata_view(
    doc: dict[str, Any], expanded: set[str], uri: str, type_name: str, prefix: str = ""
) -> dict[str, Any]:
    """An item as OData v2 JSON: `__metadata`, collections as `{"results": …}`, navigation
    properties not asked for as `__deferred`."""
    view: dict[str, Any] = {"__metadata": {"id": uri, "uri": uri, "type": f"HybrisCommerceOData.{type_name}"}}
    for key, value in doc.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            view[key] = (
                odata_view(value, expanded, f"{uri}/{key}", key[:1].upper() + key[1:], path)
                if path in expanded
                else {"__deferred": {"uri": f"{uri}/{key}"}}
            )
        elif isinstance(value, list):
            view[key] = (
                {
                    "results": [
                        odata_view(item, expanded, f"{uri}/{key}", key[:1].upper() + key[1:], path)
                        for item in value
                        if isinstance(item, dict)
                    ]
                }
                if path in expanded
                else {"__deferred": {"uri": f"{uri}/{key}"}}
            )
        else:
            view[key] = value
    return view


def _key_of(doc: dict[str, Any]) -> str:
    return str(doc.get("integrationKey") or doc.get("code") or doc.get("uid") or "")


def _entities(state: SapSandbox, io: str, entity_set: str) -> Iterator[dict[str, Any]] | None:
    sources: dict[tuple[str, str], Callable[[], Iterator[dict[str, Any]]]] = {
        ("TidingsOrder", "Orders"): lambda: iter(state.orders.values()),
        ("TidingsCart", "Carts"): lambda: iter(state.carts.values()),
        ("TidingsCustomer", "Customers"): lambda: iter(state.customers.values()),
        ("TidingsReturnRequest", "ReturnRequests"): lambda: iter(state.returns.values()),
        ("TidingsStockLevel", "StockLevels"): lambda: iter(state.stock.values()),
        ("TidingsProduct", "Products"): lambda: iter(state.products.values()),
        ("TidingsOrderComment", "Comments"): lambda: (c["document"] for c in state.comments if c["io"] == io),
        ("TidingsReturnRequestComment", "Comments"): lambda: (
            c["document"] for c in state.comments if c["io"] == io
        ),
    }
    source = sources.get((io, entity_set))
    return source() if source is not None else None


_KEYED = re.compile(r"^(?P<set>\w+)\('(?P<key>(?:[^']|'')*)'\)$")


@router.get(ODATA + "/{io}/{resource}", dependencies=[BasicAuth])
async def odata_read(io: str, resource: str, request: Request, state: State) -> JSONResponse:
    keyed = _KEYED.match(resource)
    entity_set = keyed.group("set") if keyed else resource
    found = _entities(state, io, entity_set)
    if found is None:
        raise odata_error(404, "invalid_entity_set", f"{io} has no entity set {entity_set}")
    query = request.query_params
    expanded = _expanded(query.get("$expand"))
    type_name = entity_set[:-1] if entity_set.endswith("s") else entity_set
    root = f"{str(request.base_url).rstrip('/')}{ODATA}/{io}/{entity_set}"
    if keyed:
        key = keyed.group("key").replace("''", "'")
        doc = next((d for d in found if _key_of(d) == key), None)
        if doc is None:
            raise odata_error(404, "not_found", f"Entity {entity_set} with key [{key}] was not found")
        return JSONResponse({"d": odata_view(doc, expanded, f"{root}('{key}')", type_name)})
    docs = list(found)
    if query.get("$filter"):
        predicate = parse_filter(query["$filter"])
        docs = [d for d in docs if predicate(d)]
    try:
        skip, top = int(query.get("$skip", "0")), int(query.get("$top", "1000"))
    except ValueError:
        raise odata_error(400, "invalid_query", "$top and $skip must be integers") from None
    docs = docs[skip : skip + top]
    results = [odata_view(d, expanded, f"{root}('{_key_of(d)}')", type_name) for d in docs]
    return JSONResponse({"d": {"results": results}})


@router.post(ODATA + "/{io}/Comments", dependencies=[BasicAuth], status_code=201)
async def odata_post_comment(io: str, request: Request, state: State) -> JSONResponse:
    """Upsert a comment by code; its `relatedItems` must name an order (TidingsOrderComment) or
    return request (TidingsReturnRequestComment) seeded here."""
    body = await json_body(request)
    code, text = body.get("code"), body.get("text")
    if not isinstance(code, str) or not code or not isinstance(text, str):
        raise odata_error(400, "missing_key", "Comment needs code and text")
    related = body.get("relatedItems")
    target = related[0] if isinstance(related, list) and related and isinstance(related[0], dict) else None
    if target is None:
        raise odata_error(400, "missing_nav_property", "Comment needs relatedItems")
    if io == "TidingsOrderComment":
        site = lookup(target, "site/uid")
        order_code = target.get("code")
        if (site, order_code) not in state.orders:
            raise odata_error(400, "missing_nav_property", f"Order [{site}|{order_code}] does not exist")
        return_code = None
    elif io == "TidingsReturnRequestComment":
        site = lookup(target, "order/site/uid")
        return_code = target.get("code")
        order_code = lookup(target, "order/code")
        if (site, return_code) not in state.returns:
            raise odata_error(400, "missing_nav_property", f"ReturnRequest [{return_code}] does not exist")
    else:
        raise odata_error(404, "invalid_entity_set", f"{io} has no entity set Comments")
    record = {
        "io": io,
        "site": site,
        "order": order_code,
        "return_request": return_code,
        "text": text,
        "at": now_iso(),
        "document": {**body, "integrationKey": code},
    }
    existing = next((c for c in state.comments if c["io"] == io and c["document"]["code"] == code), None)
    if existing is not None:
        existing.update(record | {"at": existing["at"]})  # an upsert: one comment per code
    else:
        state.comments.append(record)
    uri = f"{str(request.base_url).rstrip('/')}{ODATA}/{io}/Comments('{code}')"
    return JSONResponse({"d": odata_view(record["document"], set(), uri, "Comment")}, status_code=201)
