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

from pydantic import Field, StrictInt, field_validator, model_validator

from .. import limits
from ..errors import SolveError
from ..expr import add, sym
from ..layers import (Activation, AvgPool, BatchNorm, Conv2d, ConvTranspose2d, DepthwiseConv2d, Dense, Dropout, Flatten, GlobalAvgPool,
                      MaxPool, Site)
from ..layers.base import Shape, shape_text
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import Count, FieldError, ProblemBase, Strict

TOPIC = "cnn_architecture"
SUMMARY = "CNN output shapes, learnable parameters and multiply-accumulates, layer by layer"
EXAMPLE = "problems/seed/s03-cnn-params.yaml"

class Residual(Strict):
    """A residual block: output = main path (``layers``) + ``shortcut`` (identity when absent)."""

    type: Literal["residual"] = Field(description="residual: a block whose output is its main path plus a shortcut")
    name: str | None = Field(default=None, max_length=100, description="shown in the table instead of the type")
    layers: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)] = Field(
        description="the main path, in order")
    shortcut: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)] | None = Field(
        default=None, description="the shortcut's layers (e.g. a 1×1 conv2d and batch_norm); the identity when absent")


Layer = Annotated[
    Union[Conv2d, ConvTranspose2d, DepthwiseConv2d, MaxPool, AvgPool, GlobalAvgPool, Flatten, Dense, BatchNorm, Dropout, Activation,
          Residual],
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
# The walk: every layer counted by its own definition (nnsolve.layers), in PyTorch's C × H × W;
# shapes are shown, and read from the file, as the exam writes them: H × W × C.

def _internal(shape) -> Shape:
    return (shape[2], shape[0], shape[1]) if len(shape) == 3 else tuple(shape)


def _exam(shape: Shape) -> Shape:
    return (shape[1], shape[2], shape[0]) if len(shape) == 3 else shape


@dataclasses.dataclass
class _Row:
    """One row of the table: a layer (inside a residual block too) and what it gives."""

    label: str
    shape: tuple[int, ...]  # as the exam writes it
    params: int
    macs: int
    layer: Any = None  # lets the variants recount it
    given: Shape = ()  # its input shape (C × H × W)


@dataclasses.dataclass
class _Walk:
    """What a walk through the layers collects besides the steps."""

    show_macs: bool
    rows: list[_Row] = dataclasses.field(default_factory=list)
    flatten_size: int | None = None
    used_same: bool = False


def _residual(block: Residual, shape, label, field, walk, steps) -> tuple[Shape, int]:
    """A residual block: inner layers go to the table; one summary step for the whole block."""
    first = len(walk.rows)
    main, _ = _walk(block.layers, shape, f"{label}.", f"{field}.layers", walk, [])
    n_main = len(walk.rows)
    short = shape
    if block.shortcut:
        short, _ = _walk(block.shortcut, shape, f"{label}.s", f"{field}.shortcut", walk, [])
    if main != short:
        kind = "shortcut" if block.shortcut else "identity shortcut (no 'shortcut' given)"
        raise SolveError(f"residual: the main path gives {shape_text(_exam(main))} but the {kind} gives "
                         f"{shape_text(_exam(short))}; they must agree to be added", field=field)
    inner = [r.params for r in walk.rows[first:] if r.params]
    params = sum(inner)
    walk.rows.append(_Row(f"{label} {block.name or 'residual'} (add)", _exam(main), 0, 0))
    main_params = sum(r.params for r in walk.rows[first:n_main])
    how = f"projection shortcut ({params - main_params:,})" if block.shortcut else "identity shortcut"
    steps.append(Step(f"Layer {label} (residual block): parameters", lhs=sym("params"),
                      substitution=add(*inner) if len(inner) > 1 else None, value=params,
                      note=f"main path ({len(block.layers)} layers, {main_params:,}) + {how} → "
                           f"{shape_text(_exam(main))}; rows {label}.x of the table"))
    return main, params


def _walk(layers, shape, prefix, path, walk: _Walk, steps) -> tuple[Shape, list]:
    """Apply ``layers`` to ``shape``; returns the final shape and (shape, params) after each layer."""
    after = []
    for i, layer in enumerate(layers, start=1):
        label, field = f"{prefix}{i}", f"{path}[{i - 1}]"
        if isinstance(layer, Residual):
            shape, params = _residual(layer, shape, label, field, walk, steps)
        else:
            count = layer.count(shape, site=Site(label, field, channels_last=True))
            steps.extend(count.steps)
            if walk.show_macs:
                steps.extend(count.mac_steps)
            walk.used_same |= getattr(layer, "padding", None) == "same"
            if isinstance(layer, Flatten) and walk.flatten_size is None:
                walk.flatten_size = count.shape[0]
            walk.rows.append(_Row(f"{label} {layer.name or layer.type}", _exam(count.shape), count.params,
                                  count.macs, layer, shape))
            shape, params = count.shape, count.params
        after.append((_exam(shape), params))
    return shape, after


def _analyse(spec: Spec, steps: list[Step]) -> tuple[_Walk, list]:
    walk = _Walk(show_macs=spec.ask == "total_macs")
    _, after = _walk(spec.layers, _internal(spec.input), "", "layers", walk, steps)
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
         _changed(spec, lambda l: l.model_copy(update={"bias": False}) if getattr(l, "bias", False) is not False
                  else l)),
        ("forgot the pooling layer (used the convolution's output size)",
         _changed(spec, lambda l: None if isinstance(l, (MaxPool, AvgPool)) else l)),
        ("used 'same' padding where the question has no padding",
         _changed(spec, lambda l: l.model_copy(update={"padding": "same"})
                  if is_conv(l) and l.padding in (0, "valid") and max(l.kernel_shape()) > 1 else l)),
        ("used no padding where the question says 'same'",
         _changed(spec, lambda l: l.model_copy(update={"padding": 0}) if is_conv(l) and l.padding == "same" else l)),
    ]
    right = _answers_of(spec)
    for mistake, changed in candidates:
        answers = _answers_of(changed)
        if answers is not None and answers != right:  # e.g. a 1×1 pooling forgotten changes nothing
            yield Variant(mistake, answers)

    # Recounts of single layers by their own definitions: {row index: the parameters a student would count}.
    walk, _ = _analyse(spec, [])
    rows = walk.rows
    site = Site("", "", channels_last=True)
    recounts = [
        ("left the input channels out of the convolution's weights (K·K·F instead of K·K·C·F)",
         {i: r.layer.model_copy(update={"groups": 1}).count((1, *r.given[1:]), site=site).params
          for i, r in enumerate(rows) if isinstance(r.layer, Conv2d)}),
        ("counted batch normalization's running mean and variance as learnable (4 per channel)",
         {i: (lambda c: c.params + c.buffers)(r.layer.count(r.given, site=site))
          for i, r in enumerate(rows) if isinstance(r.layer, BatchNorm)}),
    ]
    dense = [i for i, r in enumerate(rows) if isinstance(r.layer, Dense)]
    for before, i in zip(dense, dense[1:]):
        units, wrong_units = rows[i].shape[0], rows[before].shape[0]
        if rows[i].layer.has_bias and units != wrong_units:
            recounts.append((f"added the previous layer's {wrong_units} biases instead of this layer's {units} "
                             f"(layer {rows[i].label.split()[0]})", {i: rows[i].params - units + wrong_units}))
    total = sum(r.params for r in rows)
    for mistake, recount in recounts:
        wrong = total + sum(params - rows[i].params for i, params in recount.items())
        if wrong != total:
            yield Variant(mistake, {"total_params": wrong, "trainable_params": wrong})
