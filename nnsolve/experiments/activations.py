"""Activation functions and their derivatives on negative and positive inputs: where they saturate.

Piecewise-linear functions (ReLU, Leaky ReLU, PReLU) are computed exactly; sigmoid, tanh and
ELU go through exp and are floats. The derivative at 0 of a piecewise function is taken from
the negative side (PyTorch's convention for ReLU).
"""

from __future__ import annotations

from fractions import Fraction
from functools import partial
from typing import Annotated, Literal

from pydantic import Field, StrictInt

from ..expr import call, num, sym
from ..layers import activation
from ..numbers import Real
from ..plot import Figure, Panel, Series
from ..solution import Answer, Step, Table
from ..spec import Strict
from . import Outcome, claim

NAME = "activations"
SUMMARY = "values and derivatives of sigmoid, tanh, ReLU, Leaky ReLU, PReLU and ELU; saturation"
ARMS = {
    "all_gradients_positive": "Leaky ReLU makes every gradient positive",
    "simpler_architecture": "Leaky ReLU simplifies the network architecture",
    "more_parameters": "Leaky ReLU adds parameters to the model",
    "nonzero_for_negative_inputs": "Leaky ReLU is not zero for negative inputs, so gradients flow there",
}
CRITERION = "each option is a claim about Leaky ReLU; the claim the computed values and derivatives support wins"


class Setup(Strict):
    experiment: Literal["activations"] = Field(description="activations (named once, at the top)")
    inputs: Annotated[list[Real], Field(min_length=2, max_length=50)] = Field(
        default_factory=lambda: [-6, -2, Fraction(-1, 2), Fraction(1, 2), 2, 6],
        description="the inputs z at which values and derivatives are shown")
    leaky_alpha: Annotated[Real, Field(gt=0, lt=1)] = Field(
        default=Fraction(1, 100), description="Leaky ReLU's slope α for negative inputs")
    prelu_alpha: Annotated[Real, Field(gt=0, lt=1)] = Field(
        default=Fraction(1, 4), description="PReLU's initial slope α for negative inputs")
    elu_alpha: Annotated[Real, Field(gt=0)] = Field(default=1, description="ELU's α")
    depth: Annotated[StrictInt, Field(ge=1, le=100)] = Field(
        default=10, description="layers the gradient passes through in the saturation step")


