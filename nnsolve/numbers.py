"""Exact numbers: how values from a problem file become exact, and the value types a solution holds.

Integers stay ``int``; rationals are ``fractions.Fraction`` (exact, and far cheaper to import
than sympy); only transcendental results (sigmoid, exp, square roots) are ``float``.
A decimal written in a problem file, such as ``0.001``, is read as the exact fraction it
denotes (1/1000), so ``-27 * 0.001`` is exactly ``-0.027``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Annotated, Union

from pydantic import PlainValidator, StringConstraints

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


_EXACT_BITS = int(limits.MAX_EXACT_DIGITS * 3.3219280948873626)  # log2(10) bits per digit


def outgrown(x: Number) -> bool:
    """True when an exact number's numerator or denominator has more than MAX_EXACT_DIGITS digits."""
    if isinstance(x, int):
        return x.bit_length() > _EXACT_BITS
    if isinstance(x, Fraction):
        return max(x.numerator.bit_length(), x.denominator.bit_length()) > _EXACT_BITS
    return False


def bounded(x: Number) -> Number:
    """``x``, or its nearest float once it has outgrown MAX_EXACT_DIGITS digits.

    Iterating a polynomial map exactly multiplies the digits at every step (gradient descent on
    x³ triples them); past the cap a value is carried as a float. Raises OverflowError for a
    value beyond a float's range.
    """
    return float(x) if outgrown(x) else x


def _validate_real(value: object) -> Number:
    return to_exact(value)


# What a file may write for a real number, for the JSON Schema: a number, or text such as "7/15"
# or "1e-8" (the pattern is the one to_exact reads). Bounds (Field(gt=0)) go on the number.
NUMBER_PATTERN = _RATIONAL.pattern
_REAL_INPUT = Union[float, Annotated[str, StringConstraints(pattern=NUMBER_PATTERN)]]

# A real number field in a spec: exact int or Fraction after validation.
Real = Annotated[Number, PlainValidator(_validate_real, json_schema_input_type=_REAL_INPUT)]


def as_written(x: Fraction) -> float | str:
    """A fraction as a problem file writes it: 0.9 (a float that reads back exactly), else "7/15"."""
    as_float = float(x)
    return as_float if Fraction(repr(as_float)) == x else f"{x.numerator}/{x.denominator}"


def too_long(x: Fraction) -> bool:
    """True when a fraction's numerator or denominator has more than MAX_SHOWN_DIGITS digits."""
    return max(x.numerator.bit_length(), x.denominator.bit_length()) > _LONG_INT_BITS


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


def json_number(x: Number) -> int | float | str:
    """The JSON form of a number: ints stay ints, everything else becomes the nearest float.

    A number no JSON reader could take as a number (an int of more than MAX_SHOWN_DIGITS digits, a
    fraction beyond a float's range) becomes its text in scientific notation, "1.2346e+12000"."""
    if isinstance(x, int):
        return scientific_int(x) if x.bit_length() > _LONG_INT_BITS else x
    x = simplify(x)
    if isinstance(x, int):
        return json_number(x)
    try:
        return float(x)
    except OverflowError:
        return round_sig(x)


def exact_text(x: Number) -> str | None:
    """An exact text form of a rational that a float cannot show exactly (``"7/15"``), else None
    (None too for a fraction too long to write: more than MAX_SHOWN_DIGITS digits)."""
    if isinstance(x, Fraction) and x.denominator != 1 and not is_terminating(x) and not too_long(x):
        return f"{x.numerator}/{x.denominator}"
    return None


_SATURATED = 800  # beyond this |x|, σ(x) and tanh(x) are 0, 1 or ±1 to the last bit of a float


