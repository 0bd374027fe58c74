"""Optimizer steps on a single neuron: forward pass, chain-rule gradients and updates, per iteration.

The neuron computes z = Σ wⱼ·xⱼ + b and ŷ = f(z). Each iteration evaluates the loss on every
sample, takes ∂L/∂p = Σᵢ ∂L/∂ŷᵢ · ∂ŷᵢ/∂zᵢ · ∂zᵢ/∂p for every trained parameter p, and applies
the optimizer. Arithmetic is exact (fractions) until a transcendental function (sigmoid, tanh,
a logarithm or a square root) makes it a float; nothing is rounded inside the computation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Annotated, Iterator, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from .. import limits, optim
from ..compare import agree
from ..errors import SolveError
from ..expr import Expr, Raw, add, call, dot, num, partial, sym
from ..layers import activation
from ..numbers import Number, Real, bounded, outgrown, simplify
from ..solution import Answer, Given, Solution, Step, Table, Variant
from ..spec import FieldError, ProblemBase, Strict

TOPIC = "optimizer_steps"
SUMMARY = "gradient descent, momentum, Nesterov, RMSprop or Adam on one neuron, iteration by iteration"
EXAMPLE = "problems/seed/s08-momentum.yaml"
FIGURES = True  # two iterations or more: the parameters and the loss per iteration (run --plot)

SHOWN_ITERATIONS = 10  # iterations worked out step by step; the table lists every iteration
VARIANT_ITERATIONS = 3  # "did not update p in iteration t" variants are tried for the first few t


class Sample(Strict):
    """One training sample: inputs x (one per weight) and target y."""

    x: Annotated[list[Real], Field(min_length=1, max_length=limits.MAX_NEURON_INPUTS)] = Field(
        description="the inputs, one per weight")
    y: Real = Field(description="the target")


class Loss(Strict):
    """Squared error c·Σ(yᵢ − ŷᵢ)² with c = ½ (if ``half``) · 1/N (if ``reduction: mean``), or
    binary cross-entropy −c·Σ[yᵢ ln ŷᵢ + (1 − yᵢ) ln(1 − ŷᵢ)]."""

    type: Literal["squared_error", "binary_cross_entropy"] = Field(
        default="squared_error", description="squared_error or binary_cross_entropy (sigmoid only)")
    half: StrictBool = Field(default=False, description="squared error with a ½ in front, as the question writes it")
    reduction: Literal["mean", "sum"] = Field(default="mean", description="mean or sum over the samples")

    @model_validator(mode="after")
    def _half_is_squared_error(self) -> "Loss":
        if self.half and self.type != "squared_error":
            raise ValueError("half: true applies to squared_error only")
        return self


Activation = Literal["sigmoid", "tanh", "relu", "linear"]


class Spec(ProblemBase):
    """A neuron, its training samples, a loss, an optimizer and a number of iterations."""

    topic: Literal["optimizer_steps"] = Field(description="optimizer_steps: a neuron trained for a few iterations")
    weights: Annotated[list[Real], Field(min_length=1, max_length=limits.MAX_NEURON_INPUTS)] = Field(
        description="initial weights w1, w2, …")
    bias: Real = Field(default=0, description="the initial bias b")
    activation: Activation = Field(default="sigmoid", description="the neuron's activation f in ŷ = f(z)")
    samples: Annotated[list[Sample], Field(min_length=1, max_length=limits.MAX_SAMPLES)] = Field(
        description="the training samples, each {x: [...], y: ...}")
    loss: Loss = Field(default_factory=Loss, description="the loss, exactly as the question states it")
    trained: list[str] | None = Field(default=None, description="parameters trained, e.g. [w1, w2]; default all")
    optimizer: optim.Optimizer = Field(description="the update rule: gd, momentum, nesterov, rmsprop or adam, "
                                                   "with its hyperparameters")
    iterations: Annotated[StrictInt, Field(ge=1, le=limits.MAX_ITERATIONS)] = Field(
        description="how many updates (epochs over the samples)")
    ask: str | None = Field(
        default=None, description="the parameter asked for, e.g. w2; default the first trained one")

    @model_validator(mode="after")
    def _consistent(self) -> "Spec":
        names = _names(self)
        for i, sample in enumerate(self.samples):
            if len(sample.x) != len(self.weights):
                raise FieldError(f"samples[{i}].x", f"has {len(sample.x)} inputs but there are "
                                                    f"{len(self.weights)} weights")
        work = self.iterations * len(self.samples) * (len(self.weights) + 1)
        if work > limits.MAX_OPTIMIZER_WORK:
            raise FieldError("iterations", f"iterations × samples × parameters is {work:,}, more than "
                                           f"MAX_OPTIMIZER_WORK = {limits.MAX_OPTIMIZER_WORK:,} (nnsolve's cap)")
        for what, given in (("trained", self.trained or []),
                            ("optimizer.velocity", list(getattr(self.optimizer, "velocity", {})))):
            for name in given:
                if name not in names:
                    raise ValueError(f"{what}: unknown parameter {name!r}; the parameters are {', '.join(names)}")
        if self.trained is not None and (not self.trained or len(set(self.trained)) != len(self.trained)):
            raise ValueError("trained: list each parameter once, and at least one")
        if self.ask is not None and self.ask not in names:
            raise ValueError(f"ask: unknown parameter {self.ask!r}; the parameters are {', '.join(names)}")
        optim.check(self.optimizer)
        if self.loss.type == "binary_cross_entropy":
            if self.activation != "sigmoid":
                raise FieldError("activation", "binary cross-entropy needs ŷ between 0 and 1: use activation: sigmoid")
            if any(not 0 <= s.y <= 1 for s in self.samples):
                raise FieldError("samples", "binary cross-entropy needs every target y between 0 and 1")
        return self


def _names(spec: Spec) -> list[str]:
    return [f"w{j}" for j in range(1, len(spec.weights) + 1)] + ["b"]


# ---------------------------------------------------------------------------------------------
# The computation, as plain numbers (shared by the worked solution and the mistake variants)

@dataclass(frozen=True)
class _Setup:
    """What one run computes: the spec's problem plus the knobs a mistake variant turns."""

    spec: Spec
    half: bool
    trained: tuple[str, ...]
    skip: frozenset = frozenset()  # (parameter, iteration) pairs left un-updated
    knobs: optim.Knobs = optim.RIGHT  # update mistakes: the gradient's sign, η applied twice


