"""CNN architecture: output shape, parameter count and multiply-accumulates of every layer.

Shapes follow the exam convention height × width × channels. Output sizes use
⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1 (PyTorch's formula; with D = 1 it is the familiar
⌊(H + 2P − K) / S⌋ + 1); padding 'same' follows TensorFlow: the output is ⌈H / S⌉.
A residual block adds its main path to its shortcut (identity unless given). A layer that
cannot apply is an error naming the layer.

The layers form a directed acyclic graph: each takes the previous layer's output unless it
names its ``inputs`` (layers or the file's inputs), joins are concatenate / add / subtract,
and ``apply`` reuses a named layer's weights (parameters once, MACs each time). The walk
visits every layer after its inputs and allocates no tensor: its cost follows the number of
layers. ``nnsolve.layers.stack`` gives the receptive field and the memory of the feature maps.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from typing import Annotated, Any, ClassVar, Iterator, Literal, Union

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from .. import limits
from ..errors import SolveError
from ..expr import add, num, sym
from ..layers import (Activation, AdaptiveAvgPool, AdaptiveMaxPool, Add, AvgPool, BatchNorm, Concatenate, Conv1d,
                      Conv2d, Conv3d, ConvTranspose2d, DepthwiseConv2d, Dense, Dropout, Flatten, GlobalAvgPool,
                      GlobalMaxPool, GroupNorm, MaxPool, Permute, Reshape, Site, Subtract, Upsample,
                      ZeroPadding2d)
from ..layers.base import Shape, shape_text, size
from ..layers.convolution import ForOutput, pair
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import ByTag, Count, FieldError, ProblemBase, Strict
from ..layers import stack
from ..layers import (Bidirectional, Embedding, Gru, LayerNorm, LmHead, Lstm, MultiHeadAttention, Pooler,
                      SimpleRnn, TransformerBlock)
from ..layers.recurrent import RECURRENT, with_convention

TOPIC = "cnn_architecture"
SUMMARY = "CNN output shapes, learnable parameters and multiply-accumulates, layer by layer"
EXAMPLE = "problems/seed/s03-cnn-params.yaml"

Name = Annotated[str, Field(min_length=1, max_length=100)]
Names = Annotated[list[Name], Field(min_length=1, max_length=64)]


class Residual(Strict):
    """A residual block: output = main path (``layers``) + ``shortcut`` (identity when absent)."""

    type: Literal["residual"] = Field(description="residual: a block whose output is its main path plus a shortcut")
    name: str | None = Field(default=None, max_length=100, description="shown in the table instead of the type")
    inputs: Names | None = Field(default=None, description="the name of the layer (or input) it takes; default "
                                                           "the previous layer's output")
    trainable: StrictBool = Field(default=True, description="false: every layer inside is frozen")
    layers: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)] = Field(
        description="the main path, in order")
    shortcut: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)] | None = Field(
        default=None, description="the shortcut's layers (e.g. a 1×1 conv2d and batch_norm); the identity when absent")


class Apply(Strict):
    """A named layer applied again (weight sharing): its MACs count every time, its parameters once."""

    type: Literal["apply"] = Field(description="apply: a named layer applied again to another input, sharing "
                                               "its weights")
    layer: Name = Field(description="the name of the layer whose weights it shares")
    name: str | None = Field(default=None, max_length=100, description="shown in the table")
    inputs: Names | None = Field(default=None, description="the name of the layer (or input) it takes; default "
                                                           "the previous layer's output")

    kind: ClassVar[str] = "apply"


Layer = Annotated[
    Union[Conv2d, ConvTranspose2d, DepthwiseConv2d, MaxPool, AvgPool, GlobalAvgPool, Flatten, Dense, BatchNorm,
          Dropout, Activation,
          Concatenate, Add, Subtract,
          Conv1d, Conv3d, Upsample, ZeroPadding2d, GlobalMaxPool, AdaptiveAvgPool, AdaptiveMaxPool, GroupNorm,
          Reshape, Permute,
          Embedding, SimpleRnn, Lstm, Gru, Bidirectional, MultiHeadAttention, TransformerBlock, Pooler, LayerNorm,
          LmHead,
          Residual, Apply],
    ByTag("type"),  # a discriminated union whose members' validators are built when a file uses them
]
# Residual names Layer before it is defined: with defer_build its schema is built on first use.

Ask = Literal["total_params", "trainable_params", "non_trainable_params", "flatten_size", "output_size",
              "output_shape", "total_macs", "shape_after", "receptive_field", "effective_stride", "activations",
              "activation_bytes", "peak_activation_bytes", "param_bytes", "batch_macs", "padding"]
Shape3 = Annotated[list[Count], Field(min_length=1, max_length=4)]
INPUT_RANKS = ("[height, width, channels], [features], [steps, features] (a sequence) or "
               "[depth, height, width, channels] (a volume)")


class Spec(ProblemBase):
    """A CNN given as an input shape and a list of layers, and what the question asks for."""

    topic: Literal["cnn_architecture"] = Field(description="cnn_architecture: shapes, parameters and MACs of a CNN")
    input: Shape3 | None = Field(
        default=None, description="[height, width, channels] as exams state it; or [features], [steps, features] "
                                  "(a sequence) or [depth, height, width, channels] (a volume)")
    inputs: Annotated[dict[Name, Shape3], Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="several inputs, name: shape; layers take them by name in their 'inputs'")
    layers: Annotated[list[Layer], Field(min_length=1, max_length=limits.MAX_LAYERS)] = Field(
        description="the network's layers in order, each a mapping with a type (conv2d, max_pool, dense, ...)")
    outputs: Names | None = Field(default=None, description="the names of the layers that are the network's "
                                                            "outputs; default the last layer")
    ask: Ask = Field(default="total_params", description="the answer the question asks for")
    layer: Annotated[StrictInt, Field(ge=1)] | None = Field(
        default=None, description="with ask: shape_after (or receptive_field, effective_stride), the layer "
                                  "(counting from 1)")
    batch: Annotated[StrictInt, Field(ge=1, le=limits.MAX_DIMENSION)] = Field(
        default=1, description="images per batch, for batch_macs and the bytes of the feature maps")
    dtype: Literal["float32", "float16", "bfloat16", "float64", "int8"] = Field(
        default="float32", description="the type of every value, for the bytes of feature maps and parameters")
    convention: Literal["keras", "pytorch"] = Field(
        default="keras", description="how recurrent layers count biases: keras (one vector per gate; GRU "
                                     "reset_after two) or pytorch (two per gate); a layer may say its own")

    @field_validator("input")
    @classmethod
    def _input_rank(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and len(value) > 4:
            raise ValueError(INPUT_RANKS)
        return value

    @model_validator(mode="after")
    def _layer_given(self) -> "Spec":
        if (self.input is None) == (self.inputs is None):
            raise FieldError("input" if self.inputs is None else "inputs",
                             "give either 'input' (one shape) or 'inputs' (name: shape for each input)")
        if self.ask == "shape_after" and (self.layer is None or self.layer > len(self.layers)):
            raise FieldError("ask" if self.layer is None else "layer",
                             f"shape_after needs 'layer', a layer number from 1 to {len(self.layers)}")
        if self.layer is not None and self.layer > len(self.layers):
            raise FieldError("layer", f"a layer number from 1 to {len(self.layers)}")
        return self

    @property
    def given(self) -> dict[str, list[int]]:
        """Every input by name (a single ``input`` is called input)."""
        return dict(self.inputs) if self.inputs is not None else {"input": self.input}


# ---------------------------------------------------------------------------------------------
# The walk: every layer counted by its own definition (nnsolve.layers), in PyTorch's C × H × W;
# shapes are shown, and read from the file, as the exam writes them: H × W × C.

def _internal(shape) -> Shape:
    return (shape[-1], *shape[:-1]) if len(shape) in (3, 4) else tuple(shape)


def _exam(shape: Shape) -> Shape:
    return (*shape[1:], shape[0]) if len(shape) in (3, 4) else shape


@dataclasses.dataclass
class _Row:
    """One row of the table: a layer (inside a residual block too) and what it gives."""

    label: str
    shape: tuple[int, ...]  # as the exam writes it
    params: int
    macs: int
    layer: Any = None  # lets the variants recount it
    given: Shape = ()  # its (first) input shape (C × H × W)
    frozen: int = 0  # of its params, those not trained (trainable: false)
    buffers: int = 0  # numbers it stores but does not learn (batch norm's running mean and variance)
    field: stack.Field = None  # its receptive field and effective stride


@dataclasses.dataclass(frozen=True)
class _Map:
    """A feature map of the walk: its shape (C × H × W), its node in the forward pass, its receptive field."""

    shape: Shape
    node: int
    field: stack.Field


@dataclasses.dataclass
class _Walk:
    """What a walk through the layers collects besides the steps."""

    show_macs: bool
    rows: list[_Row] = dataclasses.field(default_factory=list)
    nodes: list[stack.Node] = dataclasses.field(default_factory=list)  # every feature map, inputs first
    flatten_size: int | None = None
    used_same: bool = False
    shared: bool = False
    frozen: bool = False  # inside a frozen residual block
    warnings: list[str] = dataclasses.field(default_factory=list)
    same_padding: dict[str, tuple] = dataclasses.field(default_factory=dict)  # layer label: the pads 'same' chose
    asked_padding: dict[str, tuple] = dataclasses.field(default_factory=dict)  # ... and a {output: N} padding found

    def made(self, row: _Row, shape: Shape, ins: tuple[_Map, ...], field: stack.Field) -> _Map:
        """A layer's row and its output map."""
        row.field = field
        self.rows.append(row)
        self.nodes.append(stack.Node(size(shape), tuple(m.node for m in ins)))
        return _Map(shape, len(self.nodes) - 1, field)


