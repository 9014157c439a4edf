"""The integration objects' JSON (the `Tidings*` IOs in deploy/sap-commerce/) and its mapping onto
our snapshots and event parts.

One set of models reads both sources: the item JSON `webhookservices` posts (nested objects,
arrays, `integrationKey`) and what the Integration API's OData v2 answers for the same IO
(`{"d": ...}`, collections as `{"results": [...]}`, `__metadata`, unexpanded navigation properties
as `__deferred`); `plain()` turns the second into the first. Dates come as `/Date(ms)/` (both) or
ISO 8601. Field aliases are the IO attribute names; `INTEGRATION_OBJECTS` says which model reads
which IO item, and tests/test_sap_impex.py holds the ImpEx to it.

The models live in item_json.py and the `*_documents.py` modules beside it, the mapping in
document_mapping.py; this module keeps the IO tables and re-exports them all.
"""

from __future__ import annotations

from typing import Final

from connectors.sap_commerce.catalog_documents import (
    FORCE_IN_STOCK,
    FORCE_OUT_OF_STOCK,
    SapCatalog,
    SapCatalogVersion,
    SapCategory,
    SapMedia,
    SapPriceRow,
    SapProduct,
    SapStockLevel,
)
from connectors.sap_commerce.comment_documents import (
    SapComment,
    SapCommentUser,
    SapDomainRef,
    SapOrderComment,
    SapOrderRef,
    SapReturnComment,
    SapReturnRef,
)
from connectors.sap_commerce.customer_documents import (
    SapCustomer,
)
from connectors.sap_commerce.document_mapping import (
    ANONYMOUS_UID,
    available_to_sell,
    cart_snapshot,
    consignment_statuses,
    customer_id_of,
    customer_ref,
    is_sent,
    order_snapshot,
    product_info,
    recipient,
    stage_of_order,
)
from connectors.sap_commerce.item_json import (
    Code,
    Entries,
    SapAddress,
    SapCode,
    SapDate,
    SapEntry,
    SapIso,
    SapProductRef,
    SapUid,
    SapUser,
    SapWire,
    none_to_list,
    odata_entity,
    params_get,
    plain,
    sap_date,
)
from connectors.sap_commerce.order_documents import (
    SapCart,
    SapConsignment,
    SapOrder,
    SapOrderUser,
    SapPointOfService,
)
from connectors.sap_commerce.return_documents import (
    SapEntryRef,
    SapReturnEntry,
    SapReturnOrder,
    SapReturnRequest,
)
from connectors.sap_commerce.review_webhooks import SapCustomerReview
from connectors.wire import Text

__all__ = [
    "ANONYMOUS_UID",
    "EXTENSION_ATTRIBUTES",
    "FORCE_IN_STOCK",
    "FORCE_OUT_OF_STOCK",
    "IMPLICIT_ATTRIBUTES",
    "INTEGRATION_OBJECTS",
    "Code",
    "Entries",
    "SapAddress",
    "SapCart",
    "SapCatalog",
    "SapCatalogVersion",
    "SapCategory",
    "SapCode",
    "SapComment",
    "SapCommentUser",
    "SapConsignment",
    "SapCustomer",
    "SapDate",
    "SapDomainRef",
    "SapEntry",
    "SapEntryRef",
    "SapIso",
    "SapMedia",
    "SapOrder",
    "SapOrderComment",
    "SapOrderRef",
    "SapPointOfService",
    "SapPriceRow",
    "SapProduct",
    "SapProductRef",
    "SapReturnComment",
    "SapReturnEntry",
    "SapReturnOrder",
    "SapReturnRef",
    "SapReturnRequest",
    "SapStockLevel",
    "SapUid",
    "SapUser",
    "SapWire",
    "Text",
    "attribute_names",
    "available_to_sell",
    "cart_snapshot",
    "consignment_statuses",
    "customer_id_of",
    "customer_ref",
    "is_sent",
    "none_to_list",
    "odata_entity",
    "order_snapshot",
    "params_get",
    "plain",
    "product_info",
    "recipient",
    "sap_date",
    "stage_of_order",
]

