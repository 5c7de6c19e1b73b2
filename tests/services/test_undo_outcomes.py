"""Undoing a release when Vobiz's answer is lost (timeout, dropped connection, gateway 5xx), when the
release was already cancelled, or when the bot stopped during the call: the undo is recorded as unknown
(or its claim is left behind), settled by re-reading the number, never by calling cancel-release again,
and every step is audited."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from api.client import VobizClient

from bot.services import Services, build_services
from bot.services.errors import Conflict, OutcomeUnknown
from bot.services.reconcile import Reconciler
from bot.services.records import ApprovalRequest, Status
from bot.store import Store
from bot.store.timestamps import to_db
from tests.services.world import APPROVER, REQUESTER, World

GRACE_PASSED = 61  # seconds: the default settle grace is one minute


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def owned(world: World) -> str:
    return next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91"))


def released(world: World, e164: str) -> ApprovalRequest:
    request = world.services.approvals.request_release(REQUESTER, e164, "team moved")
    done = world.services.approvals.approve(request.id, APPROVER)
    assert done.status is Status.SUCCEEDED and done.undoable_until is not None
    return done


def undo_events(world: World, request_id: str) -> list[tuple[str, str, str]]:
    return [(r["event"], r["actor_id"], r["outcome"]) for r in world.audit_rows(request_id) if r["action"] == "undo_release"]


def test_an_undo_whose_answer_times_out_but_lands_is_recorded_as_done(world: World, owned: str) -> None:
    request = released(world, owned)
    services = world.rebuild(timeout=0.2)
    world.sandbox.inject("cancel_release", "hang", seconds=0.5)  # Vobiz undoes it after the client gave up

    with pytest.raises(OutcomeUnknown, match="not known yet whether the release .* was undone") as told:
        services.approvals.undo_release(request.id, REQUESTER)

    assert f"update request {request.id} when I know" in told.value.user_message
    checking = services.approvals.get(request.id)
    assert checking.undo_being_checked and checking.undone_at is None
    assert checking.undoable_until is None  # no Undo offered while it is being checked
    assert undo_events(world, request.id) == [("undo_unknown", REQUESTER.user_id, "outcome_unknown")]
    assert world.audit_rows(request.id)[-1]["vobiz_error"] == "APITimeoutError"
    with pytest.raises(Conflict, match="already being checked with Vobiz"):
        services.approvals.undo_release(request.id, APPROVER)  # a second click calls nothing

    wait_until(lambda: world.sandbox.describe(owned)["status"] == "active")
    settled = services.approvals.settle_unknown()  # still within the grace: a re-read proves success at once

    assert [r.id for r in settled] == [request.id]
    undone = settled[0]
    assert undone.undone_at is not None and undone.undone_by == REQUESTER and not undone.undo_being_checked
    assert undone.refund_amount is None  # Vobiz's answer (with the refund) was never seen
    assert undo_events(world, request.id)[-1] == ("undone", "numbers-bot", "succeeded")
    assert "is active again, so the undo Riya Requester asked for" in world.audit_rows(request.id)[-1]["detail"]
    assert world.outbox_rows("requester_notice", request.id)[-1]["done_at"] is None  # the requester is told
    assert services.approvals.settle_unknown() == []
    wait_until(lambda: len(world.calls("cancel_release")) == 1)  # never repeated


@pytest.mark.parametrize(("fault", "seconds"), [("hang_drop", 0.4), ("gateway_timeout", 0)])
def test_an_undo_that_never_lands_fails_after_the_grace_and_can_be_tried_again(
    world: World, owned: str, fault: str, seconds: float
) -> None:
    request = released(world, owned)
    services = world.rebuild(timeout=0.2)
    world.sandbox.inject("cancel_release", fault, seconds=seconds)  # answer lost or a gateway 504; never applied

    with pytest.raises(OutcomeUnknown, match="still is pending release"):
        services.approvals.undo_release(request.id, APPROVER)
    assert services.approvals.settle_unknown() == []  # Vobiz may still be working on it
    assert services.approvals.get(request.id).undo_being_checked

    world.advance(GRACE_PASSED)
    settled = services.approvals.settle_unknown()

    assert [r.id for r in settled] == [request.id]
    failed = settled[0]
    assert failed.undone_at is None and failed.undo_state is None
    assert failed.undoable_until == request.cooldown_ends_at  # Undo is offered again
    assert undo_events(world, request.id) == [
        ("undo_unknown", APPROVER.user_id, "outcome_unknown"),
        ("undo_failed", "numbers-bot", "failed"),
    ]
    assert "did not happen; nothing changed. It can be undone again until" in world.audit_rows(request.id)[-1]["detail"]
    assert world.sandbox.describe(owned)["status"] == "pending_release"

    again = services.approvals.undo_release(request.id, APPROVER)  # the claim was cleared: a new undo works

    assert again.undone_at is not None and again.refund_status == "success"
    assert world.sandbox.describe(owned)["status"] == "active"
    wait_until(lambda: len(world.calls("cancel_release")) == 2)  # the lost one and the new one, nothing more


def test_a_lost_undo_whose_number_cannot_be_reread_stays_unknown_until_vobiz_answers(world: World, owned: str) -> None:
    request = released(world, owned)
    world.sandbox.inject("cancel_release", "drop_after")  # undone at Vobiz, answer lost
    world.sandbox.inject("list_numbers", "server_error", count=3)  # the re-read and both of its retries

    with pytest.raises(OutcomeUnknown, match="could not be re-read"):
        world.services.approvals.undo_release(request.id, REQUESTER)
    world.advance(GRACE_PASSED)
    world.sandbox.inject("list_numbers", "server_error", count=3)
    assert world.services.approvals.settle_unknown() == []  # unreadable: no verdict, even after the grace
    assert world.services.approvals.get(request.id).undo_being_checked

    settled = world.services.approvals.settle_unknown()  # Vobiz answers again

    assert [r.undone_by for r in settled] == [REQUESTER]
    assert undo_events(world, request.id)[-1] == ("undone", "numbers-bot", "succeeded")
    assert len(world.calls("cancel_release")) == 1


def test_undo_of_a_release_already_cancelled_is_recorded_as_done(world: World, owned: str) -> None:
    request = released(world, owned)
    world.vobiz.numbers.cancel_release(owned)  # an earlier attempt whose answer was lost, or someone outside

    undone = world.services.approvals.undo_release(request.id, REQUESTER)

    assert undone.undone_at is not None and undone.undone_by == REQUESTER and undone.refund_amount is None
    detail = world.audit_rows(request.id)[-1]["detail"]
    assert "no longer pending release, and it reads active" in detail and "refund is not known" in detail
    assert undo_events(world, request.id) == [("undone", REQUESTER.user_id, "succeeded")]
    with pytest.raises(Conflict, match="already undid this release"):
        world.services.approvals.undo_release(request.id, APPROVER)


def test_undo_refused_as_not_pending_release_when_the_number_is_not_active_changes_nothing(world: World, owned: str) -> None:
    request = released(world, owned)
    world.vobiz.numbers.cancel_release(owned)  # outside the bot: cancelled, then released for good
    world.vobiz.numbers.release(owned, immediate=True)

    with pytest.raises(Conflict, match="not pending release. Nothing changed"):
        world.services.approvals.undo_release(request.id, REQUESTER)

    after = world.services.approvals.get(request.id)
    assert after.undone_at is None and after.undo_state is None
    assert undo_events(world, request.id) == [("undo_failed", REQUESTER.user_id, "failed")]


def test_the_drift_check_leaves_a_number_alone_while_its_undo_is_being_checked(world: World, owned: str) -> None:
    request = released(world, owned)
    reconciler = Reconciler(vobiz=world.vobiz, store=world.services.store, clock=world.clock)
    reconciler.run()  # the first run records a baseline
    world.sandbox.inject("cancel_release", "drop_after")  # active at Vobiz, unconfirmed in the log
    world.sandbox.inject("list_numbers", "server_error", count=3)
    with pytest.raises(OutcomeUnknown):
        world.services.approvals.undo_release(request.id, REQUESTER)

    report = reconciler.run()

    assert owned in report.skipped and report.drifts == []


# The bot stopping during the call ------------------------------------------------------------------


class ProcessKilled(BaseException):
    """The bot's process dying: not an Exception, so no handler runs and no outcome is recorded."""


