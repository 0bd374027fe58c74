"""function: hand-worked rows, generated objectives against torch autograd and torch.optim, Newton against
numpy, derivatives against central finite differences, stationary points against numpy's roots and a
Newton search from a grid, and the bad input the issue lists."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import event, given, settings
from hypothesis import strategies as st

from nnsolve.errors import NnsolveError
from nnsolve.expr import Call, Op, Raw, evaluate
from nnsolve.loader import load_text
from nnsolve.render.math import expr_text
from nnsolve.solve import solve, variants
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_located, solve_yaml
from tests.trees import in_torch, names_in, text, trained_in_torch
from tests.trees import trees as tree_strategy

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------------------------------------
# Worked by hand

def test_cubic_gradient_descent_example():
    # f′(x) = 3x² − 6x: x = 3 → 3 − 0.1·9 = 2.1 → 2.1 − 0.1·0.63 = 2.037 → 2.037 − 0.1·0.226107 = 2.0143893
    solution = solve_file(PROBLEMS / "function/cubic-gd.yaml")
    assert solution.answers["x_iter1"].value == Fraction(21, 10)
    assert solution.answers["x_iter2"].value == Fraction(2037, 1000)
    assert solution.answer == Fraction(20143893, 10**7)
    assert solution.answers["grad_x_iter0"].value == 9
    assert solution.answers["f_iter1"].value == Fraction(-1969, 1000)  # 9.261 − 13.23 + 2
    assert solution.answers["stationary_points"].value == [0, 2]
    assert solution.answers["classification"].value == ["maximum", "minimum"]
    shown = {s.title: expr_text(s.formula) for s in solution.steps if s.formula is not None}
    assert shown["Gradient: ∂f/∂x"] == "3·x² − 6x"
    assert shown["Hessian: ∂²f/∂x²"] == "6x − 6"


def test_two_variable_stationary_points_and_newton():
    solution = solve_yaml("""
        topic: function
        objective: "x**3 + y**3 - 3*x*y"
        start: {x: 2, y: 1}
        optimizer: {type: newton}
        iterations: 1
        stationary_points: true
    """)
    # ∇f = (3x² − 3y, 3y² − 3x) = (9, −3) at (2, 1); H = [[12, −3], [−3, 6]]; Δ = H⁻¹∇f = (5/7, −1/7)
    assert solution.answers["x_iter1"].value == Fraction(9, 7)
    assert solution.answers["y_iter1"].value == Fraction(8, 7)
    assert solution.answers["stationary_points"].value == [[0, 0], [1, 1]]
    assert solution.answers["classification"].value == ["saddle point", "minimum"]


@pytest.mark.parametrize("objective,points,kinds", [
    ("x**4", [0], ["minimum"]),  # f″(0) = 0: the fourth derivative decides
    ("-x**4 + 1", [0], ["maximum"]),
    ("x**3", [0], ["inflection point"]),
    ("x**4 - 3*x**3 + 2", [0, Fraction(9, 4)], ["inflection point", "minimum"]),
    ("x**2 - y**2", [[0, 0]], ["saddle point"]),
    ("x**4 + y**4 - 4*x*y + 1", [[-1, -1], [0, 0], [1, 1]], ["minimum", "saddle point", "minimum"]),
    ("x**2 + y**2 + z**2 - x*y + 2*z", [[0, 0, -1]], ["minimum"]),
    ("x**2*y**2 + x**2 + y**2", [[0, 0]], ["minimum"]),
    ("x*exp(-x)", [1], ["maximum"]),
    ("sqrt(x**2 + 1)", [0], ["minimum"]),  # x/√(x² + 1) = 0: the numerator is polynomial  # e⁻ˣ(1 − x) = 0: the exponential factor never vanishes
    ("(x**2 + y**2)*exp(-x**2 - y**2)", None, None),  # a circle of maxima: refused, see below
    ("x**4 + y**4", [[0, 0]], ["inconclusive"]),  # H = 0 at the origin: the test says nothing
])
def test_stationary_points_worked_by_hand(objective, points, kinds):
    text = f'topic: function\nobjective: "{objective}"\nstationary_points: true\n'
    if points is None:
        with pytest.raises(NnsolveError, match="curve or surface"):
            solve_located(text)
        return
    solution = solve_located(text)
    assert solution.answers["stationary_points"].value == points
    assert solution.answers["classification"].value == kinds


def test_irrational_stationary_points_are_exact_in_the_steps():
    solution = solve_yaml('topic: function\nobjective: "x**3 - 6*x"\nstationary_points: true\n')
    values = solution.answers["stationary_points"].value
    assert values == pytest.approx([-math.sqrt(2), math.sqrt(2)])
    assert solution.answers["classification"].value == ["maximum", "minimum"]
    shown = [expr_text(s.formula) for s in solution.steps if s.title.startswith("Stationary point") and s.formula
             is not None and s.title.endswith(": x")]
    assert shown == ["−√(2)", "√(2)"]


def test_a_hessian_that_is_rational_at_an_irrational_point_is_exact():
    # ∇f = (4x³ − 3y, 2y − 3x) = 0: y = 3x/2, x² = 9/8, so x = ±3√2/4; there H = [[12x², −3], [−3, 2]]
    # and 12x² = 12 · 9/8 = 27/2 exactly (by hand); det H = 27 − 9 = 18 > 0 with 27/2 > 0: minima.
    solution = solve_yaml('topic: function\nobjective: "x**4 - 3*x*y + y**2"\nstationary_points: true\n')
    hessians = [s.value for s in solution.steps if s.title.endswith("the Hessian")]
    assert hessians == [[[Fraction(27, 2), -3], [-3, 2]], [[0, -3], [-3, 2]], [[Fraction(27, 2), -3], [-3, 2]]]
    for (x, y), h in zip(solution.answers["stationary_points"].value, hessians):
        numeric = np.array([[12 * x * x, -3], [-3, 2]])  # numpy at the float point, independently
        assert np.allclose(numeric, np.array(h, dtype=float))
    assert solution.answers["classification"].value == ["minimum", "saddle point", "minimum"]
    assert not any("computed to 50 digits" in (s.note or "") for s in solution.steps)  # exact signs


def test_evaluating_at_a_point_gives_gradient_and_hessian():
    solution = solve_yaml("""
        topic: function
        objective: "x**2*y + sin(y)"
        start: {x: 1, y: 0}
    """)
    assert solution.primary == "f" and solution.answer == 0
    assert solution.answers["grad_x"].value == 0  # 2xy
    assert solution.answers["grad_y"].value == pytest.approx(2.0)  # x² + cos y
    assert solution.answers["hessian"].value == [[0, 2], [2, 0]]  # [[2y, 2x], [2x, −sin y]]


def test_exact_growth_is_capped():
    # Gradient descent on x⁴ from 1/3 multiplies the digits by about 3 per step; past MAX_EXACT_DIGITS, floats.
    solution = solve_yaml("""
        topic: function
        objective: "x**4"
        start: {x: 1/3}
        optimizer: {type: gd, learning_rate: 0.01}
        iterations: 12
    """)
    assert isinstance(solution.answers["x_iter1"].value, Fraction)
    assert isinstance(solution.answer, float)
    x = 1 / 3
    for _ in range(12):
        x -= 0.01 * 4 * x ** 3
    assert solution.answer == pytest.approx(x, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Generated objectives: torch autograd and torch.optim, numpy for Newton, finite differences

NAMES = ["x", "y"]


def trees():
    """Smooth objectives: the function topic refuses relu and max (no derivative at 0)."""
    return tree_strategy(NAMES, ["sigmoid", "tanh", "exp", "sin", "cos", "neg", "square"], ["+", "-", "*"], max_leaves=6)


def _names_in(t) -> list[str]:
    return sorted(names_in(t))


def _order(text: str) -> list[str]:
    from nnsolve.expression import input_names, parse_expression

    return input_names(parse_expression(text))


OPTIMIZERS = st.one_of(
    st.fixed_dictionaries({"type": st.just("gd"), "learning_rate": st.sampled_from([0.01, 0.1, 0.3])}),
    st.fixed_dictionaries({"type": st.sampled_from(["momentum", "nesterov"]),
                           "learning_rate": st.sampled_from([0.01, 0.1]), "momentum": st.sampled_from([0.5, 0.9])}),
    st.fixed_dictionaries({"type": st.just("rmsprop"), "learning_rate": st.sampled_from([0.01, 0.1])}),
    st.fixed_dictionaries({"type": st.just("adam"), "learning_rate": st.sampled_from([0.01, 0.1]),
                           "beta1": st.sampled_from([0.9, 0.5])}),
)
POINT = st.fixed_dictionaries({n: st.integers(-20, 20).map(lambda k: k / 10) for n in NAMES})


def _yaml(tree, point, extra: str) -> str:
    names = _order(text(tree))
    start = ", ".join(f"{n}: {point[n]}" for n in names)
    return f'topic: function\nobjective: "{text(tree)}"\nstart: {{{start}}}\n{extra}'


@settings(max_examples=120)
@given(trees(), POINT, OPTIMIZERS, st.integers(1, 4))
def test_iterations_match_torch_optim(tree, point, o, iterations):
    names = _names_in(tree)
    if not names:
        return
    env = {n: torch.tensor(point[n], requires_grad=True) for n in names}
    history = trained_in_torch(tree, env, names, o, iterations)
    if history is None:
        return
    solution = solve_yaml(_yaml(tree, point, f"optimizer: {json.dumps(o)}\niterations: {iterations}\n"))
    event("compared with torch.optim")
    for n in names:
        if o["type"] == "nesterov":  # torch keeps the look-ahead point p + m·v
            assert float(solution.answers[f"{n}_lookahead"].value) == pytest.approx(history[n][-1], rel=1e-8, abs=1e-10)
            continue
        for t, value in enumerate(history[n], start=1):
            assert float(solution.answers[f"{n}_iter{t}"].value) == pytest.approx(value, rel=1e-8, abs=1e-10), (n, t)


@settings(max_examples=80)
@given(trees(), POINT, st.integers(1, 3))
def test_newton_matches_numpy(tree, point, iterations):
    # + x² + y² keeps most Hessians invertible, so that most cases reach the comparison
    objective = f"({text(tree)}) + x**2 + y**2"
    names = _order(objective)
    p = np.array([point[n] for n in names])

    def f(v):
        env = dict(zip(names, v))
        return in_torch(tree, env) + env["x"] ** 2 + env["y"] ** 2

    for _ in range(iterations):
        g = torch.autograd.functional.jacobian(f, torch.tensor(p)).numpy()
        h = np.atleast_2d(torch.autograd.functional.hessian(f, torch.tensor(p)).numpy())
        if not np.isfinite(h).all() or abs(np.linalg.det(h)) < 1e-6 or np.linalg.cond(h) > 1e8:
            return  # singular or nearly so: nnsolve refuses those (tested below)
        p = p - np.linalg.solve(h, g)
        if not np.isfinite(p).all() or np.abs(p).max() > 1e6:
            return
    start = ", ".join(f"{n}: {point[n]}" for n in names)
    solution = solve_yaml(f'topic: function\nobjective: "{objective}"\nstart: {{{start}}}\n'
                          f"optimizer: {{type: newton}}\niterations: {iterations}\n")
    event("compared with numpy")
    for n, value in zip(names, p):
        assert float(solution.answers[n].value) == pytest.approx(value, rel=1e-7, abs=1e-9), n


@settings(max_examples=80)
@given(trees(), POINT)
def test_derivatives_match_central_differences(tree, point):
    names = _order(text(tree))
    if not names:
        return

    def f(v: dict) -> float:
        return float(in_torch(tree, {n: torch.tensor(v[n], dtype=torch.float64) for n in names}))

    if not math.isfinite(f(point)) or abs(f(point)) > 1e6:
        return
    solution = solve_yaml(_yaml(tree, point, ""))
    h = 1e-5
    for i, a in enumerate(names):
        shift = lambda d, n=a: {**point, n: point[n] + d}  # noqa: E731
        numeric = (f(shift(h)) - f(shift(-h))) / (2 * h)
        assert float(solution.answers[f"grad_{a}"].value) == pytest.approx(numeric, rel=1e-5, abs=1e-5), a
        for j, b in enumerate(names):
            both = lambda da, db: f({**point, a: point[a] + da, b: point[b] + db if a != b else point[a] + da + db})  # noqa: E731
            second = (both(h, h) - both(h, -h) - both(-h, h) + both(-h, -h)) / (4 * h * h)
            entry = solution.answers["hessian"].value[i][j] if len(names) > 1 else solution.answers["second_derivative"].value
            assert float(entry) == pytest.approx(second, rel=1e-3, abs=1e-3), (a, b)


@settings(max_examples=60)
@given(trees(), POINT)
def test_every_step_substitution_evaluates_to_its_value(tree, point):
    text = _yaml(tree, point, "optimizer: {type: gd, learning_rate: 0.1}\niterations: 2\n")
    try:
        solution = solve_yaml(text)
    except NnsolveError:
        return
    for step in solution.steps:
        if step.substitution is None or _has_raw(step.substitution) or not isinstance(step.value, (int, float, Fraction)):
            continue
        assert float(evaluate(step.substitution)) == pytest.approx(float(step.value), rel=1e-9, abs=1e-12), step.title


def _has_raw(e) -> bool:
    if isinstance(e, Raw):
        return True
    return isinstance(e, (Op, Call)) and any(_has_raw(a) for a in e.args)


# ---------------------------------------------------------------------------------------------
# Stationary points against independent searches

@settings(max_examples=60)
@given(st.lists(st.integers(-6, 6), min_size=3, max_size=7))
def test_one_variable_stationary_points_match_numpy_roots(coefficients):
    if coefficients[0] == 0:
        return
    terms = " + ".join(f"({c})*x**{len(coefficients) - 1 - i}" for i, c in enumerate(coefficients))
    solution = solve_yaml(f'topic: function\nobjective: "{terms}"\nstationary_points: true\n')
    derivative = np.polyder(np.array(coefficients, dtype=float))
    roots = sorted({round(r.real, 6) for r in np.roots(derivative) if abs(r.imag) < 1e-7}) if derivative.any() else []
    found = solution.answers["stationary_points"].value
    assert [round(float(v), 6) for v in found] == pytest.approx(roots, abs=2e-5)
    second = np.polyder(derivative)
    for value, kind in zip(found, solution.answers["classification"].value):
        curvature = np.polyval(second, float(value))
        if abs(curvature) > 1e-6:
            assert kind == ("minimum" if curvature > 0 else "maximum")


def _grid_newton_roots(gradient, hessian, box: float = 5.0, n: int = 11) -> list[np.ndarray]:
    """Real solutions of ∇f = 0 in a box, by Newton's method from every point of a grid (numpy)."""
    found: list[np.ndarray] = []
    for x0 in np.linspace(-box, box, n):
        for y0 in np.linspace(-box, box, n):
            p = np.array([x0, y0])
            for _ in range(40):
                h = hessian(p)
                if abs(np.linalg.det(h)) < 1e-12:
                    break
                p = p - np.linalg.solve(h, gradient(p))
                if np.abs(p).max() > 1e3:
                    break
            if np.abs(gradient(p)).max() < 1e-9 and np.abs(p).max() < box and \
                    not any(np.allclose(p, q, atol=1e-6) for q in found):
                found.append(p)
    return found


