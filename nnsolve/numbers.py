"""Exact numbers: how values from a problem file become exact, and the value types a solution holds.

Integers stay ``int``; rationals are ``fractions.Fraction`` (exact, and far cheaper to import
than sympy); only transcendental results (sigmoid, exp, square roots) are ``float``.
A decimal written in a problem file, such as ``0.001``, is read as the exact fraction it
denotes (1/1000), so ``-27 * 0.001`` is exactly ``-0.027``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Annotated, Union

from pydantic import PlainValidator, WithJsonSchema

from . import limits

Number = Union[int, Fraction, float]
# A value in a solution: a number, a vector, a matrix (list of rows), a tensor, a shape
# (tuple of ints) or a label (str).
Value = Union[Number, str, tuple, list]

_RATIONAL = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(\s*/\s*[1-9]\d*)?\s*$")


def simplify(x: Number) -> Number:
    """A Fraction with denominator 1 becomes an int; everything else is returned as is."""
    if isinstance(x, Fraction) and x.denominator == 1:
        return int(x.numerator)
    return x


def to_exact(value: object) -> Number:
    """Turn a number read from a problem file into an exact int or Fraction.

    Raises ValueError with a message fit for the user on anything that is not a finite number.
    Strings such as ``"7/15"`` or ``"0.47"`` are parsed with ``Fraction`` — never evaluated.
    """
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return simplify(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number (NaN and infinity are not allowed)")
        return simplify(Fraction(repr(value)))
    if isinstance(value, str):
        if len(value) > limits.MAX_NUMBER_DIGITS:
            raise ValueError(f"a number written with more than {limits.MAX_NUMBER_DIGITS} characters "
                             f"is refused (nnsolve's cap MAX_NUMBER_DIGITS)")
        match = _RATIONAL.match(value)
        if not match:
            raise ValueError("must be a number such as 3, -0.25 or 7/15")
        # Fraction("1e999999999") would compute a billion-digit integer: check the exponent first.
        if match.group(3) and abs(int(match.group(3)[1:])) > limits.MAX_EXPONENT:
            raise ValueError(f"exponent beyond ±{limits.MAX_EXPONENT} (nnsolve's cap MAX_EXPONENT)")
        return simplify(Fraction(value.replace(" ", "")))
    raise ValueError("must be a number")


def _validate_real(value: object) -> Number:
    return to_exact(value)


_REAL_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "pattern": r"^-?\d+(\.\d+)?(/[1-9]\d*)?$"},
    ]
}

# A real number field in a spec: exact int or Fraction after validation.
Real = Annotated[Number, PlainValidator(_validate_real), WithJsonSchema(_REAL_SCHEMA)]


def is_number(x: object) -> bool:
    return isinstance(x, (int, Fraction, float)) and not isinstance(x, bool)


def to_float(x: Number) -> float:
    return float(x)


def is_terminating(x: Fraction) -> bool:
    """True when the fraction has a finite decimal expansion (denominator of the form 2^a·5^b)."""
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def json_number(x: Number) -> int | float:
    """The JSON form of a number: ints stay ints, everything else becomes the nearest float."""
    if isinstance(x, int):
        return x
    x = simplify(x)
    return x if isinstance(x, int) else float(x)


def exact_text(x: Number) -> str | None:
    """An exact text form of a rational that a float cannot show exactly (``"7/15"``), else None."""
    if isinstance(x, Fraction) and x.denominator != 1 and not is_terminating(x):
        return f"{x.numerator}/{x.denominator}"
    return None


def sigmoid(x: Number) -> float:
    """σ(x) = 1 / (1 + e^−x), computed without overflow for large |x| (a float: e^x is transcendental)."""
    x = float(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