@dataclass
class _Forward:
    z: Number
    y_hat: Number
    dL_dyhat: Number
    dyhat_dz: Number

    @property
    def dL_dz(self) -> Number:
        return simplify(self.dL_dyhat * self.dyhat_dz)


@dataclass
class _Iteration:
    t: int
    params: dict[str, Number]  # before the update
    point: dict[str, Number]  # where the gradient is taken (the look-ahead point for Nesterov)
    forwards: list[_Forward]
    loss: Number
    grads: dict[str, Number]
    state: dict[str, tuple]  # optimizer state per trained parameter after the update
    after: dict[str, Number] = field(default_factory=dict)
    outgrown: bool = False  # an exact value outgrew MAX_EXACT_DIGITS in this iteration: floats from here


def _activate(name: str, z: Number) -> tuple[Number, Number]:
    """ŷ = f(z) and the local derivative ∂ŷ/∂z, from the layer library (ReLU′(0) = 0, as PyTorch)."""
    return activation.apply(name, z), activation.slope(name, z)


def _loss_factor(spec: Spec, half: bool) -> Number:
    """c in L = c·Σ(…): ½ for the halved squared error, 1/N for the mean."""
    c = Fraction(1, len(spec.samples)) if spec.loss.reduction == "mean" else Fraction(1)
    return simplify(c / 2 if half else c)


def _forward(setup: _Setup, point: dict[str, Number]) -> tuple[list[_Forward], Number]:
    spec = setup.spec
    c = _loss_factor(spec, setup.half)
    weights = [point[f"w{j}"] for j in range(1, len(spec.weights) + 1)]
    out, total = [], 0
    for sample in spec.samples:
        z = simplify(sum((w * x for w, x in zip(weights, sample.x)), point["b"]))
        y_hat, local = _activate(spec.activation, z)
        y = sample.y
        if spec.loss.type == "squared_error":
            total += (y - y_hat) ** 2
            dL = c * 2 * (y_hat - y)
        else:
            if not 0 < y_hat < 1:
                raise SolveError(f"ŷ = {y_hat} saturates the sigmoid: the cross-entropy is infinite", field="samples")
            total += -(y * math.log(y_hat) + (1 - y) * math.log(1 - y_hat))
            dL = c * (-y / y_hat + (1 - y) / (1 - y_hat))
        out.append(_Forward(z, y_hat, simplify(dL), simplify(local)))
    return out, simplify(c * total)


