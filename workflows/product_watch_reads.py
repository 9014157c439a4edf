"""ProductWatch's reads of the platform: stock, who bought the product, and its catalog facts. A read
that cannot be made gives up soon and answers None (noted in the timeline), so it never stalls the
entity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.hydration import HydrationActivities, ProductsRef, PurchasesRef, StockRef
    from workflows.messaging import ACTIVITY_RETRY
    from workflows.product_watch_state import ProductWatchInput, Watch, WatchState

READ_TIMEOUT = timedelta(seconds=30)
READ_GIVE_UP = timedelta(minutes=5)


class ProductReads:
    def __init__(self, inp: ProductWatchInput, note: Callable[[str, str], None]) -> None:
        self._inp = inp
        self._note = note

    async def _read(self, activity: Any, arg: Any, what: str) -> Any:
        try:
            return await workflow.execute_activity_method(
                activity,
                arg,
                start_to_close_timeout=READ_TIMEOUT,
                schedule_to_close_timeout=READ_GIVE_UP,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as err:
            self._note("note", f"{what} failed: {err.cause or err}")
            return None

    async def stock(self) -> int | None:
        ref = StockRef(platform=self._inp.platform, store=self._inp.store, sku=self._inp.sku)
        stock: int | None = await self._read(HydrationActivities.hydrate_stock, ref, "stock read")
        return stock

    async def price(self) -> Decimal | None:
        ref = StockRef(platform=self._inp.platform, store=self._inp.store, sku=self._inp.sku)
        price: Decimal | None = await self._read(HydrationActivities.hydrate_price, ref, "price read")
        return price

    async def purchased(self, batch: list[Watch], since: datetime | None) -> set[str]:
        ref = PurchasesRef(
            platform=self._inp.platform,
            store=self._inp.store,
            sku=self._inp.sku,
            customer_ids=[w.customer_id for w in batch],
            since=since or min(w.subscribed_at for w in batch),
        )
        bought: list[str] | None = await self._read(
            HydrationActivities.purchased_since, ref, "purchase check"
        )
        return set(bought or [])

    async def facts(self, s: WatchState) -> None:
        """The product's name and page, read once when no event told them."""
        if s.name is not None or s.facts_read:
            return
        s.facts_read = True
        ref = ProductsRef(platform=self._inp.platform, store=self._inp.store, product_ids=[self._inp.sku])
        found = await self._read(HydrationActivities.hydrate_products, ref, "product read")
        if found:
            s.name, s.url = found[0].name, s.url or found[0].url
