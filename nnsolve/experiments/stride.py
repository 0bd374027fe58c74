"""Stride: output size and receptive field of a two-layer convolution stack, stride 1 against stride 2.

Output sizes come from the layer library's sliding-window arithmetic (nnsolve.layers.convolution).
The receptive field of a neuron in layer l grows as r_l = r_(l−1) + (K_l − 1)·j_(l−1), where the
jump j_l = j_(l−1)·S_l is the distance in input pixels between neighbouring outputs of layer l
(r_0 = j_0 = 1).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from ..expr import num, sym
from ..layers import convolution, stack
from ..plot import Figure, Panel, Series
from ..solution import Answer, Step, Table
from ..spec import Count, Strict
from . import Outcome, claim

NAME = "stride"
SUMMARY = "output size and receptive field of a stack of convolutions, for a small and a large stride"
ARMS = {
    "output_larger_same_field": "the output grows and the receptive field stays the same",
    "larger_field_smaller_output": "the receptive field grows and the output shrinks",
    "no_effect": "neither the output size nor the receptive field changes",
    "smaller_field": "the receptive field shrinks",
}
CRITERION = ("each option is a claim about what a larger stride does; the one whose every part the "
             "measured sizes and receptive fields bear out wins")


class Setup(Strict):
    experiment: Literal["stride"] = Field(description="stride (named once, at the top)")
    input: Annotated[StrictInt, Field(ge=1, le=4096)] = Field(default=32, description="the input's height and width")
    kernel: Annotated[StrictInt, Field(ge=1, le=64)] = Field(
        default=3, description="K for the K×K kernel of every layer")
    layers: Annotated[StrictInt, Field(ge=1, le=10)] = Field(default=2, description="convolutions in the stack")
    strides: Annotated[list[Count], Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: [1, 2], description="[small, large], applied to every layer of the stack")


def _stack(setup: Setup, stride: int):
    """Output sizes (the layer library's sliding-window arithmetic) and receptive fields, layer by layer."""
    sizes, size_steps = [setup.input], []
    for layer in range(1, setup.layers + 1):
        win = convolution.window(0, (sizes[-1], sizes[-1]), (setup.kernel, setup.kernel), (stride, stride),
                                 at="setup.kernel")
        size_steps += convolution.window_steps(win, f"Stride {stride}, layer {layer} (conv2d): output")
        sizes.append(win.out[0])
    field = stack.input_field((1, setup.input, setup.input))  # (r, j) per axis, by the layer library's rule
    fields, jumps = [1], [1]
    field_steps = []
    for layer in range(1, setup.layers + 1):
        field = stack.seen([field], ((setup.kernel, stride),) * 2)
        fields.append(stack.field_value(field))
        field_steps.append(Step(f"Stride {stride}, layer {layer}: receptive field", lhs=sym(f"r_{layer}"),
                                formula=sym(f"r_{layer - 1}") + (sym("K") - 1) * sym(f"j_{layer - 1}"),
                                substitution=num(fields[-2]) + (num(setup.kernel) - 1) * num(jumps[-1]),
                                value=fields[-1]))
        jumps.append(stack.field_value(field, 1))
    return sizes, fields, size_steps + field_steps


def run(setup: Setup | None) -> Outcome:
    setup = setup or Setup(experiment=NAME)
    small, large = setup.strides
    sizes_small, fields_small, steps_small = _stack(setup, small)
    sizes_large, fields_large, steps_large = _stack(setup, large)
    out_s, out_l, rf_s, rf_l = sizes_small[-1], sizes_large[-1], fields_small[-1], fields_large[-1]
    said = f"stride {small} → {large}: output {out_s} → {out_l}, receptive field {rf_s} → {rf_l}"
    arms = {
        "output_larger_same_field": claim(out_l > out_s and rf_l == rf_s, said),
        "larger_field_smaller_output": claim(rf_l > rf_s and out_l < out_s, said),
        "no_effect": claim(out_l == out_s and rf_l == rf_s, said),
        "smaller_field": claim(rf_l < rf_s, said),
    }
    layers = range(setup.layers + 1)
    table = Table(f"{setup.layers} convolutions of {setup.kernel}×{setup.kernel} on a {setup.input}×{setup.input} input",
                  ("Layer", f"Size, stride {small}", f"Size, stride {large}",
                   f"Receptive field, stride {small}", f"Receptive field, stride {large}"),
                  tuple((("input" if l == 0 else f"conv {l}"), sizes_small[l], sizes_large[l],
                         fields_small[l], fields_large[l]) for l in layers))
    figure = Figure(f"Stride {small} against stride {large}: {setup.layers} convolutions, kernel {setup.kernel}", (
        Panel("Output size (height = width)", "layer (0 = input)", "pixels", series=(
            Series(f"stride {small}", tuple(layers), tuple(sizes_small)),
            Series(f"stride {large}", tuple(layers), tuple(sizes_large), dashed=True))),
        Panel("Receptive field of one neuron", "layer (0 = input)", "input pixels across", series=(
            Series(f"stride {small}", tuple(layers), tuple(fields_small)),
            Series(f"stride {large}", tuple(layers), tuple(fields_large), dashed=True))),
    ), columns=2)
    answers = {
        f"output_size_stride_{small}": Answer(out_s, f"Output size with stride {small}"),
        f"output_size_stride_{large}": Answer(out_l, f"Output size with stride {large}"),
        f"receptive_field_stride_{small}": Answer(rf_s, f"Receptive field with stride {small}"),
        f"receptive_field_stride_{large}": Answer(rf_l, f"Receptive field with stride {large}"),
    }
    return Outcome(arms=arms, blocks=(*steps_small, *steps_large, table), answers=answers,
                   primary=f"receptive_field_stride_{large}", figures=(figure,),
                   assumptions=("The stride is applied to every layer of the stack; no padding.",))
