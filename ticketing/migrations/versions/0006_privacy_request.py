"""privacy requests: the audit trail of customer data exports and erasures

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import ticketing.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("subject_ref", sa.String(length=64), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("tickets", sa.JSON(), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("created_at", ticketing.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_request")),
    )
    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_request_subject_ref"), ["subject_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_request_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("privacy_request")
