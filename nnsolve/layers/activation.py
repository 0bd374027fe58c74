"""Activation functions: each one's value beside its derivative, the formulas a step shows, and
the ``activation`` layer (also fused into a dense or convolution layer by its ``activation:``).

Piecewise-linear functions stay exact (ReLU of a Fraction is that Fraction or 0); sigmoid,
tanh, ELU's negative side, GELU and softmax go through exp or erf and are floats. At the
kink the derivative is PyTorch's: ReLU′(0) = 0, Leaky ReLU′(0) = PReLU′(0) = α, ELU′(0) = α.
Softmax works along the features (a vector) or the channels (an image), as ``nn.Softmax(dim=1)``.
"""

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, ClassVar, Literal

from pydantic import Field, model_validator

from ..expr import Expr, Raw, add, call, dot, index, num, partial, sym
from ..numbers import Number, Real, number_text, sigmoid, simplify, tanh
from ..solution import Step
from . import tensor as T
from .tensor import np
from .base import Array, Context, Count, Grads, Layer, Shape, Site, Trace, cell, value_steps

Name = Literal["relu", "leaky_relu", "prelu", "elu", "sigmoid", "tanh", "softmax", "gelu", "linear", "relu6",
               "hardswish"]

_PIECEWISE = Raw("x if x > 0, else αx", r"x \text{ if } x > 0 \text{, else } \alpha x")


def _gelu(x: Number) -> float:
    return 0.5 * float(x) * (1 + math.erf(float(x) / math.sqrt(2)))


def _gelu_slope(x: Number) -> float:
    x = float(x)
    return 0.5 * (1 + math.erf(x / math.sqrt(2))) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


@dataclass(frozen=True)
class Function:
    """One activation function: f, f′, and how a step writes them.

    ``value(x, α)`` and ``slope(x, y, α)`` (f′ at the input x, whose output is y) work on one
    exact number; ``fn`` is the name a formula calls (``LeakyReLU(x)``); ``definition`` f(x);
    ``derivative`` f′ written with x and y = f(x).
    """

    title: str
    fn: str
    value: Callable[[Number, Number | None], Number]
    slope: Callable[[Number, Number, Number | None], Number]
    definition: Expr | None
    derivative: Expr | None
    default_alpha: Number | None = None


_x, _y = sym("x"), sym("y")

FUNCTIONS: dict[str, Function] = {
    "relu": Function("ReLU", "ReLU", lambda x, a: max(x, 0), lambda x, y, a: 1 if x > 0 else 0,
                     call("max", 0, _x), Raw("1 if x > 0, else 0", r"1 \text{ if } x > 0 \text{, else } 0")),
    "leaky_relu": Function("Leaky ReLU", "LeakyReLU", lambda x, a: x if x > 0 else simplify(a * x),
                           lambda x, y, a: 1 if x > 0 else a, _PIECEWISE,
                           Raw("1 if x > 0, else α", r"1 \text{ if } x > 0 \text{, else } \alpha"), Fraction(1, 100)),
    "prelu": Function("PReLU", "PReLU", lambda x, a: x if x > 0 else simplify(a * x),
                      lambda x, y, a: 1 if x > 0 else a, _PIECEWISE,
                      Raw("1 if x > 0, else α", r"1 \text{ if } x > 0 \text{, else } \alpha"), Fraction(1, 4)),
    "elu": Function("ELU", "ELU", lambda x, a: x if x > 0 else a * math.expm1(x),
                    lambda x, y, a: 1 if x > 0 else a * math.exp(x),
                    Raw("x if x > 0, else α(eˣ − 1)", r"x \text{ if } x > 0 \text{, else } \alpha (e^{x} - 1)"),
                    Raw("1 if x > 0, else αeˣ", r"1 \text{ if } x > 0 \text{, else } \alpha e^{x}"), 1),
    "sigmoid": Function("sigmoid", "sigmoid", lambda x, a: sigmoid(x), lambda x, y, a: y * (1 - y),
                        1 / (1 + call("exp", -_x)), _y * (1 - _y)),
    "tanh": Function("tanh", "tanh", lambda x, a: tanh(x), lambda x, y, a: 1 - y * y,
                     call("tanh", _x), 1 - _y ** 2),
    "gelu": Function("GELU", "GELU", lambda x, a: _gelu(x), lambda x, y, a: _gelu_slope(x),
                     Raw("x·Φ(x) = ½x(1 + erf(x/√2))",
                         r"x \, \Phi(x) = \tfrac{1}{2} x \left(1 + \operatorname{erf}(x / \sqrt{2})\right)"),
                     Raw("Φ(x) + x·φ(x)", r"\Phi(x) + x \, \varphi(x)")),
    "linear": Function("linear", "linear", lambda x, a: x, lambda x, y, a: 1, _x, num(1)),
    # ReLU6 and hard swish are piecewise (exact); their slopes at the joins are PyTorch's
    # (hardtanh's: 0 at 0 and 6; hardswish_backward: 0 at −3, x/3 + 1/2 on −3 < x < 3, 1 at 3).
    "relu6": Function("ReLU6", "ReLU6", lambda x, a: min(max(x, 0), 6), lambda x, y, a: 1 if 0 < x < 6 else 0,
                      call("min", call("max", 0, _x), 6),
                      Raw("1 if 0 < x < 6, else 0", r"1 \text{ if } 0 < x < 6 \text{, else } 0")),
    "hardswish": Function("hard swish", "hardswish", lambda x, a: simplify(x * min(max(x + 3, 0), 6) / Fraction(6)),
                          lambda x, y, a: 0 if x <= -3 else simplify(x / Fraction(3) + Fraction(1, 2)) if x < 3 else 1,
                          _x * call("ReLU6", _x + 3) / 6,
                          Raw("0 if x ≤ −3, x/3 + 1/2 if x < 3, else 1",
                              r"0 \text{ if } x \le -3 \text{, } \tfrac{x}{3} + \tfrac{1}{2} \text{ if } x < 3 "
                              r"\text{, else } 1")),
    "softmax": Function("softmax", "softmax", lambda x, a: x, lambda x, y, a: 1,
                        Raw("exp(xₖ) / Σⱼ exp(xⱼ)", r"\frac{e^{x_k}}{\sum_j e^{x_j}}"), None),
}

