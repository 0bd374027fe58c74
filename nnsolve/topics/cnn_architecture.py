"""CNN architecture: output shape, parameter count and multiply-accumulates of every layer.

Shapes follow the exam convention height × width × channels. Output sizes use
⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1 (PyTorch's formula; with D = 1 it is the familiar
⌊(H + 2P − K) / S⌋ + 1). A layer that cannot apply is an error naming the layer.
"""

from __future__ import annotations

import math
from typing import Annotated, Iterator, Literal, Union

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from .. import limits
from ..errors import SolveError
from ..expr import Expr, call, dot, num, sym
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import Count, NonNegative, ProblemBase, Strict

TOPIC = "cnn_architecture"
SUMMARY = "CNN output shapes, learnable parameters and multiply-accumulates, layer by layer"
EXAMPLE = "problems/seed/s03-cnn-params.yaml"

Pair = Union[Count, Annotated[list[Count], Field(min_length=2, max_length=2)]]
Padding = Union[NonNegative, Annotated[list[NonNegative], Field(min_length=2, max_length=2)], Literal["same", "valid"]]


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


class Conv2d(Strict):
    """A 2-D convolution with ``filters`` output channels."""

    type: Literal["conv2d"]
    name: str | None = None
    filters: Count
    kernel: Pair
    stride: Pair = 1
    padding: Padding = 0
    dilation: Pair = 1
    groups: Count = 1
    bias: StrictBool = True


class DepthwiseConv2d(Strict):
    """A depthwise convolution: each input channel convolved with its own ``multiplier`` kernels."""

    type: Literal["depthwise_conv2d"]
    name: str | None = None
    kernel: Pair
    multiplier: Count = 1
    stride: Pair = 1
    padding: Padding = 0
    dilation: Pair = 1
    bias: StrictBool = True


class Pool(Strict):
    """Max or average pooling; the stride defaults to the window."""

    type: Literal["max_pool", "avg_pool"]
    name: str | None = None
    window: Pair
    stride: Pair | None = None
    padding: Padding = 0


class GlobalAvgPool(Strict):
    type: Literal["global_avg_pool"]
    name: str | None = None


class Flatten(Strict):
    type: Literal["flatten"]
    name: str | None = None


class Dense(Strict):
    """A fully connected layer."""

    type: Literal["dense"]
    name: str | None = None
    units: Count
    bias: StrictBool = True
    activation: str | None = Field(default=None, max_length=40)


class BatchNorm(Strict):
    """Batch normalization: γ and β are learnable; the running mean and variance are not."""

    type: Literal["batch_norm"]
    name: str | None = None


class Dropout(Strict):
    type: Literal["dropout"]
    name: str | None = None
    rate: Annotated[float, Field(ge=0, lt=1)] = 0.5


class Activation(Strict):
    type: Literal["activation"]
    name: str | None = None
    function: Literal["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "elu", "gelu", "linear"]


Layer = Annotated[
    Union[Conv2d, DepthwiseConv2d, Pool, GlobalAvgPool, Flatten, Dense, BatchNorm, Dropout, Activation],
    Field(discriminator="type"),
]

Ask = Literal["total_params", "trainable_params", "flatten_size", "output_size", "output_shape",
              "total_macs", "shape_after"]


class Spec(ProblemBase):
    """A CNN given as an input shape and a list of layers, and what the question asks for."""

    topic: Literal["cnn_architecture"]
    input: Annotated[list[Count], Field(min_length=1, max_length=3)] = Field(
        description="[height, width, channels] as exams state it, or [features] for a dense-only network")
    layers: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)]
    ask: Ask = "total_params"
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
            raise ValueError(f"ask: shape_after needs 'layer', a layer number from 1 to {len(self.layers)}")
        return self


# ---------------------------------------------------------------------------------------------
# Shape arithmetic

H, W, C = sym("H"), sym("W"), sym("C")
K, S, P, D, F = sym("K"), sym("S"), sym("P"), sym("D"), sym("F")


