"""Optimizers: the update rules every topic that trains something shares.

One definition per optimizer: its fields (pydantic), its state, its update of one scalar
parameter, the worked steps of that update and the sentence that states its convention.
``optimizer_steps`` (one neuron) uses it; any topic that updates parameters (a network, a
function) uses the same rules, element by element for a tensor.

Newton's method is here too, though it is not elementwise: it needs the Hessian, so only a
topic that has one (``function``) offers it, beside the first-order optimizers.

Arithmetic is exact until a square root (RMSprop, Adam) makes it a float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Literal, Union

from pydantic import Field

from .errors import SolveError
from .expr import Expr, call, dot, num, sym
from .linalg import solve_square
from .numbers import _EXACT_BITS, Number, Real, number_text, simplify
from .solution import Step
from .spec import Strict


# The hyperparameters' ranges, checked when a file is loaded (so `check` and the JSON Schema know them)
Rate = Annotated[Real, Field(gt=0)]  # a learning rate or damping factor
Decay = Annotated[Real, Field(ge=0, lt=1)]  # the share of a running average kept: momentum, ρ, β₁, β₂
Offset = Annotated[Real, Field(ge=0)]  # ε


class GradientDescent(Strict):
    """p ← p − η·g."""

    type: Literal["gd"] = Field(description="gd: gradient descent")
    learning_rate: Rate = Field(description="η, the learning rate (PyTorch lr)")


class Momentum(Strict):
    """v ← m·v − η·g, p ← p + v; Nesterov evaluates g at the look-ahead point p + m·v."""

    type: Literal["momentum", "nesterov"] = Field(description="momentum, or nesterov (the look-ahead gradient)")
    learning_rate: Rate = Field(description="η, the learning rate (PyTorch lr)")
    momentum: Decay = Field(default=Fraction(9, 10), description="m, the share of the velocity kept")
    velocity: dict[str, Real] = Field(default_factory=dict,
                                      description="initial velocities by parameter, e.g. {w1: 0}; default 0")


class RMSprop(Strict):
    """s ← ρ·s + (1 − ρ)·g², p ← p − η·g / (√s + ε)."""

    type: Literal["rmsprop"] = Field(description="rmsprop: steps scaled by a running mean square")
    learning_rate: Rate = Field(default=Fraction(1, 100), description="η, the learning rate (PyTorch lr)")
    rho: Decay = Field(default=Fraction(9, 10), description="ρ, the decay of the mean square (PyTorch alpha)")
    epsilon: Offset = Field(default=Fraction(1, 10**8), description="ε, added to the root (PyTorch eps)")


class Adam(Strict):
    """m ← β₁m + (1 − β₁)g, s ← β₂s + (1 − β₂)g², p ← p − η·m̂ / (√ŝ + ε) with bias correction."""

    type: Literal["adam"] = Field(description="adam: momentum and RMSprop with bias correction")
    learning_rate: Rate = Field(default=Fraction(1, 1000), description="η, the learning rate (PyTorch lr)")
    beta1: Decay = Field(default=Fraction(9, 10), description="β₁, the decay of the first moment (PyTorch betas[0])")
    beta2: Decay = Field(default=Fraction(999, 1000),
                        description="β₂, the decay of the second moment (PyTorch betas[1])")
    epsilon: Offset = Field(default=Fraction(1, 10**8), description="ε, added to the root (PyTorch eps)")


Optimizer = Annotated[Union[GradientDescent, Momentum, RMSprop, Adam], Field(discriminator="type")]


class Newton(Strict):
    """p ← p − η·H⁻¹∇f with H the Hessian at p; the step Δ = H⁻¹∇f solves H·Δ = ∇f exactly."""

    type: Literal["newton"] = Field(description="newton: Newton's method, through the Hessian")
    learning_rate: Rate = Field(default=1, description="η, a damping factor (default 1: the full Newton step)")


# The optimizers of a topic that knows the Hessian (the function topic).
SecondOrderOptimizer = Annotated[Union[GradientDescent, Momentum, RMSprop, Adam, Newton],
                                 Field(discriminator="type")]


def is_nesterov(opt) -> bool:
    return isinstance(opt, Momentum) and opt.type == "nesterov"


def initial_state(opt, name: str) -> tuple:
    """The state one parameter starts with: (v,) for momentum, (s,) for RMSprop, (m, s) for Adam."""
    if isinstance(opt, Momentum):
        return (opt.velocity.get(name, 0),)
    if isinstance(opt, RMSprop):
        return (0,)
    if isinstance(opt, Adam):
        return (0, 0)
    return ()


def lookahead(opt, p: Number, state: tuple) -> Number:
    """Where Nesterov takes the gradient, p + m·v (p itself for every other optimizer)."""
    return simplify(p + opt.momentum * state[0]) if is_nesterov(opt) else p


@dataclass(frozen=True)
class Knobs:
    """Mistakes a grading variant can make in an update (both off for the right working)."""

    uphill: bool = False  # the gradient's sign flipped in the update (a learning-rate sign error)
    double_eta: bool = False  # momentum: v ← m·v + η·g followed by p ← p − η·v
    no_bias_correction: bool = False  # adam: m and s used without dividing by 1 − βᵗ
    times_hessian: bool = False  # newton: p ← p − η·H·∇f, multiplying by H instead of solving with it


RIGHT = Knobs()


def update(opt, t: int, p: Number, g: Number, state: tuple, knobs: Knobs = RIGHT) -> tuple[Number, tuple]:
    """One parameter's update at iteration ``t`` (from 1): the new value and the new state."""
    eta = -opt.learning_rate if knobs.uphill else opt.learning_rate
    if isinstance(opt, GradientDescent):
        return simplify(p - eta * g), ()
    if isinstance(opt, Momentum):
        (v,) = state
        if knobs.double_eta:
            v = simplify(opt.momentum * v + eta * g)
            return simplify(p - eta * v), (v,)
        v = simplify(opt.momentum * v - eta * g)
        return simplify(p + v), (v,)
    if isinstance(opt, RMSprop):
        (s,) = state
        s = simplify(opt.rho * s + (1 - opt.rho) * g * g)
        return p - eta * _scaled(opt, g, s, t), (s,)
    m, s = state
    m = simplify(opt.beta1 * m + (1 - opt.beta1) * g)
    s = simplify(opt.beta2 * s + (1 - opt.beta2) * g * g)
    if knobs.no_bias_correction:
        m_hat, s_hat = m, s
    else:
        m_hat = m / _correction(opt.beta1, t)
        s_hat = s / _correction(opt.beta2, t)
    return p - eta * _scaled(opt, m_hat, s_hat, t), (m, s)


