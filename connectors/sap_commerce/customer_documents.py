"""`TidingsCustomer`: the customer items account news comes from."""

from __future__ import annotations

from pydantic import Field

from connectors.sap_commerce.item_json import Code, SapAddress, SapDate, SapIso, SapUid, SapWire
from connectors.wire import Text


class SapCustomer(SapWire):
    """`TidingsCustomer` (root item `Customer`). The `tidings*` attributes are virtual attributes
    (deploy/sap-commerce/README.md); `birthday`, `loyaltyPoints`, `loyaltyTier` and `site` are read
    when the merchant's type system has them (see `EXTENSION_ATTRIBUTES`)."""

    uid: Code
    customer_id: Text = Field(default=None, alias="customerID")
    name: Text = None
    contact_email: Text = Field(default=None, alias="contactEmail")
    session_language: SapIso | None = Field(default=None, alias="sessionLanguage")
    default_shipment_address: SapAddress | None = Field(default=None, alias="defaultShipmentAddress")
    modifiedtime: SapDate = None
    tidings_event: Text = Field(default=None, alias="tidingsEvent")
    tidings_detail: Text = Field(default=None, alias="tidingsDetail")
    tidings_link: Text = Field(default=None, alias="tidingsLink")
    tidings_expires_at: SapDate = Field(default=None, alias="tidingsExpiresAt")
    tidings_points: int | None = Field(default=None, alias="tidingsPoints")  # earned by this event
    birthday: SapDate = None
    loyalty_points: int | None = Field(default=None, alias="loyaltyPoints")
    loyalty_tier: Text = Field(default=None, alias="loyaltyTier")
    site: SapUid | None = None
    integration_key: Text = Field(default=None, alias="integrationKey")