HAS_ALPHA = ("leaky_relu", "prelu", "elu")


def alpha_of(function: str, alpha: Number | None) -> Number | None:
    """α as given, else PyTorch's default (0.01 Leaky ReLU, 0.25 PReLU, 1 ELU); None without one."""
    if function not in HAS_ALPHA:
        return None
    return alpha if alpha is not None else FUNCTIONS[function].default_alpha


def apply(function: str, x: Number, alpha: Number | None = None) -> Number:
    """f(x) for one number (softmax is not elementwise: see ``forward``)."""
    return FUNCTIONS[function].value(x, alpha_of(function, alpha))


def slope(function: str, x: Number, alpha: Number | None = None) -> Number:
    """f′(x) for one number."""
    a = alpha_of(function, alpha)
    return FUNCTIONS[function].slope(x, FUNCTIONS[function].value(x, a), a)


def definition_step(function: str, alpha: Number | None, prefix: str = "") -> Step:
    """The definition f(x) = …, with α when the function has one."""
    f = FUNCTIONS[function]
    a = alpha_of(function, alpha)
    return Step(f"{prefix}{f.title} definition" + (f" (α = {number_text(a)})" if a is not None else ""),
                lhs=call(f.fn, _x), formula=f.definition)


def substitution(function: str, x: Number, alpha: Number | None) -> Expr | None:
    """f(x) with the number x written in, where writing it out shows something."""
    a = alpha_of(function, alpha)
    if function in ("leaky_relu", "prelu") and x < 0:
        return dot(num(a), num(x))
    if function == "relu":
        return call("max", 0, num(x))
    if function == "relu6":
        return call("min", call("max", 0, num(x)), 6)
    if function == "hardswish":
        return num(x) * call("ReLU6", num(x) + 3) / 6
    if function == "elu" and x < 0:
        return dot(num(a), call("exp", num(x)) - 1)
    if function == "sigmoid":
        return 1 / (1 + call("exp", -num(x)))
    return None


def _slope_substitution(function: str, x: Number, y: Number, alpha: Number | None) -> Expr | None:
    if function == "sigmoid":
        return dot(num(y), 1 - num(y))
    if function == "tanh":
        return 1 - num(y) ** 2
    if function == "elu" and not x > 0:
        return dot(num(alpha_of(function, alpha)), call("exp", num(x)))
    return None


# ---------------------------------------------------------------------------------------------
# On tensors