def _residual(block: Residual, given: _Map, label, field, walk, steps) -> tuple[_Map, int]:
    """A residual block: inner layers go to the table; one summary step for the whole block."""
    first = len(walk.rows)
    frozen, walk.frozen = walk.frozen, walk.frozen or not block.trainable
    main = _graph(block.layers, {"input": given}, f"{label}.", f"{field}.layers", walk, [])[-1][0]
    n_main = len(walk.rows)
    short = given
    if block.shortcut:
        short = _graph(block.shortcut, {"input": given}, f"{label}.s", f"{field}.shortcut", walk, [])[-1][0]
    walk.frozen = frozen
    if main.shape != short.shape:
        kind = "shortcut" if block.shortcut else "identity shortcut (no 'shortcut' given)"
        raise SolveError(f"residual: the main path gives {shape_text(_exam(main.shape))} but the {kind} gives "
                         f"{shape_text(_exam(short.shape))}; they must agree to be added", field=field)
    inner = [r.params for r in walk.rows[first:] if r.params]
    params = sum(inner)
    out = walk.made(_Row(f"{label} {block.name or 'residual'} (add)", _exam(main.shape), 0, 0), main.shape,
                    (main, short), stack.seen([main.field, short.field], None))
    main_params = sum(r.params for r in walk.rows[first:n_main])
    how = f"projection shortcut ({params - main_params:,})" if block.shortcut else "identity shortcut"
    steps.append(Step(f"Layer {label} (residual block): parameters", lhs=sym("params"),
                      substitution=add(*inner) if len(inner) > 1 else None, value=params,
                      note=f"main path ({len(block.layers)} layers, {main_params:,}) + {how} → "
                           f"{shape_text(_exam(main.shape))}; rows {label}.x of the table"))
    return out, params


