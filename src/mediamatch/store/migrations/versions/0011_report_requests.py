"""Reports keep the idempotency key and body digest of the request that opened them, unique per
organisation, so a retried request returns the first report instead of filing a second.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("request_digest", sa.String(64), nullable=True))
        batch.create_index(
            "uq_reports_organisation_idempotency", ["organisation_id", "idempotency_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("uq_reports_organisation_idempotency")
        batch.drop_column("request_digest")
        batch.drop_column("idempotency_key")
