"""The Vobiz Phone Numbers operations, as the contract's §6 describes them (item numbers in comments).

Each method takes already-parsed input and the account the caller acts as, holds the state lock for its
whole run, and returns a Reply or raises a Refusal with the documented body. Nothing is changed when it
refuses.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from fakes.vobiz import wire
from fakes.vobiz.model import COOL_OFF_PERIOD, PENDING_RELEASE_PERIOD, RATES_TO_INR, Account, Number
from fakes.vobiz.replies import Refusal, Reply, bad_request, refuse
from fakes.vobiz.seed import add_months
from fakes.vobiz.state import SandboxState

RELEASE_NOTE = (
    "Number will be in pending_release for 24 hours (cancellable), then quarantined for 45 days before "
    "becoming available."
)
CANCEL_MESSAGE = "release cancelled, number restored to active status"
REFUND_ERROR = "could not process refund, please contact support"


class NumbersApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # 5. GET /Account/{auth_id}/numbers ----------------------------------------------------------

    def list_numbers(
        self, acting: Account, *, page: int, per_page: int, search: str | None, include_subaccounts: bool = True
    ) -> Reply:
        with self.state.lock:
            self.state.settle()
            owned = [
                n
                for n in self.state.numbers.values()
                if (n.owner == acting.auth_id if not include_subaccounts else self.state.controls(acting, n.owner))
                and (not search or search in n.e164)
            ]
            owned.sort(key=lambda n: (n.purchased_at or n.created_at, n.e164))
            return Reply(200, _paged(owned, wire.owned_number, page, per_page))

    # 6. GET /Account/{auth_id}/inventory/numbers ------------------------------------------------

    def list_inventory(
        self, *, country: str | None, search: str | None, exclude: list[str], page: int, per_page: int
    ) -> Reply:
        with self.state.lock:
            self.state.settle()
            found = [
                n
                for n in self.state.numbers.values()
                if n.in_inventory
                and (not country or n.country == country.upper())
                and (not search or search in n.e164)
                and not any(n.e164[1:].startswith(prefix) for prefix in exclude)
            ]
            found.sort(key=lambda n: (n.created_at, n.e164))
            return Reply(200, _paged(found, wire.inventory_number, page, per_page))

    # 7. POST /Account/{auth_id}/numbers/purchase-from-inventory ---------------------------------

    def purchase(self, acting: Account, *, e164: str, currency: str | None) -> Reply:
        if currency is not None and currency not in RATES_TO_INR:
            raise bad_request(f"unsupported currency {currency!r}; use one of {', '.join(RATES_TO_INR)}")
        with self.state.lock:
            self.state.settle()
            number = self.state.numbers.get(e164)
            if number is None or not number.in_inventory:
                raise refuse(404, "not_found", "number not found in inventory")
            payer = self.state.payer(acting)
            cost = (number.setup_fee + number.monthly_fee) * RATES_TO_INR[number.currency]
            if payer.balance < cost:
                raise self._insufficient_balance(payer, cost)
            now = self.state.now()
            payer.balance -= cost
            number.owner = acting.auth_id
            number.source = "inventory"
            number.purchased_at = number.last_billing_date = number.updated_at = now
            number.next_billing_date = add_months(now, 1)
            number.last_call_at = None
            self.state.record("purchase", e164=number.e164, by=acting.auth_id, payer=payer.auth_id, debit_inr=cost)
            body = {
                "message": "Number purchased successfully",
                "number": wire.owned_number(number),
                "items": [wire.purchase_summary(number)],
            }
            return Reply(200, body)

    def _insufficient_balance(self, payer: Account, cost: Decimal) -> Refusal:
        if self.state.modes.insufficient_balance_status == 500:
            return refuse(500, "internal_server_error", "failed to purchase number")
        body = {
            "status": "error",
            "error": {
                "code": "INSUFFICIENT_BALANCE",
                "message": "Insufficient balance to purchase phone number",
                "details": {
                    "required": wire.amount(cost),
                    "available": wire.amount(payer.balance),
                    "currency": payer.currency,
                    "shortfall": wire.amount(cost - payer.balance),
                },
            },
            "timestamp": wire.iso(self.state.now()),
            "requestId": self.state.next_request_id(),
        }
        return Refusal(402, body)

    # 8. DELETE /Account/{auth_id}/numbers/{e164} ------------------------------------------------

    def release(self, acting: Account, *, e164: str, immediate: bool) -> Reply:
        with self.state.lock:
            self.state.settle()
            number = self._owned_by(acting, e164, forbidden_message="account does not own this number")
            if number.status == "pending_release":
                raise bad_request("number is already pending release")
            now = self.state.now()
            mode = self.state.modes.release_mode
            if mode != "current":  # the older API: immediate, permanent, free, straight back to inventory
                self.state.restock(number, at=now)
                self.state.record("release", e164=number.e164, by=acting.auth_id, mode=mode)
                return Reply(204) if mode == "legacy_204" else Reply(200, {"message": "number returned to inventory"})
            fee = acting.release_fee
            payer = self.state.payer(acting)
            if payer.balance < fee:
                raise refuse(500, "internal_server_error", "failed to charge release fee")
            payer.balance -= fee
            number.application_id = number.trunk_group_id = None
            number.updated_at = now
            if immediate:
                self.state.quarantine(number, at=now)
                cooldown_ends_at = now
            else:
                number.status = "pending_release"
                number.cooldown_ends_at = cooldown_ends_at = now + PENDING_RELEASE_PERIOD
                number.release_fee_charged = fee
                number.release_fee_payer = payer.auth_id
            self.state.record(
                "release", e164=number.e164, by=acting.auth_id, immediate=immediate, fee=fee, payer=payer.auth_id
            )
            body = {
                "cancel_url": f"/api/v1/account/{acting.auth_id}/numbers/{number.e164}/cancel-release",
                "cooldown_ends_at": wire.iso(cooldown_ends_at),
                "message": "number release initiated",
                "note": RELEASE_NOTE,
                "release_fee": wire.amount(fee),
                "status": "released" if immediate else "pending_release",
            }
            return Reply(200, body)

    # 9. POST /account/{account_id}/numbers/{e164}/cancel-release  (errors are {"error"} only) ----

    def cancel_release(self, acting: Account, *, e164: str) -> Reply:
        with self.state.lock:
            self.state.settle()
            number = self.state.numbers.get(e164)
            if number is None:
                raise Refusal(404, {"error": "number not found"})
            if not (self.state.controls(acting, number.owner) or self.state.controls(acting, number.released_by)):
                raise Refusal(403, {"error": "access denied"})
            if number.status != "pending_release":
                raise Refusal(400, {"error": "number is not pending release"})
            fee = number.release_fee_charged or Decimal(0)
            payer = self.state.accounts.get(number.release_fee_payer or "") or self.state.payer(acting)
            number.status = "active"
            number.cooldown_ends_at = None
            number.release_fee_charged = number.release_fee_payer = None
            number.updated_at = self.state.now()
            body: dict[str, Any] = {"message": CANCEL_MESSAGE, "status": "active"}
            if self.state.modes.refund_fails:
                body.update(refund_status="failed", refund_error=REFUND_ERROR)
            else:
                payer.balance += fee
                body.update(currency=payer.currency, refund_amount=wire.amount(fee), refund_status="success")
            refunded = not self.state.modes.refund_fails
            self.state.record("cancel_release", e164=number.e164, by=acting.auth_id, refunded=refunded)
            return Reply(200, body)

    # 10. POST /account/{auth_id}/numbers/{e164}/assign-subaccount --------------------------------

    def assign(self, acting: Account, *, e164: str, sub_account_id: Any) -> Reply:
        if not isinstance(sub_account_id, str) or not sub_account_id.strip():
            raise bad_request("sub_account_id is required, e.g. {\"sub_account_id\": \"SA_XXXXXX\"}")
        with self.state.lock:
            self.state.settle()
            number = self.state.numbers.get(e164)
            sub = self.state.accounts.get(sub_account_id.strip())
            # Only a master has a pool and sub-accounts: for anyone else (a sub-account caller too) the
            # number or the sub-account is simply not found, as the contract's single 404 says.
            mine = acting.is_master and number is not None and number.owner == acting.auth_id
            if not mine or sub is None or sub.parent != acting.auth_id:
                raise refuse(404, "not_found", "number or sub-account not found")
            if number.status == "pending_release":
                raise refuse(409, "conflict", "number is pending release")
            number.owner = sub.auth_id
            number.updated_at = self.state.now()
            self.state.record("assign_subaccount", e164=number.e164, sub_account_id=sub.auth_id, by=acting.auth_id)
            return Reply(self.state.modes.assign_status)

    # 11. DELETE /account/{auth_id}/numbers/{e164}/assign-subaccount?force= ----------------------

    def unassign(self, acting: Account, *, e164: str, force: bool) -> Reply:
        with self.state.lock:
            self.state.settle()
            if force and not acting.admin:
                raise refuse(403, "forbidden", "force requires an admin-role account")
            number = self.state.numbers.get(e164)
            owner = self.state.accounts.get(number.owner or "") if number else None
            if number is None or owner is None or owner.parent != acting.auth_id:
                raise refuse(404, "not_found", "number is not assigned to a sub-account of this account")
            if number.status == "pending_release":
                raise refuse(409, "conflict", "number is pending release")
            now = self.state.now()
            if not force:
                self._check_cool_off(number, now)
            number.owner = acting.auth_id
            number.updated_at = now
            action = "force_unassign" if force else "unassign_subaccount"
            self.state.record(action, e164=number.e164, sub_account_id=owner.auth_id, by=acting.auth_id)
            return Reply(self.state.modes.assign_status)

    @staticmethod
    def _check_cool_off(number: Number, now: datetime) -> None:
        if number.last_call_at is None:
            return
        until = number.last_call_at + COOL_OFF_PERIOD
        if now < until:
            remaining = math.ceil((until - now).total_seconds())
            raise Refusal(
                409,
                {
                    "error": "did_cool_off_in_effect",
                    "cool_off_until": wire.iso(until),
                    "cool_off_remaining_seconds": remaining,
                },
            )

    # 12. GET /accounts/{auth_id}/sub-accounts/[{sub_auth_id}/] ----------------------------------

    def list_subaccounts(self, acting: Account, *, page: int, size: int, active_only: bool | None) -> Reply:
        with self.state.lock:
            subs = [s for s in self.state.children(acting) if not active_only or s.is_active]
            subs.sort(key=lambda s: s.created_at, reverse=True)
            start = (page - 1) * size
            items = [wire.sub_account(s, acting) for s in subs[start : start + size]]
            return Reply(200, {"sub_accounts": items, "total": len(subs), "page": page, "size": size})

    def get_subaccount(self, acting: Account, *, sub_auth_id: str) -> Reply:
        with self.state.lock:
            sub = self.state.accounts.get(sub_auth_id)
            if sub is None or sub.parent != acting.auth_id:
                raise refuse(404, "not_found", "sub-account not found")
            return Reply(200, wire.sub_account(sub, acting))

    # 13. POST/DELETE /Account/{auth_id}/numbers/{e164}/assign (trunk) ----------------------------

    def assign_trunk(self, acting: Account, *, e164: str, trunk_group_id: Any) -> Reply:
        if not isinstance(trunk_group_id, str) or not trunk_group_id.strip():
            raise bad_request("trunk_group_id is required")
        with self.state.lock:
            self.state.settle()
            number = self._owned_by(acting, e164, forbidden_message="number not found", forbidden_status=404)
            number.trunk_group_id = trunk_group_id.strip()
            number.updated_at = self.state.now()
            return Reply(200)

    def unassign_trunk(self, acting: Account, *, e164: str) -> Reply:
        with self.state.lock:
            self.state.settle()
            number = self._owned_by(acting, e164, forbidden_message="number not found", forbidden_status=404)
            number.trunk_group_id = None
            number.updated_at = self.state.now()
            return Reply(200)

    # ---------------------------------------------------------------------------------------------

    def _owned_by(
        self, acting: Account, e164: str, *, forbidden_message: str, forbidden_status: int = 403
    ) -> Number:
        number = self.state.numbers.get(e164)
        if number is None:
            raise refuse(404, "not_found", "number not found")
        if not self.state.controls(acting, number.owner):
            code = "forbidden" if forbidden_status == 403 else "not_found"
            raise refuse(forbidden_status, code, forbidden_message)
        return number


def _paged(numbers: list[Number], render: Any, page: int, per_page: int) -> dict[str, Any]:
    start = (page - 1) * per_page
    return wire.page([render(n) for n in numbers[start : start + per_page]], page, per_page, len(numbers))
