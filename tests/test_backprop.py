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
from nnsolve.expr import evaluate
from nnsolve.render.math import expr_text
from nnsolve.loader import load_text
from nnsolve.solve import solve, variants
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_located, solve_yaml
from tests.trees import in_torch, names_in, text, trained_in_torch
from tests.trees import trees as tree_strategy


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


# Random expression trees, written as text for nnsolve and built directly in torch for the oracle.
NAMES = ["a", "b", "c"]
UNARY = ["sigmoid", "tanh", "relu", "exp", "neg", "sqrt", "sin", "cos", "square"]
BINARY = ["+", "-", "*", "/", "max"]


def trees():
    return tree_strategy(NAMES, UNARY, BINARY, max_leaves=8)


def _deep_enough(t) -> bool:
    return t[0] not in ("name", "const")


@settings(max_examples=200)
@given(trees(), st.fixed_dictionaries({n: st.integers(-30, 30).map(lambda k: k / 10) for n in NAMES}))
def test_graph_matches_torch_autograd(tree, point):
    names = names_in(tree)
    if not names or not _deep_enough(tree):
        return
    env = {n: torch.tensor(point[n], dtype=torch.float64, requires_grad=True) for n in names}
    out = in_torch(tree, env)
    if not torch.isfinite(out) or abs(float(out.detach())) > 1e12:
        return
    out.backward()
    if any(not torch.isfinite(env[n].grad) for n in names):
        return
    values = ", ".join(f"{n}: {point[n]}" for n in sorted(names))
    try:
        solution = solve_yaml(f'topic: backprop\nexpression: "{text(tree)}"\nvalues: {{{values}}}\n')
    except NnsolveError as exc:
        assert any(phrase in str(exc) for phrase in ("division by zero", "overflow", "infinite")), str(exc)
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


def _has_raw(e) -> bool:
    from nnsolve.expr import Call, Op, Raw

    if isinstance(e, Raw):
        return True
    return isinstance(e, (Op, Call)) and any(_has_raw(a) for a in e.args)


@settings(max_examples=100)
@given(trees(), st.fixed_dictionaries({n: st.integers(-30, 30).map(lambda k: k / 10) for n in NAMES}))
def test_every_step_substitution_evaluates_to_its_value(tree, point):
    """Forward values and local derivatives are shown as formula = substitution = value: the three agree."""
    names = names_in(tree)
    if not names or not _deep_enough(tree):
        return
    values = ", ".join(f"{n}: {point[n]}" for n in sorted(names))
    try:
        solution = solve_yaml(f'topic: backprop\nexpression: "{text(tree)}"\nvalues: {{{values}}}\n')
    except NnsolveError:
        return
    locals_shown = 0
    for step in solution.steps:
        if step.substitution is None or _has_raw(step.substitution):
            continue
        locals_shown += "Local derivative" in step.title
        assert float(evaluate(step.substitution)) == pytest.approx(float(step.value), rel=1e-9, abs=1e-12), step.title
    formulas = [s for s in solution.steps if "Local derivative" in s.title and s.formula is not None]
    assert locals_shown == len([s for s in formulas if s.substitution is not None])


def test_local_derivatives_are_formulas():
    solution = solve_yaml("""
        topic: backprop
        expression: "sigmoid(w*x) / y + x**3"
        values: {w: 2, x: 0.5, y: 4}
    """)
    shown = {s.title: (expr_text(s.formula), expr_text(s.substitution) if s.substitution else None)
             for s in solution.steps if "Local derivative" in s.title and s.formula is not None}
    assert shown["Local derivative of n2 with respect to n1"] == ("n₂ · (1 − n₂)", "0.73106 · (1 − 0.73106)")
    assert shown["Local derivative of n3 with respect to y"] == ("−n₂ / y²", "−0.73106 / 4²")
    assert shown["Local derivative of n4 with respect to x"] == ("3·x²", "3 · 0.5²")
    assert shown["Local derivative of n1 with respect to w"] == ("x", None)


def test_fan_out_branch_variant():
    problem = load_text('topic: backprop\nexpression: "x*y + x"\nvalues: {x: 2, y: 5}\n', file="t.yaml")
    grads = sorted(v.answers["grad_x"] for v in variants(problem.spec) if "dropped the branch" in v.mistake)
    assert grads == [1, 5]  # the right answer is 6 = y + 1


def test_bad_expression_in_a_file_is_a_located_error():
    with pytest.raises(NnsolveError) as info:
        load_text('topic: backprop\nexpression: "x.__class__"\nvalues: {x: 1}\n', file="bad.yaml")
    assert str(info.value).startswith("bad.yaml:2: expression: an attribute (a.b) is not allowed")


