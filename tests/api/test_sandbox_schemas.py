"""Every sandbox answer of the seven documented endpoints, success and documented error, validated by
openapi-schema-validator's OAS30Validator against the Vobiz OpenAPI fragments in `<repo>/../shared`.

- A status whose response has a `schema` is validated against it, `$ref`s resolved within its file; when
  it also has examples, the body must carry the keys of one of them too (the cool-off 409's `Error`
  schema alone would accept a body without `cool_off_until`).
- A status documented only by examples (cancel-release's errors, the purchase 200) is validated against
  a schema derived mechanically from those examples: same keys required, same JSON types.
- A status documented with no content (assign/unassign 200 and 204) must have an empty body.
- A status the fragment does not document (401, release 403/404/400 ...) is validated against the
  fragments' shared `components.schemas.Error`, which the contract (§2.5) says all number errors follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft4Validator, FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from api.sandbox import START, SandboxServer

MA = "MA_SANDBOX01"
SALES = "SA_SALES0001"

# OAS30's own format checker leaves out date-time; add jsonschema's RFC 3339 check for `cooldown_ends_at`.
FORMATS = FormatChecker()
FORMATS.checkers = {
    **oas30_format_checker.checkers,
    "date-time": Draft4Validator.FORMAT_CHECKER.checkers["date-time"],
}


@dataclass(frozen=True)
class Documented:
    """One endpoint of one OpenAPI fragment (`error_spec` holds the shared `Error` schema)."""

    spec: dict[str, Any]
    path: str
    method: str
    error_spec: dict[str, Any]

    @property
    def operation(self) -> dict[str, Any]:
        return self.spec["paths"][self.path][self.method]

    @property
    def statuses(self) -> set[int]:
        return {int(status) for status in self.operation["responses"]}

    def _content(self, status: int) -> dict[str, Any] | None:
        return self.operation["responses"][str(status)].get("content", {}).get("application/json")

    def documented_schema(self, status: int) -> dict[str, Any] | None:
        """The fragment's own `schema` for this status, as written (None when it has none)."""
        content = self._content(status)
        return None if content is None else content.get("schema")

    def schema_for(self, status: int) -> dict[str, Any] | None:
        """What this documented status's JSON body must satisfy; None when it is documented without a body."""
        content = self._content(status)
        if content is None:
            return None
        examples = [content["example"]] if "example" in content else []
        examples += [entry["value"] for entry in content.get("examples", {}).values()]
        if "schema" in content:
            keyed = [{"required": sorted(example)} for example in examples if isinstance(example, dict)]
            if not keyed:
                return content["schema"]
            return {"allOf": [content["schema"], keyed[0] if len(keyed) == 1 else {"anyOf": keyed}]}
        assert examples, f"{self.method.upper()} {self.path} {status} has neither a schema nor an example"
        schemas = [schema_of_example(example) for example in examples]
        return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}

    def validate(self, status: int, response: httpx.Response) -> None:
        if status in self.statuses:
            schema, spec = self.schema_for(status), self.spec
        else:
            schema, spec = self.error_spec["components"]["schemas"]["Error"], self.error_spec
        if schema is None:
            assert response.content == b"", f"{status} is documented without a body, got {response.text!r}"
            return
        validate_against(spec, schema, response.json(), f"{self.method.upper()} {self.path} {status}")


def validate_against(spec: dict[str, Any], schema: dict[str, Any], body: Any, where: str) -> None:
    """OAS30Validator on `schema`, with `$ref`s resolved within `spec`; fails listing every problem."""
    validator = OAS30Validator(spec, format_checker=FORMATS).evolve(schema=schema)
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or 'body'}: {error.message}" for error in validator.iter_errors(body)
    ]
    assert not problems, f"{where}: " + "; ".join(problems)


def schema_of_example(value: Any) -> dict[str, Any]:
    """A JSON schema that an example satisfies: its keys required, its values' types."""
    if isinstance(value, dict):
        return {
            "type": "object",
            "properties": {key: schema_of_example(item) for key, item in value.items()},
            "required": sorted(value),
        }
    if isinstance(value, list):
        return {"type": "array", "items": schema_of_example(value[0])} if value else {"type": "array"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, (str, datetime, date)):
        return {"type": "string"}
    return {"nullable": True}


