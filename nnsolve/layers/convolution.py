"""Convolutions: the sliding-window arithmetic (once, for every topic), and the convolution layers.

Output size per axis ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1 (PyTorch's formula; with D = 1 it is the
familiar ⌊(H + 2P − K)/S⌋ + 1). Padding 'same' follows TensorFlow/Keras: the output is ⌈H/S⌉
for any stride, padded with max((⌈H/S⌉ − 1)·S + D(K − 1) + 1 − H, 0) zeros in all, the odd one
after (bottom/right); PyTorch allows 'same' only with stride 1, where the two agree. Padding
``{output: O}`` asks for the zeros that give O outputs: P_total = (O − 1)·S + D(K − 1) + 1 − H in
all (the least), P_total/2 per side when that is whole; an odd P_total with S > 1 still has a
symmetric answer, ⌈P_total/2⌉ (the floor drops the spare zero); with S = 1 it has none, and the
zeros are split as TensorFlow does, the odd one after (PyTorch: F.pad, then the convolution). A
transposed convolution's output is (H − 1)·S − 2P + D(K − 1) + P_out + 1 (PyTorch's).

Values are cross-correlations, as every framework computes them (the kernel is not flipped).
"""

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Discriminator, Field, StrictBool, Tag, model_validator

from ..errors import SolveError
from ..expr import Expr, Raw, add, call, dot, index, num, partial, sym
from ..numbers import Real
from ..solution import Step
from ..spec import Count as Positive
from ..spec import NonNegative, Strict
from . import tensor as T
from .tensor import np
from .activation import FULL_CELLS, Activated, Name, activation_field, alpha_field
from .base import Array, Context, Count, Grads, Layer, Shape, Site, Trace, checked, needs_image, shape_text

Pair = Union[Positive, Annotated[list[Positive], Field(min_length=2, max_length=2)]]
Padding = Union[NonNegative, Annotated[list[NonNegative], Field(min_length=2, max_length=2)],
                Literal["same", "valid"]]


class ForOutput(Strict):
    """Padding asked for rather than given: the zeros per side that give an output size."""

    output: Pair = Field(description="the output size wanted, N for N×N or [height, width]; the padding per "
                                     "side that gives it is an answer (padding_layer_N)")


def _padding_kind(value) -> str:
    return "output" if isinstance(value, (dict, ForOutput)) else "size"


# A mapping is the {output: N} form, anything else a size: a bad file gets the errors of its form only.
LayerPadding = Annotated[Union[Annotated[Padding, Tag("size")], Annotated[ForOutput, Tag("output")]],
                         Discriminator(_padding_kind)]
Bias = Union[StrictBool, Real, Annotated[list[Real], Field(min_length=1)]]

MAX_TERMS = 32  # products written out in one worked cell; a longer sum is stated, not spelt out