def test_missing_value_is_an_error():
    with pytest.raises(NnsolveError, match="no value for y"):
        load_text('topic: backprop\nexpression: "x * y"\nvalues: {x: 1}\n', file="t.yaml")


# ---------------------------------------------------------------------------------------------
# Updates on a graph: the chosen inputs are parameters, the expression is the loss

def test_mazur_w5_after_one_update():
    # Matt Mazur's "A step by step backpropagation example": out_h1 = 0.593269992, out_h2 = 0.596884378,
    # w5 = 0.40, w6 = 0.45, b2 = 0.60, target 0.01, E = ½(target − out_o1)², η = 0.5:
    # ∂E/∂w5 = 0.082167041 and w5 becomes 0.35891648.
    solution = solve_file(PROBLEMS / "backprop/w5-update.yaml")
    assert solution.primary == "w5_updated"
    assert float(solution.answers["grad_w5"].value) == pytest.approx(0.082167041, abs=1e-9)
    assert float(solution.answer) == pytest.approx(0.35891648, abs=1e-8)
    assert solution.choice.key == "b"


def _update_yaml(tree, point, params, o: dict, iterations: int) -> str:
    import json

    values = ", ".join(f"{n}: {point[n]}" for n in sorted(names_in(tree)))
    return (f'topic: backprop\nexpression: "{text(tree)}"\nvalues: {{{values}}}\nparameters: {json.dumps(params)}\n'
            f"optimizer: {json.dumps(o)}\niterations: {iterations}\n")


OPTIMIZERS = st.one_of(
    st.fixed_dictionaries({"type": st.just("gd"), "learning_rate": st.sampled_from([0.01, 0.1, 0.5])}),
    st.fixed_dictionaries({"type": st.sampled_from(["momentum", "nesterov"]),
                           "learning_rate": st.sampled_from([0.01, 0.1]), "momentum": st.sampled_from([0.5, 0.9])}),
    st.fixed_dictionaries({"type": st.just("rmsprop"), "learning_rate": st.sampled_from([0.01, 0.1]),
                           "rho": st.sampled_from([0.9, 0.99])}),
    st.fixed_dictionaries({"type": st.just("adam"), "learning_rate": st.sampled_from([0.01, 0.1]),
                           "beta1": st.sampled_from([0.9, 0.5])}),
)


@settings(max_examples=150)
@given(trees(), st.fixed_dictionaries({n: st.integers(-30, 30).map(lambda k: k / 10) for n in NAMES}),
       st.data(), OPTIMIZERS, st.integers(1, 4))
def test_graph_updates_match_torch_optim(tree, point, data, o, iterations):
    names = sorted(names_in(tree))
    if not names or not _deep_enough(tree):
        return
    params = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    env = {n: torch.tensor(point[n], dtype=torch.float64, requires_grad=n in params) for n in names}
    history = trained_in_torch(tree, env, params, o, iterations)
    if history is None:
        return
    try:
        solution = solve_yaml(_update_yaml(tree, point, params, o, iterations))
    except NnsolveError as exc:
        assert any(phrase in str(exc) for phrase in ("division by zero", "overflow", "infinite", "negative",
                                                     "not positive", "fractional")), str(exc)
        return
    nesterov = o["type"] == "nesterov"
    for p in params:
        if nesterov:  # torch keeps the look-ahead point p + m·v as the parameter
            got = float(solution.answers[f"{p}_lookahead"].value)
            assert got == pytest.approx(history[p][-1], rel=1e-7, abs=1e-9), p
            continue
        for t, value in enumerate(history[p], start=1):
            assert float(solution.answers[f"{p}_iter{t}"].value) == pytest.approx(value, rel=1e-7, abs=1e-9), (p, t)
        assert solution.answers[f"{p}_updated"].value == solution.answers[f"{p}_iter{iterations}"].value


def test_exact_update_stays_exact():
    # f = (w·x − y)² at w = 1, x = 2, y = 3: ∂f/∂w = 2(wx − y)·x = −4, w ← 1 − 0.1·(−4) = 1.4.
    solution = solve_yaml("""
        topic: backprop
        expression: "(w*x - y)**2"
        values: {w: 1, x: 2, y: 3}
        parameters: [w]
        optimizer: {type: gd, learning_rate: 0.1}
        iterations: 2
    """)
    assert solution.answers["grad_w"].value == -4
    assert solution.answers["w_iter1"].value == Fraction(7, 5)
    # then wx − y = −0.2, ∂f/∂w = 2·(−0.2)·2 = −0.8, w ← 1.4 + 0.08 = 1.48; f = (2.96 − 3)² = 0.0016
    assert solution.answers["w_updated"].value == Fraction(37, 25)
    assert solution.answers["output_updated"].value == Fraction(16, 10000)


