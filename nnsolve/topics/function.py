"""A function of one or more variables: its gradient and Hessian, optimizer iterations, stationary points.

The objective is written in nnsolve's expression grammar (``x**3 - 3*x**2 + 2``) and derived
symbolically by sympy (``nnsolve.symbolic``): the worked solution shows f, ∇f (and the Hessian
where it is needed), then each iteration's substitution and value. An iteration is one update
of every variable by an optimizer of ``nnsolve.optim`` (gd, momentum, nesterov, rmsprop, adam,
elementwise per variable, as ``optimizer_steps`` has them) or Newton's method (the whole vector,
through the Hessian). Values are exact where the derivatives are rational and the start point
is; a transcendental function, a square root in the optimizer, or a fraction outgrowing
MAX_EXACT_DIGITS makes them floats.

Stationary points (∇f = 0) are solved by ``nnsolve.stationary``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Iterator, Literal

from pydantic import Field, StrictBool, StrictInt, field_validator

from .. import limits, optim
from ..errors import SolveError
from ..expr import Expr, call, partial, sym, vector
from ..expression import input_names, parse_expression, symbol_name
from ..numbers import Number, Real, bounded, simplify
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import ProblemBase
from ..symbolic import Calculus, at, derive, point_text, second, second_text

TOPIC = "function"
SUMMARY = "a function f(x, y, …): its gradient and Hessian, gd/momentum/Adam/Newton iterations, stationary points"
EXAMPLE = "problems/function/cubic-gd.yaml"
FIGURES = True  # two iterations or more: the variables and f per iteration (run --plot)

SHOWN_ITERATIONS = 10  # iterations worked out step by step; the table lists every iteration


class Spec(ProblemBase):
    """An objective, and what to do with it: iterate from a start point, and/or find its stationary points."""

    topic: Literal["function"] = Field(description="function: a function's derivatives, iterations and stationary points")
    objective: str = Field(max_length=limits.MAX_EXPRESSION_CHARS,
                           description="f, an expression over its variables, e.g. x**3 - 3*x**2 + 2")
    start: dict[str, Real] | None = Field(default=None, description="the start point: a value for every variable")
    optimizer: optim.SecondOrderOptimizer | None = Field(
        default=None, description="gd, momentum, nesterov, rmsprop or adam (as optimizer_steps has them), or newton")
    iterations: Annotated[StrictInt, Field(ge=1, le=limits.MAX_ITERATIONS)] | None = Field(
        default=None, description="how many updates (default 1)")
    stationary_points: StrictBool = Field(default=False, description="also solve ∇f = 0 and classify each point")
    ask: str | None = Field(default=None, description="the answer asked for, e.g. x (after the last iteration, "
                                                      "the default), f, grad_x, x_iter2, stationary_points")

    @field_validator("objective")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_expression(value)
        return value


# ---------------------------------------------------------------------------------------------
# What the field types cannot say

def variables(spec: Spec) -> list[str]:
    """The variables in the order the objective first uses them."""
    return input_names(parse_expression(spec.objective))


def _check(spec: Spec) -> list[str]:
    names = variables(spec)
    if not names:
        raise SolveError("has no variable to differentiate by", field="objective")
    if len(names) > limits.MAX_FUNCTION_VARIABLES:
        raise SolveError(f"has {len(names)} variables, more than MAX_FUNCTION_VARIABLES = "
                         f"{limits.MAX_FUNCTION_VARIABLES} (nnsolve's cap)", field="objective")
    shown = {}
    for name in names:
        if name == "f" or name.startswith("grad_"):
            raise SolveError(f"call the variable {name!r} something else: f and grad_… name the objective's "
                             "answers", field="objective")
        other = shown.setdefault(symbol_name(name), name)
        if other != name:
            raise SolveError(f"the variables {other} and {name} would both be written {symbol_name(name)}",
                             field="objective")
    if spec.start is None and (spec.optimizer is not None or spec.iterations is not None):
        raise SolveError("an optimizer needs a start point: a value for each of " + ", ".join(names), field="optimizer")
    if spec.start is not None:
        missing = [n for n in names if n not in spec.start]
        if missing:
            raise SolveError(f"no start value for {', '.join(missing)}", field="start")
        for name in spec.start:
            if name not in names:
                raise SolveError(f"{name} does not appear in the objective", field=f"start.{name}")
    if spec.iterations is not None and spec.optimizer is None:
        raise SolveError("iterations need an optimizer, e.g. {type: gd, learning_rate: 0.1}", field="iterations")
    if spec.start is None and not spec.stationary_points:
        raise SolveError("say what to compute: a start point (with an optimizer and iterations to iterate), "
                         "or stationary_points: true", field="objective")
    if spec.optimizer is not None:
        for name in getattr(spec.optimizer, "velocity", {}):
            if name not in names:
                raise SolveError(f"{name!r} is not a variable of the objective", field="optimizer.velocity")
    return names


def _iterations(spec: Spec) -> int:
    if spec.optimizer is None:
        return 0
    return spec.iterations or 1


# ---------------------------------------------------------------------------------------------
# The derivatives, once per objective

# ---------------------------------------------------------------------------------------------
# Iterations

@dataclass
class Iteration:
    t: int
    before: dict[str, Number]
    point: dict[str, Number]  # where the gradient is taken: the look-ahead point for Nesterov
    gradient: list[Number]
    hessian: list[list[Number]] | None
    delta: list[Number] | None  # Newton's step
    state_before: dict[str, tuple]
    state_after: dict[str, tuple]
    after: dict[str, Number] = field(default_factory=dict)


@dataclass(frozen=True)
class Bend:
    """A student's mistake in the iterations (all off for the right working)."""

    knobs: optim.Knobs = optim.RIGHT
    stale: bool = False  # the gradient (and Hessian) of the start point reused in every iteration
    sequential: bool = False  # gd: each variable updated in turn, the next one's gradient at the new values


