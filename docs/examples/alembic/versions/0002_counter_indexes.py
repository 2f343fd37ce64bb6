"""The indexes the counters want, as printed by
`liveui counters --dispatch docs.examples.quickstart.app:dispatch --alembic`.

Revision ID: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


# Indexes that keep the counters' grouped recounts cheap (liveui counters --alembic).
def upgrade() -> None:
    op.create_index('ix_orders_user_id_status', 'orders', ['user_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_orders_user_id_status', table_name='orders')
