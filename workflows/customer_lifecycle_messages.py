"""CustomerLifecycle's pure builders: who a loyalty message goes to, what its template is told, the
facts the customers table keeps, and how the run describes itself (no workflow calls, so the
workflow only orchestrates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.campaign import CustomerFacts
from domain.notifications import Recipient
from workflows.customer_lifecycle_state import (
    CustomerLifecycleInput,
    CustomerProfile,
    HeldMessage,
    LifecycleState,
    PendingReward,
)
from workflows.messaging import WaitingMessage


def recipient(inp: CustomerLifecycleInput, profile: CustomerProfile) -> Recipient:
    return Recipient(
        customer_id=inp.customer_id,
        name=profile.name,
        email=profile.email,
        phone=profile.phone,
        locale=profile.locale,
        country=profile.country,
    )


def loyalty_context(profile: CustomerProfile, link: str, loyalty: dict[str, Any]) -> dict[str, Any]:
    """Every loyalty template gets the same keys; the step fills in its own."""
    return {
        "customer": {"name": profile.name},
        "link": link,
        "loyalty": {
            "points": None,
            "balance": profile.points_balance,
            "tier": profile.tier,
            "previous_tier": None,
            "upgrade": True,
            "reward": None,
            "offer_code": None,
            "suggestions": [],
            **loyalty,
        },
    }


def reward_reminder(reward: PendingReward) -> dict[str, Any]:
    return {
        "reward": {
            "name": reward.name,
            "expires_at": reward.expires_at.isoformat(),
            "amount": str(reward.amount) if reward.amount is not None else None,
            "currency": reward.currency,
        }
    }


def waiting_messages(held: list[HeldMessage]) -> list[WaitingMessage]:
    return [
        WaitingMessage(
            key=h.request.key,
            step=f"{h.request.journey}/{h.request.step}",
            channel=None,
            until=h.not_before,
            reason=h.reason,
        )
        for h in held
    ]


def customer_facts(inp: CustomerLifecycleInput, s: LifecycleState) -> CustomerFacts:
    p = s.profile
    return CustomerFacts(
        platform=inp.platform,
        store=inp.store,
        customer_id=inp.customer_id,
        email=p.email,
        phone=p.phone,
        name=p.name,
        locale=p.locale,
        country=p.country,
        tier=p.tier,
        birthday=p.birthday,
        orders_count=s.orders_count,
        last_order_at=s.last_order_at,
        total_spent=s.total_spent,
        products=s.products or None,
        brands=s.brands or None,
    )


def stage_of(s: LifecycleState) -> str:
    if s.last_order_at is None:
        return "no_orders"
    return "lapsed" if s.winback_sent_for == s.last_order_at else "active"


def next_due(s: LifecycleState) -> datetime | None:
    """The earliest of the run's timers: win-back, birthday, reward reminders, held messages."""
    dues = [
        s.winback_due,
        s.birthday_due,
        *(r.remind_at for r in s.rewards),
        *(h.not_before for h in s.held),
    ]
    return min((d for d in dues if d is not None), default=None)


def details(inp: CustomerLifecycleInput, s: LifecycleState, due: datetime | None, sent: int) -> str:
    p = s.profile
    parts = [f"Customer {inp.customer_id} ({inp.platform}/{inp.store})"]
    if p.tier:
        parts.append(f"tier {p.tier}")
    if p.points_balance is not None:
        parts.append(f"{p.points_balance} points")
    parts.append(f"{s.orders_count} order(s)")
    parts.append(f"next timer {due:%Y-%m-%d %H:%M:%S} UTC" if due else "no timer")
    parts.append(f"{sent} message(s) sent this run")
    return " · ".join(parts)
