"""Layers that move values without weights: flatten, reshape, permute, zero padding and upsampling.

Flatten takes an image channel by channel (PyTorch's order: C, then rows, then columns).
``reshape`` and ``permute`` take shapes as the problem writes them (H × W × C in
``cnn_architecture``); ``permute``'s ``dims`` number the axes from 1, without the batch, as
Keras' Permute. Upsampling repeats each value (nearest) or interpolates (bilinear, PyTorch's
align_corners=False); nnsolve counts no MACs for it, having no weights.
"""

import math
from typing import Annotated, Literal, Union

from pydantic import Field, StrictInt, model_validator

from ..errors import SolveError
from ..expr import dot, partial, sym
from ..solution import Step
from ..spec import Count as Positive
from ..spec import NonNegative
from . import tensor as T
from .base import Array, Context, Count, Grads, Layer, Shape, Site, Trace, needs_image, shape_text, size, value_steps
from .convolution import Pair, pair



class Flatten(Layer):
    """Every value of a sample in one vector."""

    type: Literal["flatten"] = Field(description="flatten: every value of a sample in one vector")

    def count(self, shape: Shape, *, site: Site) -> Count:
        n = size(shape)
        if len(shape) != 3:
            return Count((n,), window="whole")
        shown = (shape[1], shape[2], shape[0]) if site.channels_last else shape
        formula = sym("H") * sym("W") * sym("C") if site.channels_last else sym("C") * sym("H") * sym("W")
        return Count((n,), steps=(Step(site.title(self, "flattened size"), lhs=sym("n"), formula=formula,
                                       substitution=dot(*shown), value=n),), window="whole")

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        return Trace(x, params, x.reshape(x.shape[0], -1))

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        return Grads(g.reshape(trace.x.shape))

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        note = "channel 1 row by row, then channel 2, … (PyTorch's order)" if trace.x.ndim == 4 else None
        return value_steps(site.title(self, "flattened"), trace.y, ctx, note=note, lhs=site.y)

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "gradient reshaped back"), grads.x, ctx, lhs=partial("L", site.x))


class Reshape(Layer):
    """The same values in another shape (one size may be -1: whatever the rest leaves)."""

    type: Literal["reshape"] = Field(description="reshape: the same values in another shape")
    shape: Annotated[list[Annotated[StrictInt, Field(ge=-1, le=10**9)]], Field(min_length=1, max_length=4)] = \
        Field(description="the new shape as the problem writes shapes, without the batch; one size may be -1")

    @model_validator(mode="after")
    def _one_unknown(self) -> "Reshape":
        if self.shape.count(-1) > 1 or 0 in self.shape:
            raise ValueError("sizes are positive, and at most one is -1")
        return self

    def _target(self, shape: Shape, site: Site) -> Shape:
        n, known = size(shape), math.prod(s for s in self.shape if s != -1)
        written = [n // known if s == -1 else s for s in self.shape]
        if math.prod(written) != n:
            raise SolveError(f"reshape: its input {site.shape(shape)} has {n:,} values, which {shape_text(self.shape)} "
                             f"cannot hold", field=site.at("shape"))
        return site.internal_shape(tuple(written))

    def count(self, shape: Shape, *, site: Site) -> Count:
        out = self._target(shape, site)
        return Count(out, steps=(Step(site.title(self, "new shape"), value=list(site.written_shape(out)),
                                      note=f"{size(shape):,} values, in the same order"),),
                     window="whole" if len(out) == 1 else "unknown")

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        self._target(shape, site)
        return {}

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        return Trace(x, params, x.reshape(x.shape[0], *self._target(x.shape[1:], Site("", ""))))

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        return Grads(g.reshape(trace.x.shape))

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "reshaped"), trace.y, ctx, lhs=site.y)

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "gradient reshaped back"), grads.x, ctx, lhs=partial("L", site.x))


class Permute(Layer):
    """The axes in another order (Keras' Permute: ``dims`` number the axes from 1, without the batch)."""

    type: Literal["permute"] = Field(description="permute: the axes in another order")
    dims: Annotated[list[Annotated[StrictInt, Field(ge=1, le=4)]], Field(min_length=2, max_length=4)] = Field(
        description="the input axis each output axis takes, counted from 1 in the shape as written (Keras)")

    @model_validator(mode="after")
    def _a_permutation(self) -> "Permute":
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"must be an order of 1 to {len(self.dims)}, each once")
        return self

    def _order(self, shape: Shape, site: Site) -> tuple[int, ...]:
        """The internal axes of the output, as indices of the input's internal axes."""
        if len(self.dims) != len(shape):
            raise SolveError(f"permute: {len(self.dims)} dims for an input of {len(shape)} axes "
                             f"({site.shape(shape)})", field=site.at("dims"))
        rank = len(shape)
        written = [d - 1 for d in self.dims]  # output written axis k takes input written axis written[k]
        return tuple(site.internal_axis(written[site.written_axis(k, rank)], rank) for k in range(rank))

    def count(self, shape: Shape, *, site: Site) -> Count:
        out = tuple(shape[a] for a in self._order(shape, site))
        return Count(out, steps=(Step(site.title(self, "axes reordered"), value=list(site.written_shape(out)),
                                      note=f"{site.shape(shape)} → {site.shape(out)}"),), window="unknown")

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        self._order(shape, site)
        return {}

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        order = self._order(x.shape[1:], Site("", ""))
        return Trace(x, params, x.transpose(0, *(a + 1 for a in order)).copy())

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        order = self._order(trace.x.shape[1:], Site("", ""))
        inverse = sorted(range(len(order)), key=order.__getitem__)
        return Grads(g.transpose(0, *(a + 1 for a in inverse)).copy())

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "axes reordered"), trace.y, ctx, lhs=site.y)

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "gradient, axes put back"), grads.x, ctx, lhs=partial("L", site.x))


