"""Callbacks: writes back into the commerce platform's own processes (cancel and restock an
uncollected pickup, leave a staff note). One activity per write; idempotent on the platform side
(setting a status twice, or a note the order already carries, changes nothing)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.errors import to_application_error
from connectors.bigcommerce.client import BigCommerceClient
from connectors.errors import ProviderError
from domain.events import Platform

BIGCOMMERCE_CANCELLED = 5


class OrderWrite(BaseModel):
    platform: Platform
    store: str
    order_id: str
    note: str


class CallbackActivities:
    def __init__(self, bigcommerce: BigCommerceClient) -> None:
        self.bigcommerce = bigcommerce

    @activity.defn(name="cancel_and_restock")
    async def cancel_and_restock(self, write: OrderWrite) -> str:
        """Cancel the order so the platform puts its items back in stock, and say why in a note."""
        if write.platform is not Platform.BIGCOMMERCE:
            raise to_application_error(
                ProviderError(
                    f"no order writer for {write.platform} yet",
                    provider=write.platform.value,
                    kind="UnsupportedPlatform",
                    transient=False,
                )
            )
        try:
            await self.bigcommerce.update_order_status(
                write.store, write.order_id, BIGCOMMERCE_CANCELLED, write.note
            )
        except ProviderError as exc:
            raise to_application_error(exc) from exc
        return f"order {write.order_id} cancelled in {write.platform}/{write.store}"
