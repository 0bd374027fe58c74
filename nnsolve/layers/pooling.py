"""Pooling: max and average over sliding windows, global and adaptive pooling.

Values follow PyTorch: F.max_pool2d pads with −∞ and routes the gradient to the first maximum
of each window (row by row); F.avg_pool2d pads with zeros that count in the average
(``count_include_pad=True``) and spreads the gradient evenly. A window's stride defaults to
its size.
"""

from typing import ClassVar, Literal

from pydantic import Field, StrictBool, model_validator

from ..errors import SolveError
from ..expr import Raw, add, call, index, num, partial
from ..solution import Step
from . import tensor as T
from .tensor import np
from .base import Array, Context, Count, Grads, Layer, Shape, Site, Trace, needs_image, value_steps
from .convolution import ForOutput, LayerPadding, Pair, Window, padded, pair, window, window_steps, windows


class _Pool(Layer):
    window: Pair = Field(description="the pooling window: K for K×K, or [height, width] (Keras pool_size)")
    stride: Pair | None = Field(default=None, description="the step between windows; default the window")
    padding: LayerPadding = Field(default=0, description="zeros added on each side: a number, [height, width], "
                                                         "same, valid, or {output: N}: the padding that gives "
                                                         "that output size")
    ceil_mode: StrictBool = Field(default=False, description="PyTorch's ceil_mode: round the output size up (a "
                                                             "partial last window counts if it starts inside)")

    @model_validator(mode="after")
    def _ceil_with_a_number(self) -> "_Pool":
        if self.ceil_mode and self.padding == "same":
            raise ValueError("ceil_mode is PyTorch's and 'same' TensorFlow's: give the padding as a number")
        if self.ceil_mode and isinstance(self.padding, ForOutput):
            raise ValueError("padding {output: N} is found for the floor of the size formula: leave out ceil_mode")
        return self

    def _window(self, shape: Shape, site: Site) -> Window:
        size = pair(self.window)
        stride = pair(self.stride) if self.stride is not None else size
        if self.padding not in ("same", "valid") and not isinstance(self.padding, ForOutput) \
                and any(2 * p > k for p, k in zip(pair(self.padding), size)):
            raise SolveError(f"{self.type}: padding {self.padding} is more than half the window {self.window}",
                             field=site.at("padding"))
        win = window(self.padding, shape[1:], size, stride, what="window", kind=self.type, at=site.at("window"),
                     ceil=self.ceil_mode, padding_at=site.at("padding"))
        if win.asked and any(2 * max(p) > k for p, k in zip(win.pad, size)):
            raise SolveError(f"{self.type}: an output of {win.out[0]} × {win.out[1]} needs padding "
                             f"{win.pad[0]} and {win.pad[1]} (before, after), more than half the window "
                             f"{self.window}, which PyTorch refuses", field=site.at("padding"))
        return win

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        win = self._window(shape, site)
        return Count((shape[0], *win.out), steps=tuple(window_steps(win, site.title(self, "output"))),
                     scratch=shape[0] * win.padded[0] * win.padded[1], window=tuple(zip(win.span, win.stride)),
                     padding=win.pad if win.same or win.asked else None)

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        needs_image(self, shape, site)
        if self.padding == "same":
            raise SolveError(f"{self.type}: for values give the padding as a number (PyTorch's); 'same' pooling "
                             f"is TensorFlow's, which leaves the padding out of an average", field=site.at("padding"))
        self._window(shape, site)
        return {}

    def _cells(self, trace: Trace) -> Array:
        """(N, C, H_out, W_out, K_h·K_w): every window's cells, row by row."""
        v = windows(self._padded(trace.x, trace.cache["window"]), trace.cache["window"])
        return v.reshape(*v.shape[:4], -1)

    def _padded(self, x, win):
        return padded(x, win)

    def _gathered(self, trace: Trace, share) -> Grads:
        """∂L/∂x: ``share(k)`` is what window cell k (row by row) receives of its window's gradient;
        each cell adds it at its place in the input, where windows overlap too."""
        win = trace.cache["window"]
        (t, _), (l, _) = win.pad
        ho, wo = trace.y.shape[2:]
        gp = T.zeros((*trace.x.shape[:2], *win.reach))
        for i in range(win.kernel[0]):
            for j in range(win.kernel[1]):
                rows = slice(i, i + win.stride[0] * (ho - 1) + 1, win.stride[0])
                cols = slice(j, j + win.stride[1] * (wo - 1) + 1, win.stride[1])
                gp[:, :, rows, cols] = gp[:, :, rows, cols] + share(i * win.kernel[1] + j)
        return Grads(T.simplified(gp[:, :, t:t + trace.x.shape[2], l:l + trace.x.shape[3]]))