@settings(max_examples=25)
@given(st.lists(st.integers(-3, 3), min_size=7, max_size=7))
def test_two_variable_stationary_points_against_a_grid_search(c):
    # a cubic with a nonzero pure cubic term in each variable: isolated stationary points
    a, b = c[0] or 1, c[1] or 1
    objective = f"{a}*x**3 + {b}*y**3 + ({c[2]})*x*y + ({c[3]})*x**2 + ({c[4]})*y**2 + ({c[5]})*x + ({c[6]})*y"

    def gradient(p):
        x, y = p
        return np.array([3 * a * x * x + c[2] * y + 2 * c[3] * x + c[5], 3 * b * y * y + c[2] * x + 2 * c[4] * y + c[6]])

    def hessian(p):
        x, y = p
        return np.array([[6 * a * x + 2 * c[3], c[2]], [c[2], 6 * b * y + 2 * c[4]]])

    try:
        solution = solve_yaml(f'topic: function\nobjective: "{objective}"\nstationary_points: true\n')
    except NnsolveError as exc:
        assert "curve" in str(exc)
        return
    found = [np.array([float(v) for v in p]) for p in solution.answers["stationary_points"].value]
    for p in found:
        assert np.abs(gradient(p)).max() < 1e-8
    for q in _grid_newton_roots(gradient, hessian):
        # Newton converges only linearly to a degenerate point (a singular Hessian, e.g. (−1/3, 1/3) of
        # x³ − y³ + 2xy − x + y): there the grid's root is good to about √1e-9, not to 1e-5
        atol = 1e-5 if abs(np.linalg.det(hessian(q))) > 1e-3 else 1e-3
        assert any(np.allclose(p, q, atol=atol) for p in found), f"missed {q}"
    for p, kind in zip(found, solution.answers["classification"].value):
        eig = np.linalg.eigvalsh(hessian(p))
        if min(abs(eig)) > 1e-6:
            expected = "minimum" if (eig > 0).all() else "maximum" if (eig < 0).all() else "saddle point"
            assert kind == expected


