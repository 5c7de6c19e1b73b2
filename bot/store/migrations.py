"""The schema, as sqlite-utils migrations. Applied in order at open; each one runs once per file.

Never edit an applied migration: add a new one.
"""

from __future__ import annotations

import re

from sqlite_utils import Database, Migrations

from bot.store import chain

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


_APPEND_ONLY = "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"


@MIGRATIONS()
def m004_audit_chain(db: Database) -> None:
    """Make the audit log a hash chain: every row gets `prev_hash` and `hash` (see bot/store/chain.py).

    SQLite cannot add NOT NULL columns to a table with rows, so the table is rebuilt: rows already written
    are copied in id order and hashed as they are, each chained to the one before.
    """
    db.execute(
        """
        CREATE TABLE audit_chained (
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
            cool_off_until TEXT,
            prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
            hash TEXT NOT NULL CHECK (length(hash) = 64)
        )
        """
    )
    old = db.execute("SELECT * FROM audit ORDER BY id")
    names = [c[0] for c in old.description]
    new_columns = [*names, "prev_hash", "hash"]
    insert = f"INSERT INTO audit_chained ({', '.join(new_columns)}) VALUES ({', '.join('?' for _ in new_columns)})"
    prev = chain.GENESIS
    while batch := old.fetchmany(chain.CHUNK_ROWS):
        hashed = []
        for values in batch:
            row = {**dict(zip(names, values)), "prev_hash": prev}
            prev = row["hash"] = chain.row_hash(row)
            hashed.append([row[c] for c in new_columns])
        db.conn.executemany(insert, hashed)
    db.execute("DROP TABLE audit")  # its indexes and triggers go with it
    db.execute("ALTER TABLE audit_chained RENAME TO audit")
    for column in ("e164", "actor_id", "request_id", "at"):
        db["audit"].create_index([column], index_name=f"audit_{column}")
    db.execute(f"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit {_APPEND_ONLY.format(table='the audit log')}")
    db.execute(f"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit {_APPEND_ONLY.format(table='the audit log')}")
    # A new row must extend the head: the next id and the head's hash as prev_hash. Two writers racing on
    # the head cannot fork the chain, and a row written without bot.store.audit.append is refused.
    db.execute(
        f"""
        CREATE TRIGGER audit_extends_chain BEFORE INSERT ON audit
        WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit)
          OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '{chain.GENESIS}')
        BEGIN SELECT RAISE(ABORT, 'an audit row must extend the hash chain (write it with bot.store.audit.append)'); END
        """
    )


@MIGRATIONS()
def m005_audit_query_indexes(db: Database) -> None:
    """Indexes for the auditors' filters. An SQLite index ends in the rowid (`id` here), so the existing
    (e164), (actor_id) and (request_id) indexes already serve "... ORDER BY id DESC" with keyset paging."""
    db["audit"].create_index(["action", "at"], index_name="audit_action_at")
    db["audit"].create_index(["outcome"], index_name="audit_outcome")
    # Who decided each request (the `approver:` filter): small, only approved/denied rows.
    db.execute(
        "CREATE INDEX audit_decisions ON audit (actor_id, request_id) WHERE event IN ('approved', 'denied')"
    )


@MIGRATIONS()
def m006_checkpoints(db: Database) -> None:
    """Checkpoints of the audit chain: its head (id and hash) and row count at a moment, append-only."""
    db.execute(
        """
        CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            head_id INTEGER NOT NULL,
            head_hash TEXT NOT NULL CHECK (length(head_hash) = 64),
            row_count INTEGER NOT NULL
        )
        """
    )
    db.execute(f"CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints {_APPEND_ONLY.format(table='checkpoints')}")
    db.execute(f"CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints {_APPEND_ONLY.format(table='checkpoints')}")


@MIGRATIONS()
def m007_outbox_checkpoint_kind(db: Database) -> None:
    """Allow the outbox kind `checkpoint` (ref = checkpoint id). A CHECK cannot be altered in place, so
    the table is rebuilt with its rows."""
    _rebuild_outbox_with_kinds(db, ("history", "approval_message", "requester_notice", "checkpoint"))


@MIGRATIONS()
def m008_outbox_drift_kind(db: Database) -> None:
    """Allow the outbox kind `drift` (ref = the audit id of an `event=drift` row: a difference between
    Vobiz and the audit log, for the history channel). The table is rebuilt with its rows, as in m007."""
    _rebuild_outbox_with_kinds(db, ("history", "approval_message", "requester_notice", "checkpoint", "drift"))