class MaxPool(_Pool):
    """Max pooling: the largest value of each window."""

    type: Literal["max_pool"] = Field(description="max_pool: the largest value of each window")

    MISTAKES: ClassVar[dict[str, str]] = {
        "spread_max_gradient": "spread the max-pool gradient evenly over the whole window instead of sending "
                               "it to the maximum",
    }

    def _padded(self, x, win):
        (t, _), (l, _) = win.pad
        out = T.full((x.shape[0], x.shape[1], *win.reach), float("-inf"))  # a partial window's overhang too
        out[:, :, t:t + x.shape[2], l:l + x.shape[3]] = x
        return out

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        win = self._window(x.shape[1:], Site("", ""))
        trace = Trace(x, params, x, {"window": win})
        cells = self._cells(trace)
        trace.cache["argmax"] = np.argmax(cells, axis=-1)
        trace.y = np.take_along_axis(cells, trace.cache["argmax"][..., None], axis=-1)[..., 0]
        return trace

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        if "spread_max_gradient" in ctx.mistakes:
            share = T.divided(g, len(self._cells(trace)[0, 0, 0, 0]))
            return self._gathered(trace, lambda k: share)
        return self._gathered(trace, lambda k: np.where(trace.cache["argmax"] == k, g, 0))

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        win = trace.cache["window"]
        steps = window_steps(win, site.title(self, "output"))
        cells = self._cells(trace)[0, 0, 0, 0]
        shown = [num(v) for v in cells if v != float("-inf")]
        where = (1, 1, 1) if trace.x.shape[1] > 1 else (1, 1)
        steps.append(Step(site.title(self, "first window"), lhs=index(site.y, *where), formula=call("max", Raw(
            "window", r"\text{window}")), substitution=call("max", *shown), value=trace.y[0, 0, 0, 0],
            note="the top-left window" + (" (padding is −∞: it never wins)" if len(shown) < len(cells) else "")))
        steps += value_steps(site.title(self, "output"), trace.y, ctx, lhs=site.y)
        return steps

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        note = ("each window's gradient goes to the cell that held its maximum (the first, on a tie); "
                "the other cells get 0")
        if "spread_max_gradient" in ctx.mistakes:
            note = "each window's gradient spread evenly over its cells"
        return value_steps(site.title(self, "gradient of its input"), grads.x, ctx, note=note,
                           lhs=partial("L", site.x))


class AvgPool(_Pool):
    """Average pooling: the mean of each window (padding zeros count, as PyTorch's default)."""

    type: Literal["avg_pool"] = Field(description="avg_pool: the mean of each window")

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        params = super().parameters(shape, site=site, ctx=ctx)
        win = self._window(shape, site)
        if win.reach != win.padded:
            raise SolveError("avg_pool: with ceil_mode a partial last window averages fewer cells; its values "
                             "are not worked out here (its shape is: use cnn_architecture)",
                             field=site.at("ceil_mode"))
        return params

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        win = self._window(x.shape[1:], Site("", ""))
        trace = Trace(x, params, x, {"window": win})
        n = win.kernel[0] * win.kernel[1]
        trace.y = T.divided(T.exact_sum(self._cells(trace), axis=-1), n)
        return trace

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        share = T.divided(g, len(self._cells(trace)[0, 0, 0, 0]))
        return self._gathered(trace, lambda k: share)

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        win = trace.cache["window"]
        steps = window_steps(win, site.title(self, "output"))
        cells = self._cells(trace)[0, 0, 0, 0]
        where = (1, 1, 1) if trace.x.shape[1] > 1 else (1, 1)
        steps.append(Step(site.title(self, "first window"), lhs=index(site.y, *where),
                          formula=Raw("Σ window / (K_h·K_w)", r"\frac{1}{K_h K_w} \sum \text{window}"),
                          substitution=add(*(num(v) for v in cells)) / num(len(cells)), value=trace.y[0, 0, 0, 0]))
        steps += value_steps(site.title(self, "output"), trace.y, ctx, lhs=site.y)
        return steps

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        k = trace.cache["window"].kernel
        return value_steps(site.title(self, "gradient of its input"), grads.x, ctx, lhs=partial("L", site.x),
                           note=f"each window's gradient shared equally by its {k[0] * k[1]} cells "
                                f"(÷ {k[0] * k[1]}), summed where windows overlap")


