"""The customers table: facts per customer that campaigns segment on, and the pages a campaign reads.

An upsert only ever adds knowledge: a fact left out (None) keeps its value, the order count only
rises and the last order time only moves forward, so events arriving out of order (or a second
source of the same facts) never make a customer look newer or older than they are.

Times are stored in UTC: SQLite keeps a datetime's wall-clock digits and drops its offset, so mixed
offsets would compare wrongly there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from domain.campaign import AudienceCursor, CustomerFacts, SegmentFilter, affinity_key, language_of
from domain.events import Platform
from store.models import CustomerRow


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _facts(row: CustomerRow) -> CustomerFacts:
    return CustomerFacts(
        platform=Platform(row.platform),
        store=row.store,
        customer_id=row.customer_id,
        email=row.email,
        phone=row.phone,
        name=row.name,
        locale=row.locale,
        country=row.country,
        tier=row.tier,
        birthday=row.birthday,
        orders_count=row.orders_count,
        last_order_at=_utc(row.last_order_at),
        total_spent=row.total_spent,
        products=_unpacked(row.products),
        brands=_unpacked(row.brands),
    )


MAX_AFFINITY = 200  # names kept per customer and list: the most recent purchases win


def _unpacked(packed: str | None) -> list[str] | None:
    return [name for name in packed.split("|") if name] if packed else None


def _merged(packed: str | None, names: list[str] | None) -> str | None:
    """The stored "|a|b|" list with `names` added (a name bought again moves to the end)."""
    if not names:
        return packed
    kept = _unpacked(packed) or []
    for name in (affinity_key(n) for n in names):
        if name:
            kept = [k for k in kept if k != name] + [name]
    return "|" + "|".join(kept[-MAX_AFFINITY:]) + "|" if kept else None


def _any_of(column: Any, names: list[str]) -> ColumnElement[bool]:
    # Names are affinity keys: no "|" inside; LIKE's own wildcards are escaped.
    escaped = [n.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for n in names]
    return or_(*(column.like(f"%|{n}|%", escape="\\") for n in escaped))


def _apply(row: CustomerRow, facts: CustomerFacts) -> None:
    for field in ("email", "phone", "name", "birthday"):
        value = _blank(getattr(facts, field))
        if value is not None:
            setattr(row, field, value)
    if locale := _blank(facts.locale):
        row.locale, row.language = locale, language_of(locale)
    if country := _blank(facts.country):
        row.country = country.upper()[:2]
    if tier := _blank(facts.tier):
        row.tier = tier.lower()
    if facts.orders_count is not None:
        row.orders_count = max(row.orders_count or 0, facts.orders_count)
    last = _utc(facts.last_order_at)
    if last is not None and (row.last_order_at is None or last > _utc(row.last_order_at)):  # type: ignore[operator]
        row.last_order_at = last
    if facts.total_spent is not None:
        row.total_spent = facts.total_spent
    row.products = _merged(row.products, facts.products)
    row.brands = _merged(row.brands, facts.brands)
    row.updated_at = datetime.now(UTC)


def segment_clauses(
    store: str, platform: Platform | None, segment: SegmentFilter, as_of: datetime
) -> list[ColumnElement[bool]]:
    """The WHERE clauses that pick a segment of one store's customers, judged at `as_of`."""
    now = _utc(as_of)
    assert now is not None
    clauses: list[ColumnElement[bool]] = [CustomerRow.store == store]
    if platform is not None:
        clauses.append(CustomerRow.platform == platform.value)
    if segment.country:
        clauses.append(CustomerRow.country.in_(segment.country))
    if segment.language:
        clauses.append(CustomerRow.language.in_(segment.language))
    if segment.tier:
        clauses.append(CustomerRow.tier.in_(segment.tier))
    if segment.ordered_within_days:
        clauses.append(CustomerRow.last_order_at >= now - timedelta(days=segment.ordered_within_days))
    if segment.not_ordered_within_days:
        clauses.append(CustomerRow.last_order_at < now - timedelta(days=segment.not_ordered_within_days))
    if segment.min_orders:
        clauses.append(CustomerRow.orders_count >= segment.min_orders)
    if segment.never_ordered:
        clauses.append(and_(CustomerRow.orders_count == 0, CustomerRow.last_order_at.is_(None)))
    if segment.bought:
        clauses.append(_any_of(CustomerRow.products, segment.bought))
    if segment.brand:
        clauses.append(_any_of(CustomerRow.brands, segment.brand))
    return clauses


class CustomerStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def upsert(self, facts: CustomerFacts) -> CustomerFacts:
        key = (facts.platform.value, facts.store, facts.customer_id)
        for attempt in range(2):
            try:
                async with self._sessions() as session, session.begin():
                    row = await session.get(CustomerRow, key, with_for_update=True)
                    if row is None:
                        row = CustomerRow(platform=key[0], store=key[1], customer_id=key[2], orders_count=0)
                        session.add(row)
                    _apply(row, facts)
                return _facts(row)
            except IntegrityError:
                if attempt:  # a concurrent first insert won the race once; a second loss is a bug
                    raise
        raise AssertionError("unreachable")

    async def get(self, platform: Platform | str, store: str, customer_id: str) -> CustomerFacts | None:
        async with self._sessions() as session:
            row = await session.get(CustomerRow, (Platform(platform).value, store, customer_id))
            return _facts(row) if row else None

    async def page(
        self,
        store: str,
        platform: Platform | None,
        segment: SegmentFilter,
        as_of: datetime,
        after: AudienceCursor | None,
        limit: int,
    ) -> list[CustomerFacts]:
        """Up to `limit` customers of the segment after the cursor, in (platform, customer_id) order."""
        query: Any = select(CustomerRow).where(*segment_clauses(store, platform, segment, as_of))
        if after is not None:
            query = query.where(
                or_(
                    CustomerRow.platform > after.platform.value,
                    and_(
                        CustomerRow.platform == after.platform.value,
                        CustomerRow.customer_id > after.customer_id,
                    ),
                )
            )
        query = query.order_by(CustomerRow.platform, CustomerRow.customer_id).limit(limit)
        async with self._sessions() as session:
            return [_facts(row) for row in await session.scalars(query)]

    async def count(
        self, store: str, platform: Platform | None, segment: SegmentFilter, as_of: datetime
    ) -> int:
        query = (
            select(func.count())
            .select_from(CustomerRow)
            .where(*segment_clauses(store, platform, segment, as_of))
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)
