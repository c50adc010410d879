"""channel receipts: what WhatsApp says happened to each message the outbox sent (sent, delivered, read, failed)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:10:00
"""

import sqlalchemy as sa
from alembic import op

import ticketing.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbound_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("status_at", ticketing.db.UTCDateTime(), nullable=True),
        sa.Column("updated_at", ticketing.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbound_id"], ["outbound_message.id"], name=op.f("fk_channel_receipt_outbound_id_outbound_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_receipt")),
        sa.UniqueConstraint("external_id", name=op.f("uq_channel_receipt_external_id")),
    )
    with op.batch_alter_table("channel_receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_receipt_outbound_id"), ["outbound_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("channel_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_receipt_outbound_id"))
    op.drop_table("channel_receipt")