# ---------------------------------------------------------------------------------------------
# Mistakes

def test_variants_name_the_listed_mistakes():
    problem = load_text("""topic: function
objective: "x**2 + 3*y**2 + x*y"
start: {x: 1, y: 1}
optimizer: {type: momentum, learning_rate: 0.1, momentum: 0.5}
iterations: 2
""", file="t.yaml")
    right = solve(problem.spec).answers
    mistakes = {v.mistake: v.answers for v in variants(problem.spec)}
    text = " | ".join(mistakes)
    for phrase in ("the gradient's sign", "applying the learning rate twice", "reused the gradient of the start"):
        assert phrase in text
    for answers in mistakes.values():
        assert answers["x"] != right["x"].value


@pytest.mark.parametrize("optimizer,phrase", [
    ("{type: adam, learning_rate: 0.1}", "bias correction"),
    ("{type: gd, learning_rate: 0.1}", "sequential update"),
    ("{type: newton}", "H for H⁻¹"),
])
def test_optimizer_specific_variants(optimizer, phrase):
    problem = load_text(f'topic: function\nobjective: "x**4 + x*y + y**2"\nstart: {{x: 1, y: 2}}\n'
                        f"optimizer: {optimizer}\niterations: 2\n", file="t.yaml")
    assert any(phrase in v.mistake for v in variants(problem.spec))