class Fragments:
    """The OpenAPI fragments in one directory, parsed once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._specs: dict[str, dict[str, Any]] = {}

    def load(self, filename: str) -> dict[str, Any]:
        if filename not in self._specs:
            path = self.directory / filename
            if not path.is_file():
                pytest.fail(f"missing Vobiz OpenAPI fragment {path}", pytrace=False)
            self._specs[filename] = yaml.safe_load(path.read_text(encoding="utf-8"))
        return self._specs[filename]

    def endpoint(self, filename: str) -> Documented:
        spec = self.load(filename)
        [(path, operations)] = spec["paths"].items()
        [method] = [m for m in operations if m in ("get", "post", "delete", "put", "patch")]
        return Documented(spec, path, method, error_spec=self.load(PURCHASE))


@pytest.fixture(scope="session")
def fragments(vobiz_openapi_dir: Path) -> Fragments:
    return Fragments(vobiz_openapi_dir)


def enc(e164: str) -> str:
    return e164.replace("+", "%2B")


LIST = "list-numbers.yaml"
INVENTORY = "list-inventory-numbers.yaml"
PURCHASE = "purchase-from-inventory.yaml"
RELEASE = "unrent-number.yaml"
CANCEL = "cancel-number-release.yaml"
ASSIGN = "assign-did-to-subaccount.yaml"
UNASSIGN = "unassign-did-from-subaccount.yaml"
SEVEN = (LIST, INVENTORY, PURCHASE, RELEASE, CANCEL, ASSIGN, UNASSIGN)


# Scenarios: each makes one sandbox answer, registered with the fragment and status it must satisfy ------

Scenario = Callable[[SandboxServer, httpx.Client], httpx.Response]


@dataclass(frozen=True)
class Case:
    filename: str
    status: int
    make: Scenario


CASES: dict[str, Case] = {}


def case(filename: str, status: int, label: str) -> Callable[[Scenario], Scenario]:
    def register(make: Scenario) -> Scenario:
        CASES[f"{filename.removesuffix('.yaml')} {status} {label}".strip()] = Case(filename, status, make)
        return make

    return register


def _numbers(account: str = MA) -> str:
    return f"/api/v1/Account/{account}/numbers"


def _purchase(http: httpx.Client, e164: str, account: str = MA, **extra: str) -> httpx.Response:
    return http.post(f"/api/v1/Account/{account}/numbers/purchase-from-inventory", json={"e164": e164, **extra})


def _release(http: httpx.Client, e164: str, **params: str) -> httpx.Response:
    return http.delete(f"/api/v1/Account/{MA}/numbers/{enc(e164)}", params=params)


def _cancel(http: httpx.Client, e164: str, **kwargs: Any) -> httpx.Response:
    return http.post(f"/api/v1/account/{MA}/numbers/{enc(e164)}/cancel-release", **kwargs)


def _assignment(http: httpx.Client, method: str, e164: str, **kwargs: Any) -> httpx.Response:
    return http.request(method, f"/api/v1/account/{MA}/numbers/{enc(e164)}/assign-subaccount", **kwargs)


@case(LIST, 200, "master, every number (sub-accounts', routed, pending)")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(), params={"per_page": 100})


@case(LIST, 200, "after a purchase, a release and an assignment")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    bought = sandbox.inventory_numbers("GB")[0]
    _purchase(http, bought)
    _release(http, sandbox.owned_numbers(MA)[0])
    _assignment(http, "POST", bought, json={"sub_account_id": SALES})
    return http.get(_numbers(), params={"per_page": 100})


@case(LIST, 200, "a sub-account's numbers")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(SALES))


@case(LIST, 200, "a page past the end")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(), params={"page": 50})


@case(LIST, 401, "wrong token")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(), headers={"X-Auth-Token": "wrong"})


@case(LIST, 403, "another account")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers("MA_SOMEONEELSE"))


@case(LIST, 400, "bad paging")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(), params={"per_page": "many"})


@case(INVENTORY, 200, "India, all of it")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(f"/api/v1/Account/{MA}/inventory/numbers", params={"country": "IN", "per_page": 100})


@case(INVENTORY, 200, "US and GB, filtered")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    params = [("exclude", "9"), ("search", "4"), ("per_page", "100")]
    return http.get(f"/api/v1/Account/{MA}/inventory/numbers", params=params)


@case(INVENTORY, 200, "a number back from quarantine")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    number = sandbox.owned_numbers(MA)[0]
    _release(http, number)
    sandbox.advance(int(timedelta(days=46).total_seconds()))
    return http.get(f"/api/v1/Account/{MA}/inventory/numbers", params={"search": number})


@case(PURCHASE, 200, "by the master")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _purchase(http, sandbox.inventory_numbers("IN")[0])


@case(PURCHASE, 200, "by a sub-account, currency given")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _purchase(http, sandbox.inventory_numbers("US")[0], SALES, currency="USD")


@case(PURCHASE, 404, "not in inventory")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _purchase(http, sandbox.owned_numbers(SALES)[0])


@case(PURCHASE, 500, "failed debit")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.set_balance(0)
    return _purchase(http, sandbox.inventory_numbers("IN")[0])


@case(PURCHASE, 400, "malformed")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.post(f"/api/v1/Account/{MA}/numbers/purchase-from-inventory", json={"number": "+91"})


@case(RELEASE, 200, "pending_release")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _release(http, sandbox.owned_numbers(MA)[0])


@case(RELEASE, 200, "immediate")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _release(http, sandbox.owned_numbers(MA)[0], immediate="true")


@case(RELEASE, 403, "not owned")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _release(http, sandbox.inventory_numbers()[0])


@case(RELEASE, 404, "unknown")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _release(http, "+919999999999")


@case(RELEASE, 400, "already pending")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    pending = next(n["e164"] for n in sandbox.snapshot()["numbers"] if n["where"] == "pending_release")
    return _release(http, pending)


@case(CANCEL, 200, "refunded")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    number = sandbox.owned_numbers(MA)[0]
    _release(http, number)
    return _cancel(http, number)


@case(CANCEL, 200, "refund failed")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.configure(refund_fails=True)
    number = sandbox.owned_numbers(MA)[0]
    _release(http, number)
    return _cancel(http, number)


@case(CANCEL, 400, "not pending")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _cancel(http, sandbox.owned_numbers(MA)[0])


@case(CANCEL, 400, "after the cooldown")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    number = sandbox.owned_numbers(MA)[0]
    _release(http, number)
    sandbox.advance(86400)
    return _cancel(http, number)


@case(CANCEL, 401, "wrong token")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _cancel(http, sandbox.owned_numbers(MA)[0], headers={"X-Auth-Token": "wrong"})


@case(CANCEL, 403, "not owned")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _cancel(http, sandbox.inventory_numbers()[0])


@case(CANCEL, 404, "unknown")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _cancel(http, "+919999999999")


@case(ASSIGN, 200, "")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "POST", sandbox.owned_numbers(MA)[0], json={"sub_account_id": SALES})


@case(ASSIGN, 204, "switched on")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.configure(assign_status=204)
    return _assignment(http, "POST", sandbox.owned_numbers(MA)[0], json={"sub_account_id": SALES})


@case(ASSIGN, 404, "unknown sub-account")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "POST", sandbox.owned_numbers(MA)[0], json={"sub_account_id": "SA_NOBODY"})


@case(ASSIGN, 400, "without sub_account_id")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "POST", sandbox.owned_numbers(MA)[0], json={})


@case(UNASSIGN, 200, "")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "DELETE", sandbox.owned_numbers(SALES, recent_call=False)[0])


@case(UNASSIGN, 204, "switched on")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.configure(assign_status=204)
    return _assignment(http, "DELETE", sandbox.owned_numbers(SALES, recent_call=False)[0])


@case(UNASSIGN, 200, "forced by an admin")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "DELETE", sandbox.owned_numbers(SALES, recent_call=True)[0], params={"force": "true"})


@case(UNASSIGN, 403, "force without admin")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.set_admin(False)
    return _assignment(http, "DELETE", sandbox.owned_numbers(SALES, recent_call=True)[0], params={"force": "true"})


@case(UNASSIGN, 409, "cool-off")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    number = sandbox.owned_numbers(SALES)[0]
    sandbox.set_last_call(number, START - timedelta(days=1))
    return _assignment(http, "DELETE", number)


@case(UNASSIGN, 404, "not with a sub-account")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "DELETE", sandbox.owned_numbers(MA)[0])


@pytest.mark.parametrize("name", list(CASES))
def test_sandbox_answers_match_the_documented_schemas(
    name: str, sandbox: SandboxServer, sandbox_http: httpx.Client, fragments: Fragments
) -> None:
    spec = CASES[name]
    response = spec.make(sandbox, sandbox_http)
    assert response.status_code == spec.status, response.text
    fragments.endpoint(spec.filename).validate(spec.status, response)
    if spec.filename == PURCHASE and spec.status == 200:
        # The purchase fragment gives only an example; its `number` is a PhoneNumber, as the list has it.
        listing = fragments.endpoint(LIST)
        item_schema = listing.documented_schema(200)["properties"]["items"]["items"]  # type: ignore[index]
        validate_against(listing.spec, item_schema, response.json()["number"], "purchase 200 number")


def test_every_documented_status_of_the_seven_endpoints_is_exercised(fragments: Fragments) -> None:
    documented = {(filename, status) for filename in SEVEN for status in fragments.endpoint(filename).statuses}
    exercised = {(c.filename, c.status) for c in CASES.values()}
    assert documented - exercised == set()


# The harness really does reject what the fragments forbid ------------------------------------------------


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda item: item.update(setup_fee=1.5), "is not of type 'integer'"),
        (lambda item: item.update(application_id=None), "None for not nullable"),
        (lambda item: item.pop("purchased_at"), "'purchased_at' is a required property"),
        (lambda item: item["capabilities"].pop("fax"), "'fax' is a required property"),
    ],
)
def test_the_harness_rejects_a_broken_number(
    sandbox_http: httpx.Client, fragments: Fragments, change: Callable[[dict], Any], complaint: str
) -> None:
    body = sandbox_http.get(_numbers(), params={"per_page": 1}).json()
    change(body["items"][0])
    with pytest.raises(AssertionError, match=complaint):
        fragments.endpoint(LIST).validate(200, httpx.Response(200, json=body))


def test_the_harness_rejects_undocumented_shapes(fragments: Fragments) -> None:
    with pytest.raises(AssertionError, match="'error' is a required property"):
        fragments.endpoint(CANCEL).validate(404, httpx.Response(404, json={"message": "number not found"}))
    body = {"cancel_url": "/x", "cooldown_ends_at": "tomorrow", "message": "m", "release_fee": 1, "status": "s"}
    with pytest.raises(AssertionError, match="is not a 'date-time'"):
        fragments.endpoint(RELEASE).validate(200, httpx.Response(200, json=body))
    with pytest.raises(AssertionError, match="documented without a body"):
        fragments.endpoint(ASSIGN).validate(200, httpx.Response(200, json={"ok": True}))
    with pytest.raises(AssertionError, match="is not of type 'string'"):
        fragments.endpoint(RELEASE).validate(403, httpx.Response(403, json={"error": {"code": 403}}))


@pytest.mark.parametrize("missing", ["cool_off_until", "cool_off_remaining_seconds"])
def test_the_harness_requires_the_keys_of_a_documented_example_beside_its_schema(
    fragments: Fragments, missing: str
) -> None:
    """The cool-off 409's schema is the loose `Error`; its example is what clients rely on."""
    body = {"error": "did_cool_off_in_effect", "cool_off_until": "2026-06-09T10:00:00Z", "cool_off_remaining_seconds": 5}
    fragments.endpoint(UNASSIGN).validate(409, httpx.Response(409, json=body))
    del body[missing]
    with pytest.raises(AssertionError, match=f"'{missing}' is a required property"):
        fragments.endpoint(UNASSIGN).validate(409, httpx.Response(409, json=body))
