"""Numbers in LaTeX. The plain text of a number (``number_text``, ``plain``) is the core's
(nnsolve.numbers), so that solvers can state numbers in prose without importing a renderer;
every format shows the same digits.
"""

from __future__ import annotations

from fractions import Fraction

from ..numbers import (DIGITS, exact_decimal, is_terminating, minus, number_text, plain,  # noqa: F401
                       round_sig, shown_exactly, shown_rounded)


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
        if shown_rounded(x):
            return _scientific_latex(round_sig(x)).replace(",", "{,}")
        sign = "-" if x < 0 else ""
        fraction = rf"{sign}\tfrac{{{abs(x.numerator)}}}{{{x.denominator}}}"
        return f"{fraction} \\approx {_scientific_latex(round_sig(x)).replace(',', '{,}')}" if approx else fraction
    if isinstance(x, (int, float, Fraction)):
        return _scientific_latex(number_text(x)).replace(",", "{,}")
    return r"\text{" + _text(str(x)) + "}"


def _text(label: str) -> str:
    """A label inside maths, as prose is written (escaped, its Unicode mapped)."""
    from .latex import text_latex  # latex imports this module

    return text_latex(label, inline=True)


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
