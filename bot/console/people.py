"""The demo workspace: four people covering the roles, and the channels the bot posts to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    name: str
    user_id: str
    role: str  # what they may do, as `who` shows it


PEOPLE: tuple[Person, ...] = (
    Person("asha", "U0ASHA", "requester: asks for numbers (anyone may ask)"),
    Person("ben", "U0BEN", "approver (APPROVERS): decides purchases and releases"),
    Person("carol", "U0CAROL", "admin (ADMINS): decides everything, force operations too"),
    Person("dev", "U0DEV", "no rights: may ask, may not decide"),
)
APPROVERS = ("U0BEN",)
ADMINS = ("U0CAROL",)
DEFAULT_PERSON = "asha"

APPROVAL_CHANNEL = "C0APPROVALS"
HISTORY_CHANNEL = "C0HISTORY"
COMMAND_CHANNEL = "C0GENERAL"  # where people type /numbers
CHANNELS = {APPROVAL_CHANNEL: "approvals", HISTORY_CHANNEL: "numbers-history", COMMAND_CHANNEL: "general"}


def person_named(name: str) -> Person | None:
    wanted = name.strip().lstrip("@").lower()
    return next((p for p in PEOPLE if p.name == wanted), None)


def person_with_id(user_id: str) -> Person | None:
    return next((p for p in PEOPLE if p.user_id == user_id), None)


def channel_named(name: str) -> str | None:
    """A channel id from ``#approvals``, ``approvals`` or the id itself."""
    wanted = name.strip().lstrip("#").lower()
    return next((cid for cid, cname in CHANNELS.items() if wanted in (cname, cid.lower())), None)