def _graph(layers, given: dict[str, _Map], prefix, path, walk: _Walk, steps) -> list[tuple[_Map, int]]:
    """Count ``layers``, a directed acyclic graph: each takes the layers (or inputs) its ``inputs`` name,
    else the previous layer's output (the first: the sole input). Every layer is counted after its
    inputs; returns (output map, parameters) of each layer, in the file's order."""
    sources = _sources(layers, given, path)
    maps: list[_Map | None] = [None] * len(layers)
    after: list[tuple[_Map, int]] = [(None, 0)] * len(layers)  # type: ignore[list-item]
    for i in _order(layers, sources, path):
        layer = layers[i]
        label, field = f"{prefix}{i + 1}", f"{path}[{i}]"
        takes = sources[i][:-1] if isinstance(layer, Apply) else sources[i]  # an apply's last is the shared layer
        ins = tuple(maps[j] if isinstance(j, int) else given[j] for j in takes)
        if len(ins) > 1 and not isinstance(layer, (Concatenate, Add, Subtract)):
            raise SolveError(f"{layer.type}: takes one input, but its inputs are "
                             f"{', '.join(shape_text(_exam(m.shape)) for m in ins)}; join them with a concatenate "
                             f"or add layer first", field=f"{field}.inputs")
        if isinstance(layer, Residual):
            out, params = _residual(layer, ins[0], label, field, walk, steps)
        else:
            site = Site(label, field, channels_last=True)
            if isinstance(layer, Apply):
                out, params = _shared(layer, layers[sources[i][-1]], ins[0], site, walk, steps)
            else:
                shapes = tuple(m.shape for m in ins)
                count = layer.count(*shapes, site=site)
                steps.extend(count.steps)
                if walk.show_macs:
                    steps.extend(count.mac_steps)
                walk.used_same |= getattr(layer, "padding", None) == "same"
                if isinstance(getattr(layer, "padding", None), ForOutput):
                    walk.asked_padding[label] = count.padding
                    if any(before != after for before, after in count.padding):
                        walk.warnings.append(f"Layer {label} ({layer.type}): no whole padding per side gives "
                                             f"{shape_text(count.shape[1:])}; the zeros are split unevenly "
                                             f"{_pads_text(count.padding)}, as TensorFlow pads (PyTorch: F.pad "
                                             f"first).")
                elif count.padding is not None:
                    walk.same_padding[label] = count.padding
                if isinstance(layer, Flatten) and walk.flatten_size is None:
                    walk.flatten_size = count.shape[0]
                if isinstance(layer, Dense) and len(shapes[0]) == 3:
                    walk.warnings.append(f"Layer {label} (dense) acts on the channels of its "
                                         f"{shape_text(_exam(shapes[0]))} input, at every position (as Keras and "
                                         f"PyTorch apply a dense layer to the last axis); if a flatten was meant "
                                         f"before it, add one.")
                frozen = walk.frozen or not layer.trainable
                row = _Row(f"{label} {layer.name or layer.type}", _exam(count.shape), count.params, count.macs,
                           layer, shapes[0], count.params if frozen else 0, count.buffers)
                out = walk.made(row, count.shape, ins, stack.seen([m.field for m in ins], count.window))
                params = count.params
        maps[i] = out
        after[i] = (out, params)
    return after