def _softmax(x: Array) -> Array:
    f = T.as_float(x)
    e = np.exp(f - f.max(axis=1, keepdims=True))
    return T.from_float(e / e.sum(axis=1, keepdims=True))


def values_of(function: str, x: Array, alpha: Number | None) -> Array:
    if function == "softmax":
        return _softmax(x)
    if function == "linear":
        return x
    a = alpha_of(function, alpha)
    f = FUNCTIONS[function].value
    return T.elementwise(lambda v: f(v, a), x)


def slopes_of(function: str, x: Array, y: Array, alpha: Number | None, at_output: bool = False) -> Array:
    """f′ cell by cell (not for softmax); ``at_output`` is the mistake of taking f′ at y = f(x)."""
    a = alpha_of(function, alpha)
    f = FUNCTIONS[function]
    if at_output:
        return T.elementwise(lambda v: f.slope(v, f.value(v, a), a), y)
    return T.elementwise(lambda v, w: f.slope(v, w, a), x, y)


def activation_field():
    """The ``activation:`` field of a dense or convolution layer (declared after its own fields)."""
    return Field(default=None, description="an activation applied to the layer's output")


def alpha_field():
    return Field(default=None, description="α of a leaky_relu, prelu (its initial value) or elu activation "
                                           "(PyTorch's default when absent)")


class Activated:
    """What a layer with ``activation`` and ``alpha`` fields (Keras' ``activation=``) gains."""

    def _alpha_applies(self) -> None:
        """ValueError for an α its activation does not take (call from the layer's validator)."""
        if self.alpha is not None and self.activation not in HAS_ALPHA:
            raise ValueError(f"'alpha' applies to leaky_relu, prelu or elu, not to {self.activation}")

    def fused(self) -> "Activation | None":
        """The activation layer this layer's ``activation:`` stands for (None for none or linear)."""
        if self.activation in (None, "linear"):
            return None
        return Activation(type="activation", function=self.activation, alpha=self.alpha)


