"""The project's Vobiz contract (`vobiz_contract.json`) agrees with the vendor's published OpenAPI fragments
when they are at hand (`<repo>/../shared/vobiz-openapi`, as on the team's machines and in CI), so drift
from Vobiz's schema is still caught; a clone alone skips that one test. The checker itself is tested on a
small fragment written here, so it runs everywhere."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from vobiz_agreement import VENDOR_DIR, Operation, disagreements, read_fragments
from vobiz_contract import CONTRACT, load


def test_the_contract_agrees_with_the_vendor_openapi_fragments() -> None:
    if not any(VENDOR_DIR.glob("*.yaml")):
        pytest.skip(f"no Vobiz OpenAPI fragments at {VENDOR_DIR} (only the team's machines and CI have ../shared)")
    fragments = read_fragments(VENDOR_DIR)
    assert len(fragments) == 7
    assert disagreements(fragments, CONTRACT) == []


# The checker, on a fragment of one made-up endpoint ---------------------------------------------------------

FRAGMENT = """
paths:
  /api/v1/account/{auth_id}/things/{e164}:
    delete:
      parameters:
        - $ref: '#/components/parameters/AuthId'
        - {name: e164, in: path, required: true, schema: {type: string}}
        - {name: force, in: query, schema: {type: boolean}}
      responses:
        '200':
          content:
            application/json:
              schema:
                type: object
                properties:
                  count: {type: integer}
                  label: {type: string, nullable: true}
                  ends_at: {type: string, format: date-time}
                  state: {type: string, enum: ['on', 'off']}
                required: [count]
              example: {count: 1, ends_at: '2026-07-21T09:18:26Z', state: 'on'}
        '204':
          description: no body
        '404':
          content:
            application/json:
              example: {error: {code: 404, message: not found}}
components:
  parameters:
    AuthId: {name: auth_id, in: path, required: true, schema: {type: string}}
"""

AGREEING = {
    "shapes": {},
    "endpoints": {
        "remove_thing": {
            "method": "DELETE",
            "path": "/api/v1/account/{auth_id}/things/{e164}",
            "path_params": {"auth_id": "string", "e164": "string"},
            "query": {"force": {"type": "boolean"}},
            "request_body": None,
            "responses": {
                "200": {
                    "source": "openapi",
                    "body": {
                        "fields": {
                            "count": "integer",
                            "label": {"type": "string", "nullable": True},
                            "ends_at": "date-time",
                            "state": {"type": "string", "enum": ["on", "off"]},
                        },
                        "required": ["count", "ends_at", "state"],
                    },
                },
                "204": {"source": "openapi", "body": None},
                "404": {
                    "source": "openapi",
                    "body": {
                        "fields": {
                            "error": {
                                "type": "object",
                                "fields": {"code": "number", "message": "string"},
                                "required": ["code", "message"],
                            }
                        },
                        "required": ["error"],
                    },
                },
                "401": {"source": "undocumented", "body": {"fields": {}, "required": []}},
            },
        }
    },
}


def _check(contract: dict[str, Any], tmp_path: Path) -> list[str]:
    spec = yaml.safe_load(FRAGMENT)
    fragments = {("DELETE", path): Operation("DELETE", path, spec) for path in spec["paths"]}
    (tmp_path / "contract.json").write_text(json.dumps(contract), encoding="utf-8")
    return disagreements(fragments, load(tmp_path / "contract.json"))


def _answer(contract: dict[str, Any], status: str) -> dict[str, Any]:
    return contract["endpoints"]["remove_thing"]["responses"][status]


def test_the_checker_accepts_a_contract_that_agrees(tmp_path: Path) -> None:
    assert _check(AGREEING, tmp_path) == []


def _inner_error(contract: dict[str, Any]) -> dict[str, Any]:
    return _answer(contract, "404")["body"]["fields"]["error"]


Change = Callable[[dict[str, Any]], Any]
DRIFTS: list[tuple[str, Change, str]] = [
    ("path casing", lambda c: c["endpoints"]["remove_thing"].update(path="/api/v1/Account/{auth_id}/things/{e164}"),
     "in the vendor's fragments, not in the contract"),
    ("a documented status missing", lambda c: c["endpoints"]["remove_thing"]["responses"].pop("204"),
     "documented statuses differ"),
    ("a type", lambda c: _answer(c, "200")["body"]["fields"].update(count="number"),
     "count: the vendor says integer, the contract number"),
    ("nullability", lambda c: _answer(c, "200")["body"]["fields"].update(label="string"),
     "label: nullable is True for the vendor"),
    ("date-time", lambda c: _answer(c, "200")["body"]["fields"].update(ends_at="string"),
     "ends_at: date-time is True for the vendor"),
    ("an enum", lambda c: _answer(c, "200")["body"]["fields"]["state"].update(enum=["on"]),
     "the vendor's enum is"),
    ("an example's key not required", lambda c: _answer(c, "200")["body"]["required"].remove("state"),
     "required keys differ: only the vendor's ['state']"),
    ("an invented field", lambda c: _answer(c, "200")["body"]["fields"].update(extra="string"),
     "fields differ: only the vendor's [], only the contract's ['extra']"),
    ("an example's nested key", lambda c: _inner_error(c).update(required=["code"]),
     "required keys differ"),
    ("an example's type", lambda c: _inner_error(c)["fields"].update(code="string"),
     "404.error.code: the vendor's example has integer, the contract says string"),
    ("a body where none is documented", lambda c: _answer(c, "204").update(body={"fields": {}, "required": []}),
     "204: a body for the contract only"),
    ("a query parameter's type", lambda c: c["endpoints"]["remove_thing"]["query"].update(force={"type": "string"}),
     "query parameters differ"),
]


@pytest.mark.parametrize(("change", "complaint"), [(c, m) for _, c, m in DRIFTS], ids=[n for n, _, _ in DRIFTS])
def test_the_checker_reports_drift(tmp_path: Path, change: Change, complaint: str) -> None:
    drifted = copy.deepcopy(AGREEING)
    change(drifted)
    problems = _check(drifted, tmp_path)
    assert any(complaint in problem for problem in problems), problems
