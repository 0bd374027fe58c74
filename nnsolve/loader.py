"""Read a problem file: safe YAML, with a line number for every field, into a validated spec.

The file is untrusted. Only PyYAML's SafeLoader composes it (no tags that build Python
objects), anchors and aliases are refused (no "billion laughs"), duplicate keys are errors,
and size, depth and node count are capped before anything is built from it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from pydantic import ValidationError

from . import limits
from .errors import NnsolveError, ProblemFileError, SpecError
from .numbers import to_exact

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
    if os.path.isdir(path):
        raise ProblemFileError("is a directory, not a problem file", file=path)
    if os.path.exists(path) and not os.path.isfile(path):  # a FIFO would block, a device never end
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


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[str, int | None]:
    """A one-line description of a YAML syntax error, and its line."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join((exc.problem or exc.context or "invalid YAML").split())
        if "maximum nesting depth" in problem:  # libyaml's own cap (1000), far above ours
            return f"nested more than {limits.MAX_YAML_DEPTH} levels deep (nnsolve's cap MAX_YAML_DEPTH)", line
        source = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        indent = source[: len(source) - len(source.lstrip())]
        if "\t" in indent or "'\\t'" in problem or (mark and source[mark.column:mark.column + 1] == "\t"):
            problem = "a tab character cannot indent YAML; use spaces"
        return problem, line
    position = getattr(exc, "position", None)
    line = text[:position].count("\n") + 1 if isinstance(position, int) else None
    reason = getattr(exc, "reason", None)
    if reason:
        return f"{reason} (character {getattr(exc, 'character', '?')!r})", line
    return " ".join(str(exc).split()), line


def parse(text: str, file: str = "<string>") -> tuple[dict[str, Any], _Document]:
    """Parse YAML text into a mapping plus the line of every field path."""
    doc = _Document()
    parser = None
    try:
        parser = _Parser(text)
        data = _compose(_events(parser), doc)
    except SpecError as exc:
        raise exc.located(file=file) from None
    except yaml.YAMLError as exc:
        problem, line = _yaml_problem(exc, text)
        raise ProblemFileError(f"invalid YAML: {problem}", file=file, line=line) from None
    finally:
        if parser is not None:
            parser.dispose()
    if doc.nodes == 0:
        raise ProblemFileError("is empty: a problem file needs at least a 'topic' field", file=file)
    if not isinstance(data, dict):
        raise SpecError("a problem file must be a mapping of fields (topic: ..., ...)", file=file, line=1)
    return data, doc


def _strip_loc(loc: tuple[Any, ...], data: Any) -> Path_:
    """Drop the parts of a pydantic error location that are not in the data (union tags, validators)."""
    path: list[Any] = []
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
    return tuple(path)


def _message(err: dict[str, Any], known_fields: list[str]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        # Known fields span every topic: one can be known elsewhere and still wrong here.
        close = difflib.get_close_matches(name, [f for f in known_fields if f != name], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown field{' here' if name in known_fields else ''}{hint}"
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
        if isinstance(ctx.get("le"), int):
            return f"must be at most {ctx.get('le'):,} (nnsolve's cap {_cap_name(ctx['le'], err['loc'])})"
        return f"must be at most {ctx.get('le')}"
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
        cap = _cap_name(ctx.get("max_length"), err["loc"])
        return f"has more than {ctx.get('max_length'):,} items" + (f" (nnsolve's cap {cap})" if cap != "?" else "")
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in ("value_error", "assertion_error"):
        msg = str(ctx.get("error", err["msg"]))
        return msg.removeprefix("Value error, ")
    msg = str(err["msg"])
    return msg[:1].lower() + msg[1:]


def _cap_name(value: Any, loc: tuple[Any, ...]) -> str:
    """The name of the cap in nnsolve/limits.py a pydantic bound came from (several may share a value)."""
    names = [n for n in dir(limits) if n.startswith("MAX_") and getattr(limits, n) == value]
    if len(names) > 1:
        field = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
        word = {"points": "SAMPLES", "test_samples": "SAMPLES", "weights": "NEURON_INPUTS"}.get(field, field.upper())
        names = [n for n in names if word and word in n] or \
            [n for n in names if n in ("MAX_DIMENSION", "MAX_LAYERS", "MAX_SAMPLES")] or names
    return " or ".join(names) if names else "?"


def validation_error(exc: ValidationError, data: dict[str, Any], doc: _Document, file: str) -> SpecError:
    """Turn pydantic's errors into one SpecError: the first error by line, with the count of the rest."""
    from .topics import all_field_names  # for "did you mean" on an unknown field; errors only

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
            line = doc.key_lines.get(path) or doc.lines.get(path)
            probe = path
            while line is None and probe:
                probe = probe[:-1]
                line = doc.key_lines.get(probe) or doc.lines.get(probe)
        errors.append((line or 1, _field(path) or None, _message(err, all_field_names()),
                       err["type"] == "missing"))
    # One error per field (a union reports one per alternative), unknown fields before
    # missing ones (a misspelt key explains the missing field), then in file order.
    by_field: dict[str, tuple[int, int, str]] = {}
    for line, name, message, missing in errors:
        by_field.setdefault(name, (missing, line, message))
    ordered = sorted(by_field.items(), key=lambda item: item[1][:2])
    name, (_, line, message) = ordered[0]
    if len(ordered) > 1:
        message += f" (and {len(ordered) - 1} more error{'s' if len(ordered) > 2 else ''})"
    return SpecError(message, file=file, line=line, field=name)


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
        """Fill in the file, and the line of the error's field when the file has it."""
        exc.located(file=self.file)
        if exc.line is None and exc.field:
            exc.line = self.lines.get(exc.field)
        return exc


def load_text(text: str, file: str = "<string>") -> Loaded:
    """Validate YAML text as a problem; raise ProblemFileError or SpecError with file and line."""
    from .topics import problem_adapter, spec_for

    data, doc = parse(text, file)
    model = spec_for(data)
    try:
        spec = model.model_validate(data) if model is not None else problem_adapter().validate_python(data)
    except ValidationError as exc:
        raise validation_error(exc, data, doc, file) from None
    lines = _Lines(doc)
    if spec.vary is not None:  # its fields must exist, and the question is a template
        from .template import check_vary

        spec = check_vary(spec, data, lines, file)
    return Loaded(spec, file, lines, data)


def load(path: str) -> Loaded:
    """Read and validate one problem file."""
    return load_text(read_text(path), file=path)
