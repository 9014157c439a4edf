"""deploy/sap-commerce/*.impex cannot be imported here (no SAP Commerce), so it is held to the code
that reads what it configures: every integration object the connector parses or reads is defined
with exactly the attributes its wire model reads, navigation attributes return the IO items the
models expect, the client's $expand and $filter paths exist, and every webhook configuration joins
an existing IO, destination and filter script into a URL the parser understands."""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.sap_commerce import client as sap_client
from connectors.sap_commerce import parse_webhook
from connectors.sap_commerce import simulate as sim
from connectors.sap_commerce.documents import (
    EXTENSION_ATTRIBUTES,
    IMPLICIT_ATTRIBUTES,
    INTEGRATION_OBJECTS,
    SapWire,
    attribute_names,
)
from connectors.sap_commerce.webhooks import _HANDLERS, ABANDONED_MARK, ACCOUNT_EVENTS

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "sap-commerce"
WEBHOOK_EVENTS = {
    f"de.hybris.platform.webhookservices.event.{name}"
    for name in ("ItemSavedEvent", "ItemCreatedEvent", "ItemUpdatedEvent", "ItemDeletedEvent")
}
ROOTS = {
    "TidingsOrder": "Order",
    "TidingsCart": "Cart",
    "TidingsStockLevel": "StockLevel",
    "TidingsPriceRow": "PriceRow",
    "TidingsCustomer": "Customer",
    "TidingsReturnRequest": "ReturnRequest",
    "TidingsCustomerReview": "CustomerReview",
    "TidingsProduct": "Product",
    "TidingsOrderComment": "Comment",
    "TidingsReturnRequestComment": "Comment",
}
# The news each IO's destinations may name with `event=`.
DESTINATION_EVENTS = {"TidingsCart": {"removed", "abandoned"}, "TidingsCustomer": set(ACCOUNT_EVENTS)}


@dataclass
class Block:
    kind: str  # INSERT_UPDATE …
    type: str  # the item type
    rows: list[dict[str, str]] = field(default_factory=list)


def _split(line: str) -> list[str]:
    """ImpEx cells: `;`-separated, double quotes protect `;` (and "" is a quote)."""
    cells, cell, quoted, i = [], [], False, 0
    while i < len(line):
        char = line[i]
        if char == '"':
            if quoted and line[i + 1 : i + 2] == '"':
                cell.append('"')
                i += 1
            else:
                quoted = not quoted
        elif char == ";" and not quoted:
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(char)
        i += 1
    cells.append("".join(cell).strip())
    return cells


def _logical_lines(text: str) -> list[str]:
    """Physical lines joined while a quoted value is open (scripts span lines)."""
    lines, pending = [], ""
    for line in text.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        if pending.count('"') % 2 == 0:
            lines.append(pending)
            pending = ""
    assert not pending, f"unterminated quoted value: {pending[:80]}"
    return lines


def _column(header: str) -> str:
    # `integrationObjectItem(integrationObject(code), code)[unique = true]` → integrationObjectItem
    return re.split(r"[\[(]", header.strip(), maxsplit=1)[0].strip()


def parse_impex(text: str) -> list[Block]:
    macros: dict[str, str] = {}
    blocks: list[Block] = []
    columns: list[str] = []

    def substitute(line: str) -> str:
        for name in sorted(macros, key=len, reverse=True):
            line = line.replace(name, macros[name])
        return line

    for line in _logical_lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("$"):
            name, _, value = stripped.partition("=")
            macros[name.strip()] = substitute(value.strip())
            continue
        header = re.match(r"^(INSERT_UPDATE|INSERT|UPDATE|REMOVE)\s+(\w+)\s*;", stripped)
        if header:
            columns = [_column(c) for c in _split(substitute(stripped))[1:]]
            blocks.append(Block(header.group(1), header.group(2)))
            continue
        assert stripped.startswith(";"), f"not ImpEx: {stripped[:80]}"
        values = _split(substitute(line))[1:]
        blocks[-1].rows.append(dict(zip(columns, values, strict=False)))
    return blocks