def _run(setup: _Setup) -> list[_Iteration]:
    spec = setup.spec
    params: dict[str, Number] = {f"w{j}": w for j, w in enumerate(spec.weights, start=1)}
    params["b"] = spec.bias
    opt = spec.optimizer
    state = {name: optim.initial_state(opt, name) for name in setup.trained}
    history = []
    for t in range(1, spec.iterations + 1):
        try:
            history.append(_iterate(setup, t, params, state))
        except OverflowError:
            raise SolveError(f"iteration {t} overflows a float (beyond ±1.8e308, where PyTorch's float64 gives "
                             f"inf): weights, inputs and their products this large cannot be trained",
                             field="weights") from None
    return history


def _iterate(setup: _Setup, t: int, params: dict[str, Number], state: dict[str, tuple]) -> _Iteration:
    """Iteration t: updates ``params`` and ``state`` in place; OverflowError when a value leaves a float's range."""
    spec, opt = setup.spec, setup.spec.optimizer
    point = dict(params)
    for name in setup.trained:
        point[name] = optim.lookahead(opt, params[name], state[name])
    forwards, loss = _forward(setup, point)
    grads = {}
    for name in setup.trained:
        if name == "b":
            grads[name] = simplify(sum(f.dL_dz for f in forwards))
        else:
            j = int(name[1:]) - 1
            grads[name] = simplify(sum(f.dL_dz * s.x[j] for f, s in zip(forwards, spec.samples)))
    it = _Iteration(t, dict(params), point, forwards, loss, grads, {})
    for name in setup.trained:
        if (name, t) in setup.skip:
            it.state[name] = state[name]
            continue
        p, st = optim.update(opt, t, params[name], grads[name], state[name], setup.knobs)
        # exact fractions gain digits every iteration (10,000 gd steps: millions): floats past the budget
        params[name], state[name] = bounded(p), tuple(bounded(v) for v in st)
        it.outgrown = it.outgrown or outgrown(p) or any(outgrown(v) for v in st)
        it.state[name] = state[name]
    it.after = dict(params)
    if any(isinstance(v, float) and not math.isfinite(v) for v in (*it.after.values(), *(f.z for f in forwards))):
        raise OverflowError
    return it


def _default_setup(spec: Spec) -> _Setup:
    trained = tuple(spec.trained) if spec.trained is not None else tuple(_names(spec))
    return _Setup(spec, spec.loss.half, trained)


def _asked(spec: Spec, setup: _Setup) -> str:
    return spec.ask or setup.trained[0]


def _core_answers(setup: _Setup, history: list[_Iteration], ask: str) -> dict[str, Number]:
    answers = {ask: history[-1].after[ask]}
    for it in history:
        for name in setup.trained:
            answers[f"{name}_iter{it.t}"] = it.after[name]
    return answers


# ---------------------------------------------------------------------------------------------
# The worked solution

def _param_sym(name: str) -> Expr:
    return sym(f"w_{name[1:]}") if name.startswith("w") else sym("b")


def _param_tex(name: str) -> str:
    return f"w_{{{name[1:]}}}" if name.startswith("w") else "b"


def _param_text(name: str) -> str:
    return {"1": "w₁", "2": "w₂", "3": "w₃", "4": "w₄", "5": "w₅"}.get(name[1:], name) if name != "b" else "b"


