"""What the order journey sends: the customer's messages and the teams' alerts, built from the order
as last read. Pure functions over the domain types (deterministic, so workflow-safe)."""

from __future__ import annotations

from typing import Any

from domain.events import OrderStage, Platform
from domain.notifications import Category, Channel, MessageRequest, OrderSnapshot
from domain.policies import OrderPolicy

ACCOUNT_TEAM_REASONS = frozenset({"high_value", "expedited"})


def order_context(snapshot: OrderSnapshot) -> dict[str, Any]:
    """The templates' view of the order: the order, its customer, its latest shipment and link."""
    snap = snapshot.model_dump(mode="json")
    shipments = snap["shipments"]
    return {
        "order": snap,
        "customer": snap["customer"],
        "shipment": shipments[-1] if shipments else None,
        "link": shipments[-1]["tracking_link"] if shipments else None,
    }


def customer_key(platform: Platform, store: str, snapshot: OrderSnapshot | None) -> str | None:
    """Preferences and caps are kept per "{platform}:{store}:{customer_id}"."""
    customer = snapshot.customer.customer_id if snapshot else None
    return f"{platform}:{store}:{customer}" if customer else None


def customer_message(
    workflow_id: str,
    platform: Platform,
    store: str,
    snapshot: OrderSnapshot,
    policy: OrderPolicy,
    step: str,
    step_key: str,
    channels: list[Channel],
    **context: object,
) -> MessageRequest:
    return MessageRequest(
        key=f"{workflow_id}:{step_key}",
        workflow_id=workflow_id,
        journey="order",
        step=step,
        category=Category.TRANSACTIONAL,
        channels=channels,
        recipient=snapshot.customer,
        context={**order_context(snapshot), **context},
        customer_key=customer_key(platform, store, snapshot),
        policy=policy.delivery,
    )


def team_alert(
    workflow_id: str,
    snapshot: OrderSnapshot,
    policy: OrderPolicy,
    reason: str,
    stage: OrderStage | None,
    **context: object,
) -> MessageRequest:
    """Operations hear of fraud reviews, disputes, late shipments; the account team (when there is
    one) of high-value and expedited orders."""
    team, channels = policy.ops_team, policy.ops_channels
    if reason in ACCOUNT_TEAM_REASONS and policy.account_team is not None:
        team, channels = policy.account_team, policy.account_channels
    return MessageRequest(
        key=f"{workflow_id}:ops:{reason}",
        workflow_id=workflow_id,
        journey="ops",
        step=reason,
        category=Category.OPERATIONAL,
        channels=channels,
        recipient=team,
        policy=policy.delivery,
        context={
            **order_context(snapshot),
            "stage": stage.value if stage else None,
            "ship_sla_hours": policy.ship_sla.total_seconds() / 3600,
            **context,
        },
    )
