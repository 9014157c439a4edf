"""Which journey an event belongs to, and how it reaches it: signal-with-start on the business key.

The policy is built here, from configuration and `TIDINGS_TIME_SCALE`, so each run's timings are
fixed in its history when it starts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.account_policy import AccountPolicy
from domain.alert_policy import AlertPolicy
from domain.events import (
    ACCOUNT_MESSAGE_TYPES,
    AccountPayload,
    AlertKind,
    AlertPayload,
    CommerceEvent,
    EventType,
    OrderStage,
)
from domain.loyalty_policy import LoyaltyPolicy
from domain.notifications import Channel, Recipient
from domain.policies import CartPolicy, CasePolicy, OrderPolicy, PickupPolicy, ReviewPolicy
from domain.settings import Settings
from domain.watch_policy import WatchPolicy
from workflows.abandoned_cart import AbandonedCart, AbandonedCartInput
from workflows.account_message import AccountMessage, AccountMessageInput
from workflows.customer_lifecycle import CustomerLifecycle, CustomerLifecycleInput
from workflows.ops_alerts import OpsAlerts, OpsAlertsInput
from workflows.order_lifecycle import OrderLifecycle, OrderLifecycleInput
from workflows.product_watch import ProductWatch
from workflows.product_watch_state import ProductWatchInput
from workflows.service_case import ServiceCase, ServiceCaseInput

SIGNAL_RPC_TIMEOUT = timedelta(seconds=5)


class NoJourney(ValueError):
    """An event no journey takes (it carries no order, cart, case, product, account or alert). Not
    worth a retry: the ingress acknowledges it and logs it."""


def order_policy(settings: Settings) -> OrderPolicy:
    ops_channels = [Channel.EMAIL, Channel.SMS] if settings.ops_phone else [Channel.EMAIL]
    team_channels = [Channel.SMS, Channel.EMAIL] if settings.store_team_phone else [Channel.EMAIL]
    policy = OrderPolicy(
        delivery=settings.delivery_policy(),
        high_value_threshold=Decimal(str(settings.high_value_threshold)),
        ship_sla=timedelta(hours=settings.ship_sla_hours),
        confirmation_both=settings.confirmation_email_and_sms,
        ops_team=Recipient(name="Operations", email=settings.ops_email, phone=settings.ops_phone),
        ops_channels=ops_channels,
        account_team=Recipient(name="Account team", email=settings.account_team_email),
        pickup=PickupPolicy(
            delivery=settings.delivery_policy(),
            location=settings.pickup_location,
            cancel_on_expiry=settings.pickup_cancel_on_expiry,
            store_team=Recipient(
                name="Store team", email=settings.store_team_email, phone=settings.store_team_phone
            ),
            store_team_channels=team_channels,
        ),
        review=ReviewPolicy(
            delivery=settings.delivery_policy(),
            store_url=settings.store_url,
            reorder_url=settings.reorder_url,
            default_delay=timedelta(days=settings.review_delay_days),
            reminder_after=timedelta(days=settings.review_reminder_days),
        ),
    )
    return policy.scaled(settings.time_scale)


def cart_policy(settings: Settings) -> CartPolicy:
    code = settings.cart_incentive_code
    policy = CartPolicy(
        delivery=settings.delivery_policy(),
        rules=settings.cart_rules,  # per store (stores file): sequences by cart value
        incentive_enabled=code is not None,
        incentive_code=code,
    )
    return policy.scaled(settings.time_scale)


async def deliver_event(client: Client, settings: Settings, event: CommerceEvent) -> str | None:
    """Signal the event's journey, starting it when the event is one that starts journeys. Returns
    the workflow id, or None when the event concerns no running journey (a cart nobody abandoned).
    Raises `NoJourney` for an event no journey takes, and whatever Temporal raises when it cannot
    accept the signal (the caller tells an outage from a refusal: starter/unreachable.py)."""
    if event.type is EventType.REVIEW_SUBMITTED and event.order is None:
        return await _tell_review_requests(client, event)
    try:
        workflow_id = event.workflow_id()
    except ValueError as exc:
        raise NoJourney(str(exc)) from None
    start = _journey_start(settings.for_store(event.platform, event.store), event)
    if start is None:
        return await _signal_if_running(client, workflow_id, event)
    run, arg = start
    await client.start_workflow(
        run,
        arg,
        id=workflow_id,
        task_queue=settings.task_queue,
        start_signal="commerce_event",
        start_signal_args=[event],
        rpc_timeout=SIGNAL_RPC_TIMEOUT,
    )
    return workflow_id


def _journey_start(settings: Settings, event: CommerceEvent) -> tuple[Any, BaseModel] | None:
    """The journey an event starts (its run method and input), or None for events that only matter
    to a journey already under way (cart updates, case updates)."""
    platform, store = event.platform, event.store
    if event.type is EventType.REVIEW_SUBMITTED:  # it ends a review request, if one is waiting
        return None
    if event.case is not None:
        if event.type is not EventType.CASE_OPENED:
            return None
        return ServiceCase.run, ServiceCaseInput(
            platform=platform, store=store, case=event.case, policy=case_policy(settings)
        )
    if event.cart is not None:
        if event.type is not EventType.CART_ABANDONED:
            return None
        return AbandonedCart.run, AbandonedCartInput(
            platform=platform, store=store, cart_id=event.cart.cart_id, policy=cart_policy(settings)
        )
    if event.order is not None:
        return OrderLifecycle.run, OrderLifecycleInput(
            platform=platform, store=store, order_id=event.order.order_id, policy=order_policy(settings)
        )
    if event.product is not None:  # the SKU's entity workflow: every product event may start it
        return ProductWatch.run, ProductWatchInput(
            platform=platform, store=store, sku=event.product.sku, policy=WatchPolicy.from_settings(settings)
        )
    if event.alert is not None:
        return OpsAlerts.run, OpsAlertsInput(
            platform=platform, store=store, key=event.alert.key, policy=AlertPolicy.from_settings(settings)
        )
    if event.account is not None:
        customer_id = event.account.customer_id
        if event.type in ACCOUNT_MESSAGE_TYPES:
            return AccountMessage.run, AccountMessageInput(
                platform=platform,
                store=store,
                customer_id=customer_id,
                policy=AccountPolicy.from_settings(settings),
            )
        return CustomerLifecycle.run, CustomerLifecycleInput(
            platform=platform,
            store=store,
            customer_id=customer_id,
            policy=LoyaltyPolicy.from_settings(settings),
        )
    raise NoJourney(f"event {event.event_id} ({event.type}) belongs to no journey")


def derived_events(event: CommerceEvent) -> list[CommerceEvent]:
    """Other journeys an event matters to: a new order resets its customer's win-back timer, and
    every cancellation is counted by the store's cancellation-spike alert."""
    derived = []
    customer_id = event.customer.customer_id
    if event.order is not None and event.type is EventType.ORDER_CREATED and customer_id:
        account = AccountPayload(customer_id=customer_id)
        extra = {**event.extra, "order_id": event.order.order_id}  # the lifecycle counts each order once
        derived.append(
            event.model_copy(
                update={
                    "event_id": f"{event.event_id}:customer",
                    "order": None,
                    "account": account,
                    "extra": extra,
                }
            )
        )
    if event.order is not None and event.order.stage is OrderStage.CANCELLED:
        alert = AlertPayload(
            kind=AlertKind.CANCELLATION,
            key=AlertKind.CANCELLATION.value,
            order_id=event.order.order_id,
            detail=event.order.platform_status,
        )
        derived.append(
            event.model_copy(
                update={
                    # one per order, however many events report the cancellation: counted once
                    "event_id": f"cancellation:{event.order.order_id}",
                    "type": EventType.OPS_ALERT,
                    "order": None,
                    "alert": alert,
                }
            )
        )
    return derived