def gradient_at(calc: Calculus, point: dict[str, Number]) -> list[Number]:
    return [at(g, point, f"∂f/∂{n}")[1] for n, g in zip(calc.names, calc.gradient_expr)]


def hessian_at(calc: Calculus, point: dict[str, Number]) -> list[list[Number]]:
    return [[at(h, point, "the Hessian")[1] for h in row] for row in calc.hessian_expr]


def run(spec: Spec, calc: Calculus, bend: Bend = Bend()) -> list[Iteration]:
    """Every iteration from the start point; an error names its iteration (the iterates may diverge)."""
    opt, names = spec.optimizer, calc.names
    newton = isinstance(opt, optim.Newton)
    point: dict[str, Number] = {n: spec.start[n] for n in names}
    state = {n: optim.initial_state(opt, n) for n in names} if not newton else {}
    first: tuple | None = None  # the start point's gradient and Hessian, for the stale-gradient mistake
    history = []
    at(calc.f_expr, point, "f")  # f itself must be defined at the start, not only its gradient (log(−x))
    for t in range(1, _iterations(spec) + 1):
        at_start = t == 1  # the derivatives of the first iteration are taken at the start point itself
        try:
            it = _iterate(spec, calc, bend, t, point, state, first)
            at_start = False
            at(calc.f_expr, it.after, "f")  # an iterate outside f's domain is this iteration's fault
        except SolveError as exc:
            if exc.field != "start" or at_start:
                raise
            diverge = " (the iterates diverge)" if "overflows" in exc.message else ""
            raise SolveError(f"iteration {t}: {exc.message}{diverge}", field="optimizer") from None
        except OverflowError:
            raise SolveError(f"iteration {t}: the update overflows (the iterates diverge)", field="optimizer") from None
        first = first or (it.gradient, it.hessian)
        history.append(it)
        point, state = it.after, it.state_after
    return history