class Activation(Layer):
    """An activation function applied to every value (softmax: along the features or channels)."""

    type: Literal["activation"] = Field(description="activation: an activation function as its own layer")
    function: Name = Field(description="relu, leaky_relu, prelu, elu, sigmoid, tanh, softmax, gelu, linear, relu6 "
                                       "or hardswish")
    alpha: Real | None = Field(default=None, description="α of leaky_relu, prelu (its initial value, learned) "
                                                         "or elu; PyTorch's default when absent")

    MISTAKES: ClassVar[dict[str, str]] = {
        "no_derivative": "left out the activation's derivative in the backward pass",
        "derivative_at_output": "took the activation's derivative at its output a instead of its input z "
                                "(σ′(a) for σ′(z))",
    }

    @model_validator(mode="after")
    def _alpha_applies(self) -> "Activation":
        if self.alpha is not None and self.function not in HAS_ALPHA:
            raise ValueError(f"'alpha' applies to leaky_relu, prelu or elu, not to {self.function}")
        return self

    @property
    def title(self) -> str:
        return FUNCTIONS[self.function].title

    @property
    def kind(self) -> str:
        return self.function

    def count(self, shape: Shape, *, site: Site) -> Count:
        if self.function != "prelu":
            return Count(shape)
        return Count(shape, params=1, steps=(Step(site.title(self, "parameters"), lhs=sym("params"), value=1,
                                                  note="PReLU learns one α (PyTorch's nn.PReLU())"),))

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        if self.function != "prelu":
            return {}
        return {"alpha": T.tensor([alpha_of("prelu", self.alpha)])}

    def _alpha(self, params: dict[str, Array]) -> Number | None:
        return params["alpha"][0] if "alpha" in params else alpha_of(self.function, self.alpha)

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        return Trace(x, params, values_of(self.function, x, self._alpha(params)))

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        if "no_derivative" in ctx.mistakes:
            return Grads(g, {"alpha": T.tensor([0])} if "alpha" in trace.params else {})
        if self.function == "softmax":
            p = trace.y
            return Grads(T.simplified(p * (g - T.exact_sum(g * p, axis=1)[:, None, ...])))
        slopes = slopes_of(self.function, trace.x, trace.y, self._alpha(trace.params),
                           at_output="derivative_at_output" in ctx.mistakes)
        grads = {}
        if "alpha" in trace.params:  # ∂y/∂α = x where x ≤ 0
            negative = T.elementwise(lambda v: 0 if v > 0 else v, trace.x)
            grads["alpha"] = T.tensor([T.exact_sum(negative * g)[()]])
        return Grads(T.simplified(g * slopes), grads)

    # --- worked steps
    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        alpha = self._alpha(trace.params)
        if self.function == "linear":
            return []
        steps = [definition_step(self.function, alpha, site.prefix)]
        x0 = trace.x.reshape(trace.x.shape[0], -1)[0]
        cells = range(len(x0)) if trace.x[0].size <= FULL_CELLS else [_example_cell(x0)]
        shape = trace.x.shape[1:]
        y0 = trace.y.reshape(trace.y.shape[0], -1)[0]
        for k in cells:
            title = site.title(self, "one value" if len(cells) == 1 else f"value {k + 1}")
            if self.function == "softmax":
                steps.append(self._softmax_cell(trace, title, site, k))
                continue
            where, v = cell(shape, k), x0[k]
            fn = FUNCTIONS[self.function].fn
            steps.append(Step(title, lhs=index(site.y, *where), formula=call(fn, index(site.x, *where)),
                              substitution=substitution(self.function, v, alpha) or call(fn, num(v)), value=y0[k]))
        steps += value_steps(site.title(self, "output"), trace.y, ctx, lhs=site.y)
        return steps

    def _softmax_cell(self, trace: Trace, title: str, site: Site, k: int) -> Step:
        """Cell k of sample 1: its exp over the sum of the exps along the features (or channels)."""
        shape = trace.x.shape[1:]
        at = np.unravel_index(k, shape)
        column = trace.x[0][(slice(None), *at[1:])]
        terms = [call("exp", num(v)) for v in column]
        return Step(title, lhs=index(site.y, *cell(shape, k)), substitution=terms[at[0]] / add(*terms),
                    value=trace.y[0][at])

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        f = FUNCTIONS[self.function]
        delta = partial("L", site.x)
        steps = []
        if self.function == "softmax":
            steps.append(Step(site.title(self, "gradient through softmax"), lhs=delta,
                              formula=Raw("y ⊙ (∂L/∂y − Σₖ yₖ·∂L/∂yₖ)",
                                          r"y \odot \left(\frac{\partial L}{\partial y} - \sum_k y_k "
                                          r"\frac{\partial L}{\partial y_k}\right)")))
        elif self.function != "linear":
            alpha = self._alpha(trace.params)
            steps.append(Step(site.title(self, f"derivative of {f.title}"), lhs=call(f.fn + "′", _x),
                              formula=f.derivative, note="with y = f(x)" if self.function in ("sigmoid", "tanh") else None))
            x0, y0, g0, d0 = (a.reshape(a.shape[0], -1)[0] for a in (trace.x, trace.y, g, grads.x))
            cells = range(len(x0)) if trace.x[0].size <= FULL_CELLS else [_example_cell(x0)]
            shape = trace.x.shape[1:]
            for k in cells:
                where = cell(shape, k)
                local = _slope_substitution(self.function, x0[k], y0[k], alpha)
                factor = num(slope(self.function, x0[k], alpha)) if local is None else local
                steps.append(Step(site.title(self, "δ of one value" if len(cells) == 1 else f"δ of value {k + 1}"),
                                  lhs=partial("L", index(site.x, *where)),
                                  formula=dot(partial("L", index(site.y, *where)), call(f.fn + "′", index(site.x, *where))),
                                  substitution=dot(num(g0[k]), factor), value=d0[k]))
        steps += value_steps(site.title(self, "δ, the gradient of its input"), grads.x, ctx, lhs=delta)
        if "alpha" in grads.params:
            steps.append(Step(site.title(self, "gradient of α"), lhs=partial("L", site.symbol("alpha")),
                              formula=Raw("Σ ∂L/∂y · x over x ≤ 0",
                                          r"\sum_{x \le 0} \frac{\partial L}{\partial y} x"),
                              value=grads.params["alpha"][0]))
        return steps


FULL_CELLS = 4  # a tensor with at most this many cells per sample has every cell worked; else one


def _example_cell(flat: Array) -> int:
    """The cell a step works out: the first negative one (where an activation shows its kink), else the first."""
    return next((k for k, v in enumerate(flat) if v < 0), 0)

