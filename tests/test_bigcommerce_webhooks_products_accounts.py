"""BigCommerce's stock, product, customer and transaction webhooks (shapes as BigCommerce documents
them) parsed into the product, account and alert events; and the simulate builders for them."""

import json
from typing import Any

import pytest

from connectors.bigcommerce import simulate
from connectors.bigcommerce.webhooks import ParsedWebhook, parse_webhook
from connectors.errors import WebhookPayloadError
from domain.events import AlertKind, CommerceEvent, EventType

HASH = "cba9eef399fbd6d384489bca6cacad24794b1086"


def envelope(scope: str, data: Any) -> dict[str, Any]:
    return {
        "scope": scope,
        "store_id": "1025646",
        "data": data,
        "hash": HASH,
        "created_at": 1561478843,
        "producer": "stores/abc123",
    }


def parse(body: dict[str, Any]) -> ParsedWebhook:
    return parse_webhook(json.dumps(body).encode())


def one(body: dict[str, Any]) -> CommerceEvent:
    parsed = parse(body)
    assert parsed.ignored is None, parsed.ignored
    [event] = parsed.events
    return event


# ---- inventory ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope", ["store/product/inventory/updated", "store/product/inventory/order/updated"]
)
def test_an_absolute_product_stock_level_is_the_stock(scope: str) -> None:
    data = {"type": "product", "id": 167, "inventory": {"product_id": 167, "method": "absolute", "value": 12}}
    event = one(envelope(scope, data))
    assert event.type is EventType.INVENTORY_CHANGED
    assert event.product is not None
    assert (event.product.sku, event.product.product_id, event.product.available) == ("167", "167", 12)
    assert event.workflow_id() == "product:bigcommerce:abc123:167"
    assert event.event_id == HASH
    assert event.extra["inventory_method"] == "absolute"


def test_a_relative_change_leaves_the_stock_to_be_read() -> None:
    data = {"type": "product", "id": 167, "inventory": {"product_id": 167, "method": "relative", "value": -3}}
    event = one(envelope("store/product/inventory/order/updated", data))
    assert event.product is not None
    # -3 is a change by an order, not a level: the journey reads the stock.
    assert event.product.available is None
    assert (event.extra["inventory_method"], event.extra["inventory_value"]) == ("relative", -3)


@pytest.mark.parametrize("scope", ["store/sku/inventory/updated", "store/sku/inventory/order/updated"])
def test_a_variant_level_is_not_the_products_stock(scope: str) -> None:
    inventory = {"product_id": 206, "method": "absolute", "value": 5, "variant_id": 509}
    event = one(envelope(scope, {"type": "sku", "id": 461, "inventory": inventory}))
    assert event.type is EventType.INVENTORY_CHANGED
    assert event.product is not None
    # Keyed by the product (the SKU id 461 is not a Tidings key); the variant's 5 is not the product's.
    assert (event.product.sku, event.product.available) == ("206", None)
    assert event.extra["variant_id"] == "509"
    assert event.workflow_id() == "product:bigcommerce:abc123:206"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "product", "id": 167}, r"^data\.inventory is missing$"),
        (
            {"id": 167, "inventory": {"method": "absolute", "value": 1}},
            r"^data\.inventory\.product_id is missing$",
        ),
        (
            {"id": 167, "inventory": {"product_id": 167, "method": "set", "value": 1}},
            r"^data\.inventory\.method: Input should be 'absolute' or 'relative'$",
        ),
        (
            {"id": 167, "inventory": {"product_id": 167, "method": "absolute", "value": "12"}},
            r"^data\.inventory\.value: Input should be a valid integer",
        ),
        (
            {"id": 167, "inventory": {"product_id": True, "method": "absolute", "value": 1}},
            r"^data\.inventory\.product_id: must be an integer or a non-empty string$",
        ),
        ({"inventory": {"product_id": 1, "method": "absolute", "value": 1}}, r"^data\.id is missing$"),
    ],
)
def test_malformed_inventory_payloads_name_the_field(data: dict[str, Any], message: str) -> None:
    for scope in simulate.INVENTORY_SCOPES:
        with pytest.raises(WebhookPayloadError, match=message):
            parse(envelope(scope, data))