def test_classification_by_fxx_alone_is_a_variant():
    problem = load_text('topic: function\nobjective: "x**2 - y**2 + x*y"\nstationary_points: true\n', file="t.yaml")
    found = [v for v in variants(problem.spec) if "f_xx alone" in v.mistake]
    assert found and found[0].answers["classification"] == ["minimum"]  # the right kind: a saddle point


# ---------------------------------------------------------------------------------------------
# Bad input: one line naming the field

@pytest.mark.parametrize("text,message", [
    ('objective: "x.real + 1"\nstationary_points: true',
     "t.yaml:2: objective: an attribute (a.b) is not allowed in an expression"),
    ('objective: "x*y"\nstart: {x: 1}\noptimizer: {type: gd, learning_rate: 0.1}',
     "t.yaml:3: start: no start value for y"),
    ('objective: "x*y"\nstart: {x: 1, y: 2, z: 3}', "t.yaml:3: start.z: z does not appear in the objective"),
    ('objective: "relu(x)"\nstationary_points: true', "t.yaml:2: objective: relu is not differentiable everywhere"),
    ('objective: "x**3"\nstart: {x: 0}\noptimizer: {type: newton}',
     "t.yaml:4: optimizer: Newton's method stops in iteration 1: the Hessian at x = 0 is singular"),
    ('objective: "x**2 + y**2"\nstart: {x: 1, y: 1}\noptimizer: {type: gd, learning_rate: 0}',
     "t.yaml:4: optimizer.learning_rate: must be positive"),
    ('objective: "x**2"\noptimizer: {type: gd, learning_rate: 0.1}', "t.yaml:3: optimizer: an optimizer needs a start point"),
    ('objective: "x**2"', "t.yaml:2: objective: say what to compute"),
    ('objective: "f**2"\nstationary_points: true', "t.yaml:2: objective: call the variable 'f' something else"),
    ('objective: "x1 + x_1"\nstationary_points: true', "t.yaml:2: objective: the variables x1 and x_1 would both"),
    ('objective: "log(x)"\nstart: {x: -1}', "t.yaml:3: start: f is not a real number at x = -1"),
    ('objective: "1/x"\nstart: {x: 0}', "t.yaml:3: start: f divides by zero at x = 0"),
    # the gradient 1/x exists at 2, f = log(−2) does not: the start is named, not the first iterate
    ('objective: "log(-x)"\nstart: {x: 2}\noptimizer: {type: gd, learning_rate: 0.1}',
     "t.yaml:3: start: f is not a real number at x = 2"),
    ('objective: "log(x)"\nstart: {x: 0.5}\noptimizer: {type: gd, learning_rate: 1}',  # 0.5 − 1·(1/0.5) = −1.5
     "t.yaml:4: optimizer: iteration 1: f is not a real number at x = -1.5"),
    # 2^(2^(2^(2^(2^2)))) = 2^(2^65536) exactly would never finish; past MAX_EXACT_DIGITS it is a float, and overflows
    ('objective: "x**x**x**x**x**x"\nstart: {x: 2}\noptimizer: {type: gd, learning_rate: 0.1}',
     "t.yaml:3: start: f overflows at x = 2"),
    ('objective: "x**2"\nstart: {x: 1}\nask: y', "t.yaml:4: ask: 'y' is not an answer of this problem"),
    ('objective: "x**2"\nstart: {x: 1}\noptimizer: {type: gd, learning_rate: 0.1}\niterations: 100000',
     "t.yaml:5: iterations: must be at most 10,000"),
    ('objective: "sqrt(x**2 + 1) + x**2 - x"\nstationary_points: true',
     "t.yaml:3: stationary_points: the stationary points are not given: ∇f = 0 is not a polynomial system"),
    ('objective: "x**9 + y**9"\nstationary_points: true',
     "t.yaml:3: stationary_points: the stationary points are not given: ∇f = 0 may have up to 64 solutions"),
    ('objective: "(x - y)**2"\nstationary_points: true',
     "t.yaml:3: stationary_points: the stationary points are not given: ∇f = 0 holds along a whole curve"),
])
def test_refusals_name_the_field(text, message):
    with pytest.raises(NnsolveError) as info:
        solve_located("topic: function\n" + text + "\n")
    assert str(info.value).startswith(message), str(info.value)