def test_update_variants_name_the_mistakes():
    problem = load_text("""topic: backprop
expression: "(w*x - y)**2 + w*w"
values: {w: 1, x: 2, y: 3}
parameters: [w]
optimizer: {type: momentum, learning_rate: 0.1, momentum: 0.5}
iterations: 2
""", file="t.yaml")
    right = solve(problem.spec).answers
    found = {v.mistake: v.answers for v in variants(problem.spec)}
    texts = " | ".join(found)
    for phrase in ("dropped the branch from w", "∂(a − b)/∂b as +1", "applying the learning rate twice",
                   "so the update goes uphill"):
        assert phrase in texts, phrase
    assert len(found) == len(list(variants(problem.spec)))  # no two with the same text…
    for answers in found.values():  # …each differs from the right working somewhere
        assert any(answers[k] != right[k].value for k in answers)
    assert len({tuple(sorted(a.items())) for a in found.values()}) == len(found)
    uphill = next(a for m, a in found.items() if "uphill" in m)
    assert uphill["grad_w"] == -right["grad_w"].value


def test_adam_variant_without_bias_correction():
    problem = load_text('topic: backprop\nexpression: "w*w"\nvalues: {w: 1}\nparameters: [w]\n'
                        'optimizer: {type: adam, learning_rate: 0.1}\niterations: 2\n', file="t.yaml")
    assert any("bias correction" in v.mistake for v in variants(problem.spec))


@pytest.mark.parametrize("extra,message", [
    ("parameters: [q]\noptimizer: {type: gd, learning_rate: 0.1}",
     "t.yaml:4: parameters[0]: 'q' is not an input of the expression; the inputs are w, x"),
    ("optimizer: {type: gd, learning_rate: 0.1}", "t.yaml:4: optimizer: an update needs 'parameters'"),
    ("parameters: [w]", "t.yaml:4: parameters: needs an 'optimizer'"),
    ("parameters: [w]\noptimizer: {type: gd, learning_rate: -1}",
     "t.yaml:5: optimizer.learning_rate: must be positive"),
    ("parameters: [w]\noptimizer: {type: momentum, learning_rate: 0.1, velocity: {x: 1}}",
     "t.yaml:5: optimizer.velocity: 'x' is not one of the parameters w"),
    ("parameters: [w]\noptimizer: {type: gd, learning_rate: 0.1}\niterations: 10000",
     "t.yaml:6: iterations: iterations × graph nodes is 30,000, more than MAX_UPDATE_WORK"),
    ("ask: w_updated", "t.yaml:4: ask: must be output, an input's name (its gradient); the inputs are w, x"),
])
def test_update_refusals_name_the_field(extra, message):
    with pytest.raises(NnsolveError) as info:
        solve_located(f'topic: backprop\nexpression: "w*x"\nvalues: {{w: 1, x: 2}}\n{extra}\n')
    assert str(info.value).startswith(message), str(info.value)


# ---------------------------------------------------------------------------------------------
# What the paper shows: the expression as a formula, each value by its symbol

def test_graph_given_data_typeset_the_expression_and_the_values():
    given = solve_file(PROBLEMS / "backprop/w5-update.yaml").given
    assert [g.label for g in given] == ["Expression f", "target", "w₅", "h₁", "w₆", "h₂", "b₂", "Parameters updated",
                                        "Optimizer", "Learning rate η", "Iterations"]
    # by hand, from the file's 0.5 * (target - sigmoid(w5*h1 + w6*h2 + b2))**2
    assert expr_text(given[0].value) == "0.5·(target − σ(w₅·h₁ + w₆·h₂ + b₂))²"
    assert (given[2].value, given[-4].value, given[-3].value) == (Fraction(2, 5), "w₅", "Gradient descent")


@pytest.mark.parametrize("expression,shown", [
    ("-(a + b)*c", "−(a + b)·c"),
    ("exp(-x/2)*sin(y) - (x - y)**2/4", "exp(−x / 2)·sin(y) − (x − y)² / 4"),
    ("max(0, 1 - y*(w*x + b))", "max(0, 1 − y · (w·x + b))"),
])
def test_given_expression_reads_as_written(expression, shown):
    from nnsolve.expression import input_names, parse_expression

    values = ", ".join(f"{n}: 1" for n in input_names(parse_expression(expression)))
    solution = solve_yaml(f'topic: backprop\nexpression: "{expression}"\nvalues: {{{values}}}\n')
    assert expr_text(solution.given[0].value) == shown
