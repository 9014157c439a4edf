"""BigCommerce customers: the V3 customer record (who to write to, when a webhook names only an id)
and the customer's group (`GET /v2/customer_groups/{id}`), which merchants use for VIPs."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from connectors.bigcommerce.shapes import PROVIDER, BcCustomer, BcCustomerGroup
from connectors.errors import ProviderError
from connectors.http_errors import parse_answer
from connectors.wire import full_name
from domain.notifications import Recipient

logger = logging.getLogger(__name__)


class CustomerReads(Protocol):
    async def get_customer(self, store_hash: str, customer_id: str) -> dict[str, Any] | None: ...

    async def get_customer_group(self, store_hash: str, group_id: str) -> dict[str, Any] | None: ...


def customer_of(raw: dict[str, Any]) -> BcCustomer:
    return parse_answer(BcCustomer, raw, "customer", PROVIDER)


def customer_recipient(customer_id: str, customer: BcCustomer) -> Recipient:
    return Recipient(
        customer_id=customer_id,
        name=full_name(customer.first_name, customer.last_name),
        email=customer.email,
        phone=customer.phone,
        locale=None,  # V3 customers carry no language: the store's default applies
    )


async def fetch_customer(client: CustomerReads, store_hash: str, customer_id: str) -> Recipient | None:
    raw = await client.get_customer(store_hash, customer_id)
    return None if raw is None else customer_recipient(customer_id, customer_of(raw))


async def customer_groups(client: CustomerReads, store_hash: str, customer_id: str) -> list[str]:
    """The buyer's group as [name, id] (either may be configured as VIP); [] for none. A customer or
    group the store no longer has is no group, not an error: the order is still worth telling."""
    try:
        raw = await client.get_customer(store_hash, customer_id)
        group_id = customer_of(raw).customer_group_id if raw is not None else None
        if not group_id:
            return []
        group_raw = await client.get_customer_group(store_hash, str(group_id))
    except ProviderError as exc:
        # No such customer or group, or an API account without the Customers scope: no group. The
        # order is still worth telling; only the VIP alert needs the group.
        if exc.kind == "not_found" or exc.kind.endswith(("NotFound", "Forbidden")):
            logger.warning("no customer group for customer %s of %s: %s", customer_id, store_hash, exc)
            return []
        raise
    if group_raw is None:
        return [str(group_id)]
    group = parse_answer(BcCustomerGroup, group_raw, "customer group", PROVIDER)
    return [name for name in (group.name.strip(), str(group.id)) if name]
