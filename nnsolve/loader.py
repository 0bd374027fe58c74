"""Read a problem file: safe YAML, with a line number for every field, into a validated spec.

The file is untrusted. Only PyYAML's SafeLoader composes it (no tags that build Python
objects), anchors and aliases are refused (no "billion laughs"), duplicate keys are errors,
and size, depth and node count are capped before anything is built from it.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from pydantic import BaseModel, Tag, ValidationError

from . import limits, vocabulary
from .errors import NnsolveError, ProblemFileError, SpecError
from .files import Refused, kind_unread
from .numbers import to_exact
from .spec import FieldError

Path_ = tuple[Any, ...]


class _Document:
    """Python data built from a YAML event stream, and the line each path starts on."""

    def __init__(self) -> None:
        self.lines: dict[Path_, int] = {}
        self.key_lines: dict[Path_, int] = {}
        self.nodes = 0


# libyaml's parser when PyYAML was built with it (ten times faster on a 200 KB file); the
# pure-Python one otherwise. Only the event stream is used: nnsolve builds the data itself,
# iteratively, so neither nesting nor aliases can make it recurse or multiply.
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_MAPPING, _SEQUENCE = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Frame:
    """A mapping or list being built, and (for a mapping) the key waiting for its value."""

    __slots__ = ("value", "path", "key", "key_line")

    def __init__(self, value: Any, path: Path_) -> None:
        self.value = value
        self.path = path
        self.key: Any = _NO_KEY
        self.key_line = 0


_NO_KEY = object()


def _events(parser: Any) -> Any:
    # Both parsers return None once the stream has ended; iter() keeps the loop in C.
    return iter(parser.get_event, None)


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1


_SCALAR, _ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_MAPPING_START, _SEQUENCE_START = yaml.MappingStartEvent, yaml.SequenceStartEvent
_COLLECTION_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _compose(events: Any, doc: _Document) -> Any:
    """Build plain data from YAML events, refusing anchors, aliases, tags and deep nesting.

    The hot loop of a batch: events are told apart by their exact class (PyYAML's parsers make
    no subclasses), and an error's field is spelt out only when there is an error.
    """
    stack: list[_Frame] = []
    root: Any = _NO_KEY
    documents = 0
    lines, key_lines = doc.lines, doc.key_lines
    for event in events:
        kind = type(event)
        if kind is _SCALAR or kind is _MAPPING_START or kind is _SEQUENCE_START or kind is _ALIAS:
            frame = stack[-1] if stack else None
            if frame is None:
                in_key, path = False, ()
            elif type(frame.value) is list:
                in_key, path = False, frame.path + (len(frame.value),)
            else:
                in_key = frame.key is _NO_KEY
                path = frame.path + (frame.key,)
            if kind is _ALIAS:
                raise SpecError("YAML aliases (*name) are not allowed in problem files", line=_line(event),
                                field=_where(frame, in_key, path))
            if event.anchor is not None:
                raise SpecError("YAML anchors (&name) are not allowed in problem files", line=_line(event),
                                field=_where(frame, in_key, path))
            if event.tag not in (None, "!"):
                raise SpecError(f"the YAML tag {event.tag!r} is not allowed", line=_line(event),
                                field=_where(frame, in_key, path))
            doc.nodes += 1
            if doc.nodes > limits.MAX_YAML_NODES:
                raise SpecError(f"more than {limits.MAX_YAML_NODES:,} values in one file "
                                f"(nnsolve's cap MAX_YAML_NODES)", line=_line(event))
            line = event.start_mark.line + 1
            if in_key:
                if kind is not _SCALAR:
                    raise SpecError("a key must be a plain name, not a list or mapping", line=line,
                                    field=_where(frame, in_key, path))
                key = event.value
                if event.implicit[0] and key[:1] == "<" and \
                        _RESOLVER.resolve(yaml.ScalarNode, key, event.implicit) == "tag:yaml.org,2002:merge":
                    raise SpecError("merge keys (<<) are not allowed", line=line, field=_where(frame, in_key, path))
                if key in frame.value:
                    raise SpecError(f"duplicate key {key!r}", line=line, field=_field(frame.path + (key,)))
                frame.key, frame.key_line = key, line
                key_lines[frame.path + (key,)] = line
                continue
            lines[path] = line
            if kind is _SCALAR:
                value = _scalar(event, path)
            else:
                if len(stack) >= limits.MAX_YAML_DEPTH:
                    raise SpecError(f"nested more than {limits.MAX_YAML_DEPTH} levels deep "
                                    f"(nnsolve's cap MAX_YAML_DEPTH)", line=line, field=_where(frame, in_key, path))
                stack.append(_Frame({} if kind is _MAPPING_START else [], path))
                continue
        elif kind in _COLLECTION_END:
            value = stack.pop().value
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise SpecError("more than one YAML document (---); a problem file holds one problem",
                                line=_line(event))
            continue
        else:  # stream start and end, document end
            continue
        # A finished value: put it in its parent, or it is the whole document.
        if not stack:
            root = value
        else:
            parent = stack[-1]
            if type(parent.value) is list:
                parent.value.append(value)
            else:
                parent.value[parent.key] = value
                parent.key = _NO_KEY
    return None if root is _NO_KEY else root


def _where(frame: _Frame | None, in_key: bool, path: Path_) -> str | None:
    """The field an error at this event names (spelt out only for an error: most events have none)."""
    if frame is None:
        return None
    return _field(frame.path if in_key else path) or None


def _tag(value: str, implicit: tuple[bool, bool]) -> str:
    """The safe resolver's tag for a scalar. Short ones (numbers, names) repeat across a batch."""
    if len(value) <= 40:
        return _short_tag(value, tuple(implicit))
    return _RESOLVER.resolve(yaml.ScalarNode, value, implicit)


