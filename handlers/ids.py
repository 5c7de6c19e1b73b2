"""Every action_id, callback_id and block_id the bot uses, as named constants.

Builders put them into Block Kit; `handlers.register` routes them back to listeners. Buttons on
approval messages carry only the request id in their value; the service reloads the record.
"""

from __future__ import annotations

COMMAND = "/numbers"

# Approval messages (value: request id)
APPROVE = "approval.approve"
DENY = "approval.deny"
UNDO_RELEASE = "approval.undo_release"
# `/numbers requests` (value: request id)
CANCEL_REQUEST = "request.cancel"

# Paging (value: a small JSON object with the page to fetch and the filters). Slack wants action ids
# unique within a block, so Previous and Next differ; each pair goes to one listener.
LIST_PREVIOUS = "numbers.list.previous"
LIST_NEXT = "numbers.list.next"
INVENTORY_PREVIOUS = "numbers.inventory.previous"
INVENTORY_NEXT = "numbers.inventory.next"
LIST_PAGE = (LIST_PREVIOUS, LIST_NEXT)
INVENTORY_PAGE = (INVENTORY_PREVIOUS, INVENTORY_NEXT)

# `/numbers inventory` with filters (value: a small JSON object with the canonical filter text and, for
# Keep looking, where the last answer stopped; re-parsed on every click, see handlers.render.inventory)
INVENTORY_MORE = "numbers.inventory.more"
INVENTORY_WITHOUT = "numbers.inventory.without"

# `/numbers history` paging (value: a small JSON object with the cursor and the canonical filter text,
# re-parsed and re-authorised for whoever clicks; see handlers.render.history)
HISTORY_NEWEST = "audit.history.newest"
HISTORY_OLDER = "audit.history.older"
HISTORY_PAGE = (HISTORY_NEWEST, HISTORY_OLDER)

# Buttons that open a reason modal (value: the E.164 number)
REQUEST_PURCHASE = "numbers.inventory.request_purchase"
REQUEST_FORCE_UNASSIGN = "numbers.unassign.request_force"

# Modals (callback ids)
PURCHASE_REASON_VIEW = "view.purchase_reason"
RELEASE_REASON_VIEW = "view.release_reason"
RELEASE_NOW_REASON_VIEW = "view.release_now_reason"
FORCE_UNASSIGN_REASON_VIEW = "view.force_unassign_reason"
DENY_REASON_VIEW = "view.deny_reason"

# The one input of every reason modal
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"

# The purchase modal's optional team: the bought number is labelled with it
TEAM_BLOCK = "team"
TEAM_INPUT = "team_input"