def sigmoid(x: Number) -> float:
    """σ(x) = 1 / (1 + e^−x), computed without overflow for large |x| (a float: e^x is transcendental).

    An exact x beyond a float's range (1e600) saturates as a float's σ would, without converting it."""
    if abs(x) > _SATURATED:
        return 1.0 if x > 0 else 0.0
    x = float(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# ---------------------------------------------------------------------------------------------
# The text of a number. Every number nnsolve shows is formatted here, in one place:
# - integers are exact, with thousands separators: 217,850;
# - a fraction with a finite decimal expansion is shown exactly: -0.027;
# - any other fraction is shown exactly and rounded: 7/15 ≈ 0.46667;
# - floats (results of exp, sigmoid, square roots) are rounded to DIGITS significant figures.
# Rounding happens only here, for display; values are never rounded in a computation.
# The LaTeX forms (nnsolve.render.numbers) are built from these texts.

DIGITS = 5  # significant figures shown for a value that is not exact
_MAX_EXACT_DECIMALS = 12  # a terminating fraction longer than this is shown rounded


def _decimal(x: Fraction | float | int) -> Decimal:
    if isinstance(x, Fraction):
        with localcontext() as ctx:
            ctx.prec = 60
            return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def tanh(x: Number) -> float:
    """tanh(x) as a float, without converting an exact x beyond a float's range (it saturates at ±1)."""
    if abs(x) > _SATURATED:
        return 1.0 if x > 0 else -1.0
    return math.tanh(float(x))


def round_sig(x: Fraction | float | int, digits: int = DIGITS) -> str:
    """Fixed-point text of x rounded to ``digits`` significant figures (no exponent for common sizes)."""
    if isinstance(x, int) and x.bit_length() > _LONG_INT_BITS:
        return scientific_int(x, digits)
    d = _decimal(x)
    if d == 0:
        return "0"
    exponent = d.adjusted()
    if exponent >= 15 or exponent <= -8:
        if isinstance(x, float) or abs(exponent) < 300:
            return f"{float(x):.{digits - 1}e}"
        return _exponent_text(format(d, f".{digits - 1}e"))  # beyond a float's range (an exact 1e600)
    quantum = Decimal(1).scaleb(exponent - digits + 1)
    with localcontext() as ctx:
        ctx.prec = 60
        r = d.quantize(quantum)
        if r.adjusted() > exponent:  # 0.0999999 rounds up to 0.10000: the figures count from the new first digit
            r = d.quantize(quantum.scaleb(1))
    # Trailing zeros stay: 0.89090 says five significant figures, 0.8909 would say four.
    return _group(format(r, "f"))


def _exponent_text(text: str) -> str:
    """Decimal's ``1.2345e+600`` written as Python writes a float's exponent (at least two digits)."""
    mantissa, _, exponent = text.partition("e")
    return f"{mantissa}e{exponent[0]}{int(exponent[1:]):02d}"


# An integer longer than this is shown in scientific notation: Python refuses to write one of more
# than 4,300 digits as text (sys.set_int_max_str_digits), and no reader counts a thousand digits.
MAX_SHOWN_DIGITS = 1_000
_LONG_INT_BITS = int(MAX_SHOWN_DIGITS * 3.3219280948873626)


# An exact number shown is written in full up to this many digits (an integer, or a fraction's
# numerator and denominator); a longer one (an exact 1e300) is shown in scientific notation to
# DIGITS significant figures, with ≈ unless those digits are the whole of it. JSON keeps every
# digit up to MAX_SHOWN_DIGITS.
DISPLAY_DIGITS = 24


def too_long_to_show(x: int | Fraction) -> bool:
    """True when an exact number has more than DISPLAY_DIGITS digits in its integer or its numerator or denominator."""
    if isinstance(x, int):
        return decimal_digits(x) > DISPLAY_DIGITS
    return decimal_digits(x.numerator) > DISPLAY_DIGITS or decimal_digits(x.denominator) > DISPLAY_DIGITS


def decimal_digits(n: int) -> int:
    """How many decimal digits |n| has, computed without writing n as text."""
    n = abs(n)
    if n == 0:
        return 1
    digits = max(1, int((n.bit_length() - 1) * 0.30102999566398120) + 1)  # log10(2) per bit: exact or one short
    return digits + 1 if n >= 10**digits else digits


def scientific_int(n: int, digits: int = DIGITS) -> str:
    """An integer of any length as ``1.2346e+12000``, its leading digits rounded exactly (half up)."""
    length = decimal_digits(n)
    shift = length - digits
    lead = abs(n) // 10**(shift - 1) if shift > 0 else abs(n) * 10**(1 - shift)
    lead = (lead + 5) // 10  # round the digit after the last one shown, half up
    exponent = length - 1
    if lead >= 10**digits:  # 9.99995… rounded up to 10.000
        lead //= 10
        exponent += 1
    text = str(lead)
    return f"{'-' if n < 0 else ''}{text[0]}.{text[1:]}e+{exponent:02d}"


def _group(text: str) -> str:
    """Thousands separators in the integer part of a fixed-point number."""
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    whole, dot, frac = body.partition(".")
    if len(whole) > 3:
        whole = f"{int(whole):,}"
    return f"{sign}{whole}{dot}{frac}"


def exact_decimal(x: Fraction) -> str | None:
    """The exact decimal text of a terminating fraction, or None if it does not terminate (or is long)."""
    if x.denominator > 10**_MAX_EXACT_DECIMALS or not is_terminating(x):
        return None  # 2^a·5^b needs max(a, b) decimals, so a denominator over 10^12 needs more than 12
    if too_long_to_show(x):  # nor would anyone read it
        return None
    d = _decimal(x)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
        if len(text.partition(".")[2]) > _MAX_EXACT_DECIMALS:
            return None
    return _group(text)


def shown_exactly(value) -> bool:
    """True when the text of ``value`` (every entry of a vector or matrix) is exact, not rounded.

    A step then says ``= value``; otherwise ``≈ value``. A non-terminating fraction counts as
    exact: it is shown as the fraction itself, followed by its rounded decimal.
    """
    if isinstance(value, (list, tuple)):
        return all(shown_exactly(v) for v in value)
    if isinstance(value, float):
        return float(round_sig(value).replace(",", "")) == value
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool) and too_long_to_show(value):
        return Fraction(Decimal(round_sig(value).replace(",", ""))) == value  # 1.0000e+300 is 10³⁰⁰ exactly
    return True


