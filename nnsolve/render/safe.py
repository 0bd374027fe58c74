"""Text from files made harmless for a terminal: characters that act instead of showing, shown.

A problem file's text, its field names, a submitted answer and a file's name are untrusted.
On a terminal some characters do things: ESC starts sequences that clear the screen, set the
window title, write the clipboard (OSC 52) or hide a link (OSC 8); a C1 control (U+0080–U+009F)
can do the same on its own; a carriage return or a backspace overwrites what was printed;
bidi overrides and isolates reorder text so that it reads other than it is. ``visible`` shows
each of them as its code point, ``[U+001B]`` (the convention nnsolve's HTML and LMS export
already use), and leaves every other character as it is.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from fractions import Fraction

# C0 controls but tab and newline, DEL, C1 controls; the bidi marks, embeddings, overrides and isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n]")


def _code_point(match: re.Match) -> str:
    return f"[U+{ord(match.group()):04X}]"


def visible(text: str, one_line: bool = False) -> str:
    """``text`` with every character that acts on a terminal shown as ``[U+XXXX]``.

    Tabs and newlines are kept, unless ``one_line``: a file name or an error line must not
    start a line of its own that would read as nnsolve's."""
    text = UNSAFE.sub(_code_point, text)
    return _LINE_BREAKS.sub(_code_point, text) if one_line else text


def json_safe(document: str) -> str:
    r"""JSON text with the characters of ``UNSAFE`` that ``json.dumps(ensure_ascii=False)`` leaves
    raw (DEL, C1, bidi) written as ``\uXXXX`` escapes: the same strings, nothing that acts."""
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


_NUMBERS = frozenset({int, float, bool, Fraction, type(None)})


def neutralised(data):
    """``data`` (a page of nnsolve.render.page, or any part of one) with ``visible`` applied to
    every string in it: through tuples, lists, dicts and (frozen) dataclasses; numbers and other
    values are kept. Every translator of the page then shows only harmless text.

    A tuple or frozen dataclass with nothing to change is returned itself (nearly every part of
    a page: rebuilding each one was most of the cost of rendering a 1,000-layer network)."""
    kind = type(data)
    if kind in _NUMBERS:  # most of a page's leaves: the cells of its matrices
        return data
    if kind is str or isinstance(data, str):
        return visible(data) if UNSAFE.search(data) else data
    if isinstance(data, list):
        return [neutralised(item) for item in data]
    if isinstance(data, tuple):
        items = [neutralised(item) for item in data]
        if all(new is old for new, old in zip(items, data)):
            return data
        return kind(*items) if hasattr(data, "_fields") else kind(items)
    if isinstance(data, dict):
        return {neutralised(key): neutralised(value) for key, value in data.items()}
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        names = _init_fields(kind)
        changes = {}
        for name in names:
            value = getattr(data, name)
            clean = neutralised(value)
            if clean is not value:
                changes[name] = clean
        if not changes and kind.__dataclass_params__.frozen:
            return data
        return dataclasses.replace(data, **changes)
    return data


@functools.lru_cache(maxsize=None)
def _init_fields(kind: type) -> tuple[str, ...]:
    """The fields ``dataclasses.replace`` passes to a dataclass's __init__."""
    return tuple(f.name for f in dataclasses.fields(kind) if f.init)