def test_inventory_builders_round_trip() -> None:
    level = one(simulate.inventory_webhook("abc123", 167, 40))
    assert level.product is not None and (level.product.sku, level.product.available) == ("167", 40)
    sold = one(simulate.inventory_webhook("abc123", 167, -2, method="relative"))
    assert sold.product is not None and sold.product.available is None
    variant = simulate.inventory_webhook(
        "abc123", 206, 5, scope="store/sku/inventory/updated", variant_id=509, sku_id=461
    )
    assert variant["data"] == {
        "type": "sku",
        "id": 461,
        "inventory": {"product_id": 206, "method": "absolute", "value": 5, "variant_id": 509},
    }
    assert one(variant).extra["variant_id"] == "509"
    with pytest.raises(ValueError, match="variant_id"):
        simulate.inventory_webhook("abc123", 206, 5, scope="store/sku/inventory/updated")


# ---- product updated ----------------------------------------------------------------------------


def test_a_product_update_may_be_a_price_change_the_journey_checks() -> None:
    event = one(simulate.product_updated_webhook("abc123", 205))
    assert event.type is EventType.PRICE_CHANGED
    assert event.product is not None
    assert (event.product.sku, event.product.product_id, event.product.price) == ("205", "205", None)
    assert event.workflow_id() == "product:bigcommerce:abc123:205"


def test_a_product_update_naming_its_changes() -> None:
    priced = one(simulate.product_updated_webhook("abc123", 205, properties=["sale_price", "name"]))
    assert priced.type is EventType.PRICE_CHANGED
    unpriced = parse(simulate.product_updated_webhook("abc123", 205, properties=["warranty", "is_featured"]))
    assert unpriced.events == []
    assert unpriced.ignored == "product 205 changed (warranty, is_featured), not its price"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "product"}, r"^data\.id is missing$"),
        ({"type": "product", "id": 205, "properties": "price"}, r"^data\.properties: Input should be"),
    ],
)
def test_malformed_product_updates(data: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse(envelope("store/product/updated", data))


# ---- customers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "event_type", "detail"),
    [
        ("store/customer/created", EventType.ACCOUNT_REGISTERED, None),
        ("store/customer/updated", EventType.PROFILE_CHANGED, None),
        (
            "store/customer/payment/instrument/default/updated",
            EventType.SECURITY_CHANGED,
            "default payment method",
        ),
    ],
)
def test_customer_scopes_become_account_messages(
    scope: str, event_type: EventType, detail: str | None
) -> None:
    event = one(simulate.customer_webhook("abc123", scope, 32))
    assert event.type is event_type
    assert event.account is not None
    assert (event.account.customer_id, event.account.detail) == ("32", detail)
    assert event.customer.customer_id == "32"
    assert (event.order, event.product, event.alert) == (None, None, None)
    # Account messages are one journey each, keyed by the event.
    assert event.workflow_id() == f"account:bigcommerce:abc123:32:{event.event_id}"


@pytest.mark.parametrize(("created", "change"), [(True, "created"), (False, "updated")])
def test_address_scopes_name_the_owner(created: bool, change: str) -> None:
    body = simulate.address_webhook("abc123", 32, 60, created=created)
    assert body["data"] == {"type": "customer", "id": 60, "address": {"customer_id": 32}}
    event = one(body)
    assert event.type is EventType.ADDRESS_CHANGED
    assert event.account is not None
    assert (event.account.customer_id, event.account.detail) == ("32", f"address 60 {change}")
    assert event.customer.customer_id == "32"


def test_a_deleted_customer_is_ignored() -> None:
    parsed = parse(simulate.customer_webhook("abc123", "store/customer/deleted", 32))
    assert parsed.events == [] and parsed.ignored is not None and "deleted" in parsed.ignored