Sides = Union[NonNegative, Annotated[list[NonNegative], Field(min_length=2, max_length=2)],
              Annotated[list[Annotated[list[NonNegative], Field(min_length=2, max_length=2)]],
                        Field(min_length=2, max_length=2)]]


class ZeroPadding2d(Layer):
    """Zeros around an image (Keras' ZeroPadding2D, PyTorch's nn.ZeroPad2d)."""

    type: Literal["zero_padding2d"] = Field(description="zero_padding2d: zeros added around an image")
    padding: Sides = Field(default=1, description="a number for every side, [rows, columns] (each on both sides), "
                                                  "or [[top, bottom], [left, right]] (Keras)")

    def sides(self) -> tuple[tuple[int, int], tuple[int, int]]:
        p = self.padding
        if isinstance(p, int):
            return (p, p), (p, p)
        if isinstance(p[0], int):
            return (p[0], p[0]), (p[1], p[1])
        return tuple(p[0]), tuple(p[1])  # type: ignore[return-value]

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        (t, b), (l, r) = self.sides()
        out = (shape[0], shape[1] + t + b, shape[2] + l + r)
        return Count(out, steps=(Step(site.title(self, "padded size"), value=list(site.written_shape(out)),
                                      note=f"{t} row(s) above, {b} below, {l} column(s) left, {r} right"),))

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        needs_image(self, shape, site)
        return {}

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        (t, b), (l, r) = self.sides()
        y = T.zeros((*x.shape[:2], x.shape[2] + t + b, x.shape[3] + l + r))
        y[:, :, t:t + x.shape[2], l:l + x.shape[3]] = x
        return Trace(x, params, y)

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        (t, _), (l, _) = self.sides()
        return Grads(g[:, :, t:t + trace.x.shape[2], l:l + trace.x.shape[3]].copy())

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "padded"), trace.y, ctx, lhs=site.y)

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "gradient with the padding cut away"), grads.x, ctx,
                           lhs=partial("L", site.x))


class Upsample(Layer):
    """A bigger image: each value repeated (nearest) or interpolated (bilinear); no weights."""

    type: Literal["upsample"] = Field(description="upsample: a bigger image, by repetition or interpolation")
    mode: Literal["nearest", "bilinear"] = Field(default="nearest", description="nearest (repeat) or bilinear")
    scale: Pair | None = Field(default=None, description="the factor: a number, or [height, width] (Keras size)")
    size: Pair | None = Field(default=None, description="instead: the output's height and width")

    @model_validator(mode="after")
    def _scale_or_size(self) -> "Upsample":
        if (self.scale is None) == (self.size is None):
            raise ValueError("give either 'scale' (a factor) or 'size' (the output's height and width)")
        return self

    def _out(self, shape: Shape) -> tuple[int, int]:
        if self.size is not None:
            return pair(self.size)
        return tuple(n * s for n, s in zip(shape[1:], pair(self.scale)))  # type: ignore[return-value]

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        out = self._out(shape)
        if self.scale is not None:
            sh, sw = pair(self.scale)
            step = Step(site.title(self, "output height and width"), lhs=sym("H_out"), formula=sym("H") * sym("s"),
                        substitution=dot(shape[1], sh), value=out[0],
                        note=None if sh == sw and shape[1] == shape[2] else f"width {shape[2]} · {sw} = {out[1]}")
        else:
            step = Step(site.title(self, "output height and width"), value=list(out), note="as given")
        return Count((shape[0], *out), steps=(step,), window="unknown")

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        needs_image(self, shape, site)
        if self.mode != "nearest":
            raise SolveError("upsample: values are worked out for mode: nearest only", field=site.at("mode"))
        return {}

    def _sources(self, shape: Shape) -> tuple[Array, Array]:
        """For each output row (column), the input row (column) it copies: ⌊i·H/H_out⌋ (PyTorch's nearest)."""
        out = self._out(shape)
        return tuple(T.np.arange(o) * n // o for n, o in zip(shape[1:], out))  # type: ignore[return-value]

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        rows, cols = self._sources(x.shape[1:])
        return Trace(x, params, x[:, :, rows][:, :, :, cols].copy())

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        rows, cols = self._sources(trace.x.shape[1:])
        gx = T.zeros(trace.x.shape)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                gx[:, :, r, c] = gx[:, :, r, c] + g[:, :, i, j]
        return Grads(T.simplified(gx))

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "each value repeated"), trace.y, ctx, lhs=site.y)

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "gradient of its input"), grads.x, ctx, lhs=partial("L", site.x),
                           note="each input cell collects the gradients of the output cells that copy it")