def _correction(beta: Number, t: int) -> Number:
    """Adam's bias correction 1 − βᵗ: exact while βᵗ is short, else a float (0.9¹⁰⁰⁰⁰ has 10,000 digits)."""
    if isinstance(beta, Fraction) and t * max(beta.numerator.bit_length(), beta.denominator.bit_length()) > _EXACT_BITS:
        return 1 - float(beta) ** t
    return 1 - beta**t


_FLOAT_EDGE = 2**1000  # below a float's largest value (2**1024), with room for the step's products


def _scaled(opt, g: Number, s: Number, t: int) -> Number:
    """g / (√s + ε), RMSprop's and Adam's step; an exact s beyond a float's range (weights of 1e300)
    is taken as sign(g)·√(g²/s): ε is then below a float's last bit of √s, and g²/s is of a float's size."""
    if not isinstance(s, float) and s > _FLOAT_EDGE:
        root = math.sqrt(float(Fraction(g) ** 2 / s))
        return root if g >= 0 else -root
    return g / _root_plus_epsilon(opt, s, t)


def _root_plus_epsilon(opt, s: Number, t: int) -> float:
    """√s + ε, the divisor of RMSprop's and Adam's step; 0 (ε = 0 and no gradient yet) is refused."""
    divisor = math.sqrt(s) + opt.epsilon
    if divisor == 0:
        raise SolveError(f"is 0 and the gradient has been 0 up to iteration {t}: the step 0/(√0 + 0) is "
                         f"undefined; give ε > 0 (PyTorch's default is 1e-8)", field="optimizer.epsilon")
    return divisor