def _shared(apply: Apply, target, given: _Map, site: Site, walk: _Walk, steps) -> tuple[_Map, int]:
    """``target`` applied again to ``given``: its MACs again, no new parameters (the weights must fit)."""
    if isinstance(target, (Residual, Apply, Concatenate, Add, Subtract)):
        raise SolveError(f"apply: '{apply.layer}' is a {target.type} layer; apply shares the weights of one "
                         f"layer", field=site.at("layer"))
    first = next(r for r in walk.rows if r.layer is target)
    count = target.count(given.shape, site=site)
    if count.params != first.params:
        raise SolveError(f"apply: '{apply.layer}' was built for an input of {shape_text(_exam(first.given))}; "
                         f"its weights do not fit this input of {shape_text(_exam(given.shape))}", field=site.field)
    steps.append(Step(site.title(apply, f"'{apply.layer}' applied again"), lhs=sym("params"), value=0,
                      note=f"its {count.params:,} parameters are shared (counted once, at layer "
                           f"{first.label.split()[0]}); its {count.macs:,} MACs count again"))
    if walk.show_macs:
        steps.extend(count.mac_steps)
    walk.shared = True
    row = _Row(f"{site.label} {apply.name or apply.layer} (shared)", _exam(count.shape), 0, count.macs, apply,
               given.shape)
    return walk.made(row, count.shape, (given,), stack.seen([given.field], count.window)), 0


def _sources(layers, given: dict[str, Shape], path: str) -> list[list[int | str]]:
    """What each layer takes: the indices of layers, or the names of given inputs; an apply also
    depends on the layer it shares (its index last)."""
    names: dict[str, int | str] = {name: name for name in given}
    twice: set[str] = set()
    for i, layer in enumerate(layers):
        if layer.name is not None:
            if layer.name in names:
                twice.add(layer.name)
            names[layer.name] = i

    def find(name: str, field: str, layer) -> int | str:
        if name in twice:
            raise SolveError(f"{layer.type}: '{name}' names more than one layer (or input); give them different "
                             f"names", field=field)
        if name not in names:
            known = ", ".join(list(names)[:12]) + (", …" if len(names) > 12 else "")
            raise SolveError(f"{layer.type}: '{name}' names no layer or input here (the names are: "
                             f"{known or 'none'})", field=field)
        return names[name]

    out = []
    for i, layer in enumerate(layers):
        if layer.inputs is not None:
            ins = [find(n, f"{path}[{i}].inputs[{k}]", layer) for k, n in enumerate(layer.inputs)]
            if i in ins:
                raise SolveError(f"{layer.type}: takes its own output as its input", field=f"{path}[{i}].inputs")
        elif i > 0:
            ins = [i - 1]
        elif len(given) == 1:
            ins = list(given)
        else:
            raise SolveError(f"{layer.type}: the network has {len(given)} inputs ({', '.join(given)}); "
                             f"say which this layer takes in 'inputs'", field=f"{path}[{i}]")
        if isinstance(layer, Apply):
            target = find(layer.layer, f"{path}[{i}].layer", layer)
            if not isinstance(target, int):
                raise SolveError(f"apply: '{layer.layer}' is an input, not a layer", field=f"{path}[{i}].layer")
            ins.append(target)
        out.append(ins)
    return out