def pair(value) -> tuple[int, int]:
    """A size given as one number or as [rows, columns]."""
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def axis_padding(padding, axis: int, size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """Zeros (before, after) on one axis; 'same' pads so that the output is ⌈size / s⌉."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
        return total // 2, total - total // 2
    if isinstance(padding, ForOutput):
        return padding_for(pair(padding.output)[axis], size, k, s, d)
    p = pair(padding)[axis]
    return p, p


def least_padding(out: int, size: int, k: int, s: int, d: int) -> int:
    """The fewest zeros in all that give ``out`` outputs: the last window must end on the last cell."""
    return (out - 1) * s + d * (k - 1) + 1 - size


def padding_for(out: int, size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """Zeros (before, after) that give ``out`` outputs: the same on both sides when an integer does
    (an odd total with a stride above 1: one zero more, which the floor drops), else TensorFlow's
    split with the odd zero after. Negative when even no padding makes the output that small."""
    total = least_padding(out, size, k, s, d)
    if -s < total < 0:  # no zeros at all: the floor drops the cells after the last window
        return 0, 0
    if total % 2 == 0 or s == 1:
        return total // 2, total - total // 2
    return (total + 1) // 2, (total + 1) // 2


@dataclass(frozen=True)
class Window:
    """A kernel (or pooling window) sliding over an input: everything that is not a value."""

    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[tuple[int, int], tuple[int, int]]  # (before, after) for rows, then columns
    same: bool = False
    ceil: bool = False
    asked: bool = False  # padding {output: O}: the pads were found for that output  # pooling's ceil_mode: a last, partial window counts if it starts inside the input

    @property
    def span(self) -> tuple[int, int]:
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))  # type: ignore[return-value]

    @property
    def padded(self) -> tuple[int, int]:
        return tuple(n + p[0] + p[1] for n, p in zip(self.size, self.pad))  # type: ignore[return-value]

    @property
    def out(self) -> tuple[int, int]:
        if not self.ceil:
            return tuple((n - span) // s + 1 for n, span, s in zip(self.padded, self.span, self.stride))  # type: ignore
        out = []
        for n, (before, _), padded, span, s in zip(self.size, self.pad, self.padded, self.span, self.stride):
            o = -(-(padded - span) // s) + 1
            out.append(o - 1 if (o - 1) * s >= n + before else o)  # PyTorch: the last window starts inside
        return tuple(out)  # type: ignore[return-value]

    @property
    def reach(self) -> tuple[int, int]:
        """The cells the windows cover: the padded input, and in ceil mode a partial last window's overhang."""
        return tuple(max(p, (o - 1) * s + span) for p, o, s, span in  # type: ignore[return-value]
                     zip(self.padded, self.out, self.stride, self.span))

    def axis(self, a: int) -> tuple:
        return self.size[a], self.kernel[a], self.stride[a], self.pad[a], self.dilation[a]

    def fits(self, what: str, kind: str | None, field: str, along: tuple[str, ...] | None = None) -> None:
        """A SolveError at ``field`` when the ``what`` (kernel, window) spans more than its padded input
        on an axis (named ``along`` a sequence's or a volume's axes, else in pixels)."""
        for a, (n, span, (before, after)) in enumerate(zip(self.size, self.span, self.pad)):
            if n + before + after < span and not (self.ceil and self.out[a] >= 1):  # ceil mode: a partial window
                prefix = f"{kind}: " if kind else ""
                extent = f"{span} pixels" if along is None else f"{span} along the {along[a]}"
                raise SolveError(f"{prefix}the {what} spans {extent} but its padded input is only "
                                 f"{n + before + after} ({n} + {before} + {after}); nothing to slide it over",
                                 field=field)


def window(padding, size, kernel, stride, dilation=(1, 1), *, what: str = "kernel", kind: str | None = None,
           at: str | None = None, ceil: bool = False, padding_at: str = "padding") -> Window:
    """The window of a sliding layer on an input of ``size`` (rows, columns); an error at the
    field ``at`` (default ``what``) when the ``what`` (kernel, window) does not fit its padded input,
    or at ``padding_at`` when no padding gives the output a ``{output: O}`` padding asks for."""
    pads = tuple(axis_padding(padding, a, size[a], kernel[a], stride[a], dilation[a]) for a in (0, 1))
    asked = isinstance(padding, ForOutput)
    if asked and min(min(p) for p in pads) < 0:
        a = 0 if min(pads[0]) < 0 else 1
        valid = (size[a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1
        prefix = f"{kind}: " if kind else ""
        raise SolveError(f"{prefix}no padding gives an output {('height', 'width')[a]} of "
                         f"{pair(padding.output)[a]}: with none it is already {valid}", field=padding_at)
    win = Window(tuple(size), tuple(kernel), tuple(stride), tuple(dilation), pads, padding == "same",  # type: ignore
                 ceil, asked)
    win.fits(what, kind, at or what)
    return win


H, K, S, P, D, F = sym("H"), sym("K"), sym("S"), sym("P"), sym("D"), sym("F")


def _size_step(title: str, axis_name: str, size, k, s, pad, d, same: bool, value: int, ceil: bool = False) -> Step:
    X = sym(axis_name)
    if same:
        return Step(title, lhs=sym(f"{axis_name}_out"), formula=call("ceil", X / S),
                    substitution=call("ceil", num(size) / num(s)), value=value,
                    note=f"padding 'same': {pad[0] + pad[1]} in all on this axis ({pad[0]} before, {pad[1]} after)")
    if ceil:
        inner = num(size) + dot(2, pad[0]) - (dot(d, num(k) - 1) + 1 if d != 1 else num(k))
        rounded = -(-(size + 2 * pad[0] - d * (k - 1) - 1) // s) + 1
        return Step(title, lhs=sym(f"{axis_name}_out"),
                    formula=call("ceil", (X + 2 * P - (D * (K - 1) + 1 if d != 1 else K)) / S) + 1,
                    substitution=call("ceil", inner / num(s)) + 1, value=value,
                    note="ceil_mode (PyTorch): a partial last window counts if it starts inside the input or its "
                         "left padding" + (f"; the last of {rounded} would start in the right padding, so it is "
                                           f"dropped" if rounded != value else ""))
    if pad[0] != pad[1]:  # zeros split unevenly (padding {output: O} with S = 1)
        padding, padding_value = sym("P_before") + sym("P_after"), num(pad[0]) + num(pad[1])
    else:
        padding, padding_value = 2 * P, dot(2, pad[0])
    if d != 1:
        formula = call("floor", (X + padding - D * (K - 1) - 1) / S) + 1
        inner = num(size) + padding_value - dot(d, num(k) - 1) - 1
    else:
        formula = call("floor", (X + padding - K) / S) + 1
        inner = num(size) + padding_value - num(k)
    return Step(title, lhs=sym(f"{axis_name}_out"), formula=formula,
                substitution=call("floor", inner / num(s)) + 1, value=value)


def window_steps(win: Window, title: str) -> list[Step]:
    """The output height and width, one step when both axes agree (``title`` + " height and width")."""
    out = win.out
    if win.axis(0) == win.axis(1):
        return _padding_steps(win, 0, title, "") + [
            _size_step(f"{title} height and width", "H", *win.axis(0), win.same, out[0], win.ceil)]
    return (_padding_steps(win, 0, title, " (height)") + _padding_steps(win, 1, title, " (width)")
            + [_size_step(f"{title} height", "H", *win.axis(0), win.same, out[0], win.ceil),
               _size_step(f"{title} width", "W", *win.axis(1), win.same, out[1], win.ceil)])


def _padding_steps(win: Window, a: int, title: str, which: str) -> list[Step]:
    """Padding {output: O}: the least zeros in all, then per side (or TensorFlow's uneven split)."""
    if not win.asked:
        return []
    size, k, s, (before, after), d = win.axis(a)
    out = win.out[a]
    total = least_padding(out, size, k, s, d)
    span, span_value = (D * (K - 1) + 1, dot(d, num(k) - 1) + 1) if d != 1 else (K, num(k))
    what = f"{title.removesuffix('output')}padding{which}"
    steps = [Step(f"{what}: the zeros in all for an output of {out}", lhs=sym("P_total"),
                  formula=(sym("O") - 1) * S + span - sym("H"),
                  substitution=dot(num(out) - 1, s) + span_value - num(size), value=total,
                  note="the least: the last of O windows, S apart, must end on the last padded cell")]
    if total < 0:
        steps.append(Step(f"{what} per side", lhs=P, value=0,
                          note=f"P_total is negative: with no padding the last {-total} cell(s) are left over, "
                               f"which the floor drops"))
    elif before == after and total % 2 == 0:
        steps.append(Step(f"{what} per side", lhs=P, formula=sym("P_total") / 2, substitution=num(total) / 2,
                          value=before))
    elif before == after:
        steps.append(Step(f"{what} per side", lhs=P, formula=call("ceil", sym("P_total") / 2),
                          substitution=call("ceil", num(total) / 2), value=before,
                          note=f"P_total is odd, but with S = {s} the floor drops the spare zero: {before} per "
                               f"side gives {out} too (TensorFlow's split of the least, {total // 2} before and "
                               f"{total - total // 2} after, also does)"))
    else:
        steps += [Step(f"{what} before (top/left)", lhs=sym("P_before"), formula=call("floor", sym("P_total") / 2),
                       substitution=call("floor", num(total) / 2), value=before,
                       note=f"P_total is odd and S = 1: no whole padding per side gives {out} (P = {before} gives "
                            f"{out - 1}, P = {after} gives {out + 1}); split as TensorFlow does, the odd zero "
                            f"after (in PyTorch F.pad, then the convolution)"),
                  Step(f"{what} after (bottom/right)", lhs=sym("P_after"), formula=sym("P_total") - sym("P_before"),
                       substitution=num(total) - num(before), value=after)]
    return steps


# ---------------------------------------------------------------------------------------------
# Values: sums of products over windows, exact (see nnsolve.layers.tensor.bilinear)

def padded(x: Array, win: Window) -> Array:
    """(N, C, H, W) with the window's zeros around it."""
    (t, b), (l, r) = win.pad
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + t + b, w + l + r), dtype=x.dtype)
    out[:, :, t:t + h, l:l + w] = x
    return out


def windows(xp: Array, win: Window, positions: tuple[int, int] | None = None) -> Array:
    """(N, C, H_out, W_out, K_h, K_w): the cells each output position multiplies (a view)."""
    v = np.lib.stride_tricks.sliding_window_view(xp, win.span, axis=(2, 3))
    v = v[:, :, ::win.stride[0], ::win.stride[1], ::win.dilation[0], ::win.dilation[1]]
    return v if positions is None else v[:, :, :positions[0], :positions[1]]


def correlate(x: Array, w: Array, b: Array | None, win: Window, groups: int = 1) -> Array:
    """The cross-correlation of (N, C, H, W) with filters (F, C/g, K_h, K_w), plus one bias per filter."""
    cg, fg = w.shape[1], w.shape[0] // groups

    def products(xp, w_):
        return np.concatenate([np.einsum("nchwij,fcij->nfhw", windows(xp[:, g * cg:(g + 1) * cg], win),
                                         w_[g * fg:(g + 1) * fg]) for g in range(groups)], axis=1)

    y = T.bilinear(products, padded(x, win), w)
    return T.simplified(y + b[None, :, None, None]) if b is not None else y


def cell_products(xp: Array, w: Array, win: Window, groups: int, f: int, r: int = 0, c: int = 0,
                  n: int = 0) -> list[tuple]:
    """The (input, weight) pairs multiplied for output cell (r, c) of filter f, sample n, in the
    order a hand calculation takes them: channel by channel, row by row."""
    cg, fg = w.shape[1], w.shape[0] // groups
    first = (f // fg) * cg
    v = windows(xp[n:n + 1, first:first + cg], win)[0, :, r, c]  # (C/g, K_h, K_w)
    return [(v[ch, i, j], w[f, ch, i, j]) for ch in range(cg) for i in range(win.kernel[0])
            for j in range(win.kernel[1])]


def _scatter(out_shape, source, w_, win: Window, groups: int, positions: tuple[int, int], transpose: bool):
    """Σ over kernel cells of source ⊗ weight, each added at its strided place in ``out_shape``:
    the input gradient of a convolution (``transpose=False``) or a transposed convolution's output."""
    out = np.zeros(out_shape, dtype=source.dtype)
    sh, sw = win.stride
    c_out = out_shape[1] // groups
    c_src = source.shape[1] // groups
    for g in range(groups):
        src = source[:, g * c_src:(g + 1) * c_src]
        for i in range(win.kernel[0]):
            for j in range(win.kernel[1]):
                if transpose:  # w_ is (C_in, C_out/g, K_h, K_w)
                    cell = np.einsum("nchw,cf->nfhw", src, w_[g * c_src:(g + 1) * c_src, :, i, j])
                else:  # w_ is (F, C/g, K_h, K_w); source is the gradient of the F outputs
                    cell = np.einsum("nfhw,fc->nchw", src, w_[g * c_src:(g + 1) * c_src, :, i, j])
                r, c = i * win.dilation[0], j * win.dilation[1]
                out[:, g * c_out:(g + 1) * c_out, r:r + sh * (positions[0] - 1) + 1:sh,
                    c:c + sw * (positions[1] - 1) + 1:sw] += cell
    return out


def correlate_backward(x: Array, w: Array, g: Array, win: Window, groups: int = 1):
    """∂L/∂x, ∂L/∂W and ∂L/∂b of ``correlate`` from ∂L/∂y."""
    cg, fg = w.shape[1], w.shape[0] // groups
    xp = padded(x, win)

    def weight_products(xp_, g_):
        return np.concatenate([np.einsum("nchwij,nfhw->fcij", windows(xp_[:, k * cg:(k + 1) * cg], win),
                                         g_[:, k * fg:(k + 1) * fg]) for k in range(groups)], axis=0)

    dw = T.bilinear(weight_products, xp, g)
    dxp = T.bilinear(lambda g_, w_: _scatter(xp.shape, g_, w_, win, groups, win.out, transpose=False), g, w)
    (t, _), (l, _) = win.pad
    dx = dxp[:, :, t:t + x.shape[2], l:l + x.shape[3]]
    db = T.exact_sum(g, axis=(0, 2, 3))
    return dx, dw, db


# ---------------------------------------------------------------------------------------------
# The layers

class _Convolution(Activated, Layer):
    kernel: Pair | None = Field(default=None, description="the kernel's size: K for K×K, or [height, width]; from "
                                                          "the weights when they are given")
    stride: Pair = Field(default=1, description="the step between windows: a number, or [height, width]")
    padding: LayerPadding = Field(default=0, description="zeros added on each side: a number, [height, width], "
                                                         "same (keeps ⌈size/stride⌉, as Keras), valid (none), or "
                                                         "{output: N}: the padding that gives that output size")
    dilation: Pair = Field(default=1, description="the spacing between kernel taps: a number, or [height, width]")
    bias: Bias = Field(default=True, description="true/false (count one bias per filter or none), or the bias "
                                                 "values: one number per filter, or one for all")
    activation: Name | None = activation_field()
    alpha: Real | None = alpha_field()

    @model_validator(mode="after")
    def _alpha_given(self) -> "_Convolution":
        self._alpha_applies()
        return self

    @property
    def has_bias(self) -> bool:
        return self.bias is not False

    def written(self, name: str, value: Array, ctx: Context) -> Array:
        """The weights (or their gradient) nested as the file writes them: a matrix for one kernel."""
        return value.reshape(T.rectangular(self.weights)) if name == "W" and self.weights is not None else value

    def _written_shape(self, what: str) -> tuple[int, ...] | None:
        """The weights' shape (None without weights); a ValueError when the sizes are missing or disagree."""
        if self.weights is None:
            if getattr(self, "filters", None) is None or self.kernel is None:
                raise ValueError(f"give 'filters' and 'kernel' (or the {what} themselves as 'weights')")
            return None
        shape = T.rectangular(self.weights, "weights")
        if self.kernel is not None and pair(self.kernel) != shape[-2:]:
            raise ValueError(f"kernel: {shape_text(pair(self.kernel))}, but the weights' {what} are "
                             f"{shape_text(shape[-2:])}")
        return shape

    def kernel_shape(self) -> tuple[int, int]:
        """(rows, columns) of the kernel, as given or from the weights."""
        return pair(self.kernel) if self.kernel is not None else tuple(T.rectangular(self.weights)[-2:])  # type: ignore

    def _bias_values(self, filters: int, site: Site) -> Array | None:
        if not self.has_bias:
            return None
        if self.bias is True:
            raise SolveError("give the bias values (one per filter, or one number for all), or bias: false",
                             field=site.at("bias"))
        values = self.bias if isinstance(self.bias, list) else [self.bias] * filters
        return checked(T.tensor(values), (filters,), site, "bias",
                       f"{self.type}: {len(values)} bias values for {filters} filters")


class Conv2d(_Convolution):
    """A 2-D convolution with ``filters`` output channels (PyTorch's nn.Conv2d, Keras' Conv2D)."""

    type: Literal["conv2d"] = Field(description="conv2d: a 2-D convolution")
    filters: Positive | None = Field(default=None, description="output channels (Keras filters, PyTorch "
                                                               "out_channels); from the weights when given")
    groups: Positive = Field(default=1, description="input and output channels split into this many groups, as "
                                                    "PyTorch")
    weights: T.numbers(2, 3, 4) | None = Field(
        default=None, description="the filters, filters × channels × rows × columns (PyTorch's layout); a matrix "
                                  "is one filter on one channel, a list of matrices one-channel filters")

    MISTAKES: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _sizes_given(self) -> "Conv2d":
        shape = self._written_shape("filters")
        filters = shape and (1 if len(shape) == 2 else shape[0])
        if shape and self.filters is not None and self.filters != filters:
            raise ValueError(f"filters: {self.filters}, but the weights hold {filters} filter(s)")
        return self

    def _geometry(self, c_in: int) -> tuple[int, int, tuple[int, int]]:
        """(filters, groups, kernel)."""
        if self.weights is None:
            return self.filters, self.groups, pair(self.kernel)
        shape = T.rectangular(self.weights)
        return (1 if len(shape) == 2 else shape[0]), self.groups, (shape[-2], shape[-1])

    def _window(self, shape: Shape, site: Site) -> Window:
        filters, groups, kernel = self._geometry(shape[0])
        return window(self.padding, shape[1:], kernel, pair(self.stride), pair(self.dilation),
                      kind=self.type, at=site.at("kernel" if self.weights is None else "weights"),
                      padding_at=site.at("padding"))

    def _groups_fit(self, c_in: int, filters: int, groups: int, site: Site) -> None:
        if c_in % groups or filters % groups:
            raise SolveError(f"{self.type}: groups = {groups} must divide both the input channels ({c_in}) "
                             f"and the filters ({filters})", field=site.at("groups"))

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        c_in = shape[0]
        filters, groups, kernel = self._geometry(c_in)
        self._groups_fit(c_in, filters, groups, site)
        win = self._window(shape, site)
        return _conv_count(self, site, win, c_in, filters, groups, self.has_bias)

    # --- values
    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        needs_image(self, shape, site)
        c_in = shape[0]
        if self.weights is None:
            raise SolveError("give the filters' values as 'weights' (filters × channels × rows × columns)",
                             field=site.at("weights"))
        filters, groups, kernel = self._geometry(c_in)
        self._groups_fit(c_in, filters, groups, site)
        w = T.tensor(self.weights)
        if w.ndim == 2:
            w = w[None, None]
        elif w.ndim == 3:
            if c_in // groups != 1:
                raise SolveError(f"the weights are {shape_text(w.shape)}: for an input of {c_in} channels write "
                                 f"each filter as channels × rows × columns (four levels of lists)",
                                 field=site.at("weights"))
            w = w[:, None]
        want = (filters, c_in // groups, *kernel)
        checked(w, want, site, "weights", f"conv2d: the weights are {shape_text(w.shape)} (filters × channels × "
                                          f"rows × columns) but the input is {shape_text(shape)}: they must be "
                                          f"{shape_text(want)}")
        self._window(shape, site)
        params = {"W": w}
        b = self._bias_values(filters, site)
        if b is not None:
            params["b"] = b
        return params

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        win = self._window(x.shape[1:], Site("", ""))
        return Trace(x, params, correlate(x, params["W"], params.get("b"), win, self.groups), {"window": win})

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        dx, dw, db = correlate_backward(trace.x, trace.params["W"], g, trace.cache["window"], self.groups)
        grads = {"W": dw}
        if "b" in trace.params:
            grads["b"] = db
        return Grads(dx, grads)

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        win = trace.cache["window"]
        steps = window_steps(win, site.title(self, "output"))
        xp = padded(trace.x, win)
        if any(p for axis in win.pad for p in axis):
            (t, b), (l, r) = win.pad
            steps += _matrices(site.title(self, f"padded input (zeros: {t} above, {b} below, {l} left, {r} right)"),
                               xp[0])
        w, bias = trace.params["W"], trace.params.get("b")
        filters = w.shape[0]
        for f in range(min(filters, 4)):
            steps.append(_cell_step(site, self, xp, w, bias, win, self.groups, f, trace.y))
        steps += _output_steps(site.title(self, "output"), trace.y, ctx, site.y)
        return steps

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        win = trace.cache["window"]
        xp = padded(trace.x, win)
        steps = _bias_steps(self, site, grads)
        # one weight: ∂L/∂W[f, c, i, j] = Σ ∂L/∂y[f, h, w] · x_pad[c, h·S + i·D, w·S + j·D]
        gw = windows(xp, win)  # (N, C, H_out, W_out, K_h, K_w)
        terms = [(g[n, 0, h, v], gw[n, 0, h, v, 0, 0]) for n in range(g.shape[0])
                 for h in range(g.shape[2]) for v in range(g.shape[3])]
        steps.append(_sum_step(site.title(self, "gradient of one weight"),
                               partial("L", index(site.symbol("W"), 1, 1, 1, 1)),
                               Raw("Σ ∂L/∂y[1, h, w] · x[1, h·S + 1, w·S + 1]",
                                   r"\sum_{h,w} \frac{\partial L}{\partial y_{1,h,w}} \, x_{1,\,hS+1,\,wS+1}"),
                               terms, grads.params["W"][0, 0, 0, 0],
                               "every position the top-left weight of filter 1 touched channel 1"))
        steps += _param_steps(site.title(self, "gradient of the weights"), grads.params["W"],
                              partial("L", site.symbol("W")))
        steps += _output_steps(site.title(self, "gradient of its input"), grads.x, ctx, partial("L", site.x),
                               note="each input cell collects ∂L/∂y · w from every window that covers it")
        return steps


class DepthwiseConv2d(_Convolution):
    """A depthwise convolution: each input channel convolved with its own ``multiplier`` kernels."""

    type: Literal["depthwise_conv2d"] = Field(description="depthwise_conv2d: one kernel per input channel")
    multiplier: Positive = Field(default=1, description="kernels per input channel (Keras depth_multiplier)")

    @model_validator(mode="after")
    def _kernel_given(self) -> "DepthwiseConv2d":
        if self.kernel is None:
            raise ValueError("give 'kernel'")
        return self

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        c_in = shape[0]
        win = window(self.padding, shape[1:], pair(self.kernel), pair(self.stride), pair(self.dilation),
                     kind=self.type, at=site.at("kernel"), padding_at=site.at("padding"))
        return _conv_count(self, site, win, c_in, c_in * self.multiplier, c_in, self.has_bias)


def _conv_count(layer, site: Site, win: Window, c_in: int, filters: int, groups: int, bias: bool) -> Count:
    """Shape, parameters (K_h·K_w·C_in/g + 1 per filter) and MACs of a convolution, with their steps."""
    kernel = win.kernel
    h_out, w_out = win.out
    per_filter = kernel[0] * kernel[1] * (c_in // groups)
    params = per_filter * filters + (filters if bias else 0)
    macs = h_out * w_out * filters * per_filter
    # Per filter K·K·C_in/g weights (K·K for a depthwise kernel, which sees one channel).
    square = K * K if kernel[0] == kernel[1] else sym("K_h") * sym("K_w")
    depthwise = groups == c_in and groups > 1
    per_filter_formula = square if depthwise else square * sym("C_in") / sym("g") if groups > 1 \
        else square * sym("C_in")
    factors = kernel if depthwise else (*kernel, c_in // groups)
    formula, substitution = ((per_filter_formula + 1) * F, (dot(*factors) + 1) * num(filters)) if bias \
        else (per_filter_formula * F, dot(*factors, filters))
    steps = window_steps(win, site.title(layer, "output"))
    steps.append(Step(site.title(layer, "parameters"), lhs=sym("params"), formula=formula,
                      substitution=substitution, value=params,
                      note=f"depthwise: each of the F = {filters} kernels sees one input channel" if depthwise else None))
    mac_step = Step(site.title(layer, "multiply-accumulates"), lhs=sym("MACs"),
                    formula=sym("H_out") * sym("W_out") * F * per_filter_formula,
                    substitution=dot(h_out, w_out, filters, *factors), value=macs)
    fused = layer.fused() if hasattr(layer, "fused") else None
    extra = fused.count((filters, h_out, w_out), site=site) if fused is not None else Count(())
    return Count((filters, h_out, w_out), params + extra.params, macs, tuple(steps) + extra.steps, (mac_step,),
                 scratch=c_in * win.padded[0] * win.padded[1], window=tuple(zip(win.span, win.stride)),
                 padding=win.pad if win.same or win.asked else None)


class ConvTranspose2d(_Convolution):
    """A transposed convolution (PyTorch's nn.ConvTranspose2d): each input cell adds input × kernel
    into the output, the kernel's place moving S cells for each input cell."""

    type: Literal["conv_transpose2d"] = Field(
        description="conv_transpose2d: a transposed convolution (PyTorch ConvTranspose2d)")
    filters: Positive | None = Field(default=None, description="output channels; from the weights when given")
    padding: Union[NonNegative, Annotated[list[NonNegative], Field(min_length=2, max_length=2)]] = Field(
        default=0, description="P: rows and columns cut from each side of the full output (PyTorch's padding)")
    output_padding: Union[NonNegative, Annotated[list[NonNegative], Field(min_length=2, max_length=2)]] = Field(
        default=0, description="extra rows and columns at the bottom and right (less than the stride or the dilation)")
    groups: Positive = Field(default=1, description="as PyTorch")
    weights: T.numbers(2, 4) | None = Field(
        default=None, description="the kernels, input channels × output channels × rows × columns (PyTorch's "
                                  "layout); a matrix is one input and one output channel")

    @model_validator(mode="after")
    def _sizes_given(self) -> "ConvTranspose2d":
        self._written_shape("kernels")
        for a, (op, s, d) in enumerate(zip(pair(self.output_padding), pair(self.stride), pair(self.dilation))):
            if op >= max(s, d):
                raise ValueError(f"output_padding {op} must be less than the stride ({s}) or the dilation ({d})")
        return self

    def _geometry(self, c_in: int) -> tuple[int, tuple[int, int]]:
        """(output channels, kernel)."""
        if self.weights is None:
            return self.filters, pair(self.kernel)
        shape = T.rectangular(self.weights)
        return (1 if len(shape) == 2 else shape[1] * self.groups), (shape[-2], shape[-1])

    def _sizes(self, shape: Shape, site: Site) -> tuple[Window, tuple[int, int]]:
        c_out, kernel = self._geometry(shape[0])
        win = Window(shape[1:], kernel, pair(self.stride), pair(self.dilation),
                     tuple((p, p) for p in pair(self.padding)))  # type: ignore[arg-type]
        out = tuple((n - 1) * s - 2 * p + span + op for n, s, p, span, op in
                    zip(shape[1:], win.stride, pair(self.padding), win.span, pair(self.output_padding)))
        if min(out) < 1:
            raise SolveError(f"{self.type}: padding {self.padding} cuts the whole output away "
                             f"(output {shape_text(out)})", field=site.at("padding"))
        return win, out  # type: ignore[return-value]

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_image(self, shape, site)
        c_in = shape[0]
        c_out, kernel = self._geometry(c_in)
        if c_in % self.groups or c_out % self.groups:
            raise SolveError(f"{self.type}: groups = {self.groups} must divide both the input channels ({c_in}) "
                             f"and the filters ({c_out})", field=site.at("groups"))
        win, out = self._sizes(shape, site)
        per_input = kernel[0] * kernel[1] * c_out // self.groups
        params = c_in * per_input + (c_out if self.has_bias else 0)
        steps = [_transposed_size_step(site.title(self, "output height" if out[0] != out[1] else
                                                  "output height and width"), shape[1], win, self, 0, out[0])]
        if out[0] != out[1]:
            steps.append(_transposed_size_step(site.title(self, "output width"), shape[2], win, self, 1, out[1]))
        steps.append(Step(site.title(self, "parameters"), lhs=sym("params"), value=params,
                          substitution=add(dot(c_in, c_out // self.groups, *kernel), c_out) if self.has_bias
                          else dot(c_in, c_out // self.groups, *kernel),
                          formula=sym("C_in") * sym("C_out") * K * K + sym("C_out") if self.has_bias
                          else sym("C_in") * sym("C_out") * K * K))
        macs = shape[1] * shape[2] * c_in * per_input
        mac_step = Step(site.title(self, "multiply-accumulates"), lhs=sym("MACs"),
                        formula=sym("H") * sym("W") * sym("C_in") * sym("C_out") * K * K,
                        substitution=dot(shape[1], shape[2], c_in, c_out // self.groups, *kernel), value=macs,
                        note="every input value is multiplied by every weight of its kernels")
        full = self._full_size(shape, win, out)
        return Count((c_out, *out), params, macs, tuple(steps), (mac_step,), scratch=c_out * full[0] * full[1],
                     window="unknown")

    # --- values
    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        self.count(shape, site=site)
        if self.weights is None:
            raise SolveError("give the kernels' values as 'weights' (input channels × output channels × rows × "
                             "columns)", field=site.at("weights"))
        c_out, kernel = self._geometry(shape[0])
        w = T.tensor(self.weights)
        if w.ndim == 2:
            w = w[None, None]
        want = (shape[0], c_out // self.groups, *kernel)
        checked(w, want, site, "weights", f"conv_transpose2d: the weights are {shape_text(w.shape)} (input channels "
                                          f"× output channels × rows × columns) but the input is {shape_text(shape)}: "
                                          f"they must be {shape_text(want)}")
        params = {"W": w}
        b = self._bias_values(c_out, site)
        if b is not None:
            params["b"] = b
        return params

    def _full_size(self, shape: Shape, win: Window, out) -> tuple[int, int]:
        """Rows and columns of the output before the padding is cut (and with the output padding)."""
        p = pair(self.padding)
        return tuple(max((n - 1) * s + span, pad + o)  # type: ignore[return-value]
                     for n, s, span, pad, o in zip(shape[1:], win.stride, win.span, p, out))

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        win, out = self._sizes(x.shape[1:], Site("", ""))
        w = params["W"]
        rows, cols = self._full_size(x.shape[1:], win, out)
        full = T.bilinear(lambda x_, w_: _scatter((x.shape[0], w.shape[1] * self.groups, rows, cols), x_, w_, win,
                                                  self.groups, x.shape[2:], transpose=True), x, w)
        p = pair(self.padding)
        y = full[:, :, p[0]:p[0] + out[0], p[1]:p[1] + out[1]]
        if "b" in params:
            y = T.simplified(y + params["b"][None, :, None, None])
        return Trace(x, params, y, {"window": win, "full": full})

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        win = trace.cache["window"]
        full = trace.cache["full"]
        p = pair(self.padding)
        gf = np.zeros(full.shape, dtype=g.dtype)
        gf[:, :, p[0]:p[0] + g.shape[2], p[1]:p[1] + g.shape[3]] = g
        w = trace.params["W"]
        ci, co = w.shape[0] // self.groups, w.shape[1]
        positions = trace.x.shape[2:]

        def input_products(gf_, w_):
            return np.concatenate([np.einsum("nfhwij,cfij->nchw", windows(gf_[:, k * co:(k + 1) * co], win, positions),
                                             w_[k * ci:(k + 1) * ci]) for k in range(self.groups)], axis=1)

        def weight_products(x_, gf_):
            return np.concatenate([np.einsum("nchw,nfhwij->cfij", x_[:, k * ci:(k + 1) * ci],
                                             windows(gf_[:, k * co:(k + 1) * co], win, positions))
                                   for k in range(self.groups)], axis=0)

        grads = {"W": T.bilinear(weight_products, trace.x, gf)}
        if "b" in trace.params:
            grads["b"] = T.exact_sum(g, axis=(0, 2, 3))
        return Grads(T.bilinear(input_products, gf, w), grads)

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        win = trace.cache["window"]
        shape = trace.x.shape[1:]
        out = trace.y.shape[2:]
        steps = [_transposed_size_step(site.title(self, "output height"), shape[1], win, self, 0, out[0]),
                 _transposed_size_step(site.title(self, "output width"), shape[2], win, self, 1, out[1])]
        if (shape[1], out[0]) == (shape[2], out[1]) and win.axis(0) == win.axis(1):
            steps = [_transposed_size_step(site.title(self, "output height and width"), shape[1], win, self, 0,
                                           out[0])]
        w = trace.params["W"]
        x0 = trace.x[0, 0]
        every = [(r, c) for r in range(x0.shape[0]) for c in range(x0.shape[1])]
        cells = every if len(every) <= FULL_CELLS else [next((rc for rc in every if x0[rc] != 0), (0, 0))]
        for r, c in cells:
            steps.append(Step(site.title(self, f"input cell [{r + 1}, {c + 1}] times the kernel"),
                              lhs=dot(index(site.x, *((1,) if trace.x.shape[1] > 1 else ()), r + 1, c + 1),
                                      site.symbol("W")),
                              substitution=dot(num(x0[r, c]), num(w[0, 0].tolist())),
                              value=T.simplified(x0[r, c] * w[0, 0]).tolist(),
                              note=f"added into the full output from row {r * win.stride[0] + 1}, column "
                                   f"{c * win.stride[1] + 1}" + (" (before the padding is cut)"
                                                                 if pair(self.padding) != (0, 0) else "")))
        full = trace.cache["full"]
        p = pair(self.padding)
        if p != (0, 0) or full.shape[2:] != out:
            steps += _matrices(site.title(self, "full output, the sum of every placed kernel"), full[0])
            steps.append(Step(site.title(self, "padding"),
                              note=f"{p[0]} row(s) cut from the top and bottom, {p[1]} column(s) from each side"
                                   + (f"; output padding {self.output_padding} adds at the bottom/right"
                                      if self.output_padding != 0 else "")))
        if "b" in trace.params:
            steps.append(Step(site.title(self, "bias"), note="each output channel adds its bias to every cell",
                              value=trace.params["b"].tolist()))
        steps += _output_steps(site.title(self, "output"), trace.y, ctx, site.y)
        return steps

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        steps = _bias_steps(self, site, grads)
        steps += _param_steps(site.title(self, "gradient of the weights"), grads.params["W"],
                              partial("L", site.symbol("W")),
                              note="∂L/∂W[c, f, i, j] = Σ x[c, h, w] · ∂L/∂y[f, h·S + i·D − P, "
                                   "w·S + j·D − P]")
        steps += _output_steps(site.title(self, "gradient of its input"), grads.x, ctx, partial("L", site.x),
                               note="a convolution of ∂L/∂y with the kernel: each input cell collects ∂L/∂y · w "
                                    "over the output cells its kernel reached")
        return steps


def _transposed_size_step(title: str, size: int, win: Window, layer: ConvTranspose2d, a: int, value: int) -> Step:
    X = sym("H" if a == 0 else "W")
    s, p, k, d, op = win.stride[a], pair(layer.padding)[a], win.kernel[a], win.dilation[a], pair(layer.output_padding)[a]
    formula = (X - 1) * S - 2 * P + D * (K - 1) + sym("P_out") + 1
    substitution = dot(num(size) - 1, s) - dot(2, p) + dot(d, num(k) - 1) + num(op) + 1
    return Step(title, lhs=sym(f"{'H' if a == 0 else 'W'}_out"), formula=formula, substitution=substitution,
                value=value)


# ---------------------------------------------------------------------------------------------
# Worked steps shared by the convolution layers

def _bias_steps(layer, site: Site, grads: Grads) -> list[Step]:
    """∂L/∂b: each output channel's bias is added to every cell of it, so its gradient sums theirs."""
    if "b" not in grads.params:
        return []
    return [Step(site.title(layer, "gradient of the biases"), lhs=partial("L", site.symbol("b")),
                 formula=Raw("Σ ∂L/∂y over every cell (and sample) of the channel",
                             r"\sum_{n,h,w} \frac{\partial L}{\partial y}"),
                 value=grads.params["b"].tolist())]


def _matrices(title: str, image: Array) -> list[Step]:
    """One step per channel of one (C, H, W) image."""
    several = image.shape[0] > 1
    return [Step(f"{title}{f', channel {c + 1}' if several else ''}", value=image[c].tolist())
            for c in range(min(image.shape[0], 8))]


def _output_steps(title: str, a: Array, ctx: Context, lhs: Expr, note: str | None = None) -> list[Step]:
    from .base import value_steps

    return value_steps(title, a, ctx, note=note, lhs=lhs)


def _param_steps(title: str, p: Array, lhs: Expr, note: str | None = None) -> list[Step]:
    """A weight tensor (filters × channels × rows × columns) as one matrix per filter and channel."""
    if p.ndim <= 2:
        return [Step(title, lhs=lhs, value=p.tolist(), note=note)]
    steps = []
    for f in range(p.shape[0]):
        for c in range(p.shape[1]):
            if len(steps) == 8:
                return steps + [Step(f"{title}: the others", note="the answers hold every value")]
            where = ", ".join(w for w in ((f"filter {f + 1}" if p.shape[0] > 1 else ""),
                                          (f"channel {c + 1}" if p.shape[1] > 1 else "")) if w)
            steps.append(Step(f"{title}{f' ({where})' if where else ''}", lhs=lhs if p.shape[:2] == (1, 1) else None,
                              value=p[f, c].tolist(), note=note if not steps else None))
    return steps


def _sum_step(title: str, lhs: Expr, formula: Expr, terms: list[tuple], value, note: str | None) -> Step:
    """Σ a·b written out (every product), or stated when it has more than MAX_TERMS products."""
    if len(terms) > MAX_TERMS:
        return Step(title, lhs=lhs, formula=formula, value=value, note=f"{note}; a sum of {len(terms):,} products")
    return Step(title, lhs=lhs, formula=formula, substitution=add(*(dot(num(a), num(b)) for a, b in terms)),
                value=value, note=note)


def _cell_step(site: Site, layer, xp: Array, w: Array, bias, win: Window, groups: int, f: int,
               y: Array) -> Step:
    """The first output cell of filter f (sample 1): every product of its window, and the bias."""
    terms = cell_products(xp, w, win, groups, f)
    where = (f + 1, 1, 1) if w.shape[0] > 1 else (1, 1)
    formula = Raw("Σ x·w + b", r"\sum x \cdot w + b") if bias is not None else Raw("Σ x·w", r"\sum x \cdot w")
    if len(terms) > MAX_TERMS:
        return Step(site.title(layer, f"first output cell of filter {f + 1}"), lhs=index(site.y, *where),
                    formula=formula, value=y[0, f, 0, 0], note=f"a sum of {len(terms):,} products, plus the bias")
    products = [dot(num(a), num(b)) for a, b in terms] + ([num(bias[f])] if bias is not None and bias[f] != 0 else [])
    return Step(site.title(layer, f"first output cell{f' of filter {f + 1}' if w.shape[0] > 1 else ''}"),
                lhs=index(site.y, *where), formula=formula, substitution=add(*products), value=y[0, f, 0, 0],
                note="the window starts at the top-left corner of the padded input" if f == 0 else None)
