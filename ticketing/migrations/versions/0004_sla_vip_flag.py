"""the VIP first-response target is a flag of its own (sla_vip), no longer " (VIP)" appended to the policy's name

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("sla_vip", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE ticket SET sla_vip = TRUE, sla_policy = substr(sla_policy, 1, length(sla_policy) - 6) "
        "WHERE sla_policy LIKE '% (VIP)'"
    )


def downgrade() -> None:
    op.execute("UPDATE ticket SET sla_policy = sla_policy || ' (VIP)' WHERE sla_vip")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("sla_vip")
