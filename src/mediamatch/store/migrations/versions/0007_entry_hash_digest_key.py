"""PostgreSQL: an entry is unique by the SHA-256 of its hash, not the hash itself.

A video's vPDQ hash holds every frame hash (tens of kilobytes and more); PostgreSQL's
B-tree index refuses keys over about 2.7 kB, so the unique key on ``(bank_id,
algorithm, hash)`` becomes one on ``(bank_id, algorithm, sha256(hash))``: the same
uniqueness, a fixed 32-byte key. SQLite has no such limit and keeps its constraint.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("uq_entries_bank_algorithm_hash", "entries", type_="unique")
    op.execute(
        "CREATE UNIQUE INDEX uq_entries_bank_algorithm_hash_digest"
        " ON entries (bank_id, algorithm, sha256(hash))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX uq_entries_bank_algorithm_hash_digest")
    op.create_unique_constraint("uq_entries_bank_algorithm_hash", "entries", ["bank_id", "algorithm", "hash"])
