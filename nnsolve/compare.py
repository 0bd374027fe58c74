"""When two answers agree: exact for integers and labels, within a tolerance for reals.

Used both to pick a multiple-choice option and to grade a submitted answer.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from . import limits
from .numbers import Value, is_number, simplify, to_exact
from .spec import Tolerance


# Rounding for sig_figs / decimals is the school rule (halves away from zero), as a student
# rounds by hand: 0.0125 to 3 decimal places is 0.013.
# The precision is set for each value: quantize raises InvalidOperation when the rounded value
# needs more digits than the context holds (1e26 to 2 decimal places needs 29).
def round_sig_figs(x: Fraction | float | int, digits: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60 + digits
        d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
        if d == 0:
            return d
        exponent = d.adjusted() - digits + 1
        return d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def round_decimals(x: Fraction | float | int, digits: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
        ctx.prec = max(60, d.adjusted() + digits + 2)
        ctx.Emax = max(ctx.Emax, d.adjusted() + 2)
        return d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def numbers_agree(computed, given, tol: Tolerance) -> bool:
    """True when ``given`` is an acceptable statement of ``computed``.

    When both are integers they must be equal. Otherwise ``sig_figs`` or ``decimals`` (if set)
    compare the rounded values; else the relative or absolute tolerance applies.
    """
    if isinstance(computed, int) and isinstance(given, int):
        return computed == given
    if isinstance(computed, float) and not math.isfinite(computed):
        return False
    if tol.sig_figs is not None:
        return round_sig_figs(Fraction(computed), tol.sig_figs) == round_sig_figs(Fraction(given), tol.sig_figs)
    if tol.decimals is not None:
        return round_decimals(Fraction(computed), tol.decimals) == round_decimals(Fraction(given), tol.decimals)
    clear = _clear_in_floats(computed, given, tol)
    if clear is not None:
        return clear
    c = _exact(computed)
    diff = abs(c - _exact(given))
    return diff <= _exact(tol.absolute) or diff <= _exact(tol.relative) * abs(c)


def _clear_in_floats(computed, given, tol: Tolerance) -> bool | None:
    """The exact comparison's answer when floats settle it, else None (too close to call, or out of range).

    Grading compares each answer with every mistake's, nearly always far from the bound, and
    exact fractions of floats cost far more than floats. Each float below is within a relative
    2⁻⁵³ (or 2⁻¹⁰⁷⁴ near zero) of its exact value, so the difference is within ``slack`` of the
    exact difference and the bound within ``bound_slack`` of the exact bound; beyond both, the
    floats answer as the exact values would.
    """
    try:
        c, g, absolute, relative = float(computed), float(given), float(tol.absolute), float(tol.relative)
    except OverflowError:
        return None
    diff, bound = abs(c - g), max(absolute, relative * abs(c))
    if not (math.isfinite(diff) and math.isfinite(bound)):
        return None
    slack, bound_slack = 1e-15 * (abs(c) + abs(g)) + 1e-300, 1e-15 * bound + 1e-300
    if diff + slack < bound - bound_slack:
        return True
    if diff - slack > bound + bound_slack:
        return False
    return None


def _exact(x) -> Fraction:
    """``Fraction(x)``, without building a new one from a Fraction (grading compares a great many)."""
    return x if type(x) is Fraction else Fraction(x)


_THIN_SPACES = "\u2009\u202f\u00a0"  # thin, narrow no-break and no-break spaces: only ever thousands separators
_GROUPED = re.compile(r"^[-+]?\d{1,3}([, \u2009\u202f\u00a0]\d{3})+(\.\d+)?$")


def read_number(text: str):
    """A number as people write it ("20,106", "20 106", "2.0106e4", "7/15", "45%"), or None.

    Never evaluated: thousands separators (a comma or space before each group of exactly three
    digits) are removed, a trailing % divides by 100, and the rest is read by ``to_exact``.
    "1,5" is not a number here (a decimal comma is not read: it would make "1,234" ambiguous).
    """
    t = text.strip().replace("\u2212", "-")
    percent = t.endswith("%")
    if percent:
        t = t[:-1].rstrip()
    if _GROUPED.match(t):
        t = re.sub(r"[, \u2009\u202f\u00a0]", "", t)
    try:
        value = to_exact(t)
    except ValueError:
        return None
    return simplify(Fraction(value) / 100) if percent else value


class Unreadable(ValueError):
    """A submitted answer that cannot be read as the kind of value the question asks for."""


def read_answer(given: Value, expected: Value) -> Value:
    """The submitted answer as a value to compare with ``expected`` (the solver's answer).

    Text is read as people write it, guided by the kind of answer asked for: a number as
    ``read_number`` reads it; a shape as ``16x16x32``, ``16 × 16 × 32``, ``(16, 16, 32)`` or
    ``[16, 16, 32]``; a vector as ``[1, 2, 3]``, ``1, 2, 3`` or ``1 2 3``; a matrix as nested
    lists or rows separated by ``;`` or line breaks (``1 2; 3 4``). A list's cells written as
    text are read the same way. Nothing is evaluated. Raises Unreadable, saying why, for text
    that is none of these (``about -0.15``, ``idk``, an empty answer) or is ambiguous (``1,234``
    for a vector: the number 1234 or the vector [1, 234]?). A label is kept as written.
    """
    if isinstance(given, str):
        if len(given) > limits.MAX_ANSWER_CHARS:
            raise Unreadable(f"it is longer than {limits.MAX_ANSWER_CHARS:,} characters "
                             f"(nnsolve's cap MAX_ANSWER_CHARS)")
        if not given.strip():
            raise Unreadable("nothing is written")
        if isinstance(expected, str):
            return given
        if isinstance(expected, (list, tuple)):
            read = _typed(_read_cells(given, shape=isinstance(expected, tuple)), expected)
            one_row = len(expected) == 1 and isinstance(expected[0], list)
            if one_row and isinstance(read, list) and not any(isinstance(c, list) for c in read):
                return [read]  # "1 2 3" for a 1 × 3 matrix
            if not isinstance(read, (list, tuple)) and isinstance(expected, list) and _count_cells(expected) == 1:
                return [[read]] if isinstance(expected[0], list) else [read]  # "5" for [5]
            return read
        number = read_number(given)
        if number is None:
            raise Unreadable("it is not a number (such as 3, -0.25, 7/15, 2.5e-3 or 45%)")
        return number
    if isinstance(given, (list, tuple)):
        if _count_cells(given) > limits.MAX_ANSWER_CELLS:
            raise Unreadable(f"it has more than {limits.MAX_ANSWER_CELLS:,} cells (nnsolve's cap MAX_ANSWER_CELLS)")
        return _typed(given, expected)
    return given


QUOTED_CHARS = 40  # characters of a student's text quoted in a message; a longer text is cut with …


def quoted(text: str) -> str:
    """A student's text in quotes, for a message: cut to QUOTED_CHARS, control characters escaped."""
    cut = text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS - 1] + "…"
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut) + "'"


