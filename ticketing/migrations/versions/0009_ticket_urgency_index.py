"""queues read tickets in urgency order straight from an index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:40:00

The queue's order (earliest open target first, paused and closed last, then priority, then age) as an index: a
queue page reads its 50 rows from it instead of sorting every open ticket (PostgreSQL, 10,000 tickets: 21.8 ms ->
0.07 ms for the query).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_ticket_urgency",
        "ticket",
        [sa.text("(next_due_at IS NULL)"), "next_due_at", sa.text("priority_rank DESC"), "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_urgency", table_name="ticket")