# Which model reads which item of which integration object (the ImpEx test holds the two together).
INTEGRATION_OBJECTS: Final[dict[str, dict[str, type[SapWire]]]] = {
    "TidingsCustomerReview": {
        "CustomerReview": SapCustomerReview,
        "Product": SapProductRef,
        "Customer": SapUser,
    },
    "TidingsOrder": {
        "Order": SapOrder,
        "OrderStatus": SapCode,
        "Customer": SapOrderUser,
        "UserGroup": SapUid,
        "Address": SapAddress,
        "Currency": SapIso,
        "OrderEntry": SapEntry,
        "Product": SapProductRef,
        "Consignment": SapConsignment,
        "ConsignmentStatus": SapCode,
        "DeliveryMode": SapCode,
        "PointOfService": SapPointOfService,
        "BaseSite": SapUid,
        "BaseStore": SapUid,
        "Language": SapIso,
    },
    "TidingsCart": {
        "Cart": SapCart,
        "Customer": SapUser,
        "Currency": SapIso,
        "CartEntry": SapEntry,
        "Product": SapProductRef,
        "BaseSite": SapUid,
    },
    "TidingsStockLevel": {
        "StockLevel": SapStockLevel,
        "Warehouse": SapCode,
        "InStockStatus": SapCode,
    },
    "TidingsPriceRow": {
        "PriceRow": SapPriceRow,
        "Currency": SapIso,
        "UserPriceGroup": SapCode,
    },
    "TidingsCustomer": {
        "Customer": SapCustomer,
        "Language": SapIso,
        "Address": SapAddress,
    },
    "TidingsReturnRequest": {
        "ReturnRequest": SapReturnRequest,
        "ReturnStatus": SapCode,
        "Order": SapReturnOrder,
        "BaseSite": SapUid,
        "Currency": SapIso,
        "Customer": SapUser,
        "RefundEntry": SapReturnEntry,
        "OrderEntry": SapEntryRef,
        "Product": SapProductRef,
        "RefundReason": SapCode,
        "ReturnAction": SapCode,
    },
    "TidingsProduct": {
        "Product": SapProduct,
        "CatalogVersion": SapCatalogVersion,
        "Catalog": SapCatalog,
        "Category": SapCategory,
        "Media": SapMedia,
    },
    "TidingsOrderComment": {
        "Comment": SapOrderComment,
        "Employee": SapCommentUser,
        "Component": SapDomainRef,
        "CommentType": SapDomainRef,
        "Domain": SapCode,
        "Order": SapOrderRef,
        "BaseSite": SapUid,
    },
    "TidingsReturnRequestComment": {
        "Comment": SapReturnComment,
        "Employee": SapCommentUser,
        "Component": SapDomainRef,
        "CommentType": SapDomainRef,
        "Domain": SapCode,
        "ReturnRequest": SapReturnRef,
        "Order": SapOrderRef,
        "BaseSite": SapUid,
    },
}

# Attributes the models read when present but that plain SAP Commerce does not have: a merchant
# whose type system adds them adds the IO attribute rows too (deploy/sap-commerce/README.md).
EXTENSION_ATTRIBUTES: Final[dict[type[SapWire], frozenset[str]]] = {
    SapCustomer: frozenset({"birthday", "loyaltyPoints", "loyaltyTier", "site"}),
    SapProduct: frozenset({"replenishDays"}),
}

# The integration key is SAP's, not an attribute anyone defines.
IMPLICIT_ATTRIBUTES: Final = frozenset({"integrationKey"})


def attribute_names(model: type[SapWire]) -> frozenset[str]:
    """The IO attribute names a model reads (its aliases)."""
    return frozenset(field.alias or name for name, field in model.model_fields.items())
