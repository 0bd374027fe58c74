"""Field paths (``layers[0].filters``) and question templates (``a {input[0]}×{input[1]} image``).

A problem file with a ``vary`` section names fields by path, and its question refers to them
by placeholders. Both are untrusted text: a path is parsed by the small grammar below (names
and list indices, nothing else: no attributes, calls or expressions) and looked up in the
parsed YAML data; a placeholder is replaced by the plain text of the value it names. Nothing
is evaluated, and ``str.format`` never sees the text.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from typing import Any

from . import limits
from .errors import SpecError
from .numbers import plain

Path = tuple[str | int, ...]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"\[(0|[1-9][0-9]{0,5})\]")


def parse_path(text: str) -> Path:
    """``layers[0].filters`` → ``("layers", 0, "filters")``; ValueError for anything else."""
    if len(text) > limits.MAX_FIELD_PATH_CHARS:
        raise ValueError(f"a field path longer than {limits.MAX_FIELD_PATH_CHARS} characters "
                         f"(nnsolve's cap MAX_FIELD_PATH_CHARS)")
    parts: list[str | int] = []
    at = 0
    while at < len(text):
        if parts and text[at] == ".":
            at += 1
        elif parts and text[at] == "[":
            index = _INDEX.match(text, at)
            if index is None:
                raise ValueError(f"{text!r} is not a field path: an index is a whole number in brackets, "
                                 "as in input[0]")
            parts.append(int(index.group(1)))
            at = index.end()
            continue
        elif parts:
            raise ValueError(f"{text!r} is not a field path: expected '.' or '[' after {path_text(tuple(parts))}")
        name = _NAME.match(text, at)
        if name is None:
            raise ValueError(f"{text!r} is not a field path such as input[0] or layers[0].filters")
        parts.append(name.group())
        at = name.end()
    if not parts:
        raise ValueError("an empty field path")
    return tuple(parts)


def path_text(path: Path) -> str:
    """``("layers", 0, "filters")`` → ``layers[0].filters`` (the loader's spelling of a field)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def lookup(data: Any, path: Path) -> Any:
    """The value at ``path`` in parsed YAML data; LookupError saying what is there instead."""
    current = data
    for depth, part in enumerate(path):
        where = path_text(path[:depth])
        if isinstance(part, int):
            if not isinstance(current, list):
                raise LookupError(f"{where} is not a list, so {path_text(path[:depth + 1])} names nothing")
            if part >= len(current):
                raise LookupError(f"{where} has {len(current)} item{'s' if len(current) != 1 else ''}, "
                                  f"so there is no {path_text(path[:depth + 1])}")
        else:
            if not isinstance(current, Mapping):
                raise LookupError(f"{where} is not a mapping of fields, so {path_text(path[:depth + 1])} names nothing")
            if part not in current:
                close = difflib.get_close_matches(part, [str(k) for k in current], n=1)
                hint = f"; did you mean {path_text(path[:depth] + (close[0],))}?" if close else ""
                inside = f" in {where}" if where else ""
                raise LookupError(f"there is no field {part!r}{inside} in this file{hint}")
        current = current[part]
    return current


def assign(data: Any, path: Path, value: Any) -> None:
    """Set the value at an existing ``path`` (checked with ``lookup`` first)."""
    parent = lookup(data, path[:-1])
    parent[path[-1]] = copy.deepcopy(value)


# ---------------------------------------------------------------------------------------------
# Placeholders: {path} is the value's text; {{ and }} are literal braces.

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def fill(template: str, data: Any) -> str:
    """The template with every ``{path}`` replaced by the plain text of that field's value.

    ValueError (one sentence) for an unknown field, a malformed placeholder or a stray brace.
    """
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        if match.group(1) is None:
            nested = re.match(r"\{[^{}]*\{", template[match.start():])
            if token == "{" and nested is not None:  # {input[0]:{width}}: a format specification's nesting
                raise ValueError(f"a brace inside the placeholder at character {match.start() + 1} "
                                 f"({nested.group()!r}…): a placeholder is only a field path, as in {{input[0]}}; "
                                 "write {{ and }} for literal braces")
            raise ValueError(f"a single {token!r} at character {match.start() + 1}: write {token * 2} for a "
                             "literal brace, or {field} for a field's value")
        inside = match.group(1).strip()
        try:
            value = lookup(data, parse_path(inside))
        except (ValueError, LookupError) as exc:
            raise ValueError(f"the placeholder {{{inside}}} names no field of this problem: {exc}") from None
        if not _is_value(value):
            raise ValueError(f"the placeholder {{{inside}}} names a group of fields, not a value "
                             "(a number, a label, a vector or a matrix)")
        return value if isinstance(value, str) else plain(value)

    return _PLACEHOLDER.sub(replace, template)


def unshown(template: str, keys) -> list[str]:
    """The varied fields (``keys``) that no placeholder of the template shows, whole or in part
    (``{input}`` shows ``input[0]``; ``{input[0]}`` shows part of ``input``)."""
    shown = []
    for match in _PLACEHOLDER.finditer(template):
        if match.group(1) is not None:
            try:
                shown.append(parse_path(match.group(1).strip()))
            except ValueError:
                pass  # check_vary has refused it already
    out = []
    for key in keys:
        path = parse_path(key)
        if not any(path[:len(p)] == p[:len(path)] for p in shown):
            out.append(key)
    return out


def _is_value(value: Any, depth: int = 0) -> bool:
    """A number, a label, or a vector or matrix of them: what a placeholder can show."""
    if isinstance(value, list):
        return depth < 2 and all(_is_value(v, depth + 1) for v in value)
    return not isinstance(value, Mapping)


# Fields nnsolve vary writes itself in every variant, and why.
_WRITTEN_BY_VARY = {
    "id": "each variant gets its own (s03-v001, from the template's id)",
    "title": "each variant gets its own (the template's, with \"(variant 1)\")",
    "question": "it is filled from its placeholders: write {field} in it where a drawn value goes",
    "choices": "nnsolve vary makes each variant's options (the right answer and its mistakes' answers)",
    "submitted": "a variant has no submitted answer (nnsolve vary leaves it out)",
}


def check_vary(spec: Any, data: dict, lines: Mapping[str, int], file: str) -> Any:
    """Check a file's ``vary`` section against its data, and fill its question's placeholders
    with the values written in the file (so ``nnsolve run`` shows the question it states).

    Raises SpecError naming ``vary.PATH`` (or ``question``) and its line.
    """
    vary = spec.vary
    paths: dict[str, Path] = {}
    for key in vary:
        field = f"vary.{key}"
        try:
            path = parse_path(key)
            lookup(data, path)
        except ValueError as exc:
            raise SpecError(str(exc), file=file, line=lines.get(field), field=field) from None
        except LookupError as exc:
            raise SpecError(f"{exc.args[0]} (a varied field must be written out in the file)",
                            file=file, line=lines.get(field), field=field) from None
        if path[0] in ("vary", "variant", "topic"):
            raise SpecError(f"{path[0]} cannot be varied", file=file, line=lines.get(field), field=field)
        if path[0] in _WRITTEN_BY_VARY:  # a drawn value here would be overwritten or dropped
            raise SpecError(f"{path[0]} cannot be varied: {_WRITTEN_BY_VARY[path[0]]}",
                            file=file, line=lines.get(field), field=field)
        for other, other_path in paths.items():
            shorter = min(len(path), len(other_path))
            if path[:shorter] == other_path[:shorter]:
                raise SpecError(f"overlaps vary.{other}: vary a field or a part of it, not both",
                                file=file, line=lines.get(field), field=field)
        paths[key] = path
    for key, rule in vary.items():
        if rule.same_as is not None:
            target = vary.get(rule.same_as)
            if target is None or target.same_as is not None:
                field = f"vary.{key}.same_as"
                raise SpecError(f"{rule.same_as!r} is not a varied field with values of its own",
                                file=file, line=lines.get(field), field=field)
    if spec.question is None:
        return spec
    try:
        question = fill(spec.question, data)
    except ValueError as exc:
        raise SpecError(str(exc), file=file, line=lines.get("question"), field="question") from None
    return spec.model_copy(update={"question": question})
