"""The message ledger: one row per message key. It is what makes sending exactly-once: a retried
activity, a replayed workflow or a later run of the same journey finds its key and does not send again.

Addresses are stored as SHA-256 hashes, never in clear.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.notifications import Channel, MessageRequest, MessageResult, MessageStatus


class Base(DeclarativeBase):
    pass


class MessageRow(Base):
    __tablename__ = "messages"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(300), index=True)
    journey: Mapped[str] = mapped_column(String(60))
    template: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(10), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # sending, sent, delivered, failed, suppressed
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    segments: Mapped[int | None] = mapped_column(Integer, nullable=True)
    address_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def hash_address(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def open(cls, url: str) -> Ledger:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def get(self, key: str) -> MessageRow | None:
        async with self._sessions() as session:
            return await session.get(MessageRow, key)

    async def claim(self, request: MessageRequest) -> MessageRow | None:
        """Mark the key as being sent. Returns the existing row when the key was already finished
        (the caller must not send again); None when the caller owns the send."""
        async with self._sessions() as session, session.begin():
            row = await session.get(MessageRow, request.key, with_for_update=True)
            if row is not None and row.status != "sending":
                return row
            if row is None:
                now = _now()
                session.add(
                    MessageRow(
                        key=request.key,
                        workflow_id=request.workflow_id,
                        journey=request.journey,
                        template=f"{request.journey}/{request.step}",
                        category=request.category.value,
                        status="sending",
                        created_at=now,
                        updated_at=now,
                    )
                )
            return None

    async def finish(self, result: MessageResult, address: str | None) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(MessageRow, result.key, with_for_update=True)
            if row is None:
                raise LookupError(f"ledger has no row for {result.key}")
            row.status = result.status.value
            row.channel = result.channel.value if result.channel else None
            row.reason = result.reason
            row.job_id = result.job_id
            row.segments = result.segments
            row.address_hash = hash_address(address) if address else None
            row.updated_at = _now()

    async def rows_for(self, workflow_id: str) -> list[MessageRow]:
        async with self._sessions() as session:
            found = await session.scalars(
                select(MessageRow)
                .where(MessageRow.workflow_id == workflow_id)
                .order_by(MessageRow.created_at)
            )
            return list(found)


def result_from_row(row: MessageRow) -> MessageResult:
    return MessageResult(
        key=row.key,
        status=MessageStatus(row.status),
        channel=Channel(row.channel) if row.channel else None,
        job_id=row.job_id,
        reason=row.reason,
        segments=row.segments,
        duplicate=True,
    )
