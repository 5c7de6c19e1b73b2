"""The domain: approvals, direct operations, read paths, policy, history and the outbox. No Slack here.

`build_services(...)` is the one way to make them; the composition root calls it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.services.approvals import Approvals
from bot.services.clock import utc_now
from bot.services.direct import DirectOps
from bot.services.history import History
from bot.services.numbers import NumberQueries
from bot.services.outbox import Outbox
from bot.services.policy import Policy
from bot.services.ports import Directory
from bot.store import Store

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


def build_services(
    settings: Settings,
    *,
    vobiz: VobizClient,
    directory: Directory,
    store: Store | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Services:
    store = store or Store(settings.numbers_bot_db)
    policy = Policy(settings, directory, clock)
    return Services(
        numbers=NumberQueries(vobiz=vobiz),
        approvals=Approvals(settings=settings, vobiz=vobiz, store=store, policy=policy, clock=clock),
        direct=DirectOps(vobiz=vobiz, store=store, clock=clock),
        history=History(store=store),
        outbox=Outbox(store=store, clock=clock),
        policy=policy,
        store=store,
    )


__all__ = ["Services", "build_services", "utc_now"]
