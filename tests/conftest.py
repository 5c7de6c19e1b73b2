"""Shared fixtures: the Vobiz sandbox over real HTTP, a plain httpx client for it, and the Vobiz OpenAPI
fragments (found beside the repository, as CI lays them out).

    def test_something(sandbox):              # a fresh seeded sandbox on 127.0.0.1, random port
        client = VobizClient(sandbox.auth_id, sandbox.auth_token, base_url=sandbox.base_url)
        number = sandbox.inventory_numbers("IN")[0]
        sandbox.inject("purchase", "drop")     # or advance(), set_last_call(), set_balance() ...
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.sandbox import SandboxServer

REPO = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO.parent / "shared"
OPENAPI_DIR = SHARED_DIR / "vobiz-openapi"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A freshly seeded fake Vobiz on a free port, stopped after the test."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox_http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """A plain httpx client for the sandbox with the master account's headers; paths start `/api/v1/`."""
    headers = {"X-Auth-ID": sandbox.auth_id, "X-Auth-Token": sandbox.auth_token}
    with httpx.Client(base_url=sandbox.root_url, headers=headers, timeout=5.0) as client:
        yield client


@pytest.fixture(scope="session")
def vobiz_openapi_dir() -> Path:
    """`<repo>/../shared/vobiz-openapi`. Missing is a failure, never a skip: the contract is not optional."""
    if not OPENAPI_DIR.is_dir() or not any(OPENAPI_DIR.glob("*.yaml")):
        pytest.fail(
            f"the Vobiz OpenAPI fragments are missing: expected {OPENAPI_DIR} with *.yaml files "
            "(CI copies shared/ beside the clone, i.e. <repo>/../shared)",
            pytrace=False,
        )
    return OPENAPI_DIR