def _forward_steps(setup: _Setup, it: _Iteration, label: str) -> list[Step]:
    spec = setup.spec
    steps: list[Step] = []
    n = len(spec.samples)
    y_s, yh, z_s = sym("y"), sym("y_hat"), sym("z")
    c = _loss_factor(spec, setup.half)
    for i, (sample, f) in enumerate(zip(spec.samples, it.forwards), start=1):
        tag = f", sample {i}" if n > 1 else ""
        names = [f"w{j}" for j in range(1, len(spec.weights) + 1)]
        formula = add(*[_param_sym(w) * sym(f"x_{w[1:]}") for w in names], sym("b"))
        substitution = add(*[dot(it.point[w], x) for w, x in zip(names, sample.x)], num(it.point["b"]))
        steps.append(Step(f"{label}: weighted input{tag}", lhs=z_s, formula=formula,
                          substitution=substitution, value=f.z,
                          note="at the look-ahead point p + m·v (Nesterov)" if it.point != it.params else None))
        fn = {"sigmoid": "sigma", "tanh": "tanh", "relu": "relu"}.get(spec.activation)
        if fn is not None:
            steps.append(Step(f"{label}: output{tag}", lhs=yh, formula=call(fn, z_s),
                              substitution=call(fn, num(f.z)), value=f.y_hat))
    if spec.loss.type == "squared_error":
        terms = [(num(s.y) - num(f.y_hat)) ** 2 for s, f in zip(spec.samples, it.forwards)]
        formula = (c * (y_s - yh) ** 2 if c != 1 else (y_s - yh) ** 2) if n == 1 else \
            Raw(f"{_c_text(c)}Σᵢ (yᵢ − ŷᵢ)²", rf"{_c_tex(c)}\sum_i (y_i - \hat{{y}}_i)^2")
    else:
        terms = [-(num(s.y) * call("ln", num(f.y_hat)) + (1 - num(s.y)) * call("ln", 1 - num(f.y_hat)))
                 for s, f in zip(spec.samples, it.forwards)]
        formula = Raw(f"−{_c_text(c)}Σᵢ [yᵢ ln ŷᵢ + (1 − yᵢ) ln(1 − ŷᵢ)]",
                      rf"-{_c_tex(c)}\sum_i \left[y_i \ln \hat{{y}}_i + (1 - y_i) \ln(1 - \hat{{y}}_i)\right]")
    body = add(*terms)
    steps.append(Step(f"{label}: loss", lhs=sym("L"), formula=formula,
                      substitution=body if c == 1 else num(c) * body, value=it.loss))
    return steps


def _c_text(c: Number) -> str:
    return "" if c == 1 else ("½" if c == Fraction(1, 2) else f"({c})")


def _c_tex(c: Number) -> str:
    c = Fraction(c)
    return "" if c == 1 else rf"\frac{{{c.numerator}}}{{{c.denominator}}}"


def _gradient_steps(setup: _Setup, it: _Iteration, label: str) -> list[Step]:
    spec = setup.spec
    n = len(spec.samples)
    c = _loss_factor(spec, setup.half)
    steps: list[Step] = []
    dL_dyhat = partial("L", "y_hat")
    dyhat_dz = partial("y_hat", "z")
    for i, (sample, f) in enumerate(zip(spec.samples, it.forwards), start=1):
        tag = f", sample {i}" if n > 1 else ""
        y, yh = num(sample.y), num(f.y_hat)
        if spec.loss.type == "squared_error":
            k = simplify(2 * c)
            formula = (sym("y_hat") - sym("y")) if k == 1 else mul_k(k, sym("y_hat") - sym("y"))
            substitution = (yh - y) if k == 1 else mul_k(k, yh - y)
        else:
            formula = mul_k(c, -sym("y") / sym("y_hat") + (1 - sym("y")) / (1 - sym("y_hat")))
            substitution = mul_k(c, -y / yh + (1 - y) / (1 - yh))
        steps.append(Step(f"{label}: ∂L/∂ŷ{tag}", lhs=dL_dyhat, formula=formula,
                          substitution=substitution, value=f.dL_dyhat))
        if spec.activation == "sigmoid":
            local = (sym("y_hat") * (1 - sym("y_hat")), dot(yh, 1 - yh), "σ′(z) = σ(z)(1 − σ(z))")
        elif spec.activation == "tanh":
            local = (1 - sym("y_hat") ** 2, 1 - yh ** 2, "tanh′(z) = 1 − tanh²(z)")
        elif spec.activation == "relu":
            local = (None, None, f"ReLU′(z) = {'1 because z > 0' if f.z > 0 else '0 because z ≤ 0'}")
        else:
            local = (None, None, "linear activation: ŷ = z")
        steps.append(Step(f"{label}: ∂ŷ/∂z{tag}", lhs=dyhat_dz, formula=local[0], substitution=local[1],
                          value=f.dyhat_dz, note=local[2]))
    for name in setup.trained:
        p_tex, p_text = _param_tex(name), _param_text(name)
        dz_dp = partial("z", _param_sym(name))
        if name == "b":
            factors = [1] * n
        else:
            j = int(name[1:]) - 1
            factors = [s.x[j] for s in spec.samples]
        products = [dot(num(f.dL_dyhat), num(f.dyhat_dz), num(x)) for f, x in zip(it.forwards, factors)]
        if n == 1:
            formula = dot(dL_dyhat, dyhat_dz, dz_dp)
        else:
            formula = Raw(f"Σᵢ ∂L/∂ŷᵢ · ∂ŷᵢ/∂zᵢ · ∂zᵢ/∂{p_text}",
                          rf"\sum_i \frac{{\partial L}}{{\partial \hat{{y}}_i}} \cdot \frac{{\partial \hat{{y}}_i}}"
                          rf"{{\partial z_i}} \cdot \frac{{\partial z_i}}{{\partial {p_tex}}}")
        steps.append(Step(f"{label}: gradient for {name}", lhs=partial("L", _param_sym(name)),
                          formula=formula, substitution=add(*products), value=it.grads[name],
                          note=_dz_note(name, p_text, factors)))
    return steps