def newton_update(opt: Newton, p: list[Number], g: list[Number], hessian: list[list[Number]],
                  knobs: Knobs = RIGHT) -> tuple[list[Number], list[Number]] | None:
    """One Newton step for the whole vector p: (the new p, the step Δ), or None when H is singular.

    Δ solves H·Δ = ∇f exactly (rationals stay rational); a float Hessian counts as singular when
    a pivot is below 10⁻¹² of its largest entry.
    """
    eta = -opt.learning_rate if knobs.uphill else opt.learning_rate
    if knobs.times_hessian:
        delta = [simplify(sum((h * gj for h, gj in zip(row, g)), 0)) for row in hessian]
    else:
        scale = max((abs(float(v)) for row in hessian for v in row), default=0.0)
        delta = solve_square(hessian, g, tolerance=1e-12 * scale) if scale else None
        if delta is None:
            return None
    return [simplify(pi - eta * di) for pi, di in zip(p, delta)], delta


def newton_steps(opt: Newton, label: str, p: Expr, p_old: list[Number], p_new: list[Number],
                 g: list[Number], hessian: list[list[Number]], delta: list[Number]) -> list[Step]:
    """The worked steps of one Newton update: x − f′/f″ for one variable, H·Δ = ∇f then p − η·Δ for several."""
    eta = opt.learning_rate
    if len(p_old) == 1:
        f1, f2 = sym("f′"), sym("f″")
        step = f1 / f2 if eta == 1 else sym("eta") * f1 / f2
        shown = num(g[0]) / num(hessian[0][0])
        return [Step(f"{label}: Newton step", lhs=p, formula=p - step,
                     substitution=num(p_old[0]) - (shown if eta == 1 else dot(eta, shown)), value=p_new[0],
                     note="f′ and f″ at the current point")]
    d, grad = sym("Delta"), sym("∇f")
    return [
        Step(f"{label}: Newton step, solving H·Δ = ∇f", lhs=d, formula=sym("H⁻¹") * grad, value=delta,
             note="solved exactly (Gaussian elimination)" if not any(isinstance(v, float) for v in delta) else None),
        Step(f"{label}: update", lhs=p, formula=p - (d if eta == 1 else sym("eta") * d),
             substitution=num(p_old) - (num(delta) if eta == 1 else dot(eta, num(delta))), value=p_new),
    ]


def update_each(opt, t: int, p, g, state: tuple, knobs: Knobs = RIGHT) -> tuple:
    """``update`` cell by cell for a tensor parameter (numpy object arrays); ``state`` holds one
    array per state variable. Returns the new tensor and the new state arrays."""
    from .layers.tensor import np

    new = np.empty(p.shape, dtype=object)
    states = tuple(np.empty(p.shape, dtype=object) for _ in state)
    for at in np.ndindex(p.shape):
        new[at], cell = update(opt, t, p[at], g[at], tuple(s[at] for s in state), knobs)
        for array, value in zip(states, cell):
            array[at] = value
    return new, states


def initial_state_each(opt, p) -> tuple:
    """The starting state of a tensor parameter: zero arrays (momentum's velocity, Adam's moments)."""
    from .layers.tensor import np

    zeros = np.zeros(p.shape, dtype=object)
    return tuple(zeros.copy() for _ in initial_state(opt, ""))