def test_divergence_names_the_iteration():
    with pytest.raises(NnsolveError, match=r"optimizer: iteration \d+: .* overflows .*the iterates diverge"):
        solve_located('topic: function\nobjective: "exp(x**2)"\nstart: {x: 2}\n'
                       'optimizer: {type: gd, learning_rate: 10}\niterations: 50\n')


def test_cubic_figure_plots_x_and_f_per_iteration():
    # By hand: x ← x − 0.1·(3x² − 6x) from x = 3, and f = x³ − 3x² + 2 at each point.
    xs = [Fraction(3)]
    for _ in range(3):
        xs.append(xs[-1] - Fraction(1, 10) * (3 * xs[-1] ** 2 - 6 * xs[-1]))
    curve, figure = solve_file(PROBLEMS / "function/cubic-gd.yaml").figures
    (panel,) = curve.panels
    (iterates,) = panel.points
    assert list(iterates.x) == [float(v) for v in xs]
    assert list(iterates.y) == pytest.approx([float(v ** 3 - 3 * v ** 2 + 2) for v in xs], rel=1e-12)
    (line,) = panel.series
    assert min(line.x) < 2.0 < 3.0 < max(line.x)  # the curve spans the iterates
    for x, y in zip(line.x, line.y):  # f, cut off beyond 3 times the iterates' range of f (−2 … 2) from it
        f = x ** 3 - 3 * x ** 2 + 2
        assert math.isnan(y) if f > 2 + 3 * 4 else y == pytest.approx(f, rel=1e-9, abs=1e-9)
    variables, f = figure.panels
    (x,) = variables.series
    assert x.label == "x" and x.x == (0, 1, 2, 3) and list(x.y) == [float(v) for v in xs]
    assert f.series[0].x == (0, 1, 2, 3)
    assert list(f.series[0].y) == pytest.approx([float(v ** 3 - 3 * v ** 2 + 2) for v in xs], rel=1e-12)