def _iterate(spec: Spec, calc: Calculus, bend: Bend, t: int, point: dict[str, Number], state: dict[str, tuple],
             first: tuple | None) -> Iteration:
    opt, names = spec.optimizer, calc.names
    newton = isinstance(opt, optim.Newton)
    look = {n: optim.lookahead(opt, point[n], state[n]) for n in names} if not newton else dict(point)
    if bend.stale and first is not None:
        g, h = list(first[0]), first[1]
    else:
        g = gradient_at(calc, look)
        h = hessian_at(calc, look) if newton else None
    it = Iteration(t, point, look, list(g), h, None, state, {})
    if newton:
        stepped = optim.newton_update(opt, [point[n] for n in names], g, h, bend.knobs)
        if stepped is None:
            raise SolveError(f"Newton's method stops in iteration {t}: the Hessian at {point_text(point)} is "
                             "singular (no unique step solves H·Δ = ∇f)", field="optimizer")
        new, it.delta = stepped
        after = dict(zip(names, new))
    else:
        after = dict(point)
        for i, n in enumerate(names):
            if bend.sequential and i > 0:  # the mistake: later gradients at the values already updated
                g[i] = gradient_at(calc, after)[i]
            after[n], it.state_after[n] = optim.update(opt, t, point[n], g[i], state[n], bend.knobs)
    it.after = {n: bounded(v) for n, v in after.items()}
    return it


# ---------------------------------------------------------------------------------------------
# The worked solution

def _derivative_steps(calc: Calculus, hessian: bool) -> list[Step]:
    steps = [Step("The objective", lhs=call("f", *[sym(symbol_name(n)) for n in calc.names]), formula=calc.f_expr)]
    for n, g in zip(calc.names, calc.gradient_expr):
        steps.append(Step(f"Gradient: ∂f/∂{n}", lhs=partial("f", symbol_name(n)), formula=g,
                          note="derived symbolically (sympy)" if n == calc.names[0] else None))
    if hessian:
        for i, a in enumerate(calc.names):
            for j, b in enumerate(calc.names):
                if j >= i:
                    steps.append(Step(f"Hessian: {second_text(a, b)}",
                                      lhs=second(a, b), formula=calc.hessian_expr[i][j],
                                      note="the Hessian is symmetric" if (i, j) == (0, 1) else None))
    return steps


def _iteration_steps(spec: Spec, calc: Calculus, it: Iteration) -> list[Step]:
    label, opt, names = f"Iteration {it.t}", spec.optimizer, calc.names
    nesterov = optim.is_nesterov(opt)
    steps = []
    for n, g_expr in zip(names, calc.gradient_expr):
        substitution, value = at(g_expr, it.point, f"∂f/∂{n}")
        steps.append(Step(f"{label}: ∂f/∂{n}", lhs=partial("f", symbol_name(n)), formula=g_expr,
                          substitution=substitution, value=value,
                          note=f"at the look-ahead point {point_text(it.point)} (Nesterov)" if nesterov else None))
    if isinstance(opt, optim.Newton):
        if len(names) == 1:
            substitution, value = at(calc.hessian_expr[0][0], it.point, "f″")
            steps.append(Step(f"{label}: f″", lhs=second(names[0], names[0]), formula=calc.hessian_expr[0][0],
                              substitution=substitution, value=value))
        else:
            steps.append(Step(f"{label}: the Hessian at {point_text(it.point)}", lhs=sym("H"), value=it.hessian))
        steps += optim.newton_steps(opt, label, _vector_sym(names), [it.before[n] for n in names],
                                    [it.after[n] for n in names], it.gradient, it.hessian, it.delta)
    else:
        for i, n in enumerate(names):
            steps += optim.update_steps(opt, it.t, label, n, sym(symbol_name(n)), n, it.before[n], it.after[n],
                                        it.gradient[i], it.state_before[n], it.state_after[n])
    substitution, value = at(calc.f_expr, it.after, "f")
    steps.append(Step(f"{label}: f at the new point", lhs=sym("f"), substitution=substitution, value=value))
    return steps


def _vector_sym(names: tuple[str, ...]) -> Expr:
    if len(names) == 1:
        return sym(symbol_name(names[0]))
    return vector(*(symbol_name(n) for n in names))