async def deliver_all(client: Client, settings: Settings, event: CommerceEvent) -> list[str]:
    """The event to its journey, then to every other journey it matters to (`derived_events`)."""
    delivered = []
    for each in (event, *derived_events(event)):
        workflow_id = await deliver_event(client, settings, each)
        if workflow_id is not None:
            delivered.append(workflow_id)
    return delivered


def case_policy(settings: Settings) -> CasePolicy:
    policy = CasePolicy(
        delivery=settings.delivery_policy(),
        service_team=Recipient(name="Service team", email=settings.service_team_email),
    )
    return policy.scaled(settings.time_scale)


async def _tell_review_requests(client: Client, event: CommerceEvent) -> str | None:
    """A review that names no order (SAP Commerce's CustomerReview) goes to every review request still
    waiting for this customer in this store; the one whose order holds the product ends."""
    who = event.customer.customer_id
    if not who or "'" in who or "'" in event.store:  # ids go into a visibility query
        return None
    query = (
        f"WorkflowType = 'ReviewRequest' AND ExecutionStatus = 'Running' AND "
        f"Platform = '{event.platform.value}' AND StoreId = '{event.store}' AND CustomerId = '{who}'"
    )
    told = None
    async for execution in client.list_workflows(query, rpc_timeout=SIGNAL_RPC_TIMEOUT):
        told = await _signal_if_running(client, execution.id, event) or told
    return told


async def _signal_if_running(client: Client, workflow_id: str, event: CommerceEvent) -> str | None:
    """Updates matter only to a journey already under way; none is started for them."""
    try:
        await client.get_workflow_handle(workflow_id).signal(
            "commerce_event", event, rpc_timeout=SIGNAL_RPC_TIMEOUT
        )
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    return workflow_id