def test_one_iteration_has_no_figure():
    assert solve_yaml('topic: function\nobjective: "x**2"\nstart: {x: 1}\noptimizer: {type: gd, learning_rate: 0.1}\n').figures == ()


def test_given_data_typeset_the_objective_start_and_optimizer():
    given = solve_file(PROBLEMS / "function/cubic-gd.yaml").given
    assert [g.label for g in given] == ["Objective f(x)", "Start x", "Optimizer", "Learning rate η", "Iterations"]
    assert expr_text(given[0].value) == "x³ − 3·x² + 2" and given[1].value == 3 and given[-1].value == 3


def test_stationary_points_off_shape_position_come_factor_by_factor(monkeypatch):
    # ∇f = (4x³ + 2xy + y², 4y³ + x² + 2xy): the lex basis's eliminant is y³(4y + 3)(a quartic), not in shape
    # position (y = 0 twice over); by hand (−3/4, −3/4) and (0, 0) solve it, and Newton from a grid finds the rest.
    import sympy

    def slow(*args, **kwargs):
        raise AssertionError("sympy.solve (over algebraic expressions, seconds) should not be needed")

    monkeypatch.setattr(sympy, "solve", slow)
    solution = solve_yaml('topic: function\nobjective: "x**4 + y**4 + x**2*y + x*y**2"\nstationary_points: true\n')
    points = solution.answers["stationary_points"].value
    assert [Fraction(-3, 4), Fraction(-3, 4)] in points and [0, 0] in points

    def gradient(p):
        x, y = p
        return np.array([4 * x**3 + 2 * x * y + y * y, 4 * y**3 + x * x + 2 * x * y])

    def hessian(p):
        x, y = p
        return np.array([[12 * x * x + 2 * y, 2 * x + 2 * y], [2 * x + 2 * y, 12 * y * y + 2 * x]])

    found = [np.array([float(v) for v in p]) for p in points]
    for p in found:
        assert np.abs(gradient(p)).max() < 1e-10
    for q in _grid_newton_roots(gradient, hessian):
        # Newton converges only linearly to a degenerate point (a singular Hessian, e.g. (−1/3, 1/3) of
        # x³ − y³ + 2xy − x + y): there the grid's root is good to about √1e-9, not to 1e-5
        atol = 1e-5 if abs(np.linalg.det(hessian(q))) > 1e-3 else 1e-3
        assert any(np.allclose(p, q, atol=atol) for p in found), f"missed {q}"
    assert len(found) == 4