@MIGRATIONS()
def m009_undo_claim_time(db: Database) -> None:
    """When an undo's claim (`undo_state = 'undoing'`) was taken, and by whom, so that a claim left by a
    process that died during Vobiz's cancel-release can be told from one whose call is still running.

    A claim taken without these (before this migration, or by an older process still running) has them
    NULL; the undo service then times it by `updated_at`, which the claim set."""
    db.execute("ALTER TABLE requests ADD COLUMN undo_claimed_at TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN undo_claimed_by_id TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN undo_claimed_by_name TEXT")


@MIGRATIONS()
def m010_audit_parties(db: Database) -> None:
    """Who each audit row concerns, as an index table, so the `@person` filter, a person's own rows and
    `approver:` read the newest entries of one index in id order and stop after a page (instead of
    collecting and sorting every match: 74,000 rows for one approver at a million rows).

    `party`: the row's actor and the requester of the row's request; `approver`: whoever approved or denied
    the row's request (on every row of that request, earlier and later ones too). It is derived data, like
    an index: triggers keep it in step with every new audit row, and nothing else writes it."""
    db.execute(
        """
        CREATE TABLE audit_parties (
            role TEXT NOT NULL CHECK (role IN ('party', 'approver')),
            user_id TEXT NOT NULL,
            audit_id INTEGER NOT NULL,
            PRIMARY KEY (role, user_id, audit_id)
        ) WITHOUT ROWID
        """
    )
    decision = "event IN ('approved', 'denied')"
    db.execute("INSERT OR IGNORE INTO audit_parties SELECT 'party', actor_id, id FROM audit")
    db.execute(
        "INSERT OR IGNORE INTO audit_parties SELECT 'party', r.requester_id, a.id "
        "FROM audit a JOIN requests r ON r.id = a.request_id"
    )
    db.execute(
        "INSERT OR IGNORE INTO audit_parties SELECT 'approver', d.actor_id, a.id "
        f"FROM audit d JOIN audit a ON a.request_id = d.request_id WHERE d.{decision}"
    )
    db.execute(
        "CREATE TRIGGER audit_parties_actor AFTER INSERT ON audit "
        "BEGIN INSERT OR IGNORE INTO audit_parties VALUES ('party', NEW.actor_id, NEW.id); END"
    )
    db.execute(
        f"""
        CREATE TRIGGER audit_parties_request AFTER INSERT ON audit WHEN NEW.request_id IS NOT NULL
        BEGIN
            INSERT OR IGNORE INTO audit_parties SELECT 'party', requester_id, NEW.id FROM requests WHERE id = NEW.request_id;
            INSERT OR IGNORE INTO audit_parties
                SELECT 'approver', actor_id, NEW.id FROM audit WHERE request_id = NEW.request_id AND {decision};
            INSERT OR IGNORE INTO audit_parties
                SELECT 'approver', NEW.actor_id, id FROM audit WHERE NEW.{decision} AND request_id = NEW.request_id;
        END
        """
    )


@MIGRATIONS()
def m011_rate_limits(db: Database) -> None:
    """The per-person rate limit, counted in the database so that every process sharing it counts the
    same takes (see bot/store/ratelimits.py). `rate_limit_takes`: one row per admitted command, kept only
    while it is inside the window; `rate_limit_bursts`: one row per person currently over the limit, so
    their burst is audited once."""
    db.execute(
        """
        CREATE TABLE rate_limit_takes (
            id INTEGER PRIMARY KEY,
            actor_id TEXT NOT NULL,
            at TEXT NOT NULL
        )
        """
    )
    db["rate_limit_takes"].create_index(["actor_id", "at"], index_name="rate_limit_takes_actor")
    db["rate_limit_takes"].create_index(["at"], index_name="rate_limit_takes_at")
    db.execute(
        """
        CREATE TABLE rate_limit_bursts (
            actor_id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            last_refused_at TEXT NOT NULL
        )
        """
    )
    db["rate_limit_bursts"].create_index(["last_refused_at"], index_name="rate_limit_bursts_last")


