"""Extra telephone numbers put straight into the sandbox's state: inventory to buy during the load, and
a big account's 10,000 owned numbers. Valid Indian (Bengaluru, +91 80) numbers, in a deterministic
order, never one the sandbox already has."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import phonenumbers

from fakes.vobiz import MASTER_AUTH_ID, SandboxServer
from fakes.vobiz.model import Number

SETUP_FEE = Decimal(100)
MONTHLY_FEE = Decimal(200)


def _candidates(start: int) -> Iterator[str]:
    serial = start
    while True:
        yield f"+9180{2 + serial // 10_000_000 % 6}{serial % 10_000_000:07d}"
        serial += 7919  # a prime stride spreads the numbers over the range


def fresh_numbers(sandbox: SandboxServer, count: int, *, start: int = 0) -> list[str]:
    """`count` valid numbers the sandbox does not know yet."""
    with sandbox.state.lock:
        taken = set(sandbox.state.numbers)
    found: list[str] = []
    for e164 in _candidates(start):
        if e164 in taken:
            continue
        if phonenumbers.is_valid_number(phonenumbers.parse(e164, None)):
            found.append(e164)
            taken.add(e164)
            if len(found) == count:
                return found
    raise AssertionError("unreachable")


def add_numbers(sandbox: SandboxServer, numbers: list[str], *, owner: str | None) -> None:
    """Put `numbers` into the sandbox: in inventory (owner None) or owned by `owner`."""
    state = sandbox.state
    with state.lock:
        now = state.now()
        for index, e164 in enumerate(numbers):
            created = now - timedelta(days=30, seconds=index)
            number = Number(
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{e164}")),
                e164=e164,
                country="IN",
                region="Karnataka",
                setup_fee=SETUP_FEE,
                monthly_fee=MONTHLY_FEE,
                currency="INR",
                created_at=created,
                updated_at=created,
            )
            if owner is not None:
                number.owner = owner
                number.source = "purchased"
                number.purchased_at = created + timedelta(days=1)
                number.updated_at = number.purchased_at
            state.numbers[e164] = number


def add_inventory(sandbox: SandboxServer, count: int, *, start: int = 0) -> list[str]:
    numbers = fresh_numbers(sandbox, count, start=start)
    add_numbers(sandbox, numbers, owner=None)
    return numbers


def add_owned(sandbox: SandboxServer, count: int, *, owner: str = MASTER_AUTH_ID, start: int = 0) -> list[str]:
    numbers = fresh_numbers(sandbox, count, start=start)
    add_numbers(sandbox, numbers, owner=owner)
    return numbers
