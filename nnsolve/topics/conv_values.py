"""Convolution values: slide kernels over a small input, exactly, then apply an activation.

Deep-learning frameworks compute cross-correlation (the kernel is not flipped) and call it
convolution; that is the default here. ``operation: convolution`` flips every kernel by 180°
first, as the signal-processing definition does. When the flip changes the result, the other
reading is given as an extra answer.

Integers stay integers and decimals from the file are exact fractions, so a Leaky ReLU of
−27 with α = 0.001 is exactly −0.027. Only sigmoid, tanh and ELU give floats.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Annotated, Iterator, Literal, Union

from pydantic import Field, field_validator, model_validator

from .. import limits
from ..errors import LimitError, SolveError
from ..expr import Expr, Raw, add, call, dot, index, num, sym
from ..layers import activation, convolution
from ..layers import tensor as T
from ..layers.convolution import Padding, Pair, pair
from ..layers.tensor import Matrix, Tensor3
from ..numbers import Number, Real, number_text, simplify
from ..solution import Answer, Given, Solution, Step, Variant
from ..spec import Count, FieldError, ProblemBase

TOPIC = "conv_values"
SUMMARY = "Output values of a convolution (padding, stride, dilation, bias), then an activation"
EXAMPLE = "problems/seed/s10-conv-values.yaml"
FIGURES = True  # the input, kernel and output as shaded grids (run --plot)

Activation = Literal["none", "relu", "leaky_relu", "prelu", "elu", "sigmoid", "tanh"]


def _cells(value) -> int:
    return math.prod(T.rectangular(value))


class Spec(ProblemBase):
    """An input, one kernel (``kernel``) or several (``kernels``), and the operation's settings."""

    topic: Literal["conv_values"] = Field(description="conv_values: the output values of a convolution")
    input: Union[Matrix, Tensor3] = Field(description="a matrix (one channel) or channels × rows × columns")
    kernel: Union[Matrix, Tensor3] | None = Field(default=None, description="one kernel (rows × columns, "
                                                  "or channels × rows × columns)")
    kernels: Annotated[list[Union[Matrix, Tensor3]], Field(min_length=1)] | None = Field(
        default=None, description="several kernels; the answer is then one matrix per kernel")
    bias: Union[Real, Annotated[list[Real], Field(min_length=1)]] = Field(
        default=0, description="added to every output: one number, or one per kernel")
    padding: Padding = Field(default=0, description="zeros around the input: a number, [rows, columns], "
                                                    "valid (none) or same (keeps ⌈size/stride⌉)")
    stride: Pair = Field(default=1, description="the step between windows: a number, or [rows, columns]")
    dilation: Pair = Field(default=1, description="the spacing between kernel taps: a number, or [rows, columns]")
    groups: Count = Field(default=1, description="as PyTorch: each kernel sees input channels / groups channels")
    operation: Literal["cross_correlation", "convolution"] = Field(
        default="cross_correlation", description="cross_correlation (what PyTorch and Keras compute) or "
                                                 "convolution (each kernel flipped by 180° first)")
    activation: Activation = Field(default="none", description="applied to the outputs after the bias")
    alpha: Real | None = Field(default=None, description="α of leaky_relu, prelu or elu")

    @field_validator("input")
    @classmethod
    def _input_ok(cls, value):
        T.rectangular(value, "the input")
        if _cells(value) > limits.MAX_TENSOR_CELLS:
            raise ValueError(f"has {_cells(value):,} cells; nnsolve's cap MAX_TENSOR_CELLS is "
                             f"{limits.MAX_TENSOR_CELLS:,}")
        return value

    @field_validator("kernel")
    @classmethod
    def _kernel_ok(cls, value):
        if value is not None:
            T.rectangular(value, "the kernel")
        return value

    @field_validator("kernels")
    @classmethod
    def _kernels_ok(cls, value):
        if value is not None:
            for i, kernel in enumerate(value):
                T.rectangular(kernel, f"kernel {i + 1}")
            if sum(_cells(k) for k in value) > limits.MAX_TENSOR_CELLS:
                raise ValueError(f"the kernels have more than {limits.MAX_TENSOR_CELLS:,} cells "
                                 f"(nnsolve's cap MAX_TENSOR_CELLS)")
        return value

    @model_validator(mode="after")
    def _one_kernel_field(self) -> "Spec":
        if (self.kernel is None) == (self.kernels is None):
            raise FieldError("kernel" if self.kernels is None else "kernels",
                             "give either 'kernel' (one kernel) or 'kernels' (a list of kernels)")
        if self.alpha is not None and self.activation not in activation.HAS_ALPHA:
            raise FieldError("alpha", f"applies to leaky_relu, prelu or elu, not to {self.activation}")
        return self


