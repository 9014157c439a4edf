"""Opening the store: one async engine per process, the schema brought up to date by Alembic."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _serialise_sqlite_writers(engine: AsyncEngine) -> None:
    """The worker and the ingress write the same SQLite file. A deferred transaction that reads and
    then writes fails at once with "database is locked" when another writer holds the lock, so every
    transaction begins IMMEDIATE (waiting up to the busy timeout), and WAL lets readers go on."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to head. The worker and the ingress may start at the same moment against a
    fresh database; the loser of that race sees the winner's tables and simply tries again."""
    for attempt in range(5):
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_upgrade)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == 4:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))


class SchemaNotCurrent(RuntimeError):
    """Production processes do not migrate: `tidings migrate` (one job) does, before they start."""


def _revisions(connection: Connection) -> tuple[str | None, str | None]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(connection).get_current_revision()
    return current, ScriptDirectory.from_config(alembic_config()).get_current_head()


async def require_current_schema(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        current, head = await conn.run_sync(_revisions)
    if current != head:
        raise SchemaNotCurrent(
            f"the store's schema is at {current or 'nothing'}, this version needs {head}: "
            "run `tidings migrate`"
        )


async def open_engine(url: str, *, run_migrations: bool = True) -> AsyncEngine:
    parsed = make_url(url)
    connect_args: dict[str, object] = {}
    if parsed.get_backend_name() == "sqlite":
        connect_args["timeout"] = 30  # the worker and the ingress share the file: wait for locks
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if parsed.get_backend_name() == "sqlite":
        _serialise_sqlite_writers(engine)
    if run_migrations:
        await migrate(engine)
    return engine
