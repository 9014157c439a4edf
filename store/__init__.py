"""Tidings' own store: the message ledger, customer preferences and opt-outs. SQLAlchemy 2 async,
SQLite by default and PostgreSQL with the same code; the schema is managed by Alembic migrations."""