# ---------------------------------------------------------------------------------------------
# Names as the renderers typeset them: the solver hands over nodes, never LaTeX

_NAMED = """
    topic: function
    objective: "alpha**2*x1 + w_2**3 + alpha*w_2"
    start: {alpha: 1, x1: 2, w_2: 3}
    optimizer: {type: newton}
    iterations: 1
"""


def test_second_derivatives_and_the_point_are_nodes_typeset_like_every_name():
    from nnsolve.expr import Partial, Vector
    from nnsolve.render.math import expr_latex

    solution = solve_yaml(_NAMED)
    lhs = {s.title: s.lhs for s in solution.steps}
    assert isinstance(lhs["Hessian: ∂²f/∂alpha²"], Partial) and isinstance(lhs["Iteration 1: update"], Vector)
    assert expr_text(lhs["Hessian: ∂²f/∂alpha²"]) == "∂²f/∂α²"
    assert expr_text(lhs["Hessian: ∂²f/∂alpha∂w_2"]) == "∂²f/∂α∂w₂"
    assert expr_text(lhs["Hessian: ∂²f/∂x1²"]) == "∂²f/∂x₁²"
    assert expr_text(lhs["Iteration 1: update"]) == "(α, x₁, w₂)"
    assert expr_latex(lhs["Hessian: ∂²f/∂alpha²"]) == r"\frac{\partial^{2} f}{\partial \alpha^{2}}"
    assert expr_latex(lhs["Hessian: ∂²f/∂x1∂w_2"]) == r"\frac{\partial^{2} f}{\partial x_{1} \, \partial w_{2}}"
    assert expr_latex(lhs["Hessian: ∂²f/∂w_2²"]) == r"\frac{\partial^{2} f}{\partial {w_{2}}^{2}}"
    assert expr_latex(lhs["Iteration 1: update"]) == r"\left(\alpha, x_{1}, w_{2}\right)"
    # the gradient's ∂f/∂α and the Hessian's ∂²f/∂α² name α alike
    assert expr_latex(lhs["Gradient: ∂f/∂alpha"]) == r"\frac{\partial f}{\partial \alpha}"


