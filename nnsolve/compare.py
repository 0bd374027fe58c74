"""When two answers agree: exact for integers and labels, within a tolerance for reals.

Used both to pick a multiple-choice option and to grade a submitted answer.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .numbers import Value, is_number, simplify, to_exact
from .spec import Tolerance


# Rounding for sig_figs / decimals is the school rule (halves away from zero), as a student
# rounds by hand: 0.0125 to 3 decimal places is 0.013.
def round_sig_figs(x: Fraction | float | int, digits: int) -> Decimal:
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
    if d == 0:
        return d
    exponent = d.adjusted() - digits + 1
    return d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def round_decimals(x: Fraction | float | int, digits: int) -> Decimal:
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
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
    c = _exact(computed)
    diff = abs(c - _exact(given))
    return diff <= _exact(tol.absolute) or diff <= _exact(tol.relative) * abs(c)


def _exact(x) -> Fraction:
    """``Fraction(x)``, without building a new one from a Fraction (grading compares a great many)."""
    return x if type(x) is Fraction else Fraction(x)


_GROUPED = re.compile(r"^[-+]?\d{1,3}([, \u202f\u00a0]\d{3})+(\.\d+)?$")


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
        t = re.sub(r"[, \u202f\u00a0]", "", t)
    try:
        value = to_exact(t)
    except ValueError:
        return None
    return simplify(Fraction(value) / 100) if percent else value


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
