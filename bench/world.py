"""The bench's world: the sandbox Vobiz and FakeSlack in this process, the bot and the bare Bolt app each
under gunicorn (the Procfile's command) in their own process, and the load generator in a third.

The bot is configured only through its environment, as in production: `SLACK_API_URL` points at
FakeSlack, `VOBIZ_BASE_URL` at the sandbox. The world watches what the stand-ins see, so a benchmark
can tell when the bot has finished the work it does after the ack:

* `reply_time(channel)`: when the first ephemeral answer (response_url or chat.postEphemeral) reached
  a channel; every slash command is sent from its own channel, so replies never mix;
* `vobiz_log()`: every request the sandbox answered, with `time.monotonic()` at its answer;
* `still_working_ids(request_ids)`: those of these approval requests still pending or executing;
* `settle_outbox()`: wait until the bot has delivered what its outbox holds (history lines excepted).

The cast and the bot's environment come from the shared world (`fakes.world.Cast`); what is the bench's
own is the bot in another process, under gunicorn, and the watching.
"""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fakes.vobiz import SandboxServer
from bench import numbers, proc
from bench.bare_app import APPROVE_ACTION
from bench.loadgen import LoadGenerator, Outgoing
from bench.gunicorn_profile import PROFILE_DIR_ENV
from bench.servers import REPO, Gunicorn, child_env
from fakes.slack import FakeSlack, Message, SignedRequest, SlackEvent, SlackRequests
from fakes.slack.records import Ephemeral, EventKind
from fakes.world import Cast
from bot.store.timestamps import to_db

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-bot-token"
REQUESTER, APPROVER, ADMIN = "U0BENCHREQ", "U0BENCHAPP", "U0BENCHADM"
APPROVALS, HISTORY = "C0BENCHAPPR", "C0BENCHHIST"
EVENTS_PATH = "/slack/events"
LISTENER_THREADS = 32  # bot.app.LISTENER_THREADS: the bot acks on these threads, and calls Vobiz on them
# The bot runs under gunicorn, configured by environment: the shared world's cast gives it (fakes.world).
CAST = Cast(
    bot_token=BOT_TOKEN,
    signing_secret=SIGNING_SECRET,
    approvers=(APPROVER,),
    admins=(ADMIN,),
    approval_channel=APPROVALS,
    history_channel=HISTORY,
)
PROFILE_CONFIG = REPO / "bench" / "gunicorn_profile.py"
_REQUEST_ID = re.compile(r"request (R[0-9A-Z]+)")


class BenchError(RuntimeError):
    """The bench could not set up or observe what it needed; the message says what."""


@dataclass(frozen=True)
class VobizCall:
    at: float  # time.monotonic() when the sandbox had its answer ready (after its latency)
    route: str | None
    status: int | None


