"""Extra hashes of sub-regions of a bank image, stored with its entry (the resilience stage's crops).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "entry_regions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", BigId, sa.ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("entry_id", "region", name="uq_entry_regions_entry_region"),
    )


def downgrade() -> None:
    op.drop_table("entry_regions")
