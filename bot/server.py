"""HTTP serving glue: the WSGI router gunicorn (and `numbers-bot run`) serve, and start-up checks.

Routes:
- `POST /slack/events`: every Slack request (commands, interactivity, events), through Bolt's WSGI
  adapter, which verifies Slack's signature (forged, stale or unsigned requests get 401). A body Bolt
  cannot read gets 401 when unsigned and 400 when signed, never a 500.
- `GET /healthz`: 200 only when the database accepts writes, else 503.

`WebApplication(bot)` is that router for a built bot, starting the bot's background workers in the
process that serves, never in the one that imported it (gunicorn's master; see `web_application`).
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any, NoReturn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.app import Bot, bot_of, build_bot
from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("bot.server")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def make_wsgi_app(app: App, healthy: Callable[[], bool]) -> WSGIApplication:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path == EVENTS_PATH:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "POST only\n", [("Allow", "POST")])
            return _slack_or_refusal(slack, app, environ, start_response)
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _plain(start_response, "405 Method Not Allowed", "GET only\n", [("Allow", "GET, HEAD")])
            if _is_healthy(healthy):
                return _plain(start_response, "200 OK", "ok\n")
            return _plain(start_response, "503 Service Unavailable", "database is not writable\n")
        return _plain(start_response, "404 Not Found", "not found\n")

    return application


def _slack_or_refusal(
    slack: SlackRequestHandler, app: App, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    """Bolt's adapter, but never a 500 for a body it cannot read.

    Bolt parses the body before it checks the signature and raises on shapes Slack never sends (a
    payload that is not an object ...). Such a request gets 401 when it is not signed (anyone can send
    one) and 400 when it is; the body is kept so the signature can be checked afterwards.
    """
    body = _read_body(environ)
    try:
        return slack(environ, start_response)
    except Exception as exc:
        if not _signed(app, body, environ):
            log.info("refused an unsigned request with an unreadable body")
            return _plain(start_response, "401 Unauthorized", "invalid request\n")
        log.warning("refused a signed request Bolt could not read (%s)", type(exc).__name__)
        return _plain(start_response, "400 Bad Request", "unreadable request\n")


def _read_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _signed(app: App, body: bytes, environ: WSGIEnvironment) -> bool:
    try:
        secret = bot_of(app).settings.slack_signing_secret.get_secret_value()
    except KeyError:  # an app not built by build_bot: treat it as unsigned
        return False
    return SignatureVerifier(secret).is_valid(
        body, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("HTTP_X_SLACK_SIGNATURE")
    )


def _is_healthy(healthy: Callable[[], bool]) -> bool:
    try:
        return bool(healthy())
    except Exception:
        log.exception("health check failed")
        return False


def _plain(
    start_response: StartResponse, status: str, text: str, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    body = text.encode()
    start_response(status, [*_TEXT, ("Content-Length", str(len(body))), *(extra or [])])
    return [body]


class WebApplication:
    """The WSGI application for a built bot, starting its background workers once per serving process.

    gunicorn imports the module in one process and serves from workers it forks (always with
    `--preload`), and a thread does not survive a fork. So nothing starts at import: gunicorn's
    `post_worker_init` hook (gunicorn.conf.py) calls `start_workers()` in each worker once it has loaded
    the app, and the first request a process serves starts them too, for a server run without that file.
    """

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._serve = make_wsgi_app(bot.app, bot.healthy)
        self._lock = threading.Lock()
        self._started_in: int | None = None  # the pid that started the workers

    def start_workers(self) -> None:
        """Start the bot's workers in this process, unless they already run here."""
        with self._lock:
            if self._started_in != os.getpid():
                self.bot.start()
                self._started_in = os.getpid()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._started_in != os.getpid():
            self.start_workers()
        return self._serve(environ, start_response)


def web_application(exit_code: int, **parts: Any) -> WebApplication:
    """What a gunicorn target module serves: settings from the environment, the bot built from them (with
    any `parts` for `build_bot`), no thread started. Bad configuration: one line and `SystemExit(exit_code)`."""
    settings = load_settings_or_exit(exit_code)
    return WebApplication(build_bot_or_exit(settings, exit_code, **parts))


# ---------------------------------------------------------------- a local server (no gunicorn)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of Slack requests (32 at once in the load test)
    # had connections reset before a thread could accept them. gunicorn's default is 2048.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        log.info("%s %s", self.address_string(), format % args)


class LocalServer:
    """The WSGI application on a threaded stdlib server: `numbers-bot run` without Socket Mode, and tests.

    `port=0` picks a free port; `.url` is the base URL once started.
    """

    def __init__(self, application: WSGIApplication, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = make_server(
            host, port, application, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> LocalServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="numbers-bot-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------- start-up


def load_settings_or_exit(exit_code: int = 2) -> Settings:
    """Settings from the environment, or ONE line naming the variable on stderr and `SystemExit`."""
    try:
        return load_settings()
    except ConfigError as exc:
        _fail(str(exc), exit_code)


def build_bot_or_exit(settings: Settings, exit_code: int = 2, **parts: Any) -> Bot:
    """`build_bot`, turning a database that cannot be opened into one clear line and `SystemExit`."""
    try:
        return build_bot(settings, **parts)
    except (sqlite3.Error, OSError) as exc:
        _fail(f"NUMBERS_BOT_DB is unusable: cannot open {settings.numbers_bot_db} ({exc.__class__.__name__}: {exc})", exit_code)


def _fail(line: str, exit_code: int) -> NoReturn:
    print(f"numbers-bot: {line}", file=sys.stderr, flush=True)
    raise SystemExit(exit_code) from None