class DiesDuringCancelRelease(httpx.BaseTransport):
    """Real HTTP to the sandbox, except that the process dies on cancel-release: after Vobiz carried it
    out (`lands`) or before the request left (it never reaches Vobiz)."""

    def __init__(self, *, lands: bool) -> None:
        self._http = httpx.HTTPTransport()
        self._lands = lands

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/cancel-release"):
            if self._lands:
                self._http.handle_request(request).read()
            raise ProcessKilled
        return self._http.handle_request(request)

    def close(self) -> None:
        self._http.close()


def killed_during_undo(world: World, request: ApprovalRequest, *, lands: bool) -> Services:
    """Click Undo in a bot that dies during cancel-release, then restart it over the same database."""
    vobiz = VobizClient(
        world.sandbox.auth_id, world.sandbox.auth_token, base_url=world.sandbox.base_url,
        transport=DiesDuringCancelRelease(lands=lands),
    )
    world.clients.append(vobiz)
    doomed = build_services(world.settings, vobiz=vobiz, directory=world.directory, store=world.open_store(), clock=world.clock)
    with pytest.raises(ProcessKilled):
        doomed.approvals.undo_release(request.id, REQUESTER)
    restarted = world.rebuild()
    left = restarted.approvals.get(request.id)
    assert left.undo_state == "undoing" and left.undone_at is None  # the claim the dead process took
    return restarted