def functions(setup: Setup) -> dict[str, tuple]:
    """name → (f, f′): each maps an exact input to its value and derivative (the layer library's)."""
    alphas = {"leaky_relu": setup.leaky_alpha, "prelu": setup.prelu_alpha, "elu": setup.elu_alpha}
    return {activation.FUNCTIONS[name].title: (partial(activation.apply, name, alpha=alphas.get(name)),
                                               partial(activation.slope, name, alpha=alphas.get(name)))
            for name in ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu")}


def run(setup: Setup | None) -> Outcome:
    setup = setup or Setup(experiment=NAME)
    fns = functions(setup)
    xs = list(setup.inputs)
    negatives = [x for x in xs if x < 0]
    names = tuple(fns)
    values = Table("Values f(x)", ("x", *names),
                   tuple((x, *(fns[name][0](x) for name in names)) for x in xs))
    slopes = Table("Derivatives f′(x): near 0, the gradient vanishes", ("x", *names),
                   tuple((x, *(fns[name][1](x) for name in names)) for x in xs))
    x_low, x_high = min(xs), max(xs)
    steps = [
        Step("Sigmoid saturates on both sides", lhs=call("sigma′", num(x_low)), formula=call("sigma", sym("x")) * (1 - call("sigma", sym("x"))),
             substitution=call("sigma", num(x_low)) * (1 - call("sigma", num(x_low))), value=fns["sigmoid"][1](x_low),
             note=f"at most 0.25 (at x = 0); the derivative at x = {float(x_high):g} is the same"),
        Step("ReLU passes no gradient for a negative input", lhs=call("ReLU′", num(x_low)),
             value=fns["ReLU"][1](x_low), note="ReLU′(x) = 0 for every x < 0"),
        Step("Leaky ReLU passes α for a negative input", lhs=call("LReLU′", num(x_low)), formula=sym("alpha"), value=fns["Leaky ReLU"][1](x_low)),
        Step(f"Gradient through {setup.depth} layers in the negative regime: Leaky ReLU",
             lhs=sym("prod"), formula=sym("alpha") ** sym("n"), substitution=num(setup.leaky_alpha) ** num(setup.depth),
             value=setup.leaky_alpha ** setup.depth, note="ReLU gives exactly 0; sigmoid at best 0.25ⁿ"),
    ]
    # Claim a: push upstream gradients of both signs back through Leaky ReLU.
    upstream = [(-1) ** i for i in range(len(xs))]
    downstream = [g * fns["Leaky ReLU"][1](x) for g, x in zip(upstream, xs)]
    negative_out = sum(1 for g in downstream if g < 0)
    sigmoid_min_slope = min(fns["sigmoid"][1](x) for x in xs)
    leaky_zero = [x for x in negatives if fns["Leaky ReLU"][0](x) == 0 or fns["Leaky ReLU"][1](x) == 0]
    arms = {
        "all_gradients_positive": claim(
            negative_out == 0,
            f"upstream gradients of alternating sign come back through Leaky ReLU with {negative_out} of "
            f"{len(xs)} negative; its local slope is positive, but so is sigmoid's (≥ {sigmoid_min_slope:.2g} here), "
            f"which still vanishes"),
        "simpler_architecture": claim(False, "the layers, their shapes and their parameters are the same with "
                                             "ReLU and with Leaky ReLU; only the slope for x < 0 changes"),
        "more_parameters": claim(False, f"Leaky ReLU's α = {float(setup.leaky_alpha):g} is fixed: 0 learnable "
                                        "parameters (PReLU, which learns α, adds one per channel)"),
        "nonzero_for_negative_inputs": claim(
            bool(negatives) and not leaky_zero,
            f"for every negative input Leaky ReLU's value is αx ≠ 0 and its derivative α = "
            f"{float(setup.leaky_alpha):g}, where ReLU's are 0; through {setup.depth} such layers α^{setup.depth} "
            f"= {float(setup.leaky_alpha) ** setup.depth:.3g} instead of 0"),
    }
    grid = [Fraction(i, 20) for i in range(-120, 121)]
    figure = Figure("Activation functions and their derivatives", (
        Panel("Values f(x)", "x", "f(x)", hlines=(0.0,), series=tuple(
            Series(name, tuple(float(x) for x in grid), tuple(float(f(x)) for x in grid),
                   emphasis=name == "Leaky ReLU") for name, (f, _) in fns.items())),
        Panel("Derivatives f′(x): near 0 means the gradient vanishes", "x", "f′(x)", hlines=(0.0,), series=tuple(
            Series(name, tuple(float(x) for x in grid), tuple(float(d(x)) for x in grid),
                   emphasis=name == "Leaky ReLU") for name, (_, d) in fns.items())),
    ), columns=2)
    answers = {
        "leaky_relu_slope_negative": Answer(fns["Leaky ReLU"][1](x_low), f"Leaky ReLU′({float(x_low):g})"),
        "relu_slope_negative": Answer(fns["ReLU"][1](x_low), f"ReLU′({float(x_low):g})"),
        "sigmoid_slope_low": Answer(fns["sigmoid"][1](x_low), f"σ′({float(x_low):g})"),
        "sigmoid_slope_high": Answer(fns["sigmoid"][1](x_high), f"σ′({float(x_high):g})"),
    }
    return Outcome(arms=arms, blocks=(*steps, values, slopes), answers=answers,
                   primary="leaky_relu_slope_negative", figures=(figure,),
                   assumptions=(f"Leaky ReLU α = {float(setup.leaky_alpha):g}; PReLU's α starts at "
                                f"{float(setup.prelu_alpha):g} (PyTorch's default) and is learned; ELU α = "
                                f"{float(setup.elu_alpha):g}.",))