# ---------------------------------------------------------------------------------------------
# The arithmetic: the library's sliding window and cross-correlation (nnsolve.layers.convolution)
# and its activation functions (nnsolve.layers.activation)

def _channels(value) -> list:
    return value if isinstance(value[0][0], list) else [value]


class _Layout:
    """Everything about the sliding window that does not depend on the kernel values."""

    def __init__(self, spec: Spec):
        self.x = T.tensor(_channels(spec.input))[None]  # (1, C, H, W)
        _, self.c_in, self.h, self.w = self.x.shape
        raw_kernels = [spec.kernel] if spec.kernel is not None else spec.kernels
        kernels = [_channels(k) for k in raw_kernels]
        self.field = "kernel" if spec.kernel is not None else "kernels"
        self.kh, self.kw = len(kernels[0][0]), len(kernels[0][0][0])
        for i, k in enumerate(kernels):
            if (len(k[0]), len(k[0][0])) != (self.kh, self.kw):
                raise SolveError(f"kernel {i + 1} is {len(k[0])}×{len(k[0][0])} but kernel 1 is "
                                 f"{self.kh}×{self.kw}; all kernels must be the same size", field=f"kernels[{i}]")
        self.f = len(kernels)
        self.groups = spec.groups
        if self.c_in % self.groups or self.f % self.groups:
            raise SolveError(f"groups = {self.groups} must divide the input channels ({self.c_in}) and the "
                             f"number of kernels ({self.f})", field="groups")
        self.c_per_group = self.c_in // self.groups
        for i, k in enumerate(kernels):
            if len(k) != self.c_per_group:
                where = self.field if spec.kernel is not None else f"kernels[{i}]"
                need = (f"{self.c_per_group} channel(s): the input has {self.c_in}"
                        + (f" in {self.groups} groups" if self.groups > 1 else ""))
                raise SolveError(f"the kernel has {len(k)} channel(s) but needs {need}", field=where)
        self.kernels = T.tensor(kernels)  # (F, C/g, K_h, K_w)
        self.win = convolution.window(spec.padding, (self.h, self.w), (self.kh, self.kw), pair(spec.stride),
                                      pair(spec.dilation), at=self.field)
        padded = self.win.padded
        if self.c_in * padded[0] * padded[1] > limits.MAX_PADDED_CELLS:
            raise LimitError(f"the padded input would have {self.c_in * padded[0] * padded[1]:,} cells; "
                             f"nnsolve's cap MAX_PADDED_CELLS is {limits.MAX_PADDED_CELLS:,}", field="padding")
        self.h_out, self.w_out = self.win.out
        cells = self.f * self.h_out * self.w_out
        if cells > limits.MAX_OUTPUT_CELLS:
            raise LimitError(f"the output would have {cells:,} cells; nnsolve's cap MAX_OUTPUT_CELLS is "
                             f"{limits.MAX_OUTPUT_CELLS:,}", field=self.field)
        products = cells * self.c_per_group * self.kh * self.kw
        if products > limits.MAX_CONV_PRODUCTS:
            raise LimitError(f"the convolution needs {products:,} multiplications; nnsolve's cap "
                             f"MAX_CONV_PRODUCTS is {limits.MAX_CONV_PRODUCTS:,}", field=self.field)
        self.padded = convolution.padded(self.x, self.win)
        bias = spec.bias if isinstance(spec.bias, list) else [spec.bias] * self.f
        if len(bias) != self.f:
            raise SolveError(f"{len(bias)} biases for {self.f} kernel(s); give one per kernel or a single "
                             f"number", field="bias")
        self.bias = bias

    def kernels_for(self, flip: bool):
        """The kernels as slid: flipped by 180° for a true convolution."""
        return self.kernels[:, :, ::-1, ::-1] if flip else self.kernels

    def output(self, kernels) -> list:
        return convolution.correlate(self.x, kernels, T.tensor(self.bias), self.win, self.groups)[0].tolist()


