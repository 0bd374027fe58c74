"""1-D and 3-D convolutions: shapes, parameters and MACs (the 2-D arithmetic of ``convolution``,
axis by axis).

A 1-D convolution slides along a sequence held steps × channels, as Keras' Conv1D and the
sequence layers take it (PyTorch's nn.Conv1d holds channels × steps: the same numbers,
transposed); a 3-D convolution along a volume held channels × depth × height × width
(nn.Conv3d; written depth × height × width × channels, as Keras' Conv3D). Each output axis is
⌊(N + 2P − D(K − 1) − 1)/S⌋ + 1, or ⌈N/S⌉ for padding 'same' (TensorFlow's rule).
"""

import math
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, StrictBool, model_validator

from ..errors import SolveError
from ..expr import dot, num, sym
from ..numbers import Real
from ..solution import Step
from ..spec import Count as Positive
from ..spec import NonNegative
from .activation import Activated, Name, activation_field, alpha_field
from .base import Count, Layer, Shape, Site
from .convolution import Window, _size_step, axis_padding

Sizes = Union[Positive, Annotated[list[Positive], Field(min_length=1, max_length=3)]]
Paddings = Union[NonNegative, Annotated[list[NonNegative], Field(min_length=1, max_length=3)], Literal["same", "valid"]]


class _ConvolutionNd(Activated, Layer):
    filters: Positive = Field(description="output channels (Keras filters, PyTorch out_channels)")
    kernel: Sizes = Field(description="the kernel's size: one number for every axis, or one per axis")
    stride: Sizes = Field(default=1, description="the step between windows: one number, or one per axis")
    padding: Paddings = Field(default=0, description="zeros on each side: one number, one per axis, same "
                                                     "(keeps ⌈size/stride⌉, as Keras) or valid (none)")
    dilation: Sizes = Field(default=1, description="the spacing between kernel taps: one number, or one per axis")
    groups: Positive = Field(default=1, description="input and output channels split into this many groups")
    bias: StrictBool = Field(default=True, description="one bias per filter (false: none)")
    activation: Name | None = activation_field()
    alpha: Real | None = alpha_field()

    AXES: ClassVar[tuple[str, ...]]

    @model_validator(mode="after")
    def _per_axis(self) -> "_ConvolutionNd":
        for name in ("kernel", "stride", "padding", "dilation"):
            value = getattr(self, name)
            if isinstance(value, list) and len(value) != len(self.AXES):
                raise ValueError(f"{name}: one number, or {len(self.AXES)} ({', '.join(self.AXES)}); "
                                 f"not {len(value)}")
        self._alpha_applies()
        return self

    def _each(self, name: str) -> tuple[int, ...]:
        value = getattr(self, name)
        return tuple(value) if isinstance(value, list) else (value,) * len(self.AXES)

    def _each_padding(self) -> tuple[int, ...]:
        """The zeros on each side of every axis, for a numeric padding (0s for 'same' and 'valid')."""
        return (0,) * len(self.AXES) if self.padding in ("same", "valid") else self._each("padding")

    def _split(self, shape: Shape, site: Site) -> tuple[tuple[int, ...], int]:
        """(the sizes along the sliding axes, the input channels)."""
        raise NotImplementedError

    def _shape(self, sizes: tuple[int, ...], channels: int) -> Shape:
        raise NotImplementedError

    def count(self, shape: Shape, *, site: Site) -> Count:
        sizes, c_in = self._split(shape, site)
        kernel, stride, dilation = self._each("kernel"), self._each("stride"), self._each("dilation")
        if c_in % self.groups or self.filters % self.groups:
            raise SolveError(f"{self.type}: groups = {self.groups} must divide both the input channels ({c_in}) "
                             f"and the filters ({self.filters})", field=site.at("groups"))
        pads = tuple(axis_padding(self.padding, 0, n, k, s, d) if self.padding in ("same", "valid") else (p, p)
                     for n, k, s, d, p in zip(sizes, kernel, stride, dilation, self._each_padding()))
        win = Window(tuple(sizes), kernel, stride, dilation, pads, self.padding == "same")
        win.fits("kernel", self.type, site.at("kernel"), along=self.AXES)
        out, spans = list(win.out), list(zip(win.span, stride))
        steps = [_size_step(site.title(self, f"output {self.AXES[a]}"), self.AXES[a][0].upper(), *win.axis(a),
                            self.padding == "same", out[a]) for a in range(len(self.AXES))]
        per_filter = math.prod(kernel) * (c_in // self.groups)
        params = per_filter * self.filters + (self.filters if self.bias else 0)
        if len(self.AXES) == 1 or len(set(kernel)) == 1:
            kernel_symbol = sym("K") if len(self.AXES) == 1 else sym("K") ** len(self.AXES)
        else:
            kernel_symbol = dot(*(sym(f"K_{axis[0]}") for axis in self.AXES))
        formula = kernel_symbol * sym("C_in") * sym("F") if self.groups == 1 \
            else kernel_symbol * sym("C_in") / sym("g") * sym("F")
        if self.bias:
            formula = formula + sym("F")
        substitution = dot(*kernel, c_in // self.groups, self.filters)
        steps.append(Step(site.title(self, "parameters"), lhs=sym("params"), formula=formula,
                          substitution=substitution + num(self.filters) if self.bias else substitution, value=params))
        macs = math.prod(out) * self.filters * per_filter
        mac_step = Step(site.title(self, "multiply-accumulates"), lhs=sym("MACs"),
                        formula=sym("positions") * sym("F") * kernel_symbol * sym("C_in"),
                        substitution=dot(*out, self.filters, *kernel, c_in // self.groups), value=macs)
        shape_out = self._shape(tuple(out), self.filters)
        fused = self.fused()
        extra = fused.count(shape_out, site=site) if fused is not None else Count(())
        return Count(shape_out, params + extra.params, macs, tuple(steps) + extra.steps, (mac_step,),
                     window=tuple(spans), padding=tuple(pads) if self.padding == "same" else None)


class Conv1d(_ConvolutionNd):
    """A 1-D convolution along a sequence of steps × channels (Keras' Conv1D, PyTorch's nn.Conv1d)."""

    type: Literal["conv1d"] = Field(description="conv1d: a 1-D convolution along a sequence (steps × channels)")

    AXES = ("length",)

    def _split(self, shape: Shape, site: Site) -> tuple[tuple[int, ...], int]:
        if len(shape) != 2:
            raise SolveError(f"conv1d: needs a sequence (steps × channels), but its input is {site.shape(shape)}",
                             field=site.field)
        return (shape[0],), shape[1]

    def _shape(self, sizes: tuple[int, ...], channels: int) -> Shape:
        return (*sizes, channels)


class Conv3d(_ConvolutionNd):
    """A 3-D convolution through a volume (PyTorch's nn.Conv3d, Keras' Conv3D)."""

    type: Literal["conv3d"] = Field(description="conv3d: a 3-D convolution through a volume")

    AXES = ("depth", "height", "width")

    def _split(self, shape: Shape, site: Site) -> tuple[tuple[int, ...], int]:
        if len(shape) != 4:
            raise SolveError(f"conv3d: needs a volume ({'depth × height × width × channels' if site.channels_last else 'channels × depth × height × width'}), "
                             f"but its input is {site.shape(shape)}", field=site.field)
        return shape[1:], shape[0]

    def _shape(self, sizes: tuple[int, ...], channels: int) -> Shape:
        return (channels, *sizes)
