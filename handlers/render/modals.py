"""Pure builders for modals (reason prompts); the App Home tab is `handlers.render.home`.

A modal's `private_metadata` carries only what identifies its subject (a number or a request id)
and where to reply (the response_url of the command or button that opened it), never state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from handlers import ids
from handlers.render.kit import MODAL_BUTTON, MODAL_TITLE, PRIVATE_METADATA, VIEW_BLOCKS, Block, fit, plain, section
from bot.services.marks import TEAM_MAX
from handlers.parsing import REASON_MAX
from handlers.render.text import escape, number_label

View = dict[str, Any]


@dataclass(frozen=True)
class ModalSubject:
    """What a reason modal is about and where its outcome goes."""

    e164: str | None = None
    request_id: str | None = None
    response_url: str | None = None
    channel_id: str | None = None
    origin: str | None = None  # "home" when opened from the App Home tab (re-published after the decision)

    def to_metadata(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if v}
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA:  # a response_url is never this long; drop it rather than fail
            data.pop("response_url", None)
            text = json.dumps(data, separators=(",", ":"))
        return text

    @classmethod
    def from_metadata(cls, text: str | None) -> ModalSubject:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and isinstance(v, str)}
        return cls(**known)


def _reason_input(label: str, placeholder: str) -> Block:
    return {
        "type": "input",
        "block_id": ids.REASON_BLOCK,
        "label": plain(label, 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": ids.REASON_INPUT,
            "multiline": True,
            "min_length": 1,
            "max_length": REASON_MAX,
            "placeholder": plain(placeholder, 150),
        },
    }


def _modal(callback_id: str, title: str, submit: str, blocks: list[Block], subject: ModalSubject) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE),
        "submit": plain(submit, MODAL_BUTTON),
        "close": plain("Cancel", MODAL_BUTTON),
        "private_metadata": subject.to_metadata(),
        "blocks": fit(blocks, VIEW_BLOCKS),
    }


def purchase_reason_modal(subject: ModalSubject) -> View:
    e164 = subject.e164 or ""
    blocks = [
        section(
            f"You are asking to buy {number_label(e164)}. An approver sees your reason and the fees "
            "quoted from inventory, then decides."
        ),
        _reason_input("Why do we need this number?", "e.g. a new support line for the Bengaluru office"),
        _team_input(),
    ]
    return _modal(ids.PURCHASE_REASON_VIEW, "Request a number", "Send request", blocks, subject)


def _team_input() -> Block:
    """Optional: the team the number will belong to; it is labelled with it once bought."""
    return {
        "type": "input",
        "block_id": ids.TEAM_BLOCK,
        "optional": True,
        "label": plain("Team", 2000),  # Slack adds "(optional)"
        "hint": plain("Once bought, the number is labelled with this team (see /numbers list team:<name>).", 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": ids.TEAM_INPUT,
            "max_length": TEAM_MAX,
            "placeholder": plain("e.g. support-blr", 150),
        },
    }


def release_reason_modal(subject: ModalSubject, *, now: bool) -> View:
    e164 = subject.e164 or ""
    what = (
        "release it *immediately*: final, cannot be undone, and an admin must approve"
        if now
        else "release it; it can be undone for 24 hours after approval"
    )
    blocks = [
        section(f"You are asking to {what}: {number_label(e164)}."),
        _reason_input("Why should it go?", "e.g. the campaign ended"),
    ]
    title = "Release now" if now else "Release a number"
    callback_id = ids.RELEASE_NOW_REASON_VIEW if now else ids.RELEASE_REASON_VIEW
    return _modal(callback_id, title, "Send request", blocks, subject)


def force_unassign_reason_modal(subject: ModalSubject) -> View:
    e164 = subject.e164 or ""
    blocks = [
        section(
            f"{number_label(e164)} is in its cool-off. Taking it back now needs force, which only an "
            "admin may approve. Calls to it may break."
        ),
        _reason_input("Why can't this wait?", "e.g. the sub-account was closed"),
    ]
    return _modal(ids.FORCE_UNASSIGN_REASON_VIEW, "Force unassign", "Send request", blocks, subject)


def deny_reason_modal(subject: ModalSubject, *, e164: str | None = None) -> View:
    about = f" to {number_label(e164)}" if e164 else ""
    blocks = [
        section(f"Denying request *{escape(subject.request_id or '')}*{about}. The requester sees your reason."),
        _reason_input("Why not?", "e.g. we already have a spare number in that city"),
    ]
    return _modal(ids.DENY_REASON_VIEW, "Deny request", "Deny", blocks, subject)
