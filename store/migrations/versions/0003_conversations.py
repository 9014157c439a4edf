"""Conversations: which journey a customer's reply belongs to.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(300), nullable=False, index=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address_hash", sa.String(64), nullable=False, index=True),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("options", sa.Text, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("conversations")