def _rebuild_outbox_with_kinds(db: Database, kinds: tuple[str, ...], *, claims: bool = False) -> None:
    """Rebuild `outbox` with a CHECK allowing `kinds`, keeping its rows (a CHECK cannot be altered in place).

    The migrations above spell their kinds as literals on purpose: a migration must build the same table
    whatever the code adds later, so it cannot read today's `OutboxKind`. The next migration that adds a
    kind passes `tuple(OutboxKind)` as it is then (freezing it in the migration's own literal is as good);
    tests/store/test_outbox_kinds.py fails until the migrated CHECK allows exactly `OutboxKind`.
    `claims`: the table as m013 left it, whose claim columns (and their values) are kept too."""
    allowed = ", ".join(f"'{kind}'" for kind in kinds)
    claim_columns = ("claimed_by", "claim_until", "attempted_by") if claims else ()
    db.execute(
        f"""
        CREATE TABLE outbox_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ({allowed})),
            ref TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            done_at TEXT,
            last_error TEXT{"".join(f", {column} TEXT" for column in claim_columns)}
        )
        """
    )
    columns = ", ".join(("id", "kind", "ref", "created_at", "attempts", "next_attempt_at", "done_at", "last_error", *claim_columns))
    db.execute(f"INSERT INTO outbox_new ({columns}) SELECT {columns} FROM outbox ORDER BY id")
    db.execute("DROP TABLE outbox")
    db.execute("ALTER TABLE outbox_new RENAME TO outbox")
    db["outbox"].create_index(["done_at", "next_attempt_at"], index_name="outbox_due")


@MIGRATIONS()
def m012_request_leases(db: Database) -> None:
    """Who is executing a request, until when, and whether it has started the money-moving call.

    `lease_owner`/`lease_until`: the process carrying the request out (or undoing its release) and how long
    its claim lasts unless renewed; a settler takes over only a request whose lease ran out. `called_at`:
    recorded by the owner, after proving it still owns the request, right before the Vobiz call; NULL means
    the call was never made. Rows from before this migration have all three NULL and are settled as before."""
    db.execute("ALTER TABLE requests ADD COLUMN lease_owner TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN lease_until TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN called_at TEXT")


@MIGRATIONS()
def m013_outbox_claims(db: Database) -> None:
    """Which process is delivering an outbox item, until when, and who last began posting it.

    `claimed_by`/`claim_until`: the process (host/pid/nonce) that claimed the item and how long its claim
    lasts; another process takes the item only once the claim ran out (its holder died or froze).
    `attempted_by`: the process that last began delivering it, set right before the post; a successor that
    finds another process's name there looks in Slack for that post before posting again. Rows from before
    this migration have all three NULL: unclaimed and never attempted by a known process.
    (`_rebuild_outbox_with_kinds` above predates these columns: a later migration that rebuilds the table
    must keep them.)"""
    db.execute("ALTER TABLE outbox ADD COLUMN claimed_by TEXT")
    db.execute("ALTER TABLE outbox ADD COLUMN claim_until TEXT")
    db.execute("ALTER TABLE outbox ADD COLUMN attempted_by TEXT")


@MIGRATIONS()
def m014_job_leases(db: Database) -> None:
    """Which process runs each periodic job (settling, expiry, checkpoints, the undo-window re-draws, the
    drift check), until when, and when it last ran (see bot/store/job_leases.py): every process sharing the
    database asks before a pass, and only the holder of a job's lease runs it."""
    db.execute(
        """
        CREATE TABLE job_leases (
            job TEXT PRIMARY KEY,
            owner TEXT,
            until TEXT,
            last_run_at TEXT
        )
        """
    )


@MIGRATIONS()
def m015_decisions(db: Database) -> None:
    """Quorum, allowances and the freeze switch (issue 14).

    `requests.approvals_required`: how many distinct approvers the request needs, fixed when it is asked
    (APPROVALS_REQUIRED then), so changing the setting never decides a request in flight. `request_approvals`:
    one row per approver of a request (the key makes one person count once, however often they click).
    `allowance_counts`: auto-approved purchases per person per calendar month (UTC), taken with one guarded
    update so concurrent requests never exceed the cap. `freeze_state`: at most one row; while it exists no Vobiz
    write is made. The outbox gains `approvals_notice` (ref = audit id: that row's line in the approvals
    channel, e.g. a freeze); the rebuild keeps m013's claim columns."""
    db.execute("ALTER TABLE requests ADD COLUMN approvals_required INTEGER NOT NULL DEFAULT 1")
    db.execute(
        """
        CREATE TABLE request_approvals (
            request_id TEXT NOT NULL REFERENCES requests(id),
            approver_id TEXT NOT NULL,
            approver_name TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            PRIMARY KEY (request_id, approver_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE allowance_counts (
            requester_id TEXT NOT NULL,
            month TEXT NOT NULL,
            used INTEGER NOT NULL,
            PRIMARY KEY (requester_id, month)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE freeze_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            frozen_by_id TEXT NOT NULL,
            frozen_by_name TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            since TEXT NOT NULL
        )
        """
    )
    _add_outbox_kind(db, "approvals_notice")


