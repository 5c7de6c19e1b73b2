"""The console's commands against the real bot (over HTTP), the sandbox Vobiz and the Slack stand-in.
One world per module: each test uses its own numbers."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.console.people import APPROVAL_CHANNEL
from bot.console.session import HELP
from bot.console.world import BOT_TOKEN, ConsoleWorld
from tests.console.console_helpers import Console


def inventory(world: ConsoleWorld, index: int) -> str:
    return world.sandbox.inventory_numbers("US")[index]


def test_buttons_are_numbered_and_click_n_presses_one(console: Console) -> None:
    e164 = inventory(console.world, 0)
    shown = console.ok(f"/numbers buy {e164} A line for the Austin office")
    assert "only @asha sees, in #general" in shown and "is waiting for an approver in #approvals" in shown
    assert "#approvals\n  Purchase request" in shown
    approve = console.number_of("Approve")
    console.ok("as ben")
    shown = console.ok(f"click {approve}")
    assert "(confirmed: Buy this number?" in shown
    assert "#approvals (updated)" in shown and "Approved by @ben" in shown and "is ours now" in shown
    assert "DM to @asha" in shown
    assert console.world.sandbox.describe(e164)["owner"] == console.world.sandbox.auth_id


def test_numbers_last_until_the_next_slash_command(console: Console) -> None:
    console.ok(f"/numbers buy {inventory(console.world, 1)} A line for Denver")
    deny = console.number_of("Deny")
    console.ok("/numbers help")
    outcome = console.do(f"click {deny}")
    assert not outcome.ok and f"there is no button {deny} now" in str(outcome.error)


def test_a_button_on_a_redrawn_message_keeps_its_number_and_presses_the_current_version(console: Console) -> None:
    console.ok(f"/numbers buy {inventory(console.world, 2)} A line for Seattle")
    approve = console.number_of("Approve")
    message = console.world.slack.messages(APPROVAL_CHANNEL)[-1]
    # Re-draw it (as the bot does on every change) with a note added: the same buttons, a new version.
    redrawn = [*message.blocks[:-1], {"type": "context", "elements": [{"type": "mrkdwn", "text": "Re-drawn"}]}, message.blocks[-1]]
    WebClient(token=BOT_TOKEN, base_url=console.world.slack.api_url).chat_update(
        channel=message.channel, ts=message.ts, text=message.text, blocks=redrawn
    )
    assert console.number_of("Approve", console.out.getvalue()) == approve  # the updated message shows it again
    console.ok("as ben")
    shown = console.ok(f"click {approve}")
    assert "is ours now" in shown


def test_a_button_gone_from_the_current_version_is_not_pressed(console: Console) -> None:
    console.ok(f"/numbers buy {inventory(console.world, 3)} A line for Boston")
    approve, deny = console.number_of("Approve"), console.number_of("Deny")
    console.ok("as carol")
    console.ok(f"click {approve}")
    outcome = console.do(f"click {deny}")
    assert not outcome.ok and "is no longer there" in str(outcome.error)
    assert console.world.sandbox.requests("purchase")  # bought once; the stale Deny sent nothing


def test_click_by_label_and_what_only_someone_else_sees(console: Console) -> None:
    console.ok(f"/numbers buy {inventory(console.world, 4)} A line for Miami")
    console.ok("as ben")
    outcome = console.do('click "Cancel request"')  # on asha's own reply, which only she sees
    assert not outcome.ok and "only @asha sees that message" in str(outcome.error)
    missing = console.do('click "Launch rockets"')
    assert not missing.ok and "no button 'Launch rockets' in the latest output" in str(missing.error)
    console.ok("as asha")
    shown = console.ok('click "Cancel request"')
    assert "is cancelled" in shown and "Cancelled" in shown


def test_as_switches_person_and_who_lists_them(console: Console) -> None:
    assert console.session.person.name == "asha"
    console.ok("as carol")
    shown = console.ok("/numbers requests")
    assert "only @carol sees" in shown
    who = console.ok("who")
    assert "* carol" in who and "asha" in who and "ben" in who and "dev" in who and "no rights" in who
    outcome = console.do("as mallory")
    assert not outcome.ok and "asha, ben, carol, dev" in str(outcome.error)
    assert console.session.person.name == "carol"


def test_help_explains_the_console(console: Console) -> None:
    shown = console.ok("help")
    assert shown.strip() == HELP.strip()
    for command in ("/numbers", "click N", "fill LABEL = VALUE", "expect TEXT", "as NAME", "quit"):
        assert command in shown


def test_a_modal_is_filled_and_submitted(console: Console) -> None:
    e164 = inventory(console.world, 5)
    shown = console.ok(f"/numbers buy {e164}")
    assert "modal for @asha: Request a number" in shown and "Why do we need this number?: ____" in shown
    empty = console.do("submit")
    assert not empty.ok and "required field(s) empty" in str(empty.error)
    wrong = console.do("fill Colour = blue")
    assert not wrong.ok and "Why do we need this number?" in str(wrong.error)
    console.ok("fill Why do we need this number? = Support for Portland")
    shown = console.ok("submit")
    assert "closed for @asha" in shown and "is waiting for an approver" in shown
    assert "Support for Portland" in shown  # in #approvals and #numbers-history


def test_cancel_closes_the_modal_and_asks_for_nothing(console: Console) -> None:
    before = len(console.world.slack.messages(APPROVAL_CHANNEL))
    console.ok(f"/numbers buy {inventory(console.world, 6)}")
    shown = console.ok("cancel")
    assert "closed for @asha" in shown
    assert console.world.slack.views("U0ASHA") == []
    assert len(console.world.slack.messages(APPROVAL_CHANNEL)) == before
    assert not console.do("submit").ok


def test_expect_looks_at_the_latest_acting_step_only(console: Console) -> None:
    console.ok("/numbers help")
    console.ok("as ben")  # looking around does not change the latest output
    assert console.do("expect /numbers inventory").ok
    assert console.do('expect-not "Something went wrong"').ok
    outcome = console.do("expect Approved by")
    assert not outcome.ok and "does not contain 'Approved by'" in str(outcome.error)
    console.ok("/numbers requests")
    assert not console.do("expect /numbers inventory [COUNTRY]").ok


def test_an_unknown_command_fails(console: Console) -> None:
    outcome = console.do("approve everything")
    assert not outcome.ok and "unknown command 'approve'" in str(outcome.error)
    other = console.do("/weather today")
    assert not other.ok and "/numbers" in str(other.error)


def test_the_bots_unexpected_error_fails_the_step(console: Console) -> None:
    console.world.slack.fail_next("views.open", "error:internal_error")
    outcome = console.do(f"/numbers buy {inventory(console.world, 7)}")
    assert not outcome.ok and "Something went wrong (reference" in str(outcome.error)
    assert "Slack refused the bot's views.open: internal_error" in console.printed()


def test_requests_reach_the_bot_over_http_and_must_be_signed(console_world: ConsoleWorld) -> None:
    requests = console_world.requests
    forged = requests.sign(requests.slash_command("U0DEV", "help").body, secret="not-the-secret")
    assert console_world.send(forged)[0] == 401
    assert console_world.send(requests.slash_command("U0DEV", "help"))[0] == 200


def test_read_shows_a_channel_again_with_buttons_to_press(console: Console) -> None:
    console.ok(f"/numbers buy {inventory(console.world, 8)} A line for Chicago")
    request_id = console.request_id()
    console.ok("/numbers help")  # the approval message's numbers are gone now ...
    shown = console.ok("read #approvals 1")
    assert shown.startswith("#approvals\n") and request_id in shown
    console.ok("as ben")
    assert "is ours now" in console.ok('click "Approve"')  # ... and back, on the message as it is
    assert "Nothing in @ben's DM yet." in console.ok("read dm")
    assert not console.do("read #random").ok


def test_home_opens_the_app_home_tab_with_its_buttons(console: Console) -> None:
    console.ok(f"/numbers buy {inventory(console.world, 9)} A line for Phoenix")
    shown = console.ok("home")
    assert "App Home of @asha" in shown and "Your requests" in shown
    assert "is cancelled" in console.ok(f"click {console.number_of('Cancel')}")
