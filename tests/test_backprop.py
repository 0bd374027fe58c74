"""backprop: seed s12, node fan-out and graph gradients against torch autograd and finite
differences, and the ast allow-list refusing everything else."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.errors import NnsolveError
from nnsolve.loader import load_text
from nnsolve.solve import variants
from nnsolve.topics.backprop import parse_expression
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_yaml


# ---------------------------------------------------------------------------------------------
# Seed s12: 0.25·0.5 + (−0.20)·0.4 = 0.045, option d (0.0449) within the default 1%

def test_s12_seed():
    solution = solve_file(PROBLEMS / "seed/s12-sigmoid-node.yaml")
    assert solution.answer == Fraction(45, 1000)
    assert solution.choice.key == "d" and solution.choice.exact
    assert any("option d agrees within the tolerance" in a for a in solution.assumptions)
    assert "input_gradient" not in solution.answers  # the node's input is not given


def test_s12_variants_explain_the_other_options():
    problem = load_text((PROBLEMS / "seed/s12-sigmoid-node.yaml").read_text(), file="s12.yaml")
    by_value = {v.answers["output_gradient"]: v.mistake for v in variants(problem.spec)}
    assert "dropped the branch through w2" in by_value[Fraction(125, 1000)]  # option c
    assert "dropped the branch through w1" in by_value[Fraction(-80, 1000)]  # option a
    assert "sign" in by_value[Fraction(-45, 1000)]


@pytest.mark.parametrize("node,extra,local", [
    ("sigmoid", "input: 0.5", lambda: (1 / (1 + math.exp(-0.5))) * (1 - 1 / (1 + math.exp(-0.5)))),
    ("sigmoid", "output: 0.8", lambda: 0.8 * 0.2),
    ("tanh", "input: -1", lambda: 1 - math.tanh(-1) ** 2),
    ("relu", "input: 2", lambda: 1),
    ("relu", "input: -2", lambda: 0),
])
def test_node_input_gradient(node, extra, local):
    solution = solve_yaml(f"""
        topic: backprop
        node: {node}
        downstream: [{{weight: 0.25, upstream: 0.5}}, {{weight: -0.2, upstream: 0.4}}, {{weight: 2, upstream: -0.1}}]
        {extra}
        ask: input_gradient
    """)
    out = 0.25 * 0.5 - 0.2 * 0.4 + 2 * -0.1
    assert float(solution.answers["output_gradient"].value) == pytest.approx(out, rel=1e-12)
    assert float(solution.answer) == pytest.approx(out * local(), rel=1e-12, abs=1e-15)


def test_local_derivative_variant_when_the_input_is_known():
    problem = load_text("topic: backprop\nnode: sigmoid\noutput: 0.5\n"
                        "downstream: [{weight: 1, upstream: 0.4}]\n", file="t.yaml")
    found = [v for v in variants(problem.spec) if "local sigmoid derivative" in v.mistake]
    assert found and found[0].answers["output_gradient"] == Fraction(1, 10)  # 0.4 · 0.25


# ---------------------------------------------------------------------------------------------
# The graph form

def test_cs231n_example():
    # CS231n's backprop notes: f = σ(w0·x0 + w1·x1 + w2) at w = [2, −3, −3], x = [−1, −2].
    solution = solve_yaml("""
        topic: backprop
        expression: "sigmoid(w0*x0 + w1*x1 + w2)"
        values: {w0: 2, x0: -1, w1: -3, x1: -2, w2: -3}
        ask: x0
    """)
    s = 1 / (1 + math.exp(-1))
    ds = s * (1 - s)
    assert solution.answers["output"].value == pytest.approx(s)
    assert solution.answer == pytest.approx(2 * ds)
    assert solution.answers["grad_w0"].value == pytest.approx(-1 * ds)
    assert solution.answers["grad_w2"].value == pytest.approx(ds)


def test_exact_graph_stays_exact():
    # f = (x + y)·max(x, z) − x²/2 at x = 3, y = −4, z = 2: f = −3 − 4.5; ∂f/∂x = 3 + (−1) − 3 = −1.
    solution = solve_yaml("""
        topic: backprop
        expression: "(x + y) * max(x, z) - x**2 / 2"
        values: {x: 3, y: -4, z: 2}
    """)
    assert solution.answers["output"].value == Fraction(-15, 2)
    assert solution.answers["grad_x"].value == -1
    assert solution.answers["grad_y"].value == 3
    assert solution.answers["grad_z"].value == 0


# Random expression trees, rendered to text for nnsolve and built directly in torch for the oracle.
NAMES = ["a", "b", "c"]
UNARY = ["sigmoid", "tanh", "relu", "exp", "neg"]
BINARY = ["+", "-", "*", "/", "max"]


def trees():
    leaves = st.one_of(st.sampled_from(NAMES).map(lambda n: ("name", n)),
                       st.integers(1, 5).map(lambda k: ("const", k)))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from(UNARY), inner),
        st.tuples(st.sampled_from(BINARY), inner, inner),
        st.tuples(st.just("^2"), inner),
    ), max_leaves=8)


def _text(t) -> str:
    kind = t[0]
    if kind == "name":
        return t[1]
    if kind == "const":
        return str(t[1])
    if kind == "neg":
        return f"-({_text(t[1])})"
    if kind == "^2":
        return f"({_text(t[1])})**2"
    if kind in ("sigmoid", "tanh", "relu", "exp"):
        return f"{kind}({_text(t[1])})"
    if kind == "max":
        return f"max({_text(t[1])}, {_text(t[2])})"
    return f"({_text(t[1])}) {kind} ({_text(t[2])})"


def _torch(t, env):
    kind = t[0]
    if kind == "name":
        return env[t[1]]
    if kind == "const":
        return torch.tensor(float(t[1]), dtype=torch.float64)
    if kind == "neg":
        return -_torch(t[1], env)
    if kind == "^2":
        return _torch(t[1], env) ** 2
    if kind in ("sigmoid", "tanh", "relu", "exp"):
        return getattr(torch, kind)(_torch(t[1], env))
    a, b = _torch(t[1], env), _torch(t[2], env)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    if kind == "/":
        return a / b
    return torch.maximum(a, b)


def _names_in(t) -> set[str]:
    if t[0] == "name":
        return {t[1]}
    if t[0] == "const":
        return set()
    return set().union(*(_names_in(c) for c in t[1:]))


def _deep_enough(t) -> bool:
    return t[0] not in ("name", "const")


@settings(max_examples=200)
@given(trees(), st.fixed_dictionaries({n: st.integers(-30, 30).map(lambda k: k / 10) for n in NAMES}))
def test_graph_matches_torch_autograd(tree, point):
    names = _names_in(tree)
    if not names or not _deep_enough(tree):
        return
    env = {n: torch.tensor(point[n], dtype=torch.float64, requires_grad=True) for n in names}
    out = _torch(tree, env)
    if not torch.isfinite(out) or abs(float(out.detach())) > 1e12:
        return
    out.backward()
    if any(not torch.isfinite(env[n].grad) for n in names):
        return
    values = ", ".join(f"{n}: {point[n]}" for n in sorted(names))
    try:
        solution = solve_yaml(f'topic: backprop\nexpression: "{_text(tree)}"\nvalues: {{{values}}}\n')
    except NnsolveError as exc:
        assert "division by zero" in str(exc) or "overflow" in str(exc)
        return
    assert float(solution.answers["output"].value) == pytest.approx(float(out.detach()), rel=1e-9, abs=1e-12)
    for n in names:
        assert float(solution.answers[f"grad_{n}"].value) == pytest.approx(float(env[n].grad), rel=1e-9, abs=1e-12), n


@settings(max_examples=100)
@given(st.integers(-200, 200).map(lambda k: k / 100), st.integers(-200, 200).map(lambda k: k / 100),
       st.integers(10, 300).map(lambda k: k / 100))
def test_graph_matches_finite_differences(x, y, z):
    expression = "tanh(x*y + 1) * log(z) + exp(-x) / (z + 1) - y**3 + sigmoid(x - z)"

    def f(x, y, z):
        return (math.tanh(x * y + 1) * math.log(z) + math.exp(-x) / (z + 1) - y ** 3
                + 1 / (1 + math.exp(-(x - z))))

    solution = solve_yaml(f'topic: backprop\nexpression: "{expression}"\nvalues: {{x: {x!r}, y: {y!r}, z: {z!r}}}\n')
    h = 1e-6
    for name, shifted in (("x", lambda d: f(x + d, y, z)), ("y", lambda d: f(x, y + d, z)),
                          ("z", lambda d: f(x, y, z + d))):
        numeric = (shifted(h) - shifted(-h)) / (2 * h)
        assert float(solution.answers[f"grad_{name}"].value) == pytest.approx(numeric, rel=1e-5, abs=1e-6), name
    assert float(solution.answers["output"].value) == pytest.approx(f(x, y, z), rel=1e-12)


def test_fan_out_branch_variant():
    problem = load_text('topic: backprop\nexpression: "x*y + x"\nvalues: {x: 2, y: 5}\n', file="t.yaml")
    grads = sorted(v.answers["grad_x"] for v in variants(problem.spec) if "dropped the branch" in v.mistake)
    assert grads == [1, 5]  # the right answer is 6 = y + 1


# ---------------------------------------------------------------------------------------------
# The parser's allow-list: anything else is refused, never evaluated

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
    allowed = {"input", "const", "+", "-", "*", "/", "^", "neg", "sigmoid", "tanh", "relu", "exp", "log", "max"}
    assert all(n.op in allowed for n in nodes)
    assert all(not n.name.startswith("_") for n in nodes if n.op == "input")


def test_parser_caps():
    with pytest.raises(ValueError, match="MAX_EXPRESSION_CHARS"):
        parse_expression("x + " * 300 + "x")
    with pytest.raises(ValueError, match="MAX_GRAPH_NODES"):
        parse_expression("+".join(["x"] * 300))


def test_bad_expression_in_a_file_is_a_located_error():
    with pytest.raises(NnsolveError) as info:
        load_text('topic: backprop\nexpression: "x.__class__"\nvalues: {x: 1}\n', file="bad.yaml")
    assert str(info.value).startswith("bad.yaml:2: expression: an attribute (a.b) is not allowed")


def test_missing_value_is_an_error():
    with pytest.raises(NnsolveError, match="no value for y"):
        load_text('topic: backprop\nexpression: "x * y"\nvalues: {x: 1}\n', file="t.yaml")
