"""What every layer kind provides, and the small records it hands back.

A layer kind is one pydantic model (a ``Literal`` ``type`` tag and its fields) whose methods
hold everything about it side by side, micrograd's habit extended to shapes and counts:

- ``count(shape, *, site) -> Count``: the shape rule, learnable parameters and MACs, with the
  worked steps of each (``cnn_architecture`` walks a network with it, allocating nothing);
- ``parameters(shape, *, site, ctx) -> {name: array}``: the learnable values a file gives
  (or the framework's initial ones), checked against the input shape;
- ``forward(x, params, *, ctx) -> Trace`` and ``forward_steps(trace, *, site, ctx)``: exact
  output values, then the worked steps they stand for;
- ``backward(trace, g, *, ctx) -> Grads`` and ``backward_steps(trace, g, grads, *, site,
  ctx)``: the local gradients, ∂L/∂input and ∂L/∂parameter from ∂L/∂output, and their steps;
- ``MISTAKES``: {key: what a student does wrong}; ``ctx.mistakes`` switches one on.

Representation. Shapes are PyTorch's: ``(channels, height, width)`` for an image,
``(features,)`` for a vector, never with the batch axis; a topic that speaks the exam's
height × width × channels (``cnn_architecture``) converts at its edge and says so in
``Site.channels_last``, which only changes how shapes are written. Values are numpy object
arrays (``nnsolve.layers.tensor``) of exact ints and Fractions, floats only after a
transcendental function, always with the batch axis first: ``(N, C, H, W)`` or ``(N, F)``.
Parameters are arrays in PyTorch's layout (a dense weight is out × in, a convolution's
filters × channels × rows × columns), whatever layout the file wrote.

A layer with several inputs (``concatenate`` and ``add`` in ``merge``) takes
``count(*shapes, site=…)``; every other layer has one. ``inputs`` (the names of the layers or
inputs a layer takes) and ``trainable`` are read by the topic that walks a graph
(``cnn_architecture``); a chain topic refuses ``inputs``.
"""

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import Field, StrictBool

from ..errors import SolveError
from ..expr import Expr, sym
from ..solution import Step
from ..spec import Strict


Shape = tuple[int, ...]

if TYPE_CHECKING:
    from numpy import ndarray as Array
else:
    Array = object  # numpy is imported only when values are computed (nnsolve.layers.tensor)


def shape_text(shape: Shape) -> str:
    return " × ".join(str(s) for s in shape)


@dataclass(frozen=True)
class Site:
    """Where a layer stands in a walk: how its steps are titled and its errors located.

    ``label`` is the layer's number as the table shows it ("3", "3.2" inside a block);
    ``field`` the dotted path errors name (``layers[2]``); ``number`` the index its symbols
    carry (W₃, a₃); ``x`` and ``y`` the symbols of its input and output; ``prefix`` starts
    every title ("Iteration 2: ").
    """

    label: str
    field: str
    channels_last: bool = False
    number: int | None = None
    x: Expr = field(default_factory=lambda: sym("x"))
    y: Expr = field(default_factory=lambda: sym("y"))
    prefix: str = ""

    def title(self, layer: "Layer", what: str) -> str:
        return f"{self.prefix}Layer {self.label} ({layer.kind}): {what}"

    def at(self, name: str) -> str:
        return f"{self.field}.{name}"

    def shape(self, shape: Shape) -> str:
        """A shape as this topic writes it (H × W × C in ``cnn_architecture``)."""
        if self.channels_last and len(shape) in (3, 4):
            shape = (*shape[1:], shape[0])
        return shape_text(shape)

    def written_shape(self, shape: Shape) -> Shape:
        return (*shape[1:], shape[0]) if self.channels_last and len(shape) in (3, 4) else shape

    def internal_shape(self, written: Shape) -> Shape:
        return (written[-1], *written[:-1]) if self.channels_last and len(written) in (3, 4) else written

    def internal_axis(self, written: int, rank: int) -> int:
        """The axis (from 0) of the shape as the library holds it, for an axis of the shape as written."""
        return (written + 1) % rank if self.channels_last and rank in (3, 4) else written

    def written_axis(self, internal: int, rank: int) -> int:
        return (internal - 1) % rank if self.channels_last and rank in (3, 4) else internal

    def image_words(self) -> str:
        return "height × width × channels" if self.channels_last else "channels × height × width"

    def symbol(self, name: str) -> Expr:
        """A parameter's symbol with the layer's number: ``W`` → W₃."""
        return sym(f"{name}_{self.number}") if self.number is not None else sym(name)


@dataclass(frozen=True)
class Count:
    """What counting a layer gives: the row of a model summary, and the steps behind it.

    ``steps`` work out the shape and the parameters; ``mac_steps`` the multiply-accumulates
    (a topic shows them when MACs are asked). ``buffers`` are numbers a layer stores but does
    not learn (batch norm's running mean and variance). ``scratch``: the cells of the largest
    array its values need besides its output, per sample (a padded input), so that a topic
    can bound the work before any is done. ``window``: how it sees its input, for the receptive
    field: (span, stride) per sliding axis, "whole" (each output sees all of it: flatten, global
    pooling), "unknown" (no rule here), or None (each output sees one position). ``padding``:
    (before, after) per axis when 'same' chose it.
    """

    shape: Shape
    params: int = 0
    macs: int = 0
    steps: tuple[Step, ...] = ()
    mac_steps: tuple[Step, ...] = ()
    buffers: int = 0
    trainable: bool = True
    scratch: int = 0
    window: tuple[tuple[int, int], ...] | str | None = None
    padding: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True)
