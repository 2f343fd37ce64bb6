"""The quick start's tables, liveui's notification table included.

Revision ID: 0001
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
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_index("ix_orders_user_id", "orders", ["user_id"])
    # notification_model(Base, user_fk="users.id"): the columns and indexes it declares.
    op.create_table(
        "liveui_notifications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("action_label", sa.String(255), nullable=True),
        sa.Column("action_url", sa.String(2048), nullable=True),
        sa.Column("inserted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_liveui_notifications_user_inserted", "liveui_notifications",
        ["user_id", "inserted_at"],
    )
    op.create_index(
        "ix_liveui_notifications_user_read", "liveui_notifications", ["user_id", "read"]
    )


def downgrade() -> None:
    op.drop_table("liveui_notifications")
    op.drop_table("orders")
    op.drop_table("users")
