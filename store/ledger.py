"""The message ledger: one row per message key. It is what makes sending exactly-once: a retried
activity, a replayed workflow or a later run of the same journey finds its key and does not send
again. Receipts from OpenText update the same row. Addresses are stored as hashes, never in clear."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.notifications import (
    Channel,
    DeliveryReceipt,
    DeliveryState,
    MessageRequest,
    MessageResult,
    MessageStatus,
)
from store.db import open_engine
from store.models import MessageRow

SENT_STATUSES = (MessageStatus.SENT.value, MessageStatus.DELIVERED.value)


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
        return cls(await open_engine(url))

    async def close(self) -> None:
        await self.engine.dispose()

    async def get(self, key: str) -> MessageRow | None:
        async with self._sessions() as session:
            return await session.get(MessageRow, key)

    async def claim(self, request: MessageRequest) -> MessageRow | None:
        """Mark the key as being sent. None when the key is new: the caller owns the send. Otherwise
        the existing row: finished (the caller must not send again), or still "sending" (an earlier
        attempt claimed it and died or lost the provider's answer; the caller owns the send but must
        first ask the provider whether that attempt got through)."""
        async with self._sessions() as session, session.begin():
            return await claim_in(session, request)

    async def release(self, key: str) -> None:
        """Give a claim back without sending (a message deferred by quiet hours)."""
        async with self._sessions() as session, session.begin():
            row = await session.get(MessageRow, key, with_for_update=True)
            if row is not None and row.status == "sending":
                await session.delete(row)

    async def finish(self, result: MessageResult, address: str | None) -> None:
        # One UPDATE statement, no read first: this runs once per message.
        now = _now()
        values: dict[str, Any] = {
            "status": result.status.value,
            "channel": result.channel.value if result.channel else None,
            "reason": result.reason,
            "job_id": result.job_id,
            "segments": result.segments,
            "address_hash": hash_address(address) if address else None,
            "updated_at": now,
        }
        if result.status is MessageStatus.SENT:
            values["sent_at"] = now
            # a receipt may have come first
            values["delivery"] = func.coalesce(MessageRow.delivery, DeliveryState.PENDING.value)
        async with self._sessions() as session, session.begin():
            done = await session.execute(
                update(MessageRow).where(MessageRow.key == result.key).values(**values)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise LookupError(f"ledger has no row for {result.key}")

    async def record_receipt(self, receipt: DeliveryReceipt) -> MessageRow | None:
        """Apply OpenText's delivery outcome to the message's row (found by key, else by job id).
        A receipt may overtake the send's own bookkeeping; it is kept either way."""
        async with self._sessions() as session, session.begin():
            row = await session.get(MessageRow, receipt.message_key) if receipt.message_key else None
            if row is None:  # no key echoed back: the job id (unique per provider account)
                found = await session.scalars(
                    select(MessageRow).where(MessageRow.job_id == receipt.job_id).limit(1)
                )
                row = found.first()
            if row is None:
                return None
            if row.delivery == DeliveryState.DELIVERED.value and receipt.state is DeliveryState.PENDING:
                return row  # never step back
            row.delivery = receipt.state.value
            row.delivery_detail = receipt.detail
            row.updated_at = _now()
            if receipt.state is DeliveryState.DELIVERED:
                row.delivered_at = receipt.occurred_at or row.updated_at
            return row

    async def sent_since(self, customer_key: str, channel: Channel, category: str, since: datetime) -> int:
        """How many messages of a category went to a customer on a channel since a moment (caps)."""
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(MessageRow)
                .where(
                    MessageRow.customer_key == customer_key,
                    MessageRow.channel == channel.value,
                    MessageRow.category == category,
                    MessageRow.status.in_(SENT_STATUSES),
                    MessageRow.sent_at >= since,
                )
            )
            return int(count or 0)

    async def rows_for(self, workflow_id: str) -> list[MessageRow]:
        async with self._sessions() as session:
            found = await session.scalars(
                select(MessageRow)
                .where(MessageRow.workflow_id == workflow_id)
                .order_by(MessageRow.created_at)
            )
            return list(found)


async def claim_in(session: AsyncSession, request: MessageRequest) -> MessageRow | None:
    """`Ledger.claim` inside a transaction the caller holds (see store/send_context.py)."""
    row = await session.get(MessageRow, request.key, with_for_update=True)
    if row is not None:
        return row
    now = _now()
    session.add(
        MessageRow(
            key=request.key,
            workflow_id=request.workflow_id,
            journey=request.journey,
            template=f"{request.journey}/{request.step}",
            category=request.category.value,
            customer_key=request.customer_key,
            status="sending",
            created_at=now,
            updated_at=now,
        )
    )
    return None


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
