"""Entries hashed from one bank picture name it: the picture's keypoints, stored once, verify them all.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("picture_id", BigId, nullable=True))
        batch.create_index("ix_entries_picture_id", ["picture_id"])


def downgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.drop_index("ix_entries_picture_id")
        batch.drop_column("picture_id")
