"""SAP Commerce webhook bodies (the Tidings IOs' item JSON) → canonical events: each IO, the
query parameters and CloudEvents headers that say what a body is, content dedupe, and error paths."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.errors import WebhookPayloadError
from connectors.sap_commerce import parse_webhook, peek_site
from connectors.sap_commerce import simulate as sim
from connectors.sap_commerce.webhooks import ACCOUNT_EVENTS
from connectors.webhook import ParsedWebhook
from domain.events import CaseKind, CommerceEvent, EventType, OrderStage, Platform

SITE = "electronics"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def parse(
    doc: dict[str, Any] | bytes,
    io: str | None,
    *,
    site: str | None = None,
    event: str | None = None,
    operation: str | None = None,
) -> ParsedWebhook:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    params = sim.webhook_params(io, site=site, event=event) if io else {}
    headers = sim.cloud_event_headers(io or "TidingsOrder", operation) if operation else None
    return parse_webhook(body, params, headers, now=NOW)


def only(parsed: ParsedWebhook) -> CommerceEvent:
    assert parsed.ignored is None, parsed.ignored
    assert len(parsed.events) == 1, parsed.events
    return parsed.events[0]


def order(**kwargs: Any) -> dict[str, Any]:
    return sim.order_document(SITE, "00001234", **kwargs)


# ---- orders ---------------------------------------------------------------------------------------


def test_order_save_becomes_a_status_change_with_the_stage_and_customer() -> None:
    doc = order(status="PAYMENT_CAPTURED", total="249.00", currency="EUR", language="de")
    event = only(parse(doc, "TidingsOrder"))
    assert event.platform is Platform.SAP_COMMERCE
    assert event.store == SITE
    assert event.type is EventType.ORDER_STATUS_CHANGED
    assert event.workflow_id() == f"order:sap-commerce:{SITE}:00001234"
    assert event.order is not None
    assert event.order.stage is OrderStage.PAYMENT_CONFIRMED
    assert event.order.platform_status == "PAYMENT_CAPTURED"
    assert event.customer.customer_id == "7"
    assert event.customer.email == "ada@example.com"
    assert event.customer.phone == "+14155550101"
    assert event.customer.name == "Ada Lovelace"
    assert event.customer.locale == "de"
    assert event.occurred_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the order's modifiedtime
    assert event.raw_scope == "TidingsOrder"


def test_a_guest_order_has_an_email_but_no_customer_id() -> None:
    doc = order(email=None, phone=None)
    doc["user"] = {"uid": "0b7c1f7e-4f3c-4f8e-9d2a-6f1f0c6f9a11|guest@example.com", "name": "Guest"}
    event = only(parse(doc, "TidingsOrder"))
    assert event.customer.customer_id is None
    assert event.customer.email == "guest@example.com"
    assert event.customer.name == "Ada Lovelace"  # the payment address names the buyer


def test_order_stage_comes_from_its_consignments_and_names_the_shipment() -> None:
    doc = order(
        status="ORDER_SPLIT",
        consignments=[
            sim.consignment("a1", "SHIPPED", tracking_id="1Z999", carrier="UPS"),
            sim.consignment("a2", "PICKPACK"),
        ],
    )
    event = only(parse(doc, "TidingsOrder"))
    assert event.order is not None
    assert event.order.stage is OrderStage.PARTIALLY_SHIPPED
    assert event.order.shipment_id == "a1"
    assert event.order.platform_status == "ORDER_SPLIT · a1 SHIPPED, a2 PICKPACK"
    assert event.extra["consignments"] == {"a1": "SHIPPED", "a2": "PICKPACK"}


def test_pickup_consignments_tell_awaiting_pickup_then_collected() -> None:
    ready = order(
        status="ORDER_SPLIT",
        pickup=True,
        consignments=[sim.consignment("p1", "READY_FOR_PICKUP", pickup_store="nakano")],
    )
    collected = order(
        status="COMPLETED",
        pickup=True,
        consignments=[sim.consignment("p1", "PICKUP_COMPLETE", pickup_store="nakano")],
    )
    first, second = only(parse(ready, "TidingsOrder")), only(parse(collected, "TidingsOrder"))
    assert first.order is not None and first.order.stage is OrderStage.AWAITING_PICKUP
    assert second.order is not None and second.order.stage is OrderStage.DELIVERED


def test_the_same_content_saved_again_is_the_same_event() -> None:
    doc = order(status="ORDER_SPLIT", consignments=[sim.consignment("a1", "READY")])
    again = copy.deepcopy(doc)
    # A re-save that changes nothing that counts: new modifiedtime, prices recalculated, an
    # address edited, attributes in another order, a new CloudEvent id.
    again["modifiedtime"] = sim.sap_date(NOW)
    again["totalPrice"] = "59.9"
    again["deliveryAddress"]["town"] = "Round Rock"
    again = dict(reversed(list(again.items())))
    first = only(parse(doc, "TidingsOrder", operation="Created"))
    second = only(parse(again, "TidingsOrder", operation="Updated"))
    assert first.event_id == second.event_id
    assert first.type is second.type is EventType.ORDER_STATUS_CHANGED


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["consignments"][0].update(status={"code": "SHIPPED"}),  # consignment status
        lambda d: d["consignments"][0].update(trackingID="1Z-NEW"),  # a tracking id
        lambda d: d["consignments"][0].update(carrier="DHL"),
        lambda d: d.update(status={"code": "COMPLETED"}),  # the order status
        lambda d: d["consignments"].append(sim.consignment("a2", "WAITING")),  # a new consignment
    ],
)
def test_a_change_that_counts_is_a_new_event(change: Any) -> None:
    doc = order(
        status="ORDER_SPLIT", consignments=[sim.consignment("a1", "READY", tracking_id="1Z1", carrier="UPS")]
    )
    changed = copy.deepcopy(doc)
    change(changed)
    assert only(parse(doc, "TidingsOrder")).event_id != only(parse(changed, "TidingsOrder")).event_id


def test_the_same_order_on_another_site_is_another_event() -> None:
    doc = order()
    other = sim.order_document("apparel-uk", "00001234")
    assert only(parse(doc, "TidingsOrder")).event_id != only(parse(other, "TidingsOrder")).event_id


def test_odata_shaped_collections_are_read_like_webhook_arrays() -> None:
    doc = order(status="ORDER_SPLIT", consignments=[sim.consignment("a1", "SHIPPED")])
    odata = copy.deepcopy(doc)
    odata["__metadata"] = {"type": "HybrisCommerceOData.Order"}
    odata["consignments"] = {"results": odata["consignments"]}
    odata["entries"] = {"results": odata["entries"]}
    assert only(parse(doc, "TidingsOrder")).event_id == only(parse(odata, "TidingsOrder")).event_id


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("code"), "code is missing"),
        (lambda d: d.pop("status"), "status is missing"),
        (lambda d: d.update(status={"code": "SHIPPING"}), "status.code: unknown SAP OrderStatus 'SHIPPING'"),
        (
            lambda d: d["consignments"].append({"code": "x", "status": {"code": "LOST"}}),
            r"consignments\[0\].status.code: unknown SAP ConsignmentStatus 'LOST'",
        ),
        (lambda d: d["consignments"].append({"code": "x"}), r"consignments\[0\].status is missing"),
        (lambda d: d["entries"][0].pop("product"), r"entries\[0\].product is missing"),
        (lambda d: d.update(totalPrice="lots"), "totalPrice"),
        (lambda d: d.update(date="yesterday"), "date: must be /Date"),
        (lambda d: d.pop("site"), "site.uid is missing and the destination URL has no site parameter"),
        (lambda d: d.update(site={"uid": "../admin"}), "site.uid: '../admin' is not a base site uid"),
    ],
)
def test_malformed_orders_name_the_field(mutate: Any, message: str) -> None:
    doc = order()
    mutate(doc)
    with pytest.raises(WebhookPayloadError, match=message):
        parse(doc, "TidingsOrder")


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "body is not valid JSON"), (b"[1, 2]", "body must be a JSON object, not list")],
)
def test_bodies_that_are_not_json_objects(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse(body, "TidingsOrder")


# ---- which IO --------------------------------------------------------------------------------------


def test_an_unknown_integration_object_is_ignored() -> None:
    parsed = parse({"code": "x"}, "ProductSyncIO")
    assert parsed.events == [] and parsed.ignored == "integration object ProductSyncIO is not handled"


def test_the_cloud_event_type_names_the_io_when_the_url_does_not() -> None:
    event = only(parse(order(), None, operation="Created"))
    assert event.order is not None and event.order.order_id == "00001234"


def test_without_io_parameter_or_cloud_event_the_body_is_refused() -> None:
    with pytest.raises(WebhookPayloadError, match=r"\?io=<IntegrationObject>"):
        parse(order(), None)


def test_peek_site_reads_the_body_then_the_url() -> None:
    body = json.dumps(order()).encode()
    assert peek_site(body, {"io": "TidingsOrder"}) == SITE
    returned = sim.return_request_document("apparel-uk", "R1", "00001234")
    assert peek_site(json.dumps(returned).encode(), {}) == "apparel-uk"
    stock = json.dumps(sim.stock_level_document("MUG-1", "ws1", available=3)).encode()
    assert peek_site(stock, {"io": "TidingsStockLevel", "site": "apparel-de"}) == "apparel-de"
    assert peek_site(b"not json", {"site": "x"}) == "x"
    assert peek_site(stock, {}) is None


# ---- carts ----------------------------------------------------------------------------------------


def test_a_cart_marked_by_the_job_is_abandoned() -> None:
    marked = NOW - timedelta(minutes=1)
    doc = sim.cart_document(SITE, "00009001", amount="129.00", abandoned_at=marked)
    event = only(parse(doc, "TidingsCart"))
    assert event.type is EventType.CART_ABANDONED
    assert event.cart is not None and event.cart.cart_id == "00009001"
    assert event.workflow_id() == f"cart:sap-commerce:{SITE}:00009001"
    assert event.customer.customer_id == "7" and event.customer.email == "ada@example.com"
    assert event.occurred_at == marked.replace(microsecond=0)


def test_a_marked_cart_saved_later_is_the_shopper_back() -> None:
    marked = NOW - timedelta(hours=2)
    doc = sim.cart_document(SITE, "00009001", abandoned_at=marked, modified_at=marked + timedelta(minutes=30))
    assert only(parse(doc, "TidingsCart")).type is EventType.CART_UPDATED
    # Within the window it is the marking save itself (webhook payloads are read when sent).
    doc = sim.cart_document(SITE, "00009001", abandoned_at=marked, modified_at=marked + timedelta(seconds=40))
    assert only(parse(doc, "TidingsCart")).type is EventType.CART_ABANDONED


def test_abandoned_dedupes_on_the_mark_updates_on_the_contents() -> None:
    marked = NOW - timedelta(minutes=1)
    doc = sim.cart_document(SITE, "00009001", abandoned_at=marked)
    resent = copy.deepcopy(doc)
    resent["totalPrice"] = "99.00"  # the job's save and a recalculation: still the one abandonment
    assert only(parse(doc, "TidingsCart")).event_id == only(parse(resent, "TidingsCart")).event_id
    later = sim.cart_document(SITE, "00009001", abandoned_at=marked + timedelta(hours=3))
    assert only(parse(doc, "TidingsCart")).event_id != only(parse(later, "TidingsCart")).event_id

    back = sim.cart_document(SITE, "00009001", abandoned_at=marked, modified_at=NOW + timedelta(hours=1))
    more = copy.deepcopy(back)
    more["entries"][0]["quantity"] = 2
    assert only(parse(back, "TidingsCart")).event_id != only(parse(more, "TidingsCart")).event_id


def test_a_destination_for_abandoned_carts_says_so_itself() -> None:
    doc = sim.cart_document(SITE, "00009002")  # no mark: the destination's filter chose it
    event = only(parse(doc, "TidingsCart", event="abandoned"))
    assert event.type is EventType.CART_ABANDONED and event.raw_scope == "TidingsCart:abandoned"


def test_a_guest_cart_has_no_customer() -> None:
    doc = sim.cart_document(SITE, "00009003", customer_id=None, email=None, abandoned_at=NOW)
    event = only(parse(doc, "TidingsCart"))
    assert event.customer.customer_id is None and event.customer.email is None


def test_a_removed_cart_converted() -> None:
    for params, operation in ((dict(event="removed", site=SITE), None), (dict(site=SITE), "Deleted")):
        event = only(
            parse(sim.removed_cart_document("00009001"), "TidingsCart", operation=operation, **params)
        )
        assert event.type is EventType.CART_CONVERTED
        assert event.cart is not None and event.cart.cart_id == "00009001" and event.cart.order_id is None
        assert event.store == SITE
    # The key alone is enough, and the payload's site wins over the URL's.
    event = only(
        parse(
            {"integrationKey": "00009009", "site": {"uid": "apparel-uk"}},
            "TidingsCart",
            event="removed",
            site=SITE,
        )
    )
    assert event.cart is not None and event.cart.cart_id == "00009009" and event.store == "apparel-uk"
    with pytest.raises(WebhookPayloadError, match="code is missing"):
        parse({"site": {"uid": SITE}}, "TidingsCart", event="removed")


def test_a_bad_abandonment_mark_is_named() -> None:
    doc = sim.cart_document(SITE, "00009001")
    doc["statusInfo"] = "tidings:abandoned@yesterday"
    with pytest.raises(WebhookPayloadError, match="statusInfo"):
        parse(doc, "TidingsCart")


# ---- stock ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("available", "reserved", "status", "sellable"),
    [
        (12, 2, "notSpecified", 10),
        (3, 5, "notSpecified", 0),
        (0, 0, "forceOutOfStock", 0),
        (0, 0, "forceInStock", None),
        (9, 0, "forceOutOfStock", 0),
    ],
)
def test_stock_level_becomes_inventory_changed(
    available: int, reserved: int, status: str, sellable: int | None
) -> None:
    doc = sim.stock_level_document(
        "MUG-1", "warehouse_s", available=available, reserved=reserved, in_stock_status=status
    )
    event = only(parse(doc, "TidingsStockLevel", site=SITE))
    assert event.type is EventType.INVENTORY_CHANGED
    assert event.product is not None
    assert event.product.sku == "MUG-1"
    assert event.product.available == sellable
    assert event.product.previous_available is None
    assert event.extra["warehouse"] == "warehouse_s"
    assert event.workflow_id() == f"product:sap-commerce:{SITE}:MUG-1"


def test_stock_dedupes_on_its_figures() -> None:
    doc = sim.stock_level_document("MUG-1", "warehouse_s", available=12, reserved=2)
    same = copy.deepcopy(doc)
    reserved = sim.stock_level_document("MUG-1", "warehouse_s", available=12, reserved=3)
    other_warehouse = sim.stock_level_document("MUG-1", "warehouse_e", available=12, reserved=2)
    ids = [
        only(parse(d, "TidingsStockLevel", site=SITE)).event_id
        for d in (doc, same, reserved, other_warehouse)
    ]
    assert ids[0] == ids[1] and len(set(ids)) == 3


def test_stock_needs_the_site_from_the_url() -> None:
    doc = sim.stock_level_document("MUG-1", "warehouse_s", available=1)
    with pytest.raises(
        WebhookPayloadError, match="site is missing and the destination URL has no site parameter"
    ):
        parse(doc, "TidingsStockLevel")
    doc.pop("productCode")
    with pytest.raises(WebhookPayloadError, match="productCode is missing"):
        parse(doc, "TidingsStockLevel", site=SITE)


# ---- customers ------------------------------------------------------------------------------------


def test_a_created_customer_is_registered() -> None:
    doc = sim.customer_document("ada@example.com", language="fr")
    for parsed in (
        parse(doc, "TidingsCustomer", site=SITE, operation="Created"),
        parse(doc, "TidingsCustomer", site=SITE, event="registered"),
    ):
        event = only(parsed)
        assert event.type is EventType.ACCOUNT_REGISTERED
        assert event.account is not None and event.account.customer_id == "7"
        assert event.customer.email == "ada@example.com" and event.customer.locale == "fr"
        assert event.customer.phone == "+14155550101"
        assert event.workflow_id() == f"account:sap-commerce:{SITE}:7:{event.event_id}"


def test_the_virtual_attribute_names_the_account_event() -> None:
    doc = sim.customer_document(
        "ada@example.com", event="password_reset", link="https://shop.example/login/pw/change?token=abc"
    )
    event = only(parse(doc, "TidingsCustomer", site=SITE))
    assert event.type is EventType.PASSWORD_RESET
    assert (
        event.account is not None and event.account.link == "https://shop.example/login/pw/change?token=abc"
    )
    # A new reset (a new token) is a new message; the same one posted again is not.
    again = only(parse(copy.deepcopy(doc), "TidingsCustomer", site=SITE))
    other = sim.customer_document(
        "ada@example.com", event="password_reset", link="https://shop.example/x?token=def"
    )
    assert again.event_id == event.event_id != only(parse(other, "TidingsCustomer", site=SITE)).event_id


@pytest.mark.parametrize(("name", "event_type"), sorted(ACCOUNT_EVENTS.items()))
def test_every_account_event_name(name: str, event_type: EventType) -> None:
    doc = sim.customer_document("ada@example.com", event=name.replace("_", "-").upper())
    assert only(parse(doc, "TidingsCustomer", site=SITE)).type is event_type


def test_a_plain_customer_save_tells_the_lifecycle_its_profile_facts() -> None:
    doc = sim.customer_document(
        "ada@example.com",
        birthday=datetime(1990, 12, 10, tzinfo=UTC),
        points=1250,
        tier="gold",
        expires_at=datetime(2027, 1, 31, tzinfo=UTC),
    )
    event = only(parse(doc, "TidingsCustomer", site=SITE))
    assert event.type is EventType.CUSTOMER_UPDATED
    assert event.workflow_id() == f"customer:sap-commerce:{SITE}:7"
    assert event.account is not None
    assert (event.account.birthday, event.account.balance, event.account.tier) == ("12-10", 1250, "gold")
    assert event.account.expires_at == datetime(2027, 1, 31, tzinfo=UTC)
    tier_up = copy.deepcopy(doc)
    tier_up["loyaltyTier"] = "platinum"
    assert only(parse(tier_up, "TidingsCustomer", site=SITE)).event_id != event.event_id


def test_customer_errors() -> None:
    with pytest.raises(WebhookPayloadError, match="tidingsEvent: unknown account event 'newsletter'"):
        parse(sim.customer_document("ada@example.com", event="newsletter"), "TidingsCustomer", site=SITE)
    with pytest.raises(WebhookPayloadError, match="uid is missing"):
        parse({"customerID": "7"}, "TidingsCustomer", site=SITE)
    anonymous = sim.customer_document("anonymous", customer_id="anonymous")
    anonymous.pop("customerID")
    parsed = parse(anonymous, "TidingsCustomer", site=SITE)
    assert parsed.events == [] and parsed.ignored is not None


# ---- return requests ------------------------------------------------------------------------------


def returned(**kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("rma", "RMA-1001")
    return sim.return_request_document(SITE, "00005001", "00001234", **kwargs)


def by_type(parsed: ParsedWebhook) -> dict[EventType, CommerceEvent]:
    assert parsed.ignored is None
    found = {e.type: e for e in parsed.events}
    assert len(found) == len(parsed.events), "one event per type"
    return found


def test_a_new_return_opens_its_case() -> None:
    events = by_type(
        parse(returned(notes="The handle came off"), "TidingsReturnRequest", operation="Created")
    )
    assert set(events) == {EventType.CASE_OPENED}
    opened = events[EventType.CASE_OPENED]
    assert opened.case is not None
    assert opened.case.case_id == "RMA-1001"
    assert opened.case.kind is CaseKind.RETURN_REQUEST
    assert opened.case.order_id == "00001234"
    assert opened.case.detail == "The handle came off"
    assert opened.workflow_id() == f"case:sap-commerce:{SITE}:RMA-1001"
    assert opened.customer.customer_id == "7"


def test_a_refund_without_returned_goods_is_a_refund_case_keyed_by_code_without_rma() -> None:
    doc = returned(immediate=True)
    doc.pop("RMA")
    opened = by_type(parse(doc, "TidingsReturnRequest"))[EventType.CASE_OPENED]
    assert (
        opened.case is not None and opened.case.kind is CaseKind.REFUND and opened.case.case_id == "00005001"
    )
    assert opened.case.detail == "DamagedInTransit"  # no notes: the reason


def test_an_open_return_keeps_its_case_open_and_tells_the_update() -> None:
    events = by_type(parse(returned(status="RECEIVED"), "TidingsReturnRequest"))
    assert set(events) == {EventType.CASE_OPENED, EventType.CASE_UPDATED}
    update = events[EventType.CASE_UPDATED].case
    assert update is not None and update.detail == "goods_received"
    first = parse(returned(status="APPROVAL_PENDING"), "TidingsReturnRequest").events[0]
    # The case is opened once, whatever status it is seen in.
    assert events[EventType.CASE_OPENED].event_id == first.event_id


def test_a_full_refund_refunds_the_order_and_tells_the_customer() -> None:
    events = by_type(
        parse(returned(status="PAYMENT_REVERSED", refund_amount="59.90"), "TidingsReturnRequest")
    )
    assert set(events) == {EventType.CASE_UPDATED, EventType.ORDER_STATUS_CHANGED, EventType.REFUND_COMPLETED}
    update = events[EventType.CASE_UPDATED]
    assert update.case is not None and update.case.detail == "refund_issued"
    refund = events[EventType.ORDER_STATUS_CHANGED]
    assert refund.order is not None
    assert (refund.order.order_id, refund.order.stage, refund.order.refund_id) == (
        "00001234",
        OrderStage.REFUNDED,
        "RMA-1001",
    )
    assert refund.workflow_id() == f"order:sap-commerce:{SITE}:00001234"
    account = events[EventType.REFUND_COMPLETED]
    assert account.account is not None
    assert (account.account.customer_id, account.account.amount, account.account.currency) == (
        "7",
        Decimal("59.90"),
        "USD",
    )


def test_a_partial_refund_is_news_for_the_order() -> None:
    events = by_type(
        parse(returned(status="PAYMENT_REVERSED", refund_amount="20.00"), "TidingsReturnRequest")
    )
    refund = events[EventType.ORDER_REFUNDED]
    assert refund.order is not None and refund.order.stage is OrderStage.PARTIALLY_REFUNDED


def test_the_refund_is_told_once_whatever_status_reports_it() -> None:
    reversed_ = parse(returned(status="PAYMENT_REVERSED", refund_amount="59.90"), "TidingsReturnRequest")
    completed = parse(returned(status="COMPLETED", refund_amount="59.90"), "TidingsReturnRequest")
    refund_ids = {e.event_id for e in reversed_.events}
    completed_types = by_type(completed)
    # COMPLETED closes the case; the refund events are the very same ones.
    assert EventType.CASE_CLOSED in completed_types
    for kind in (EventType.ORDER_STATUS_CHANGED, EventType.REFUND_COMPLETED):
        assert completed_types[kind].event_id in refund_ids
    refund_updates = [e for e in completed.events if e.type is EventType.CASE_UPDATED]
    assert [e.event_id for e in refund_updates] == [
        e.event_id for e in reversed_.events if e.type is EventType.CASE_UPDATED
    ]


@pytest.mark.parametrize(("status", "detail"), [("COMPLETED", "resolved"), ("CANCELED", "cancelled")])
def test_a_return_closed_without_refund_only_closes_its_case(status: str, detail: str) -> None:
    events = by_type(parse(returned(status=status, refund_amount="0"), "TidingsReturnRequest"))
    assert set(events) == {EventType.CASE_CLOSED}
    closed = events[EventType.CASE_CLOSED].case
    assert closed is not None and closed.detail == detail


def test_return_errors_name_the_field() -> None:
    doc = returned()
    doc["status"]["code"] = "LOST"
    with pytest.raises(WebhookPayloadError, match=r"status\.code: unknown SAP ReturnStatus 'LOST'"):
        parse(doc, "TidingsReturnRequest")
    doc = returned()
    doc["order"].pop("site")
    with pytest.raises(WebhookPayloadError, match=r"order\.site\.uid is missing"):
        parse(doc, "TidingsReturnRequest")
    doc = returned()
    doc["returnEntries"][0]["expectedQuantity"] = "two"
    with pytest.raises(WebhookPayloadError, match=r"returnEntries\[0\].expectedQuantity"):
        parse(doc, "TidingsReturnRequest")
