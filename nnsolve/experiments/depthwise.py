"""Depthwise-separable against regular convolution: parameters and multiplications, counted.

Both layers map the same input to the same output shape. The counts come from the
cnn_architecture topic (a depthwise convolution followed by a 1×1 pointwise convolution
against one regular convolution); one multiply-accumulate is one multiplication.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from ..expr import num, sym
from ..layers import convolution
from ..plot import Figure, Panel, Series
from ..solution import Answer, Step, Table
from ..spec import Count, NonNegative, Strict
from . import ArmResult, Outcome, claim

NAME = "depthwise_convolution"
SUMMARY = "parameters and multiplications of a regular against a depthwise-separable convolution"
ARMS = {
    "more_parameters": "the depthwise-separable layer has more parameters",
    "always_more_accurate": "it always improves accuracy",
    "cheaper": "it needs fewer multiplications and fewer parameters (less compute and memory)",
    "needs_more_data": "it needs more labelled training data",
}
CRITERION = ("each option is a claim; counting parameters and multiplications supports or refutes "
             "the claims it can decide, and the supported one wins")


class Setup(Strict):
    experiment: Literal["depthwise_convolution"] = Field(description="depthwise_convolution (named once, at the top)")
    input: Annotated[list[Count], Field(min_length=3, max_length=3)] = Field(
        default_factory=lambda: [16, 16, 3], description="[height, width, channels]")
    filters: Count = Field(default=64, description="output channels of the convolution")
    kernel: Count = Field(default=5, description="K for a K×K kernel")
    padding: NonNegative = Field(default=0, description="zeros added on each side")
    bias: StrictBool = Field(default=True, description="whether the convolutions have biases")


def _counts(setup: Setup, filters: int) -> tuple[dict, dict]:
    """(params, multiplications) of the regular and the separable layer, from cnn_architecture."""
    from ..topics import cnn_architecture

    def solve(layers):
        spec = cnn_architecture.Spec.model_validate({"topic": "cnn_architecture", "input": list(setup.input),
                                                     "layers": layers})
        answers = cnn_architecture.solve(spec).answers
        return answers["total_params"].value, answers["total_macs"].value

    conv = {"kernel": setup.kernel, "padding": setup.padding, "bias": setup.bias}
    regular = solve([{"type": "conv2d", "filters": filters, **conv}])
    depthwise = solve([{"type": "depthwise_conv2d", **conv}])
    separable = solve([{"type": "depthwise_conv2d", **conv},
                       {"type": "conv2d", "filters": filters, "kernel": 1, "bias": setup.bias}])
    return ({"params": regular[0], "mults": regular[1]},
            {"params": separable[0], "mults": separable[1], "depthwise_mults": depthwise[1],
             "pointwise_mults": separable[1] - depthwise[1]})


def run(setup: Setup | None) -> Outcome:
    setup = setup or Setup(experiment=NAME)
    h, w, c = setup.input
    f, k = setup.filters, setup.kernel
    regular, separable = _counts(setup, f)
    h_out, w_out = convolution.window(setup.padding, (h, w), (k, k), (1, 1), at="setup.kernel").out
    factor = Fraction(regular["mults"], separable["mults"])
    Ho, Wo, K, C, F = sym("H_out"), sym("W_out"), sym("K"), sym("C_in"), sym("F")
    steps = (
        Step("Regular convolution: multiplications per image", lhs=sym("mult_regular"), formula=Ho * Wo * K * K * C * F,
             substitution=num(h_out) * num(w_out) * num(k) * num(k) * num(c) * num(f), value=regular["mults"]),
        Step("Depthwise stage: multiplications per image", lhs=sym("mult_depthwise"), formula=Ho * Wo * K * K * C,
             substitution=num(h_out) * num(w_out) * num(k) * num(k) * num(c), value=separable["depthwise_mults"]),
        Step("Pointwise (1×1) stage: multiplications per image", lhs=sym("mult_pointwise"), formula=Ho * Wo * C * F,
             substitution=num(h_out) * num(w_out) * num(c) * num(f), value=separable["pointwise_mults"]),
        Step("Improvement factor", lhs=sym("factor"), formula=sym("mult_regular") / sym("mult_separable"),
             substitution=num(regular["mults"]) / num(separable["mults"]), value=factor,
             note=f"the closed form 1/(1/F + 1/K²) gives {float(1 / (Fraction(1, f) + Fraction(1, k * k))):.4g} "
                  f"when the two stages see the same output size"),
    )
    table = Table(f"One layer: {h}×{w}×{c} input, {k}×{k} kernel, {f} output channels",
                  ("Layer", "Parameters", "Multiplications per image"),
                  (("regular convolution", regular["params"], regular["mults"]),
                   ("depthwise-separable (depthwise + 1×1)", separable["params"], separable["mults"])))
    fewer = f"{separable['params']:,} parameters against {regular['params']:,}; " \
            f"{separable['mults']:,} multiplications against {regular['mults']:,}"
    arms = {
        "more_parameters": claim(separable["params"] > regular["params"], fewer),
        "always_more_accurate": ArmResult(None, "counting cannot decide accuracy; a separable layer is a regular "
                                                "convolution with its kernel constrained, so it can fit nothing a "
                                                "regular layer cannot"),
        "cheaper": claim(separable["params"] < regular["params"] and separable["mults"] < regular["mults"], fewer),
        "needs_more_data": ArmResult(None, "counting cannot decide how much data training needs; the separable "
                                           "layer has fewer parameters to fit"),
    }
    widths = [8, 16, 32, 64, 128, 256, 512]
    curves = {w_: _counts(setup, w_) for w_ in widths}
    figure = Figure(f"Regular against depthwise-separable convolution ({h}×{w}×{c} input, {k}×{k} kernel)", (
        Panel("Multiplications per image", "output channels F", "multiplications (log scale)", xscale="log",
              yscale="log", series=(
                  Series("regular", tuple(widths), tuple(curves[w_][0]["mults"] for w_ in widths)),
                  Series("depthwise-separable", tuple(widths), tuple(curves[w_][1]["mults"] for w_ in widths),
                         dashed=True))),
        Panel("Learnable parameters", "output channels F", "parameters (log scale)", xscale="log", yscale="log",
              series=(
                  Series("regular", tuple(widths), tuple(curves[w_][0]["params"] for w_ in widths)),
                  Series("depthwise-separable", tuple(widths), tuple(curves[w_][1]["params"] for w_ in widths),
                         dashed=True))),
    ), columns=2)
    answers = {
        "regular_params": Answer(regular["params"], "Regular convolution: parameters"),
        "separable_params": Answer(separable["params"], "Depthwise-separable: parameters"),
        "regular_mults": Answer(regular["mults"], "Regular convolution: multiplications per image"),
        "separable_mults": Answer(separable["mults"], "Depthwise-separable: multiplications per image"),
        "improvement_factor": Answer(factor, "Improvement factor (multiplications)"),
    }
    return Outcome(arms=arms, blocks=(*steps, table), answers=answers, primary="improvement_factor",
                   figures=(figure,),
                   assumptions=("Stride 1; one multiply-accumulate counts as one multiplication; biases are "
                                "parameters but cost no multiplication.",))
