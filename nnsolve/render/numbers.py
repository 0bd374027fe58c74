"""Every number nnsolve shows is formatted here, in one place.

- Integers are exact, with thousands separators: 217,850.
- A fraction with a finite decimal expansion is shown exactly: -0.027.
- Any other fraction is shown exactly and rounded: 7/15 ≈ 0.46667.
- Floats (results of exp, sigmoid, square roots) are rounded to DIGITS significant figures.
Rounding happens only here, for display; values are never rounded in a computation.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

from ..numbers import is_terminating

DIGITS = 5  # significant figures shown for a value that is not exact
_MAX_EXACT_DECIMALS = 12  # a terminating fraction longer than this is shown rounded


def _decimal(x: Fraction | float | int) -> Decimal:
    if isinstance(x, Fraction):
        with localcontext() as ctx:
            ctx.prec = 60
            return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def round_sig(x: Fraction | float | int, digits: int = DIGITS) -> str:
    """Fixed-point text of x rounded to ``digits`` significant figures (no exponent for common sizes)."""
    d = _decimal(x)
    if d == 0:
        return "0"
    exponent = d.adjusted()
    if exponent >= 15 or exponent <= -8:
        return f"{float(x):.{digits - 1}e}"
    quantum = Decimal(1).scaleb(exponent - digits + 1)
    with localcontext() as ctx:
        ctx.prec = 60
        r = d.quantize(quantum)
    # Trailing zeros stay: 0.89090 says five significant figures, 0.8909 would say four.
    return _group(format(r, "f"))


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
    if not is_terminating(x):
        return None
    text = format(_decimal(x), "f")
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
    return True


def minus(text: str) -> str:
    return text.replace("-", "−") if text.startswith("-") else text


def number_text(x, unicode_minus: bool = False, approx: bool = True) -> str:
    """A number as plain text; ``approx=False`` leaves the "≈ decimal" off a fraction (inside a formula)."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        out = f"{x:,}"
    elif isinstance(x, Fraction):
        if x.denominator == 1:
            return number_text(x.numerator, unicode_minus)
        exact = exact_decimal(x)
        if exact is not None:
            out = exact
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


def plain(value) -> str:
    """Any value (number, vector, matrix, shape, label) as one line of plain text."""
    if isinstance(value, tuple):
        return " × ".join(plain(v) for v in value)
    if isinstance(value, list):
        return "[" + ", ".join(plain(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {plain(v)}" for k, v in value.items())
    return number_text(value)


def number_latex(x, approx: bool = True) -> str:
    """A number as LaTeX maths (thousands separated by {,}).

    A fraction with no finite decimal is shown as the fraction, then ``\\approx`` its rounded
    decimal; with ``approx=False`` (a number inside a formula) as the fraction alone.
    """
    if isinstance(x, bool):
        return r"\text{" + str(x).lower() + "}"
    if isinstance(x, Fraction) and x.denominator != 1:
        exact = exact_decimal(x)
        if exact is not None:
            return exact.replace(",", "{,}")
        sign = "-" if x < 0 else ""
        fraction = rf"{sign}\tfrac{{{abs(x.numerator)}}}{{{x.denominator}}}"
        return f"{fraction} \\approx {_scientific_latex(round_sig(x)).replace(',', '{,}')}" if approx else fraction
    if isinstance(x, (int, float, Fraction)):
        return _scientific_latex(number_text(x)).replace(",", "{,}")
    return r"\text{" + latex_escape(str(x)) + "}"


def _scientific_latex(text: str) -> str:
    """``3.0747e-11`` as ``3.0747 \\times 10^{-11}``; fixed-point text is returned unchanged."""
    mantissa, e, exponent = text.partition("e")
    if not e:
        return text
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)
