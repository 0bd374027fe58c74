"""Writing a problem from a blank page: a topic's field reference and a template to fill in.

Both are built from the topic's Spec (its fields, their order, defaults and descriptions) and
its JSON Schema (types and bounds in words), so a new topic has them without code of its own.
The template's values are those of the topic's example problem (``EXAMPLE``), which makes it
valid and solvable as written; fields the example leaves out are listed commented out.
"""

from __future__ import annotations

import textwrap
import typing
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .numbers import NUMBER_PATTERN, as_written
from .schema import model_schema
from .spec import ProblemBase
from .topics import models_in, tag_field, topic_module

WIDTH = 88  # columns of a template (a file, not the terminal)
COMMON = tuple(ProblemBase.model_fields)  # the fields every topic shares, listed after the topic's own
LEFT_OUT_OF_TEMPLATES = ("submitted",)  # the example's submitted answer is not part of a new problem


def _fields(model) -> list[str]:
    """A model's field names, the topic's own before the common ones (``topic`` first)."""
    names = list(model.model_fields)
    if not issubclass(model, ProblemBase):
        return names
    own = [n for n in names if n not in COMMON]
    return sorted(own, key=lambda n: n != "topic") + [n for n in names if n in COMMON]


@lru_cache(maxsize=None)
def _schema(model) -> dict[str, Any]:
    schema = model_schema(model)
    if "$ref" in schema:  # a recursive model (a residual block holds layers) is a reference to itself
        definitions = schema["$defs"]
        schema = {**definitions[schema["$ref"].rsplit("/", 1)[-1]], "$defs": definitions}
    return schema


# ---------------------------------------------------------------------------------------------
# Types and defaults in words


def type_text(node: dict[str, Any], definitions: dict[str, Any]) -> str:
    """A JSON Schema type in words: ``integer from 1 to 100,000``, ``list of 3 numbers``."""
    if "$ref" in node:
        return _type_of_definition(definitions.get(node["$ref"].rsplit("/", 1)[-1], {}))
    if "const" in node:
        return _scalar_text(node["const"])
    if "enum" in node:
        return "one of " + ", ".join(_scalar_text(v) for v in node["enum"])
    if "anyOf" in node:
        kinds = []
        for option in node["anyOf"]:
            if option.get("type") == "null" or option.get("pattern") == NUMBER_PATTERN:
                continue  # optional; a number may also be written as text ("7/15")
            text = type_text(option, definitions)
            if text not in kinds:
                kinds.append(text)
        text = " or ".join(kinds)
        return text if len(kinds) <= 3 and len(text) <= 90 else "value"
    if "allOf" in node:
        return "mapping"
    kind = node.get("type")
    if kind == "integer":
        return "integer" + _bounds(node)
    if kind == "number":
        return "number" + _bounds(node)
    if kind == "string":
        return "number" if node.get("pattern") == NUMBER_PATTERN else "text"
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        item = type_text(node.get("items", {}), definitions)
        low, high = node.get("minItems"), node.get("maxItems")
        if low is not None and low == high:
            count = f"{low} "
        elif high is not None:
            count = f"{low or 0} to {high:,} "
        elif low:
            count = f"{low} or more "
        else:
            count = ""
        return f"list of {count}{_plural(item)}"
    if kind == "object":
        values = node.get("additionalProperties")
        if isinstance(values, dict):
            return f"mapping of names to {_plural(type_text(values, definitions))}"
        return "mapping"
    return "value"


def _type_of_definition(node: dict[str, Any]) -> str:
    return "mapping" if node.get("type") == "object" or "allOf" in node else "value"


def _bounds(node: dict[str, Any]) -> str:
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None and high is not None:
        return f" from {low:,} to {high:,}"
    parts = []
    if low is not None:
        parts.append(f"≥ {low:,}")
    if "exclusiveMinimum" in node:
        parts.append(f"> {node['exclusiveMinimum']:,}")
    if high is not None:
        parts.append(f"≤ {high:,}")
    if "exclusiveMaximum" in node:
        parts.append(f"< {node['exclusiveMaximum']:,}")
    return " " + ", ".join(parts) if parts else ""


def _plural(text: str) -> str:
    head, _, rest = text.partition(" ")
    plural = {"integer": "integers", "number": "numbers", "text": "texts", "mapping": "mappings",
              "list": "lists", "value": "values"}.get(head)
    return f"{plural} {rest}".strip() if plural else text


def _scalar_text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return "null" if value is None else str(value)