def lookahead_each(opt, p, state: tuple):
    """Nesterov's look-ahead point p + m·v for a tensor parameter (p itself for the others)."""
    from .layers.tensor import simplified

    return simplified(p + opt.momentum * state[0]) if is_nesterov(opt) else p


def _shown(value):
    """A value as a step holds it: a tensor's nested lists."""
    return value.tolist() if hasattr(value, "tolist") else value


def update_steps(opt, t: int, label: str, name: str, p: Expr, sub: str, p_old: Number, p_new: Number,
                 g: Number, before: tuple, after: tuple) -> list[Step]:
    """The worked steps of one parameter's update: formula, substitution and value of each line.

    ``p`` is the parameter's symbol, ``sub`` the subscript of its state symbols (v₂, s_b). The
    values may be numbers or, for a tensor parameter, numpy arrays (every cell at once).
    """
    m_hat = s_hat = None
    if isinstance(opt, Adam):
        m_hat, s_hat = after[0] / (1 - opt.beta1**t), after[1] / (1 - opt.beta2**t)
    p_old, p_new, g, m_hat, s_hat = (_shown(v) for v in (p_old, p_new, g, m_hat, s_hat))
    before, after = tuple(_shown(v) for v in before), tuple(_shown(v) for v in after)
    steps: list[Step] = []
    eta, g_sym, g_val = sym("eta"), sym("g"), num(g)
    if isinstance(opt, GradientDescent):
        steps.append(Step(f"{label}: update {name}", lhs=p, formula=p - eta * g_sym,
                          substitution=num(p_old) - dot(opt.learning_rate, g_val), value=p_new))
    elif isinstance(opt, Momentum):
        v, m = sym(f"v_{sub}"), sym("m")
        (v_old,), (v_new,) = before, after
        steps.append(Step(f"{label}: velocity of {name}", lhs=v, formula=m * v - eta * g_sym,
                          substitution=dot(opt.momentum, v_old) - dot(opt.learning_rate, g_val), value=v_new))
        steps.append(Step(f"{label}: update {name}", lhs=p, formula=p + v,
                          substitution=num(p_old) + num(v_new), value=p_new))
    elif isinstance(opt, RMSprop):
        s, rho = sym(f"s_{sub}"), sym("rho")
        (s_old,), (s_new,) = before, after
        steps.append(Step(f"{label}: mean square of {name}'s gradient", lhs=s,
                          formula=rho * s + (1 - rho) * g_sym ** 2,
                          substitution=dot(opt.rho, s_old) + dot(1 - opt.rho, g_val ** 2), value=s_new))
        steps.append(Step(f"{label}: update {name}", lhs=p,
                          formula=p - eta * g_sym / (call("sqrt", s) + sym("epsilon")),
                          substitution=num(p_old) - dot(opt.learning_rate, g_val)
                          / (call("sqrt", num(s_new)) + num(opt.epsilon)), value=p_new))
    else:
        m, s = sym(f"m_{sub}"), sym(f"s_{sub}")
        b1, b2 = sym("beta_1"), sym("beta_2")
        (m_old, s_old), (m_new, s_new) = before, after
        steps += [
            Step(f"{label}: first moment of {name}", lhs=m, formula=b1 * m + (1 - b1) * g_sym,
                 substitution=dot(opt.beta1, m_old) + dot(1 - opt.beta1, g_val), value=m_new),
            Step(f"{label}: second moment of {name}", lhs=s, formula=b2 * s + (1 - b2) * g_sym ** 2,
                 substitution=dot(opt.beta2, s_old) + dot(1 - opt.beta2, g_val ** 2), value=s_new),
            Step(f"{label}: bias-corrected first moment of {name}", lhs=sym("m_hat"),
                 formula=m / (1 - b1 ** sym("t")), substitution=num(m_new) / (1 - num(opt.beta1) ** t),
                 value=m_hat),
            Step(f"{label}: bias-corrected second moment of {name}", lhs=sym("s_hat"),
                 formula=s / (1 - b2 ** sym("t")), substitution=num(s_new) / (1 - num(opt.beta2) ** t),
                 value=s_hat),
            Step(f"{label}: update {name}", lhs=p,
                 formula=p - eta * sym("m_hat") / (call("sqrt", sym("s_hat")) + sym("epsilon")),
                 substitution=num(p_old) - dot(opt.learning_rate, num(m_hat))
                 / (call("sqrt", num(s_hat)) + num(opt.epsilon)), value=p_new),
        ]
    return steps


