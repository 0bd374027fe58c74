"""Problem files written by nnsolve (``nnsolve vary``), as YAML its own loader reads back.

The writer is small on purpose (and imports no YAML library: only nnsolve/loader.py does):
every string is double-quoted with everything outside YAML's printable set escaped, numbers
are written exactly (a fraction with no finite decimal as the text ``"7/15"``, which every
number field accepts), and only mappings, lists, numbers, text, true/false and null are
written: no tags, anchors or aliases. The round trip (written, then loaded by
nnsolve.loader) is tested on every file ``nnsolve vary`` writes, and on generated data.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from . import limits
from .numbers import is_terminating

WIDTH = 88  # a long string is folded onto lines of about this many characters

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Names that YAML 1.1 reads as true/false or null when unquoted (a name cannot be a number).
_RESERVED = {form for word in ("yes", "no", "true", "false", "on", "off", "null")
             for form in (word, word.capitalize(), word.upper())}
# The characters YAML (1.1, as PyYAML reads it) allows in a stream; everything else is escaped,
# and so are the line breaks a double-quoted scalar would fold.
_PRINTABLE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufeff\uff00-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


def dump(data: dict, comment: str = "") -> str:
    """A problem's data as YAML text, after ``comment`` (each line becomes a ``#`` line)."""
    lines = [f"# {_comment_text(line)}".rstrip() for line in comment.splitlines()]
    lines.extend(_mapping(data, 0))
    return "\n".join(lines) + "\n"


def _comment_text(text: str) -> str:
    return "".join(c if _PRINTABLE.match(c) else "?" for c in text)


def _mapping(data: dict, indent: int) -> list[str]:
    pad = " " * indent
    if not data:
        return [pad + "{}"]
    out: list[str] = []
    for key, value in data.items():
        head = f"{pad}{_key(key)}:"
        inline = _flow(value, indent=indent)
        if inline is not None:
            out.append(f"{head} {inline}")
        elif isinstance(value, dict):
            out.append(head)
            out.extend(_mapping(value, indent + 2))
        else:
            out.append(head)
            out.extend(_sequence(value, indent + 2))
    return out


def _sequence(items: list, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for item in items:
        inline = _flow(item, top=False, indent=indent)
        if inline is not None:
            out.append(f"{pad}- {inline}")
        elif isinstance(item, dict) and item:
            block = _mapping(item, indent + 2)
            out.append(f"{pad}- {block[0].lstrip()}")
            out.extend(block[1:])
        else:
            block = _sequence(item, indent + 2)
            out.append(f"{pad}- {block[0].lstrip()}")
            out.extend(block[1:])
    return out


def _flow(value: Any, top: bool = True, indent: int = 0) -> str | None:
    """The value on one line (a scalar, a list of scalars, a short mapping of them), or None."""
    if not isinstance(value, (dict, list)):
        return scalar(value, indent)
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ", ".join(scalar(v) for v in value) + "]"
        return None
    if top or not value or any(isinstance(v, dict) or (isinstance(v, list) and _flow(v) is None)
                               for v in value.values()):
        return "{}" if not value else None
    text = "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    return text if len(text) <= WIDTH and "\n" not in text else None


def _key(key: Any) -> str:
    if isinstance(key, str) and _PLAIN_KEY.match(key) and key not in _RESERVED:
        return key
    return quoted(str(key))


def scalar(value: Any, indent: int = 0) -> str:
    """One number, text, true/false or null as YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, Fraction):
        return _integer(value.numerator) if value.denominator == 1 else _fraction(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return quoted(value, indent)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _integer(n: int) -> str:
    text = str(n)
    if len(text) <= limits.MAX_NUMBER_DIGITS:
        return text
    digits = text.lstrip("-").rstrip("0")  # 10**300 read from 1e300 is written as "1e300"
    exponent = len(text.lstrip("-")) - len(digits)
    scientific = f"{'-' if n < 0 else ''}{digits}e{exponent}"
    if len(scientific) > limits.MAX_NUMBER_DIGITS:
        raise ValueError(f"{len(text)}-digit integer cannot be written within MAX_NUMBER_DIGITS")
    return quoted(scientific)


def _fraction(x: Fraction) -> str:
    if is_terminating(x):
        with localcontext() as ctx:
            ctx.prec = 400  # |exponents| are capped at 300 (MAX_EXPONENT): exact
            d = Decimal(x.numerator) / Decimal(x.denominator)
        text = format(d, "f")
        if len(text) > limits.MAX_NUMBER_DIGITS:
            text = format(d, "e")
            mantissa, _, exponent = text.partition("e")
            text = (mantissa if "." in mantissa else mantissa + ".0") + "e" + \
                (exponent if exponent[0] in "+-" else "+" + exponent)
        if len(text) <= limits.MAX_NUMBER_DIGITS:
            return text
    text = f"{x.numerator}/{x.denominator}"
    if len(text) > limits.MAX_NUMBER_DIGITS:
        raise ValueError(f"the fraction {text[:20]}… cannot be written within MAX_NUMBER_DIGITS")
    return quoted(text)


def _float(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("NaN and infinity cannot be written in a problem file")
    text = repr(x)
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"  # YAML 1.1 reads 1e-05 as text, 1.0e-05 as a number
    return mantissa + (e + exponent if e else "")


def quoted(text: str, indent: int = 0) -> str:
    """Text as a double-quoted YAML scalar; a long one is folded at single spaces, which fold back
    into single spaces when read (continuation lines are indented past ``indent``)."""
    body = "".join(c if _PRINTABLE.match(c) and c not in '"\\' else _escape(c) for c in text)
    if len(body) <= WIDTH:
        return f'"{body}"'
    # Flow folding turns a line break into one space and drops the next line's leading spaces:
    # break only at a single space between two other characters.
    cuts, start, previous = [], 0, None
    for match in re.finditer(r"(?<=[^ ]) (?=[^ ])", body):
        if match.start() - start > WIDTH and previous is not None:
            cuts.append(previous)
            start = previous + 1
        previous = match.start()
    if previous is not None and previous >= start and len(body) - start > WIDTH:
        cuts.append(previous)
    pieces = [body[a + 1 if a else 0:b] for a, b in zip([0] + cuts, cuts + [len(body)])]
    return '"' + ("\n" + " " * (indent + 2)).join(pieces) + '"'


def _escape(c: str) -> str:
    if c in _ESCAPES:
        return _ESCAPES[c]
    code = ord(c)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