def _count_cells(value) -> int:
    return sum(_count_cells(v) for v in value) if isinstance(value, (list, tuple)) else 1


_SEPARATORS = re.compile(r"(?:,|[^\S\u2009\u202f\u00a0])+")  # between cells (a thin space is not one)
_SHAPE_TIMES = re.compile(r"(?<=[\d)\]])\s*[xX×*]\s*(?=[-+\d.(\[])")


def _read_cells(text: str, shape: bool) -> list | str:
    """The text's cells, as nested lists of strings (or one string: a single value)."""
    t = text.strip().replace("\u2212", "-")
    times = 0
    if shape:
        t, times = _SHAPE_TIMES.subn(",", t)  # 16x16x32: "x" separates, unambiguously
    if not times and t[:1] not in "[(" and not any(c in t for c in ";\n"):
        number, parts = read_number(t), _SEPARATORS.split(t)
        if number is not None and len(parts) > 1:
            raise Unreadable(f"it may be the number {number} or the values [{', '.join(parts)}]; write "
                             f"the values in brackets, or the number without separators")
    cells, end = _parse(t, 0, None, 0)
    if end != len(t):
        raise Unreadable("a closing bracket does not match an opening one")
    if _count_cells(cells) > limits.MAX_ANSWER_CELLS:
        raise Unreadable(f"it has more than {limits.MAX_ANSWER_CELLS:,} cells (nnsolve's cap MAX_ANSWER_CELLS)")
    return cells[0] if len(cells) == 1 else cells


_CLOSING = {"[": "]", "(": ")"}


def _parse(t: str, i: int, close: str | None, depth: int) -> tuple[list, int]:
    """Cells from t[i] up to ``close``: commas and spaces separate cells, ``;`` and line breaks
    rows (a matrix), brackets nest. Returns the cells and the index after ``close``."""
    if depth > limits.MAX_YAML_DEPTH:
        raise Unreadable(f"brackets nested more than {limits.MAX_YAML_DEPTH} deep (nnsolve's cap MAX_YAML_DEPTH)")
    rows: list[list] = [[]]
    start = None  # where the cell being read began

    def end_cell(j: int) -> None:
        nonlocal start
        if start is not None:
            rows[-1].append(t[start:j].strip(_THIN_SPACES))
            start = None

    while i < len(t):
        c = t[i]
        if c in _CLOSING:
            if start is not None:
                raise Unreadable(f"a bracket follows {quoted(t[start:i])} without a separator")
            inner, i = _parse(t, i + 1, _CLOSING[c], depth + 1)
            rows[-1].append(inner)
            continue
        if c in ")]":
            if c != close:
                raise Unreadable("a closing bracket does not match an opening one")
            end_cell(i)
            return _rows(rows), i + 1
        if c in ",;\n" or (c.isspace() and c not in _THIN_SPACES):
            end_cell(i)
            if c in ";\n" and rows[-1]:
                rows.append([])
        elif start is None:
            start = i
        i += 1
    if close is not None:
        raise Unreadable(f"a bracket is opened and never closed (missing {close})")
    end_cell(i)
    return _rows(rows), i


