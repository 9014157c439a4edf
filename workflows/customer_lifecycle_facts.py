"""What CustomerLifecycle learns about its customer from an event, as pure state updates: contact
details, orders, profile facts and rewards. The workflow notes the outcome and arms its timers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.events import AccountPayload, CommerceEvent, CustomerRef
from domain.loyalty_policy import LoyaltyPolicy, parse_birthday
from workflows.customer_lifecycle_state import (
    RECENT_ORDERS,
    CustomerProfile,
    LifecycleState,
    PendingReward,
    decimal_or_none,
)


def absorb_contact(profile: CustomerProfile, ref: CustomerRef) -> bool:
    """Addresses and names the event carries are the platform's latest word. True when one changed."""
    changed = False
    for field in ("name", "email", "phone", "locale"):
        value = getattr(ref, field)
        if value and value != getattr(profile, field):
            setattr(profile, field, value)
            changed = True
    return changed


def record_order(s: LifecycleState, event: CommerceEvent) -> str | None:
    """Count the order; the order id when it was counted already (nothing changed)."""
    # A fanned-out order event may come without its order payload (so it routes here, not to
    # the order's journey): then `extra["order_id"]` names it, else the event itself must do.
    order_id = event.order.order_id if event.order else str(event.extra.get("order_id") or event.event_id)
    if order_id in s.recent_orders:
        return order_id
    s.recent_orders = [*s.recent_orders[-RECENT_ORDERS + 1 :], order_id]
    s.orders_count += 1
    if s.last_order_at is None or event.occurred_at > s.last_order_at:
        s.last_order_at = event.occurred_at
    total = decimal_or_none(event.extra.get("order_total"))
    if total is not None:
        s.total_spent = (s.total_spent or Decimal(0)) + total
    return None


def learn_bought(s: LifecycleState, event: CommerceEvent) -> bool:
    """Add an order's products and brands to the purchase history; True when it learned something
    (another event of an order already counted may still name what was in it)."""
    before = (s.products, s.brands)
    s.products = _bought(s.products, event.extra.get("products"), event.extra.get("product_names"))
    s.brands = _bought(s.brands, event.extra.get("brands"))
    return (s.products, s.brands) != before


MAX_BOUGHT = 200  # purchase history kept per customer (names), the most recent last


def _bought(known: list[str], *lists: object) -> list[str]:
    """Purchase history with an order's products (or brands) added: affinity segments ask for them."""
    names = [n.strip() for found in lists if isinstance(found, list) for n in found if isinstance(n, str)]
    kept = list(known)
    for name in (n for n in names if n):
        kept = [k for k in kept if k != name] + [name]
    return kept[-MAX_BOUGHT:]


def learn_profile(s: LifecycleState, event: CommerceEvent) -> tuple[bool, str | None]:
    """Take the profile facts of a customer update: (the birthday changed, why a birthday was refused)."""
    profile, account = s.profile, event.account
    country = event.extra.get("country")
    if isinstance(country, str) and country.strip():
        profile.country = country.strip().upper()
    orders = event.extra.get("orders_count")
    if isinstance(orders, int) and orders > s.orders_count:
        s.orders_count = orders  # the platform counted orders from before our time
    spent = decimal_or_none(event.extra.get("total_spent"))
    if spent is not None:
        s.total_spent = spent
    if account is None:
        return False, None
    if account.tier:
        profile.tier = account.tier
    if account.balance is not None:
        profile.points_balance = account.balance
    if account.birthday and account.birthday != profile.birthday:
        try:
            parse_birthday(account.birthday)
        except ValueError as exc:
            return False, f"birthday ignored: {exc}"
        profile.birthday = account.birthday
        return True, None
    return False, None


def pending_reward(
    account: AccountPayload, expires_at: datetime, policy: LoyaltyPolicy, now: datetime
) -> PendingReward:
    """The reminder of an expiring reward, due `reward_lead` before its expiry (time-scaled)."""
    remind = expires_at - policy.reward_lead
    return PendingReward(
        reward=account.detail or f"{expires_at:%Y%m%dT%H%M}",
        name=account.detail,
        expires_at=expires_at,
        remind_at=now + policy.wait(remind - now),
        amount=account.amount,
        currency=account.currency,
        link=account.link,
    )
