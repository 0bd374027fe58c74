"""When two answers agree: exact for integers and labels, within a tolerance for reals.

Used both to pick a multiple-choice option and to grade a submitted answer.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from .numbers import Value, is_number
from .spec import Tolerance


def _round_sig(x: Fraction | float | int, digits: int) -> Decimal:
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
    if d == 0:
        return d
    exponent = d.adjusted() - digits + 1
    return d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)


def _round_dp(x: Fraction | float | int, digits: int) -> Decimal:
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
    return d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


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
        return _round_sig(Fraction(computed), tol.sig_figs) == _round_sig(Fraction(given), tol.sig_figs)
    if tol.decimals is not None:
        return _round_dp(Fraction(computed), tol.decimals) == _round_dp(Fraction(given), tol.decimals)
    diff = abs(Fraction(computed) - Fraction(given))
    return diff <= Fraction(tol.absolute) or diff <= Fraction(tol.relative) * abs(Fraction(computed))


def agree(computed: Value, given: Value, tol: Tolerance) -> bool:
    """Compare numbers, labels, vectors, matrices and shapes element by element."""
    if is_number(computed) and is_number(given):
        return numbers_agree(computed, given, tol)
    if isinstance(computed, (list, tuple)) and isinstance(given, (list, tuple)):
        return len(computed) == len(given) and all(agree(c, g, tol) for c, g in zip(computed, given))
    if isinstance(computed, str) and isinstance(given, str):
        return computed.strip().lower() == given.strip().lower()
    if isinstance(computed, str) and is_number(given) or is_number(computed) and isinstance(given, str):
        # a class label "-1" against the number -1, or a shape written as text
        return str(computed).strip() == str(given).strip()
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
