"""One wiring of the services against a real SQLite file and the real sandbox over HTTP.

`World` bundles one wiring: Settings, a VobizClient pointed at the sandbox, a plain fake Directory, a
clock that tests move (together with the sandbox's clock, so Vobiz's timestamps and ours agree), and the
Services built by `build_services`. `world.rebuild()` builds fresh Services over the same database file,
as a restart would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.client import VobizClient
from fakes.vobiz import SandboxServer
from bot.config import Settings
from bot.services import Services, build_services
from bot.services.records import Actor
from bot.store import open_store
from tests.services.fakes import FakeClock, FakeDirectory

REQUESTER = Actor("UREQUEST1", "Riya Requester")
APPROVER = Actor("UAPPROVE1", "Arun Approver")
SECOND_APPROVER = Actor("UAPPROVE2", "Bela Approver")
ADMIN = Actor("UADMIN001", "Ada Admin")
GROUP_MEMBER = Actor("UGROUPME1", "Gita Groupmember")
OUTSIDER = Actor("UOUTSIDE1", "Omar Outsider")
APPROVER_GROUP = "SAPPROVERS"


def make_settings(db_path: Path, sandbox: SandboxServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-not-secret",
        "slack_signing_secret": "signing-test-not-secret",
        "vobiz_auth_id": sandbox.auth_id,
        "vobiz_auth_token": sandbox.auth_token,
        "vobiz_base_url": sandbox.base_url,
        "numbers_bot_db": db_path,
        "approvers": (APPROVER.user_id, SECOND_APPROVER.user_id, APPROVER_GROUP),
        "admins": (ADMIN.user_id,),
        "approval_channel": "C0APPROVALS",
        "history_channel": "C0HISTORY",
        "approval_ttl_hours": 24,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class World:
    sandbox: SandboxServer
    db_path: Path
    clock: FakeClock
    directory: FakeDirectory
    settings: Settings
    database_url: str | None = None  # PostgreSQL instead of the file at db_path
    clients: list[VobizClient] = field(default_factory=list)
    stores: list[Any] = field(default_factory=list)
    services: Services = field(init=False)
    vobiz: VobizClient = field(init=False)

    def __post_init__(self) -> None:
        self.rebuild()

    def rebuild(self, *, timeout: float = 5.0, **settings: Any) -> Services:
        """Fresh client, store and services over the same database file (a restart)."""
        if settings:
            self.settings = make_settings(self.db_path, self.sandbox, **settings)
        self.vobiz = VobizClient(
            self.sandbox.auth_id, self.sandbox.auth_token, base_url=self.sandbox.base_url, timeout=timeout, sleep=lambda _s: None
        )
        self.clients.append(self.vobiz)
        self.services = build_services(
            self.settings, vobiz=self.vobiz, directory=self.directory, store=self.open_store(), clock=self.clock
        )
        return self.services

    def open_store(self) -> Any:
        """The store this world uses, opened again (as another process or a restart would)."""
        store = open_store(sqlite_path=self.db_path, database_url=self.database_url)
        self.stores.append(store)
        return store

    def close(self) -> None:
        for client in self.clients:
            client.close()
        for store in self.stores:
            store.close()

    def advance(self, seconds: float) -> None:
        """Move our clock and Vobiz's together."""
        self.clock.advance(seconds=seconds)
        self.sandbox.advance(seconds)

    def calls(self, route: str) -> list[dict[str, Any]]:
        """Requests the sandbox received on one route (e.g. "purchase")."""
        return self.sandbox.requests(route)

    def audit_rows(self, request_id: str | None = None) -> list[dict[str, Any]]:
        with self.services.store.read() as db:
            if request_id is None:
                return list(db.query("SELECT * FROM audit ORDER BY id"))
            return list(db.query("SELECT * FROM audit WHERE request_id = ? ORDER BY id", [request_id]))

    def outbox_rows(self, kind: str | None = None, ref: str | int | None = None) -> list[dict[str, Any]]:
        where, params = ["1 = 1"], []
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if ref is not None:
            where.append("ref = ?")
            params.append(str(ref))
        with self.services.store.read() as db:
            return list(db.query(f"SELECT * FROM outbox WHERE {' AND '.join(where)} ORDER BY id", params))