def _rows(rows: list[list]) -> list:
    rows = [r for r in rows if r]
    return rows[0] if len(rows) == 1 else rows


def _typed(cells, expected: Value):
    """Cells written as text made numbers where the expected answer has numbers (a shape a tuple)."""
    if isinstance(cells, (list, tuple)):
        out = [_typed(c, _at(expected, i)) for i, c in enumerate(cells)]
        return tuple(out) if isinstance(expected, tuple) else out
    if isinstance(expected, tuple):  # a single number for a one-dimensional shape: (10,)
        return (_typed(cells, _at(expected, 0)),)
    if isinstance(cells, str) and not isinstance(_leaf(expected), str):
        number = read_number(cells)
        if number is None:
            raise Unreadable(f"{quoted(cells)} is not a number")
        return number
    return cells


def _at(expected: Value, i: int) -> Value:
    """What cell i is compared with (the first cell's kind beyond the expected answer's end)."""
    if isinstance(expected, (list, tuple)):
        return expected[i] if i < len(expected) else _leaf(expected)
    return expected


def _leaf(value: Value) -> Value:
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return 0 if isinstance(value, (list, tuple)) else value


def agree(computed: Value, given: Value, tol: Tolerance) -> bool:
    """Compare numbers, labels, vectors, matrices and shapes element by element."""
    if type(computed) is int and type(given) is int:  # the commonest case, without the checks below
        return computed == given
    if is_number(computed) and is_number(given):
        return numbers_agree(computed, given, tol)
    if isinstance(computed, (list, tuple)) and isinstance(given, (list, tuple)):
        return len(computed) == len(given) and all(agree(c, g, tol) for c, g in zip(computed, given))
    if isinstance(computed, str) and isinstance(given, str):
        return computed.strip().lower() == given.strip().lower()
    if isinstance(computed, str) and is_number(given) or is_number(computed) and isinstance(given, str):
        # a class label "-1" against the number -1, or a number a student wrote as text ("20,106")
        if str(computed).strip() == str(given).strip():
            return True
        number, text = (computed, given) if is_number(computed) else (given, computed)
        read = read_number(text)
        return read is not None and numbers_agree(number, read, tol)
    return False


def distance(computed: Value, given: Value) -> float:
    """How far apart two answers are, as a relative difference (inf when not comparable)."""
    if is_number(computed) and is_number(given):
        c, g = Fraction(computed), Fraction(given)
        if c == g:
            return 0.0
        scale = max(abs(c), abs(g))
        return float(abs(c - g) / scale)
    if isinstance(computed, (list, tuple)) and isinstance(given, (list, tuple)) and len(computed) == len(given):
        parts = [distance(c, g) for c, g in zip(computed, given)]
        return max(parts, default=0.0)
    if isinstance(computed, str) and isinstance(given, str):
        return 0.0 if computed.strip().lower() == given.strip().lower() else math.inf
    return math.inf


def cells(value: Value) -> list[tuple[tuple[int, ...], Value]] | None:
    """The cells of a vector or matrix with their indices (from 0), or None for anything else."""
    if not isinstance(value, (list, tuple)):
        return None
    out: list[tuple[tuple[int, ...], Value]] = []
    for i, item in enumerate(value):
        if isinstance(item, (list, tuple)):
            out.extend(((i, j), v) for j, v in enumerate(item))
        else:
            out.append(((i,), item))
    return out


def same_shape(a: Value, b: Value) -> bool:
    """True when two vectors or matrices have the same number of rows and of cells in each row."""
    if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))) or len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, (list, tuple)) != isinstance(y, (list, tuple)):
            return False
        if isinstance(x, (list, tuple)) and len(x) != len(y):
            return False
    return True


def disagreeing_cells(computed: Value, given: Value, tol: Tolerance) -> list[tuple[tuple[int, ...], Value, Value]] | None:
    """The cells where ``given`` disagrees with ``computed``, as (index, computed, given);
    None when they are not vectors or matrices of the same shape."""
    if not same_shape(computed, given):
        return None
    return [(index, c, g) for (index, c), (_, g) in zip(cells(computed), cells(given))
            if not agree(c, g, tol)]