class BenchWorld:
    """`workers` gunicorn workers for the bot and for the bare app alike; `profile_dir` serves both with the
    bench's profiling config (`bench/gunicorn_profile.py`), which leaves one profile per worker there."""

    def __init__(
        self,
        *,
        workdir: Path | None = None,
        database_url: str | None = None,
        workers: int = 1,
        profile_dir: Path | None = None,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="numbers-bot-bench-") if workdir is None else None
        self.workdir = Path(self._tmp.name) if self._tmp is not None else workdir
        assert self.workdir is not None
        self.db_path = self.workdir / "bot.db"
        self.database_url = database_url  # PostgreSQL for the bot (DATABASE_URL) instead of the SQLite file
        self.workers = workers
        self.profile_dir = profile_dir
        self._lock = threading.Condition()
        self._replies: dict[str, float] = {}
        self._approval_messages: dict[str, Message] = {}
        self._vobiz: list[VobizCall] = []
        self._channels = itertools.count(1)
        self.sandbox = SandboxServer(on_request=self._on_vobiz)
        self.slack: FakeSlack = CAST.fake_slack(trigger_ttl=None)
        self.slack.on_event.append(self._on_slack)
        self.requests = SlackRequests(CAST.signing_secret, self.slack)
        self.bot: Gunicorn | None = None
        self.bare: Gunicorn | None = None
        self.loadgen: LoadGenerator | None = None
        self.idle_cpu_per_s: tuple[float, float] = (0.0, 0.0)  # bot, bare (see measure_idle_cpu)

    # ------------------------------------------------------------------------------ lifecycle

    def start(self) -> BenchWorld:
        self.sandbox.start()
        self.sandbox.set_balance(10**9)  # the load buys well over a thousand numbers
        self.slack.start()
        bare_env = {"SLACK_SIGNING_SECRET": CAST.signing_secret, "SLACK_BOT_TOKEN": CAST.bot_token, "SLACK_API_URL": self.slack.api_url}
        config: Path | None = None
        if self.profile_dir is not None:
            config = PROFILE_CONFIG
            bare_env[PROFILE_DIR_ENV] = str(self.profile_dir / "bare")
        bot_env = child_env(self.bot_environment())
        if self.profile_dir is not None:
            bot_env[PROFILE_DIR_ENV] = str(self.profile_dir / "bot")
        self.bot = Gunicorn("bot.wsgi:application", bot_env, name="bot", workers=self.workers, config=config).launch()
        self.bare = Gunicorn(
            "bench.bare_app:application", child_env(bare_env), name="bare", workers=self.workers, config=config
        ).launch()
        self.loadgen = LoadGenerator(str(REPO))
        self.bot.wait_ready("/healthz")
        self.bare.wait_ready()
        return self

    def bot_environment(self) -> dict[str, str]:
        """The bot's whole configuration, as an operator would give it."""
        # The load is one requester sending thousands of commands a minute: measured, not throttled.
        extra = {"RATE_LIMIT_PER_MINUTE": "0"}
        if self.database_url is not None:
            extra["DATABASE_URL"] = self.database_url
        return CAST.environment(self.slack, self.sandbox, self.db_path, **extra)

    def stop(self) -> None:
        if self.loadgen is not None:
            self.loadgen.close()
        servers = [s for s in (self.bot, self.bare) if s is not None]
        for server in servers:
            server.ask_to_stop()
        for server in servers:
            server.stop()
        self.slack.stop()
        self.sandbox.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> BenchWorld:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------ where

    @property
    def bot_url(self) -> str:
        assert self.bot is not None
        return self.bot.url + EVENTS_PATH

    @property
    def bare_url(self) -> str:
        assert self.bare is not None
        return self.bare.url + EVENTS_PATH

    def warm_connections(self) -> None:
        """Open every load-generator client's keep-alive connection to both apps."""
        assert self.loadgen is not None and self.bot is not None
        self.loadgen.warm(self.bot.url + "/healthz")
        self.loadgen.warm(self.bare_url)

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time used so far by the bot's and the bare app's gunicorn workers (all of each app's)."""
        bot, bare = self.cpu_by_worker()
        return sum(bot.values()), sum(bare.values())

    def others_cpu_seconds(self) -> tuple[float, float]:
        """CPU time used so far by this process (the Slack and Vobiz stand-ins, and the bench's own waiting) and
        by the load generator: the machine's other work on the same cores."""
        assert self.loadgen is not None
        return proc.cpu_seconds(os.getpid()), proc.cpu_seconds(self.loadgen.pid)

    def cpu_by_worker(self) -> tuple[dict[int, float], dict[int, float]]:
        """CPU time used so far by each gunicorn worker of the bot and of the bare app, by process id."""
        assert self.bot is not None and self.bare is not None
        found: list[dict[int, float]] = []
        for server in (self.bot, self.bare):
            pids = server.worker_pids
            if len(pids) != self.workers:
                raise BenchError(f"{server.name}: {len(pids)} gunicorn workers, {self.workers} expected")
            found.append({pid: proc.cpu_seconds(pid) for pid in pids})
        return found[0], found[1]

    def measure_idle_cpu(self, seconds: float = 5.0) -> tuple[float, float]:
        """CPU seconds per second each worker uses doing nothing (the bot polls its outbox twice a second);
        the ack figures subtract it."""
        before, started = self.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        self.idle_cpu_per_s = tuple(max(0.0, (a - b) / elapsed) for a, b in zip(self.cpu_seconds(), before))  # type: ignore[assignment]
        return self.idle_cpu_per_s

    def outgoing(self, url: str, signed: SignedRequest) -> Outgoing:
        return Outgoing(url=url, body=signed.body, headers=dict(signed.headers))

    # ------------------------------------------------------------------------------ what Slack sends

    def new_channel(self) -> str:
        """A channel of its own for one command, so its answer can be told apart from all others."""
        return f"C0BENCH{next(self._channels):06d}"

    def command(self, text: str, *, user: str = REQUESTER) -> tuple[SignedRequest, str]:
        channel = self.new_channel()
        return self.requests.slash_command(user, text, channel_id=channel), channel

    def approve_click(self, message: Message) -> SignedRequest:
        return self.requests.click(APPROVER, message, "Approve")

    @staticmethod
    def request_id_of(message: Message) -> str:
        """The approval request an approval message is about (its buttons carry only that id)."""
        for button in message.buttons():
            if button.value:
                return button.value
        raise BenchError(f"approval message {message.ts} has no button carrying a request id")

    # ------------------------------------------------------------------------------ what the stand-ins saw

    def _on_vobiz(self, entry: dict[str, Any]) -> None:
        call = VobizCall(at=time.monotonic(), route=entry.get("route"), status=entry.get("status"))
        with self._lock:
            self._vobiz.append(call)
            self._lock.notify_all()

    def _on_slack(self, event: SlackEvent) -> None:
        now = time.monotonic()
        subject = event.subject
        with self._lock:
            if event.kind is EventKind.EPHEMERAL_POSTED and isinstance(subject, Ephemeral):
                self._replies.setdefault(subject.channel, now)
            elif event.kind is EventKind.MESSAGE_POSTED and isinstance(subject, Message) and subject.channel == APPROVALS:
                found = _REQUEST_ID.search(subject.text) or _REQUEST_ID.search(subject.as_text())
                if found:
                    self._approval_messages[found.group(1)] = subject
            else:
                return
            self._lock.notify_all()

    def reply_time(self, channel: str) -> float | None:
        with self._lock:
            return self._replies.get(channel)

    def replied(self, channels: Iterable[str]) -> int:
        with self._lock:
            return sum(1 for c in channels if c in self._replies)

    def vobiz_log(self, since: float = 0.0) -> list[VobizCall]:
        with self._lock:
            return [c for c in self._vobiz if c.at >= since]

    def approval_message(self, request_id: str) -> Message | None:
        with self._lock:
            return self._approval_messages.get(request_id)

    def wait(self, done: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Wait until `done()`; raises BenchError naming `what` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
            with self._lock:  # woken by what the stand-ins see; also polls, as some conditions read the database
                self._lock.wait(min(left, 0.01))

    # ------------------------------------------------------------------------------ the bot's database

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """A read of the bot's database (SQLite in WAL mode or PostgreSQL: it never blocks the bot's writers)."""
        return self._execute(sql, params, fetch=True)

    def _execute(self, sql: str, params: Iterable[Any], *, fetch: bool) -> Any:
        """`sql` with `?` placeholders on the bot's database: rows if `fetch`, else the rows changed."""
        if self.database_url is not None:
            import psycopg

            from bot.store.postgres import to_psycopg

            with psycopg.connect(self.database_url, autocommit=True) as pg:
                cursor = pg.execute(to_psycopg(sql), list(params))
                return list(cursor.fetchall()) if fetch else cursor.rowcount
        with sqlite3.connect(self.db_path, timeout=10) as conn:
            cursor = conn.execute(sql, list(params))
            return list(cursor.fetchall()) if fetch else cursor.rowcount

    def still_working_ids(self, request_ids: Iterable[str]) -> list[str]:
        """Those of these requests still pending or executing (their listeners not done)."""
        ids = list(request_ids)
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self.query(f"SELECT id FROM requests WHERE id IN ({marks}) AND status IN ('pending', 'executing')", ids)
        return [str(row[0]) for row in rows]

    def mark_history_lines_sent(self) -> int:
        """Work around the outbox's head-of-line blocking (see BENCHMARKS.md): more than a batch (100) of
        history lines waiting for their one-a-second slot keep approval messages from being delivered at
        all, so before the bench waits for approval messages it marks the waiting history lines done."""
        now = to_db(datetime.now(timezone.utc))
        return int(self._execute("UPDATE outbox SET done_at = ? WHERE kind = 'history' AND done_at IS NULL", [now], fetch=False))

    def settle_outbox(self, timeout: float = 60.0) -> None:
        """Wait until the bot has delivered every approval message and requester notice due now (history
        lines are marked sent: paced at one a second, they would trickle on into the next measurement)."""

        def settled() -> bool:
            self.mark_history_lines_sent()
            now = to_db(datetime.now(timezone.utc))
            rows = self.query("SELECT count(*) FROM outbox WHERE done_at IS NULL AND next_attempt_at <= ?", [now])
            return int(rows[0][0]) == 0

        self.wait(settled, timeout=timeout, what="the bot to deliver its outbox")

    # ------------------------------------------------------------------------------ setting up

    def add_inventory(self, count: int) -> list[str]:
        return numbers.add_inventory(self.sandbox, count)

    def add_owned(self, count: int) -> list[str]:
        """`count` more numbers owned by the master account (the one the bot is configured with)."""
        return numbers.add_owned(self.sandbox, count, owner=self.sandbox.auth_id)

    def pending_purchases(self, count: int, *, concurrency: int = 8, timeout: float = 300.0) -> list[Message]:
        """`count` purchase requests waiting for approval, asked for over HTTP like a person would, and
        their approval messages as posted in the approval channel (what an approver clicks)."""
        assert self.loadgen is not None
        wanted = self.add_inventory(count)
        channels: list[str] = []
        for chunk_start in range(0, count, 64):
            chunk = wanted[chunk_start : chunk_start + 64]
            outgoing = []
            for e164 in chunk:
                signed, channel = self.command(f"buy {e164} bench load")
                outgoing.append(self.outgoing(self.bot_url, signed))
                channels.append(channel)
            results = self.loadgen.burst(outgoing, concurrency)
            bad = [r for r in results if r.status != 200]
            if bad:
                raise BenchError(f"the bot refused a buy command: {bad[0]}")
        self.wait(lambda: self.replied(channels) == len(channels), timeout=timeout, what="the buy commands' answers")
        marks = ", ".join("?" for _ in wanted)
        ids = [row[0] for row in self.query(f"SELECT id FROM requests WHERE e164 IN ({marks}) AND status = 'pending'", wanted)]
        if len(ids) != count:
            raise BenchError(f"asked for {count} purchases, {len(ids)} are pending")
        self.mark_history_lines_sent()
        self.wait(
            lambda: all(self.approval_message(i) is not None for i in ids),
            timeout=timeout,
            what=f"{count} approval messages in {APPROVALS}",
        )
        return [m for m in (self.approval_message(i) for i in ids) if m is not None]


def check_bare_app_matches_the_bot() -> None:
    """The bare app answers the bot's Approve button; keep the two ids the same."""
    from handlers import ids

    if ids.APPROVE != APPROVE_ACTION:
        raise BenchError(f"bench.bare_app acks {APPROVE_ACTION!r} but the bot's Approve button is {ids.APPROVE!r}")
