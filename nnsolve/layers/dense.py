"""A fully connected layer: z = W·x + b.

Its weight is held out × in (PyTorch's ``nn.Linear``: one row per unit); a file may write it
in × out (Keras' ``Dense`` kernel: z = x·W + b), which ``Context.orientation`` says.
"""

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..errors import SolveError
from ..expr import add, call, dot, index, num, partial, sym, total
from ..numbers import Real
from ..solution import Step
from ..spec import Count as Positive
from . import tensor as T
from .activation import FULL_CELLS, Activated, Name, activation_field, alpha_field
from .base import Array, Context, Count, Grads, Layer, Shape, Site, Trace, checked, needs_vector, shape_text, size
from .convolution import MAX_TERMS, Bias


class Dense(Activated, Layer):
    """A fully connected layer of ``units`` units (PyTorch's nn.Linear, Keras' Dense)."""

    type: Literal["dense"] = Field(description="dense: a fully connected layer (PyTorch Linear)")
    units: Positive | None = Field(default=None, description="output units (PyTorch out_features); from the weights "
                                                             "when they are given")
    bias: Bias = Field(default=True, description="true/false (count one bias per unit or none), or the bias "
                                                 "values: one number per unit, or one for all")
    weights: T.numbers(2) | None = Field(default=None, description="the weight matrix, out × in or in × out as the "
                                                               "problem's 'orientation' says")
    activation: Name | None = activation_field()
    alpha: Real | None = alpha_field()

    MISTAKES: ClassVar[dict[str, str]] = {
        "not_transposed": "multiplied the upstream gradient by W instead of Wᵀ going back through a dense layer",
    }

    @model_validator(mode="after")
    def _units_given(self) -> "Dense":
        if self.weights is None and self.units is None:
            raise ValueError("give 'units' (or the weight matrix as 'weights')")
        self._alpha_applies()
        if self.weights is not None:
            T.rectangular(self.weights, "weights")
        return self

    @property
    def has_bias(self) -> bool:
        return self.bias is not False

    def count(self, shape: Shape, *, site: Site) -> Count:
        if len(shape) == 1:
            return self._count_vector(shape, site)
        # On a tensor it acts on the last axis as written (the features or channels), at every other
        # position with the same weights: PyTorch's Linear and Keras' Dense on more than a vector.
        axis = site.internal_axis(len(shape) - 1, len(shape))
        one = self._count_vector((shape[axis],), site)
        positions = size(shape) // shape[axis]
        out = shape[:axis] + one.shape + shape[axis + 1:]
        note = Step(site.title(self, "applied to the last axis"), lhs=sym("positions"), value=positions,
                    note=f"{site.shape(shape)}: the same weights at each of {positions:,} positions; "
                         f"MACs = positions · n_in · n_out")
        return Count(out, one.params, positions * one.macs, one.steps + (note,))

    def _count_vector(self, shape: Shape, site: Site) -> Count:
        n_in = shape[0]
        n_out = self.units if self.units is not None else None
        if n_out is None:  # the weights decide, in either orientation: the other side must be the input
            rows, cols = T.rectangular(self.weights)
            n_out = cols if rows == n_in and cols != n_in else rows
        params = n_in * n_out + (n_out if self.has_bias else 0)
        formula = sym("n_in") * sym("n_out")
        substitution = dot(n_in, n_out)
        if self.has_bias:
            formula, substitution = formula + sym("n_out"), substitution + n_out
        steps = (Step(site.title(self, "parameters"), lhs=sym("params"), formula=formula,
                      substitution=substitution, value=params),)
        fused = self.fused()
        extra = fused.count((n_out,), site=site) if fused is not None else Count(())
        return Count((n_out,), params + extra.params, n_in * n_out, steps + extra.steps)

    # --- values
    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        needs_vector(self, shape, site)
        if self.weights is None:
            raise SolveError("give the weight matrix as 'weights'", field=site.at("weights"))
        w = T.tensor(self.weights)
        keras = ctx.orientation == "in_out"
        n_out = w.shape[1] if keras else w.shape[0]
        want = (shape[0], n_out) if keras else (n_out, shape[0])
        layout = "in × out (Keras)" if keras else "out × in (PyTorch)"
        if self.units is not None and self.units != n_out:
            raise SolveError(f"units: {self.units}, but the weights ({shape_text(w.shape)}, {layout}) have "
                             f"{n_out} units", field=site.at("units"))
        checked(w, want, site, "weights", f"dense: the weights are {shape_text(w.shape)}, read {layout}, but the "
                                          f"layer's input has {shape[0]} values: they must be {shape_text(want)}")
        params = {"W": w.T.copy() if keras else w}
        if self.has_bias:
            if self.bias is True:
                raise SolveError("give the bias values (one per unit, or one number for all), or bias: false",
                                 field=site.at("bias"))
            values = self.bias if isinstance(self.bias, list) else [self.bias] * n_out
            params["b"] = checked(T.tensor(values), (n_out,), site, "bias",
                                  f"dense: {len(values)} bias values for {n_out} units")
        return params

    def written(self, name: str, value: Array, ctx: Context) -> Array:
        return value.T if name == "W" and ctx.orientation == "in_out" else value

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        z = T.bilinear(lambda a, w: a @ w.T, x, params["W"])
        if "b" in params:
            z = T.simplified(z + params["b"][None, :])
        return Trace(x, params, z)

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        w = trace.params["W"]
        upstream = w.T if "not_transposed" in ctx.mistakes and w.shape[0] == w.shape[1] else w
        grads = {"W": T.bilinear(lambda d, x: d.T @ x, g, trace.x)}
        if "b" in trace.params:
            grads["b"] = T.exact_sum(g, axis=0)
        return Grads(T.bilinear(lambda d, w_: d @ w_, g, upstream), grads)

    # --- worked steps
    def _w(self, ctx: Context, j, i) -> tuple:
        """The indices of weight (unit j, input i) as the file writes the matrix."""
        return (i, j) if ctx.orientation == "in_out" else (j, i)

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        keras = ctx.orientation == "in_out"
        W, x, b = site.symbol("W"), site.x, site.symbol("b")
        w = trace.params["W"]
        bias = trace.params.get("b")
        sample = (1,) if ctx.batched else ()  # a cell of a batch names its sample first
        steps = []
        x0 = trace.x[0]
        for j in range(w.shape[0]) if w.shape[0] <= FULL_CELLS else [0]:
            terms = [dot(num(w[j, i]), num(x0[i])) for i in range(len(x0))]
            formula = total("i", dot(index(W, *self._w(ctx, j + 1, "i")), index(x, *sample, "i")))
            if bias is not None:
                terms.append(num(bias[j]))
                formula = formula + index(b, j + 1)
            steps.append(Step(site.title(self, f"unit {j + 1}" + (" (sample 1)" if ctx.batched else "")),
                              lhs=index(site.y, *sample, j + 1), formula=formula,
                              substitution=add(*terms) if len(terms) <= MAX_TERMS + 1 else None,
                              value=trace.y[0, j],
                              note=None if len(terms) <= MAX_TERMS + 1 else f"a sum of {len(x0):,} products"))
        shown_w = num(self.written("W", w, ctx).tolist())
        xs = num((trace.x if ctx.batched else x0).tolist())
        if keras:
            formula, product = dot(sym("X") if ctx.batched else x, W), dot(xs, shown_w)
        elif ctx.batched:
            formula, product = dot(sym("X"), call("transpose", W)), dot(xs, call("transpose", shown_w))
        else:
            formula, product = dot(W, x), dot(shown_w, xs)
        if bias is not None:
            formula, product = formula + b, product + num(bias.tolist())
        small = w.size <= 16 and trace.x.size <= 16
        steps.append(Step(site.title(self, "output"), lhs=site.y, formula=formula,
                          substitution=product if small else None,
                          value=(trace.y if ctx.batched else trace.y[0]).tolist(),
                          note="X holds one sample per row; b is added to every row" if ctx.batched else None))
        return steps

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        keras = ctx.orientation == "in_out"
        W, x = site.symbol("W"), site.x
        delta = partial("L", site.y)
        n = g.shape[0]
        outer = dot(call("transpose", x), delta) if keras else dot(delta, call("transpose", x))
        steps = [Step(site.title(self, "gradient of the weights"), lhs=partial("L", W),
                      formula=total("n", outer) if n > 1 else outer,
                      value=self.written("W", grads.params["W"], ctx).tolist(),
                      note=("one term per sample; " if n > 1 else "") + "the gradient arriving at unit j times "
                           "input i" + (" (written in × out, as the weights)" if keras else ""))]
        terms = [dot(num(g[k, 0]), num(trace.x[k, 0])) for k in range(n)]
        one = dot(partial("L", index(site.y, "n", 1)), index(x, "n", 1)) if n > 1 else \
            dot(partial("L", index(site.y, 1)), index(x, 1))
        steps.append(Step(site.title(self, "one weight's gradient"), lhs=partial("L", index(W, 1, 1)),
                          formula=total("n", one) if n > 1 else one,
                          substitution=add(*terms) if n <= MAX_TERMS else None, value=grads.params["W"][0, 0]))
        if "b" in grads.params:
            steps.append(Step(site.title(self, "gradient of the biases"), lhs=partial("L", site.symbol("b")),
                              formula=total("n", partial("L", index(site.y, "n"))) if n > 1 else delta,
                              value=grads.params["b"].tolist(),
                              note="one term per sample" if n > 1 else None))
        transposed = "not_transposed" not in ctx.mistakes
        back = dot(call("transpose", W), delta) if transposed else dot(W, delta)
        if keras:
            back = dot(delta, call("transpose", W)) if transposed else dot(delta, W)
        w = trace.params["W"]
        sample = (1,) if ctx.batched else ()
        g0 = g[0]
        for i in range(w.shape[1]) if w.shape[1] <= FULL_CELLS else [0]:
            terms = [dot(num(w[j, i]), num(g0[j])) for j in range(w.shape[0])]
            steps.append(Step(site.title(self, f"gradient of input {i + 1}" + (" (sample 1)" if ctx.batched else "")),
                              lhs=partial("L", index(x, *sample, i + 1)),
                              formula=total("j", dot(index(W, *self._w(ctx, "j", i + 1)),
                                                     partial("L", index(site.y, *sample, "j")))),
                              substitution=add(*terms) if len(terms) <= MAX_TERMS else None,
                              value=grads.x[0, i]))
        steps.append(Step(site.title(self, "gradient of its input"), lhs=partial("L", x), formula=back,
                          value=(grads.x if ctx.batched else grads.x[0]).tolist(),
                          note="the gradient flows back through the same weights" if transposed else None))
        return steps
