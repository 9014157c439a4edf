"""The ProductWatch policy: how restocks, low stock and price drops are told, fixed in a run's input."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.notifications import Channel, DeliveryPolicy, Recipient
from domain.settings import Settings


class WatchPolicy(BaseModel):
    batch_size: int = Field(default=100, ge=1)  # subscribers told per batch; stock is re-read before each
    # Sends of a batch are scheduled here; the queue's activity rate limit paces them (not sleeps).
    bulk_task_queue: str = "tidings-bulk"
    low_stock_threshold: int = 5  # at or below (and above 0): "only a few left", merchandising alerted
    price_drop_percent: Decimal = Decimal(10)  # a drop of at least this much against the last known price
    reservation_channels: list[Channel] = Field(
        default_factory=lambda: [Channel.PUSH, Channel.SMS, Channel.EMAIL]
    )
    merchandising: Recipient = Field(
        default_factory=lambda: Recipient(name="Merchandising", email="merchandising@example.com")
    )
    merchandising_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL])
    store_url: str = "https://store.example"  # storefront root: catalog links are relative to it
    idle_after: timedelta = timedelta(days=30)  # no subscribers and no event for this long: the run ends
    max_history_events: int = 2000  # continue-as-new at this history length (or when Temporal suggests)
    seen_event_memory: int = 1000  # event ids remembered for dedupe
    timeline_memory: int = 200  # timeline entries kept (and carried across continue-as-new)
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    def scaled(self, factor: float) -> WatchPolicy:
        return self.model_copy(update={"idle_after": self.idle_after * factor})

    @classmethod
    def from_settings(cls, settings: Settings) -> WatchPolicy:
        """From one store's settings (`settings.for_store(platform, store)`), time scale applied."""
        policy = cls(
            batch_size=settings.restock_batch_size,
            bulk_task_queue=settings.bulk_task_queue,
            low_stock_threshold=settings.low_stock_threshold,
            price_drop_percent=Decimal(str(settings.price_drop_percent)),
            merchandising=Recipient(name="Merchandising", email=settings.merchandising_email),
            store_url=settings.store_url,
            delivery=settings.delivery_policy(),
        )
        return policy.scaled(settings.time_scale)
