"""Read a problem file: safe YAML, with a line number for every field, into a validated spec.

The file is untrusted. Only PyYAML's SafeLoader composes it (no tags that build Python
objects), anchors and aliases are refused (no "billion laughs"), duplicate keys are errors,
and size, depth and node count are capped before anything is built from it.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from . import limits
from .errors import NnsolveError, ProblemFileError, SpecError
from .numbers import to_exact

Path_ = tuple[Any, ...]


class _Document:
    """Python data built from a YAML node tree, and the line each path starts on."""

    def __init__(self) -> None:
        self.lines: dict[Path_, int] = {}
        self.key_lines: dict[Path_, int] = {}
        self.nodes = 0

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > limits.MAX_YAML_NODES:
            raise SpecError(f"more than {limits.MAX_YAML_NODES:,} values in one file (nnsolve's cap)",
                            line=node.start_mark.line + 1)
        if depth > limits.MAX_YAML_DEPTH:
            raise SpecError(f"nested more than {limits.MAX_YAML_DEPTH} levels deep (nnsolve's cap)",
                            line=node.start_mark.line + 1, field=_field(path) or None)
        self.lines[path] = node.start_mark.line + 1
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            raise SpecError(f"the YAML tag {node.tag!r} is not allowed", line=node.start_mark.line + 1,
                            field=_field(path) or None)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise SpecError("a key must be a plain name, not a list or mapping",
                                    line=key_node.start_mark.line + 1, field=_field(path) or None)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise SpecError("merge keys (<<) are not allowed", line=key_node.start_mark.line + 1)
                key = key_node.value
                if key in out:
                    raise SpecError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1,
                                    field=_field(path + (key,)))
                self.key_lines[path + (key,)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return _scalar(node, path)


_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _scalar(node: yaml.ScalarNode, path: Path_) -> Any:
    """Build one scalar with the safe resolver; floats keep the exact value their text denotes."""
    tag = node.tag
    if tag == "tag:yaml.org,2002:float":
        text = node.value.replace("_", "")
        low = text.lower()
        if low in (".nan", ".inf", "+.inf", "-.inf"):
            raise SpecError("must be a finite number (NaN and infinity are not allowed)",
                            line=node.start_mark.line + 1, field=_field(path) or None)
        try:
            return to_exact(text)
        except ValueError:
            return float(text)
    if tag == "tag:yaml.org,2002:int":
        text = node.value.replace("_", "")
        if len(text) > 60:
            raise SpecError("a number with more than 60 digits is refused",
                            line=node.start_mark.line + 1, field=_field(path) or None)
    constructor = yaml.SafeLoader.yaml_constructors.get(tag)
    if constructor is None or tag.startswith("tag:yaml.org,2002:python"):
        raise SpecError(f"the YAML tag {tag!r} is not allowed",
                        line=node.start_mark.line + 1, field=_field(path) or None)
    if tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
        return node.value  # kept as text: nnsolve has no dates or binary fields
    return constructor(yaml.SafeLoader(""), node)


def _field(path: Path_) -> str:
    """``('layers', 2, 'kernel')`` → ``layers[2].kernel``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that stops at the first anchor or alias instead of sharing nodes."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise SpecError("YAML aliases (*name) are not allowed in problem files",
                            line=event.start_mark.line + 1)
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise SpecError("YAML anchors (&name) are not allowed in problem files",
                            line=event.start_mark.line + 1)
        return super().compose_node(parent, index)