TITLES = {"gd": "Gradient descent", "momentum": "Momentum", "nesterov": "Nesterov momentum", "rmsprop": "RMSprop",
          "adam": "Adam", "newton": "Newton's method"}  # an optimizer's name as a heading says it


def describe(opt, trained: tuple[str, ...] = ()) -> str:
    """The sentence that states the optimizer's convention and hyperparameters (an assumption)."""
    show = number_text
    if isinstance(opt, Newton):
        damping = "the full step" if opt.learning_rate == 1 else "a damped step"
        return (f"Newton's method: p ← p − η·H⁻¹∇f with H the Hessian at p, the step Δ = H⁻¹∇f solving "
                f"H·Δ = ∇f (for one variable x ← x − η·f′(x)/f″(x)), with η = {show(opt.learning_rate)} ({damping}).")
    if isinstance(opt, GradientDescent):
        return f"Gradient descent: p ← p − η·g with η = {show(opt.learning_rate)}."
    if isinstance(opt, Momentum) and opt.type == "momentum":
        return (f"Momentum in the textbook form v ← m·v − η·g, p ← p + v with η = {show(opt.learning_rate)}, "
                f"m = {show(opt.momentum)}, initial velocities {_velocities(opt, trained)}. PyTorch's form "
                f"v ← m·v + g, p ← p − η·v gives the same trajectory for a constant learning rate "
                f"(its v is the textbook v divided by −η).")
    if isinstance(opt, Momentum):
        return (f"Nesterov momentum in the look-ahead form: g is taken at p + m·v, then v ← m·v − η·g, "
                f"p ← p + v, with η = {show(opt.learning_rate)}, m = {show(opt.momentum)}, initial "
                f"velocities {_velocities(opt, trained)}. PyTorch and Keras store the look-ahead point p + m·v as "
                f"the parameter; their values are given as extra answers (…_lookahead).")
    if isinstance(opt, RMSprop):
        return (f"RMSprop: s ← ρ·s + (1 − ρ)·g², p ← p − η·g/(√s + ε), s starting at 0, with "
                f"η = {show(opt.learning_rate)}, ρ = {show(opt.rho)}, ε = {show(opt.epsilon)} "
                f"(defaults η = 0.01, ρ = 0.9, ε = 1e-8; PyTorch's default ρ (alpha) is 0.99).")
    return (f"Adam: m ← β₁·m + (1 − β₁)·g, s ← β₂·s + (1 − β₂)·g², m̂ = m/(1 − β₁ᵗ), ŝ = s/(1 − β₂ᵗ), "
            f"p ← p − η·m̂/(√ŝ + ε), moments starting at 0, with η = {show(opt.learning_rate)}, "
            f"β₁ = {show(opt.beta1)}, β₂ = {show(opt.beta2)}, ε = {show(opt.epsilon)} "
            f"(defaults 0.001, 0.9, 0.999, 1e-8, as PyTorch and Keras).")


def _velocities(opt: Momentum, trained: tuple[str, ...]) -> str:
    if not opt.velocity:
        return "0"
    given = ", ".join(f"v({k}) = {number_text(v)}" for k, v in opt.velocity.items())
    return given if set(opt.velocity) >= set(trained) else given + " (others 0)"


def takes_roots(opt) -> bool:
    """RMSprop and Adam divide by a square root: their values are floats."""
    return isinstance(opt, (RMSprop, Adam))