def _padding(padding, kernel: tuple[int, int], dilation: tuple[int, int],
             field: str | None = None) -> tuple[tuple[int, int], str | None]:
    """Explicit padding per axis. 'same' is symmetric padding D·(K−1)/2 and needs it to be whole."""
    if padding == "valid":
        return (0, 0), None
    if padding == "same":
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            if total % 2:
                raise SolveError(f"padding 'same' with an even kernel ({k}) needs uneven padding; give it as a number",
                                 field=field)
            pads.append(total // 2)
        return (pads[0], pads[1]), "same"
    p = _pair(padding)
    return p, None


def _out_size(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def _size_formula(dilated: bool) -> Expr:
    inner = (H + 2 * P - D * (K - 1) - 1) if dilated else (H + 2 * P - K)
    return call("floor", inner / S) + 1


def _size_substitution(size, kernel, stride, pad, dilation) -> Expr:
    if dilation != 1:
        inner = num(size) + dot(2, pad) - dot(dilation, num(kernel) - 1) - 1
    else:
        inner = num(size) + dot(2, pad) - num(kernel)
    return call("floor", inner / num(stride)) + 1


class _Row:
    """One layer's results, for the table."""

    def __init__(self, label: str, shape: tuple[int, ...], params: int, macs: int, trainable: int | None = None):
        self.label, self.shape, self.params, self.macs = label, shape, params, macs
        self.trainable = params if trainable is None else trainable


def _layer_label(i: int, layer) -> str:
    kind = layer.type
    return f"{i}. {layer.name or kind}"


def _spatial(i: int, layer, shape, kernel, stride, pad, dilation, steps: list[Step], what: str) -> tuple[int, int]:
    """Output height and width of a sliding-window layer, with a step per distinct axis."""
    h, w = shape[0], shape[1]
    out = []
    for axis, size in enumerate((h, w)):
        k, s, p, d = kernel[axis], stride[axis], pad[axis], dilation[axis]
        if size + 2 * p < d * (k - 1) + 1:
            span = d * (k - 1) + 1
            raise SolveError(f"{layer.type}: the {what} spans {span} pixels but its padded input "
                             f"is only {size + 2 * p} ({size} + 2·{p}); nothing to slide it over", field=f"layers[{i - 1}]")
        out.append(_out_size(size, k, s, p, d))
    same_axes = h == w and kernel[0] == kernel[1] and stride[0] == stride[1] and pad[0] == pad[1]
    axes = [("H", 0)] if same_axes else [("H", 0), ("W", 1)]
    for name, axis in axes:
        lhs = sym(f"{name}_out")
        size = (h, w)[axis]
        formula = _size_formula(dilation[axis] != 1)
        if name == "W":
            formula = call("floor", (W + 2 * P - K) / S) + 1
        steps.append(Step(f"Layer {i} ({layer.type}): output {'height and width' if same_axes else ('height' if name == 'H' else 'width')}",
                          lhs=lhs, formula=formula,
                          substitution=_size_substitution(size, kernel[axis], stride[axis], pad[axis], dilation[axis]),
                          value=out[axis]))
    return out[0], out[1]


def _analyse(spec: Spec) -> tuple[list[_Row], list[Step], list[str], int | None]:
    """Walk the layers: shapes, parameters and MACs, with the steps that show them."""
    steps: list[Step] = []
    notes: list[str] = []
    rows: list[_Row] = []
    shape: tuple[int, ...] = tuple(spec.input)
    flatten_size: int | None = None
    for i, layer in enumerate(spec.layers, start=1):
        label = _layer_label(i, layer)
        if isinstance(layer, (Conv2d, DepthwiseConv2d)):
            if len(shape) != 3:
                raise SolveError(f"{layer.type}: needs a height × width × channels input, "
                                 f"but its input is {_shape_text(shape)}", field=f"layers[{i - 1}]")
            c_in = shape[2]
            kernel, stride, dilation = _pair(layer.kernel), _pair(layer.stride), _pair(layer.dilation)
            pad, same = _padding(layer.padding, kernel, dilation, f"layers[{i - 1}].padding")
            if isinstance(layer, DepthwiseConv2d):
                groups, filters = c_in, c_in * layer.multiplier
            else:
                groups, filters = layer.groups, layer.filters
                if c_in % groups or filters % groups:
                    raise SolveError(f"conv2d: groups = {groups} must divide both the input "
                                     f"channels ({c_in}) and the filters ({filters})", field=f"layers[{i - 1}].groups")
            h_out, w_out = _spatial(i, layer, shape, kernel, stride, pad, dilation, steps, "kernel")
            per_filter = kernel[0] * kernel[1] * (c_in // groups)
            weights = per_filter * filters
            biases = filters if layer.bias else 0
            params = weights + biases
            macs = h_out * w_out * filters * per_filter
            window = K * K if kernel[0] == kernel[1] else sym("K_h") * sym("K_w")
            per_channel = sym("C_in") if groups == 1 else sym("C_in") / sym("g")
            if layer.bias:
                formula = (window * per_channel + 1) * F
                substitution = (dot(kernel[0], kernel[1], c_in // groups) + 1) * num(filters)
            else:
                formula = window * per_channel * F
                substitution = dot(kernel[0], kernel[1], c_in // groups, filters)
            steps.append(Step(f"Layer {i} ({layer.type}): parameters", lhs=sym("params"), formula=formula,
                              substitution=substitution, value=params,
                              note=("depthwise: one kernel per input channel" if isinstance(layer, DepthwiseConv2d) else None)))
            if same:
                notes.append(f"layer {i}: padding 'same' is {pad[0]} on each side (stride 1 keeps the size)")
            shape = (h_out, w_out, filters)
            rows.append(_Row(label, shape, params, macs))
        elif isinstance(layer, Pool):
            if len(shape) != 3:
                raise SolveError(f"{layer.type}: needs a height × width × channels input, "
                                 f"but its input is {_shape_text(shape)}", field=f"layers[{i - 1}]")
            window = _pair(layer.window)
            stride = _pair(layer.stride) if layer.stride is not None else window
            pad, _ = _padding(layer.padding, window, (1, 1), f"layers[{i - 1}].padding")
            if any(p * 2 > k for p, k in zip(pad, window)):
                raise SolveError(f"{layer.type}: padding {pad[0]} is more than half the window {window[0]}",
                                 field=f"layers[{i - 1}].padding")
            h_out, w_out = _spatial(i, layer, shape, window, stride, pad, (1, 1), steps, "window")
            shape = (h_out, w_out, shape[2])
            rows.append(_Row(label, shape, 0, 0))
        elif isinstance(layer, GlobalAvgPool):
            if len(shape) != 3:
                raise SolveError(f"global_avg_pool: needs a height × width × channels input",
                                 field=f"layers[{i - 1}]")
            shape = (shape[2],)
            steps.append(Step(f"Layer {i} (global_avg_pool): one average per channel", value=shape[0]))
            rows.append(_Row(label, shape, 0, 0))
        elif isinstance(layer, Flatten):
            size = math.prod(shape)
            if len(shape) == 3:
                steps.append(Step(f"Layer {i} (flatten): flattened size", lhs=sym("n"), formula=H * W * C,
                                  substitution=dot(*shape), value=size))
            if flatten_size is None:
                flatten_size = size
            shape = (size,)
            rows.append(_Row(label, shape, 0, 0))
        elif isinstance(layer, Dense):
            if len(shape) != 1:
                raise SolveError(f"dense: its input is {_shape_text(shape)}; add a flatten "
                                 f"(or global_avg_pool) layer before it", field=f"layers[{i - 1}]")
            n_in = shape[0]
            params = n_in * layer.units + (layer.units if layer.bias else 0)
            formula = (sym("n_in") * sym("n_out") + sym("n_out")) if layer.bias else sym("n_in") * sym("n_out")
            substitution = (dot(n_in, layer.units) + layer.units) if layer.bias else dot(n_in, layer.units)
            steps.append(Step(f"Layer {i} (dense): parameters", lhs=sym("params"), formula=formula,
                              substitution=substitution, value=params))
            shape = (layer.units,)
            rows.append(_Row(label, shape, params, n_in * layer.units))
        elif isinstance(layer, BatchNorm):
            channels = shape[-1]
            steps.append(Step(f"Layer {i} (batch_norm): parameters", lhs=sym("params"), formula=2 * C,
                              substitution=dot(2, channels), value=2 * channels,
                              note=f"γ and β per channel are learnable; the running mean and variance "
                                   f"({2 * channels} more numbers) are not"))
            rows.append(_Row(label, shape, 2 * channels, 0))
        else:  # Dropout, Activation: the shape passes through, nothing to learn
            rows.append(_Row(label, shape, 0, 0))
    return rows, steps, notes, flatten_size


def _shape_text(shape: tuple[int, ...]) -> str:
    return " × ".join(str(s) for s in shape)


def solve(spec: Spec) -> Solution:
    rows, steps, notes, flatten_size = _analyse(spec)
    total = sum(r.params for r in rows)
    trainable = sum(r.trainable for r in rows)
    total_macs = sum(r.macs for r in rows)
    output_shape = rows[-1].shape
    output_size = math.prod(output_shape)

    table = Table("Layer by layer", ("Layer", "Output shape", "Parameters", "MACs"),
                  tuple((r.label, r.shape, r.params, r.macs) for r in rows)
                  + (("Total", None, total, total_macs),))
    param_rows = [r for r in rows if r.params]
    steps.append(Step("Total learnable parameters", lhs=sym("total"),
                      substitution=_sum_expr([r.params for r in param_rows]) if len(param_rows) > 1 else None,
                      value=total))

    answers: dict[str, Answer] = {
        "total_params": Answer(total, "Total learnable parameters"),
        "trainable_params": Answer(trainable, "Trainable parameters"),
    }
    if flatten_size is not None:
        answers["flatten_size"] = Answer(flatten_size, "Flattened size")
    answers["output_size"] = Answer(output_size, "Output size")
    answers["output_shape"] = Answer(output_shape, "Output shape")
    answers["total_macs"] = Answer(total_macs, "Multiply-accumulates per image")
    primary = spec.ask
    if spec.ask == "shape_after":
        primary = f"shape_after_layer_{spec.layer}"
        answers[primary] = Answer(rows[spec.layer - 1].shape, f"Shape after layer {spec.layer}")
    if primary not in answers:
        raise SolveError(f"{spec.ask} asked for, but this network has no flatten layer", field="ask")

    assumptions = [
        "Shapes are height × width × channels; a convolution's output size is ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1.",
        "Learnable parameters are weights and biases; a bias per filter or unit unless 'bias: false'.",
        "MACs count multiply-accumulates for one image (1 MAC = 1 multiplication + 1 addition ≈ 2 FLOPs).",
        *notes,
    ]
    if any(isinstance(l, BatchNorm) for l in spec.layers):
        assumptions.append("Batch normalization counts γ and β as learnable; Keras's 'Total params' also counts the running mean and variance.")
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=(*steps, table),
                    assumptions=tuple(assumptions))


def _sum_expr(values: list[int]) -> Expr:
    from ..expr import add

    return add(*[num(v) for v in values])


# ---------------------------------------------------------------------------------------------
# Common mistakes

def _without(spec: Spec, predicate) -> Spec | None:
    layers = [l for l in spec.layers if not predicate(l)]
    if len(layers) == len(spec.layers) or not layers:
        return None
    return spec.model_copy(update={"layers": layers})


def _replace_layers(spec: Spec, change) -> Spec | None:
    layers = [change(l) for l in spec.layers]
    if layers == list(spec.layers):
        return None
    return spec.model_copy(update={"layers": layers})


def _answers_of(spec: Spec | None) -> dict | None:
    if spec is None:
        return None
    try:
        return {name: a.value for name, a in solve(spec).answers.items()}
    except SolveError:
        return None


def variants(spec: Spec) -> Iterator[Variant]:
    """Mistakes students commonly make when counting parameters and shapes."""
    candidates = [
        ("forgot the biases (counted weights only)",
         _replace_layers(spec, lambda l: l.model_copy(update={"bias": False}) if hasattr(l, "bias") else l)),
        ("forgot the pooling layer (used the convolution's output size)",
         _without(spec, lambda l: isinstance(l, Pool))),
        ("used 'same' padding where the question has no padding",
         _replace_layers(spec, lambda l: l.model_copy(update={"padding": "same"})
                         if isinstance(l, (Conv2d, DepthwiseConv2d)) and l.padding in (0, "valid")
                         and all(k % 2 for k in _pair(l.kernel)) else l)),
    ]
    for mistake, changed in candidates:
        answers = _answers_of(changed)
        if answers is not None:
            yield Variant(mistake, answers)
    # Counting a convolution's weights as K·K·F, leaving out the input channels.
    rows, *_ = _analyse(spec)
    total = 0
    shape = tuple(spec.input)
    for layer, row in zip(spec.layers, rows):
        if isinstance(layer, Conv2d) and len(shape) == 3:
            k = _pair(layer.kernel)
            total += k[0] * k[1] * layer.filters + (layer.filters if layer.bias else 0)
        else:
            total += row.params
        shape = row.shape
    if total != sum(r.params for r in rows):
        yield Variant("left the input channels out of the convolution's weights (K·K·F instead of K·K·C·F)",
                      {"total_params": total, "trainable_params": total})
    # Counting the bias once per layer instead of once per unit of the next layer.
    for layer_index, layer in enumerate(spec.layers):
        if isinstance(layer, Dense) and layer.bias and layer_index > 0:
            prev_units = next((l.units for l in reversed(spec.layers[:layer_index]) if isinstance(l, Dense)), None)
            if prev_units and prev_units != layer.units:
                wrong = sum(r.params for r in rows) - layer.units + prev_units
                yield Variant(f"added the previous layer's {prev_units} biases instead of this layer's "
                              f"{layer.units} (layer {layer_index + 1})",
                              {"total_params": wrong, "trainable_params": wrong})