def _table(calc: Calculus, points: list[dict[str, Number]], answers: dict[str, Number]) -> Table:
    """Every point from the start, with f and ∇f there (taken from the answers, computed once)."""
    names = calc.names
    columns = ("Iteration", *names, "f", *(f"∂f/∂{n}" for n in names))
    rows = tuple((t, *(point[n] for n in names), answers[f"f_iter{t}"], *(answers[f"grad_{n}_iter{t}"] for n in names))
                 for t, point in enumerate(points))
    return Table("Iteration by iteration (0 is the start point)", columns, rows)


def answers_of(calc: Calculus, history: list[Iteration], start: dict[str, Number]) -> dict[str, Number]:
    """Each variable after each iteration and after the last, and f and ∇f at every point (0: the start)."""
    out: dict[str, Number] = {}
    points = [start] + [it.after for it in history]
    for t, point in enumerate(points):
        if t:
            out.update({f"{n}_iter{t}": point[n] for n in calc.names})
        out[f"f_iter{t}"] = at(calc.f_expr, point, "f")[1]
        out.update({f"grad_{n}_iter{t}": g for n, g in zip(calc.names, gradient_at(calc, point))})
    out.update({n: points[-1][n] for n in calc.names})
    return out


def _labels(calc: Calculus, n_iterations: int) -> dict[str, str]:
    labels = {}
    for t in range(n_iterations + 1):
        where = "at the start" if t == 0 else f"after iteration {t}"
        if t:
            labels.update({f"{n}_iter{t}": f"{n} after iteration {t}" for n in calc.names})
        labels[f"f_iter{t}"] = f"f {where}"
        labels.update({f"grad_{n}_iter{t}": f"∂f/∂{n} {where}" for n in calc.names})
    labels.update({n: f"{n} after {n_iterations} iteration{'s' if n_iterations != 1 else ''}" for n in calc.names})
    return labels


def _point_answers(calc: Calculus, start: dict[str, Number]) -> dict[str, Answer]:
    """No optimizer: f, ∇f and the Hessian (f″ for one variable) at the start point."""
    where = point_text(start)
    answers = {"f": Answer(at(calc.f_expr, start, "f")[1], f"f at {where}")}
    for n, g in zip(calc.names, gradient_at(calc, start)):
        answers[f"grad_{n}"] = Answer(g, f"∂f/∂{n} at {where}")
    h = hessian_at(calc, start)
    if len(calc.names) == 1:
        answers["second_derivative"] = Answer(h[0][0], f"f″ at {where}")
    else:
        answers["hessian"] = Answer(h, f"the Hessian at {where}")
    return answers


