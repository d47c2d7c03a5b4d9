"""Per-key rate limit (requests per minute) and monthly item quota; NULL means the service default.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("rate_per_minute", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("monthly_quota", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("monthly_quota")
        batch.drop_column("rate_per_minute")
