"""Does the project's Vobiz contract agree with the vendor's OpenAPI fragments? Both sides are reduced to
the same small description (`Shape`) and compared: same paths (exact casing) and methods, same path and
query parameters, same request body, same documented statuses, and for each documented body the same
required keys, field names, types, nullability, `date-time` formats and enums.

How the fragments are read (the rules the schema harness held before the contract existed):
- A response with a `schema` and examples requires the keys of one of its examples as well.
- A response with examples only is described by them: their keys required, their values' JSON types
  (an example's integer also agrees with a contract `number`, its string with `date-time` or an enum).
- A response with no content is a body-less status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from vobiz_contract import Contract, Endpoint, Spec

REPO = Path(__file__).resolve().parents[3]
VENDOR_DIR = REPO.parent / "shared" / "vobiz-openapi"
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Shape:
    kind: str  # object, array, string, integer, number, boolean, any
    nullable: bool = False
    date_time: bool = False
    enum: frozenset[Any] | None = None
    fields: Mapping[str, Shape] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    variants: frozenset[frozenset[str]] = frozenset()  # key sets of which a body carries one whole
    items: Shape | None = None
    from_example: bool = False  # read off an example value, so only its JSON type is known


Keys = tuple[frozenset[str], frozenset[frozenset[str]]]


def _keyed(required: Iterable[str], variants: Iterable[Iterable[str]]) -> Keys:
    """One spelling for "required keys, plus one of these key sets": a single set is simply required."""
    base = frozenset(required)
    rest = frozenset(frozenset(keys) - base for keys in variants) - {frozenset()}
    if len(rest) == 1:
        return base | next(iter(rest)), frozenset()
    return base, rest


# The vendor side -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str
    spec: dict[str, Any]  # the whole fragment, for `$ref`s

    @property
    def raw(self) -> dict[str, Any]:
        return self.spec["paths"][self.path][self.method.lower()]

    def deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def parameters(self, where: str) -> dict[str, str]:
        params = [self.deref(p) for p in self.raw.get("parameters", [])]
        return {p["name"]: p.get("schema", {}).get("type", "any") for p in params if p["in"] == where}

    def request_body(self) -> Shape | None:
        body = self.raw.get("requestBody")
        if body is None:
            return None
        return self.shape(self.deref(body)["content"]["application/json"]["schema"])

    def statuses(self) -> set[int]:
        return {int(status) for status in self.raw["responses"]}

    def body(self, status: int) -> Shape | None:
        """None: documented without a body."""
        content = self.deref(self.raw["responses"][str(status)]).get("content", {}).get("application/json")
        if content is None:
            return None
        examples = [content["example"]] if "example" in content else []
        examples += [self.deref(entry)["value"] for entry in content.get("examples", {}).values()]
        if "schema" not in content:
            assert examples, f"{self.method} {self.path} {status} has neither a schema nor an example"
            return merge_examples([example_shape(example) for example in examples])
        documented = self.shape(content["schema"])
        if documented.kind != "object" or not examples:
            return documented
        fields = dict(documented.fields)
        for example in examples:
            for key, value in example.items():
                fields.setdefault(key, example_shape(value))
        required, variants = _keyed(documented.required, (example.keys() for example in examples))
        return Shape("object", fields=fields, required=required, variants=variants, nullable=documented.nullable)

    def shape(self, schema: dict[str, Any]) -> Shape:
        schema = self.deref(schema)
        kind = schema.get("type", "any")
        nullable = bool(schema.get("nullable", False))
        enum = frozenset(schema["enum"]) if "enum" in schema else None
        if kind == "object":
            fields = {name: self.shape(child) for name, child in schema.get("properties", {}).items()}
            return Shape("object", nullable=nullable, fields=fields, required=frozenset(schema.get("required", [])))
        if kind == "array":
            return Shape("array", nullable=nullable, items=self.shape(schema.get("items", {})))
        return Shape(kind, nullable=nullable, date_time=schema.get("format") == "date-time", enum=enum)


def example_shape(value: Any) -> Shape:
    if isinstance(value, dict):
        fields = {key: example_shape(item) for key, item in value.items()}
        return Shape("object", fields=fields, required=frozenset(value), from_example=True)
    if isinstance(value, list):
        return Shape("array", items=example_shape(value[0]) if value else None, from_example=True)
    if value is None:
        return Shape("any", nullable=True, from_example=True)
    kind = {bool: "boolean", int: "integer", float: "number"}.get(type(value), "string")
    return Shape(kind, from_example=True)


def merge_examples(shapes: list[Shape]) -> Shape:
    """Several examples of one status: keys every one has are required, the rest are variants."""
    if len(shapes) == 1:
        return shapes[0]
    fields: dict[str, Shape] = {}
    for shape in shapes:
        fields.update({key: child for key, child in shape.fields.items() if key not in fields})
    common = frozenset.intersection(*(shape.required for shape in shapes))
    required, variants = _keyed(common, (shape.required for shape in shapes))
    return Shape("object", fields=fields, required=required, variants=variants, from_example=True)


def read_fragments(directory: Path) -> dict[tuple[str, str], Operation]:
    """(METHOD, path) -> the operation, for every operation of every `*.yaml` in `directory`."""
    found: dict[tuple[str, str], Operation] = {}
    for file in sorted(directory.glob("*.yaml")):
        spec = yaml.safe_load(file.read_text(encoding="utf-8"))
        for path, operations in spec["paths"].items():
            for method in operations:
                if method in METHODS:
                    found[(method.upper(), path)] = Operation(method.upper(), path, spec)
    return found


# The project's side ----------------------------------------------------------------------------------------


def contract_shape(contract: Contract, spec: Spec) -> Shape:
    resolved = contract.resolve(spec)
    kind = resolved["type"]
    nullable = bool(resolved.get("nullable", False))
    enum = frozenset(resolved["enum"]) if "enum" in resolved else None
    if kind == "object":
        fields = {name: contract_shape(contract, child) for name, child in resolved["fields"].items()}
        required, variants = _keyed(resolved.get("required", []), resolved.get("variants", {}).values())
        return Shape("object", nullable=nullable, fields=fields, required=required, variants=variants)
    if kind == "list":
        return Shape("array", nullable=nullable, items=contract_shape(contract, resolved["of"]))
    if kind == "date-time":
        return Shape("string", nullable=nullable, date_time=True, enum=enum)
    return Shape(kind, nullable=nullable, enum=enum)


# The comparison --------------------------------------------------------------------------------------------


def differences(theirs: Shape, ours: Shape, where: str) -> list[str]:
    """How `ours` (the contract) departs from `theirs` (the vendor); [] when they agree."""
    if theirs.from_example:
        return _differences_from_example(theirs, ours, where)
    if theirs.kind != ours.kind:
        return [f"{where}: the vendor says {theirs.kind}, the contract {ours.kind}"]
    problems = []
    if theirs.nullable != ours.nullable:
        problems.append(f"{where}: nullable is {theirs.nullable} for the vendor, {ours.nullable} in the contract")
    if theirs.date_time != ours.date_time:
        problems.append(f"{where}: date-time is {theirs.date_time} for the vendor, {ours.date_time} in the contract")
    if theirs.enum is not None and theirs.enum != ours.enum:
        problems.append(f"{where}: the vendor's enum is {sorted(theirs.enum)}, the contract's {_sorted(ours.enum)}")
    if theirs.kind == "object":
        if set(theirs.fields) != set(ours.fields):
            problems.append(f"{where}: fields differ: {_one_sided(theirs.fields, ours.fields)}")
        problems += _keys(theirs, ours, where)
        for name in sorted(set(theirs.fields) & set(ours.fields)):
            problems += differences(theirs.fields[name], ours.fields[name], f"{where}.{name}")
    if theirs.kind == "array" and theirs.items is not None and ours.items is not None:
        problems += differences(theirs.items, ours.items, f"{where}[]")
    return problems


def _differences_from_example(theirs: Shape, ours: Shape, where: str) -> list[str]:
    agrees = {
        "integer": ours.kind in ("integer", "number"),
        "any": ours.nullable or ours.kind == "any",  # an example's null
    }.get(theirs.kind, theirs.kind == ours.kind)
    if not agrees:
        return [f"{where}: the vendor's example has {theirs.kind}, the contract says {ours.kind}"]
    problems = []
    if theirs.kind == "object":
        missing = sorted(set(theirs.fields) - set(ours.fields))
        if missing:
            problems.append(f"{where}: the vendor's example has fields the contract lacks: {missing}")
        problems += _keys(theirs, ours, where)
        for name in sorted(set(theirs.fields) & set(ours.fields)):
            problems += differences(theirs.fields[name], ours.fields[name], f"{where}.{name}")
    if theirs.kind == "array" and theirs.items is not None and ours.items is not None:
        problems += differences(theirs.items, ours.items, f"{where}[]")
    return problems


def _keys(theirs: Shape, ours: Shape, where: str) -> list[str]:
    problems = []
    if theirs.required != ours.required:
        problems.append(f"{where}: required keys differ: {_one_sided(theirs.required, ours.required)}")
    if theirs.variants != ours.variants:
        vendor, contract = ([sorted(keys) for keys in side] for side in (theirs.variants, ours.variants))
        problems.append(f"{where}: one-of key sets differ: vendor {sorted(vendor)}, contract {sorted(contract)}")
    return problems


def _one_sided(theirs: Iterable[str], ours: Iterable[str]) -> str:
    vendor, contract = set(theirs), set(ours)
    return f"only the vendor's {sorted(vendor - contract)}, only the contract's {sorted(contract - vendor)}"


def _sorted(values: frozenset[Any] | None) -> list[Any] | None:
    return None if values is None else sorted(values)


def endpoint_differences(theirs: Operation, ours: Endpoint) -> list[str]:
    where = f"{ours.method} {ours.path}"
    contract = ours.contract
    problems = []
    for kind, mine in (("path", ours.path_params), ("query", {k: v["type"] for k, v in ours.query.items()})):
        vendor = theirs.parameters(kind)
        if vendor != {name: contract.resolve(spec)["type"] for name, spec in mine.items()}:
            problems.append(f"{where}: {kind} parameters differ: vendor {vendor}, contract {mine}")
    vendor_body = theirs.request_body()
    if (vendor_body is None) != (ours.request_body is None):
        problems.append(f"{where}: request body is {'absent' if vendor_body is None else 'present'} for the vendor")
    elif vendor_body is not None and ours.request_body is not None:
        problems += differences(vendor_body, contract_shape(contract, ours.request_body), f"{where} request body")
    documented = {status for status, answer in ours.answers.items() if answer.source == "openapi"}
    if theirs.statuses() != documented:
        vendor_statuses = sorted(theirs.statuses())
        problems.append(f"{where}: documented statuses differ: vendor {vendor_statuses}, contract {sorted(documented)}")
    for status in sorted(theirs.statuses() & documented):
        vendor_answer, our_answer = theirs.body(status), ours.answers[status].body
        if (vendor_answer is None) != (our_answer is None):
            side = "the contract" if vendor_answer is None else "the vendor"
            problems.append(f"{where} {status}: a body for {side} only")
        elif vendor_answer is not None and our_answer is not None:
            problems += differences(vendor_answer, contract_shape(contract, our_answer), f"{where} {status}")
    return problems


def disagreements(fragments: Mapping[tuple[str, str], Operation], contract: Contract) -> list[str]:
    """Every way the contract departs from the fragments; [] when they agree."""
    ours = {(endpoint.method, endpoint.path): endpoint for endpoint in contract.endpoints.values()}
    problems = [f"{m} {p}: in the vendor's fragments, not in the contract" for m, p in sorted(fragments.keys() - ours)]
    problems += [f"{m} {p}: in the contract, not in the vendor's fragments" for m, p in sorted(ours.keys() - fragments)]
    for key in sorted(set(fragments) & set(ours)):
        problems += endpoint_differences(fragments[key], ours[key])
    return problems