def solve(spec: Spec) -> Solution:
    from ..stationary import stationary_blocks

    names = _check(spec)
    calc = derive(spec.objective)
    n_iter = _iterations(spec)
    f_size, gradient_size, hessian_size = calc.sizes
    work = n_iter * (f_size + gradient_size + (hessian_size if isinstance(spec.optimizer, optim.Newton) else 0))
    if work > limits.MAX_UPDATE_WORK:
        raise SolveError(f"iterations × the size of f and its derivatives is {work:,}, more than MAX_UPDATE_WORK = "
                         f"{limits.MAX_UPDATE_WORK:,} (nnsolve's cap)", field="iterations")
    newton = isinstance(spec.optimizer, optim.Newton)
    evaluate_only = spec.start is not None and spec.optimizer is None
    blocks: list = _derivative_steps(calc, hessian=newton or evaluate_only or spec.stationary_points)
    answers: dict[str, Answer] = {}
    assumptions: list[str] = []
    warnings: list[str] = []
    history: list[Iteration] = []
    if spec.start is not None:
        start = {n: spec.start[n] for n in names}
        history = run(spec, calc) if spec.optimizer is not None else []
        if evaluate_only:
            blocks += _at_start_steps(calc, start)
        for it in history[:SHOWN_ITERATIONS]:
            blocks += _iteration_steps(spec, calc, it)
        if history:
            values = answers_of(calc, history, start)
            blocks.append(_table(calc, [start] + [it.after for it in history], values))
            labels = _labels(calc, len(history))
            answers.update({k: Answer(v, labels[k]) for k, v in values.items()})
            assumptions.append(optim.describe(spec.optimizer, names))
            if n_iter > SHOWN_ITERATIONS:
                assumptions.append(f"Iterations 1–{SHOWN_ITERATIONS} are worked step by step; the table lists "
                                   f"all {n_iter}.")
        else:
            answers.update(_point_answers(calc, start))
        if optim.is_nesterov(spec.optimizer):
            last = history[-1]
            for n in names:
                look = simplify(last.after[n] + spec.optimizer.momentum * last.state_after[n][0])
                answers[f"{n}_lookahead"] = Answer(look, f"{n} + m·v after {n_iter} iterations",
                                                   reading="PyTorch/Keras Nesterov (stores the look-ahead point)")
    if spec.stationary_points:
        found = stationary_blocks(calc)
        blocks += found.blocks
        answers.update(found.answers)
        assumptions += found.assumptions
        warnings += found.warnings
    if any(isinstance(a.value, float) for a in answers.values()):
        assumptions.append("exp, log, sigmoid, tanh, sin, cos and square roots are transcendental: those values are "
                           "floats, never rounded between steps and shown to 5 significant figures; so is an exact "
                           f"fraction that would outgrow {limits.MAX_EXACT_DIGITS:,} digits.")
    primary = spec.ask or (names[0] if history else "f" if spec.start is not None else "stationary_points")
    if primary not in answers:
        raise SolveError(f"{primary!r} is not an answer of this problem; it has {', '.join(list(answers)[:12])}"
                         + (", …" if len(answers) > 12 else ""), field="ask")
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=tuple(blocks),
                    assumptions=tuple(assumptions), warnings=tuple(warnings),
                    figures=_figures(spec, calc, {k: a.value for k, a in answers.items()}, len(history)))


def _figures(spec: Spec, calc: Calculus, values: dict[str, Number], iterations: int) -> tuple:
    """Two iterations or more: each variable and f, from the start point on."""
    from ..plot import iterations_figure

    if iterations < 2:
        return ()
    points = {n: [spec.start[n]] + [values[f"{n}_iter{t}"] for t in range(1, iterations + 1)] for n in calc.names}
    f = [values[f"f_iter{t}"] for t in range(iterations + 1)]
    title = optim.TITLES[spec.optimizer.type]
    out = (iterations_figure(f"{title} on f: the variables and f", points, "f", f,
                             "f after each iteration (0: the start)", what="Variables"),)
    if len(calc.names) == 1:
        out = (_curve(spec, calc.names[0], points[calc.names[0]], f, title),) + out
    return out


CURVE_POINTS = 161  # samples of f drawn under the iterates