def _dz_note(name: str, p_text: str, factors: list) -> str:
    if name == "b":
        return f"∂z/∂{p_text} = 1"
    x_text = "x" + "".join("₀₁₂₃₄₅₆₇₈₉"[int(d)] for d in name[1:])
    if len(factors) == 1:
        return f"∂z/∂{p_text} = {x_text} = {_show(factors[0])}"
    return f"∂zᵢ/∂{p_text} = {x_text} of sample i"


def mul_k(k: Number, e: Expr) -> Expr:
    return dot(num(k), e)


def _update_steps(setup: _Setup, it: _Iteration, before: dict[str, tuple], label: str) -> list[Step]:
    steps: list[Step] = []
    for name in setup.trained:
        steps += optim.update_steps(setup.spec.optimizer, it.t, label, name, _param_sym(name),
                                    name[1:] if name != "b" else "b", it.params[name], it.after[name],
                                    it.grads[name], before[name], it.state[name])
    return steps


def _show(x: Number) -> str:
    from ..numbers import number_text

    return number_text(x)


def _table(setup: _Setup, history: list[_Iteration]) -> Table:
    single = len(setup.spec.samples) == 1
    columns = ["Iteration"] + (["z", "ŷ"] if single else []) + ["L"]
    for name in setup.trained:
        columns.append(f"∂L/∂{name}")
        if isinstance(setup.spec.optimizer, optim.Momentum):
            columns.append(f"v ({name})")
        columns.append(f"{name} after")
    rows = []
    for it in history:
        row: list = [it.t] + ([it.forwards[0].z, it.forwards[0].y_hat] if single else []) + [it.loss]
        for name in setup.trained:
            row.append(it.grads[name])
            if isinstance(setup.spec.optimizer, optim.Momentum):
                row.append(it.state[name][0])
            row.append(it.after[name])
        rows.append(tuple(row))
    return Table("Iteration by iteration", tuple(columns), tuple(rows))


def _assumptions(spec: Spec, setup: _Setup) -> list[str]:
    opt = spec.optimizer
    fixed = [n for n in _names(spec) if n not in setup.trained]
    out = [
        f"Trained: {', '.join(setup.trained)}" + (f"; fixed: {', '.join(fixed)}." if fixed else "."),
        f"Loss: {_loss_text(spec, setup.half)}, as the question states it.",
    ]
    out.append(optim.describe(opt, setup.trained))
    if spec.activation in ("sigmoid", "tanh") or spec.loss.type != "squared_error" or optim.takes_roots(opt):
        out.append("The sigmoid, tanh, logarithm and square root are transcendental: those values are floats, "
                   "carried at full precision (never rounded between steps) and shown to 5 significant figures.")
    if spec.activation == "relu":
        out.append("ReLU′(0) is taken as 0, as PyTorch does.")
    if spec.iterations > SHOWN_ITERATIONS:
        out.append(f"Iterations 1–{SHOWN_ITERATIONS} are worked step by step; the table lists all {spec.iterations}.")
    return out


