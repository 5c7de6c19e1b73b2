"""The domain: approvals, direct operations, read paths, policy, history and the outbox. No Slack here.

`build_services(...)` is the one way to make them; the composition root calls it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.services.allowances import Allowances
from bot.services.approvals import Approvals
from bot.services.audit_export import AuditExport
from bot.services.audit_query import AuditQueries, Visibility
from bot.services.away import AwayList
from bot.services.clock import utc_now
from bot.services.costs import Costs
from bot.services.crashpoints import CrashPoints
from bot.services.direct import DirectOps
from bot.services.freeze import FreezeSwitch
from bot.services.history import History
from bot.services.holds import Holds
from bot.services.integrity import Integrity
from bot.services.jobs import Jobs
from bot.services.labels import Labels
from bot.services.locks import Locks
from bot.services.numbers import NumberQueries
from bot.services.outbox import Outbox
from bot.services.policy import Policy
from bot.services.ratelimit import RateLimits
from bot.services.ports import Directory
from bot.services.reconcile import Reconciler
from bot.services.reminders import Reminders
from bot.store import Store, open_store

if TYPE_CHECKING:
    from api.client import VobizClient


@dataclass(frozen=True)
class Services:
    numbers: NumberQueries
    approvals: Approvals
    direct: DirectOps
    history: History
    outbox: Outbox
    policy: Policy
    store: Store
    audit: AuditQueries  # filtered history for auditors (visibility applied), and one number's trail
    audit_export: AuditExport  # streaming CSV / JSON Lines export
    integrity: Integrity  # the audit chain: checkpoints and verify
    holds: Holds  # numbers in a cool-off or a pending release, with their end times
    reconciler: Reconciler  # the drift check: Vobiz against the audit log (`run()`; the app's worker runs it hourly)
    rate_limits: RateLimits  # per person: counted commands a minute (`admit(actor, what)` raises SlowDown)
    jobs: Jobs  # which process runs each periodic job (settling, expiry, checkpoints, re-draws, drift check)
    labels: Labels  # which team each number belongs to and why (audited), and the marks shown beside numbers
    locks: Locks  # numbers an admin locked against release and unassign
    costs: Costs  # what the owned numbers cost a month, by team, sub-account or country; setup fees paid this month
    freeze: FreezeSwitch  # admins stop (and restart) every Vobiz write; `current()` says who, since when, why
    allowances: Allowances  # purchases approved by a rule within a monthly cap (`take` inside the approving unit)
    away: AwayList  # approvers away (`/numbers away until ...`, `/numbers back`)
    reminders: Reminders  # reminders and escalations in the threads of requests nobody decides


def build_services(
    settings: Settings,
    *,
    vobiz: VobizClient,
    directory: Directory,
    store: Store | None = None,
    clock: Callable[[], datetime] = utc_now,
    auditors: tuple[str, ...] | None = None,
    crash: CrashPoints | None = None,
) -> Services:
    """`auditors`: Slack user (U...) or user-group (S...) ids who may read the whole audit log, besides
    approvers and admins; by default `settings.auditors`. `crash`: test-only points where executing an
    approved request kills the process (default: none)."""
    if auditors is None:
        auditors = settings.auditors
    store = store or open_store(
        sqlite_path=settings.numbers_bot_db,
        database_url=settings.database_url_text,
        pool_size=settings.database_pool_size,
    )
    policy = Policy(settings, directory, clock)
    visibility = Visibility(policy=policy, auditors=tuple(auditors), groups=policy.groups)
    audit = AuditQueries(store=store, visibility=visibility, clock=clock)
    allowances = Allowances(settings=settings, store=store, clock=clock)
    approvals = Approvals(settings=settings, vobiz=vobiz, store=store, policy=policy, clock=clock, crash=crash, allowances=allowances)
    away = AwayList(store=store, policy=policy, clock=clock)
    return Services(
        numbers=NumberQueries(vobiz=vobiz),
        approvals=approvals,
        direct=DirectOps(vobiz=vobiz, store=store, clock=clock),
        history=History(store=store),
        outbox=Outbox(store=store, clock=clock),
        policy=policy,
        store=store,
        audit=audit,
        audit_export=AuditExport(store=store, queries=audit),
        integrity=Integrity(store=store, clock=clock),
        holds=Holds(store=store, clock=clock, queries=audit),
        reconciler=Reconciler(vobiz=vobiz, store=store, clock=clock),
        rate_limits=RateLimits(store=store, clock=clock, per_minute=settings.rate_limit_per_minute),
        jobs=Jobs(store=store, clock=clock, owner=lambda: approvals.owner),
        labels=Labels(vobiz=vobiz, store=store, clock=clock),
        locks=Locks(vobiz=vobiz, store=store, policy=policy, clock=clock),
        costs=Costs(vobiz=vobiz, store=store, clock=clock),
        freeze=FreezeSwitch(store=store, policy=policy, clock=clock),
        allowances=allowances,
        away=away,
        reminders=Reminders(settings=settings, store=store, policy=policy, away=away, clock=clock),
    )


__all__ = ["Services", "build_services", "utc_now"]
