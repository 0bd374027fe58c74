"""CNN architecture: output shape, parameter count and multiply-accumulates of every layer.

Shapes follow the exam convention height × width × channels. Output sizes use
⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1 (PyTorch's formula; with D = 1 it is the familiar
⌊(H + 2P − K) / S⌋ + 1); padding 'same' follows TensorFlow: the output is ⌈H / S⌉.
A residual block adds its main path to its shortcut (identity unless given). A layer that
cannot apply is an error naming the layer.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from .. import limits
from ..errors import SolveError
from ..expr import add, call, dot, num, sym
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import Count, FieldError, NonNegative, ProblemBase, Strict

TOPIC = "cnn_architecture"
SUMMARY = "CNN output shapes, learnable parameters and multiply-accumulates, layer by layer"
EXAMPLE = "problems/seed/s03-cnn-params.yaml"

Pair = Union[Count, Annotated[list[Count], Field(min_length=2, max_length=2)]]
Padding = Union[NonNegative, Annotated[list[NonNegative], Field(min_length=2, max_length=2)], Literal["same", "valid"]]


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


class _Layer(Strict):
    name: str | None = Field(default=None, max_length=100, description="shown in the table instead of the type")


class _Sliding(_Layer):
    kernel: Pair = Field(description="the kernel's size: K for K×K, or [height, width]")
    stride: Pair = Field(default=1, description="the step between windows: a number, or [height, width]")
    padding: Padding = Field(default=0, description="zeros added on each side: a number, [height, width], "
                                                    "same (keeps ⌈size/stride⌉, as Keras) or valid (none)")
    dilation: Pair = Field(default=1, description="the spacing between kernel taps: a number, or [height, width]")
    bias: StrictBool = Field(default=True, description="whether each output channel has a learnable bias")


class Conv2d(_Sliding):
    """A 2-D convolution with ``filters`` output channels."""

    type: Literal["conv2d"] = Field(description="conv2d: a 2-D convolution")
    filters: Count = Field(description="output channels (Keras filters, PyTorch out_channels)")
    groups: Count = Field(default=1, description="input and output channels split into this many groups, as PyTorch")


class DepthwiseConv2d(_Sliding):
    """A depthwise convolution: each input channel convolved with its own ``multiplier`` kernels."""

    type: Literal["depthwise_conv2d"] = Field(description="depthwise_conv2d: one kernel per input channel")
    multiplier: Count = Field(default=1, description="kernels per input channel (Keras depth_multiplier)")


class Pool(_Layer):
    """Max or average pooling; the stride defaults to the window."""

    type: Literal["max_pool", "avg_pool"] = Field(description="max_pool or avg_pool")
    window: Pair = Field(description="the pooling window: K for K×K, or [height, width] (Keras pool_size)")
    stride: Pair | None = Field(default=None, description="the step between windows; default the window")
    padding: Padding = Field(default=0, description="zeros added on each side: a number, [height, width], "
                                                    "same or valid")


class GlobalAvgPool(_Layer):
    """Global average pooling: one value per channel."""

    type: Literal["global_avg_pool"] = Field(description="global_avg_pool: the mean of each channel")


class Flatten(_Layer):
    """Flattens height × width × channels into one vector."""

    type: Literal["flatten"] = Field(description="flatten: height × width × channels into one vector")


class Dense(_Layer):
    """A fully connected layer."""

    type: Literal["dense"] = Field(description="dense: a fully connected layer (PyTorch Linear)")
    units: Count = Field(description="output units (PyTorch out_features)")
    bias: StrictBool = Field(default=True, description="whether each unit has a learnable bias")
    activation: str | None = Field(default=None, max_length=40,
                                   description="shown in the table; adds no parameters (e.g. relu)")


class BatchNorm(_Layer):
    """Batch normalization: γ and β are learnable; the running mean and variance are not."""

    type: Literal["batch_norm"] = Field(description="batch_norm: batch normalization over the channels")


class Dropout(_Layer):
    """Dropout: no parameters, the shape unchanged."""

    type: Literal["dropout"] = Field(description="dropout: zeroes a share of its inputs while training")
    rate: Annotated[float, Field(ge=0, lt=1)] = Field(default=0.5, description="the share of inputs dropped")


class Activation(_Layer):
    """An activation function as a layer of its own: no parameters, the shape unchanged."""

    type: Literal["activation"] = Field(description="activation: an activation function as its own layer")
    function: Literal["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "elu", "gelu", "linear"] = Field(
        description="which function")


class Residual(_Layer):
    """A residual block: output = main path (``layers``) + ``shortcut`` (identity when absent)."""

    type: Literal["residual"] = Field(description="residual: a block whose output is its main path plus a shortcut")
    layers: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)] = Field(
        description="the main path, in order")
    shortcut: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)] | None = Field(
        default=None, description="the shortcut's layers (e.g. a 1×1 conv2d and batch_norm); the identity when absent")


Layer = Annotated[
    Union[Conv2d, DepthwiseConv2d, Pool, GlobalAvgPool, Flatten, Dense, BatchNorm, Dropout, Activation, Residual],
    Field(discriminator="type"),
]
Residual.model_rebuild()

Ask = Literal["total_params", "trainable_params", "flatten_size", "output_size", "output_shape",
              "total_macs", "shape_after"]


class Spec(ProblemBase):
    """A CNN given as an input shape and a list of layers, and what the question asks for."""

    topic: Literal["cnn_architecture"] = Field(description="cnn_architecture: shapes, parameters and MACs of a CNN")
    input: Annotated[list[Count], Field(min_length=1, max_length=3)] = Field(
        description="[height, width, channels] as exams state it, or [features] for a dense-only network")
    layers: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)] = Field(
        description="the network's layers in order, each a mapping with a type (conv2d, max_pool, dense, ...)")
    ask: Ask = Field(default="total_params", description="the answer the question asks for")
    layer: Annotated[StrictInt, Field(ge=1)] | None = Field(
        default=None, description="with ask: shape_after, the layer (counting from 1)")

    @field_validator("input")
    @classmethod
    def _input_rank(cls, value: list[int]) -> list[int]:
        if len(value) == 2:
            raise ValueError("must be [height, width, channels] or [features]")
        return value

    @model_validator(mode="after")
    def _layer_given(self) -> "Spec":
        if self.ask == "shape_after" and (self.layer is None or self.layer > len(self.layers)):
            raise FieldError("ask" if self.layer is None else "layer",
                             f"shape_after needs 'layer', a layer number from 1 to {len(self.layers)}")
        return self


# ---------------------------------------------------------------------------------------------
# Shape arithmetic

C, K, S, P, D, F = sym("C"), sym("K"), sym("S"), sym("P"), sym("D"), sym("F")


def _axis_padding(padding, axis: int, size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """Padding (before, after) on one axis. 'same' pads so that the output is ⌈size / s⌉,
    the odd pixel going after (bottom/right), as TensorFlow does."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
        return total // 2, total - total // 2
    p = _pair(padding)[axis]
    return p, p