def _outgrown_note(history: list[_Iteration]) -> list[str]:
    first = next((it.t for it in history if it.outgrown), None)
    if first is None:
        return []
    return [f"Carried as floats from iteration {first}: the exact fractions would have grown past "
            f"{limits.MAX_EXACT_DIGITS:,} digits (nnsolve's cap MAX_EXACT_DIGITS)."]


def _loss_text(spec: Spec, half: bool) -> str:
    n = len(spec.samples)
    mean = spec.loss.reduction == "mean"
    if spec.loss.type == "binary_cross_entropy":
        return "binary cross-entropy" + (" averaged over the samples" if mean and n > 1 else "")
    if n == 1:
        return "½(y − ŷ)²" if half else "(y − ŷ)²"
    scale = {(True, True): "1/(2N)·", (True, False): "½·", (False, True): "1/N·", (False, False): ""}[(half, mean)]
    return f"{scale}Σ(yᵢ − ŷᵢ)²"


def solve(spec: Spec) -> Solution:
    setup = _default_setup(spec)
    history = _run(setup)
    ask = _asked(spec, setup)
    blocks: list = []
    before = {name: optim.initial_state(spec.optimizer, name) for name in setup.trained}
    for it in history:
        if it.t <= SHOWN_ITERATIONS:
            label = f"Iteration {it.t}"
            blocks += _forward_steps(setup, it, label)
            blocks += _gradient_steps(setup, it, label)
            blocks += _update_steps(setup, it, before, label)
        before = dict(it.state)
    blocks.append(_table(setup, history))

    n = spec.iterations
    answers = {ask: Answer(history[-1].after[ask], f"{ask} after {n} iteration{'s' if n > 1 else ''}")}
    for it in history:
        for name in setup.trained:
            answers[f"{name}_iter{it.t}"] = Answer(it.after[name], f"{name} after iteration {it.t}")

    assumptions = _assumptions(spec, setup) + _outgrown_note(history)
    readings = []
    if optim.is_nesterov(spec.optimizer):
        for name in setup.trained:
            look = simplify(history[-1].after[name] + spec.optimizer.momentum * history[-1].state[name][0])
            answers[f"{name}_lookahead"] = Answer(look, f"{name} + m·v after {n} iterations",
                                                  reading="PyTorch/Keras Nesterov (stores the look-ahead point)")
    if spec.loss.type == "squared_error":
        other = replace(setup, half=not setup.half)
        value = _run(other)[-1].after[ask]
        if setup.half:
            reading, text = "loss without ½", f"without the ½ the question writes in the loss, {ask} would be {_show(value)}"
            answers[f"{ask}_no_half"] = Answer(value, f"{ask} after {n} iterations", reading=reading)
        else:
            reading = "½(ŷ − y)² in the loss"
            text = (f"the question states the loss without ½; with the ½ many courses write, "
                    f"{_loss_text(spec, True)}, {ask} would be {_show(value)}")
            answers[f"{ask}_half_loss"] = Answer(value, f"{ask} after {n} iterations", reading=reading)
        readings.append(text)
    if "b" not in setup.trained:
        other = replace(setup, trained=setup.trained + ("b",))
        value = _run(other)[-1].after[ask]
        answers[f"{ask}_bias_trained"] = Answer(value, f"{ask} after {n} iterations",
                                                reading="bias b trained too")
        readings.append(f"if the bias b were trained too (its velocity or moments starting at 0), "
                        f"{ask} would be {_show(value)}")
    for text in readings:
        assumptions.append("Another reading: " + text + ".")
    return Solution(topic=TOPIC, answers=answers, primary=ask, blocks=tuple(blocks),
                    assumptions=tuple(assumptions), figures=_figures(spec, setup, history))


