"""the ticket number is derived from the id (T-000123), no longer stored

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ticket_number", type_="unique")
        batch_op.drop_column("number")


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint("uq_ticket_number", ["number"])
    padded = "printf('%06d', id)" if op.get_bind().dialect.name == "sqlite" else "lpad(CAST(id AS TEXT), 6, '0')"
    op.execute(f"UPDATE ticket SET number = 'T-' || {padded}")
