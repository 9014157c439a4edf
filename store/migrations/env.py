"""Alembic environment. Tidings runs migrations itself when a process opens the store
(`store.db.open_engine`), handing the connection in; `alembic` on the command line works too with
`-x url=…`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from store.models import Base

target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # command line: a synchronous URL, e.g. -x url=sqlite:///.data/tidings.db
    url = context.get_x_argument(as_dictionary=True)["url"]
    with create_engine(url).connect() as conn:
        run(conn)
        conn.commit()
