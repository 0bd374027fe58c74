"""The JSON Schema of problem files, as standard validators read it (draft 2020-12).

pydantic writes a tagged union as ``oneOf`` plus OpenAPI's ``discriminator`` keyword, which
standard validators ignore: they then try every alternative and report the errors of all of
them. Here a tagged union is written as ``if``/``then`` on its tag instead (``topic``, a layer's
``type``), so a validator checks a file only against the alternative it names and reports
errors at the field they are about. Defaults are written as the numbers a file would state.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from .numbers import as_written

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TAG_DESCRIPTION = "which of the forms below this is"


class SchemaGenerator(GenerateJsonSchema):
    """pydantic's generator with standard tagged unions, plain defaults and no generated titles."""

    def tagged_union_schema(self, schema) -> dict[str, Any]:
        tag = schema["discriminator"]
        if not isinstance(tag, str):  # a callable or nested discriminator: pydantic's own form
            return super().tagged_union_schema(schema)
        alternatives: dict[str, tuple[dict, list]] = {}  # one entry per model, with all the tags it takes
        for value, choice in schema["choices"].items():
            generated = self.generate_inner(choice)
            key = json.dumps(generated, sort_keys=True)
            alternatives.setdefault(key, (generated, []))[1].append(value)
        tags = [value for _, values in alternatives.values() for value in values]
        branches = []
        for generated, values in alternatives.values():
            test = {"const": values[0]} if len(values) == 1 else {"enum": values}
            branches.append({"if": {"properties": {tag: test}, "required": [tag]}, "then": generated})
        return {"type": "object", "required": [tag],
                "properties": {tag: {"enum": tags, "description": TAG_DESCRIPTION}},
                "allOf": branches}

    def generate(self, schema, mode="validation"):
        return _standard_bounds(super().generate(schema, mode))

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def encode_default(self, dft: Any) -> Any:
        return plain_default(super().encode_default(dft) if not isinstance(dft, Fraction) else dft)


_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def _standard_bounds(node: Any) -> Any:
    """A bound on a real number (``Field(gt=0)``) comes from pydantic as a non-standard ``gt`` beside
    the number-or-text ``anyOf``; it becomes ``exclusiveMinimum`` on the number."""
    if isinstance(node, list):
        return [_standard_bounds(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _standard_bounds(v) for k, v in node.items()}
    bounds = {_BOUNDS[k]: node.pop(k) for k in list(node) if k in _BOUNDS}
    if bounds:
        node["anyOf"] = [{**branch, **bounds} if branch.get("type") == "number" else branch
                         for branch in node["anyOf"]]
    return node


def plain_default(value: Any) -> Any:
    """A default as a file writes it: 0.9 rather than "9/10" (a fraction with no short decimal stays text)."""
    if isinstance(value, Fraction):
        return as_written(value)
    if isinstance(value, str) and "/" in value:
        try:
            return plain_default(Fraction(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return [plain_default(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_default(v) for k, v in value.items()}
    return value


def problem_schema() -> dict[str, Any]:
    """The whole problem-file format: every topic, selected by ``topic``."""
    from .topics import problem_adapter

    document = problem_adapter().json_schema(schema_generator=SchemaGenerator)
    document["properties"]["topic"]["description"] = "which solver reads the file (nnsolve topics lists them)"
    document = _short_definition_names(_without_unused_definitions(document))
    return {"$schema": DIALECT, "title": "nnsolve problem file", **document}


def model_schema(model) -> dict[str, Any]:
    """The schema of one model (a topic's Spec, a layer), with its own ``$defs``."""
    return model.model_json_schema(schema_generator=SchemaGenerator)


def _without_unused_definitions(document: dict[str, Any]) -> dict[str, Any]:
    """Drop ``$defs`` entries nothing refers to (a topic may replace part of its generated schema)."""
    definitions = document.get("$defs", {})
    used: set[str] = set()
    pending = [{k: v for k, v in document.items() if k != "$defs"}]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name not in used and name in definitions:
                    used.add(name)
                    pending.append(definitions[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    if definitions:
        document = {**document, "$defs": {k: v for k, v in definitions.items() if k in used}}
    return document


def _short_definition_names(document: dict[str, Any]) -> dict[str, Any]:
    """``nnsolve__topics__svm__Spec`` (pydantic's name for one of several ``Spec``) → ``svm.Spec``."""
    renames = {name: ".".join(name.split("__")[-2:]) for name in document.get("$defs", {}) if "__" in name}
    if not renames:
        return document
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"#/$defs/{old}"', f'"#/$defs/{new}"')
    document = json.loads(text)
    document["$defs"] = {renames.get(k, k): v for k, v in document["$defs"].items()}
    return document


def walk_properties(document: dict[str, Any]):
    """Every ``(path, name, property schema)`` of a schema, for checks such as "every property is described"."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                yield path, name, prop
            for key, value in node.items():
                if key != "if":  # an if's properties are a test on the tag, not fields
                    pending.append((f"{path}/{key}", value))
        elif isinstance(node, list):
            pending.extend((f"{path}/{i}", v) for i, v in enumerate(node))
