"""The Tidings worker: every workflow and activity on one task queue.

Shared resources (one httpx client, the ledger, OpenText's token cache) are created once per worker
and handed to the activity classes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from activities.audience import AudienceActivities
from activities.callbacks import CallbackActivities
from activities.conversations import ConversationActivities
from activities.delivery import DeliveryActivities
from activities.hydration import HydrationActivities
from activities.order_fanout import OrderFanout
from activities.rendering import Renderer
from connectors.opentext.client import OpenTextClient
from connectors.service_desk import ServiceDeskClient
from domain.settings import Settings, get_settings
from domain.tracking import tables_for
from starter.config_check import require_safe
from starter.observability.logs import configure_logging
from starter.observability.metrics import MessageMetrics, serve_temporal_metrics
from starter.observability.tracing import WORKER_SERVICE, configure_tracing, instrument_http_client
from starter.platform_clients import platform_clients
from starter.process_lifecycle import connect_when_ready, stop_on_signals
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
    stores = await Stores.open(settings.database_url, migrate=settings.env != "production")
    async with httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0)) as http:
        instrument_http_client(http)  # OpenText and platform calls join the activity's trace
        opentext = OpenTextClient.from_settings(http, settings)
        accounts = opentext_accounts(http, settings, opentext)
        delivery = DeliveryActivities(opentext, stores, Renderer(), settings.opentext_from_name, accounts)
        platforms = platform_clients(http, settings)
        hydration = HydrationActivities(platforms, OrderFanout(settings), tables_for(settings))
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
                hydration.hydrate_customer,
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


QUEUES = ("main", "bulk")


def queue_names(spec: str) -> list[str]:
    """`--queues main,bulk` → the queues this process polls; the bulk fan-out can scale on its own."""
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = sorted(set(names) - set(QUEUES))
    if unknown or not names:
        raise ValueError(
            f"unknown task queue {', '.join(unknown) or '(none)'}: choose from {', '.join(QUEUES)}"
        )
    return names


@asynccontextmanager
async def running_worker(client: Client, settings: Settings) -> AsyncIterator[list[Worker]]:
    """The workers TIDINGS_WORKER_QUEUES names, polling until the context exits; leaving it stops
    polling and gives in-flight activities TIDINGS_WORKER_SHUTDOWN_GRACE_SECONDS to finish."""
    queues = queue_names(settings.worker_queues)
    tuning: dict[str, Any] = {
        "max_concurrent_activities": settings.worker_max_concurrent_activities,
        "graceful_shutdown_timeout": timedelta(seconds=settings.worker_shutdown_grace_seconds),
        "interceptors": [MessageMetrics()],
    }
    async with activity_set(settings) as activities, AsyncExitStack() as stack:
        workers = []
        if "main" in queues:
            main_worker = Worker(
                client,
                task_queue=settings.task_queue,
                workflows=WORKFLOWS,
                activities=activities,
                max_cached_workflows=settings.worker_max_cached_workflows,
                max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
                **tuning,
            )
            workers.append(await stack.enter_async_context(main_worker))
        if "bulk" in queues:
            # Bulk marketing sends (restocks, campaigns) on their own queue: its activity rate limit is
            # the provider's ceiling across all of them, and transactional sends never queue behind them.
            bulk = Worker(
                client,
                task_queue=settings.bulk_task_queue,
                activities=[a for a in activities if getattr(a, "__name__", "") == "send_message"],
                max_task_queue_activities_per_second=settings.restock_send_rate,
                **tuning,
            )
            workers.append(await stack.enter_async_context(bulk))
        try:
            yield workers
        finally:  # all at once: each waits out the same grace period
            await asyncio.gather(*(w.shutdown() for w in workers))


async def run(settings: Settings) -> None:
    stop = stop_on_signals()
    log = logging.getLogger("tidings.worker")
    # A SIGTERM while Temporal is still unreachable ends the wait: nothing runs yet, so exit at once.
    connecting = asyncio.create_task(connect_when_ready(settings))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not connecting.done():
        connecting.cancel()
        log.info("stopped before Temporal answered")
        return
    stopping.cancel()
    client = connecting.result()
    async with running_worker(client, settings) as workers:
        log.info(
            "worker polling %s on %s", ", ".join(w.task_queue for w in workers), settings.temporal_address
        )
        await stop.wait()
        log.info(
            "stopping: no new tasks; in-flight activities get %.0f s", settings.worker_shutdown_grace_seconds
        )
    log.info("worker stopped")


def main(queues: str | None = None) -> None:
    settings = get_settings()
    if queues is not None:
        settings = settings.model_copy(update={"worker_queues": queues})
    configure_logging(json=settings.log_json, level=settings.log_level, region=settings.default_region)
    require_safe(settings, "worker")
    queue_names(settings.worker_queues)  # a typo fails here, before any connection
    configure_tracing(WORKER_SERVICE)
    if settings.metrics_port:  # before the first connect: the runtime carries the Prometheus endpoint
        serve_temporal_metrics(f"{settings.metrics_host}:{settings.metrics_port}")
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
