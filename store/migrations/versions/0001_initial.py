"""Ledger, preferences and opt-outs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("workflow_id", sa.String(300), nullable=False, index=True),
        sa.Column("journey", sa.String(60), nullable=False),
        sa.Column("template", sa.String(120), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("customer_key", sa.String(300), nullable=True, index=True),
        sa.Column("channel", sa.String(10), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("job_id", sa.String(100), nullable=True, index=True),
        sa.Column("segments", sa.Integer, nullable=True),
        sa.Column("address_hash", sa.String(64), nullable=True),
        sa.Column("delivery", sa.String(20), nullable=True),
        sa.Column("delivery_detail", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "preferences",
        sa.Column("platform", sa.String(30), primary_key=True),
        sa.Column("store", sa.String(100), primary_key=True),
        sa.Column("customer_id", sa.String(100), primary_key=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("push_token", sa.Text, nullable=True),
        sa.Column("channels", sa.String(60), nullable=True),
        sa.Column("marketing_email", sa.Boolean, nullable=False),
        sa.Column("marketing_sms", sa.Boolean, nullable=False),
        sa.Column("marketing_push", sa.Boolean, nullable=False),
        sa.Column("locale", sa.String(20), nullable=True),
        sa.Column("time_zone", sa.String(60), nullable=True),
        sa.Column("quiet_start", sa.String(5), nullable=True),
        sa.Column("quiet_end", sa.String(5), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "opt_outs",
        sa.Column("channel", sa.String(10), primary_key=True),
        sa.Column("address_hash", sa.String(64), primary_key=True),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("opt_outs")
    op.drop_table("preferences")
    op.drop_table("messages")
