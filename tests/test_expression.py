"""The expression grammar (nnsolve/expression.py): the allow-list refuses everything else, and the caps."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.expression import FUNCTIONS, parse_expression


FORBIDDEN = [
    "x.y", "x.__class__", "x[0]", "(lambda: 1)()", "[i for i in x]", "{i for i in x}", "(i for i in x)",
    "{i: i for i in x}", "__import__('os')", "__builtins__", "'text'", "b'bytes'", "x if y else z", "x and y",
    "x < y", "(x := 1)", "open('f')", "eval('1')", "exp(x=1)", "max(*x)", "f'{x}'", "[x, y]", "(x, y)",
    "{x: y}", "x // y", "x % y", "x @ y", "~x", "not x", "True", "None", "1j", "sigmoid", "sigmoid.x",
    "x; y", "import os", "exp(1, 2)", "_x", "...", "x()", "exp(x)(y)",
]


@pytest.mark.parametrize("text", FORBIDDEN)
def test_parser_refuses(text):
    with pytest.raises(ValueError):
        parse_expression(text)


valid = st.sampled_from(["x", "2", "x*y", "sigmoid(x)", "max(x, 1)", "x**2", "-x", "(x + y) / 3"])
forbidden = st.sampled_from(FORBIDDEN)


@settings(max_examples=200)
@given(valid, forbidden, st.sampled_from(["{v} + {f}", "{f} * {v}", "sigmoid({f})", "max({v}, {f})",
                                          "-({f})", "({f}) ** {v}", "{v} - ({f})"]))
def test_parser_refuses_forbidden_parts_anywhere(v, f, template):
    text = template.format(v=v, f=f)
    with pytest.raises(ValueError):
        parse_expression(text)


@settings(max_examples=100)
@given(st.text(alphabet="abcx_.[]()'\"{}:;=<>!@#%^&*-+/ 0123456789lambdaforinimport", max_size=40))
def test_parser_never_crashes_or_accepts_outside_the_allow_list(text):
    try:
        nodes = parse_expression(text)
    except ValueError:
        return
    allowed = {"input", "const", "+", "-", "*", "/", "^", "neg", *FUNCTIONS}
    assert all(n.op in allowed for n in nodes)
    assert all(not n.name.startswith("_") for n in nodes if n.op == "input")


def test_parser_caps():
    with pytest.raises(ValueError, match="MAX_EXPRESSION_CHARS"):
        parse_expression("x + " * 300 + "x")
    with pytest.raises(ValueError, match="MAX_GRAPH_NODES"):
        parse_expression("+".join(["x"] * 300))




def test_the_functions_exams_use_are_allowed():
    nodes = parse_expression("sqrt(x) + sin(y) * cos(x) - log(exp(z)) / tanh(relu(x)) + max(sigmoid(y), 1)")
    assert {n.op for n in nodes} >= {"sqrt", "sin", "cos", "log", "exp", "tanh", "relu", "max", "sigmoid"}
    for name in FUNCTIONS:  # a function's name is not a variable's
        with pytest.raises(ValueError, match="not allowed"):
            parse_expression(f"{name} + 1")


@pytest.mark.parametrize("text,phrase", [
    ("x ** 65", "the exponent 65 is too large"),
    ("x ** -65", "the exponent -65 is too large"),
    ("((x**64)**64)**64", "multiply to an exponent of 4096"),
    ("(x**8)**9", "multiply to an exponent of 72"),
    ("sqrt((x**16)**8)", "multiply to an exponent of 128"),
])
def test_power_towers_are_refused(text, phrase):
    with pytest.raises(ValueError, match=phrase):
        parse_expression(text)


@pytest.mark.parametrize("text", ["x**64", "(x**8)**8", "x**64 * y**64", "(x**2)**-32", "x**0.5", "x**y"])
def test_powers_within_the_cap(text):
    parse_expression(text)


@pytest.mark.parametrize("text,message", [
    ("__import__('os').system('ls')", "calling an attribute (a.b) is not allowed"),
    ("(lambda: 1)()", "calling a lambda is not allowed"),
    ("exp(x)(y)", "calling a call's result is not allowed"),
    ("f'{x}'", "an f-string is not allowed"),
    ("(x, y)", "a tuple (a, b) is not allowed"),
    ("[x, y]", "a list [a, b] is not allowed"),
    ("{x: y}", "a dict {a: b} is not allowed"),
])
def test_refusal_names_what_it_refuses_in_words(text, message):
    # the user reads a message, not Python's ast class names (JoinedStr) or a bare 'calling this'
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_expression(text)