def _figures(spec: Spec, setup: _Setup, history: list[_Iteration]) -> tuple:
    """Two iterations or more: each trained parameter and the loss, iteration by iteration."""
    from ..plot import iterations_figure

    if len(history) < 2:
        return ()
    start = history[0].params
    parameters = {_param_text(name): [start[name]] + [it.after[name] for it in history] for name in setup.trained}
    return (iterations_figure(f"{optim.TITLES[spec.optimizer.type]}: the trained parameters and the loss", parameters,
                              "L", [it.loss for it in history], "The loss L in each iteration (before its update)",
                              loss_start=1),)


def given(spec: Spec) -> list:
    """The neuron's start values, its samples, the loss and the optimizer's settings."""
    from ..given import optimizer, subscripted

    n = len(spec.weights)
    names = "w₁" if n == 1 else "w₁, w₂" if n == 2 else f"w₁…w{_subscripts(n)}"
    out: list = [Given(f"Initial weight{'s' if n > 1 else ''} {names}", spec.weights),
                 Given("Initial bias b", spec.bias), Given("Activation f", spec.activation)]
    inputs = [f"x{_subscripts(j + 1)}" for j in range(len(spec.weights))]
    out.append(Table("Training samples", ("#", *inputs, "y"),
                     tuple((n, *s.x, s.y) for n, s in enumerate(spec.samples, start=1))))
    out.append(Given("Loss", _loss_text(spec, spec.loss.half)))
    out += optimizer(spec.optimizer)
    if spec.trained is not None:
        out.append(Given("Trained parameters", ", ".join(map(subscripted, spec.trained))))
    out.append(Given("Iterations", spec.iterations))
    return out


def _subscripts(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    """Other readings of the loss and the trained set, skipped updates, and sign errors, combined."""
    base = _default_setup(spec)
    ask = _asked(spec, base)
    opt = spec.optimizer
    halves = [(base.half, None)]
    if spec.loss.type == "squared_error":
        halves.append((not base.half, "used ½(ŷ − y)² although the question states the loss without ½" if not base.half
                       else "left out the ½ the question writes in the loss"))
    biases = [(base.trained, None)]
    if "b" not in base.trained:
        biases.append((base.trained + ("b",), "also updated the bias b, which the question keeps fixed"))
    elif len(base.trained) > 1:
        biases.append((tuple(n for n in base.trained if n != "b"), "did not update the bias b"))
    skips: list[tuple[frozenset, str | None]] = [(frozenset(), None)]
    for t in range(1, min(spec.iterations, VARIANT_ITERATIONS) + 1):
        for name in base.trained:
            skips.append((frozenset({(name, t)}), f"did not update {name} in iteration {t}"))
    candidates: list[tuple[_Setup, list[str]]] = []
    for half, half_text in halves:
        for trained, bias_text in biases:
            for skip, skip_text in skips:
                parts = [p for p in (half_text, bias_text, skip_text) if p]
                if 0 < len(parts) <= 2 and ask in trained:  # three mistakes at once explain anything
                    candidates.append((replace(base, half=half, trained=trained, skip=skip), parts))
    if isinstance(opt, optim.Momentum):
        candidates.append((replace(base, knobs=optim.Knobs(uphill=True)),
                           ["used v ← m·v + η·g with p ← p + v (the gradient added to the velocity), "
                            "so every step goes uphill"]))
        candidates.append((replace(base, knobs=optim.Knobs(double_eta=True)),
                           ["used v ← m·v + η·g then p ← p − η·v, applying the learning rate twice"]))
    else:
        candidates.append((replace(base, knobs=optim.Knobs(uphill=True)),
                           ["learning rate sign error: moved along +η·g instead of −η·g"]))
    # Simplest explanations first; a combination that gives the same asked value as a simpler one
    # (or as the correct working) explains nothing more.
    right_history = _run(base)
    right = _core_answers(base, right_history, ask)
    seen = {float(right[ask])}
    for setup, parts in sorted(candidates, key=lambda c: len(c[1])):
        try:
            history = _run(setup)
        except (SolveError, OverflowError, ZeroDivisionError, ValueError):
            continue
        answers = _core_answers(setup, history, ask)
        if float(answers[ask]) in seen:
            continue
        if all(agree(right[n], v, spec.tolerance) for n, v in answers.items() if n in right):
            continue  # within the tolerance of the right answer everywhere: not a detectable mistake
        seen.add(float(answers[ask]))
        yield Variant(", and ".join(parts), answers)
