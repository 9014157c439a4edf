"""Search attributes every journey may set; `tidings dev` and `tidings setup-namespace` register them."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

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
