"""`TidingsStockLevel` and `TidingsProduct`: stock per warehouse and catalog facts."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from connectors.sap_commerce.item_json import Code, SapCode, SapWire, none_to_list
from connectors.wire import Text

FORCE_IN_STOCK = "forceInStock"  # InStockStatus: sell regardless of the figures
FORCE_OUT_OF_STOCK = "forceOutOfStock"


class SapStockLevel(SapWire):
    """`TidingsStockLevel` (root item `StockLevel`): one product in one warehouse."""

    product_code: Code = Field(alias="productCode")
    warehouse: SapCode
    available: int = 0
    reserved: int = 0
    over_selling: int = Field(default=0, alias="overSelling")
    in_stock_status: SapCode | None = Field(default=None, alias="inStockStatus")
    integration_key: Text = Field(default=None, alias="integrationKey")


class SapCatalog(SapWire):
    id: Code


class SapCatalogVersion(SapWire):
    version: Code
    catalog: SapCatalog | None = None


class SapCategory(SapWire):
    code: Code
    name: Text = None


class SapMedia(SapWire):
    code: Code
    url: Text = Field(default=None, alias="URL")


class SapProduct(SapWire):
    """`TidingsProduct` (root item `Product`); `replenishDays` when the merchant has that attribute."""

    code: Code
    name: Text = None
    catalog_version: SapCatalogVersion | None = Field(default=None, alias="catalogVersion")
    supercategories: Annotated[list[SapCategory], BeforeValidator(none_to_list)] = Field(default_factory=list)
    picture: SapMedia | None = None
    replenish_days: int | None = Field(default=None, alias="replenishDays")
    integration_key: Text = Field(default=None, alias="integrationKey")
