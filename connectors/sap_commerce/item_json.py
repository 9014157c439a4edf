"""The basics of SAP's item JSON (what `webhookservices` posts and the Integration API answers):
dates, the base model, the small items every integration object shares, and `plain()`, which reads
OData v2 answers like webhook bodies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from connectors.wire import Text, Wire, parse_iso

_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def none_to_list(value: object) -> object:
    return [] if value is None else value


def _from_millis(millis: int) -> datetime:
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError):  # past what a datetime holds: no SAP date
        raise PydanticCustomError("sap_date", "is out of the range of dates") from None


def sap_date(value: object) -> object:
    """`/Date(1577836800000)/` (webhook and OData v2), epoch milliseconds or ISO 8601 → aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _from_millis(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        match = _DATE.match(text)
        if match:
            return _from_millis(int(match.group(1)))
        parsed = parse_iso(text)
        if parsed is not None:
            return parsed
    raise PydanticCustomError("sap_date", "must be /Date(ms)/ or an ISO 8601 date")


SapDate = Annotated[datetime | None, BeforeValidator(sap_date)]
Code = Annotated[str, Field(min_length=1)]


class SapWire(Wire):
    # Merchants extend their IOs (`Wire` ignores what we do not read); fields are read by IO
    # attribute name (the alias) or by their own name.
    model_config = ConfigDict(populate_by_name=True)


class SapCode(SapWire):
    """An enum value (OrderStatus, ConsignmentStatus, ReturnStatus …) or an item known by `code`."""

    code: Code


class SapIso(SapWire):
    """Currency, Language."""

    isocode: Code


class SapUid(SapWire):
    """BaseSite, BaseStore."""

    uid: Code


class SapAddress(SapWire):
    firstname: Text = None
    lastname: Text = None
    email: Text = None
    phone1: Text = None
    town: Text = None


class SapUser(SapWire):
    """The customer an order, cart or return belongs to."""

    uid: Code
    name: Text = None
    customer_id: Text = Field(default=None, alias="customerID")
    contact_email: Text = Field(default=None, alias="contactEmail")


class SapProductRef(SapWire):
    code: Code
    name: Text = None


class SapEntry(SapWire):
    entry_number: int | None = Field(default=None, alias="entryNumber")
    product: SapProductRef
    quantity: int = 1
    total_price: Decimal | None = Field(default=None, alias="totalPrice")
    base_price: Decimal | None = Field(default=None, alias="basePrice")


Entries = Annotated[list[SapEntry], BeforeValidator(none_to_list)]


# ---- reading --------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """OData v2 JSON → the item JSON webhooks post: `{"results": [...]}` → list, `__deferred`
    (not expanded) → None, `__metadata` dropped."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__deferred" in value:
        return None
    if isinstance(value.get("results"), list) and set(value) <= {"results", "__count", "__next"}:
        return [plain(item) for item in value["results"]]
    return {key: plain(item) for key, item in value.items() if key != "__metadata"}


def odata_entity(body: Any) -> Any:
    """The entity (or list of entities) inside an OData v2 answer `{"d": ...}`, made plain."""
    inner = body.get("d") if isinstance(body, dict) else None
    return plain(inner)


def params_get(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None