@pytest.mark.parametrize(
    ("scope", "data", "message"),
    [
        ("store/customer/created", {"type": "customer"}, r"^data\.id is missing$"),
        ("store/customer/updated", {"type": "customer", "id": ""}, r"^data\.id: must be an integer"),
        ("store/customer/address/created", {"type": "customer", "id": 60}, r"^data\.address is missing$"),
        (
            "store/customer/address/updated",
            {"type": "customer", "id": 60, "address": {}},
            r"^data\.address\.customer_id is missing$",
        ),
    ],
)
def test_malformed_customer_payloads(scope: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse(envelope(scope, data))


# ---- transactions -------------------------------------------------------------------------------


@pytest.mark.parametrize("created", [True, False])
def test_a_failed_transaction_alerts_operations(created: bool) -> None:
    body = simulate.transaction_webhook(
        "abc123", 250, status="error", code="2001", message="Insufficient Funds", created=created
    )
    event = one(body)
    assert event.type is EventType.OPS_ALERT
    assert event.alert is not None
    assert event.alert.kind is AlertKind.PAYMENT_GATEWAY_ERROR
    assert event.alert.key == "payment_gateway_error"  # the payload does not name the gateway
    assert event.alert.order_id == "250"
    assert event.alert.detail == "capture error: 2001 Insufficient Funds"
    assert event.extra["transaction_id"] == "tx-250-capture"
    assert event.order is None
    assert event.workflow_id() == "alerts:bigcommerce:abc123:payment_gateway_error"


def test_a_declined_result_alerts_even_when_the_status_word_is_unknown() -> None:
    data = {
        "type": "transaction",
        "order_id": 250,  # older payloads send an integer
        "transaction_id": "176342342",
        "transaction_status": "processed",
        "transaction_type": "authorization",
        "result": {"code": "05", "message": "Do not honor", "type": "declined"},
    }
    event = one(envelope("store/order/transaction/created", data))
    assert event.alert is not None
    assert event.alert.detail == "authorization processed: 05 Do not honor"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            {
                "type": "transaction",
                "order_id": "250",
                "transaction_id": "1",
                "transaction_status": "complete",
            },
            "transaction on order 250 is complete, not a failure",
        ),
        (
            {"type": "transaction", "order_id": 250, "transaction_id": "176342342"},
            "transaction on order 250: the webhook does not say how it went",
        ),
        (
            {"order_id": 250, "transaction_status": "", "result": {"code": "", "message": "", "type": ""}},
            "transaction on order 250: the webhook does not say how it went",
        ),
    ],
)
def test_successful_or_silent_transactions_are_ignored(data: dict[str, Any], reason: str) -> None:
    parsed = parse(envelope("store/order/transaction/updated", data))
    assert (parsed.events, parsed.ignored) == ([], reason)


def test_a_successful_capture_from_the_builder_is_ignored() -> None:
    assert parse(simulate.transaction_webhook("abc123", 250)).events == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "transaction", "transaction_status": "error"}, r"^data\.order_id is missing$"),
        (
            {"order_id": "250", "transaction_status": 3},
            r"^data\.transaction_status: Input should be a valid string$",
        ),
        (
            {"order_id": "250", "transaction_status": "error", "result": "boom"},
            r"^data\.result: Input should be a valid dictionary",
        ),
    ],
)
def test_malformed_transactions(data: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse(envelope("store/order/transaction/created", data))


# ---- ignored with a reason ----------------------------------------------------------------------


def test_a_delivery_exception_is_ignored_with_its_reason() -> None:
    data = {"type": "webhook", "id": 123, "error_code": 90001, "message": "Non-200 response, will retry"}
    parsed = parse(envelope("store/hook/deliveryException", data))
    assert parsed.events == []
    assert parsed.ignored is not None and "could not deliver" in parsed.ignored


def test_a_thin_change_that_recurs_is_a_new_event_each_time_but_a_redelivery_is_not() -> None:
    # BigCommerce's `hash` covers the data, which for "product 77 changed" is the same every time.
    first = simulate.product_updated_webhook("abc123", 77)
    later = {**first, "created_at": first["created_at"] + 60}
    [a] = parse(first).events
    [b] = parse(later).events
    [again] = parse(dict(first)).events
    assert a.event_id != b.event_id and a.event_id == again.event_id
    absolute = simulate.inventory_webhook("abc123", 77, 5)
    assert parse(absolute).events[0].event_id == absolute["hash"]  # the same level again is no news
