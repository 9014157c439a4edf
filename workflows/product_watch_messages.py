"""ProductWatch's pure message builders: the product facts a template is told, the requests for a
batch message, a reservation reminder and the merchandising alert, and how the run describes itself
(no workflow calls: the workflow passes its id and clock in)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.events import CustomerRef
from domain.notifications import Category, Channel, MessageRequest, Recipient
from workflows.product_watch_state import LOW_STOCK, PRICE_DROP, ProductWatchInput, Watch, WatchState


def amount(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def product_link(url: str | None, store_url: str) -> str:
    """The product page; catalogs give storefront-relative paths (none known: the store)."""
    store = store_url.rstrip("/")
    if not url:
        return store
    return f"{store}{url}" if url.startswith("/") else url


def product_context(
    inp: ProductWatchInput,
    s: WatchState,
    name: str | None,
    *,
    few_left: bool = False,
    drop: bool = False,
    reserved_until: datetime | None = None,
) -> dict[str, Any]:
    percent = None
    if drop and s.drop_from and s.drop_to is not None:
        percent = int(((s.drop_from - s.drop_to) / s.drop_from * 100).to_integral_value())
    link = product_link(s.url, inp.policy.store_url)
    product = {
        "sku": inp.sku,
        "name": s.name or inp.sku,
        "url": link,
        "price": amount(s.drop_to if drop else s.price),
        "previous_price": amount(s.drop_from) if drop else None,
        "drop_percent": percent,
        "currency": s.currency or "USD",
        "available": s.stock,
        "few_left": few_left,
        "threshold": inp.policy.low_stock_threshold,
        "reserved_until": reserved_until.isoformat() if reserved_until else None,
    }
    return {"product": product, "customer": {"name": name}, "link": link}


def customer_key(inp: ProductWatchInput, customer_id: str | None) -> str | None:
    return f"{inp.platform}:{inp.store}:{customer_id}" if customer_id else None


def batch_request(
    inp: ProductWatchInput,
    s: WatchState,
    wf: str,
    now: datetime,
    step: str,
    number: int,
    watch: Watch,
    few_left: bool,
) -> MessageRequest:
    """One watcher's message of a batch; the key holds the restock (or drop) number, so each is told once."""
    return MessageRequest(
        key=f"{wf}:{step}:{s.chain}-{number}:{watch.customer_id}",
        workflow_id=wf,
        journey="product",
        step=step,
        category=Category.MARKETING,
        channels=[watch.channel],
        recipient=watch.recipient(),
        context=product_context(
            inp, s, watch.name, few_left=few_left or step == LOW_STOCK, drop=step == PRICE_DROP
        ),
        customer_key=customer_key(inp, watch.customer_id),
        policy=inp.policy.delivery,
        now=now,
    )


def reservation_request(
    inp: ProductWatchInput,
    s: WatchState,
    wf: str,
    who: CustomerRef,
    holder: str,
    which: str,
    token: object,
    until: datetime | None,
) -> MessageRequest:
    return MessageRequest(
        key=f"{wf}:reservation_expiring:{holder}:{which}",
        workflow_id=wf,
        journey="product",
        step="reservation_expiring",
        category=Category.TRANSACTIONAL,
        channels=inp.policy.reservation_channels,
        recipient=Recipient(
            customer_id=who.customer_id,
            name=who.name,
            email=who.email,
            phone=who.phone,
            push_token=token if isinstance(token, str) else None,
            locale=who.locale,
        ),
        context=product_context(inp, s, who.name, reserved_until=until),
        customer_key=customer_key(inp, who.customer_id),
        policy=inp.policy.delivery,
    )


def low_stock_alert(inp: ProductWatchInput, s: WatchState, wf: str) -> MessageRequest:
    return MessageRequest(
        key=f"{wf}:ops:low_stock:{s.chain}-{s.low_episodes}",
        workflow_id=wf,
        journey="product",
        step="team_low_stock",
        category=Category.OPERATIONAL,
        channels=inp.policy.merchandising_channels,
        recipient=inp.policy.merchandising,
        context=product_context(inp, s, None),
        policy=inp.policy.delivery,
    )


def sold_out_alert(inp: ProductWatchInput, s: WatchState, wf: str) -> MessageRequest:
    """Merchandising hears of every sellout: the product can no longer be bought (whatever it had
    before, so a sellout straight from plenty to 0 is told too)."""
    return MessageRequest(
        key=f"{wf}:ops:sold_out:{s.chain}-{s.sellouts}",
        workflow_id=wf,
        journey="product",
        step="team_sold_out",
        category=Category.OPERATIONAL,
        channels=inp.policy.merchandising_channels,
        recipient=inp.policy.merchandising,
        context=product_context(inp, s, None),
        policy=inp.policy.delivery,
    )


def pick_channel(asked: str | None, email: bool, phone: bool, push: bool) -> tuple[Channel, bool]:
    """The channel asked for, else the first the customer has an address for; True when the one asked
    for is unknown."""
    if asked:
        try:
            return Channel(asked.lower()), False
        except ValueError:
            pass
    for channel, has in ((Channel.EMAIL, email), (Channel.SMS, phone), (Channel.PUSH, push)):
        if has:
            return channel, bool(asked)
    return Channel.EMAIL, bool(asked)  # the customer's preferences may hold the address


def stage_name(stock: int | None, threshold: int) -> str:
    if stock is None:
        return "unknown"
    if stock <= 0:
        return "sold_out"
    return "low_stock" if stock <= threshold else "in_stock"


def details(inp: ProductWatchInput, s: WatchState, state: str | None, subscribers: int) -> str:
    stock = "stock unknown" if s.stock is None else f"{s.stock} available"
    busy = " · announcing" if s.announcing else ""
    return (
        f"{s.name or inp.sku} ({inp.platform.value}/{inp.store}) · {state or stock} · "
        f"{subscribers} subscriber(s) · {s.restocks} restock(s){busy} · {s.totals.sent} sent"
    )