def test_an_undo_the_bot_died_during_is_settled_as_done_once_the_grace_has_passed(world: World, owned: str) -> None:
    request = released(world, owned)
    services = killed_during_undo(world, request, lands=True)
    assert world.sandbox.describe(owned)["status"] == "active"  # Vobiz undid it; the bot never heard

    world.advance(59)  # a claim younger than the grace may belong to a call still running: left alone
    assert services.approvals.settle_unknown() == []
    assert services.approvals.get(request.id).undo_state == "undoing"
    with pytest.raises(Conflict, match="Someone is undoing this release right now"):
        services.approvals.undo_release(request.id, APPROVER)

    world.advance(2)
    settled = services.approvals.settle_unknown()

    assert [r.id for r in settled] == [request.id]
    undone = settled[0]
    assert undone.undone_at is not None and undone.undone_by == REQUESTER and undone.undo_state == "done"
    assert undone.refund_amount is None  # Vobiz's answer (with the refund) died with the process
    assert undo_events(world, request.id) == [("undone", "numbers-bot", "succeeded")]
    detail = world.audit_rows(request.id)[-1]["detail"]
    assert "stopped during this undo" in detail and "is active again, so the undo Riya Requester asked for" in detail
    assert "refund is not known" in detail
    assert services.approvals.settle_unknown() == []
    with pytest.raises(Conflict, match="Riya Requester already undid this release"):
        services.approvals.undo_release(request.id, APPROVER)
    assert len(world.calls("cancel_release")) == 1  # never repeated


def test_an_undo_the_bot_died_before_sending_is_cleared_once_the_grace_has_passed(world: World, owned: str) -> None:
    request = released(world, owned)
    services = killed_during_undo(world, request, lands=False)

    world.advance(59)
    assert services.approvals.settle_unknown() == []
    assert services.approvals.get(request.id).undoable_until is None  # no Undo offered while claimed
    world.advance(2)
    with pytest.raises(Conflict, match="stopped before its outcome was recorded; I am checking with Vobiz"):
        services.approvals.undo_release(request.id, APPROVER)  # told the truth, and nothing is called

    settled = services.approvals.settle_unknown()

    assert [r.id for r in settled] == [request.id]
    cleared = settled[0]
    assert cleared.undone_at is None and cleared.undo_state is None
    assert cleared.undoable_until == request.cooldown_ends_at  # Undo is offered again
    assert undo_events(world, request.id) == [("undo_failed", "numbers-bot", "failed")]
    detail = world.audit_rows(request.id)[-1]["detail"]
    assert "stopped during this undo" in detail
    assert "is pending release, so the undo Riya Requester asked for" in detail
    assert "did not happen; nothing changed. It can be undone again until" in detail
    assert world.calls("cancel_release") == []

    again = services.approvals.undo_release(request.id, APPROVER)

    assert again.undone_at is not None and again.undone_by == APPROVER and again.refund_status == "success"
    assert world.sandbox.describe(owned)["status"] == "active"
    assert len(world.calls("cancel_release")) == 1


def test_a_claim_left_is_settled_only_after_the_configured_grace(world: World, owned: str) -> None:
    request = released(world, owned)
    killed_during_undo(world, request, lands=True)
    services = world.rebuild(settle_grace_seconds=300)

    world.advance(GRACE_PASSED)
    assert services.approvals.settle_unknown() == []
    world.advance(300 - GRACE_PASSED)
    assert [r.undone_by for r in services.approvals.settle_unknown()] == [REQUESTER]


@pytest.mark.sqlite_only  # deletes or rewrites the SQLite file
def test_a_claim_stuck_before_the_upgrade_is_settled_after_it(world: World, owned: str) -> None:
    """A database where the bug already left a claim: the upgrade times it by when it was taken."""
    request = released(world, owned)
    world.advance(10)
    claimed_at = world.clock()
    with world.services.store.unit() as db:  # the schema and the claim as the previous version left them
        for column in ("undo_claimed_at", "undo_claimed_by_id", "undo_claimed_by_name"):
            db.execute(f"ALTER TABLE requests DROP COLUMN {column}")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm009_undo_claim_time'")
        db.execute(
            "UPDATE requests SET undo_state = 'undoing', updated_at = ? WHERE id = ?", [to_db(claimed_at), request.id]
        )

    services = world.rebuild()  # opening the file applies the new migration
    world.advance(59)
    assert services.approvals.settle_unknown() == []
    world.advance(2)
    settled = services.approvals.settle_unknown()

    assert [(r.id, r.undo_state, r.undoable_until) for r in settled] == [(request.id, None, request.cooldown_ends_at)]
    detail = world.audit_rows(request.id)[-1]["detail"]
    assert "so the undo someone asked for at" in detail and "did not happen" in detail
