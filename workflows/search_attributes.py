"""Search attributes every journey may set; `tidings dev` and `tidings setup-namespace` register them."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

PLATFORM = SearchAttributeKey.for_keyword("Platform")
STORE_ID = SearchAttributeKey.for_keyword("StoreId")
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")
CART_ID = SearchAttributeKey.for_keyword("CartId")
CASE_ID = SearchAttributeKey.for_keyword("CaseId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
SKU = SearchAttributeKey.for_keyword("Sku")
STAGE = SearchAttributeKey.for_keyword("Stage")
ORDER_VALUE = SearchAttributeKey.for_float("OrderValue")

ALL_KEYS: list[SearchAttributeKey] = [  # type: ignore[type-arg]
    PLATFORM,
    STORE_ID,
    ORDER_ID,
    CART_ID,
    CASE_ID,
    CUSTOMER_ID,
    SKU,
    STAGE,
    ORDER_VALUE,
]


def upsert(
    *,
    platform: str | None = None,
    store: str | None = None,
    order_id: str | None = None,
    cart_id: str | None = None,
    case_id: str | None = None,
    customer_id: str | None = None,
    sku: str | None = None,
    stage: str | None = None,
    order_value: float | None = None,
) -> None:
    """One upsert of the attributes given (None and "" are left out; nothing given, no command).
    Call it from workflow code only: each call is one command in the history."""
    keyword = {
        PLATFORM: platform,
        STORE_ID: store,
        ORDER_ID: order_id,
        CART_ID: cart_id,
        CASE_ID: case_id,
        CUSTOMER_ID: customer_id,
        SKU: sku,
        STAGE: stage,
    }
    updates: list[SearchAttributeUpdate[Any]] = [key.value_set(v) for key, v in keyword.items() if v]
    if order_value is not None:
        updates.append(ORDER_VALUE.value_set(order_value))
    if updates:
        workflow.upsert_search_attributes(updates)