@lru_cache(maxsize=4096)
def _short_tag(value: str, implicit: tuple[bool, bool]) -> str:
    return _RESOLVER.resolve(yaml.ScalarNode, value, implicit)


def _scalar(event: yaml.ScalarEvent, path: Path_) -> Any:
    """Build one scalar with the safe resolver; floats keep the exact value their text denotes."""
    tag = _tag(event.value, event.implicit)
    if tag == "tag:yaml.org,2002:float":
        text = event.value.replace("_", "")
        if text.lower().lstrip("+-") in (".nan", ".inf"):
            raise SpecError("must be a finite number (NaN and infinity are not allowed)",
                            line=_line(event), field=_field(path) or None)
        try:
            return to_exact(text)
        except ValueError as exc:
            raise SpecError(str(exc), line=_line(event), field=_field(path) or None) from None
    if tag == "tag:yaml.org,2002:int":
        if len(event.value.replace("_", "")) > limits.MAX_NUMBER_DIGITS:
            raise SpecError(f"a number with more than {limits.MAX_NUMBER_DIGITS} digits is refused "
                            f"(nnsolve's cap MAX_NUMBER_DIGITS)", line=_line(event), field=_field(path) or None)
        text = event.value
        if text.isascii() and text.isdecimal() and (text[0] != "0" or len(text) == 1):
            return int(text)  # plain decimal digits (a leading 0 is YAML 1.1 octal: the constructor's)
        return _CONSTRUCTOR.construct_yaml_int(yaml.ScalarNode(tag, text))
    if tag == "tag:yaml.org,2002:bool":
        return _CONSTRUCTOR.construct_yaml_bool(yaml.ScalarNode(tag, event.value))
    if tag == "tag:yaml.org,2002:null":
        return None
    # Strings, and text that YAML 1.1 would read as a date or a merge key: nnsolve has no such fields.
    return event.value


