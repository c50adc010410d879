"""logging out ends an agent's sessions

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:20:00

Session tokens are signed, not stored; an agent's `sessions_ended_at` is the moment they last logged out, and a
token issued before it is refused (a copied console cookie or API token stops working at logout).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent") as batch:
        batch.add_column(sa.Column("sessions_ended_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent") as batch:
        batch.drop_column("sessions_ended_at")
