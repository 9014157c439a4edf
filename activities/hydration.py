"""Hydration: read what a notification needs from the platform's REST API. Platforms send thin
webhooks, so the ingress never calls them; this activity does."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.errors import to_application_error
from connectors.bigcommerce.client import BigCommerceClient
from connectors.errors import ProviderError
from domain.events import Platform
from domain.notifications import OrderSnapshot


class OrderRef(BaseModel):
    platform: Platform
    store: str
    order_id: str


class HydrationActivities:
    def __init__(self, bigcommerce: BigCommerceClient) -> None:
        self.bigcommerce = bigcommerce

    @activity.defn(name="hydrate_order")
    async def hydrate_order(self, ref: OrderRef) -> OrderSnapshot:
        if ref.platform is not Platform.BIGCOMMERCE:
            raise to_application_error(
                ProviderError(
                    f"no order reader for {ref.platform} yet",
                    provider=ref.platform.value,
                    kind="UnsupportedPlatform",
                    transient=False,
                )
            )
        try:
            return await self.bigcommerce.fetch_order_snapshot(ref.store, ref.order_id)
        except ProviderError as exc:
            raise to_application_error(exc) from exc