def _field(path: Path_) -> str:
    """``('layers', 2, 'kernel')`` → ``layers[2].kernel``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def read_text(path: str) -> str:
    """Read a problem file as UTF-8 text; the size cap is checked before anything is parsed."""
    if isinstance(path, Refused):  # a folder nnsolve.grade.collect_paths could not read, a link leading out
        raise ProblemFileError(path.reason, file=path)
    kind = kind_unread(path)
    if kind == "folder":
        raise ProblemFileError("is a directory, not a problem file", file=path)
    if kind == "special":
        raise ProblemFileError("is not a regular file", file=path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ProblemFileError("no such file", file=path) from None
    except IsADirectoryError:
        raise ProblemFileError("is a directory, not a problem file", file=path) from None
    except OSError as exc:
        raise ProblemFileError(f"cannot read: {exc.strerror or exc}", file=path) from None
    if len(data) > limits.MAX_FILE_BYTES:
        raise ProblemFileError(f"larger than {limits.MAX_FILE_BYTES // 1024} KiB "
                               f"(nnsolve's cap MAX_FILE_BYTES for a problem file)", file=path)
    if b"\x00" in data:
        raise ProblemFileError("is a binary file, not YAML text", file=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProblemFileError("is not UTF-8 text", file=path, line=line) from None


# libyaml's wording of a syntax error → plain words. Each entry: (a phrase of libyaml's problem,
# of its context or ""), whether the error is reported where the context started (an unclosed
# bracket is fixed where it opened, not where the parser noticed), and the sentence.
_YAML_PROBLEMS = (
    ("did not find expected ',' or ']'", "", True,
     "the list opened with '[' here is never closed with ']' (or a ',' is missing between its items)"),
    ("did not find expected ',' or '}'", "", True,
     "the mapping opened with '{' here is never closed with '}' (or a ',' is missing between its fields)"),
    ("found unexpected end of stream", "quoted scalar", True, "the quote that opens here is never closed"),
    ("mapping values are not allowed", "", False,
     "a 'key:' where a value was expected: is this line indented deeper than it should be, "
     "or does a value contain ': ' (then put it in quotes)?"),
    ("did not find expected key", "", False,
     "this line does not line up with the fields above it: check its indentation"),
    ("did not find expected '-' indicator", "", False,
     "this line does not line up with the list items above it: check its indentation"),
    ("block sequence entries are not allowed", "", False,
     "a list item ('- ') where a value was expected: check the indentation, or quote a value starting with '-'"),
    ("could not find expected ':'", "", False, "a field name without ':' after it (write 'name: value')"),
    ("did not find expected node content", "", False,
     "a value was expected here (a stray ']', '}' or ',' outside a list or mapping?)"),
    ("found character that cannot start any token", "", False,
     "this character cannot start a value: put the value in quotes"),
    ("found unknown escape character", "", False,
     "an unknown backslash escape in double quotes: use single quotes, or write \\\\ for a backslash"),
    ("found invalid Unicode character escape code", "", False,
     "an invalid \\u or \\U escape in double quotes"),
    ("found duplicate %YAML directive", "", False, "the %YAML directive is given twice"),
    ("expected <document start>", "", False, "text after the end of the problem's fields: check the indentation"),
)


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[str, int | None]:
    """A YAML syntax error in plain words (``" at column 8: the list …"``), and its line."""
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = " ".join((exc.problem or exc.context or "invalid YAML").split())
        context = exc.context or ""
        mark = exc.problem_mark or exc.context_mark
        if "maximum nesting depth" in problem:  # libyaml's own cap (1000), far above ours
            return f": nested more than {limits.MAX_YAML_DEPTH} levels deep (nnsolve's cap MAX_YAML_DEPTH)", \
                (mark.line + 1 if mark else None)
        lines = text.splitlines()
        source = lines[mark.line] if mark and mark.line < len(lines) else ""
        indent = source[: len(source) - len(source.lstrip())]
        if "\t" in indent or "'\\t'" in problem or (mark and source[mark.column:mark.column + 1] == "\t"):
            where = f" at column {source.index(chr(9)) + 1}" if "\t" in source else ""
            return f"{where}: a tab character cannot indent YAML; use spaces", (mark.line + 1 if mark else None)
        for phrase, in_context, at_context, words in _YAML_PROBLEMS:
            if phrase in problem and in_context in context:
                if at_context and exc.context_mark is not None:
                    mark = exc.context_mark
                problem = words
                break
        if mark is None:
            return ": " + problem, None
        return f" at column {mark.column + 1}: {problem}", mark.line + 1
    position = getattr(exc, "position", None)
    line = text[:position].count("\n") + 1 if isinstance(position, int) else None
    column = position - (text.rfind("\n", 0, position) + 1) + 1 if isinstance(position, int) else None
    reason = getattr(exc, "reason", None)
    if reason:
        where = f" at column {column}: " if column else ": "
        return f"{where}{reason} (character {getattr(exc, 'character', '?')!r})", line
    return ": " + " ".join(str(exc).split()), line


def parse(text: str, file: str = "<string>") -> tuple[dict[str, Any], _Document]:
    """Parse YAML text into a mapping plus the line of every field path."""
    doc = _Document()
    data = _composed(text, file, doc)
    if doc.nodes == 0:
        raise ProblemFileError("is empty: a problem file needs at least a 'topic' field", file=file)
    if not isinstance(data, dict):
        raise SpecError("a problem file must be a mapping of fields (topic: ..., ...)", file=file, line=1)
    return data, doc


def parse_data(text: str, file: str = "<string>") -> Any:
    """Parse YAML text that need not be a problem (an answers table: a list of records), with the
    same safety and caps as a problem file; errors name the file and line."""
    return _composed(text, file, _Document())


def _composed(text: str, file: str, doc: _Document) -> Any:
    """The data of YAML text, its field lines recorded in ``doc``; a YAML or cap error names the file and line."""
    parser = None
    try:
        parser = _Parser(text)
        return _compose(_events(parser), doc)
    except SpecError as exc:
        raise exc.located(file=file) from None
    except yaml.YAMLError as exc:
        problem, line = _yaml_problem(exc, text)
        raise ProblemFileError(f"invalid YAML{problem}", file=file, line=line) from None
    finally:
        if parser is not None:
            parser.dispose()


def _strip_loc(loc: tuple[Any, ...], data: Any) -> tuple[Path_, tuple[tuple[Any, ...], ...]]:
    """Drop the parts of a pydantic error location that are not in the data (union tags, validators).

    Returns the path in the data, and the places where a plain union tried one of its types:
    ``loc[:i + 1]`` for each dropped part ``loc[i]`` that names such a type (``list[...]``).
    """
    path: list[Any] = []
    branches: list[tuple[Any, ...]] = []
    current = data
    tag_skipped = None
    for index, part in enumerate(loc):
        # A tag is followed by the field inside its alternative; a last part that is a key is a field.
        last_and_a_key = index == len(loc) - 1 and isinstance(current, dict) and part in current
        if isinstance(current, dict) and tag_skipped is not current and isinstance(part, str) \
                and not last_and_a_key \
                and part in (current.get("topic"), current.get("type"), current.get("experiment")):
            tag_skipped = current  # a discriminated union names the alternative by its tag
            continue
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and part == loc[-1]:
            path.append(part)  # a missing or extra field: name it, its parent gives the line
            current = None
        elif isinstance(part, str) and (index < len(loc) - 1 or not isinstance(current, dict)):
            branches.append(loc[:index + 1])
    return tuple(path), tuple(branches)


# Errors that say a value is of the wrong type: a union's member that gives only these did not fit at all.
_TYPE_ERRORS = frozenset({"int_type", "int_parsing", "float_type", "string_type", "bool_type", "list_type",
                          "tuple_type", "dict_type", "model_type", "model_attributes_type", "none_required"})


def _one_member_per_union(errors: list[tuple[dict, tuple]]) -> list[tuple[dict, tuple]]:
    """Where a plain union (a number or a pair; a matrix or a tensor) rejected a value, keep the
    errors of the member that came closest: the fewest type mismatches, then the fewest errors."""
    points = sorted({branch[:-1] for _, branches in errors for branch in branches}, key=len)
    for point in points:
        members: dict[Any, list[dict]] = {}
        for err, branches in errors:
            for branch in branches:
                if branch[:-1] == point:
                    members.setdefault(branch[-1], []).append(err)
        if len(members) < 2:
            continue
        best = min(members, key=lambda m: (sum(e["type"] in _TYPE_ERRORS for e in members[m]), len(members[m])))
        if all(len(found) == 1 and found[0]["type"] in _KINDS_OF_VALUE for found in members.values()):
            # the value is of none of the kinds the union takes ('Same' for a number, a pair, same or
            # valid): name them all, rather than one member's complaint
            members[best][0]["alternatives"] = [found[0] for found in members.values()]
        errors = [(err, branches) for err, branches in errors
                  if not any(b[:-1] == point and b[-1] != best for b in branches)]
    return errors


# What a union's member takes, said from its error about a value of another kind.
_KINDS_OF_VALUE = {"int_type": "an integer", "int_parsing": "an integer", "float_type": "a number",
                   "float_parsing": "a number", "bool_type": "true or false", "bool_parsing": "true or false",
                   "string_type": "text", "list_type": "a list", "tuple_type": "a list", "dict_type": "a mapping",
                   "model_type": "a mapping", "model_attributes_type": "a mapping", "literal_error": None}


def _one_of(alternatives: list[dict[str, Any]], value: object) -> str:
    """``must be an integer, a list, 'same' or 'valid'``: every kind a union takes, and a likely name."""
    kinds, names = [], []
    for err in alternatives:
        if err["type"] == "literal_error":
            literal = _quoted((err.get("ctx") or {}).get("expected"))
            names += literal
            kinds += [f"'{name}'" for name in literal]
        elif _KINDS_OF_VALUE[err["type"]] not in kinds:
            kinds.append(_KINDS_OF_VALUE[err["type"]])
    said = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    return f"must be {said}" + _did_you_mean(value, names)


def _message(err: dict[str, Any], known: list[str], model: Any = None) -> str:
    """pydantic's error in nnsolve's words; ``known`` are the names valid at the error's place
    under ``model`` (the Spec validated against)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if err.get("alternatives"):
        return _one_of(err["alternatives"], err.get("input"))
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        close, note = _field_hint(str(err["loc"][-1]), known)
        if note:
            return f"unknown field; {note}"
        if close:
            return f"unknown field; did you mean '{close}'?"
        deeper = _one_level_down(model, tuple(err["loc"])[:-1], str(err["loc"][-1]), known) if known else None
        if deeper:
            return f"unknown field here; did you mean '{deeper}'?"
        fields = ", ".join(known[:16]) + (", …" if len(known) > 16 else "")
        return f"unknown field; the fields here are {fields}" if known else "unknown field"
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
        if not isinstance(ctx.get("le"), int):
            return f"must be at most {ctx.get('le')}"
        cap = _cap_name(ctx["le"], err["loc"])
        return f"must be at most {ctx['le']:,}" + (f" (nnsolve's cap {cap})" if cap != "?" else "")
    if kind == "less_than":
        return f"must be less than {ctx.get('lt')}"
    if kind in ("string_type",):
        return "must be text"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping of fields"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}" + _did_you_mean(err.get("input"), _quoted(ctx.get("expected")))
    if kind == "union_tag_invalid":
        expected = ctx.get("expected_tags")
        return (f"unknown {str(ctx.get('discriminator', 'tag')).strip(chr(39))} {ctx.get('tag')!r}; "
                f"expected one of {expected}" + _did_you_mean(ctx.get("tag"), _quoted(expected)))
    if kind == "union_tag_not_found":
        return "is required but missing"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length'):,} characters"
    if kind == "too_long":
        cap = _cap_name(ctx.get("max_length"), err["loc"])
        return f"has more than {ctx.get('max_length'):,} items" + (f" (nnsolve's cap {cap})" if cap != "?" else "")
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in ("value_error", "assertion_error"):
        msg = str(ctx.get("error", err["msg"]))
        return msg.removeprefix("Value error, ")
    msg = str(err["msg"])
    return msg[:1].lower() + msg[1:]


