"""Addresses that said no. SMS STOP opts a number out of every SMS (scope `all`); an email
unsubscribe opts an address out of marketing email (scope `marketing`). Kept by address hash."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.notifications import Category, Channel
from store.ledger import hash_address
from store.models import OptOutRow

SCOPE_ALL = "all"
SCOPE_MARKETING = "marketing"


class OptOutStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def opt_out(self, channel: Channel, address: str, scope: str, source: str) -> None:
        async with self._sessions() as session, session.begin():
            key = (channel.value, hash_address(address))
            row = await session.get(OptOutRow, key, with_for_update=True)
            if row is None:
                session.add(
                    OptOutRow(
                        channel=key[0],
                        address_hash=key[1],
                        scope=scope,
                        source=source,
                        created_at=datetime.now(UTC),
                    )
                )
            elif scope == SCOPE_ALL:  # widening: STOP after an unsubscribe
                row.scope, row.source = scope, source

    async def opt_in(self, channel: Channel, address: str) -> bool:
        """Returns True when there was an opt-out to lift."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(OptOutRow).where(
                    OptOutRow.channel == channel.value, OptOutRow.address_hash == hash_address(address)
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def blocks(self, channel: Channel, address: str, category: Category) -> str | None:
        """The reason a message may not go to this address, or None."""
        if category is Category.OPERATIONAL:
            return None  # our own teams' devices: not a consumer's consent
        async with self._sessions() as session:
            row = await session.get(OptOutRow, (channel.value, hash_address(address)))
        return block_reason(row, channel, category)


def block_reason(row: OptOutRow | None, channel: Channel, category: Category) -> str | None:
    """Why the opt-out `row` (None: none) stops a message of `category`, or None."""
    if row is None or category is Category.OPERATIONAL:  # operational: our own teams' devices
        return None
    if row.scope == SCOPE_ALL or category is Category.MARKETING:
        return f"{channel} opted out ({row.source})"
    return None


async def opt_outs_in(
    session: AsyncSession, addresses: list[tuple[Channel, str]]
) -> dict[tuple[str, str], OptOutRow]:
    """The opt-outs of these addresses by (channel, address hash), in one query."""
    if not addresses:
        return {}
    hashes = {hash_address(address) for _, address in addresses}
    rows = await session.scalars(select(OptOutRow).where(OptOutRow.address_hash.in_(hashes)))
    return {(row.channel, row.address_hash): row for row in rows}