@cache
def impex() -> dict[str, list[dict[str, str]]]:
    """Rows per item type, over every file in import order."""
    rows: dict[str, list[dict[str, str]]] = {}
    files = sorted(DEPLOY.glob("*.impex"))
    assert [f.name[:3] for f in files] == ["10-", "20-", "30-", "40-"]
    for path in files:
        for block in parse_impex(path.read_text()):
            assert block.kind == "INSERT_UPDATE", f"{path.name}: only INSERT_UPDATE re-imports cleanly"
            rows.setdefault(block.type, []).extend(block.rows)
    return rows


def items(io: str) -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in impex()["IntegrationObjectItem"] if r["integrationObject"] == io}


def attributes(io: str, item: str) -> dict[str, dict[str, str]]:
    key = f"{io}:{item}"
    return {
        r["attributeName"]: r
        for r in impex()["IntegrationObjectItemAttribute"]
        if r["integrationObjectItem"] == key
    }


def virtual_attributes(io: str, item: str) -> dict[str, dict[str, str]]:
    key = f"{io}:{item}"
    rows = impex().get("IntegrationObjectItemVirtualAttribute", [])
    return {r["attributeName"]: r for r in rows if r["integrationObjectItem"] == key}


def scripts() -> dict[str, str]:
    return {r["code"]: r["content"] for r in impex()["Script"]}


def _models_in(annotation: Any) -> set[type[SapWire]]:
    """The SapWire models an annotation holds (Optional, list, Annotated unwrapped)."""
    if isinstance(annotation, type) and issubclass(annotation, SapWire):
        return {annotation}
    found: set[type[SapWire]] = set()
    if typing.get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found |= _models_in(arg)
    return found


def navigation(model: type[SapWire]) -> dict[str, type[SapWire]]:
    """Attribute name → the model it returns, for the model's navigation attributes."""
    result = {}
    for name, info in model.model_fields.items():
        models = _models_in(info.annotation)
        if models:
            assert len(models) == 1, f"{model.__name__}.{name} returns several models"
            result[info.alias or name] = models.pop()
    return result


# ---- integration objects ----------------------------------------------------------------------------


def test_every_integration_object_the_connector_uses_is_defined() -> None:
    defined = {r["code"] for r in impex()["IntegrationObject"]}
    assert defined == set(INTEGRATION_OBJECTS)
    assert set(_HANDLERS) <= defined  # every IO the webhook parser reads
    inbound = {r["integrationObject"] for r in impex()["InboundChannelConfiguration"]}
    assert inbound == defined, "the Integration API serves an IO only with an inbound channel"


@pytest.mark.parametrize("io", sorted(INTEGRATION_OBJECTS))
def test_items_and_root(io: str) -> None:
    defined = items(io)
    assert set(defined) == set(INTEGRATION_OBJECTS[io])
    assert [code for code, row in defined.items() if row.get("root") == "true"] == [ROOTS[io]]
    for code, row in defined.items():
        assert row["type"] == code, f"{io}:{code} is of type {row['type']}"


@pytest.mark.parametrize(
    ("io", "item"), sorted((io, item) for io, models in INTEGRATION_OBJECTS.items() for item in models)
)
def test_attributes_match_the_wire_model(io: str, item: str) -> None:
    model = INTEGRATION_OBJECTS[io][item]
    regular, virtual = attributes(io, item), virtual_attributes(io, item)
    assert not set(regular) & set(virtual)
    extensions = EXTENSION_ATTRIBUTES.get(model, frozenset())
    expected = attribute_names(model) - IMPLICIT_ATTRIBUTES - extensions
    assert set(regular) | set(virtual) == expected, f"{io}:{item} vs {model.__name__}"
    assert any(r.get("unique") == "true" for r in regular.values()), f"{io}:{item} has no key attribute"

    nav = navigation(model)
    for name, row in regular.items():
        enclosing, _, qualifier = row["attributeDescriptor"].partition(":")
        assert (enclosing, qualifier) == (item, name), (
            f"{io}:{item}.{name} reads {row['attributeDescriptor']}"
        )
        returned = row.get("returnIntegrationObjectItem", "")
        if name in nav:
            target_io, _, target = returned.partition(":")
            assert target_io == io and target in INTEGRATION_OBJECTS[io], (
                f"{io}:{item}.{name} returns {returned!r}"
            )
            assert INTEGRATION_OBJECTS[io][target] is nav[name], (
                f"{io}:{item}.{name}: {target} is not {nav[name].__name__}"
            )
        else:
            assert not returned, f"{io}:{item}.{name} is a plain value in {model.__name__}"


