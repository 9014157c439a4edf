"""`TidingsStockLevel`, `TidingsPriceRow` and `TidingsProduct`: stock per warehouse, prices and
catalog facts."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field

from connectors.sap_commerce.item_json import Code, SapCode, SapDate, SapIso, SapWire, none_to_list
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


class SapPriceRow(SapWire):
    """`TidingsPriceRow` (root item `PriceRow`): a product's price in one currency; a row for one user
    price group (`ug`) or from a minimum quantity (`minqtd` > 1) is not what every shopper pays."""

    product_id: Code = Field(alias="productId")
    price: Decimal
    currency: SapIso
    ug: SapCode | None = None
    minqtd: int | None = None
    modifiedtime: SapDate = None
    integration_key: Text = Field(default=None, alias="integrationKey")

    @property
    def is_public(self) -> bool:
        return self.ug is None and (self.minqtd or 1) <= 1


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
    manufacturer_name: Text = Field(default=None, alias="manufacturerName")  # the brand
    integration_key: Text = Field(default=None, alias="integrationKey")
