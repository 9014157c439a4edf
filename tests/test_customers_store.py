"""The customers table on SQLite and on a real PostgreSQL: upserts only ever add knowledge, segments
pick the right customers, and a campaign's pages walk the whole segment once, in order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import inspect

from activities.audience import AudienceActivities, AudienceQuery
from domain.campaign import CustomerFacts, SegmentFilter
from domain.events import Platform
from store.stores import Stores

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BC, SFCC = Platform.BIGCOMMERCE, Platform.SFCC


def facts(store: str, customer_id: str, platform: Platform = BC, **known: object) -> CustomerFacts:
    return CustomerFacts.model_validate(
        {"platform": platform, "store": store, "customer_id": customer_id, **known}
    )


async def shop(stores: Stores) -> str:
    """A store with customers a merchant might have: Germans, a French VIP, lapsed and new ones."""
    store = f"s{uuid.uuid4().hex[:8]}"
    for customer in [
        facts(store, "101", locale="de_DE", country="de", tier="Gold", orders_count=5,
              last_order_at=NOW - timedelta(days=3), email="anna@example.de"),
        facts(store, "102", locale="de-AT", country="AT", tier="silver", orders_count=1,
              last_order_at=NOW - timedelta(days=200), email="bernd@example.at"),
        facts(store, "103", locale="fr", country="FR", tier="platinum", orders_count=12,
              last_order_at=NOW - timedelta(days=10), email="chloe@example.fr"),
        facts(store, "104", locale="en_US", country="US", orders_count=0, email="dan@example.com"),
        facts(store, "105", locale="de", country="DE", tier="bronze", orders_count=2,
              last_order_at=NOW - timedelta(days=40), phone="+4915112345678"),
        facts(store, "7", platform=SFCC, locale="de_DE", country="DE", tier="gold", orders_count=3,
              last_order_at=NOW - timedelta(days=1), email="eva@example.de"),
    ]:  # fmt: skip
        await stores.customers.upsert(customer)
    await stores.customers.upsert(facts(f"other-{store}", "101", country="DE", locale="de"))  # not ours
    return store


async def ids(stores: Stores, store: str, platform: Platform | None = None, **segment: object) -> list[str]:
    found = await stores.customers.page(
        store, platform, SegmentFilter.model_validate(segment), NOW, None, 100
    )
    assert await stores.customers.count(store, platform, SegmentFilter.model_validate(segment), NOW) == len(
        found
    )
    return [f"{c.platform.value}:{c.customer_id}" for c in found]


async def test_migrations_create_the_customers_table(stores: Stores) -> None:
    async with stores.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert "customers" in tables


async def test_an_upsert_keeps_what_it_does_not_mention_and_normalises_what_it_does(stores: Stores) -> None:
    store = f"s{uuid.uuid4().hex[:8]}"
    await stores.customers.upsert(
        facts(store, "42", email="ada@example.com", name="Ada", locale="de_AT", country="at", tier="Gold")
    )
    await stores.customers.upsert(facts(store, "42", tier="Platinum", phone="+4366412345", email=" "))
    got = await stores.customers.get(BC, store, "42")
    assert got is not None
    assert (got.email, got.name, got.phone) == ("ada@example.com", "Ada", "+4366412345")
    assert (got.locale, got.language, got.country, got.tier) == ("de_AT", "de", "AT", "platinum")
    assert await stores.customers.get(BC, store, "43") is None
    assert await stores.customers.get(SFCC, store, "42") is None  # another platform's customer 42


async def test_orders_only_count_up_and_the_last_order_only_moves_forward(stores: Stores) -> None:
    store = f"s{uuid.uuid4().hex[:8]}"
    recent, older = NOW - timedelta(days=2), NOW - timedelta(days=30)
    await stores.customers.upsert(facts(store, "9", orders_count=4, last_order_at=recent))
    # a late event about an older order, from a source that counted fewer orders
    await stores.customers.upsert(
        facts(store, "9", orders_count=2, last_order_at=older, total_spent=Decimal("310.50"))
    )
    got = await stores.customers.get(BC, store, "9")
    assert got is not None
    assert got.orders_count == 4 and got.last_order_at == recent
    assert got.total_spent == Decimal("310.50")


async def test_times_in_other_offsets_compare_as_the_same_instant(stores: Stores) -> None:
    store = f"s{uuid.uuid4().hex[:8]}"
    berlin = timezone(timedelta(hours=2))
    # 07:30 at +02:00 is 05:30 UTC: 30.5 hours before NOW (kept as wall-clock digits it would be 28.5 h)
    await stores.customers.upsert(
        facts(store, "1", orders_count=1, last_order_at=datetime(2026, 11, 22, 7, 30, tzinfo=berlin))
    )
    got = await stores.customers.get(BC, store, "1")
    assert got is not None and got.last_order_at == datetime(2026, 11, 22, 5, 30, tzinfo=UTC)
    assert await ids(stores, store, ordered_within_days=(30.5 + 0.01) / 24) == ["bigcommerce:1"]
    assert await ids(stores, store, ordered_within_days=(30.5 - 0.01) / 24) == []


async def test_segments_pick_the_customers_their_filters_describe(stores: Stores) -> None:
    store = await shop(stores)
    assert await ids(stores, store) == [
        "bigcommerce:101",
        "bigcommerce:102",
        "bigcommerce:103",
        "bigcommerce:104",
        "bigcommerce:105",
        "sfcc:7",
    ]
    assert await ids(stores, store, country=["DE"]) == ["bigcommerce:101", "bigcommerce:105", "sfcc:7"]
    assert await ids(stores, store, country=["de", "at"], platform=None) == [
        "bigcommerce:101",
        "bigcommerce:102",
        "bigcommerce:105",
        "sfcc:7",
    ]
    assert await ids(stores, store, BC, country=["DE"]) == ["bigcommerce:101", "bigcommerce:105"]
    assert await ids(stores, store, language=["de-CH"]) == [
        "bigcommerce:101",
        "bigcommerce:102",
        "bigcommerce:105",
        "sfcc:7",
    ]
    assert await ids(stores, store, tier=["GOLD", "platinum"]) == [
        "bigcommerce:101",
        "bigcommerce:103",
        "sfcc:7",
    ]
    assert await ids(stores, store, ordered_within_days=30) == [
        "bigcommerce:101",
        "bigcommerce:103",
        "sfcc:7",
    ]
    assert await ids(stores, store, not_ordered_within_days=30) == ["bigcommerce:102", "bigcommerce:105"]
    assert await ids(stores, store, min_orders=3) == ["bigcommerce:101", "bigcommerce:103", "sfcc:7"]
    assert await ids(stores, store, never_ordered=True) == ["bigcommerce:104"]
    assert await ids(stores, store, country=["DE"], ordered_within_days=7, min_orders=4) == [
        "bigcommerce:101"
    ]


async def test_pages_walk_the_segment_once_in_order(stores: Stores) -> None:
    store = await shop(stores)
    audience = AudienceActivities(stores)
    query = AudienceQuery(store=store, segment=SegmentFilter(), as_of=NOW, limit=2)
    walked: list[str] = []
    pages = 0
    while True:
        page = await audience.audience_page(query)
        pages += 1
        walked += [f"{c.platform.value}:{c.customer_id}" for c in page.customers]
        if page.next is None:
            break
        query = query.model_copy(update={"after": page.next})
    assert walked == await ids(stores, store)  # every customer once, same order
    assert pages == 4  # 2 + 2 + 2 + an empty last page: a full page cannot know it was the last
    assert await audience.audience_count(query.model_copy(update={"after": None})) == 6


async def test_a_customer_recorded_by_the_activity_is_found_by_a_campaign(stores: Stores) -> None:
    store = f"s{uuid.uuid4().hex[:8]}"
    audience = AudienceActivities(stores)
    await audience.record_customer(
        facts(store, "77", email="zoe@example.fr", locale="fr_FR", country="FR", tier="gold", orders_count=1,
              last_order_at=NOW - timedelta(hours=5))
    )  # fmt: skip
    page = await audience.audience_page(
        AudienceQuery(store=store, segment=SegmentFilter(country=["FR"], ordered_within_days=1), as_of=NOW)
    )
    assert [(c.customer_id, c.email, c.language) for c in page.customers] == [("77", "zoe@example.fr", "fr")]
    assert page.next is None