def _alpha(spec: Spec) -> Number | None:
    return activation.alpha_of(spec.activation, spec.alpha)


def _name(spec: Spec) -> str:
    return activation.FUNCTIONS[spec.activation].title


def _shape(layout: _Layout, maps: list):
    """One kernel given as ``kernel``: a matrix. Several (``kernels``): a list of matrices."""
    return maps[0] if layout.field == "kernel" else maps


def _results(spec: Spec, layout: _Layout, flip: bool) -> tuple[list, list | None]:
    out = layout.output(layout.kernels_for(flip))
    if spec.activation == "none":
        return out, None
    return out, activation.values_of(spec.activation, T.tensor(out), _alpha(spec)).tolist()


# ---------------------------------------------------------------------------------------------
# The worked solution

def _cell_sum(layout: _Layout, f: int, kernels) -> Step:
    pairs = convolution.cell_products(layout.padded, kernels, layout.win, layout.groups, f)
    terms: list[Expr] = [dot(num(a), num(b)) for a, b in pairs]
    if layout.bias[f] != 0:
        terms.append(num(layout.bias[f]))
    value = simplify(sum(a * b for a, b in pairs) + layout.bias[f])
    which = f" of kernel {f + 1}" if layout.f > 1 else ""
    cell = index(f"y_{f + 1}" if layout.f > 1 else "y", 1, 1)  # y₂[1, 1]: kernel 2's output, as the layers name cells
    formula = Raw("Σ x·w + b", r"\sum x \cdot w + b") if layout.bias[f] != 0 else Raw("Σ x·w", r"\sum x \cdot w")
    return Step(f"First output cell{which}: every product of the window", lhs=cell,
                formula=formula, substitution=add(*terms), value=value,
                note="the window starts at the top-left corner of the padded input")


def _activation_steps(spec: Spec, out: list, activated: list, several: bool) -> list[Step]:
    name, alpha = _name(spec), _alpha(spec)
    fn = activation.FUNCTIONS[spec.activation].fn
    steps = [activation.definition_step(spec.activation, alpha)]
    # One worked cell, where the activation changes the value (a negative one if there is any).
    cells = [v for m in out for row in m for v in row]
    example = next((v for v in cells if v <= 0 and v != 0), cells[0])
    steps.append(Step(f"{name} of one cell", lhs=call(fn, num(example)),
                      substitution=activation.substitution(spec.activation, example, alpha),
                      value=activation.apply(spec.activation, example, alpha)))
    for f, m in enumerate(activated):
        which = f" (kernel {f + 1})" if several else ""
        steps.append(Step(f"Output after {name}{which}", value=m))
    return steps


