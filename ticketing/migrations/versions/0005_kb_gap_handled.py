"""an editor can mark a group of unanswered questions as handled

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 17:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_gap") as batch:
        batch.add_column(sa.Column("handled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("handled_by", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_gap") as batch:
        batch.drop_column("handled_by")
        batch.drop_column("handled_at")
