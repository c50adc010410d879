"""conversations the bot handled, for deflection

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:55:00
"""

import sqlalchemy as sa
from alembic import op

import ticketing.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("first_seen_at", ticketing.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", ticketing.db.UTCDateTime(), nullable=False),
        sa.Column("kb_answers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_conversation_conversation_id")),
    )
    op.create_index(op.f("ix_conversation_first_seen_at"), "conversation", ["first_seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_conversation_first_seen_at"), table_name="conversation")
    op.drop_table("conversation")
