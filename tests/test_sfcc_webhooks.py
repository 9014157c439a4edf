"""SFCC envelope parsing: the published JSON Schema, every event type, and errors that name the path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from connectors.errors import WebhookPayloadError
from connectors.sfcc import EVENT_TYPES, SCHEMA, parse_webhook, peek_site_id
from connectors.sfcc.simulate import (
    basket_document,
    body_of,
    case_record,
    envelope,
    order_at_stage,
    order_document,
)
from connectors.sfcc.status_map import PickupMethods
from connectors.sfcc.webhooks import HANDLED_EVENT_TYPES
from domain.events import (
    AlertKind,
    CaseKind,
    CommerceEvent,
    EventType,
    OrderStage,
    WatchKind,
)

SITE = "RefArch"
AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

PROFILE: dict[str, Any] = {
    "_type": "customer",
    "customer_id": "abcLq0rCNpBvTg3wJNTiQ2wZ1e",
    "customer_no": "00012",
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "phone_mobile": "+14155550101",
    "preferred_locale": "de_DE",
}


def parse(event_type: str, data: dict[str, Any], event_id: str = "evt-1") -> list[CommerceEvent]:
    parsed = parse_webhook(body_of(envelope(event_type, SITE, data, event_id=event_id, occurred_at=AT)))
    assert parsed.ignored is None and parsed.scope == event_type
    for event in parsed.events:
        assert event.store == SITE and event.raw_scope == event_type and event.occurred_at == AT
        event.workflow_id()  # every event belongs to a journey
    return parsed.events


def one(event_type: str, data: dict[str, Any]) -> CommerceEvent:
    events = parse(event_type, data)
    assert len(events) == 1
    return events[0]


# ---- the schema ---------------------------------------------------------------------------------


def test_the_published_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


def test_every_event_type_in_the_schema_is_handled_and_none_besides() -> None:
    assert HANDLED_EVENT_TYPES == EVENT_TYPES


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.pop("event_id"), "$.event_id is missing"),
        (lambda e: e.update(site_id="Ref Arch/../x"), "$.site_id: 'Ref Arch/../x' does not match"),
        (
            lambda e: e.update(occurred_at="2026-11-23 09:30"),
            "$.occurred_at: '2026-11-23 09:30' is not a 'date-time'",
        ),
        (lambda e: e.update(data=[1]), "$.data: [1] is not of type 'object'"),
        (lambda e: e["data"].pop("order_no"), "$.data.order_no is missing"),
        (lambda e: e["data"].update(status="shipped"), "$.data.status: 'shipped' is not one of"),
        (lambda e: e["data"]["product_items"][0].update(quantity="two"), "$.data.product_items[0].quantity"),
        (
            lambda e: e["data"]["shipments"][0].update(tracking_number=42),
            "$.data.shipments[0].tracking_number",
        ),
        (lambda e: e["data"].update(currency="usd"), "$.data.currency: 'usd' does not match"),
        (lambda e: e["data"].update(c_refundStatus="most"), "$.data.c_refundStatus: 'most' is not one of"),
    ],
)
def test_schema_violations_name_the_json_path(mutate: Any, message: str) -> None:
    body = envelope("order.created", SITE, order_document("00001234"), occurred_at=AT)
    mutate(body)
    with pytest.raises(WebhookPayloadError) as error:
        parse_webhook(body_of(body))
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("event_type", "data", "message"),
    [
        ("basket.abandoned", {"currency": "USD"}, "$.data.basket_id is missing"),
        ("basket.converted", {"basket_id": "bk-1"}, "$.data.order_no is missing"),
        ("case.opened", {"Subject": "Where is my order?"}, "$.data.CaseNumber is missing"),
        ("inventory.changed", {"id": "MUG-1"}, "$.data.ats is missing"),
        ("inventory.changed", {"id": "MUG-1", "ats": "lots"}, "$.data.ats: 'lots' is not of type 'number'"),
        ("product.price_changed", {"id": "MUG-1", "name": "Mug"}, "$.data.price is missing"),
        ("wishlist.item_added", {"customer_info": {}}, "$.data.product_list_item is missing"),
        ("reservation.expiring", {"product_id": "MUG-1"}, "$.data.c_reservedUntil is missing"),
        ("customer.registered", {"email": "ada@example.com"}, "$.data needs customer_no, or customer_id"),
        (
            "customer.payment_method_expiring",
            {**PROFILE, "payment_instruments": [{"masked_card_number": "************1111"}]},
            "$.data.payment_instruments[0] needs expiration_month and expiration_year, or payment_card",
        ),
        (
            "customer.profile_changed",
            {**PROFILE, "birthday": "17 May"},
            "$.data.birthday: '17 May' is not a 'date'",
        ),
        ("customer.payment_method_expiring", PROFILE, "$.data.payment_instruments is missing"),
        ("payment.gateway_error", {"message": "timeout"}, "$.data.c_gateway is missing"),
        ("order.refund_completed", order_document("1"), "$.data.c_refundAmount is missing"),
    ],
)
def test_each_event_type_has_its_document_shape_checked(
    event_type: str, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(WebhookPayloadError) as error:
        parse_webhook(body_of(envelope(event_type, SITE, data)))
    assert message in str(error.value)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"order.created"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError, match="JSON"):
        parse_webhook(body)


def test_an_unknown_event_type_is_ignored_not_refused() -> None:
    parsed = parse_webhook(body_of(envelope("order.exported", SITE, {"order_no": "1"})))
    assert parsed.events == [] and parsed.ignored == "event type order.exported is not handled"


def test_peek_site_id_reads_the_site_before_verification() -> None:
    assert peek_site_id(body_of(envelope("order.created", "RefArch-EU", {}))) == "RefArch-EU"
    assert peek_site_id(b'{"site_id": "../../etc"}') is None
    assert peek_site_id(b'{"site_id": 42}') is None
    assert peek_site_id(b"garbage") is None
    assert peek_site_id(b'{"channel": "/event/OrderSummaryCreatedEvent", "site_id": "RefArch"}') == "RefArch"


# ---- orders -------------------------------------------------------------------------------------


def test_order_created_carries_the_stage_and_the_customer() -> None:
    event = one("order.created", order_document("00001234", total="59.90", customer_no="00012"))
    assert event.type is EventType.ORDER_CREATED and event.event_id == "evt-1"
    assert event.workflow_id() == f"order:sfcc:{SITE}:00001234"
    assert event.order is not None
    assert (event.order.stage, event.order.platform_status) == (
        OrderStage.PAYMENT_CONFIRMED,
        "new/paid/not_shipped",
    )
    assert event.customer.customer_id == "00012"
    assert (event.customer.email, event.customer.phone) == ("ada@example.com", "+14155550101")
    assert event.customer.name == "Ada Lovelace"


def test_a_guest_order_is_keyed_by_the_customer_id() -> None:
    doc = order_document("00001235", customer_no=None)
    event = one("order.created", doc)
    assert event.customer.customer_id == doc["customer_info"]["customer_id"]


@pytest.mark.parametrize(
    "stage",
    [
        OrderStage.PAYMENT_FAILED,
        OrderStage.FRAUD_REVIEW,
        OrderStage.AWAITING_SHIPMENT,
        OrderStage.SHIPPED,
        OrderStage.OUT_FOR_DELIVERY,
        OrderStage.DELIVERED,
        OrderStage.CANCELLED,
    ],
)
def test_order_updated_is_a_status_change_with_the_tables_stage(stage: OrderStage) -> None:
    event = one("order.updated", order_at_stage(order_document("00001234"), stage))
    assert event.type is EventType.ORDER_STATUS_CHANGED
    assert event.order is not None and event.order.stage is stage


def test_a_shipped_order_names_its_tracked_shipment() -> None:
    event = one("order.updated", order_at_stage(order_document("00001234"), OrderStage.SHIPPED))
    assert event.order is not None
    assert (event.order.stage, event.order.shipment_id) == (OrderStage.SHIPPED, "me")
    assert event.order.platform_status == "open/paid/shipped"


def test_a_replaced_order_is_ignored() -> None:
    doc = {**order_document("00001234"), "status": "replaced"}
    parsed = parse_webhook(body_of(envelope("order.updated", SITE, doc)))
    assert parsed.events == [] and parsed.ignored is not None and "replaced" in parsed.ignored


def test_a_moved_pickup_window_is_told_to_the_pickup_journey() -> None:
    ready = order_at_stage(order_document("00001240", pickup=True), OrderStage.AWAITING_PICKUP)
    moved = {
        **ready,
        "c_pickupWindowEnd": "2026-11-27T18:00:00Z",
        "c_previousPickupWindowEnd": "2026-11-25T18:00:00Z",
    }
    status, window = parse("order.updated", moved)
    assert status.type is EventType.ORDER_STATUS_CHANGED
    assert status.order is not None and status.order.stage is OrderStage.AWAITING_PICKUP
    assert window.type is EventType.PICKUP_WINDOW_CHANGED
    assert window.event_id == "evt-1:pickup-window"
    assert window.workflow_id() == status.workflow_id()  # the order journey passes it to the pickup one
    assert datetime.fromisoformat(window.extra["deadline"]) == datetime(2026, 11, 27, 18, tzinfo=UTC)


def test_an_unchanged_pickup_window_or_a_shipped_order_tells_no_window_change() -> None:
    ready = order_at_stage(order_document("00001240", pickup=True), OrderStage.AWAITING_PICKUP)
    same = {
        **ready,
        "c_pickupWindowEnd": "2026-11-27T18:00:00Z",
        "c_previousPickupWindowEnd": "2026-11-27T18:00:00Z",
    }
    assert [e.type for e in parse("order.updated", same)] == [EventType.ORDER_STATUS_CHANGED]
    shipped = {**order_document("00001241"), "c_pickupWindowEnd": "2026-11-27T18:00:00Z"}
    assert [e.type for e in parse("order.updated", shipped)] == [EventType.ORDER_STATUS_CHANGED]
    # On order.created the journey's own hold policy sets the first window.
    assert [
        e.type for e in parse("order.created", {**ready, "c_pickupWindowEnd": "2026-11-27T18:00:00Z"})
    ] == [EventType.ORDER_CREATED]


def test_configured_pickup_methods_decide_what_a_pickup_is() -> None:
    doc = order_document("00001250")
    doc["shipments"][0]["shipping_method"] = {"id": "CLICK-AND-COLLECT", "name": "Collect"}
    doc.update(status="open", confirmation_status="confirmed", c_pickupReady=True)
    body = body_of(envelope("order.updated", SITE, doc))
    assert parse_webhook(body).events[0].order.stage is OrderStage.AWAITING_SHIPMENT  # type: ignore[union-attr]
    own = PickupMethods(ids=frozenset({"CLICK-AND-COLLECT"}))
    assert parse_webhook(body, pickup_methods=own).events[0].order.stage is OrderStage.AWAITING_PICKUP  # type: ignore[union-attr]


def test_order_refunded_leaves_full_or_partial_to_the_journey() -> None:
    refunded = order_at_stage(order_document("00001234"), OrderStage.PARTIALLY_REFUNDED)
    event = one("order.refunded", refunded)
    assert event.type is EventType.ORDER_REFUNDED
    assert event.order is not None and event.order.stage is None
    assert event.order.refund_id == refunded["c_refundId"]


def test_refund_completed_tells_the_customer_the_amount() -> None:
    doc = {**order_document("00001234", currency="EUR"), "c_refundAmount": 19.95}
    event = one("order.refund_completed", doc)
    assert event.type is EventType.REFUND_COMPLETED and event.account is not None
    assert (event.account.customer_id, event.account.amount, event.account.currency) == (
        "7",
        Decimal("19.95"),
        "EUR",
    )
    assert event.extra["order_id"] == "00001234"
    assert event.workflow_id() == f"account:sfcc:{SITE}:7:evt-1"


def test_amounts_keep_their_cents() -> None:
    doc = {**order_document("00001234"), "c_refundAmount": 0.1}
    assert one("order.refund_completed", doc).account.amount == Decimal("0.1")  # type: ignore[union-attr]


# ---- baskets and cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("basket.abandoned", EventType.CART_ABANDONED),
        ("basket.updated", EventType.CART_UPDATED),
    ],
)
def test_basket_events(event_type: str, expected: EventType) -> None:
    event = one(event_type, basket_document("bk-9f2", customer_no="00012"))
    assert event.type is expected and event.cart is not None
    assert (event.cart.cart_id, event.cart.order_id) == ("bk-9f2", None)
    assert event.workflow_id() == f"cart:sfcc:{SITE}:bk-9f2"
    assert (event.customer.customer_id, event.customer.email) == ("00012", "ada@example.com")


def test_a_converted_basket_names_its_order() -> None:
    event = one("basket.converted", {**basket_document("bk-9f2"), "order_no": "00001234"})
    assert event.type is EventType.CART_CONVERTED
    assert event.cart is not None and (event.cart.cart_id, event.cart.order_id) == ("bk-9f2", "00001234")


@pytest.mark.parametrize(
    ("case_type", "kind"),
    [
        ("Return", CaseKind.RETURN_REQUEST),
        ("Refund", CaseKind.REFUND),
        ("Delivery Dispute", CaseKind.DELIVERY_DISPUTE),
        ("Question", CaseKind.CUSTOMER_MESSAGE),
        (None, CaseKind.CUSTOMER_MESSAGE),
    ],
)
def test_case_opened_maps_the_case_type(case_type: str | None, kind: CaseKind) -> None:
    record = {
        **case_record("00001026", "00001234", CaseKind.RETURN_REQUEST, "Chipped mug"),
        "Type": case_type,
    }
    event = one("case.opened", record)
    assert event.type is EventType.CASE_OPENED and event.case is not None
    assert (event.case.case_id, event.case.kind, event.case.order_id) == ("00001026", kind, "00001234")
    assert event.case.detail == "Chipped mug"
    assert event.workflow_id() == f"case:sfcc:{SITE}:00001026"
    assert event.customer.email == "ada@example.com"
    assert event.extra["case_record_id"] == record["Id"]


def test_case_updates_and_closing_tell_what_happened() -> None:
    record = case_record("00001026", None, CaseKind.REFUND, "Refund please", status="Working")
    record["Order__c"] = "00001234"  # a merchant's own lookup field instead of c_orderNo
    updated = one("case.updated", {**record, "c_detail": "refund_issued"})
    assert updated.type is EventType.CASE_UPDATED and updated.case is not None
    assert (updated.case.detail, updated.case.order_id) == ("refund_issued", "00001234")
    closed = one("case.closed", {**record, "Status": "Closed"})
    assert closed.type is EventType.CASE_CLOSED and closed.case is not None and closed.case.detail == "Closed"


# ---- products -----------------------------------------------------------------------------------


def test_inventory_changed_reports_available_to_sell() -> None:
    record = {"id": "MUG-1", "ats": 12.0, "stock_level": 15, "allocation": {"amount": 15}, "c_previousAts": 0}
    event = one("inventory.changed", record)
    assert event.type is EventType.INVENTORY_CHANGED and event.product is not None
    assert (event.product.sku, event.product.available, event.product.previous_available) == ("MUG-1", 12, 0)
    assert event.workflow_id() == f"product:sfcc:{SITE}:MUG-1"


def test_price_changed() -> None:
    product = {
        "id": "MUG-1",
        "name": "Mug",
        "price": 14.5,
        "c_previousPrice": 19.0,
        "currency": "USD",
        "c_url": "https://shop.example/mug",
    }
    event = one("product.price_changed", product)
    assert event.type is EventType.PRICE_CHANGED and event.product is not None
    assert (event.product.price, event.product.previous_price) == (Decimal("14.5"), Decimal("19.0"))
    assert (event.product.name, event.product.url) == ("Mug", "https://shop.example/mug")


def test_a_wishlist_add_is_a_product_watch() -> None:
    data = {
        "product_list_item": {"id": "pli-1", "product_id": "MUG-1", "quantity": 1},
        "customer_info": {"customer_no": "00012", "email": "ada@example.com"},
        "c_watch": "price_drop",
        "c_channel": "sms",
        "c_phone": "+14155550101",
        "c_pushToken": "fcm:dA9x",
    }
    event = one("wishlist.item_added", data)
    assert event.type is EventType.PRODUCT_WATCHED and event.product is not None
    assert (event.product.sku, event.product.watch, event.product.channel) == (
        "MUG-1",
        WatchKind.PRICE_DROP,
        "sms",
    )
    assert (event.customer.customer_id, event.customer.phone) == ("00012", "+14155550101")
    assert event.extra["push_token"] == "fcm:dA9x"


def test_a_lapsing_reservation() -> None:
    data = {
        "product_id": "MUG-1",
        "basket_id": "bk-9f2",
        "customer_info": {"customer_no": "00012", "email": "ada@example.com"},
        "c_reservedUntil": "2026-11-23T10:00:00Z",
    }
    event = one("reservation.expiring", data)
    assert event.type is EventType.RESERVATION_EXPIRING and event.product is not None
    assert event.product.reserved_until == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert event.extra["basket_id"] == "bk-9f2"


# ---- customers and loyalty ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "expected", "extra"),
    [
        ("customer.registered", EventType.ACCOUNT_REGISTERED, {}),
        (
            "customer.verification",
            EventType.ACCOUNT_VERIFICATION,
            {"c_link": "https://shop.example/verify/t0k"},
        ),
        ("customer.password_reset", EventType.PASSWORD_RESET, {"c_link": "https://shop.example/reset/t0k"}),
        ("customer.security_changed", EventType.SECURITY_CHANGED, {"c_change": "password"}),
        ("customer.address_changed", EventType.ADDRESS_CHANGED, {"c_change": "address Home"}),
        ("customer.profile_changed", EventType.PROFILE_CHANGED, {"c_change": "email"}),
    ],
)
def test_account_events(event_type: str, expected: EventType, extra: dict[str, str]) -> None:
    event = one(event_type, {**PROFILE, **extra})
    assert event.type is expected and event.account is not None
    assert event.account.customer_id == "00012"
    assert event.account.link == extra.get("c_link") and event.account.detail == extra.get("c_change")
    assert (event.customer.phone, event.customer.locale, event.customer.name) == (
        "+14155550101",
        "de_DE",
        "Ada Lovelace",
    )
    assert event.workflow_id() == f"account:sfcc:{SITE}:00012:evt-1"


def test_a_birthday_in_a_profile_change_also_updates_the_customer_journey() -> None:
    changed, facts = parse(
        "customer.profile_changed", {**PROFILE, "birthday": "1990-05-17", "c_tier": "gold"}
    )
    assert changed.type is EventType.PROFILE_CHANGED
    assert facts.type is EventType.CUSTOMER_UPDATED and facts.account is not None
    assert (facts.account.birthday, facts.account.tier) == ("05-17", "gold")
    assert facts.workflow_id() == f"customer:sfcc:{SITE}:00012"
    assert facts.event_id == "evt-1:customer"


def test_an_expiring_card_expires_at_the_end_of_its_month() -> None:
    profile = {
        **PROFILE,
        "payment_instruments": [
            {"expiration_month": 9, "expiration_year": 2028, "masked_card_number": "************4444"},
            {
                "payment_card": {
                    "expiration_month": 2,
                    "expiration_year": 2028,
                    "masked_number": "************1111",
                }
            },
        ],
    }
    event = one("customer.payment_method_expiring", profile)
    assert event.type is EventType.PAYMENT_METHOD_EXPIRING and event.account is not None
    assert event.account.detail == "************1111"  # the earliest of the two
    assert event.account.expires_at == datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event_type", "expected", "loyalty", "read"),
    [
        (
            "loyalty.points_earned",
            EventType.POINTS_EARNED,
            {"c_points": 120, "c_pointsBalance": 1460},
            {"points": 120, "balance": 1460},
        ),
        (
            "loyalty.tier_changed",
            EventType.TIER_CHANGED,
            {"c_tier": "gold", "c_previousTier": "silver"},
            {"tier": "gold", "previous_tier": "silver"},
        ),
        (
            "loyalty.reward_expiring",
            EventType.REWARD_EXPIRING,
            {"c_rewardValue": 10, "c_rewardCurrency": "USD", "c_rewardExpiresAt": "2026-12-31T23:59:59Z"},
            {
                "amount": Decimal(10),
                "currency": "USD",
                "expires_at": datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
            },
        ),
        (
            "customer.suggestions",
            EventType.PRODUCT_SUGGESTIONS,
            {"c_products": ["MUG-2", "TEA-1"]},
            {"products": ["MUG-2", "TEA-1"]},
        ),
    ],
)
def test_loyalty_events_reach_the_customer_journey(
    event_type: str, expected: EventType, loyalty: dict[str, Any], read: dict[str, Any]
) -> None:
    event = one(event_type, {**PROFILE, **loyalty})
    assert event.type is expected and event.account is not None
    assert {key: getattr(event.account, key) for key in read} == read
    assert event.workflow_id() == f"customer:sfcc:{SITE}:00012"


# ---- operations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "data", "kind", "key"),
    [
        (
            "checkout.failed",
            {"c_reason": "address_validation", "basket_id": "bk-1"},
            AlertKind.CHECKOUT_FAILED,
            "checkout_failed:address_validation",
        ),
        (
            "payment.gateway_error",
            {"c_gateway": "adyen", "message": "timeout after 30 s", "order_no": "00001234"},
            AlertKind.PAYMENT_GATEWAY_ERROR,
            "payment_gateway_error:adyen",
        ),
        (
            "catalog.import_failed",
            {"catalog_id": "apparel-m", "message": "line 42: bad price"},
            AlertKind.CATALOG_UPDATE_FAILED,
            "catalog_update_failed:apparel-m",
        ),
        (
            "promotion.misconfigured",
            {"promotion_id": "BF-2026"},
            AlertKind.PROMOTION_MISCONFIGURED,
            "promotion_misconfigured:BF-2026",
        ),
        (
            "product.unavailable",
            {"product_id": "MUG-1"},
            AlertKind.PRODUCT_UNAVAILABLE,
            "product_unavailable:MUG-1",
        ),
        (
            "checkout.failed",
            {"message": "500 from tax service"},
            AlertKind.CHECKOUT_FAILED,
            "checkout_failed",
        ),
    ],
)
def test_ops_alerts_are_keyed_by_kind_and_qualifier(
    event_type: str, data: dict[str, Any], kind: AlertKind, key: str
) -> None:
    event = one(event_type, data)
    assert event.type is EventType.OPS_ALERT and event.alert is not None
    assert (event.alert.kind, event.alert.key) == (kind, key)
    assert event.workflow_id() == f"alerts:sfcc:{SITE}:{key}"


def test_a_gateway_alert_carries_its_detail_and_order() -> None:
    event = one("payment.gateway_error", {"c_gateway": "adyen", "message": "timeout", "order_no": "00001234"})
    assert event.alert is not None and (event.alert.detail, event.alert.order_id) == ("timeout", "00001234")


def test_the_whole_body_round_trips_through_json() -> None:
    # What the ingress hands Temporal must serialise: no Decimals hidden in `extra`.
    events = parse(
        "order.updated", order_at_stage(order_document("1", pickup=True), OrderStage.AWAITING_PICKUP)
    )
    for event in events:
        json.dumps(event.model_dump(mode="json"))


def test_a_vip_customers_order_also_alerts_the_account_team() -> None:
    doc = order_document("00001234", total="310.00")
    doc["c_vip"] = True
    order, alert = parse("order.created", doc)
    assert order.type is EventType.ORDER_CREATED
    assert alert.type is EventType.OPS_ALERT and alert.event_id == "evt-1:vip"
    assert alert.alert is not None and alert.alert.kind is AlertKind.VIP_PURCHASE
    assert alert.alert.order_id == "00001234" and alert.alert.amount == Decimal("310.00")
    assert [e.type for e in parse("order.created", order_document("00001235"))] == [EventType.ORDER_CREATED]
