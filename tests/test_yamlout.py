"""nnsolve's YAML writer: whatever it writes, nnsolve's loader reads back as the same data."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.loader import parse
from nnsolve.numbers import is_terminating
from nnsolve.yamlout import dump

keys = st.text(min_size=1, max_size=12)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**59 + 1, 10**60 - 1),
    st.builds(lambda m, e: m * 10**e, st.integers(-10**20, 10**20), st.integers(40, 250)),  # 1e300 read from a file
    st.fractions(max_denominator=10**6).filter(lambda f: abs(f.numerator) < 10**30),
    st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda x: x == 0 or 1e-280 < abs(x) < 1e280),
    st.text(max_size=300),
)
data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                    max_leaves=25)


def _read_as(value):
    """What the loader gives back for a value the writer wrote."""
    if isinstance(value, dict):
        return {k: _read_as(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_read_as(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):  # written as its shortest decimal, read back exactly
        exact = Fraction(repr(value))
        return exact.numerator if exact.denominator == 1 else exact
    if isinstance(value, Fraction) and value.denominator == 1:
        value = value.numerator
    if isinstance(value, int):
        if len(str(value)) > 60:  # beyond MAX_NUMBER_DIGITS: written as exact scientific text
            digits = str(abs(value)).rstrip("0")
            return f"{'-' if value < 0 else ''}{digits}e{len(str(abs(value))) - len(digits)}"
        return value
    return value if is_terminating(value) else f"{value.numerator}/{value.denominator}"


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, data, min_size=1, max_size=6), st.text(max_size=200))
def test_what_is_written_reads_back(document, comment):
    text = dump(document, comment)
    back, _ = parse(text)
    assert back == _read_as(document)


def test_hostile_strings_read_back_exactly():
    hostile = ["]]>", "\x00\x07\x1b\x7f\x85\u2028\u2029\ufeff\ufffe", "# not a comment", "key: value",
               "- item", "&anchor *alias !!python/object", "\"'\\", "  leading and trailing  ", "a  b" * 40,
               "line\nbreak\r\n", "{x: [y]}", "7/15", "1e5", "yes", "null", "~", ""]
    document = {f"k{i}": s for i, s in enumerate(hostile)} | {s or "empty": 1 for s in hostile}
    back, _ = parse(dump(document, "comment\nwith \x07 control ]]> characters"))
    assert back == document


def test_what_cannot_be_written_exactly_is_refused():
    import pytest

    for value in (float("nan"), float("inf"), 3**200, Fraction(1, 3**200)):
        with pytest.raises(ValueError):
            dump({"x": value})