class Context:
    """The conventions of a values problem, and the mistakes (keys of ``MISTAKES``) switched on.

    ``orientation`` is how a file writes a dense layer's weights: ``out_in`` (PyTorch,
    z = W·x + b) or ``in_out`` (Keras, z = x·W + b). ``batched``: the file gave a batch (of
    ``batch`` samples), so values are shown with one row (or matrix) per sample.
    """

    orientation: str = "out_in"
    mistakes: frozenset[str] = frozenset()
    batched: bool = False
    batch: int = 1


@dataclass
class Trace:
    """One layer's forward pass: its input, parameters and output, and what backward needs."""

    x: Array
    params: dict[str, Array]
    y: Array
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass
class Grads:
    """∂L/∂input and ∂L/∂parameter for every parameter of the layer."""

    x: Array
    params: dict[str, Array] = field(default_factory=dict)


class Layer(Strict):
    """Base of every layer kind. The defaults are a layer that passes its input through."""

    name: str | None = Field(default=None, max_length=100, description="shown in the table instead of the type; "
                                                                       "other layers' 'inputs' refer to it")
    inputs: Annotated[list[Annotated[str, Field(max_length=100)]], Field(min_length=1, max_length=64)] | None = \
        Field(default=None, description="the names of the layers (or inputs) this layer takes; default the "
                                        "previous layer's output")
    trainable: StrictBool = Field(default=True, description="false: its parameters are frozen (counted as "
                                                            "non-trainable, as Keras' summary)")

    MISTAKES: ClassVar[dict[str, str]] = {}

    @property
    def kind(self) -> str:
        """The layer's name in a step's title: its type (an activation names its function)."""
        return self.type

    # --- shapes and counts
    def count(self, shape: Shape, *, site: Site) -> Count:
        return Count(shape)

    # --- values
    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        return {}

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        return Trace(x, params, x)

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        return []

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        return Grads(g)

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return []

    def written(self, name: str, value: Array, ctx: Context) -> Array:
        """A parameter (or its gradient) in the layout the file writes it (a Keras in × out weight)."""
        return value


def needs_image(layer: Layer, shape: Shape, site: Site) -> None:
    if len(shape) != 3:
        hint = "; two sizes are a sequence (steps × features): give an image its channels too" \
            if len(shape) == 2 and site.channels_last else ""
        raise SolveError(f"{layer.type}: needs a {site.image_words()} input, "
                         f"but its input is {site.shape(shape)}{hint}", field=site.field)


def needs_vector(layer: Layer, shape: Shape, site: Site) -> None:
    if len(shape) != 1:
        raise SolveError(f"{layer.type}: its input is {site.shape(shape)}; add a flatten "
                         f"(or global_avg_pool) layer before it", field=site.field)


def checked(value: Array, want: Shape, site: Site, field_name: str, message: str) -> Array:
    """``value`` if its shape is ``want``; else ``message`` (which names both shapes) as an error at the field."""
    if value.shape != want:
        raise SolveError(message, field=site.at(field_name))
    return value


def size(shape: Shape) -> int:
    return math.prod(shape)


def cell(shape: Shape, k: int) -> tuple[int, ...]:
    """Cell k (counting row by row) of a sample of ``shape``, as indices from 1 as on paper; a
    one-channel image is written as its matrix, so its channel index is left out."""
    where = []
    for n in reversed(shape):
        where.append(k % n + 1)
        k //= n
    where.reverse()
    return tuple(where[1:]) if len(shape) == 3 and shape[0] == 1 else tuple(where)


# ---------------------------------------------------------------------------------------------
# How values are shown in steps: a vector, a matrix (one row per sample), or one matrix per
# channel (and per sample of a batch).

SHOWN_MATRICES = 8  # matrices of one image tensor shown in a step; the answer holds them all


def shown(a: Array, ctx: Context):
    """The value of a batched array as a solution holds it: the batch axis dropped for one
    sample, and an image's channel axis dropped when it has one channel."""
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    return (a if ctx.batched else a[0]).tolist()


def pieces(a: Array, ctx: Context) -> list[tuple[str, Any]]:
    """A batched array as the values one or more steps show: (what it is, vector or matrix)."""
    if a.ndim <= 2:
        return [("", (a if ctx.batched else a[0]).tolist())]
    out = []
    for n in range(a.shape[0] if ctx.batched else 1):
        for c in range(a.shape[1]):
            where = [f"sample {n + 1}"] if ctx.batched else []
            where += [f"channel {c + 1}"] if a.shape[1] > 1 else []
            out.append((f" ({', '.join(where)})" if where else "", a[n, c].tolist()))
    return out


def value_steps(title: str, a: Array, ctx: Context, note: str | None = None, lhs: Expr | None = None) -> list[Step]:
    """Steps showing ``a``: one step for a vector or matrix, one per channel of an image."""
    parts = pieces(a, ctx)
    steps = [Step(f"{title}{what}", lhs=lhs if len(parts) == 1 else None, value=value, note=note if i == 0 else None)
             for i, (what, value) in enumerate(parts[:SHOWN_MATRICES])]
    if len(parts) > SHOWN_MATRICES:
        steps.append(Step(f"{title}: {len(parts) - SHOWN_MATRICES} more matrices",
                          note="the answers hold every value"))
    return steps