class GlobalAvgPool(Layer):
    """The mean of each channel: an image becomes a vector of channels."""

    type: Literal["global_avg_pool"] = Field(description="global_avg_pool: the mean of each channel")

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        return Count((shape[0],), steps=(Step(site.title(self, "one average per channel"), value=shape[0]),),
                     window="whole")

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        needs_image(self, shape, site)
        return {}

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        n = x.shape[2] * x.shape[3]
        return Trace(x, params, T.divided(T.exact_sum(x, axis=(2, 3)), n))

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        h, w = trace.x.shape[2:]
        return Grads(np.broadcast_to(T.divided(g, h * w)[:, :, None, None], trace.x.shape).copy())

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        h, w = trace.x.shape[2:]
        return [Step(site.title(self, "mean of each channel"), lhs=site.y,
                     formula=Raw("Σ channel / (H·W)", r"\frac{1}{HW} \sum \text{channel}"),
                     value=(trace.y if ctx.batched else trace.y[0]).tolist(), note=f"H·W = {h * w} cells each")]

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        h, w = trace.x.shape[2:]
        return value_steps(site.title(self, "gradient of its input"), grads.x, ctx, lhs=partial("L", site.x),
                           note=f"each channel's gradient shared by its {h * w} cells (÷ {h * w})")


class GlobalMaxPool(Layer):
    """The largest value of each channel: an image becomes a vector of channels."""

    type: Literal["global_max_pool"] = Field(description="global_max_pool: the largest value of each channel")

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        return Count((shape[0],), steps=(Step(site.title(self, "one maximum per channel"), value=shape[0]),),
                     window="whole")

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        needs_image(self, shape, site)
        return {}

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        flat = x.reshape(*x.shape[:2], -1)
        first = np.argmax(flat, axis=-1)  # the first maximum, row by row, as the gradient goes
        return Trace(x, params, np.take_along_axis(flat, first[..., None], axis=-1)[..., 0], {"argmax": first})

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        cells = trace.x.shape[2] * trace.x.shape[3]
        where = np.arange(cells)[None, None, :] == trace.cache["argmax"][..., None]
        return Grads(T.simplified(np.where(where, g[..., None], 0)).reshape(trace.x.shape))

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        return [Step(site.title(self, "maximum of each channel"), lhs=site.y,
                     formula=call("max", Raw("channel", r"\text{channel}")),
                     value=(trace.y if ctx.batched else trace.y[0]).tolist())]

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return value_steps(site.title(self, "gradient of its input"), grads.x, ctx, lhs=partial("L", site.x),
                           note="each channel's gradient goes to the cell that held its maximum (the first, on a "
                                "tie); the other cells get 0")


class _Adaptive(Layer):
    size: Pair = Field(description="the output's height and width: a number, or [height, width]")

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        out = pair(self.size)
        widths = [sorted({-(-((i + 1) * n) // o) - (i * n) // o for i in range(o)}) for n, o in zip(shape[1:], out)]
        words = " and ".join(f"{'/'.join(map(str, w))} {axis}" for w, axis in zip(widths, ("rows", "columns")))
        step = Step(site.title(self, "output height and width"), value=list(out),
                    note=f"window i spans ⌊i·H/H_out⌋ to ⌈(i + 1)·H/H_out⌉ (PyTorch): windows of {words}")
        return Count((shape[0], *out), steps=(step,), window="unknown")


class AdaptiveAvgPool(_Adaptive):
    """Average pooling to a given output size (PyTorch's nn.AdaptiveAvgPool2d): the windows follow from it."""

    type: Literal["adaptive_avg_pool"] = Field(description="adaptive_avg_pool: average pooling to a given size")


class AdaptiveMaxPool(_Adaptive):
    """Max pooling to a given output size (PyTorch's nn.AdaptiveMaxPool2d)."""

    type: Literal["adaptive_max_pool"] = Field(description="adaptive_max_pool: max pooling to a given size")