def _order(layers, sources, path: str) -> list[int]:
    """The layers in an order where each follows everything it takes (the file's order where it
    can); a cycle is an error naming its layers."""
    waiting = [sum(isinstance(j, int) for j in set(s)) for s in sources]
    users: list[list[int]] = [[] for _ in layers]
    for i, s in enumerate(sources):
        for j in set(s):
            if isinstance(j, int):
                users[j].append(i)
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, u)
    if len(order) < len(layers):
        cycle = _cycle(sources, {i for i, n in enumerate(waiting) if n > 0})[:-1]
        named = min((k for k, i in enumerate(cycle) if layers[i].inputs is not None), key=cycle.__getitem__)
        cycle = cycle[named:] + cycle[:named] + [cycle[named]]
        shown = " → ".join(f"{i + 1} ({layers[i].name or layers[i].type})" for i in cycle)
        raise SolveError(f"{layers[cycle[0]].type}: its inputs form a cycle: {shown}; a network's layers must not "
                         f"take their own output", field=f"{path}[{cycle[0]}].inputs")
    return order


def _cycle(sources, stuck: set[int]) -> list[int]:
    """A cycle among the layers that never became ready, as the data flows (input first)."""
    at, seen = min(stuck), []
    while at not in seen:
        seen.append(at)
        at = next(j for j in sources[at] if isinstance(j, int) and j in stuck)
    cycle = seen[seen.index(at):]
    cycle.reverse()
    return [*cycle, cycle[0]]


def _conventions(spec: Spec, convention: str | None = None) -> Spec:
    """``spec`` with its recurrent layers counted by the file's convention where they name none
    (or, given ``convention``, every one of them by it: the other reading)."""
    changed = _changed(spec, lambda l: with_convention(l, convention or spec.convention, every=convention is not None))
    return changed or spec


def _analyse(spec: Spec, steps: list[Step]) -> tuple[_Walk, list]:
    """The walk, and (output shape as written, parameters, output map) of each top-level layer."""
    spec = _conventions(spec)
    walk = _Walk(show_macs=spec.ask in ("total_macs", "batch_macs"))
    given = {}
    for name, written in spec.given.items():
        shape = _internal(written)
        walk.nodes.append(stack.Node(size(shape)))
        given[name] = _Map(shape, len(walk.nodes) - 1, stack.input_field(shape))
    after = _graph(spec.layers, given, "", "layers", walk, steps)
    return walk, [(_exam(m.shape), params, m) for m, params in after]


def _outputs(spec: Spec, after) -> list[tuple[str, Shape, _Map]]:
    """(name, shape as the exam writes it, map) of each output: those ``outputs`` names, else the last layer."""
    if spec.outputs is None:
        return [(spec.layers[-1].name or f"layer {len(spec.layers)}", after[-1][0], after[-1][2])]
    index = {layer.name: i for i, layer in enumerate(spec.layers) if layer.name is not None}
    out = []
    for k, name in enumerate(spec.outputs):
        if name not in index:
            raise SolveError(f"'{name}' names no layer (the named layers are: {', '.join(list(index)[:12]) or 'none'})",
                             field=f"outputs[{k}]")
        out.append((name, after[index[name]][0], after[index[name]][2]))
    return out


def _per_side(pads: tuple) -> int | tuple:
    """The answer to 'what padding': one number when every side agrees, one per axis when each axis
    is symmetric, else (before, after) axis by axis."""
    if all(before == after for before, after in pads):
        sides = tuple(before for before, _ in pads)
        return sides[0] if len(set(sides)) == 1 else sides
    return tuple(p for axis in pads for p in axis)


def _pads_text(pads: tuple) -> str:
    if len(set(pads)) == 1:
        return f"{pads[0][0]} before and {pads[0][1]} after on each axis"
    return " and ".join(f"{before} before and {after} after on the {axis}"
                        for (before, after), axis in zip(pads, ("height", "width")))