def _curve(spec: Spec, name: str, xs: list, fs: list, title: str):
    """One variable: f drawn over the iterates' range, each iterate a point on it (floats, for drawing only)."""
    from ..graph import forward
    from ..plot import Figure, Panel, Points, Series, coordinate

    nodes = parse_expression(spec.objective)
    x, y = [coordinate(v) for v in xs], [coordinate(v) for v in fs]
    lo, hi = min(x), max(x)
    room = max(0.25 * (hi - lo), 1.0)
    f_lo, f_hi = min(y), max(y)
    f_room = 3 * max(f_hi - f_lo, 1.0)
    grid, curve = [lo - room + (hi - lo + 2 * room) * k / (CURVE_POINTS - 1) for k in range(CURVE_POINTS)], []
    for g in grid:
        try:
            value = complex(forward(nodes, {name: g})[-1])
        except Exception:  # outside f's domain (log of a negative number, a division by 0): not drawn  # noqa: BLE001
            value = complex(math.nan)
        inside = value.imag == 0 and f_lo - f_room <= value.real <= f_hi + f_room
        curve.append(value.real if inside else math.nan)
    panel = Panel(f"f and the iterates {name}₀ (the start) … {name}{_subscript(len(xs) - 1)}", name, "f",
                  series=(Series(f"f({name})", tuple(grid), tuple(curve), dots=False, colour="grey"),),
                  points=(Points(tuple(x), tuple(y), label="iterates"),))
    return Figure(f"{title} on f({name})", (panel,))


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _at_start_steps(calc: Calculus, start: dict[str, Number]) -> list[Step]:
    steps = []
    where = point_text(start)
    substitution, value = at(calc.f_expr, start, "f")
    steps.append(Step(f"f at {where}", lhs=sym("f"), formula=calc.f_expr, substitution=substitution, value=value))
    for n, g in zip(calc.names, calc.gradient_expr):
        substitution, value = at(g, start, f"∂f/∂{n}")
        steps.append(Step(f"∂f/∂{n} at {where}", lhs=partial("f", symbol_name(n)), formula=g,
                          substitution=substitution, value=value))
    for i, a in enumerate(calc.names):
        for j, b in enumerate(calc.names):
            if j >= i:
                substitution, value = at(calc.hessian_expr[i][j], start, "the Hessian")
                steps.append(Step(f"{second_text(a, b)} at {where}", lhs=second(a, b),
                                  formula=calc.hessian_expr[i][j], substitution=substitution, value=value))
    return steps


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    """The gradient's sign, the learning rate applied twice, Adam without bias correction, a stale
    gradient, a sequential update, Newton with H instead of H⁻¹; a misread classification."""
    try:
        names = _check(spec)
        calc = derive(spec.objective)
    except SolveError:
        return
    if spec.optimizer is not None and spec.start is not None:
        yield from _iteration_variants(spec, calc, names)
    if spec.stationary_points:
        from ..stationary import classification_variants

        yield from classification_variants(calc)


def _iteration_variants(spec: Spec, calc: Calculus, names: list[str]) -> Iterator[Variant]:
    opt = spec.optimizer
    start = {n: spec.start[n] for n in names}
    bends = [("moved along +η·∇f instead of −η·∇f (the gradient's sign), so every step goes uphill",
              Bend(knobs=optim.Knobs(uphill=True)))]
    if isinstance(opt, optim.Momentum):
        bends.append(("used v ← m·v + η·g then p ← p − η·v, applying the learning rate twice",
                      Bend(knobs=optim.Knobs(double_eta=True))))
    if isinstance(opt, optim.Adam):
        bends.append(("left out Adam's bias correction (used m and s instead of m̂ and ŝ)",
                      Bend(knobs=optim.Knobs(no_bias_correction=True))))
    if isinstance(opt, optim.Newton):
        bends.append(("multiplied the gradient by the Hessian instead of solving H·Δ = ∇f (H for H⁻¹)",
                      Bend(knobs=optim.Knobs(times_hessian=True))))
    if _iterations(spec) > 1:
        bends.append(("reused the gradient of the start point in every iteration instead of recomputing it",
                      Bend(stale=True)))
    if isinstance(opt, optim.GradientDescent) and len(names) > 1:
        bends.append((f"updated {names[0]} first and used its new value in the other gradients "
                      "(a sequential update, not a simultaneous one)", Bend(sequential=True)))
    right = answers_of(calc, run(spec, calc), start)
    seen = [right]
    for mistake, bend in bends:
        try:
            bent = answers_of(calc, run(spec, calc, bend), start)
        except SolveError:
            continue
        if bent not in seen:
            seen.append(bent)
            yield Variant(mistake, bent)


# ---------------------------------------------------------------------------------------------
# What the question gives

def given(spec: Spec) -> list:
    """The objective as a formula, the start point and the optimizer (what is asked is not given)."""
    from ..given import optimizer
    from ..graph import formula
    from ..solution import Given

    names = variables(spec)
    out: list = [Given(f"Objective f({', '.join(names)})", formula(parse_expression(spec.objective)))]
    if spec.start is not None:
        point = [spec.start[n] for n in names if n in spec.start]
        out.append(Given(f"Start {names[0]}", point[0]) if len(point) == 1 else
                   Given(f"Start ({', '.join(names)})", point))
    if spec.optimizer is not None:
        out += optimizer(spec.optimizer)
        out.append(Given("Iterations", _iterations(spec)))
    return out