def test_virtual_attributes_have_descriptors_and_scripts() -> None:
    descriptors = {r["code"]: r for r in impex()["IntegrationObjectVirtualAttributeDescriptor"]}
    for row in impex()["IntegrationObjectItemVirtualAttribute"]:
        descriptor = descriptors[row["retrievalDescriptor"]]
        location = descriptor["logicLocation"]
        assert location.startswith("model://") and location.removeprefix("model://") in scripts()
        assert descriptor["type"] in {
            "java.lang.String",
            "java.lang.Integer",
            "java.util.Date",
            "java.math.BigDecimal",
        }


# ---- what the client reads and writes -----------------------------------------------------------------


def _path_exists(io: str, path: str) -> bool:
    item = ROOTS[io]
    for part in path.split("/"):
        row = attributes(io, item).get(part)
        if row is None:
            return False
        returned = row.get("returnIntegrationObjectItem", "")
        item = returned.partition(":")[2] or item
    return True


@pytest.mark.parametrize(
    ("io", "expand"),
    [
        ("TidingsOrder", sap_client.ORDER_EXPAND),
        ("TidingsOrder", sap_client.PURCHASE_EXPAND),
        ("TidingsCart", sap_client.CART_EXPAND),
        ("TidingsProduct", sap_client.PRODUCT_EXPAND),
        ("TidingsStockLevel", sap_client.STOCK_EXPAND),
        ("TidingsReturnRequest", sap_client.RETURN_EXPAND),
    ],
)
def test_the_clients_expansions_are_navigation_paths_of_the_io(io: str, expand: str) -> None:
    for path in expand.split(","):
        assert _path_exists(io, path), f"{io} has no navigation path {path}"


@pytest.mark.parametrize(
    ("io", "paths"),
    [
        ("TidingsOrder", ["code", "site/uid", "user/customerID", "user/uid"]),
        ("TidingsCart", ["code", "site/uid"]),
        ("TidingsProduct", ["code", "catalogVersion/version", "catalogVersion/catalog/id"]),
        ("TidingsStockLevel", ["productCode"]),
        ("TidingsReturnRequest", ["RMA", "code", "order/site/uid"]),
    ],
)
def test_the_clients_filters_name_attributes_of_the_io(io: str, paths: list[str]) -> None:
    source = Path(sap_client.__file__).read_text()
    for path in paths:
        assert f"{path} eq" in source, f"the client no longer filters on {path}: update this test"
        assert _path_exists(io, path)


def test_comments_are_written_where_the_impex_made_room() -> None:
    assert {r["code"] for r in impex()["Domain"]} == {sap_client.COMMENT_DOMAIN}
    assert [(r["code"], r["domain"]) for r in impex()["Component"]] == [
        (sap_client.COMMENT_COMPONENT, sap_client.COMMENT_DOMAIN)
    ]
    assert [(r["code"], r["domain"]) for r in impex()["CommentType"]] == [
        (sap_client.COMMENT_TYPE, sap_client.COMMENT_DOMAIN)
    ]
    oauth = impex()["OAuthClientDetails"]
    assert [(r["clientId"], r["authorizedGrantTypes"], r["authorities"]) for r in oauth] == [
        ("tidings", "client_credentials", "ROLE_TRUSTED_CLIENT")
    ]


