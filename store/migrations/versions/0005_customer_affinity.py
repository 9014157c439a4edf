"""Customers: what they bought (products and brands), for affinity segments.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # "|a|b|" lower-case lists: a segment asks with LIKE '%|a|%', on SQLite and PostgreSQL alike.
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("products", sa.Text, nullable=True))
        batch.add_column(sa.Column("brands", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("brands")
        batch.drop_column("products")
