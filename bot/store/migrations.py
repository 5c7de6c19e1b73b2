"""The schema, as sqlite-utils migrations. Applied in order at open; each one runs once per file.

Never edit an applied migration: add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("numbers-bot")


@MIGRATIONS()
def m001_requests(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE requests (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            e164 TEXT NOT NULL,
            status TEXT NOT NULL,
            requester_id TEXT NOT NULL,
            requester_name TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            quote_setup_fee TEXT,
            quote_monthly_fee TEXT,
            quote_currency TEXT,
            sub_account_id TEXT,
            cool_off_until TEXT,
            decided_by_id TEXT,
            decided_by_name TEXT,
            decided_at TEXT,
            decision_reason TEXT,
            outcome_detail TEXT,
            vobiz_error TEXT,
            new_quote_setup_fee TEXT,
            new_quote_monthly_fee TEXT,
            new_quote_currency TEXT,
            release_fee TEXT,
            release_currency TEXT,
            cooldown_ends_at TEXT,
            undo_state TEXT,
            undone_at TEXT,
            undone_by_id TEXT,
            undone_by_name TEXT,
            refund_amount TEXT,
            refund_currency TEXT,
            refund_status TEXT,
            refund_error TEXT,
            approval_channel TEXT,
            approval_ts TEXT,
            finished_at TEXT,
            updated_at TEXT NOT NULL
        )
        """
    )
    db["requests"].create_index(["status"], index_name="requests_status")
    db["requests"].create_index(["requester_id"], index_name="requests_requester")
    db["requests"].create_index(["e164"], index_name="requests_e164")


@MIGRATIONS()
def m002_audit(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            actor_name TEXT NOT NULL DEFAULT '',
            event TEXT NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            e164 TEXT,
            sub_account_id TEXT,
            request_id TEXT REFERENCES requests(id),
            reason TEXT,
            quote_setup_fee TEXT,
            quote_monthly_fee TEXT,
            quote_currency TEXT,
            vobiz_error TEXT,
            detail TEXT,
            cool_off_until TEXT
        )
        """
    )
    for column in ("e164", "actor_id", "request_id", "at"):
        db["audit"].create_index([column], index_name=f"audit_{column}")
    # The audit log is append-only: no statement may change or remove a row once written.
    db.execute(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )


@MIGRATIONS()
def m003_outbox(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('history', 'approval_message', 'requester_notice')),
            ref TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            done_at TEXT,
            last_error TEXT
        )
        """
    )
    db["outbox"].create_index(["done_at", "next_attempt_at"], index_name="outbox_due")
