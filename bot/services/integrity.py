"""Proving the audit log was not changed: checkpoints of its hash chain, and verifying the chain.

`checkpoint()` records the chain's head (last row id, its hash, the row count) and queues an outbox item
(`checkpoint`, ref = checkpoint id) so the Slack side posts it to the history channel: a copy outside the
database. An empty log has nothing to pin, so it gets none; the worker's `checkpoint_if_due` takes one at
most once a day and only when rows were added since the last one (a quiet day posts nothing). `verify()` re-computes every hash in id order and compares the chain with every checkpoint in
the database and, when given, a witness (such as the checkpoint found in the history channel).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.services.clock import Clock
from bot.services.records import Checkpoint, VerifyReport
from bot.store import Connection, Store, chain, outbox
from bot.store.timestamps import from_db, to_db

CHECKPOINT_EVERY = timedelta(hours=24)


class Integrity:
    def __init__(self, *, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # ------------------------------------------------------------------------------- checkpoints

    def checkpoint(self) -> Checkpoint | None:
        """Record the chain's head now, and queue its post to the history channel (one transaction).
        None when the log is empty: there is nothing to pin."""
        now = self._clock()
        with self._store.unit() as db:
            link = chain.head(db)
            return None if link.id == 0 else _record_checkpoint(db, now, link)

    def checkpoint_if_due(self, now: datetime) -> Checkpoint | None:
        """For the periodic worker: a checkpoint when the log grew since the last one and that one is at
        least 24 h old (or there is none yet); None otherwise, an empty log included.

        Cheap when not due (two indexed reads, no write lock). When due, the check is repeated inside the
        writing BEGIN IMMEDIATE transaction, so two processes calling this at once make one checkpoint.
        """
        with self._store.read() as db:
            if not _due(chain.latest_checkpoint(db), chain.head(db), now):
                return None
        with self._store.unit() as db:
            link = chain.head(db)
            if not _due(chain.latest_checkpoint(db), link, now):
                return None
            return _record_checkpoint(db, now, link)

    def latest_checkpoint(self) -> Checkpoint | None:
        with self._store.read() as db:
            row = chain.latest_checkpoint(db)
        return None if row is None else _checkpoint(row)

    def checkpoint_by_id(self, checkpoint_id: int) -> Checkpoint | None:
        """What a `checkpoint` outbox item refers to."""
        with self._store.read() as db:
            row = chain.checkpoint_by_id(db, int(checkpoint_id))
        return None if row is None else _checkpoint(row)

    # ------------------------------------------------------------------------------------ verify

    def verify(self, *, witness: Checkpoint | None = None) -> VerifyReport:
        """Walk the whole chain in id order (flat memory), re-computing every hash, and compare it with every
        checkpoint in the database and with `witness`. Intact, or the first bad row and why."""
        with self._store.snapshot() as db:  # rows and checkpoints as of the same moment
            stored = [_checkpoint(r) for r in chain.all_checkpoints(db)]
            pins = [_Pin(f"checkpoint #{c.id}", c) for c in stored]
            if witness is not None:
                pins.append(_Pin("the witness checkpoint", witness))
            walk = _Walk(pins)
            problem = walk.run(chain.walk(db))
        disagreement = _witness_disagrees(witness, stored)
        if disagreement is not None:
            # The witness was kept outside the database: when it and the table disagree, the table is wrong.
            problem = disagreement if problem is None else (problem[0], f"{problem[1]} Also: {disagreement[1]}")
        bad_row_id, reason = problem if problem else (None, None)
        return VerifyReport(
            ok=problem is None,
            rows_checked=walk.rows,
            head_id=walk.last.id,
            head_hash=walk.last.hash,
            bad_row_id=bad_row_id,
            problem=reason,
            checkpoints_checked=len(stored),
            witness_checked=witness is not None,
        )


# ---------------------------------------------------------------------------------------- the walk

Problem = tuple[int | None, str]


@dataclass
class _Pin:
    """A checkpoint the chain must agree with: the row at head_id has head_hash and is the row_count-th."""

    source: str
    checkpoint: Checkpoint

    @property
    def head_id(self) -> int:
        return self.checkpoint.head_id

    def describe(self) -> str:
        c = self.checkpoint
        when = f" of {to_db(c.at)}" if c.at else ""
        return f"{self.source}{when} ({c.row_count} rows up to row {c.head_id})"


@dataclass
class _Walk:
    pins: list[_Pin]
    rows: int = 0
    last: chain.Link = field(default_factory=lambda: chain.Link(0, chain.GENESIS))

    def run(self, rows: Iterable[dict[str, Any]]) -> Problem | None:
        waiting = sorted(self.pins, key=lambda p: p.head_id)
        for pin in [p for p in waiting if p.head_id <= 0]:  # checkpoints of an empty log
            waiting.remove(pin)
            if problem := self._check_pin(pin):
                return problem
        for row in rows:
            row_id = int(row["id"])
            if problem := self._check_row(row, row_id):
                return problem
            self.rows += 1
            self.last = chain.Link(row_id, str(row["hash"]))
            while waiting and waiting[0].head_id == row_id:
                if problem := self._check_pin(waiting.pop(0)):
                    return problem
        if waiting:
            pin = waiting[0]
            first_missing = self.last.id + 1
            removed = f"row {first_missing} was" if first_missing == pin.head_id else f"rows {first_missing} to {pin.head_id} were"
            return first_missing, (
                f"the log ends at row {self.last.id} ({self.rows} rows), but {pin.describe()}: {removed} removed."
            )
        return None

    def _check_row(self, row: dict[str, Any], row_id: int) -> Problem | None:
        expected_id = self.last.id + 1
        if row_id != expected_id:  # ids are consecutive by construction (the append trigger), so a gap is a removal
            missing = f"row {expected_id} is" if row_id == expected_id + 1 else f"rows {expected_id} to {row_id - 1} are"
            after = f"after row {self.last.id}" if self.last.id else "at the start of the log"
            return row_id, f"{missing} missing {after} (removed)."
        if row["prev_hash"] != self.last.hash:
            before = f"row {self.last.id}" if self.last.id else "the start of the chain"
            return row_id, (
                f"its prev_hash is not the hash of {before}: {before} was changed and re-hashed, or rows were "
                "inserted or reordered here."
            )
        try:
            recomputed = chain.row_hash(row)
        except TypeError as exc:
            return row_id, f"it holds a value the chain never stores ({exc})."
        if recomputed != row["hash"]:
            return row_id, (
                "its contents do not match its hash: a field was edited, or the row was moved here from "
                "another id."
            )
        return None

    def _check_pin(self, pin: _Pin) -> Problem | None:
        c = pin.checkpoint
        if c.head_id <= 0:
            if c.row_count != 0 or c.head_hash != chain.GENESIS:
                return None, f"{pin.describe()} is not a valid checkpoint of an empty log."
            return None
        if self.last.hash != c.head_hash:
            return c.head_id, (
                f"its hash differs from the head hash of {pin.describe()}: the chain up to this row was "
                "rewritten after that checkpoint (or the checkpoint was altered)."
            )
        if self.rows != c.row_count:
            return c.head_id, f"the log has {self.rows} rows up to here, but {pin.describe()}."
        return None


def _witness_disagrees(witness: Checkpoint | None, stored: list[Checkpoint]) -> Problem | None:
    """A witness with an id must match the database's checkpoint of that id (if the table still has it)."""
    if witness is None or witness.id <= 0:
        return None
    for c in stored:
        if c.id == witness.id:
            same = (c.head_id, c.head_hash, c.row_count) == (witness.head_id, witness.head_hash, witness.row_count)
            if same:
                return None
            return None, (
                f"checkpoint #{c.id} in the database ({_short(c)}) differs from the witness ({_short(witness)}): "
                "the checkpoints table was edited."
            )
    return None


