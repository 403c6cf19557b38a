"""The store's tables (SQLAlchemy Core). The migrations build exactly this schema; a test
compares the two.

Case versions, assessments, decisions and audit events are append-only: rows are
inserted, never changed or deleted (database triggers refuse it, see the second
migration). A case's edit is a new version; a later decision for the same case at the
same meeting is a new row, and the latest one counts.

Case contents live only in ``case_versions.data`` and ``assessments.result``; every
other table holds references, codes and the users' own words (names, notes).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

#: timestamps are UTC, with their zone where the database keeps one
Stamp = sa.DateTime(timezone=True)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.CheckConstraint("role in ('viewer', 'clinician', 'admin')", name="role"),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    #: SHA-256 of the token: the token itself is shown once and never kept
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
)

sessions = sa.Table(
    "sessions", metadata,
    #: SHA-256 of the session id the signed cookie carries
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("expires_at", Stamp, nullable=False),
)

settings = sa.Table(
    "settings", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

cases = sa.Table(
    "cases", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    #: the store's own reference, printed by ``cases add`` (``C-`` and 8 letters/digits)
    sa.Column("ref", sa.String(16), nullable=False, unique=True),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
)

case_versions = sa.Table(
    "case_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    #: the case as validated, JSON text
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.UniqueConstraint("case_id", "version"),
)

assessments = sa.Table(
    "assessments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_version_id", sa.Integer, sa.ForeignKey("case_versions.id"),
              nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    #: ``knowledge_version()`` of the knowledge it came from, and the program's version
    sa.Column("knowledge_version", sa.String(80), nullable=False),
    sa.Column("engine_version", sa.String(32), nullable=False),
    #: the assessment JSON exactly as shown (``secondline assess --json``)
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
)

meetings = sa.Table(
    "meetings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ref", sa.String(16), nullable=False, unique=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
)

meeting_attendees = sa.Table(
    "meeting_attendees", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id"), nullable=False),
    sa.Column("role", sa.String(80), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
)

meeting_cases = sa.Table(
    "meeting_cases", metadata,
    sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id"), primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("added_at", Stamp, nullable=False),
    sa.Column("added_by", sa.String(80), nullable=False),
)

decisions = sa.Table(
    "decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id"), nullable=False),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    #: the assessment the team had in front of it
    sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id"), nullable=False),
    #: JSON list: ``{"id": option id}`` or ``{"text": free text}``
    sa.Column("chosen", sa.Text, nullable=False),
    #: every choice is an option id the assessment suggested
    sa.Column("among_suggested", sa.Boolean, nullable=False),
    #: a Coding, as CDS Hooks' override reasons: when the choice departs from the suggestions
    sa.Column("reason_system", sa.String(200)),
    sa.Column("reason_code", sa.String(80)),
    sa.Column("reason_display", sa.String(200)),
    sa.Column("note", sa.Text),
    sa.Column("decided_by", sa.String(80), nullable=False),
    sa.Column("decided_at", Stamp, nullable=False),
)

audit_events = sa.Table(
    "audit_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", Stamp, nullable=False),
    #: a store user's name, or ``os:<login>`` for the command line without --user
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    #: the reference acted on (case, meeting, user), never case contents
    sa.Column("target", sa.String(80), nullable=False),
    #: JSON object of ids and codes only
    sa.Column("detail", sa.Text, nullable=False),
)

#: the second migration's indexes
sa.Index(None, case_versions.c.case_id)
sa.Index(None, assessments.c.case_version_id)
sa.Index(None, decisions.c.case_id)
sa.Index(None, decisions.c.meeting_id)
sa.Index(None, meeting_cases.c.case_id)
sa.Index(None, audit_events.c.target)

#: rows of these tables are never updated or deleted
APPEND_ONLY = ("case_versions", "assessments", "decisions", "audit_events")
