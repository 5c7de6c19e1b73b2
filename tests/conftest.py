"""Shared fixtures: the Vobiz sandbox over real HTTP and a plain httpx client for it.

    def test_something(sandbox):              # a fresh seeded sandbox on 127.0.0.1, random port
        client = VobizClient(sandbox.auth_id, sandbox.auth_token, base_url=sandbox.base_url)
        number = sandbox.inventory_numbers("IN")[0]
        sandbox.inject("purchase", "drop")     # or advance(), set_last_call(), set_balance() ...

And a real PostgreSQL server (tests/postgres_server.py), started once per session from the machine's binaries:

    def test_on_postgres(postgres_url, postgres_server):  # a fresh empty database, dropped after the test
        ...
        with postgres_server.down():           # stopped here, started again (same port, same data) after
            ...
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import VobizClient
from fakes.vobiz import SandboxServer
from tests.postgres_server import HOW_TO_GET_ONE, PostgresServer, PostgresUnavailable

REPO = Path(__file__).resolve().parent.parent

# Building an SSL context costs ~50-100 ms, and httpx builds one per client even for plain http://.
# Sharing one keeps the many short-lived clients of the sandbox tests fast.
SHARED_SSL_CONTEXT = ssl.create_default_context()

SandboxClientFactory = Callable[..., httpx.Client]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A freshly seeded fake Vobiz on a free port, stopped after the test."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox_client_for() -> Iterator[SandboxClientFactory]:
    """`sandbox_client_for(server, auth_id=None, *, authenticated=True, timeout=5.0, base_url=None)`: a plain
    httpx client for any SandboxServer, with the X-Auth headers of its master (default) or a seeded
    sub-account, or none. `base_url` defaults to the server's root (paths then start `/api/v1/`); pass
    `server.control_url` for the control API. Clients are closed after the test."""
    clients: list[httpx.Client] = []

    def make(
        server: SandboxServer,
        auth_id: str | None = None,
        *,
        authenticated: bool = True,
        timeout: float = 5.0,
        base_url: str | None = None,
    ) -> httpx.Client:
        headers = {}
        if authenticated:
            account, token = server.credentials(auth_id)
            headers = {"X-Auth-ID": account, "X-Auth-Token": token}
        client = httpx.Client(
            base_url=base_url or server.root_url, headers=headers, timeout=timeout, verify=SHARED_SSL_CONTEXT
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sandbox_as(sandbox: SandboxServer, sandbox_client_for: SandboxClientFactory) -> SandboxClientFactory:
    """`sandbox_as(auth_id=None, *, authenticated=True, timeout=5.0, base_url=None)`: `sandbox_client_for`
    bound to the `sandbox` fixture's server."""

    def make(auth_id: str | None = None, **options: object) -> httpx.Client:
        return sandbox_client_for(sandbox, auth_id, **options)

    return make


@pytest.fixture
def sandbox_http(sandbox_as: SandboxClientFactory) -> httpx.Client:
    """A plain httpx client for the sandbox with the master account's headers; paths start `/api/v1/`."""
    return sandbox_as()


@pytest.fixture
def vobiz_for() -> Iterator[Callable[..., VobizClient]]:
    """`vobiz_for(server, auth_id=None, **options)`: the project's VobizClient pointed at a sandbox, as the
    master (default) or a seeded sub-account; `options` go to VobizClient (timeout, max_retries, sleep ...).
    Clients are closed after the test."""
    clients: list[VobizClient] = []

    def make(server: SandboxServer, auth_id: str | None = None, **options: Any) -> VobizClient:
        account, token = server.credentials(auth_id)
        options.setdefault("transport", httpx.HTTPTransport(verify=SHARED_SSL_CONTEXT))
        client = VobizClient(account, token, base_url=server.base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole run (about a second to start), deleted at the end.
    Without server binaries the tests that use it skip, but fail the run under CI=true. Use its
    `down()`, `stop()`, `start()` and `restart()` to take it away under a running test."""
    try:
        server = PostgresServer.start_new()
    except PostgresUnavailable as missing:
        if os.environ.get("CI", "").lower() in {"true", "1", "yes"}:
            message = f"CI=true runs the PostgreSQL tests, but there are {missing}; {HOW_TO_GET_ONE}"
            pytest.fail(message, pytrace=False)
        pytest.skip(f"{missing}; to run these tests: {HOW_TO_GET_ONE}")
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The postgresql:// URL of a new empty database, dropped after the test (open connections too)."""
    url = postgres_server.create_database()
    yield url
    if not postgres_server.is_running():  # a test that stopped the server and failed before starting it
        postgres_server.start()
    postgres_server.drop_database(url)


ENGINES = ("sqlite", "postgresql")


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """The store a test's bot uses, once per engine: None (the SQLite file beside the test) or the URL of a
    fresh PostgreSQL database. Tests marked `sqlite_only` (they handle the file itself) run on SQLite alone."""
    if request.param == "sqlite":
        return None
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("handles the SQLite file itself")
    return str(request.getfixturevalue("postgres_url"))
