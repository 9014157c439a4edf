"""Which journey an event belongs to, and how it reaches it: signal-with-start on the business key.

The policy is built here, from configuration and `TIDINGS_TIME_SCALE`, so each run's timings are
fixed in its history when it starts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from temporalio.client import Client

from domain.events import CommerceEvent
from domain.notifications import Channel, Recipient
from domain.policies import OrderPolicy
from domain.settings import Settings
from workflows.order_lifecycle import OrderLifecycle, OrderLifecycleInput

SIGNAL_RPC_TIMEOUT = timedelta(seconds=5)


def order_policy(settings: Settings) -> OrderPolicy:
    ops_channels = [Channel.EMAIL, Channel.SMS] if settings.ops_phone else [Channel.EMAIL]
    policy = OrderPolicy(
        high_value_threshold=Decimal(str(settings.high_value_threshold)),
        ship_sla=timedelta(hours=settings.ship_sla_hours),
        ops_team=Recipient(name="Operations", email=settings.ops_email, phone=settings.ops_phone),
        ops_channels=ops_channels,
    )
    return policy.scaled(settings.time_scale)


async def deliver_event(client: Client, settings: Settings, event: CommerceEvent) -> str:
    """Signal the event's journey, starting it if it is not running. Returns the workflow id.
    Raises whatever Temporal raises when it cannot accept the signal: the caller answers 503."""
    if event.order is None:
        raise ValueError(f"event {event.event_id} ({event.type}) belongs to no journey yet")
    workflow_id = event.workflow_id()
    await client.start_workflow(
        OrderLifecycle.run,
        OrderLifecycleInput(
            platform=event.platform,
            store=event.store,
            order_id=event.order.order_id,
            policy=order_policy(settings),
        ),
        id=workflow_id,
        task_queue=settings.task_queue,
        start_signal="commerce_event",
        start_signal_args=[event],
        rpc_timeout=SIGNAL_RPC_TIMEOUT,
    )
    return workflow_id