def _asked_padding(spec: Spec, walk: _Walk) -> str:
    """ask: padding names the layer with padding {output: N} (``layer: N``, or the only one)."""
    asked = [label for label in walk.asked_padding if "." not in label]
    if spec.layer is not None:
        if str(spec.layer) not in asked:
            raise SolveError(f"padding asked for layer {spec.layer}, which has no 'padding: {{output: N}}'",
                             field="layer")
        return f"padding_layer_{spec.layer}"
    if len(asked) != 1:
        raise SolveError("padding asked for: give one layer 'padding: {output: N}' (the output size wanted)"
                         if not asked else f"padding asked for, but layers {', '.join(asked)} ask for theirs: "
                                            f"give 'layer: N'", field="ask")
    return f"padding_layer_{asked[0]}"


def _table(rows: list[_Row], total: int, frozen: int, macs: int, receptive: bool) -> Table:
    """What a model summary shows: layer, output shape, parameters (and the frozen ones), MACs, and
    when asked the receptive field and effective stride (jump)."""
    columns = ["Layer", "Output shape", "Parameters"] + (["Frozen"] if frozen else []) + ["MACs"]
    columns += ["RF", "Jump"] if receptive else []

    def line(r: _Row) -> tuple:
        cells = [r.label, r.shape, r.params] + ([r.frozen] if frozen else []) + [r.macs]
        return tuple(cells + ([stack.field_text(r.field), stack.field_text(r.field, 1)] if receptive else []))

    last = ["Total", None, total] + ([frozen] if frozen else []) + [macs] + ([None, None] if receptive else [])
    return Table("Layer by layer", tuple(columns), tuple(line(r) for r in rows) + (tuple(last),))


