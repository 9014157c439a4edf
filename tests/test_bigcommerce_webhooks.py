"""BigCommerce webhook bodies (shapes as BigCommerce documents them) parsed into CommerceEvents."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.bigcommerce.webhooks import ParsedWebhook, parse_webhook
from connectors.errors import WebhookPayloadError
from domain.events import EventType, OrderStage, Platform

HASH = "dd70c0976e06b67aaf671e73f49dcb79230ebf9d"
CART_ID = "09346904-4175-44fd-be53-f7e598531b6c"


def envelope(scope: str, data: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "scope": scope,
        "store_id": "1025646",
        "data": data,
        "hash": HASH,
        "created_at": 1561482670,
        "producer": "stores/abc123",
    }
    body.update(overrides)
    return body


def parse(body: dict[str, Any]) -> ParsedWebhook:
    return parse_webhook(json.dumps(body).encode())


def only_event(parsed: ParsedWebhook):  # type: ignore[no-untyped-def]
    assert parsed.ignored is None
    events = [
        e for e in parsed.events if e.type is not EventType.CASE_UPDATED
    ]  # see test_refund_tells_the_case
    assert len(events) == 1
    return events[0]


def test_status_updated() -> None:
    body = envelope(
        "store/order/statusUpdated",
        {"type": "order", "id": 250, "status": {"previous_status_id": 11, "new_status_id": 2}},
    )
    parsed = parse(body)
    assert parsed.scope == "store/order/statusUpdated"
    event = only_event(parsed)
    assert event.event_id == HASH
    assert event.platform is Platform.BIGCOMMERCE
    assert event.store == "abc123"
    assert event.type is EventType.ORDER_STATUS_CHANGED
    assert event.occurred_at == datetime(2019, 6, 25, 17, 11, 10, tzinfo=UTC)
    assert event.raw_scope == "store/order/statusUpdated"
    assert event.extra == {"store_id": "1025646"}
    assert event.order is not None
    assert event.order.order_id == "250"
    assert event.order.stage is OrderStage.SHIPPED
    assert event.order.previous_stage is OrderStage.PAYMENT_CONFIRMED
    assert event.order.platform_status == "Shipped"
    assert event.workflow_id() == "order:bigcommerce:abc123:250"


def test_status_updated_without_previous_status() -> None:
    event = only_event(
        parse(envelope("store/order/statusUpdated", {"id": 7, "status": {"new_status_id": 12}}))
    )
    assert event.order is not None
    assert event.order.stage is OrderStage.FRAUD_REVIEW
    assert event.order.previous_stage is None
    assert event.order.platform_status == "Manual Verification Required"


@pytest.mark.parametrize(
    ("scope", "event_type"),
    [
        ("store/order/created", EventType.ORDER_CREATED),
        ("store/order/updated", EventType.ORDER_UPDATED),
        ("store/order/archived", EventType.ORDER_ARCHIVED),
    ],
)
def test_thin_order_scopes_leave_the_stage_to_hydration(scope: str, event_type: EventType) -> None:
    event = only_event(parse(envelope(scope, {"type": "order", "id": 250})))
    assert event.type is event_type
    assert event.order is not None
    assert event.order.order_id == "250"
    assert event.order.stage is None
    assert event.order.platform_status is None


def test_refund_created() -> None:
    body = envelope("store/order/refund/created", {"type": "order", "id": 250, "refund": {"refund_id": 3}})
    event = only_event(parse(body))
    assert event.type is EventType.ORDER_REFUNDED
    assert event.order is not None
    assert (event.order.order_id, event.order.refund_id) == ("250", "3")


def test_refund_tells_the_order_and_its_service_case() -> None:
    body = envelope("store/order/refund/created", {"type": "order", "id": 250, "refund": {"refund_id": 3}})
    order, case = parse(body).events
    assert order.type is EventType.ORDER_REFUNDED and case.type is EventType.CASE_UPDATED
    assert case.case is not None and (case.case.case_id, case.case.detail) == ("order-250", "refund_issued")
    assert case.event_id == f"{order.event_id}:case"
    assert case.workflow_id() == "case:bigcommerce:abc123:order-250"


def test_a_customer_message_opens_the_orders_service_case() -> None:
    body = envelope(
        "store/order/message/created", {"type": "order", "id": 250, "message": {"order_message_id": 3}}
    )
    event = only_event(parse(body))
    assert event.type is EventType.CASE_OPENED
    assert event.case is not None and (event.case.case_id, event.case.order_id) == ("order-250", "250")
    assert event.case.kind == "customer_message"


@pytest.mark.parametrize(
    "data",
    [
        {"type": "order", "id": 250, "refund": {"id": 3}},
        {"type": "order", "id": 250, "refund_id": 3},
        {"type": "order", "id": 250, "refund": {"refund_id": "3"}},
    ],
)
def test_refund_id_found_where_it_sits(data: dict[str, Any]) -> None:
    event = only_event(parse(envelope("store/order/refund/created", data)))
    assert event.order is not None
    assert event.order.refund_id == "3"


def test_refund_without_refund_id_is_still_a_refund() -> None:
    event = only_event(parse(envelope("store/order/refund/created", {"type": "order", "id": 250})))
    assert event.order is not None
    assert event.order.refund_id is None


@pytest.mark.parametrize(
    ("scope", "event_type"),
    [
        ("store/shipment/created", EventType.SHIPMENT_CREATED),
        ("store/shipment/updated", EventType.SHIPMENT_UPDATED),
    ],
)
def test_shipment_scopes(scope: str, event_type: EventType) -> None:
    event = only_event(parse(envelope(scope, {"type": "shipment", "id": 12, "orderId": 250})))
    assert event.type is event_type
    assert event.order is not None
    assert (event.order.order_id, event.order.shipment_id) == ("250", "12")
    assert event.workflow_id() == "order:bigcommerce:abc123:250"


@pytest.mark.parametrize(
    ("scope", "event_type"),
    [
        ("store/cart/created", EventType.CART_CREATED),
        ("store/cart/updated", EventType.CART_UPDATED),
        ("store/cart/abandoned", EventType.CART_ABANDONED),
        ("store/cart/deleted", EventType.CART_DELETED),
    ],
)
def test_cart_scopes(scope: str, event_type: EventType) -> None:
    event = only_event(parse(envelope(scope, {"type": "cart", "id": CART_ID})))
    assert event.type is event_type
    assert event.raw_scope == scope
    assert event.order is None
    assert event.cart is not None
    assert (event.cart.cart_id, event.cart.order_id) == (CART_ID, None)
    assert event.event_id == HASH
    assert event.workflow_id() == f"cart:bigcommerce:abc123:{CART_ID}"


def test_cart_converted_carries_the_order_id() -> None:
    event = only_event(
        parse(envelope("store/cart/converted", {"type": "cart", "id": CART_ID, "orderId": 123}))
    )
    assert event.type is EventType.CART_CONVERTED
    assert event.cart is not None
    assert (event.cart.cart_id, event.cart.order_id) == (CART_ID, "123")
    assert event.order is None
    # The journey is the cart's, not the new order's.
    assert event.workflow_id() == f"cart:bigcommerce:abc123:{CART_ID}"


def test_cart_converted_without_order_id_still_converts() -> None:
    event = only_event(parse(envelope("store/cart/converted", {"type": "cart", "id": CART_ID})))
    assert event.cart is not None
    assert event.cart.order_id is None


def test_abandoned_cart_extras_are_ignored() -> None:
    data = {"type": "cart", "id": CART_ID, "token": "a1b2c3", "orderId": 9}
    event = only_event(parse(envelope("store/cart/abandoned", data)))
    assert event.cart is not None
    # Only a converted cart has an order.
    assert (event.cart.cart_id, event.cart.order_id) == (CART_ID, None)


def test_cart_webhook_builder_round_trips() -> None:
    from connectors.bigcommerce.simulate import CART_SCOPES, cart_webhook

    for scope in CART_SCOPES:
        order_id = 77 if scope == "store/cart/converted" else None
        body = cart_webhook("abc123", scope, CART_ID, order_id, created_at=1561482670)
        assert body["data"] == {"type": "cart", "id": CART_ID, **({"orderId": 77} if order_id else {})}
        event = only_event(parse(body))
        assert event.cart is not None
        assert event.cart.cart_id == CART_ID
        assert event.cart.order_id == ("77" if order_id else None)
        assert event.event_id == body["hash"]
        assert event.occurred_at == datetime(2019, 6, 25, 17, 11, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "cart"}, "data.id is missing"),
        ({"type": "cart", "orderId": 123}, "data.id is missing"),
        ({"type": "cart", "id": ""}, "data.id: must be an integer or a non-empty string"),
        ({"type": "cart", "id": None}, "data.id: must be an integer or a non-empty string"),
    ],
)
def test_malformed_cart_payloads(data: dict[str, Any], message: str) -> None:
    for scope in ("store/cart/abandoned", "store/cart/converted", "store/cart/deleted"):
        with pytest.raises(WebhookPayloadError, match=message):
            parse(envelope(scope, data))


def test_converted_cart_with_a_bad_order_id() -> None:
    data = {"type": "cart", "id": CART_ID, "orderId": True}
    with pytest.raises(WebhookPayloadError, match=r"data\.orderId: must be an integer"):
        parse(envelope("store/cart/converted", data))
    # Elsewhere the field means nothing, so it cannot make the payload malformed.
    event = only_event(parse(envelope("store/cart/updated", data)))
    assert event.cart is not None and event.cart.order_id is None


def test_cart_data_must_be_an_object() -> None:
    with pytest.raises(WebhookPayloadError, match=r"^data: Input should be a valid dictionary"):
        parse(envelope("store/cart/abandoned", CART_ID))


@pytest.mark.parametrize(
    ("scope", "data"),
    [
        ("store/category/created", {"type": "category", "id": 42}),
        ("store/sku/created", {"type": "sku", "id": 461, "sku": {"product_id": 206, "variant_id": 509}}),
        ("store/customer/address/deleted", {"type": "customer", "id": 60, "address": {"customer_id": 32}}),
    ],
)
def test_unhandled_scope_is_ignored(scope: str, data: dict[str, Any]) -> None:
    parsed = parse(envelope(scope, data))
    assert parsed.scope == scope
    assert parsed.events == []
    assert parsed.ignored == f"scope {scope} is not handled"


def test_cart_line_items_are_ignored_because_the_cart_update_covers_them() -> None:
    scope = "store/cart/lineItem/created"
    parsed = parse(envelope(scope, {"type": "cart_line_item", "id": "7", "cartId": CART_ID}))
    assert parsed.events == []
    assert parsed.ignored is not None and "store/cart/updated" in parsed.ignored


def test_hash_is_the_dedupe_key_and_repeats_with_the_event() -> None:
    body = envelope("store/order/updated", {"type": "order", "id": 250})
    first = only_event(parse(body))
    redelivery = only_event(parse(dict(reversed(list(body.items())))))
    assert first.event_id == redelivery.event_id == HASH


def test_fallback_event_id_is_stable_and_discriminating() -> None:
    body = envelope("store/order/statusUpdated", {"id": 250, "status": {"new_status_id": 2}}, hash=None)
    del body["hash"]
    first = only_event(parse(body)).event_id
    # Same event, keys in another order: same id. Any other field changed: another id.
    reordered = {**body, "data": {"status": {"new_status_id": 2}, "id": 250}}
    assert only_event(parse(reordered)).event_id == first
    assert len(first) == 40 and int(first, 16) >= 0
    later = {**body, "created_at": body["created_at"] + 1}
    other = {**body, "data": {"id": 250, "status": {"new_status_id": 10}}}
    assert only_event(parse(later)).event_id != first
    assert only_event(parse(other)).event_id != first


def test_empty_hash_falls_back_too() -> None:
    event = only_event(parse(envelope("store/order/created", {"id": 1}, hash="")))
    assert event.event_id != "" and len(event.event_id) == 40


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"\xff\xfe", "body is not valid JSON"),
        (b"[1, 2]", "body must be a JSON object, not list"),
        (b'"text"', "body must be a JSON object, not str"),
    ],
)
def test_malformed_body(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse_webhook(body)


@pytest.mark.parametrize("field", ["scope", "producer", "data", "created_at"])
def test_missing_envelope_field(field: str) -> None:
    body = envelope("store/order/created", {"id": 250})
    del body[field]
    with pytest.raises(WebhookPayloadError, match=f"^{field} is missing$"):
        parse(body)


@pytest.mark.parametrize("producer", ["abc123", "stores/", "stores/abc/../x", "apps/abc123"])
def test_bad_producer(producer: str) -> None:
    with pytest.raises(WebhookPayloadError, match="producer must look like stores/"):
        parse(envelope("store/order/created", {"id": 250}, producer=producer))


def test_data_must_be_an_object() -> None:
    with pytest.raises(WebhookPayloadError, match=r"^data: Input should be a valid dictionary"):
        parse(envelope("store/order/created", [250]))


@pytest.mark.parametrize(
    ("scope", "data", "message"),
    [
        ("store/order/created", {"type": "order"}, "data.id is missing"),
        (
            "store/order/statusUpdated",
            {"type": "order", "status": {"new_status_id": 2}},
            "data.id is missing",
        ),
        ("store/order/statusUpdated", {"id": 250}, "data.status is missing"),
        ("store/order/statusUpdated", {"id": 250, "status": {}}, "data.status.new_status_id is missing"),
        ("store/order/refund/created", {"refund": {"refund_id": 3}}, "data.id is missing"),
        ("store/shipment/created", {"type": "shipment", "id": 12}, "data.orderId is missing"),
        ("store/shipment/updated", {"type": "shipment", "orderId": 250}, "data.id is missing"),
        ("store/order/created", {"id": None}, "data.id: must be an integer or a non-empty string"),
        ("store/order/created", {"id": True}, "data.id: must be an integer or a non-empty string"),
        ("store/order/created", {"id": ""}, "data.id: must be an integer or a non-empty string"),
    ],
)
def test_missing_or_bad_ids(scope: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse(envelope(scope, data))


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ({"new_status_id": "2"}, "data.status.new_status_id: Input should be a valid integer"),
        ({"new_status_id": 2.5}, "data.status.new_status_id: Input should be a valid integer"),
        ({"previous_status_id": "x", "new_status_id": 2}, "data.status.previous_status_id: Input should be"),
        ({"new_status_id": 99}, "unknown BigCommerce order status id 99"),
        ({"previous_status_id": -1, "new_status_id": 2}, "unknown BigCommerce order status id -1"),
    ],
)
def test_bad_status_ids(status: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse(envelope("store/order/statusUpdated", {"id": 250, "status": status}))


def test_created_at_must_be_unix_seconds() -> None:
    with pytest.raises(WebhookPayloadError, match="created_at: Input should be a valid integer"):
        parse(envelope("store/order/created", {"id": 250}, created_at="2019-06-25"))


def test_unknown_fields_are_ignored() -> None:
    body = envelope("store/order/created", {"type": "order", "id": 250, "new_thing": 1}, extra_field=True)
    assert only_event(parse(body)).order is not None
