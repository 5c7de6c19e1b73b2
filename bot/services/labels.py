"""Labels: which team a number belongs to and why, kept in the bot's store and audited.

Who may label: anyone who may ask for a number (every workspace member may request, so every member may
label); a label says who set it, and every change is an audit row with a history line. A label is set only
on a number the account owns; taking one off needs no Vobiz read (a released number may still carry one).
A purchase request may carry a team: when the purchase succeeds, `label_bought` labels the number in the
same transaction that records the success (bot.services.outcomes.finish).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from api.errors import VobizError
from api.models import Page, PhoneNumber

from bot.services import journal, validation, wording
from bot.services.clock import Clock
from bot.services.errors import Conflict, NotFound
from bot.services.marks import Label, LabelChange, Marks, label_from_row, lock_from_row, purpose, team
from bot.services.records import Actor, ApprovalRequest, Kind
from bot.services.rows import db_value
from bot.services.vobiz_failures import read_failure
from bot.store import Connection, Store, labels, locks

if TYPE_CHECKING:
    from api.client import VobizClient


TEAM_PER_PAGE = 10


@dataclass(frozen=True)
class TeamPage:
    team: str
    page: Page[PhoneNumber]
    gone: tuple[str, ...]  # labelled with the team, but no longer among the account's numbers


class Labels:
    def __init__(self, *, vobiz: VobizClient, store: Store, clock: Clock) -> None:
        self._vobiz = vobiz
        self._store = store
        self._clock = clock

    def label(self, actor: Actor, e164_raw: str, team_raw: str, purpose_raw: str | None = None) -> LabelChange:
        e164 = validation.e164(e164_raw)
        name = team(team_raw)
        why = purpose(purpose_raw)
        self._owned(e164)
        now = self._clock()
        with self._store.unit() as db:
            replaced = set_label(db, now, actor, e164, name, why)
            row = labels.get(db, e164)
        assert row is not None
        return LabelChange(label_from_row(row), replaced)

    def unlabel(self, actor: Actor, e164_raw: str) -> Label:
        e164 = validation.e164(e164_raw)
        now = self._clock()
        with self._store.unit() as db:
            removed = labels.remove(db, e164)
            if removed is None:
                raise Conflict(f"{wording.number(e164)} has no label, so there is nothing to take off. Nothing was changed.")
            old = label_from_row(removed)
            journal.record(
                db,
                now,
                journal.Event(actor=actor, event="done", action="unlabel", outcome="succeeded", e164=e164, detail=f"was team:{old.team}"),
            )
        return old

    def marks_for(self, e164s: Iterable[str]) -> dict[str, Marks]:
        """The label and lock of each number that has either."""
        wanted = list(e164s)
        with self._store.read() as db:
            found_labels = {row["e164"]: label_from_row(row) for row in labels.for_numbers(db, wanted)}
            found_locks = {row["e164"]: lock_from_row(row) for row in locks.for_numbers(db, wanted)}
        return {
            e164: Marks(found_labels.get(e164), found_locks.get(e164))
            for e164 in wanted
            if e164 in found_labels or e164 in found_locks
        }

    def marks_of(self, e164_raw: str) -> Marks:
        e164 = validation.e164(e164_raw)
        return self.marks_for([e164]).get(e164, Marks())

    def team_labels(self, team_raw: str) -> list[Label]:
        name = team(team_raw)
        with self._store.read() as db:
            return [label_from_row(row) for row in labels.with_team(db, name)]

    def team_page(self, team_raw: str, page: int, search: str | None, per_page: int = TEAM_PER_PAGE) -> TeamPage:
        """One page of the account's numbers labelled with the team (optionally those containing `search`),
        read from every page of Vobiz's list; labelled numbers the account no longer owns are named apart."""
        name = team(team_raw)
        page = validation.page_number(page)
        text = validation.search(search)
        wanted = {label.e164 for label in self.team_labels(name)}
        owned: list[PhoneNumber] = []
        if wanted:
            try:
                owned = [n for n in self._vobiz.numbers.iter_all(search=text) if n.e164 in wanted]
            except VobizError as exc:
                raise read_failure(exc, "listing the account's numbers") from None
        owned.sort(key=lambda n: n.e164)
        gone = () if text else tuple(sorted(wanted - {n.e164 for n in owned}))
        start = (page - 1) * per_page
        listed = Page[PhoneNumber](items=owned[start : start + per_page], page=page, per_page=per_page, total=len(owned))
        return TeamPage(team=name, page=listed, gone=gone)

    def every_label(self) -> dict[str, Label]:
        with self._store.read() as db:
            return {row["e164"]: label_from_row(row) for row in labels.every(db)}

    def _owned(self, e164: str) -> PhoneNumber:
        try:
            owned = self._vobiz.numbers.get(e164)
        except VobizError as exc:
            raise read_failure(exc, f"looking up {wording.number(e164)}") from None
        if owned is None:
            raise NotFound(
                f"{wording.number(e164)} is not one of the account's numbers, so it cannot be labelled. Nothing was changed."
            )
        return owned


def set_label(
    db: Connection, now: datetime, actor: Actor, e164: str, name: str, why: str | None, *, request_id: str | None = None
) -> Label | None:
    """Label the number and write the audit row (with its history line) in the caller's unit; returns the
    label it replaced."""
    before = labels.put(
        db,
        {
            "e164": e164,
            "team": name,
            "purpose": why,
            "labelled_by_id": actor.user_id,
            "labelled_by_name": actor.name,
            "labelled_at": db_value(now),
            "request_id": request_id,
        },
    )
    replaced = label_from_row(before) if before is not None else None
    detail = f"team:{name}"
    if replaced is not None and replaced.team != name:
        detail += f" (was team:{replaced.team})"
    if request_id is not None:
        detail += " as asked in the purchase request"
    journal.record(
        db,
        now,
        journal.Event(
            actor=actor, event="done", action="label", outcome="succeeded", e164=e164, request_id=request_id, reason=why, detail=detail
        ),
    )
    return replaced


def remember_requested(db: Connection, request_id: str, name: str | None, why: str | None) -> None:
    """Keep the team a purchase request asks for (in the request's own unit); nothing when no team."""
    if name:
        labels.request(db, request_id, name, why)


def label_bought(db: Connection, now: datetime, request: ApprovalRequest) -> None:
    """A purchase just succeeded (in the caller's unit): label the number with the team its request asked
    for, as the requester, audited. Nothing when the request asked for no team."""
    if request.kind is not Kind.PURCHASE:
        return
    wanted = labels.requested(db, request.id)
    if wanted is None:
        return
    set_label(db, now, request.requester, request.e164, str(wanted["team"]), wanted.get("purpose"), request_id=request.id)
