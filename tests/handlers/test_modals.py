"""The reason modals as data: within Slack's limits, carrying only the subject and where to reply."""

from __future__ import annotations

import json

from handlers import ids
from handlers.render.modals import ModalSubject, deny_reason_modal, purchase_reason_modal, release_reason_modal
from slack_checks import assert_within_limits


def test_reason_modals_fit_slack_limits_and_carry_only_subject_and_reply_route() -> None:
    subject = ModalSubject(e164="+918012345678", response_url="https://hooks.slack.com/x", channel_id="C1")
    for view in (
        purchase_reason_modal(subject),
        release_reason_modal(subject, now=True),
        release_reason_modal(subject, now=False),
        deny_reason_modal(ModalSubject(request_id="R7K2QX4"), e164="+918012345678"),
    ):
        assert_within_limits(view, max_blocks=100)
        [reason_input] = [b for b in view["blocks"] if b["type"] == "input" and b["block_id"] == ids.REASON_BLOCK]
        assert not reason_input.get("optional")
        assert reason_input["element"]["max_length"] == 500
    view = purchase_reason_modal(subject)
    assert view["callback_id"] == ids.PURCHASE_REASON_VIEW
    [team_input] = [b for b in view["blocks"] if b["type"] == "input" and b["block_id"] == ids.TEAM_BLOCK]
    assert team_input["optional"] is True and team_input["element"]["max_length"] == 40  # the purchase asks for a team
    assert ModalSubject.from_metadata(view["private_metadata"]) == subject
    assert release_reason_modal(subject, now=True)["callback_id"] == ids.RELEASE_NOW_REASON_VIEW


def test_modal_metadata_that_is_not_ours_reads_as_empty() -> None:
    assert ModalSubject.from_metadata("not json") == ModalSubject()
    assert ModalSubject.from_metadata(json.dumps(["x"])) == ModalSubject()
    assert ModalSubject.from_metadata(json.dumps({"e164": 5, "evil": "x"})) == ModalSubject()
