"""CyberTipline reports and the files sent with them (hashes and NCMEC's ids only, never the bytes).

Also indexes the audit log by tracking id: reports are opened from match tracking ids.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("organisation_id", BigId, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("environment", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("ncmec_report_id", sa.String(64), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("tracking_ids", sa.JSON(), nullable=False),
        sa.Column("entry_ids", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_reports_organisation_id", "reports", ["organisation_id"])
    op.create_table(
        "report_files",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("report_id", BigId, sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ncmec_file_id", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("sha1", sa.String(40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("details_sent", sa.Boolean(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_files_report_id", "report_files", ["report_id"])
    op.create_index("ix_audit_log_tracking_id", "audit_log", ["tracking_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_tracking_id", "audit_log")
    op.drop_table("report_files")
    op.drop_table("reports")
