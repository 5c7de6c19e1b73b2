"""Several real bot processes on one store, as operators deploy them: each instance is the Procfile's `web:`
line (gunicorn, `${WEB_CONCURRENCY:-2}` workers) in its own process group on its own 127.0.0.1 port, like
dynos; all share the sandbox Vobiz, FakeSlack and one store (a PostgreSQL database, or one SQLite file).

The test process reads the store from outside, as an operator would (sqlite3 or psycopg), and signs every
Slack request it sends (`SlackRequests`).
"""

from __future__ import annotations

import os
import re
import runpy
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from fakes.slack.records import Message
from fakes.slack.requests import SignedRequest, SlackRequests
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from tests.reliability.bot_process import BIN, REPO, BotProcess, bot_environment, wait_until
from tests.scenarios.scenario_world import APPROVALS, HISTORY, REQUESTER

WORKERS_STARTED = runpy.run_path(str(REPO / "gunicorn.conf.py"))["WORKERS_STARTED"]
BOOTED = re.compile(r"Booting worker with pid: (\d+)")
REQUEST_ID = re.compile(r"Request \*(R[0-9A-Z]+)\*")


@dataclass
class Cluster:
    """`instances` gunicorn masters (each with `workers` workers) over one store."""

    sandbox: SandboxServer
    slack: FakeSlack
    db: Path  # the SQLite file (also named when PostgreSQL is used: nothing is written there)
    database_url: str | None
    grace_s: float
    interval_s: float
    requests: SlackRequests
    extra_env: dict[str, str] = field(default_factory=dict)
    instances: list[BotProcess] = field(default_factory=list)

    # ------------------------------------------------------------ processes

    def environment(self, workers: int) -> dict[str, str]:
        extra = {
            "WEB_CONCURRENCY": str(workers),
            "NUMBERS_BOT_SETTLE_GRACE_SECONDS": str(self.grace_s),
            "NUMBERS_BOT_MAINTENANCE_INTERVAL_SECONDS": str(self.interval_s),
        }
        if self.database_url:
            extra["DATABASE_URL"] = self.database_url
        return bot_environment(self.slack, self.sandbox, self.db, **extra, **self.extra_env)

    def start(self, instances: int, workers: int) -> Cluster:
        for _ in range(instances):
            self.instances.append(BotProcess(self.environment(workers)).start(timeout=60))
        for instance in self.instances:  # every worker has booted and loaded the app (the hook logs it)
            wait_until(
                lambda: instance.output.count(WORKERS_STARTED) >= workers,
                timeout=60,
                what="every worker's background work started",
            )
        return self

    def stop(self) -> None:
        for instance in self.instances:
            instance.stop()
        self.requests.close()

    def troubles(self) -> list[str]:
        """Lines of the processes' output that say something went wrong (shown when a test fails)."""
        words = ("Traceback", "ERROR", "CRITICAL", "WORKER TIMEOUT", "was sent SIG")
        return [line for i in self.instances for line in i.output.splitlines() if any(w in line for w in words)]

    @property
    def live(self) -> list[BotProcess]:
        return [i for i in self.instances if i.running]

    def url(self, instance: int) -> str:
        return f"{self.live[instance % len(self.live)].url}/slack/events"

    def worker_pids(self, instance: BotProcess) -> set[int]:
        return {int(pid) for pid in BOOTED.findall(instance.output)}

    def kill_owner_of(self, request_id: str) -> int:
        """SIGKILL the process executing `request_id` (its lease names it): its whole instance when the
        instance is one worker (a dyno lost), else that worker alone (gunicorn boots another)."""
        owner = str(self.request(request_id)["lease_owner"])
        pid = int(owner.split("/")[1])
        instance = next(i for i in self.instances if pid in self.worker_pids(i))
        if len(self.worker_pids(instance)) == 1:
            instance.kill()
        else:
            os.kill(pid, signal.SIGKILL)
        return pid

    # ------------------------------------------------------------ Slack

    def send(self, signed: SignedRequest, instance: int = 0, retry_num: int | None = None) -> int:
        status, _, _ = self.requests.send_http(self.url(instance), signed, retry_num=retry_num)
        return status

    def ask_to_buy(self, e164: str, instance: int = 0) -> tuple[str, Message]:
        """/numbers buy through `instance`; the request id and its approval message (posted by whichever
        process delivers it)."""
        before = len(self.slack.ephemerals(REQUESTER))
        assert self.send(self.requests.slash_command(REQUESTER, f"buy {e164} a line for the processes test"), instance) == 200
        try:
            reply = self.slack.wait_for(
                lambda: [e for e in self.slack.ephemerals(REQUESTER)[before:] if REQUEST_ID.search(e.text)], timeout=15
            )[-1]
        except TimeoutError:
            raise AssertionError(f"no request filed: {[e.text for e in self.slack.ephemerals(REQUESTER)[before:]]}") from None
        match = REQUEST_ID.search(reply.text)
        assert match, reply.text
        request_id = match.group(1)
        return request_id, self.approval_message(request_id)

    def approval_message(self, request_id: str) -> Message:
        found = self.slack.wait_for(lambda: [m for m in self.slack.messages(APPROVALS) if request_id in m.text], timeout=15)
        assert len(found) == 1, f"{len(found)} approval messages for {request_id}"
        return found[0]

    def history_posts(self, kind: str = "history") -> list[str]:
        """The ref of every post of `kind` Slack accepted in the history channel, in arrival order (from the
        metadata each post carries): for history lines, the audit row id; also `checkpoint`, `drift`."""
        refs = []
        for call in self.slack.calls("chat.postMessage"):
            if call.params.get("channel") == HISTORY and call.status == 200:
                payload = (call.params.get("metadata") or {}).get("event_payload") or {}
                if payload.get("kind") == kind:
                    refs.append(str(payload.get("ref")))
        return refs

    # ------------------------------------------------------------ the store, from outside

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        if self.database_url:
            with psycopg.connect(self.database_url, row_factory=dict_row) as conn:
                return list(conn.execute(sql.replace("?", "%s"), params).fetchall())
        with closing(sqlite3.connect(str(self.db), timeout=10)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql, params).fetchall()]

    def request(self, request_id: str) -> dict[str, Any]:
        rows = self.query("SELECT * FROM requests WHERE id = ?", (request_id,))
        assert rows, f"request {request_id} is not in the store"
        return rows[0]

    def audit(self, request_id: str | None = None) -> list[dict[str, Any]]:
        if request_id is None:
            return self.query("SELECT * FROM audit ORDER BY id")
        return self.query("SELECT * FROM audit WHERE request_id = ? ORDER BY id", (request_id,))

    def undelivered(self, *, history_channel: bool = True) -> int:
        """Outbox items not delivered yet (without those for the history channel, which are paced at about
        a line a second per process, when `history_channel` is False)."""
        sql = "SELECT count(*) AS n FROM outbox WHERE done_at IS NULL"
        if not history_channel:
            sql += " AND kind NOT IN ('history', 'checkpoint', 'drift')"
        return int(self.query(sql)[0]["n"])

    def settle(self, quiet_s: float = 1.0, timeout: float = 120.0) -> None:
        """Wait until the processes are done with what they were sent: nothing executing or unknown, every
        message but the paced history lines delivered, and no new audit row for `quiet_s` (listeners go
        on after their ack)."""
        deadline = time.monotonic() + timeout
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            rows = int(self.query("SELECT count(*) AS n FROM audit")[0]["n"])
            busy = self.query("SELECT count(*) AS n FROM requests WHERE status IN ('executing', 'outcome_unknown')")[0]["n"]
            if rows != last:
                last, quiet_since = rows, time.monotonic()
            elif not busy and not self.undelivered(history_channel=False) and time.monotonic() - quiet_since >= quiet_s:
                return
            time.sleep(0.1)
        raise TimeoutError(f"the processes were still busy after {timeout} s")

    def chain_links(self) -> bool:
        """Every audit row's prev_hash is the hash of the row before it: one chain, however many wrote."""
        hashes = self.query("SELECT prev_hash, hash FROM audit ORDER BY id")
        return all(row["prev_hash"] == before["hash"] for before, row in zip(hashes, hashes[1:]))

    def audit_verify(self) -> subprocess.CompletedProcess[str]:
        """`numbers-bot audit verify` over the shared store, as an operator runs it."""
        env = self.environment(1)
        return subprocess.run(
            [str(BIN / "numbers-bot"), "audit", "verify"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
        )


def parse_at(text: str) -> datetime:
    return datetime.fromisoformat(text)
