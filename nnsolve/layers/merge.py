"""Layers that join branches: ``concatenate`` (along the channels, or a given axis), ``add`` and
``subtract`` (Keras' Subtract: the first input minus the second).

They take several inputs (``count(*shapes, site=…)``), named by the layer's ``inputs:``; neither
has parameters or MACs (nnsolve counts multiply-accumulates of weights only: an addition of
feature maps is none, as in torchinfo, ptflops and fvcore's defaults).
"""

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from ..errors import SolveError
from ..expr import add, sym
from ..solution import Step
from .base import Count, Layer, Shape, Site


def channel_axis(shape: Shape) -> int:
    """The channels of a shape as the library holds it: first for an image or a volume (C × H × W,
    C × D × H × W), last for a vector or a sequence (steps × features)."""
    return 0 if len(shape) >= 3 else len(shape) - 1


def _several(layer: Layer, shapes: tuple[Shape, ...], site: Site) -> None:
    if len(shapes) < 2:
        raise SolveError(f"{layer.type}: joins two or more inputs; name them in 'inputs' "
                         f"(it has {len(shapes)})", field=site.at("inputs"))


def _listed(shapes: tuple[Shape, ...], site: Site) -> str:
    return ", ".join(site.shape(s) for s in shapes)


class Concatenate(Layer):
    """Its inputs side by side along one axis (the channels unless ``axis`` says otherwise)."""

    type: Literal["concatenate"] = Field(description="concatenate: its inputs joined along the channels")
    axis: Annotated[StrictInt, Field(ge=-4, le=3)] | None = Field(
        default=None, description="the axis joined, counted in the shape as the problem writes it (no batch "
                                  "axis; negative from the end); default the channels")

    def _axis(self, shape: Shape, site: Site) -> int:
        if self.axis is None:
            return channel_axis(shape)
        if not -len(shape) <= self.axis < len(shape):
            raise SolveError(f"concatenate: axis {self.axis} does not exist in a shape of {len(shape)} axes "
                             f"({site.shape(shape)})", field=site.at("axis"))
        return site.internal_axis(self.axis % len(shape), len(shape))

    def count(self, *shapes: Shape, site: Site) -> Count:
        _several(self, shapes, site)
        first = shapes[0]
        axis = self._axis(first, site)
        rest = lambda s: s[:axis] + s[axis + 1:]  # noqa: E731
        if any(len(s) != len(first) or rest(s) != rest(first) for s in shapes):
            raise SolveError(f"concatenate: its inputs are {_listed(shapes, site)}; every axis but the joined "
                             f"one ({_axis_words(axis, first, site)}) must agree", field=site.at("inputs"))
        joined = sum(s[axis] for s in shapes)
        out = first[:axis] + (joined,) + first[axis + 1:]
        step = Step(site.title(self, f"{_axis_words(axis, first, site)} joined"), lhs=sym("C_out"),
                    substitution=add(*(s[axis] for s in shapes)), value=joined,
                    note=f"{_listed(shapes, site)} → {site.shape(out)}")
        return Count(out, steps=(step,))


class Add(Layer):
    """The element-wise sum of its inputs, which must have one shape (a residual connection)."""

    type: Literal["add"] = Field(description="add: the element-wise sum of its inputs (same shape)")

    def count(self, *shapes: Shape, site: Site) -> Count:
        _several(self, shapes, site)
        if any(s != shapes[0] for s in shapes):
            raise SolveError(f"add: its inputs are {_listed(shapes, site)}; they must have one shape to be added",
                             field=site.at("inputs"))
        return Count(shapes[0])


class Subtract(Layer):
    """The first input minus the second (Keras' Subtract; a Siamese network's difference)."""

    type: Literal["subtract"] = Field(description="subtract: its first input minus its second (same shape)")

    def count(self, *shapes: Shape, site: Site) -> Count:
        if len(shapes) != 2 or shapes[0] != shapes[1]:
            raise SolveError(f"subtract: takes two inputs of one shape, but its inputs are "
                             f"{_listed(shapes, site) or 'none'}", field=site.at("inputs"))
        return Count(shapes[0])


def _axis_words(axis: int, shape: Shape, site: Site) -> str:
    if axis == channel_axis(shape):
        return "channels" if len(shape) != 1 else "features"
    return f"axis {site.written_axis(axis, len(shape))}"