def solve(spec: Spec) -> Solution:
    steps: list[Step] = []
    walk, after = _analyse(spec, steps)
    rows = walk.rows
    total = sum(r.params for r in rows)
    frozen = sum(r.frozen for r in rows)
    buffers = sum(r.buffers for r in rows)
    total_macs = sum(r.macs for r in rows)
    outputs = _outputs(spec, after)
    output_shape = outputs[0][1]

    table = _table(rows, total, frozen, total_macs, receptive=spec.ask in stack.FIELD_ASKS)
    terms = [params for _, params, _ in after if params]
    steps.append(Step("Total learnable parameters", lhs=sym("total"),
                      substitution=add(*terms) if 1 < len(terms) <= 200 else None, value=total))
    if frozen:
        steps.append(Step("Trainable parameters", lhs=sym("trainable"), formula=sym("total") - sym("frozen"),
                          substitution=num(total) - num(frozen), value=total - frozen,
                          note=f"{frozen:,} parameters are in layers with trainable: false"))
    if spec.ask == "total_macs":
        terms = [r.macs for r in rows if r.macs]
        steps.append(Step("Total multiply-accumulates", lhs=sym("MACs"),
                          substitution=add(*terms) if 1 < len(terms) <= 30 else None, value=total_macs))
    if frozen or buffers or spec.ask == "non_trainable_params":
        steps.append(Step("Non-trainable parameters (Keras' summary)", lhs=sym("non_trainable"),
                          formula=sym("frozen") + sym("buffers"), value=frozen + buffers,
                          note=f"{frozen:,} frozen + {buffers:,} running statistics of batch normalization "
                               f"(Keras' moving mean and variance)"))

    images = all(len(shape) == 3 for shape in (spec.inputs or {"input": spec.input}).values())
    answers: dict[str, Answer] = {
        "total_params": Answer(total, "Total learnable parameters"),
        "trainable_params": Answer(total - frozen, "Trainable parameters"),
    }
    if frozen or buffers or spec.ask == "non_trainable_params":
        answers["non_trainable_params"] = Answer(frozen + buffers, "Non-trainable parameters (as Keras counts them)")
    if walk.flatten_size is not None:
        answers["flatten_size"] = Answer(walk.flatten_size, "Flattened size")
    answers["output_size"] = Answer(math.prod(output_shape), "Output size")
    answers["output_shape"] = Answer(output_shape, "Output shape" if len(outputs) == 1 else
                                     f"Output shape of {outputs[0][0]}")
    for k, (name, shape, _) in enumerate(outputs[1:], start=2):
        answers[f"output_shape_{k}"] = Answer(shape, f"Output shape of {name}")
    answers["total_macs"] = Answer(total_macs, "Multiply-accumulates per " + ("image" if images else "sample"))
    primary = spec.ask
    if spec.ask == "shape_after":
        primary = f"shape_after_layer_{spec.layer}"
        answers[primary] = Answer(after[spec.layer - 1][0], f"Shape after layer {spec.layer}")
    for label, pads in walk.same_padding.items():
        answers[f"same_padding_layer_{label.replace('.', '_')}"] = Answer(
            tuple(p for axis in pads for p in axis), f"Padding 'same' needs at layer {label} (before and after, "
                                                     f"axis by axis)")
    for label, pads in walk.asked_padding.items():
        answers[f"padding_layer_{label.replace('.', '_')}"] = Answer(
            _per_side(pads), f"Padding per side layer {label} needs for its output "
                             + ("(the same on every side)" if isinstance(_per_side(pads), int) else
                                "(height, width)" if len(_per_side(pads)) == 2 else
                                "(before and after, axis by axis)"))
    if spec.ask == "padding":
        primary = _asked_padding(spec, walk)
    name, _, out = outputs[0]
    if spec.layer is not None and spec.ask in stack.FIELD_ASKS:
        name, out = f"layer {spec.layer}", after[spec.layer - 1][2]
    if spec.ask in stack.FIELD_ASKS:  # asked for only: every solution showing them would bury the counts
        steps += stack.field_steps(out.field, name)
        answers |= stack.field_answers(out.field, name)
    shown = spec.ask in stack.MEMORY_ASKS or bool({"batch", "dtype"} & spec.model_fields_set)
    memory_steps, memory_answers = stack.memory([size(_internal(r.shape)) for r in rows], walk.nodes,
                                                {m.node for _, _, m in outputs}, total, buffers, total_macs,
                                                spec.batch, spec.dtype, shown)
    if shown:
        steps += memory_steps
        answers |= memory_answers
    if primary not in answers:
        if spec.ask in stack.FIELD_ASKS and out.field == "whole":
            raise SolveError(f"{spec.ask} asked for, but each value of {name} sees the whole input (after a flatten "
                             f"or global pooling); give 'layer: N' for a layer before it", field="ask")
        if spec.ask in stack.FIELD_ASKS:
            raise SolveError(f"{spec.ask} asked for, but a layer before {name} has no fixed window (transposed "
                             f"convolution, upsampling, adaptive pooling, reshape, a recurrent layer)", field="ask")
        raise SolveError(f"{spec.ask} asked for, but this network has no flatten layer", field="ask")

    assumptions = [
        "Shapes are height × width × channels; a convolution's output size is ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1.",
        "Learnable parameters are weights and biases; a bias per filter or unit unless 'bias: false'.",
        f"MACs count multiply-accumulates for one {'image' if images else 'sample'} (1 MAC = 1 multiplication "
        "+ 1 addition ≈ 2 FLOPs); "
        "pooling, activations and residual additions count none.",
    ]
    if walk.used_same:
        assumptions.append("Padding 'same' follows TensorFlow/Keras: the output is ⌈H/S⌉, padded with "
                           "max((⌈H/S⌉ − 1)·S + D(K − 1) + 1 − H, 0) in all, the odd pixel at the bottom/right "
                           "(PyTorch allows 'same' only with stride 1, where the two agree).")
    if any(isinstance(r.layer, BatchNorm) for r in rows):
        assumptions.append("Batch normalization counts γ and β as learnable; Keras's 'Total params' also "
                           "counts the running mean and variance.")
    if walk.shared:
        assumptions.append("A layer applied again by name shares its weights: its parameters count once, its "
                           "MACs every time it is applied.")
    recurrent = [r.layer for r in rows if isinstance(r.layer, RECURRENT)]
    if recurrent:
        conventions = sorted({layer.resolved() for layer in recurrent})
        assumptions.append(f"Recurrent layers count biases the {' and '.join(conventions)} way: Keras has one "
                           f"bias vector per gate (a GRU with reset_after: true two), PyTorch two (b_ih and b_hh). "
                           f"Their MACs are G·h·(x + h) per step (the input and recurrent matrices) times the steps.")
        for other in [c for c in ("keras", "pytorch") if conventions != [c]]:
            other_total = sum(r.params for r in _analyse(_conventions(spec, other), [])[0].rows)
            if other_total != total:
                answers[f"total_params_{other}"] = Answer(other_total, f"Total learnable parameters, counted the "
                                                                       f"{other} way", reading=f"{other} biases")
    if any(isinstance(r.layer, LayerNorm) and len(r.given) >= 3 for r in rows):
        assumptions.append("Layer norm on an image normalizes all its C·H·W values, with γ and β for each (PyTorch's "
                           "nn.LayerNorm([C, H, W])); Keras' LayerNormalization (axis −1) has 2C.")
    if any(isinstance(r.layer, (MultiHeadAttention, TransformerBlock)) for r in rows):
        assumptions.append("Attention MACs: the projections T·d·H·(2d_k + d_v) + T·H·d_v·d, the scores T²·H·d_k "
                           "and the weighted values T²·H·d_v; softmax, scaling, biases and norms count none.")
    if frozen:
        assumptions.append("Total parameters include frozen ones (trainable: false), as PyTorch's numel and "
                           "Keras' 'Total params' do; 'trainable' leaves them out.")
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=(*steps, table),
                    assumptions=tuple(assumptions), warnings=tuple(walk.warnings))


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
        return spec and {name: a.value for name, a in solve(spec).answers.items()
                         if name not in stack.MEMORY_ASKS + stack.FIELD_ASKS}  # the counts these mistakes change
    except SolveError:  # the mistake makes the network impossible: nobody would get a number from it
        return None