def read_text(path: str) -> str:
    """Read a problem file as UTF-8 text, within the size cap."""
    if os.path.isdir(path):
        raise ProblemFileError("is a directory, not a problem file", file=path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ProblemFileError("no such file", file=path) from None
    except OSError as exc:
        raise ProblemFileError(f"cannot read: {exc.strerror or exc}", file=path) from None
    if len(data) > limits.MAX_FILE_BYTES:
        raise ProblemFileError(f"larger than {limits.MAX_FILE_BYTES // 1024} KiB (nnsolve's cap for a problem file)",
                               file=path)
    if b"\x00" in data:
        raise ProblemFileError("is a binary file, not YAML text", file=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProblemFileError("is not UTF-8 text", file=path, line=line) from None


def parse(text: str, file: str = "<string>") -> tuple[dict[str, Any], _Document]:
    """Parse YAML text into a mapping plus the line of every field path."""
    loader = _NoAliasLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except SpecError as exc:
            raise exc.located(file=file) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = (exc.problem or exc.context or "invalid YAML").strip()
            if "'\\t'" in problem or "tab" in problem:
                problem = "a tab character cannot indent YAML; use spaces"
            raise ProblemFileError(f"invalid YAML: {problem}", file=file,
                                   line=mark.line + 1 if mark else None) from None
        except yaml.YAMLError as exc:
            raise ProblemFileError(f"invalid YAML: {exc}", file=file) from None
        except RecursionError:
            raise ProblemFileError(f"nested more than {limits.MAX_YAML_DEPTH} levels deep (nnsolve's cap)",
                                   file=file) from None
    finally:
        loader.dispose()
    if node is None:
        raise ProblemFileError("is empty: a problem file needs at least a 'topic' field", file=file)
    doc = _Document()
    try:
        data = doc.build(node, (), 0)
    except SpecError as exc:
        raise exc.located(file=file) from None
    except RecursionError:
        raise ProblemFileError(f"nested more than {limits.MAX_YAML_DEPTH} levels deep (nnsolve's cap)",
                               file=file) from None
    if not isinstance(data, dict):
        raise SpecError("a problem file must be a mapping of fields (topic: ..., ...)", file=file, line=1)
    return data, doc


def _strip_loc(loc: tuple[Any, ...], data: Any) -> Path_:
    """Drop the parts of a pydantic error location that are not in the data (union tags, validators)."""
    path: list[Any] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and part == loc[-1]:
            path.append(part)  # a missing or extra field: name it, its parent gives the line
            current = None
    return tuple(path)


def _message(err: dict[str, Any], known_fields: list[str]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        close = difflib.get_close_matches(name, known_fields, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown field{hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be an integer"
    if kind == "greater_than_equal":
        if ctx.get("ge") == 1 and isinstance(err.get("input"), int):
            return "must be a positive integer"
        return f"must be at least {ctx.get('ge')}"
    if kind == "greater_than":
        if ctx.get("gt") == 0:
            return "must be positive"
        return f"must be greater than {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le'):,} (nnsolve's cap)" if isinstance(ctx.get("le"), int) else f"must be at most {ctx.get('le')}"
    if kind == "less_than":
        return f"must be less than {ctx.get('lt')}"
    if kind in ("string_type",):
        return "must be text"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping of fields"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "union_tag_invalid":
        return f"unknown {ctx.get('discriminator', 'tag').strip(chr(39))} {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "is required but missing"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length'):,} characters"
    if kind == "too_long":
        return f"has more than {ctx.get('max_length'):,} items"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in ("value_error", "assertion_error"):
        msg = str(ctx.get("error", err["msg"]))
        return msg.removeprefix("Value error, ")
    msg = str(err["msg"])
    return msg[:1].lower() + msg[1:]


def validation_error(exc: ValidationError, data: dict[str, Any], doc: _Document, file: str) -> SpecError:
    """Turn pydantic's errors into one SpecError: the first error by line, with the count of the rest."""
    errors = []
    for err in exc.errors(include_url=False):
        path = _strip_loc(tuple(err["loc"]), data)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            tag = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
            if tag and not (path and path[-1] == tag):
                path = path + (tag,)
        if err["type"] == "extra_forbidden":
            line = doc.key_lines.get(path) or doc.lines.get(path[:-1])
        else:
            line = doc.lines.get(path)
            probe = path
            while line is None and probe:
                probe = probe[:-1]
                line = doc.lines.get(probe)
        parent = _value_at(data, path[:-1])
        known = list(parent.keys()) if isinstance(parent, dict) else []
        errors.append((line or 1, _field(path) or "topic", _message(err, _known_fields(exc, err, known)),
                       err["type"] == "missing"))
    # One error per field (a union reports one per alternative), unknown fields before
    # missing ones (a misspelt key explains the missing field), then in file order.
    by_field: dict[str, tuple[int, int, str]] = {}
    for line, field, message, missing in errors:
        by_field.setdefault(field, (missing, line, message))
    ordered = sorted(by_field.items(), key=lambda item: item[1][:2])
    field, (_, line, message) = ordered[0]
    if len(ordered) > 1:
        message += f" (and {len(ordered) - 1} more error{'s' if len(ordered) > 2 else ''})"
    return SpecError(message, file=file, line=line, field=field)


def _known_fields(exc: ValidationError, err: dict[str, Any], present: list[str]) -> list[str]:
    from .topics import all_field_names

    return all_field_names()


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


@dataclass(frozen=True)
class Loaded:
    """A validated problem, with where it came from so later errors can name a line."""

    spec: Any
    file: str
    lines: dict[str, int]

    def locate(self, exc: NnsolveError) -> NnsolveError:
        """Fill in the file, and the line of the error's field when the file has it."""
        exc.located(file=self.file)
        if exc.line is None and exc.field:
            exc.line = self.lines.get(exc.field)
        return exc


def load_text(text: str, file: str = "<string>") -> Loaded:
    """Validate YAML text as a problem; raise ProblemFileError or SpecError with file and line."""
    from .topics import PROBLEM_ADAPTER

    data, doc = parse(text, file)
    try:
        spec = PROBLEM_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise validation_error(exc, data, doc, file) from None
    return Loaded(spec, file, {_field(path): line for path, line in doc.lines.items()})


def load(path: str) -> Loaded:
    """Read and validate one problem file."""
    return load_text(read_text(path), file=path)