def plain(value: Any) -> Any:
    """A value as a file writes it: exact fractions as decimals where they have a short one."""
    if isinstance(value, Fraction):
        return as_written(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if hasattr(value, "model_dump"):
        return plain(value.model_dump())
    return value


def yaml_text(value: Any) -> str:
    """A value in YAML flow style, on one line (``[64, 64, 3]``, ``{type: conv2d, kernel: 7}``)."""
    from .loader import flow_yaml

    return flow_yaml(plain(value))


def default_text(info) -> str | None:
    """A field's default in YAML, or None when it is required or has none worth stating."""
    if info.is_required():
        return None
    value = info.get_default(call_default_factory=True)
    if value is None or value == [] or value == {}:
        return None
    return yaml_text(value)


# ---------------------------------------------------------------------------------------------
# The models a field holds


def kinds_of(annotation) -> list[tuple[str | None, type]]:
    """The models a field may hold, each with the values of the tag that selects it (``conv2d``,
    ``max_pool/avg_pool``), or None for a model that is not one of a tagged union."""
    out = []
    for model in models_in(annotation):
        tag = tag_field(model)
        values = typing.get_args(model.model_fields[tag].annotation) if tag else ()
        out.append(("/".join(values) if values else None, model))
    return out


# ---------------------------------------------------------------------------------------------
# nnsolve topics TOPIC


def reference(topic: str, width: int = 80) -> str:
    """Every field of ``topic`` with its type, default and description, then the example file."""
    module = topic_module(topic)
    out = [*_wrap(f"{topic}: {module.SUMMARY}", width, ""), ""]
    out += _wrap("Fields, each with its type and default (required ones say so). A field that holds "
                 "several kinds of mapping lists each kind and its fields.", width, "")
    out.append("")
    _reference_fields(module.Spec, out, width, "", set())
    example = module.EXAMPLE
    out += ["", f"Example ({example}):", ""]
    try:
        from pathlib import Path

        source = Path(__file__).resolve().parent.parent / example
        out += ["    " + line if line else "" for line in source.read_text(encoding="utf-8").splitlines()]
    except OSError:
        out.append(f"    (not found: {example})")
    out += ["", f"Start a new problem from a template: nnsolve new {topic} -o FILE"]
    return "\n".join(out) + "\n"


def _reference_fields(model, out: list[str], width: int, indent: str, seen: set) -> None:
    schema = _schema(model)
    definitions = schema.get("$defs", {})
    tag = tag_field(model) if not issubclass(model, ProblemBase) else None
    for name in _fields(model):
        if name == tag:
            continue  # named in the kind's heading
        info = model.model_fields[name]
        node = schema["properties"].get(info.alias or name, {})
        default = default_text(info)
        state = "required" if info.is_required() else (f"default {default}" if default else "optional")
        out.append(f"{indent}{info.alias or name}  ({state})")
        out += _wrap(type_text(node, definitions), width, indent + "    ")
        out += _wrap(info.description or "", width, indent + "    ")
        kinds = [(t, m) for t, m in kinds_of(info.annotation) if m is not model]
        if kinds and all(kind in seen for _, kind in kinds):
            out += _wrap(f"each one of the kinds above ({tag_field(kinds[0][1])}: "
                         f"{', '.join(t or '' for t, _ in kinds)})", width, indent + "    ")
            continue
        for kind_tag, kind in kinds:
            if kind in seen:
                continue
            seen.add(kind)
            doc = " ".join((kind.__doc__ or "").strip().split("\n\n")[0].replace("``", "").split())
            heading = f"{tag_field(kind)}: {kind_tag}" + (f" — {doc}" if doc else "") if kind_tag else doc
            out.append("")
            out += _wrap(heading, width, indent + "    ")
            _reference_fields(kind, out, width, indent + "        ", seen)
        if kinds:
            out.append("")


def _wrap(text: str, width: int, indent: str) -> list[str]:
    if not text:
        return []
    return textwrap.wrap(text, width=max(width, len(indent) + 20), initial_indent=indent,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


# ---------------------------------------------------------------------------------------------
# nnsolve new TOPIC


def template(topic: str) -> str:
    """A problem file to fill in: every field with its description as a comment; the values of the
    topic's example problem where it sets them (so the file is valid as written), the others
    commented out with their default."""
    from pathlib import Path

    from .loader import parse

    module = topic_module(topic)
    source = Path(__file__).resolve().parent.parent / module.EXAMPLE
    example, _ = parse(source.read_text(encoding="utf-8"), module.EXAMPLE)
    out = [*_comment(f"A new {topic} problem: {module.SUMMARY}."),
           *_comment(f"Every field is listed, each with what it means. The values set are those of "
                     f"{module.EXAMPLE}; fields commented out take their default. Edit the values, then "
                     f"check and solve the file: nnsolve check FILE; nnsolve run FILE. All fields, "
                     f"with their types: nnsolve topics {topic}."), ""]
    spec = module.Spec
    schema = _schema(spec)
    definitions = schema.get("$defs", {})
    for name in _fields(spec):
        info = spec.model_fields[name]
        key = info.alias or name
        node = schema["properties"].get(key, {})
        default = default_text(info)
        state = "required" if info.is_required() else (f"default {default}" if default else "optional")
        kind = "" if name == "topic" else f"{type_text(node, definitions)}; "
        out += _comment(f"{info.description} ({kind}{state})")
        kinds = kinds_of(info.annotation)
        starred = False
        for kind_tag, model in kinds:
            fields = [f"{n}{'*' if model.model_fields[n].is_required() else ''}" for n in _fields(model)
                      if n != tag_field(model)]
            starred = starred or any(f.endswith("*") for f in fields)
            label = f"{tag_field(model)}: {kind_tag}: " if kind_tag else "fields: "
            out += _comment(f"{label}{', '.join(fields) or 'no other fields'}", "#     ")
        if kinds:
            note = "* required; the others have defaults" if starred else "each has a default"
            out += _comment(f"({note}: nnsolve topics {topic})", "#     ")
        if key in example and key not in LEFT_OUT_OF_TEMPLATES:
            out += _block(key, example[key])
        else:
            out.append(f"# {key}: {default if default is not None else '...'}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _comment(text: str, prefix: str = "# ") -> list[str]:
    return textwrap.wrap(text, width=WIDTH, initial_indent=prefix, subsequent_indent=prefix,
                         break_long_words=False, break_on_hyphens=False)


def _block(key: str, value: Any) -> list[str]:
    """``key: value`` as YAML: flow style when it fits a line, else a block list of flow items."""
    from .loader import block_yaml

    line = f"{key}: {yaml_text(value)}"
    if len(line) <= WIDTH:
        return [line]
    if isinstance(value, list):
        return [f"{key}:"] + [f"  - {yaml_text(item)}" for item in value]
    if isinstance(value, dict):
        return [f"{key}:"] + [f"  {k}: {yaml_text(v)}" for k, v in value.items()]
    return block_yaml({key: plain(value)}, WIDTH).rstrip("\n").splitlines()