def minus(text: str) -> str:
    return text.replace("-", "−") if text.startswith("-") else text


def number_text(x, unicode_minus: bool = False, approx: bool = True) -> str:
    """A number as plain text; ``approx=False`` leaves the "≈ decimal" off a fraction (inside a formula)."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        out = scientific_int(x) if too_long_to_show(x) else f"{x:,}"
    elif isinstance(x, Fraction):
        if x.denominator == 1:
            return number_text(x.numerator, unicode_minus)
        exact = exact_decimal(x)
        if exact is not None:
            out = exact
        elif too_long_to_show(x):
            out = round_sig(x)  # too long to read as a fraction (or to write at all, past 4,300 digits)
        elif approx:
            out = f"{x.numerator}/{x.denominator} ≈ {round_sig(x)}"
        else:
            out = f"{x.numerator}/{x.denominator}"
    elif isinstance(x, float):
        # a float with an integer value (ReLU(2) = 2.0, a score of 1.0) reads as that integer
        out = f"{int(x):,}" if x.is_integer() and abs(x) < 1e15 else round_sig(x)
    else:
        return str(x)
    return minus(out) if unicode_minus else out


def list_separator(value: list) -> str:
    """", " between the items of a vector or matrix, or "; " (at every level) when one of its
    numbers has thousands separators: [576; 1,296] reads as two values where [576, 1,296] reads as three."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif is_number(item) and not isinstance(item, bool) and "," in number_text(item, approx=False):
            return "; "
    return ", "


# A number in an error message is one short line's worth: an exact value with more digits than
# this (x·1e308·1e308 after one step of gradient descent) is rounded, and the message says so.
MESSAGE_DIGITS = 20
_ROUNDED = f" (rounded to {DIGITS} significant figures)"


def message_number(x) -> str:
    """A number as an error message shows it: in full while it has at most MESSAGE_DIGITS digits,
    else to DIGITS significant figures, saying so (-1.0000e+616 (rounded to 5 significant figures))."""
    if isinstance(x, int) and not isinstance(x, bool) and decimal_digits(x) > MESSAGE_DIGITS:
        return scientific_int(x) + _ROUNDED
    if isinstance(x, Fraction) and max(decimal_digits(x.numerator), decimal_digits(x.denominator)) > MESSAGE_DIGITS:
        return round_sig(x) + _ROUNDED
    return number_text(x)


# 12,345.678, or a fraction with its decimal (2/3 ≈ 0.66667), as number_text writes them; a sign stays outside
_NUMBER_IN_TEXT = re.compile(r"(\d(?:,?\d)*(?:\.\d+)?)(?:/(\d(?:,?\d)*)(?: ≈ [-−]?[\d.,]+(?:e[-+]\d+)?)?)?")


def bounded_message(message: str) -> str:
    """``message`` with every number of more than MESSAGE_DIGITS digits written as message_number
    writes it: whatever a message was built from, no error line carries a thousand digits."""
    def bound(match: re.Match) -> str:
        top, bottom = match.group(1).replace(",", ""), (match.group(2) or "1").replace(",", "")
        if max(len(top.replace(".", "")), len(bottom)) <= MESSAGE_DIGITS:
            return match.group(0)
        return message_number(simplify(Fraction(top) / int(bottom)))  # our own digits, read back exactly

    return _NUMBER_IN_TEXT.sub(bound, message)


def plain(value) -> str:
    """Any value (number, vector, matrix, shape, label) as one line of plain text."""
    if isinstance(value, tuple):
        return " × ".join(plain(v) for v in value)
    if isinstance(value, list):
        return _plain_list(value, list_separator(value))
    if isinstance(value, dict):
        return ", ".join(f"{k} = {plain(v)}" for k, v in value.items())
    return number_text(value)


def _plain_list(value, separator: str) -> str:
    if isinstance(value, list):
        return "[" + separator.join(_plain_list(v, separator) for v in value) + "]"
    return plain(value)