def test_named_variables_compile_in_latex_and_read_right_in_markdown(tmp_path):
    from nnsolve.render.latex import document, problem_latex
    from nnsolve.render.markdown import render_markdown
    from tests.test_latex import compile_latex, missing_characters

    solution = solve_yaml(_NAMED)
    tex = document(problem_latex(solution))
    assert r"\mathrm{alpha}" not in tex and r"\partial^{2} f}{\partial \alpha^{2}}" in tex
    assert missing_characters(compile_latex(tex, tmp_path)) == []
    markdown = render_markdown(solution)
    assert r"$\frac{\partial^{2} f}{\partial \alpha \, \partial x_{1}} = 2 \alpha$" in markdown
    assert "\n" + r"\left(\alpha, x_{1}, w_{2}\right) &= \left(\alpha, x_{1}, w_{2}\right) - \Delta \\" in markdown


def test_a_huge_exact_number_in_an_error_is_rounded_and_says_so():
    # one step from x = 1 with η = 0.1 and f′ = 10⁶¹⁶: x₁ = 1 − 10⁶¹⁵ exactly, 615 nines, then f overflows
    with pytest.raises(NnsolveError) as info:
        solve_located('topic: function\nobjective: "x*1e308*1e308"\nstart: {x: 1}\n'
                      "optimizer: {type: gd, learning_rate: 0.1}\n")
    assert str(info.value) == ("t.yaml:4: optimizer: iteration 1: f overflows at x = -1.0000e+615 "
                               "(rounded to 5 significant figures) (the iterates diverge)")
