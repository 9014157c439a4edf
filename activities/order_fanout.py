"""What an order read tells other journeys: the buyer's CustomerLifecycle (the order counts, the
win-back clock restarts, the customers table learns it) and, for a customer in a VIP group, the
account team's alert.

Thin webhooks (BigCommerce's `{id}`, SAP's status change) do not say who bought; the order read
does, so this runs inside `hydrate_order` and works the same for every platform. Every event id is
deterministic per order, and the journeys dedupe on it (the lifecycle also counts each order id
once), so the reads of one order's later stages tell nothing new."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import UTC, datetime

from temporalio import activity

from activities.platforms import PlatformClients
from connectors.errors import ProviderError
from domain.events import AccountPayload, AlertKind, AlertPayload, CommerceEvent, CustomerRef, EventType
from domain.notifications import OrderSnapshot
from domain.settings import Settings

logger = logging.getLogger(__name__)
TOLD_MEMORY = 4096  # orders this worker already told about: a cheap skip, the journeys dedupe anyway


def order_followups(snapshot: OrderSnapshot, vip_groups: list[str], now: datetime) -> list[CommerceEvent]:
    """The events an order read derives: nothing for a guest (no customer to keep a record of)."""
    customer = snapshot.customer
    if not customer.customer_id:
        return []
    occurred = snapshot.created_at or now
    ref = CustomerRef(
        customer_id=customer.customer_id,
        email=customer.email,
        phone=customer.phone,
        name=customer.name,
        locale=customer.locale,
    )
    base = {"platform": snapshot.platform, "store": snapshot.store, "occurred_at": occurred, "customer": ref}
    products = [line.sku or line.product_id or line.name for line in snapshot.lines]
    extra: dict[str, object] = {
        "order_id": snapshot.order_id,  # the lifecycle counts each order once
        "order_total": str(snapshot.total),
        "currency": snapshot.currency,
        "products": [p for p in products if p],
        "product_names": [line.name for line in snapshot.lines],
        "brands": [line.brand for line in snapshot.lines if line.brand],
    }
    if customer.country:
        extra["country"] = customer.country
    events = [
        CommerceEvent(
            event_id=f"order:{snapshot.order_id}:customer",
            type=EventType.ORDER_CREATED,
            account=AccountPayload(customer_id=customer.customer_id),
            raw_scope="order read",
            extra=extra,
            **base,  # type: ignore[arg-type]
        )
    ]
    group = vip_group(snapshot.customer_groups, vip_groups)
    if group is not None:
        alert = AlertPayload(
            kind=AlertKind.VIP_PURCHASE,
            key=AlertKind.VIP_PURCHASE.value,
            order_id=snapshot.order_id,
            amount=snapshot.total,
            currency=snapshot.currency,
            detail=f"customer group {group}",
        )
        events.append(
            CommerceEvent(
                event_id=f"order:{snapshot.order_id}:vip",
                type=EventType.OPS_ALERT,
                alert=alert,
                raw_scope="order read",
                **base,  # type: ignore[arg-type]
            )
        )
    return events


def vip_group(groups: list[str], vip_groups: list[str]) -> str | None:
    """The first of the buyer's groups the store calls VIP (names compared without case)."""
    wanted = {g.strip().lower() for g in vip_groups if g.strip()}
    return next((g for g in groups if g.strip().lower() in wanted), None)


async def with_brands(snapshot: OrderSnapshot, platforms: PlatformClients) -> OrderSnapshot:
    """The order's lines with their brands from the catalog where the line does not name one (brand
    affinity). Best effort: a catalog that cannot answer leaves the brands out, not the order."""
    client = platforms.get(snapshot.platform)
    ids = [line.product_id for line in snapshot.lines if line.product_id and not line.brand]
    if client is None or not ids:
        return snapshot
    try:
        found = {p.product_id: p.brand for p in await client.fetch_products(snapshot.store, ids) if p.brand}
    except ProviderError as exc:
        logger.warning("no brands for order %s: %s", snapshot.order_id, exc)
        return snapshot
    lines = [
        line.model_copy(update={"brand": found.get(line.product_id or "")}) if not line.brand else line
        for line in snapshot.lines
    ]
    return snapshot.model_copy(update={"lines": lines})


class OrderFanout:
    """Delivers `order_followups` through the worker's Temporal client (signal-with-start, like the
    ingress). A failure raises, so the read is retried and nothing is lost."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._told: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, snapshot: OrderSnapshot, platforms: PlatformClients) -> None:
        key = f"{snapshot.platform.value}:{snapshot.store}:{snapshot.order_id}"
        if key in self._told:
            return
        snapshot = await with_brands(snapshot, platforms)
        # Imported here: the journeys module imports the workflows, which import the activities.
        from starter.journeys import deliver_event

        store_settings = self.settings.for_store(snapshot.platform, snapshot.store)
        for event in order_followups(snapshot, store_settings.vip_customer_groups, datetime.now(UTC)):
            await deliver_event(activity.client(), self.settings, event)
        self._told[key] = None
        while len(self._told) > TOLD_MEMORY:
            self._told.popitem(last=False)
