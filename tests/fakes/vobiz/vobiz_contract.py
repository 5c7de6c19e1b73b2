"""The project's own contract of the seven Vobiz endpoints (`vobiz_contract.json`, format described in its
`about`), and its translation into JSON Schema for validating answers.

    endpoint = CONTRACT.endpoint("cancel_release")
    endpoint.validate(404, response)        # fails (AssertionError) listing every problem
    endpoint.json_schema(200)               # None when documented without a body
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker

CONTRACT_FILE = Path(__file__).resolve().with_name("vobiz_contract.json")

SCALARS = {"string", "integer", "number", "boolean", "date-time", "any"}
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

# A field type or a body as the contract file writes it (a word, a shape name, or an object).
Spec = str | dict[str, Any]


def is_date_time(value: object) -> bool:
    """RFC 3339 (what OpenAPI's `date-time` means); non-strings are the `type` keyword's business."""
    if not isinstance(value, str):
        return True
    match = _RFC3339.match(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        datetime(year, month, day, hour, minute, min(second, 59))  # 60 is a leap second
    except ValueError:
        return False
    return second <= 60


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(is_date_time)


@dataclass(frozen=True)
class Answer:
    """One documented status of one endpoint."""

    status: int
    source: str  # "openapi" when the vendor's fragment documents it; else where it comes from
    body: Spec | None  # None: documented without a body


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    path_params: dict[str, Spec]
    query: dict[str, dict[str, Any]]
    request_body: Spec | None
    answers: dict[int, Answer]
    contract: Contract = field(repr=False, compare=False)

    @property
    def statuses(self) -> set[int]:
        return set(self.answers)

    def json_schema(self, status: int) -> dict[str, Any] | None:
        body = self.answers[status].body
        return None if body is None else self.contract.json_schema(body)

    def validate(self, status: int, response: httpx.Response) -> None:
        where = f"{self.method} {self.path} {status}"
        assert status in self.answers, f"{where} is not in the contract (tests/fakes/vobiz/vobiz_contract.json)"
        schema = self.json_schema(status)
        if schema is None:
            assert response.content == b"", f"{where} is documented without a body, got {response.text!r}"
            return
        validate_against(schema, response.json(), where)


@dataclass(frozen=True)
class Contract:
    shapes: dict[str, dict[str, Any]]
    endpoints: dict[str, Endpoint]

    def endpoint(self, name: str) -> Endpoint:
        return self.endpoints[name]

    def resolve(self, spec: Spec) -> dict[str, Any]:
        """A spec as an object: a word becomes {type}, a shape name becomes the shape's object body."""
        if isinstance(spec, str):
            if spec in SCALARS:
                return {"type": spec}
            if spec in self.shapes:
                return {"type": "object", **self.shapes[spec]}
            raise ValueError(f"unknown type {spec!r} in the contract")
        if "fields" in spec and "type" not in spec:
            return {"type": "object", **spec}
        if spec.get("type") in self.shapes:
            return {**self.resolve(spec["type"]), **{k: v for k, v in spec.items() if k != "type"}}
        return spec

    def json_schema(self, spec: Spec) -> dict[str, Any]:
        """The JSON Schema (2020-12) a value of this contract type must satisfy."""
        resolved = self.resolve(spec)
        kind = resolved["type"]
        if kind == "object":
            schema: dict[str, Any] = {
                "type": "object",
                "properties": {name: self.json_schema(field) for name, field in resolved["fields"].items()},
                "required": list(resolved.get("required", [])),
            }
            variants = resolved.get("variants")
            if variants:
                schema["anyOf"] = [{"required": keys} for keys in variants.values()]
        elif kind == "list":
            schema = {"type": "array", "items": self.json_schema(resolved["of"])}
        elif kind == "any":
            schema = {}
        elif kind == "date-time":
            schema = {"type": "string", "format": "date-time"}
        else:
            schema = {"type": kind}
        if "enum" in resolved:
            schema["enum"] = list(resolved["enum"]) + ([None] if resolved.get("nullable") else [])
        if resolved.get("nullable") and "type" in schema:
            schema["type"] = [schema["type"], "null"]
        return schema


def validate_against(schema: dict[str, Any], body: Any, where: str) -> None:
    """Fails listing every place `body` breaks `schema` (path inside the body, then jsonschema's message)."""
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or 'body'}: {error.message}" for error in validator.iter_errors(body)
    ]
    assert not problems, f"{where}: " + "; ".join(problems)


def load(path: Path = CONTRACT_FILE) -> Contract:
    raw = json.loads(path.read_text(encoding="utf-8"))
    endpoints: dict[str, Endpoint] = {}
    contract = Contract(shapes=raw["shapes"], endpoints=endpoints)
    for name, entry in raw["endpoints"].items():
        answers = {
            int(status): Answer(int(status), answer["source"], answer["body"])
            for status, answer in entry["responses"].items()
        }
        endpoints[name] = Endpoint(
            name=name,
            method=entry["method"],
            path=entry["path"],
            path_params=entry["path_params"],
            query=entry["query"],
            request_body=entry["request_body"],
            answers=answers,
            contract=contract,
        )
    return contract


CONTRACT = load()
