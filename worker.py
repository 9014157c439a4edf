"""The Tidings worker: every workflow and activity on one task queue.

Shared resources (one httpx client, the ledger, OpenText's token cache) are created once per worker
and handed to the activity classes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from activities.audience import AudienceActivities
from activities.callbacks import CallbackActivities
from activities.conversations import ConversationActivities
from activities.delivery import DeliveryActivities
from activities.hydration import HydrationActivities
from activities.rendering import Renderer
from connectors.opentext.client import OpenTextClient
from connectors.service_desk import ServiceDeskClient
from domain.settings import Settings, get_settings
from starter.observability.logs import configure_logging
from starter.observability.metrics import MessageMetrics, serve_temporal_metrics
from starter.observability.tracing import WORKER_SERVICE, configure_tracing, instrument_http_client
from starter.platform_clients import platform_clients
from starter.temporal_client import connect
from store.stores import Stores
from workflows.abandoned_cart import AbandonedCart
from workflows.account_message import AccountMessage
from workflows.campaign import Campaign
from workflows.consent_reply import ConsentReply
from workflows.customer_lifecycle import CustomerLifecycle
from workflows.ops_alerts import OpsAlerts
from workflows.order_lifecycle import OrderLifecycle
from workflows.pickup import Pickup
from workflows.product_watch import ProductWatch
from workflows.review_request import ReviewRequest
from workflows.service_case import ServiceCase

WORKFLOWS: Sequence[type] = [
    OrderLifecycle,
    AbandonedCart,
    Pickup,
    ReviewRequest,
    ServiceCase,
    ConsentReply,
    ProductWatch,
    OpsAlerts,
    AccountMessage,
    CustomerLifecycle,
    Campaign,
]


def opentext_accounts(
    http: httpx.AsyncClient, settings: Settings, default: OpenTextClient
) -> Callable[[str | None], OpenTextClient]:
    """The OpenText client for a named account of the stores file (built once, then reused)."""
    clients: dict[str, OpenTextClient] = {}

    def account(name: str | None) -> OpenTextClient:
        if name is None:
            return default
        if name not in clients:
            config = settings.directory.opentext.get(name)
            if config is None:
                raise LookupError(f"OpenText account {name!r} is not in the stores file")
            clients[name] = OpenTextClient.from_account(http, config)
        return clients[name]

    return account


@asynccontextmanager
async def activity_set(settings: Settings) -> AsyncIterator[list[Callable[..., Any]]]:
    """Build the activities with their shared clients; close them afterwards."""
    stores = await Stores.open(settings.database_url)
    async with httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0)) as http:
        instrument_http_client(http)  # OpenText and platform calls join the activity's trace
        opentext = OpenTextClient.from_settings(http, settings)
        accounts = opentext_accounts(http, settings, opentext)
        delivery = DeliveryActivities(opentext, stores, Renderer(), settings.opentext_from_name, accounts)
        platforms = platform_clients(http, settings)
        hydration = HydrationActivities(platforms)
        desk = None
        if settings.service_desk_url and settings.service_desk_secret:
            desk = ServiceDeskClient(
                http, settings.service_desk_url, settings.service_desk_secret.get_secret_value()
            )
        callbacks = CallbackActivities(platforms, desk)
        conversations = ConversationActivities(stores)
        audience = AudienceActivities(stores)
        try:
            yield [
                delivery.send_message,
                hydration.hydrate_order,
                hydration.hydrate_cart,
                hydration.hydrate_products,
                hydration.hydrate_stock,
                hydration.hydrate_price,
                hydration.purchased_since,
                callbacks.cancel_and_restock,
                callbacks.add_order_note,
                callbacks.record_case_update,
                conversations.open_conversation,
                audience.record_customer,
                audience.audience_count,
                audience.audience_page,
                conversations.close_conversation,
            ]
        finally:
            await stores.close()


@asynccontextmanager
async def running_worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    async with activity_set(settings) as activities:
        worker = Worker(
            client,
            task_queue=settings.task_queue,
            workflows=WORKFLOWS,
            activities=activities,
            interceptors=[MessageMetrics()],
        )
        # Bulk marketing sends (restocks, campaigns) on their own queue: its activity rate limit is
        # the provider's ceiling across all of them, and transactional sends never queue behind them.
        bulk = Worker(
            client,
            task_queue=settings.bulk_task_queue,
            activities=[a for a in activities if getattr(a, "__name__", "") == "send_message"],
            max_task_queue_activities_per_second=settings.restock_send_rate,
            interceptors=[MessageMetrics()],
        )
        async with worker, bulk:
            yield worker


async def run(settings: Settings) -> None:
    client = await connect(settings)
    async with running_worker(client, settings):
        logging.getLogger("tidings.worker").info(
            "worker polling %s on %s", settings.task_queue, settings.temporal_address
        )
        await asyncio.Event().wait()


def main() -> None:
    settings = get_settings()
    configure_logging(json=settings.log_json, level=settings.log_level, region=settings.default_region)
    configure_tracing(WORKER_SERVICE)
    if settings.metrics_port:  # before the first connect: the runtime carries the Prometheus endpoint
        serve_temporal_metrics(f"{settings.metrics_host}:{settings.metrics_port}")
    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
