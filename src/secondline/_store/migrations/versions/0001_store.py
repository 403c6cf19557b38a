"""The store: users, cases and their versions, assessments, meetings, decisions, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.CheckConstraint("role in ('viewer', 'clinician', 'admin')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name="fk_api_tokens_user_id_users"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("expires_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_sessions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sessions_user_id_users"),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_settings"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("ref", name="uq_cases_ref"),
    )
    op.create_table(
        "case_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_versions"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name="fk_case_versions_case_id_cases"),
        sa.UniqueConstraint("case_id", "version", name="uq_case_versions_case_id_version"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_version_id", sa.Integer, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("knowledge_version", sa.String(80), nullable=False),
        sa.Column("engine_version", sa.String(32), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
        sa.ForeignKeyConstraint(["case_version_id"], ["case_versions.id"],
                                name="fk_assessments_case_version_id_case_versions"),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(16), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meetings"),
        sa.UniqueConstraint("ref", name="uq_meetings_ref"),
    )
    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(80), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_attendees"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name="fk_meeting_attendees_meeting_id_meetings"),
    )
    op.create_table(
        "meeting_cases",
        sa.Column("meeting_id", sa.Integer, nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("added_at", Stamp, nullable=False),
        sa.Column("added_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "case_id", name="pk_meeting_cases"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name="fk_meeting_cases_meeting_id_meetings"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name="fk_meeting_cases_case_id_cases"),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("assessment_id", sa.Integer, nullable=False),
        sa.Column("chosen", sa.Text, nullable=False),
        sa.Column("among_suggested", sa.Boolean, nullable=False),
        sa.Column("reason_system", sa.String(200)),
        sa.Column("reason_code", sa.String(80)),
        sa.Column("reason_display", sa.String(200)),
        sa.Column("note", sa.Text),
        sa.Column("decided_by", sa.String(80), nullable=False),
        sa.Column("decided_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name="fk_decisions_meeting_id_meetings"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_decisions_case_id_cases"),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name="fk_decisions_assessment_id_assessments"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )


def downgrade() -> None:
    for table in ("audit_events", "decisions", "meeting_cases", "meeting_attendees",
                  "meetings", "assessments", "case_versions", "cases", "settings",
                  "sessions", "api_tokens", "users"):
        op.drop_table(table)