# ------------------------------------------------------------------------------------------ helpers


def _short(c: Checkpoint) -> str:
    return f"{c.row_count} rows up to row {c.head_id}, head hash {c.head_hash[:12]}…"


def _due(last: dict[str, Any] | None, head: chain.Link, now: datetime) -> bool:
    """Rows were appended since `last` (ids only grow), and `last` is a day old or there is none."""
    if head.id <= (0 if last is None else int(last["head_id"])):
        return False
    last_at = None if last is None else from_db(last["at"])
    return last_at is None or now - last_at >= CHECKPOINT_EVERY


def _record_checkpoint(db: Connection, now: datetime, link: chain.Link) -> Checkpoint:
    row_count = chain.count_rows(db)
    checkpoint_id = chain.add_checkpoint(db, at=to_db(now), link=link, row_count=row_count)
    outbox.enqueue(db, outbox.OutboxKind.CHECKPOINT, checkpoint_id, now)
    return Checkpoint(id=checkpoint_id, at=from_db(to_db(now)), head_id=link.id, head_hash=link.hash, row_count=row_count)


def _checkpoint(row: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        id=int(row["id"]),
        at=from_db(row["at"]),
        head_id=int(row["head_id"]),
        head_hash=str(row["head_hash"]),
        row_count=int(row["row_count"]),
    )
