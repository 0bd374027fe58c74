"""Reading answers as people write them (compare.read_number, compare.read_answer): a table of
forms, then round trips — a number, shape, vector or matrix written the ways people write it
reads back exactly."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nnsolve import limits
from nnsolve.compare import Unreadable, read_answer, read_number

SHAPE, VECTOR, MATRIX = (16, 16, 32), [1, 2, 3], [[1, 2], [3, 4]]


@pytest.mark.parametrize("text, expected, read", [
    # numbers
    ("20,106", 0, 20106),
    ("20 106", 0, 20106),
    ("20\u2009106", 0, 20106),  # thin space
    ("20\u202f106", 0, 20106),  # narrow no-break space
    ("1,234,567.25", 0, F(4938269, 4)),
    ("2.0106e4", 0, 20106),
    ("2.0106E+4", 0, 20106),
    ("7/15", 0, F(7, 15)),
    ("45%", 0, F(9, 20)),
    ("12.5 %", 0, F(1, 8)),
    ("\u22120.15", 0, F(-3, 20)),  # the minus sign nnsolve itself prints
    ("  -0.15 ", 0, F(-3, 20)),
    # shapes: the solver's answer is a tuple
    ("16x16x32", SHAPE, (16, 16, 32)),
    ("16 x 16 x 32", SHAPE, (16, 16, 32)),
    ("16 × 16 × 32", SHAPE, (16, 16, 32)),  # as nnsolve prints a shape
    ("16*16*32", SHAPE, (16, 16, 32)),
    ("(16, 16, 32)", SHAPE, (16, 16, 32)),
    ("[16, 16, 32]", SHAPE, (16, 16, 32)),
    ("16, 16, 32", SHAPE, (16, 16, 32)),
    ("(32, 16, 16)", SHAPE, (32, 16, 16)),  # read as written: a wrong order is graded wrong, not unread
    ("10", (10,), (10,)),
    ("(10,)", (10,), (10,)),
    # vectors
    ("[1, 2, 3]", VECTOR, [1, 2, 3]),
    ("(1, 2, 3)", VECTOR, [1, 2, 3]),
    ("1, 2, 3", VECTOR, [1, 2, 3]),
    ("1,2,3", VECTOR, [1, 2, 3]),
    ("1 2 3", VECTOR, [1, 2, 3]),
    ("[0.5, -1/4, 2e-3]", VECTOR, [F(1, 2), F(-1, 4), F(1, 500)]),
    ("[1,234]", [0, 0], [1, 234]),  # in brackets a comma always separates
    ("20\u2009106, 3", [0, 0], [20106, 3]),  # a thin space only ever groups thousands
    ("a, b", ["x", "y"], ["a", "b"]),  # labels stay text
    # matrices
    ("[[1, 2], [3, 4]]", MATRIX, [[1, 2], [3, 4]]),
    ("1 2; 3 4", MATRIX, [[1, 2], [3, 4]]),
    ("1, 2; 3, 4", MATRIX, [[1, 2], [3, 4]]),
    ("[1 2; 3 4]", MATRIX, [[1, 2], [3, 4]]),
    ("1 2\n3 4\n", MATRIX, [[1, 2], [3, 4]]),
    ("1 2 3; 4 5 6", MATRIX, [[1, 2, 3], [4, 5, 6]]),  # read as written: the wrong shape is graded wrong
    # a list from YAML whose cells are text
    (["20,106", "7/15"], [0, 0], [20106, F(7, 15)]),
    ([16, 16, 32], SHAPE, (16, 16, 32)),
    # a label answer is kept as written
    ("+1", "+1", "+1"),
])
def test_forms_read(text, expected, read):
    value = read_answer(text, expected)
    assert value == read and type(value) is type(read)


@pytest.mark.parametrize("text, expected, reason", [
    ("about -0.15", 0, "it is not a number (such as 3, -0.25, 7/15, 2.5e-3 or 45%)"),
    ("idk", 0, "it is not a number (such as 3, -0.25, 7/15, 2.5e-3 or 45%)"),
    ("", 0, "nothing is written"),
    ("   ", SHAPE, "nothing is written"),
    ("1,5", 0, "it is not a number (such as 3, -0.25, 7/15, 2.5e-3 or 45%)"),  # no decimal comma
    ("1,234", [0, 0], "it may be the number 1234 or the values [1, 234]; write the values in brackets, "
                      "or the number without separators"),
    ("20 106", [0, 0], "it may be the number 20106 or the values [20, 106]; write the values in brackets, "
                       "or the number without separators"),
    ("[1, 2", VECTOR, "a bracket is opened and never closed (missing ])"),
    ("1, 2]", VECTOR, "a closing bracket does not match an opening one"),
    ("(1, 2]", VECTOR, "a closing bracket does not match an opening one"),
    ("1, two, 3", VECTOR, "'two' is not a number"),
    ("16 by 16", SHAPE, "'by' is not a number"),
    ("x[1]", VECTOR, "a bracket follows 'x' without a separator"),
    ("1, \x1b[31m", VECTOR, "a bracket follows '\\x1b' without a separator"),  # control characters escaped
    ("[" * 40, VECTOR, "brackets nested more than 32 deep (nnsolve's cap MAX_YAML_DEPTH)"),
])
def test_unreadable_says_why(text, expected, reason):
    with pytest.raises(Unreadable) as error:
        read_answer(text, expected)
    assert str(error.value) == reason


def test_reading_is_bounded():
    long = "1 " * (limits.MAX_ANSWER_CHARS // 2 + 1)
    with pytest.raises(Unreadable, match="longer than 100,000 characters .nnsolve's cap MAX_ANSWER_CHARS"):
        read_answer(long, VECTOR)
    many = ", ".join(["1"] * (limits.MAX_ANSWER_CELLS + 1))
    with pytest.raises(Unreadable, match="more than 10,000 cells .nnsolve's cap MAX_ANSWER_CELLS"):
        read_answer(many, VECTOR)
    with pytest.raises(Unreadable, match="MAX_ANSWER_CELLS"):
        read_answer([1] * (limits.MAX_ANSWER_CELLS + 1), VECTOR)
    long_cell = "1" * 10_000
    with pytest.raises(Unreadable, match=r"^'1{39}…' is not a number$"):  # quoted text is cut
        read_answer(f"[{long_cell}]", VECTOR)


# ---------------------------------------------------------------------------------------------
# Round trips: written the ways people write it, read back exactly

def _decimal(m: int, k: int) -> str:
    """m / 10**k written as a decimal."""
    sign, digits = ("-" if m < 0 else ""), str(abs(m)).rjust(k + 1, "0")
    return sign + (digits[:-k] + "." + digits[-k:] if k else digits)


def _grouped(m: int, k: int, separator: str) -> str:
    """m / 10**k with thousands separators in its whole part."""
    text = _decimal(m, k)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    return sign + f"{int(whole):,}".replace(",", separator) + ("." + fraction if fraction else "")


numbers = st.tuples(st.integers(-10**9, 10**9), st.integers(0, 6))


@settings(max_examples=150)
@given(numbers, st.sampled_from(["plain", ",", " ", "\u2009", "\u202f", "e", "fraction", "percent"]))
def test_number_round_trip(number, form):
    m, k = number
    value = F(m, 10**k)
    text = {"plain": lambda: _decimal(m, k), "e": lambda: f"{m}e-{k}",
            "fraction": lambda: f"{m}/{10**k}", "percent": lambda: _decimal(m * 100, k) + "%"}.get(
        form, lambda: _grouped(m, k, form))()
    assert read_number(text) == value
    assert read_answer(text, F(1, 3)) == value


@settings(max_examples=100)
@given(st.lists(st.integers(1, 100_000), min_size=1, max_size=5),
       st.sampled_from(["{}x{}", "{} x {}", "{} × {}", "{}*{}", "({}, {})", "[{}, {}]", "{}, {}"]))
def test_shape_round_trip(shape, form):
    joiner = form.strip("()[]").replace("{}", "")
    text = form[0] * (form[0] in "([") + joiner.join(map(str, shape)) + form[-1] * (form[-1] in ")]")
    assert read_answer(text, tuple(shape)) == tuple(shape)


cells = numbers.map(lambda mk: (F(mk[0], 10**mk[1]), _decimal(*mk)))


@settings(max_examples=100)
@given(st.integers(1, 4), st.integers(1, 4), st.data(),
       st.sampled_from(["nested", "semicolons", "commas and semicolons", "lines", "matlab"]))
def test_matrix_round_trip(rows, columns, data, form):
    grid = [[data.draw(cells) for _ in range(columns)] for _ in range(rows)]
    value = [[v for v, _ in row] for row in grid]
    text_rows = [[t for _, t in row] for row in grid]
    text = {"nested": lambda: "[" + ", ".join("[" + ", ".join(r) + "]" for r in text_rows) + "]",
            "semicolons": lambda: "; ".join(" ".join(r) for r in text_rows),
            "commas and semicolons": lambda: "; ".join(", ".join(r) for r in text_rows),
            "lines": lambda: "\n".join(" ".join(r) for r in text_rows),
            "matlab": lambda: "[" + "; ".join(" ".join(r) for r in text_rows) + "]"}[form]()
    assert read_answer(text, value) == value
    if rows == 1 and form != "nested":  # one row without brackets is also a vector
        assert read_answer(text, value[0]) == value[0]


@settings(max_examples=100)
@given(st.lists(cells, min_size=2, max_size=6), st.sampled_from(["[{}]", "({})", "{}"]),
       st.sampled_from([", ", ",", " "]))
def test_vector_round_trip(vector, brackets, separator):
    text = brackets.format(separator.join(t for _, t in vector))
    assume(brackets != "{}" or read_number(text) is None)  # "1 234" unbracketed is ambiguous, tested above
    assert read_answer(text, [v for v, _ in vector]) == [v for v, _ in vector]


_REALS = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**400, 10**400),
                   st.fractions(max_denominator=10**30),
                   st.sampled_from([0, 0.0, -0.0, 5e-324, 1e-300, 1.7e308, F(1, 3), 0.3333333333333333, 10**309]))


@settings(max_examples=3000, deadline=None)
@given(computed=_REALS, given_=_REALS, relative=st.one_of(st.sampled_from([0, F(1, 100), 1e-17, F(1, 3) * 10**-16, 2]),
                                                          st.floats(0, 10, allow_nan=False)),
       absolute=st.one_of(st.sampled_from([0, 1e-300, F(1, 10**320)]), st.floats(0, 1e3, allow_nan=False)),
       nearby=st.booleans(), factor=st.fractions(F(-1, 10), F(1, 10), max_denominator=10**6))
def test_numbers_agree_as_their_exact_values_do(computed, given_, relative, absolute, nearby, factor):
    """The float short cut decides as the exact comparison would, at the bound too."""
    from nnsolve.compare import numbers_agree
    from nnsolve.spec import Tolerance

    if nearby:  # on or near the bound: given = computed · (1 + relative·(1 + factor))
        given_ = F(computed) * (1 + F(relative) * (1 + factor))
    tol = Tolerance(relative=F(relative), absolute=F(absolute))
    if isinstance(computed, int) and isinstance(given_, int):
        return
    c, g = F(computed), F(given_)
    assert numbers_agree(computed, given_, tol) == (abs(c - g) <= F(absolute) or abs(c - g) <= F(relative) * abs(c))