def _size_step(title: str, axis_name: str, size, k, s, pad, d, same: bool, value: int) -> Step:
    X = sym(axis_name)
    if same:
        return Step(title, lhs=sym(f"{axis_name}_out"), formula=call("ceil", X / S),
                    substitution=call("ceil", num(size) / num(s)), value=value,
                    note=f"padding 'same': {pad[0] + pad[1]} in all on this axis ({pad[0]} before, {pad[1]} after)")
    if d != 1:
        formula = call("floor", (X + 2 * P - D * (K - 1) - 1) / S) + 1
        inner = num(size) + dot(2, pad[0]) - dot(d, num(k) - 1) - 1
    else:
        formula = call("floor", (X + 2 * P - K) / S) + 1
        inner = num(size) + dot(2, pad[0]) - num(k)
    return Step(title, lhs=sym(f"{axis_name}_out"), formula=formula,
                substitution=call("floor", inner / num(s)) + 1, value=value)


def _spatial(label, layer, field, shape, kernel, stride, dilation, what, steps) -> tuple[int, int]:
    """Output height and width of a sliding-window layer, with a step per distinct axis."""
    same = layer.padding == "same"
    axes = []
    for axis in (0, 1):
        size, k, s, d = shape[axis], kernel[axis], stride[axis], dilation[axis]
        pad = _axis_padding(layer.padding, axis, size, k, s, d)
        span = d * (k - 1) + 1
        if size + pad[0] + pad[1] < span:
            raise SolveError(f"{layer.type}: the {what} spans {span} pixels but its padded input is only "
                             f"{size + pad[0] + pad[1]} ({size} + {pad[0]} + {pad[1]}); nothing to slide it over",
                             field=f"{field}.{what}")
        axes.append((size, k, s, pad, d))
    out = [(size + pad[0] + pad[1] - d * (k - 1) - 1) // s + 1 for size, k, s, pad, d in axes]
    title = f"Layer {label} ({layer.type}): output"
    if axes[0] == axes[1]:
        steps.append(_size_step(f"{title} height and width", "H", *axes[0], same, out[0]))
    else:
        steps.append(_size_step(f"{title} height", "H", *axes[0], same, out[0]))
        steps.append(_size_step(f"{title} width", "W", *axes[1], same, out[1]))
    return out[0], out[1]


@dataclasses.dataclass
class _Row:
    """One row of the table: a layer (inside a residual block too) and what it gives."""

    label: str
    shape: tuple[int, ...]
    params: int
    macs: int
    layer: Any = None  # lets the variants recount it


@dataclasses.dataclass
class _Walk:
    """What a walk through the layers collects besides the steps."""

    show_macs: bool
    rows: list[_Row] = dataclasses.field(default_factory=list)
    flatten_size: int | None = None
    used_same: bool = False


def _shape_text(shape: tuple[int, ...]) -> str:
    return " × ".join(str(s) for s in shape)


def _needs_image(layer, shape, field) -> None:
    if len(shape) != 3:
        raise SolveError(f"{layer.type}: needs a height × width × channels input, "
                         f"but its input is {_shape_text(shape)}", field=field)


def _conv(layer, shape, label, field, walk, steps) -> tuple[tuple[int, ...], int, int]:
    _needs_image(layer, shape, field)
    c_in = shape[2]
    kernel, stride, dilation = _pair(layer.kernel), _pair(layer.stride), _pair(layer.dilation)
    if isinstance(layer, DepthwiseConv2d):
        groups, filters = c_in, c_in * layer.multiplier
    else:
        groups, filters = layer.groups, layer.filters
        if c_in % groups or filters % groups:
            raise SolveError(f"conv2d: groups = {groups} must divide both the input channels ({c_in}) "
                             f"and the filters ({filters})", field=f"{field}.groups")
    walk.used_same |= layer.padding == "same"
    h_out, w_out = _spatial(label, layer, field, shape, kernel, stride, dilation, "kernel", steps)
    per_filter = kernel[0] * kernel[1] * (c_in // groups)
    params = per_filter * filters + (filters if layer.bias else 0)
    macs = h_out * w_out * filters * per_filter
    # Per filter K·K·C_in/g weights (K·K for a depthwise kernel, which sees one channel).
    window = K * K if kernel[0] == kernel[1] else sym("K_h") * sym("K_w")
    depthwise = groups == c_in and groups > 1
    per_filter_formula = window if depthwise else window * sym("C_in") / sym("g") if groups > 1 \
        else window * sym("C_in")
    factors = kernel if depthwise else (*kernel, c_in // groups)
    formula, substitution = ((per_filter_formula + 1) * F, (dot(*factors) + 1) * num(filters)) if layer.bias \
        else (per_filter_formula * F, dot(*factors, filters))
    steps.append(Step(f"Layer {label} ({layer.type}): parameters", lhs=sym("params"), formula=formula,
                      substitution=substitution, value=params,
                      note=f"depthwise: each of the F = {filters} kernels sees one input channel"
                      if depthwise else None))
    if walk.show_macs:
        steps.append(Step(f"Layer {label} ({layer.type}): multiply-accumulates", lhs=sym("MACs"),
                          formula=sym("H_out") * sym("W_out") * F * per_filter_formula,
                          substitution=dot(h_out, w_out, filters, *factors), value=macs))
    return (h_out, w_out, filters), params, macs


def _layer(layer, shape, label, field, walk, steps) -> tuple[tuple[int, ...], int, int]:
    """One (non-residual) layer: its output shape, parameters and MACs."""
    if isinstance(layer, (Conv2d, DepthwiseConv2d)):
        return _conv(layer, shape, label, field, walk, steps)
    if isinstance(layer, Pool):
        _needs_image(layer, shape, field)
        window = _pair(layer.window)
        stride = _pair(layer.stride) if layer.stride is not None else window
        if layer.padding not in ("same", "valid") and any(2 * p > k for p, k in zip(_pair(layer.padding), window)):
            raise SolveError(f"{layer.type}: padding {layer.padding} is more than half the window {layer.window}",
                             field=f"{field}.padding")
        walk.used_same |= layer.padding == "same"
        h_out, w_out = _spatial(label, layer, field, shape, window, stride, (1, 1), "window", steps)
        return (h_out, w_out, shape[2]), 0, 0
    if isinstance(layer, GlobalAvgPool):
        _needs_image(layer, shape, field)
        steps.append(Step(f"Layer {label} (global_avg_pool): one average per channel", value=shape[2]))
        return (shape[2],), 0, 0
    if isinstance(layer, Flatten):
        size = math.prod(shape)
        if len(shape) == 3:
            steps.append(Step(f"Layer {label} (flatten): flattened size", lhs=sym("n"),
                              formula=sym("H") * sym("W") * C, substitution=dot(*shape), value=size))
        if walk.flatten_size is None:
            walk.flatten_size = size
        return (size,), 0, 0
    if isinstance(layer, Dense):
        if len(shape) != 1:
            raise SolveError(f"dense: its input is {_shape_text(shape)}; add a flatten "
                             f"(or global_avg_pool) layer before it", field=field)
        n_in, n_out = shape[0], layer.units
        params = n_in * n_out + (n_out if layer.bias else 0)
        formula = sym("n_in") * sym("n_out")
        substitution = dot(n_in, n_out)
        if layer.bias:
            formula, substitution = formula + sym("n_out"), substitution + n_out
        steps.append(Step(f"Layer {label} (dense): parameters", lhs=sym("params"), formula=formula,
                          substitution=substitution, value=params))
        return (n_out,), params, n_in * n_out
    if isinstance(layer, BatchNorm):
        channels = shape[-1]
        steps.append(Step(f"Layer {label} (batch_norm): parameters", lhs=sym("params"), formula=2 * C,
                          substitution=dot(2, channels), value=2 * channels,
                          note=f"γ and β per channel are learnable; the running mean and variance "
                               f"({2 * channels} more numbers) are not"))
        return shape, 2 * channels, 0
    return shape, 0, 0  # Dropout, Activation: the shape passes through, nothing to learn


def _residual(block: Residual, shape, label, field, walk, steps) -> tuple[tuple[int, ...], int]:
    """A residual block: inner layers go to the table; one summary step for the whole block."""
    first = len(walk.rows)
    main, _ = _walk(block.layers, shape, f"{label}.", f"{field}.layers", walk, [])
    n_main = len(walk.rows)
    short = shape
    if block.shortcut:
        short, _ = _walk(block.shortcut, shape, f"{label}.s", f"{field}.shortcut", walk, [])
    if main != short:
        kind = "shortcut" if block.shortcut else "identity shortcut (no 'shortcut' given)"
        raise SolveError(f"residual: the main path gives {_shape_text(main)} but the {kind} gives "
                         f"{_shape_text(short)}; they must agree to be added", field=field)
    inner = [r.params for r in walk.rows[first:] if r.params]
    params = sum(inner)
    walk.rows.append(_Row(f"{label} {block.name or 'residual'} (add)", main, 0, 0))
    main_params = sum(r.params for r in walk.rows[first:n_main])
    how = f"projection shortcut ({params - main_params:,})" if block.shortcut else "identity shortcut"
    steps.append(Step(f"Layer {label} (residual block): parameters", lhs=sym("params"),
                      substitution=add(*inner) if len(inner) > 1 else None, value=params,
                      note=f"main path ({len(block.layers)} layers, {main_params:,}) + {how} → "
                           f"{_shape_text(main)}; rows {label}.x of the table"))
    return main, params


def _walk(layers, shape, prefix, path, walk: _Walk, steps) -> tuple[tuple[int, ...], list]:
    """Apply ``layers`` to ``shape``; returns the final shape and (shape, params) after each layer."""
    after = []
    for i, layer in enumerate(layers, start=1):
        label, field = f"{prefix}{i}", f"{path}[{i - 1}]"
        if isinstance(layer, Residual):
            shape, params = _residual(layer, shape, label, field, walk, steps)
        else:
            shape, params, macs = _layer(layer, shape, label, field, walk, steps)
            walk.rows.append(_Row(f"{label} {layer.name or layer.type}", shape, params, macs, layer))
        after.append((shape, params))
    return shape, after


def _analyse(spec: Spec, steps: list[Step]) -> tuple[_Walk, list]:
    walk = _Walk(show_macs=spec.ask == "total_macs")
    _, after = _walk(spec.layers, tuple(spec.input), "", "layers", walk, steps)
    return walk, after


def solve(spec: Spec) -> Solution:
    steps: list[Step] = []
    walk, after = _analyse(spec, steps)
    rows = walk.rows
    total = sum(r.params for r in rows)
    total_macs = sum(r.macs for r in rows)
    output_shape = rows[-1].shape

    table = Table("Layer by layer", ("Layer", "Output shape", "Parameters", "MACs"),
                  tuple((r.label, r.shape, r.params, r.macs) for r in rows) + (("Total", None, total, total_macs),))
    terms = [params for _, params in after if params]
    steps.append(Step("Total learnable parameters", lhs=sym("total"),
                      substitution=add(*terms) if len(terms) > 1 else None, value=total))
    if spec.ask == "total_macs":
        terms = [r.macs for r in rows if r.macs]
        steps.append(Step("Total multiply-accumulates", lhs=sym("MACs"),
                          substitution=add(*terms) if 1 < len(terms) <= 30 else None, value=total_macs))

    answers: dict[str, Answer] = {
        "total_params": Answer(total, "Total learnable parameters"),
        "trainable_params": Answer(total, "Trainable parameters"),
    }
    if walk.flatten_size is not None:
        answers["flatten_size"] = Answer(walk.flatten_size, "Flattened size")
    answers["output_size"] = Answer(math.prod(output_shape), "Output size")
    answers["output_shape"] = Answer(output_shape, "Output shape")
    answers["total_macs"] = Answer(total_macs, "Multiply-accumulates per image")
    primary = spec.ask
    if spec.ask == "shape_after":
        primary = f"shape_after_layer_{spec.layer}"
        answers[primary] = Answer(after[spec.layer - 1][0], f"Shape after layer {spec.layer}")
    if primary not in answers:
        raise SolveError(f"{spec.ask} asked for, but this network has no flatten layer", field="ask")

    assumptions = [
        "Shapes are height × width × channels; a convolution's output size is ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1.",
        "Learnable parameters are weights and biases; a bias per filter or unit unless 'bias: false'.",
        "MACs count multiply-accumulates for one image (1 MAC = 1 multiplication + 1 addition ≈ 2 FLOPs); "
        "pooling, activations and residual additions count none.",
    ]
    if walk.used_same:
        assumptions.append("Padding 'same' follows TensorFlow/Keras: the output is ⌈H/S⌉, padded with "
                           "max((⌈H/S⌉ − 1)·S + D(K − 1) + 1 − H, 0) in all, the odd pixel at the bottom/right "
                           "(PyTorch allows 'same' only with stride 1, where the two agree).")
    if any(isinstance(r.layer, BatchNorm) for r in rows):
        assumptions.append("Batch normalization counts γ and β as learnable; Keras's 'Total params' also "
                           "counts the running mean and variance.")
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=(*steps, table),
                    assumptions=tuple(assumptions))


# ---------------------------------------------------------------------------------------------
# Common mistakes

def _changed(spec: Spec, change) -> Spec | None:
    """``spec`` with ``change(layer)`` applied to every layer, inside residual blocks too
    (``change`` returns the layer, a replacement, or None to drop it); None if nothing changed."""
    def apply(layers):
        out = []
        for layer in layers:
            if isinstance(layer, Residual):
                layer = layer.model_copy(update={"layers": apply(layer.layers),
                                                 "shortcut": apply(layer.shortcut) if layer.shortcut else None})
            new = change(layer)
            if new is not None:
                out.append(new)
        return out

    layers = apply(spec.layers)
    if layers == list(spec.layers) or not layers:
        return None
    return spec.model_copy(update={"layers": layers})


def _answers_of(spec: Spec | None) -> dict | None:
    try:
        return spec and {name: a.value for name, a in solve(spec).answers.items()}
    except SolveError:  # the mistake makes the network impossible: nobody would get a number from it
        return None


def variants(spec: Spec) -> Iterator[Variant]:
    """Mistakes students commonly make when counting parameters and shapes."""
    is_conv = lambda l: isinstance(l, (Conv2d, DepthwiseConv2d))  # noqa: E731
    candidates = [
        ("forgot the biases (counted weights only)",
         _changed(spec, lambda l: l.model_copy(update={"bias": False}) if getattr(l, "bias", False) else l)),
        ("forgot the pooling layer (used the convolution's output size)",
         _changed(spec, lambda l: None if isinstance(l, Pool) else l)),
        ("used 'same' padding where the question has no padding",
         _changed(spec, lambda l: l.model_copy(update={"padding": "same"})
                  if is_conv(l) and l.padding in (0, "valid") and max(_pair(l.kernel)) > 1 else l)),
        ("used no padding where the question says 'same'",
         _changed(spec, lambda l: l.model_copy(update={"padding": 0}) if is_conv(l) and l.padding == "same" else l)),
    ]
    right = _answers_of(spec)
    for mistake, changed in candidates:
        answers = _answers_of(changed)
        if answers is not None and answers != right:  # e.g. a 1×1 pooling forgotten changes nothing
            yield Variant(mistake, answers)

    # Recounts of single layers: {row index: the parameters a student would count for it}.
    walk, _ = _analyse(spec, [])
    rows = walk.rows
    recounts = [
        ("left the input channels out of the convolution's weights (K·K·F instead of K·K·C·F)",
         {i: math.prod(_pair(r.layer.kernel)) * r.layer.filters + (r.layer.filters if r.layer.bias else 0)
          for i, r in enumerate(rows) if isinstance(r.layer, Conv2d)}),
        ("counted batch normalization's running mean and variance as learnable (4 per channel)",
         {i: 2 * r.params for i, r in enumerate(rows) if isinstance(r.layer, BatchNorm)}),
    ]
    dense = [i for i, r in enumerate(rows) if isinstance(r.layer, Dense)]
    for before, i in zip(dense, dense[1:]):
        units, wrong_units = rows[i].layer.units, rows[before].layer.units
        if rows[i].layer.bias and units != wrong_units:
            recounts.append((f"added the previous layer's {wrong_units} biases instead of this layer's {units} "
                             f"(layer {rows[i].label.split()[0]})", {i: rows[i].params - units + wrong_units}))
    total = sum(r.params for r in rows)
    for mistake, recount in recounts:
        wrong = total + sum(params - rows[i].params for i, params in recount.items())
        if wrong != total:
            yield Variant(mistake, {"total_params": wrong, "trainable_params": wrong})