def solve(spec: Spec) -> Solution:
    layout = _Layout(spec)
    flip = spec.operation == "convolution"
    kernels = layout.kernels_for(flip)
    out, activated = _results(spec, layout, flip)
    several = layout.f > 1
    steps: list[Step] = []

    steps += convolution.window_steps(layout.win, "Output")
    if flip:
        for f, k in enumerate(kernels.tolist()):
            for ch, matrix in enumerate(k):
                steps.append(Step(f"Kernel{f' {f + 1}' if several else ''}"
                                  f"{f', channel {ch + 1}' if len(k) > 1 else ''} flipped by 180° (convolution)",
                                  value=matrix))
    (top, bottom), (left, right) = layout.win.pad
    for ch, matrix in enumerate(layout.padded[0].tolist()):
        which = f", channel {ch + 1}" if layout.c_in > 1 else ""
        title = (f"Padded input{which} (zeros: {top} above, {bottom} below, {left} left, {right} right)"
                 if top or bottom or left or right else f"Input{which} (no padding)")
        steps.append(Step(title, value=matrix))
    for f in range(layout.f):
        steps.append(_cell_sum(layout, f, kernels))
    for f, m in enumerate(out):
        steps.append(Step(f"Output of the {'convolution' if flip else 'cross-correlation'}"
                          f"{f' (kernel {f + 1})' if several else ''}", value=m,
                          note="each cell: the same sum over its window" if f == 0 else None))
    if activated is not None:
        steps.extend(_activation_steps(spec, out, activated, several))

    answers = {"conv_output": Answer(_shape(layout, out), "Output of the convolution" if activated is None
                                             else "Output before the activation")}
    primary = "conv_output"
    if activated is not None:
        answers["activated"] = Answer(_shape(layout, activated), f"Output after {_name(spec)}")
        primary = "activated"
    other_out, other_act = _results(spec, layout, not flip)
    if other_out != out:
        suffix, reading = (("unflipped", "cross-correlation (kernel not flipped)") if flip
                           else ("flipped", "convolution with the kernel flipped by 180°"))
        answers[f"conv_output_{suffix}"] = Answer(_shape(layout, other_out), answers["conv_output"].label,
                                                  reading=reading)
        if other_act is not None:
            answers[f"activated_{suffix}"] = Answer(_shape(layout, other_act), answers["activated"].label,
                                                    reading=reading)

    assumptions = [
        ("Convolution here flips each kernel by 180° before sliding it (operation: convolution)." if flip else
         "The operation is cross-correlation, which deep-learning frameworks (PyTorch, TensorFlow) compute and "
         "call convolution: the kernel is not flipped."),
        "Padding adds zeros around the input.",
    ]
    if spec.padding == "same":
        assumptions.append("Padding 'same' keeps ⌈size / stride⌉; an odd total puts the extra zero after "
                           "(TensorFlow's rule, and PyTorch's for stride 1).")
    if spec.activation in activation.HAS_ALPHA and spec.alpha is None:
        assumptions.append(f"α = {number_text(_alpha(spec))} (PyTorch's default for {_name(spec)}); "
                           "the problem does not state it.")
    if several and not isinstance(spec.bias, list):
        assumptions.append("The one bias given is added to every kernel's output.")
    warnings = []
    if other_out != out:
        warnings.append("Flipping the kernel changes the result: the other reading is given as "
                        f"'conv_output_{'unflipped' if flip else 'flipped'}'.")
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=tuple(steps),
                    assumptions=tuple(assumptions), warnings=tuple(warnings),
                    figures=figure(spec, layout, kernels.tolist(), out, activated))


FIGURE_PANELS = 8  # more input channels, kernels and outputs than this: no figure (each would be tiny)
FIGURE_SIDE = 40  # nor for a matrix with more rows or columns than this