def _one_level_down(model: Any, loc: tuple[Any, ...], name: str, known: list[str]) -> str | None:
    """For an unknown field that belongs in a mapping beside it (Keras' ``lr`` next to the
    optimizer): the field it stands for there, as ``optimizer.learning_rate``; or None."""
    from .topics import models_in

    here: Any = model
    for part in loc:
        here = _inside(here, part)
    for field in known:
        annotation = _inside(here, field) if here is not None else None
        while typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        if annotation is None or typing.get_origin(annotation) in (list, dict):
            continue  # a list's items have no one path to name
        inner = sorted({info.alias or n for m in models_in(annotation) for n, info in m.model_fields.items()})
        meant = name if name in inner else vocabulary.suggest(name, inner, vocabulary.FIELDS, spelling=False)
        if meant is not None:
            return f"{field}.{meant}"
    return None


def _field_hint(name: str, known: list[str]) -> tuple[str | None, str | None]:
    """For an unknown field: the known field it most likely means, or a note on why there is none."""
    close = vocabulary.suggest(name, known, vocabulary.FIELDS, spelling=False)
    if close is None and name.lower() in vocabulary.NOTES:
        return None, vocabulary.NOTES[name.lower()]
    return close or vocabulary.suggest(name, known, vocabulary.FIELDS), None


