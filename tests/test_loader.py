"""Loading problem files: safe YAML, exact numbers, and one clear error with file, line and field."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nnsolve.errors import NnsolveError
from nnsolve.loader import load_text, parse

S03 = """\
topic: cnn_architecture
input: [64, 64, 3]
layers:
  - {type: conv2d, filters: 16, kernel: 7}
  - {type: max_pool, window: 2}
  - {type: flatten}
  - {type: dense, units: 16}
"""


@pytest.mark.parametrize(
    "text,expected",
    [
        (S03.replace("kernel: 7", "kernel: 0"), "p.yaml:4: layers[0].kernel: must be a positive integer"),
        (S03.replace("kernel: 7", "kernel: 7.5"), "p.yaml:4: layers[0].kernel: must be an integer"),
        (S03.replace("kernel: 7", "kernel: true"), "p.yaml:4: layers[0].kernel: must be an integer"),
        (S03.replace("units: 16", "units: 16, unit: 3"), "p.yaml:7: layers[3].unit: unknown field; did you mean 'units'?"),
        (S03.replace("topic: cnn_architecture", "topic: cnn"),
         "p.yaml:1: topic: unknown topic 'cnn'; expected one of"),
        (S03 + "input: [1, 1, 1]\n", "p.yaml:8: input: duplicate key 'input'"),
        (S03.replace("type: flatten", "type: flaten"), "p.yaml:6: layers[2].type: unknown type 'flaten'"),
        ("topic: [unclosed\n", "p.yaml:2: invalid YAML:"),
        ("", "p.yaml: is empty"),
        ("- 1\n- 2\n", "p.yaml:1: a problem file must be a mapping"),
        ("x: !!python/object/apply:os.system ['true']\n", "p.yaml:1: x: the YAML tag"),
        ("a: &x 1\nb: *x\n", "p.yaml:1: a: YAML anchors"),
        ("topic: cnn_architecture\ninput: .nan\n", "p.yaml:2: input: must be a finite number"),
    ],
)
def test_error_messages(text, expected):
    with pytest.raises(NnsolveError) as info:
        load_text(text, file="p.yaml")
    assert str(info.value).startswith(expected), str(info.value)


def test_decimals_are_read_exactly():
    data, _ = parse("alpha: 0.001\nw: -0.20\n")
    assert data == {"alpha": Fraction(1, 1000), "w": Fraction(-1, 5)}


@pytest.mark.parametrize("text,value", [("1e-3", Fraction(1, 1000)), ("7/15", Fraction(7, 15)), (0.1, Fraction(1, 10)),
                                        ("-2.50", Fraction(-5, 2)), (3, 3)])
def test_real_numbers_are_exact(text, value):
    from nnsolve.numbers import to_exact

    assert to_exact(text) == value


@pytest.mark.parametrize("text", ["1+1", "__import__('os')", "nan", "inf", "1/0", "", "1" * 100, True])
def test_real_numbers_refuse_anything_else(text):
    from nnsolve.numbers import to_exact

    with pytest.raises(ValueError):
        to_exact(text)


def test_line_numbers_of_fields():
    problem = load_text(S03, file="p.yaml")
    assert problem.lines["layers[3].units"] == 7
    assert problem.lines["input"] == 2