def _gates(layer) -> int:
    """A recurrent layer's gates (every one of its counts is a multiple); 0 for any other layer."""
    layer = layer.layer if isinstance(layer, Bidirectional) else layer
    return layer.GATES if isinstance(layer, RECURRENT) else 0


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
    other = "pytorch" if spec.convention == "keras" else "keras"
    candidates.append((f"counted the recurrent layers' biases the {other} way "
                       f"({'two vectors per gate' if other == 'pytorch' else 'one per gate'}) where the question "
                       f"counts them the {spec.convention} way", _conventions(spec, other)))
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
        ("counted one gate of the LSTM or GRU (each of its 4 or 3 gates has its own weights and biases)",
         {i: r.params // _gates(r.layer) for i, r in enumerate(rows) if _gates(r.layer) > 1}),
    ]
    named = {r.layer.name: r for r in rows if r.layer is not None and not isinstance(r.layer, Apply)}
    recounts.append(("counted a shared layer's parameters again each time it is applied",
                     {i: named[r.layer.layer].params for i, r in enumerate(rows)
                      if isinstance(r.layer, Apply) and r.layer.layer in named}))
    dense = [i for i, r in enumerate(rows) if isinstance(r.layer, Dense) and len(r.shape) == 1]
    for before, i in zip(dense, dense[1:]):
        units, wrong_units = rows[i].shape[0], rows[before].shape[0]
        if rows[i].layer.has_bias and units != wrong_units:
            recounts.append((f"added the previous layer's {wrong_units} biases instead of this layer's {units} "
                             f"(layer {rows[i].label.split()[0]})", {i: rows[i].params - units + wrong_units}))
    total = sum(r.params for r in rows)
    for mistake, recount in recounts:
        wrong = total + sum(params - rows[i].params for i, params in recount.items())
        if wrong != total:
            yield Variant(mistake, {"total_params": wrong, "trainable_params": wrong - sum(r.frozen for r in rows)})
    frozen = sum(r.frozen for r in rows)
    if frozen:
        yield Variant("left the frozen layers (trainable: false) out of the total parameters",
                      {"total_params": total - frozen})
    yield from _padding_variants(walk)


def _padding_variants(walk: _Walk) -> Iterator[Variant]:
    """padding {output: N}: the zeros of both sides given as the padding, and ⌊D(K − 1)/2⌋ (the
    padding that keeps the size at stride 1) given whatever the stride and the output asked."""
    for label, pads in walk.asked_padding.items():
        key, right = f"padding_layer_{label.replace('.', '_')}", _per_side(pads)
        row = next(r for r in walk.rows if r.label.split()[0] == label)
        layer = row.layer
        kernel = layer.kernel_shape() if isinstance(layer, (Conv2d, DepthwiseConv2d)) else pair(layer.window)
        dilation = pair(getattr(layer, "dilation", 1))
        both = tuple(before + after for before, after in pads)
        keeps = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
        for mistake, wrong in [("gave the zeros of both sides together instead of the padding per side", both),
                               ("used ⌊(K − 1)/2⌋, the padding that keeps the size at stride 1, for another "
                                "output or stride", keeps)]:
            wrong = wrong[0] if len(set(wrong)) == 1 else wrong
            if wrong != right:
                yield Variant(mistake, {key: wrong})