# ---- webhooks ----------------------------------------------------------------------------------------


def sample(io: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "TidingsOrder": sim.order_document("electronics", "00001001"),
        "TidingsCart": sim.cart_document("electronics", "00009001", abandoned_at=now),
        "TidingsStockLevel": sim.stock_level_document("MUG-1", "warehouse_s", available=4),
        "TidingsPriceRow": sim.price_row_document("MUG-1", "19.90"),
        "TidingsCustomer": sim.customer_document("ada@example.com"),
        "TidingsReturnRequest": sim.return_request_document("electronics", "00005001", "00001001"),
    }[io]


def test_webhook_configurations_join_existing_ios_destinations_and_filters() -> None:
    destinations = {r["id"]: r for r in impex()["ConsumedDestination"]}
    credentials = {r["id"] for r in impex()["BasicCredential"]}
    endpoints = {f"{r['id']}:{r['version']}" for r in impex()["Endpoint"]}
    configured = impex()["WebhookConfiguration"]
    assert {r["integrationObject"] for r in configured} == set(_HANDLERS)
    for row in configured:
        io = row["integrationObject"]
        assert io in _HANDLERS
        assert row["eventType"] in WEBHOOK_EVENTS
        if row.get("filterLocation"):
            assert row["filterLocation"].removeprefix("model://") in scripts()
        destination = destinations[row["destination"]]
        assert destination["credential"] in credentials
        assert destination["endpoint"] in endpoints
        assert destination["destinationTarget"] == "webhookServices"
        url = urlsplit(destination["url"])
        assert url.scheme == "https" and url.path.endswith(sim.WEBHOOK_PATH)
        params = {key: values[0] for key, values in parse_qs(url.query).items()}
        assert params["io"] == io, f"{row['destination']} posts to io={params['io']}"
        if "event" in params:
            assert params["event"] in DESTINATION_EVENTS.get(io, set())


@pytest.mark.parametrize("row", range(8))
def test_each_destination_url_carries_what_its_payloads_need(row: int) -> None:
    config = impex()["WebhookConfiguration"][row]
    destination = {r["id"]: r for r in impex()["ConsumedDestination"]}[config["destination"]]
    params = {key: values[0] for key, values in parse_qs(urlsplit(destination["url"]).query).items()}
    io = config["integrationObject"]
    operation = config["eventType"].rpartition(".")[2].removeprefix("Item").removesuffix("Event")
    body = sim.removed_cart_document("00009001") if operation == "Deleted" else sample(io)
    parsed = parse_webhook(
        __import__("json").dumps(body).encode(), params, sim.cloud_event_headers(io, operation)
    )
    assert parsed.ignored is None and parsed.events, f"{config['destination']}: {parsed.ignored}"
    if io == "TidingsCustomer" and operation == "Created":
        assert parsed.events[0].type.value == "account.registered"
    if operation == "Deleted":
        assert parsed.events[0].type.value == "cart.converted"


def test_the_abandonment_mark_is_the_same_in_the_job_the_filter_and_the_parser() -> None:
    job, cart_filter = scripts()["tidingsMarkAbandonedCarts"], scripts()["tidingsMarkedCartFilter"]
    assert f"'{ABANDONED_MARK}'" in job and f"'{ABANDONED_MARK}'" in cart_filter
    assert f"substring({len(ABANDONED_MARK)})" in job
    # The job writes Instant.toString() (…Z): the parser and the simulator read and write that form.
    assert (
        sim.abandoned_mark(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
        == f"{ABANDONED_MARK}2026-11-23T10:00:00Z"
    )
    scheduled = impex()["CronJob"][0]
    assert scheduled["job"] in {r["code"] for r in impex()["ScriptingJob"]}
    assert impex()["Trigger"][0]["cronjob"] == scheduled["code"]


def test_the_readme_names_every_file() -> None:
    readme = (DEPLOY / "README.md").read_text()
    for path in DEPLOY.glob("*.impex"):
        assert f"`{path.name}`" in readme