def _quoted(text: object) -> list[str]:
    """The names in pydantic's "'a', 'b' or 'c'"."""
    return re.findall(r"'([^']*)'", text) if isinstance(text, str) else []


def _did_you_mean(value: object, known: list[str]) -> str:
    close = vocabulary.suggest(value, known, vocabulary.VALUES) if isinstance(value, str) else None
    return f"; did you mean '{close}'?" if close else ""


def _cap_name(value: Any, loc: tuple[Any, ...]) -> str:
    """The name of the cap in nnsolve/limits.py a pydantic bound came from (several may share a value)."""
    names = [n for n in dir(limits) if n.startswith("MAX_") and getattr(limits, n) == value]
    if len(names) > 1:
        field = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
        word = {"points": "SAMPLES", "test_samples": "SAMPLES", "weights": "NEURON_INPUTS"}.get(field, field.upper())
        names = [n for n in names if word and word in n] or \
            [n for n in names if n in ("MAX_DIMENSION", "MAX_LAYERS", "MAX_SAMPLES")]
    return " or ".join(names) if names else "?"  # none: a bound of the field itself (exam.yaml's space ≤ 100)


@lru_cache(maxsize=256)
def _names_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model at pydantic location ``loc`` under ``model`` (the names a
    "did you mean" may suggest). Union alternatives are chosen by the tag in ``loc``."""
    from .topics import models_in

    node = model
    for part in loc:
        node = _inside(node, part)
        if node is None:
            return []
    return sorted({info.alias or name for m in models_in(node) for name, info in m.model_fields.items()})


def _inside(node: Any, part: Any) -> Any:
    """The annotation at ``part`` (a field name, a list index, a union's tag) inside annotation ``node``."""
    if isinstance(node, type) and issubclass(node, BaseModel):
        info = node.model_fields.get(part) if isinstance(part, str) else None
        return info.annotation if info is not None else None
    origin, args = typing.get_origin(node), typing.get_args(node)
    if origin is typing.Annotated:
        return _inside(args[0], part)
    if origin in (typing.Union, types.UnionType):
        if isinstance(part, str):  # a tagged union's alternative, named by its tag
            for arg in args:
                if _takes_tag(arg, part):
                    return arg
                if typing.get_origin(arg) is typing.Annotated and any(
                        isinstance(meta, Tag) and meta.tag == part for meta in typing.get_args(arg)[1:]):
                    return typing.get_args(arg)[0]  # a callable Discriminator's alternative, named by its Tag
        for arg in args:
            found = _inside(arg, part)
            if found is not None:
                return found
        return None
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict and isinstance(part, str):
        return args[1]
    return None


def _takes_tag(model: Any, tag: str) -> bool:
    from .topics import tag_field

    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return False
    name = tag_field(model)
    return name is not None and tag in typing.get_args(model.model_fields[name].annotation)


def _path_of(field: str) -> Path_:
    """``layers[2].kernel`` → ``('layers', 2, 'kernel')``."""
    parts: list[Any] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        parts.append(int(index) if index else name)
    return tuple(parts)


def _in_data(data: Any, path: Path_) -> bool:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return False
    return True


def _about_a_field(err: dict[str, Any], path: Path_, data: Any) -> tuple[Path_, str] | None:
    """A model validator's error about one of its fields: a FieldError, or a message written
    ``field: what is wrong`` naming a field the file has. Its path and message, or None."""
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        return path + _path_of(cause.field), cause.message
    if err["type"] != "value_error":
        return None
    match = re.match(r"([A-Za-z_][\w.\[\]]*): (.+)$", str(cause if cause is not None else err["msg"]), re.S)
    if match is None:
        return None
    inner = _path_of(match.group(1))
    if not inner or not _in_data(data, path + inner[:1]):
        return None
    return path + inner, match.group(2)


def validation_error(exc: ValidationError, data: dict[str, Any], doc: _Document, file: str,
                     model: Any = None) -> SpecError:
    """Turn pydantic's errors into one SpecError per field, in file order: the first, holding the
    rest in ``more``. ``model`` is the Spec validated against (None: the union of every topic).

    Hints ("did you mean") are worked out only for the errors shown (``limits.MAX_ERRORS_SHOWN``),
    so a file with thousands of unknown fields still answers at once.
    """
    located = [(err, *_strip_loc(tuple(err["loc"]), data)) for err in exc.errors(include_url=False)]
    kept = {id(err) for err, _ in _one_member_per_union([(err, branches) for err, _, branches in located])}
    found: dict[str | None, tuple] = {}  # field → (line, missing, path, err, message): one error per field
    for err, path, _ in located:
        if id(err) not in kept:
            continue
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            tag = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
            if tag and not (path and path[-1] == tag):
                path = path + (tag,)
        message = None
        about = _about_a_field(err, path, data)
        if about is not None:
            path, message = about
        if err["type"] == "extra_forbidden":
            line = doc.key_lines.get(path) or doc.lines.get(path[:-1])
        else:
            line = doc.key_lines.get(path) or doc.lines.get(path)
            probe = path
            while line is None and probe:
                probe = probe[:-1]
                line = doc.key_lines.get(probe) or doc.lines.get(probe)
        found.setdefault(_field(path) or None, (line or 1, err["type"] == "missing", path, err, message))

    def known(err: dict) -> list[str]:  # the names valid where an unknown one is
        return _names_at(model, tuple(err["loc"])[:-1]) if model is not None else []

    # A missing field that a misspelt one explains ("unit: did you mean 'units'?") is left out.
    missing_in = {entry[2][:-1]: 0 for entry in found.values() if entry[1]}
    for line, missing, path, err, message in list(found.values()):
        if err["type"] == "extra_forbidden" and missing_in.get(path[:-1], limits.MAX_ERRORS_SHOWN) < \
                limits.MAX_ERRORS_SHOWN:
            missing_in[path[:-1]] += 1
            meant = _field_hint(str(path[-1]), known(err))[0]
            entry = found.get(_field(path[:-1] + (meant,))) if meant else None
            if entry is not None and entry[1]:
                del found[_field(path[:-1] + (meant,))]
    ordered = sorted(found.items(), key=lambda item: item[1][:2])  # by line, an unknown field before a missing one
    errors = []
    for shown, (name, (line, _, path, err, message)) in enumerate(ordered):
        if message is None:
            message = _message(err, known(err) if shown < limits.MAX_ERRORS_SHOWN else [], model)
        errors.append(SpecError(message, file=file, line=line if doc.lines else None, field=name, kind=err["type"]))
    first = errors[0]
    first.more = tuple(errors[1:])
    return first


class _Lines(Mapping):
    """Field name (``layers[2].kernel``) → line, spelt out on first use: only an error needs it."""

    def __init__(self, doc: _Document) -> None:
        self._doc: _Document | None = doc
        self._lines: dict[str, int] = {}

    def _built(self) -> dict[str, int]:
        if self._doc is not None:
            # A field's line is where its key is written (a block list's value starts a line below).
            self._lines = {_field(path): line for path, line in self._doc.lines.items()}
            self._lines.update({_field(path): line for path, line in self._doc.key_lines.items()})
            self._doc = None
        return self._lines

    def __getitem__(self, field: str) -> int:
        return self._built()[field]

    def __iter__(self):
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


@dataclass(frozen=True)
class Loaded:
    """A validated problem, with where it came from so later errors can name a line."""

    spec: Any
    file: str
    lines: Mapping[str, int]  # field → line
    data: Any = field(default=None, repr=False, compare=False)  # the parsed YAML the spec was validated from

    def locate(self, exc: NnsolveError) -> NnsolveError:
        """Fill in the file, and the line of the error's field when the file has it (else of the
        nearest enclosing field it writes: ``layers[2].bias`` left to its default is on layers[2]'s line)."""
        exc.located(file=self.file)
        field = exc.field
        while exc.line is None and field:
            exc.line = self.lines.get(field)
            field = field[:max(field.rfind("."), field.rfind("["), 0)]
        return exc


def load_text(text: str, file: str = "<string>") -> Loaded:
    """Validate YAML text as a problem; raise ProblemFileError or SpecError with file and line."""
    data, doc = parse(text, file)
    return _validated(data, doc, file)


def load_data(data: dict[str, Any], file: str = "<data>") -> Loaded:
    """Validate a problem given as Python data (the Python API): errors name the field, not a line."""
    if not isinstance(data, dict):
        raise SpecError("a problem must be a mapping of fields (topic: ..., ...)", file=file)
    return _validated(data, _Document(), file)


def _validated(data: dict[str, Any], doc: _Document, file: str) -> Loaded:
    from .topics import problem_adapter, spec_for

    model = spec_for(data)
    try:
        spec = model.model_validate(data) if model is not None else problem_adapter().validate_python(data)
    except ValidationError as exc:
        raise validation_error(exc, data, doc, file, model) from None
    lines = _Lines(doc)
    if spec.vary is not None:  # its fields must exist, and the question is a template
        from .template import check_vary

        spec = check_vary(spec, data, lines, file)
    return Loaded(spec, file, lines, data)


def load(path: str) -> Loaded:
    """Read and validate one problem file."""
    return load_text(read_text(path), file=path)


def flow_yaml(value: Any) -> str:
    """Plain data as YAML on one line, in flow style (for templates: ``nnsolve new``)."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False)
    return text.removesuffix("\n...\n").removesuffix("\n")


def block_yaml(value: Any, width: int) -> str:
    """Plain data as YAML in block style, long text folded at ``width`` (for templates)."""
    return yaml.safe_dump(value, allow_unicode=True, width=width, sort_keys=False)