def figure(spec: Spec, layout: _Layout, kernels: list, out: list, activated: list | None) -> tuple:
    """The padded input, the kernel as slid and the output as shaded grids, the first output
    cell and the window it sums outlined (as the worked step does)."""
    from ..plot import Cells, Figure, Panel

    count = layout.c_in + layout.f * layout.c_per_group + layout.f * (2 if activated else 1)
    if count > FIGURE_PANELS or max(*layout.win.padded, layout.kh, layout.kw) > FIGURE_SIDE:
        return ()  # the output is never larger than the padded input
    (top, _), (left, _) = layout.win.pad
    span_h, span_w = layout.win.span
    several, flip = layout.f > 1, spec.operation == "convolution"
    panels = []
    for ch, matrix in enumerate(layout.padded[0].tolist()):
        which = f", channel {ch + 1}" if layout.c_in > 1 else ""
        inner = (top, left, layout.h, layout.w) if layout.win.padded != (layout.h, layout.w) else None
        panels.append(Panel(("Padded input (dashed: the input)" if inner else "Input") + which, cells=Cells(
            _rows(matrix), box=(0, 0, span_h, span_w), inner=inner)))
    for f, kernel in enumerate(kernels):
        for ch, matrix in enumerate(kernel):
            which = (f" {f + 1}" if several else "") + (f", channel {ch + 1}" if len(kernel) > 1 else "")
            panels.append(Panel(f"Kernel{which}" + (" flipped by 180°" if flip else ""), cells=Cells(_rows(matrix))))
    for title, maps in (("Output", out), *([(f"After {_name(spec)}", activated)] if activated else [])):
        for f, matrix in enumerate(maps):
            panels.append(Panel(title + (f" (kernel {f + 1})" if several else ""),
                                cells=Cells(_rows(matrix), box=(0, 0, 1, 1))))
    what = "convolution" if flip else "cross-correlation"
    columns = len(panels) if len(panels) <= 3 else min(4, -(-len(panels) // 2))
    return (Figure(f"The {what}: the outlined window gives the first output cell", tuple(panels), columns),)


def _rows(matrix) -> tuple:
    return tuple(tuple(row) for row in matrix)


def given(spec: Spec) -> list:
    """The input and every kernel as matrices, then the settings the file states."""
    out: list = []
    channels = _channels(spec.input)
    for c, matrix in enumerate(channels):
        out.append(Given("Input X" + (f", channel {c + 1}" if len(channels) > 1 else ""), matrix))
    kernels = [spec.kernel] if spec.kernel is not None else spec.kernels
    for f, kernel in enumerate(kernels):
        for c, matrix in enumerate(_channels(kernel)):
            name = "Kernel W" + (f"{f + 1}" if len(kernels) > 1 else "")
            out.append(Given(name + (f", channel {c + 1}" if len(_channels(kernel)) > 1 else ""), matrix))
    for name, label in (("bias", "Bias b"), ("padding", "Padding"), ("stride", "Stride"), ("dilation", "Dilation"),
                        ("groups", "Groups")):
        if name in spec.model_fields_set or name in ("padding", "stride"):
            out.append(Given(label, getattr(spec, name)))
    if spec.activation != "none":
        out.append(Given("Activation", _name(spec)))
        if _alpha(spec) is not None:
            out.append(Given("α", _alpha(spec)))
    return out


# ---------------------------------------------------------------------------------------------
# Common mistakes

def _variant_answers(spec: Spec) -> dict | None:
    try:
        layout = _Layout(spec)
    except SolveError:
        return None
    out, activated = _results(spec, layout, spec.operation == "convolution")
    answers = {"conv_output": _shape(layout, out)}
    if activated is not None:
        answers["activated"] = _shape(layout, activated)
    return answers


def variants(spec: Spec) -> Iterator[Variant]:
    """Mistakes students commonly make when computing a convolution by hand."""
    changes: list[tuple[str, dict]] = []
    alpha = _alpha(spec)
    if alpha is not None:
        for wrong in (simplify(Fraction(alpha) / 10), simplify(Fraction(alpha) * 10)):
            changes.append((f"misplaced α by a power of ten: used {number_text(wrong)} instead of "
                            f"{number_text(alpha)}", {"alpha": wrong}))
    other = "cross_correlation" if spec.operation == "convolution" else "convolution"
    changes.append(("flipped the kernel by 180° (true convolution) where frameworks do not flip it"
                    if other == "convolution" else "did not flip the kernel although the question asks for convolution",
                    {"operation": other}))
    if any(b != 0 for b in (spec.bias if isinstance(spec.bias, list) else [spec.bias])):
        changes.append(("forgot to add the bias", {"bias": 0}))
    if spec.padding not in (0, "valid", [0, 0]):
        changes.append((f"used no padding ('valid') instead of the stated padding {spec.padding}",
                        {"padding": "valid"}))
    if spec.activation in activation.HAS_ALPHA:
        changes.append((f"applied ReLU instead of {_name(spec)} (negatives set to 0)",
                        {"activation": "relu", "alpha": None}))
    for mistake, update in changes:
        answers = _variant_answers(spec.model_copy(update=update))
        if answers is not None:
            yield Variant(mistake, answers)
