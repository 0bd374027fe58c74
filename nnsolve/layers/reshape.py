"""Flatten: an image becomes a vector, channel by channel (PyTorch's order: C, then rows, then columns)."""

from typing import Literal

from pydantic import Field

from ..expr import dot, partial, sym
from ..solution import Step
from .base import Array, Context, Count, Grads, Layer, Shape, Site, Trace, size, value_steps



class Flatten(Layer):
    """Every value of a sample in one vector."""

    type: Literal["flatten"] = Field(description="flatten: every value of a sample in one vector")

    def count(self, shape: Shape, *, site: Site) -> Count:
        n = size(shape)
        if len(shape) != 3:
            return Count((n,))
        shown = (shape[1], shape[2], shape[0]) if site.channels_last else shape
        formula = sym("H") * sym("W") * sym("C") if site.channels_last else sym("C") * sym("H") * sym("W")
        return Count((n,), steps=(Step(site.title(self, "flattened size"), lhs=sym("n"), formula=formula,
                                       substitution=dot(*shown), value=n),))

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        return Trace(x, params, x.reshape(x.shape[0], -1))

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        return Grads(g.reshape(trace.x.shape))

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        note = "channel 1 row by row, then channel 2, … (PyTorch's order)" if trace.x.ndim == 4 else None
        return value_steps(site.title(self, "flattened"), trace.y, ctx, note=note, lhs=site.y)

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "gradient reshaped back"), grads.x, ctx, lhs=partial("L", site.x))
