"""Number and expression formatting, in one place."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nnsolve.expr import call, dot, evaluate, num, sym
from nnsolve.render.math import expr_latex, expr_text
from nnsolve.render.numbers import number_latex, number_text


@pytest.mark.parametrize(
    "value,text",
    [
        (217850, "217,850"),
        (-27, "-27"),
        (Fraction(-27, 1000), "-0.027"),
        (Fraction(7, 15), "7/15 ≈ 0.46667"),
        (0.1007812345, "0.10078"),
        (17.97752808988764, "17.978"),
        (Fraction(3, 1), "3"),
        # rounding that carries into a new first digit keeps five figures, not six
        (0.099999999, "0.10000"),
        (-0.09999999992, "-0.10000"),
        (9.99999999, "10.000"),
        (0.00099999999, "0.0010000"),
        (99999.99999, "100,000"),
    ],
)
def test_number_text(value, text):
    assert number_text(value) == text


def test_a_list_of_grouped_numbers_is_set_apart_by_semicolons():
    from nnsolve.expr import num
    from nnsolve.numbers import plain

    assert plain([144, 576, 1296, 2304]) == "[144; 576; 1,296; 2,304]"  # four values, not six
    assert plain([[1, 2], [3, 1000]]) == "[[1; 2]; [3; 1,000]]"  # one separator for the whole matrix
    assert plain([5, -2, 999]) == "[5, -2, 999]"
    assert expr_text(num([[16, 64], [1024, -1600]])) == "[[16; 64]; [1,024; −1,600]]"


def test_number_latex():
    assert number_latex(69120000) == "69{,}120{,}000"
    assert number_latex(Fraction(-7, 15)) == r"-\tfrac{7}{15} \approx -0.46667"


def test_expression_text_and_latex():
    H, P, K, S = sym("H"), sym("P"), sym("K"), sym("S")
    formula = call("floor", (H + 2 * P - K) / S) + 1
    assert expr_text(formula) == "⌊(H + 2P − K) / S⌋ + 1"
    assert expr_latex(formula) == r"\left\lfloor \frac{H + 2 P - K}{S} \right\rfloor + 1"


def test_negative_numbers_are_bracketed_in_products():
    e = dot(Fraction(1, 4), Fraction(1, 2)) + dot(Fraction(-1, 5), Fraction(2, 5))
    assert expr_text(e) == "0.25 · 0.5 + (−0.2) · 0.4"


def test_evaluate_is_exact():
    assert evaluate(dot(num(Fraction(-27)), Fraction(1, 1000))) == Fraction(-27, 1000)
    assert evaluate(call("floor", (num(64) + dot(2, 0) - 7) / num(1)) + 1) == 58


def test_inexact_values_keep_their_stated_digits():
    assert number_text(0.8909031788043871) == "0.89090"
    assert number_text(0.2350037122015945) == "0.23500"
    assert number_text(2.0) == "2"  # an integer-valued float (ReLU(2)) reads as the integer


def test_fractions_inside_formulas_are_exact_and_bracketed():
    x1 = sym("x_1")
    e = num(Fraction(4, 15)) * x1 - dot(Fraction(2, 45), num([Fraction(-2), 7])) + num(Fraction(-2, 15)) ** num(2)
    assert expr_text(e) == "(4/15)x₁ − (2/45) · [−2, 7] + (−2/15)²"


def test_a_tensor_too_large_to_show_inside_a_formula_is_its_shape_and_first_numbers():
    """A 104 × 104 weight matrix substituted into an update is not written out cell by cell: the
    substitution's length does not grow with the tensor (JSON holds every value)."""
    def update(n: int):
        w = [[Fraction(i - j, 7) for j in range(n)] for i in range(n)]
        return num(w) - dot(num(Fraction(1, 1000)), num(w))

    assert expr_text(update(30)) == ("(30 × 30 values: 0, −1/7, −2/7, …) − 0.001 · "
                                     "(30 × 30 values: 0, −1/7, −2/7, …)")
    assert expr_latex(update(30)).startswith(r"\left(30 \times 30 \text{ values: } 0, -\tfrac{1}{7}")
    for render in (expr_text, expr_latex):
        assert len(render(update(300))) == len(render(update(30))) + 2 * 2  # only the shape's digits grow
    assert "\\begin{bmatrix}" in expr_latex(num([[1, 2], [3, 4]]))  # a small one is shown in full


def test_breaking_a_long_sum_visits_each_character_a_bounded_number_of_times():
    """The line breaker of LaTeX maths scans tokens, not characters one by one, and measures each
    piece once: a sum of 20,000 terms is broken in well under a second."""
    import time

    from nnsolve.render.latex import _rhs_lines

    long_sum = " + ".join(rf"\tfrac{{{k}}}{{7}} x_{{{k}}}" for k in range(20_000))
    start = time.process_time()
    lines = _rhs_lines(long_sum, 60)
    assert time.process_time() - start < 5  # generous: a CPU bound, not a timing
    assert " + ".join(line.removeprefix("+ ") for line in lines) == long_sum


def test_a_fraction_too_long_to_read_is_shown_rounded_and_marked_inexact():
    from nnsolve.numbers import DISPLAY_DIGITS, shown_exactly

    short = Fraction(10**DISPLAY_DIGITS - 2, 7)  # 24 digits above the bar: still written out
    long = Fraction(10**DISPLAY_DIGITS + 1, 7)
    assert number_text(short, approx=False) == f"{short.numerator}/7" and shown_exactly(short)
    assert number_text(long) == "1.4286e+23" and not shown_exactly(long)  # a step then says ≈
    assert number_latex(long) == r"1.4286 \times 10^{23}"
    huge = Fraction(2**5000 + 1, 3**3000)  # 1,506 and 1,432 digits ≈ 5.5e73: rounded, never written out
    assert number_text(huge).endswith("e+73") and len(number_text(huge)) == len("5.5123e+73")