@MIGRATIONS()
def m016_reminders_and_away(db: Database) -> None:
    """Reminders, escalation and away periods (issue 14; bot/store/nudges.py, bot/store/away.py).

    `request_nudges`: one row per reminder or escalation decided for a request (`nudge` is `reminder-1` ..
    `reminder-3` or `escalation`), with when and whom it mentions. Its primary key is the guard that makes a
    nudge happen once: whichever process (or re-run after a crash) inserts the row queues its post in the
    same transaction; the others insert nothing and queue nothing.
    `approvers_away`: an approver's away period, through `until_date` (inclusive, UTC); `ends_at` is the
    instant it ends (the next day's midnight, UTC).
    The outbox gains the kind `approval_nudge` (ref = `<request id>:<nudge>`: a reply in the approval
    message's thread). The CHECK is rebuilt from the kinds it allows now plus that one, so a migration of
    another branch that added its own kind before this one keeps it."""
    db.execute(
        """
        CREATE TABLE request_nudges (
            request_id TEXT NOT NULL REFERENCES requests(id),
            nudge TEXT NOT NULL,
            at TEXT NOT NULL,
            mentions TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (request_id, nudge)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE approvers_away (
            user_id TEXT PRIMARY KEY,
            user_name TEXT NOT NULL DEFAULT '',
            until_date TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            since TEXT NOT NULL
        )
        """
    )
    db["approvers_away"].create_index(["ends_at"], index_name="approvers_away_ends")
    _add_outbox_kind(db, "approval_nudge")


def _add_outbox_kind(db: Database, kind: str) -> None:
    """Let the outbox hold `kind` too: its CHECK is rebuilt from the kinds it allows now plus that one, so a
    kind another migration added is kept (SQLite cannot alter a CHECK in place)."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").fetchone()[0]
    kinds = _allowed_kinds(sql)
    if kind not in kinds:
        _rebuild_outbox_with_kinds(db, (*kinds, kind), claims=True)


def _allowed_kinds(table_sql: str) -> tuple[str, ...]:
    """The kinds the outbox table's CHECK allows, in its order."""
    found = re.search(r"kind IN \(([^)]*)\)", table_sql)
    if found is None:
        raise RuntimeError("the outbox table has no CHECK on its kinds")
    return tuple(part.strip().strip("'") for part in found.group(1).split(","))


@MIGRATIONS()
def m017_labels_and_locks(db: Database) -> None:
    """Who each number belongs to and why (`number_labels`), which numbers may not be released or unassigned
    and why (`number_locks`), and the team a purchase request asked its number to be labelled with once
    bought (`requested_labels`). One row per number (or request); every change is also an audit row."""
    db.execute(
        """
        CREATE TABLE number_labels (
            e164 TEXT PRIMARY KEY,
            team TEXT NOT NULL,
            purpose TEXT,
            labelled_by_id TEXT NOT NULL,
            labelled_by_name TEXT NOT NULL DEFAULT '',
            labelled_at TEXT NOT NULL,
            request_id TEXT
        )
        """
    )
    db["number_labels"].create_index(["team"], index_name="number_labels_team")
    db.execute(
        """
        CREATE TABLE number_locks (
            e164 TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            locked_by_id TEXT NOT NULL,
            locked_by_name TEXT NOT NULL DEFAULT '',
            locked_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE requested_labels (
            request_id TEXT PRIMARY KEY REFERENCES requests(id),
            team TEXT NOT NULL,
            purpose TEXT
        )
        """
    )


@MIGRATIONS()
def m018_quote_terms_and_request_items(db: Database) -> None:
    """The terms quoted beside the fees (issue 15), and the numbers of a bulk purchase.

    `quote_commitment_months` (whole months as text) and `quote_aadhaar_required` ("1"/"0") on a request:
    what Vobiz reported when the number was quoted; NULL when it did not say (and on older rows).
    `request_items`: one row per number of a bulk purchase, in the order quoted, with its own quote and its
    own outcome (`status`: pending, calling, bought, skipped, failed, unknown) and `called_at`, set right
    before its one purchase call, so a crash mid-bulk is settled number by number and never bought twice."""
    db.execute("ALTER TABLE requests ADD COLUMN quote_commitment_months TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN quote_aadhaar_required TEXT")
    db.execute(
        """
        CREATE TABLE request_items (
            request_id TEXT NOT NULL REFERENCES requests(id),
            position INTEGER NOT NULL,
            e164 TEXT NOT NULL,
            setup_fee TEXT NOT NULL,
            monthly_fee TEXT NOT NULL,
            currency TEXT NOT NULL,
            commitment_months TEXT,
            aadhaar_required TEXT,
            status TEXT NOT NULL,
            detail TEXT,
            called_at TEXT,
            finished_at TEXT,
            PRIMARY KEY (request_id, position)
        )
        """
    )
    db.execute("CREATE INDEX request_items_e164 ON request_items (e164, status)")
