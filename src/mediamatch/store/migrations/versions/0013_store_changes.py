"""A change log beside the revision: each write transaction records which entries and banks it
changed, under the revision it made, so running indexes apply deltas instead of rebuilding.
``store_state.changes_from`` is the oldest revision the log still covers completely.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "store_changes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("bank_id", sa.BigInteger(), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_store_changes_revision", "store_changes", ["revision"])
    with op.batch_alter_table("store_state") as batch:
        batch.add_column(sa.Column("changes_from", sa.BigInteger(), nullable=True))
    op.execute("UPDATE store_state SET changes_from = revision")


def downgrade() -> None:
    with op.batch_alter_table("store_state") as batch:
        batch.drop_column("changes_from")
    op.drop_index("ix_store_changes_revision", "store_changes")
    op.drop_table("store_changes")
