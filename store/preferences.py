"""Customer preferences, per platform, store and customer id."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.notifications import Channel
from domain.preferences import Preferences, QuietHours
from store.models import PreferencesRow


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _from_row(row: PreferencesRow) -> Preferences:
    quiet = None
    if row.quiet_start and row.quiet_end:
        quiet = QuietHours(start=time.fromisoformat(row.quiet_start), end=time.fromisoformat(row.quiet_end))
    opted = [
        channel
        for channel, flag in (
            (Channel.EMAIL, row.marketing_email),
            (Channel.SMS, row.marketing_sms),
            (Channel.PUSH, row.marketing_push),
        )
        if flag
    ]
    return Preferences(
        email=row.email,
        phone=row.phone,
        push_token=row.push_token,
        channels=[Channel(c) for c in row.channels.split(",")] if row.channels else None,
        marketing_opt_in=opted,
        locale=row.locale,
        time_zone=row.time_zone,
        quiet_hours=quiet,
    )


class PreferenceStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def get(self, platform: str, store: str, customer_id: str) -> Preferences | None:
        async with self._sessions() as session:
            return await preferences_in(session, platform, store, customer_id)

    async def put(self, platform: str, store: str, customer_id: str, prefs: Preferences) -> Preferences:
        async with self._sessions() as session, session.begin():
            row = await session.get(PreferencesRow, (platform, store, customer_id), with_for_update=True)
            if row is None:
                row = PreferencesRow(platform=platform, store=store, customer_id=customer_id)
                session.add(row)
            row.email = prefs.email
            row.phone = prefs.phone
            row.push_token = prefs.push_token
            row.channels = ",".join(c.value for c in prefs.channels) if prefs.channels else None
            row.marketing_email = Channel.EMAIL in prefs.marketing_opt_in
            row.marketing_sms = Channel.SMS in prefs.marketing_opt_in
            row.marketing_push = Channel.PUSH in prefs.marketing_opt_in
            row.locale = prefs.locale
            row.time_zone = prefs.time_zone
            row.quiet_start = _hhmm(prefs.quiet_hours.start) if prefs.quiet_hours else None
            row.quiet_end = _hhmm(prefs.quiet_hours.end) if prefs.quiet_hours else None
            row.updated_at = datetime.now(UTC)
        return _from_row(row)


async def preferences_in(
    session: AsyncSession, platform: str, store: str, customer_id: str
) -> Preferences | None:
    row = await session.get(PreferencesRow, (platform, store, customer_id))
    return _from_row(row) if row else None
