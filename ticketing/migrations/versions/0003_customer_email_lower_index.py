"""customers are found by lower(email): an index on it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_customer_email_lower", "customer", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_customer_email_lower", table_name="customer")
