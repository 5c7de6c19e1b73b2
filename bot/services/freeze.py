"""The freeze switch: while frozen, the bot makes no Vobiz write of any kind.

The state is one row in the store, so it survives restarts and every process sharing the store sees it.
`check_thawed(db)` is called inside the write unit that immediately precedes every Vobiz write (the
executor's `record_call`, an undo's claim, a direct assign/unassign) and inside the unit that records an
approval: freezing takes the same write lock, so a write either started before the freeze committed or does
not start at all. Refused attempts change nothing and are told who froze the bot, since when and why.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import journal, validation, wording
from bot.services.clock import Clock
from bot.services.errors import Conflict, NotAllowed
from bot.services.policy import Policy, freeze_refusal
from bot.services.records import Actor, FreezeState
from bot.store import Connection, Store, freeze, outbox
from bot.store.outbox import OutboxKind
from bot.store.timestamps import from_db, to_db

ACTION = "freeze"


class Frozen(Conflict):
    """A Vobiz write (or an approval, which would lead to one) refused because the bot is frozen."""

    def __init__(self, state: FreezeState) -> None:
        super().__init__(frozen_message(state))
        self.state = state


def frozen_message(state: FreezeState) -> str:
    return (
        f"The bot is frozen: {wording.who(state.by)} froze it at {wording.when(state.since)} (“{state.reason}”). "
        "No Vobiz change is made until an admin says `/numbers unfreeze`; nothing was changed."
    )


def state_in(db: Connection) -> FreezeState | None:
    row = freeze.current(db)
    if row is None:
        return None
    since = from_db(row["since"])
    assert since is not None
    return FreezeState(by=Actor(row["frozen_by_id"], row["frozen_by_name"] or ""), since=since, reason=row["reason"])


def check_thawed(db: Connection) -> None:
    """Inside a write unit: raise Frozen (rolling the unit back) when the bot is frozen."""
    state = state_in(db)
    if state is not None:
        raise Frozen(state)


def check(store: Store) -> None:
    """The early answer, before any work towards a Vobiz write (the guarded point checks again)."""
    with store.read() as db:
        check_thawed(db)


class FreezeSwitch:
    def __init__(self, *, store: Store, policy: Policy, clock: Clock) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock

    def current(self) -> FreezeState | None:
        with self._store.read() as db:
            return state_in(db)

    def freeze(self, actor: Actor, reason: str) -> FreezeState:
        why = validation.reason(reason, what="a reason for freezing")
        self._require_admin(actor, "freeze")
        now = self._clock()
        with self._store.unit() as db:
            started = freeze.start(db, actor.user_id, actor.name, why, to_db(now))
            state = state_in(db)
            assert state is not None
            if started:
                event = journal.Event(actor=actor, event="froze", action=ACTION, outcome="frozen", reason=why)
                self._announce(db, journal.record(db, now, event), now)
        if not started:
            raise Conflict(f"The bot is already frozen: {wording.who(state.by)} froze it at {wording.when(state.since)} (“{state.reason}”).")
        return state

    def unfreeze(self, actor: Actor) -> FreezeState:
        """Lift the freeze; returns the freeze that ended."""
        self._require_admin(actor, "unfreeze")
        now = self._clock()
        with self._store.unit() as db:
            state = state_in(db)
            if state is not None and freeze.end(db):
                detail = f"frozen by {wording.who(state.by)} since {wording.when(state.since)} (“{state.reason}”)"
                event = journal.Event(actor=actor, event="unfroze", action=ACTION, outcome="unfrozen", detail=detail)
                self._announce(db, journal.record(db, now, event), now)
        if state is None:
            raise Conflict("The bot is not frozen; nothing to unfreeze.")
        return state

    def _announce(self, db: Connection, audit_id: int, now: datetime) -> None:
        """The approvals channel's notice of the row (its history line is queued by journal.record)."""
        outbox.enqueue(db, OutboxKind.APPROVALS_NOTICE, audit_id, now)

    def _require_admin(self, actor: Actor, verb: str) -> None:
        refusal = freeze_refusal(self._policy.roles_of(actor.user_id), verb)
        if refusal:
            raise NotAllowed(refusal)
