"""Locks: an admin marks a number that must not be released or unassigned, and says why.

While a number is locked, asking to release it (ordinary or immediate), to force-unassign it, and unassigning
it directly are refused with the lock's reason, who locked it and since when, before any approval is asked
for. A request filed before the lock is refused when it is carried out: the executor reads the lock in the
same transaction that records its Vobiz call (bot.services.execution), and the direct unassign right before
its call, so no path reaches Vobiz past a lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.errors import VobizError

from bot.services import journal, validation, wording
from bot.services.clock import Clock
from bot.services.errors import Conflict, NotAllowed, NotFound
from bot.services.marks import Lock, lock_from_row
from bot.services.policy import Policy
from bot.services.records import Actor
from bot.services.rows import db_value
from bot.services.vobiz_failures import read_failure
from bot.store import Connection, Store, locks

if TYPE_CHECKING:
    from api.client import VobizClient


def locked_sentence(lock: Lock, done: str) -> str:
    """`+91 ... is locked ...: it cannot be <done> until an admin unlocks it.`"""
    return (
        f"{wording.number(lock.e164)} is locked by {wording.who(lock.locked_by)} since {wording.when(lock.locked_at)} "
        f"(“{lock.reason}”): it cannot be {done} until an admin unlocks it with `/numbers unlock {lock.e164}`."
    )


def lock_refusal(db: Connection, e164: str, done: str) -> str | None:
    """Why `e164` cannot be `done` (released, unassigned) now, or None when it is not locked."""
    row = locks.get(db, e164)
    return locked_sentence(lock_from_row(row), done) if row is not None else None


class Locks:
    def __init__(self, *, vobiz: VobizClient, store: Store, policy: Policy, clock: Clock) -> None:
        self._vobiz = vobiz
        self._store = store
        self._policy = policy
        self._clock = clock

    def lock(self, actor: Actor, e164_raw: str, reason: str) -> Lock:
        e164 = validation.e164(e164_raw)
        why = validation.reason(reason, what="a reason for the lock")
        self._check_may(actor, e164, "lock")
        self._owned(e164)
        now = self._clock()
        row = {"e164": e164, "reason": why, "locked_by_id": actor.user_id, "locked_by_name": actor.name, "locked_at": db_value(now)}
        with self._store.unit() as db:
            if not locks.put(db, row):
                current = lock_from_row(locks.get(db, e164) or row)
                raise Conflict(
                    f"{wording.number(e164)} is already locked by {wording.who(current.locked_by)} since "
                    f"{wording.when(current.locked_at)} (“{current.reason}”). Nothing was changed."
                )
            journal.record(
                db, now, journal.Event(actor=actor, event="done", action="lock", outcome="succeeded", e164=e164, reason=why)
            )
        return lock_from_row(row)

    def unlock(self, actor: Actor, e164_raw: str) -> Lock:
        e164 = validation.e164(e164_raw)
        self._check_may(actor, e164, "unlock")
        now = self._clock()
        with self._store.unit() as db:
            removed = locks.remove(db, e164)
            if removed is None:
                raise Conflict(f"{wording.number(e164)} is not locked; nothing was changed.")
            old = lock_from_row(removed)
            detail = f"locked by {wording.who(old.locked_by)} since {wording.when(old.locked_at)}: “{old.reason}”"
            journal.record(
                db, now, journal.Event(actor=actor, event="done", action="unlock", outcome="succeeded", e164=e164, detail=detail)
            )
        return old

    def _check_may(self, actor: Actor, e164: str, verb: str) -> None:
        """Only admins; a refused attempt is audited (nothing else changes)."""
        refusal = self._policy.lock_change_refusal(actor.user_id)
        if refusal is None:
            return
        with self._store.unit() as db:
            journal.record(
                db,
                self._clock(),
                journal.Event(actor=actor, event="refused", action=verb, outcome="refused", e164=e164, detail=f"tried to {verb}: {refusal}"),
            )
        raise NotAllowed(refusal)

    def _owned(self, e164: str) -> None:
        try:
            owned = self._vobiz.numbers.get(e164)
        except VobizError as exc:
            raise read_failure(exc, f"looking up {wording.number(e164)}") from None
        if owned is None:
            raise NotFound(f"{wording.number(e164)} is not one of the account's numbers, so there is nothing to lock. Nothing was changed.")
