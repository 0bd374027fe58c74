"""Normalization: batch norm (per channel, over the batch), layer norm (per sample), group norm (counts).

y = γ·x̂ + β with x̂ = (x − μ)/√(σ² + ε). Batch norm in training takes μ and the biased
variance σ² (÷ m, not m − 1) over the batch (and every position of an image), as PyTorch's
F.batch_norm(training=True); given running statistics it uses those instead (evaluation).
Layer norm takes μ and σ² over all of one sample's values (F.layer_norm). γ starts at 1 and
β at 0 unless the file gives them. The root makes x̂ a float unless σ² + ε is a square.
"""

from fractions import Fraction
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, StrictBool, StrictInt, model_validator

from ..errors import SolveError
from ..expr import Raw, add, call, dot, index, num, partial, sym
from ..numbers import Real
from ..solution import Step
from . import tensor as T
from .base import Array, Context, Count, Grads, Layer, Shape, Site, Trace, cell, checked, shape_text, size, value_steps

Values = Union[Real, T.numbers(1, 3)]
C = sym("C")


def _normalize(x: Array, axes: tuple[int, ...], unbiased: bool, eps, mean=None, var=None):
    """x̂ and the statistics: (x̂, x − μ, μ, σ², √(σ² + ε)); μ and σ² from ``axes`` unless given."""
    m = size(tuple(x.shape[a] for a in axes))
    if mean is None:
        mean = T.divided(T.exact_sum(x, axis=axes, keepdims=True), m)
    centred = T.simplified(x - mean)
    if var is None:
        if unbiased and m < 2:
            raise SolveError("an unbiased variance needs at least two values", field=None)
        var = T.divided(T.exact_sum(centred * centred, axis=axes, keepdims=True), m - 1 if unbiased else m)
    root = T.elementwise(lambda v: T.sqrt(v + eps), var)
    xhat = T.simplified(centred * T.elementwise(T.reciprocal, root))
    return xhat, centred, mean, var, root


def _normalize_backward(dxhat, centred, root, axes, m: int, k: int):
    """∂L/∂x from ∂L/∂x̂ when μ and σ² = Σ(x − μ)²/k were taken over ``axes`` (m values)."""
    inv = T.elementwise(T.reciprocal, root)
    dvar = T.simplified(T.exact_sum(dxhat * centred, axis=axes, keepdims=True) * inv ** 3 * Fraction(-1, 2))
    dmean = T.simplified(-T.exact_sum(dxhat, axis=axes, keepdims=True) * inv)
    return T.simplified(dxhat * inv + dvar * centred * Fraction(2, k) + dmean * Fraction(1, m))


class _Norm(Layer):
    epsilon: Real = Field(default=Fraction(1, 100_000), description="ε added to the variance (default 1e-5, as PyTorch)")
    gamma: Values | None = Field(default=None, description="γ, the scale (default 1; one number for all)")
    beta: Values | None = Field(default=None, description="β, the shift (default 0; one number for all)")

    def _affine(self, want: Shape, site: Site) -> dict[str, Array]:
        out = {}
        for name, default in (("gamma", 1), ("beta", 0)):
            given = getattr(self, name)
            value = T.full(want, default if given is None else given) if not isinstance(given, list) else T.tensor(given)
            out[name] = checked(value, want, site, name, f"{self.type}: {name} is {shape_text(value.shape)} but the "
                                                         f"layer normalizes {shape_text(want)} values")
        return out


class BatchNorm(_Norm):
    """Batch normalization: γ and β are learnable per channel; the running mean and variance are not."""

    type: Literal["batch_norm"] = Field(description="batch_norm: batch normalization over the channels")
    running_mean: T.numbers(1) | None = Field(
        default=None, description="evaluation mode: the running mean per channel (with running_var)")
    running_var: T.numbers(1) | None = Field(
        default=None, description="evaluation mode: the running variance per channel")
    affine: StrictBool = Field(default=True, description="false: no γ and β (PyTorch affine=False; Keras "
                                                         "center=False, scale=False)")

    MISTAKES: ClassVar[dict[str, str]] = {
        "unbiased_variance": "used the unbiased variance (÷ m − 1) where batch norm takes the biased one (÷ m)",
    }

    @model_validator(mode="after")
    def _both_statistics(self) -> "BatchNorm":
        if (self.running_mean is None) != (self.running_var is None):
            raise ValueError("give both running_mean and running_var (evaluation mode), or neither (training)")
        if self.running_var is not None and any(v < 0 for v in self.running_var):
            raise ValueError("running_var: a variance cannot be negative")
        if self.epsilon < 0:
            raise ValueError("epsilon must not be negative")
        if not self.affine and (self.gamma is not None or self.beta is not None):
            raise ValueError("affine: false has no γ and β; leave gamma and beta out")
        return self

    def count(self, shape: Shape, *, site: Site) -> Count:
        channels = shape[0]
        if not self.affine:
            step = Step(site.title(self, "parameters"), lhs=sym("params"), value=0,
                        note=f"affine: false, so no γ and β; the running mean and variance ({2 * channels} "
                             f"numbers) are not learnable")
            return Count(shape, 0, steps=(step,), buffers=2 * channels)
        step = Step(site.title(self, "parameters"), lhs=sym("params"), formula=2 * C,
                    substitution=dot(2, channels), value=2 * channels,
                    note=f"γ and β per channel are learnable; the running mean and variance "
                         f"({2 * channels} more numbers) are not")
        return Count(shape, 2 * channels, steps=(step,), buffers=2 * channels)

    def _axes(self, x: Array) -> tuple[int, ...]:
        return (0, 2, 3) if x.ndim == 4 else (0,)

    def _stat_shape(self, x: Array) -> tuple[int, ...]:
        return (1, x.shape[1], 1, 1) if x.ndim == 4 else (1, x.shape[1])

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        if len(shape) not in (1, 3):
            raise SolveError(f"batch_norm: needs a vector or an image, but its input is {shape_text(shape)}",
                             field=site.field)
        for name in ("running_mean", "running_var"):
            given = getattr(self, name)
            if given is not None and len(given) != shape[0]:
                raise SolveError(f"batch_norm: {len(given)} values for {shape[0]} channels", field=site.at(name))
        affine = self._affine((shape[0],), site)
        return affine if self.affine else {}

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        axes, stat = self._axes(x), self._stat_shape(x)
        m = size(tuple(x.shape[a] for a in axes))
        given = self.running_mean is not None
        if not given and m < 2:
            raise SolveError("batch_norm: in training mode it needs more than one value per channel (a batch, or an "
                             "image); give running_mean and running_var for evaluation mode", field=None)
        mean = T.tensor(self.running_mean).reshape(stat) if given else None
        var = T.tensor(self.running_var).reshape(stat) if given else None
        unbiased = "unbiased_variance" in ctx.mistakes and not given
        xhat, centred, mean, var, root = _normalize(x, axes, unbiased, self.epsilon, mean, var)
        gamma, beta = self._gamma_beta(params, x.shape[1])
        y = T.simplified(gamma.reshape(stat) * xhat + beta.reshape(stat))
        return Trace(x, params, y, {"xhat": xhat, "centred": centred, "mean": mean, "var": var, "root": root,
                                    "m": m, "k": m - 1 if unbiased else m, "eval": given})

    def _gamma_beta(self, params: dict[str, Array], channels: int) -> tuple[Array, Array]:
        """γ and β: the learnable ones, or 1 and 0 fixed when affine is false."""
        if self.affine:
            return params["gamma"], params["beta"]
        return T.full((channels,), 1), T.full((channels,), 0)

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        c = trace.cache
        axes, stat = self._axes(trace.x), self._stat_shape(trace.x)
        grads = {"gamma": T.exact_sum(T.simplified(g * c["xhat"]), axis=axes),
                 "beta": T.exact_sum(g, axis=axes)} if self.affine else {}
        dxhat = T.simplified(g * self._gamma_beta(trace.params, trace.x.shape[1])[0].reshape(stat))
        if c["eval"]:
            return Grads(T.simplified(dxhat * T.elementwise(T.reciprocal, c["root"])), grads)
        return Grads(_normalize_backward(dxhat, c["centred"], c["root"], axes, c["m"], c["k"]), grads)

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        c = trace.cache
        x = trace.x
        first = x[:, 0].reshape(-1)  # every value of channel (or feature) 1
        what = "channel" if x.ndim == 4 else "feature"
        steps = []
        mu, var = c["mean"].reshape(-1), c["var"].reshape(-1)
        if c["eval"]:
            steps.append(Step(site.title(self, "running statistics (evaluation mode)"), lhs=sym("mu"),
                              value=mu.tolist(), note=f"σ² = {_list(var)}: given, not taken from the batch"))
        else:
            shown = first if len(first) <= 12 else None
            steps.append(Step(site.title(self, f"batch mean of {what} 1"), lhs=index("mu", 1),
                              formula=Raw("Σ x / m", r"\frac{1}{m} \sum x"),
                              substitution=add(*(num(v) for v in shown)) / num(len(first)) if shown is not None else None,
                              value=mu[0], note=f"over m = {c['m']} values" + (" (the batch and every position)"
                                                                               if x.ndim == 4 else " (the batch)")))
            k = c["k"]
            centred = c["centred"][:, 0].reshape(-1)
            steps.append(Step(site.title(self, f"batch variance of {what} 1" + (" (biased: ÷ m)" if k == c["m"] else
                                                                                " (÷ m − 1)")),
                              lhs=index(sym("sigma") ** 2, 1),
                              formula=Raw("Σ (x − μ)² / m", r"\frac{1}{m} \sum (x - \mu)^2") if k == c["m"] else
                              Raw("Σ (x − μ)² / (m − 1)", r"\frac{1}{m - 1} \sum (x - \mu)^2"),
                              substitution=add(*(num(v) ** 2 for v in centred)) / num(k) if shown is not None else None,
                              value=var[0]))
            steps.append(Step(site.title(self, f"mean and variance of every {what}"), lhs=sym("mu"),
                              value=mu.tolist(), note=f"σ² = {_list(var)}"))
        xhat0 = c["xhat"][0].reshape(-1)[0]
        steps.append(Step(site.title(self, "one value normalized"), lhs=index(sym("x_hat"), *_first(x, ctx)),
                          formula=(sym("x") - sym("mu")) / call("sqrt", sym("sigma") ** 2 + sym("epsilon")),
                          substitution=(num(first[0]) - num(mu[0])) / call("sqrt", num(var[0]) + num(self.epsilon)),
                          value=xhat0))
        gamma, beta = self._gamma_beta(trace.params, x.shape[1])
        steps.append(Step(site.title(self, "scaled and shifted" if self.affine else "γ = 1, β = 0 (affine: false)"), lhs=index(site.y, *_first(x, ctx)),
                          formula=sym("gamma") * sym("x_hat") + sym("beta"),
                          substitution=dot(num(gamma[0]), num(xhat0)) + num(beta[0]),
                          value=trace.y[0].reshape(-1)[0]))
        steps += value_steps(site.title(self, "output"), trace.y, ctx, lhs=site.y,
                             note=f"γ = {_list(gamma)}, β = {_list(beta)}")
        return steps

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        steps = [Step(site.title(self, "gradient of γ"), lhs=partial("L", site.symbol("gamma")),
                      formula=Raw("Σ ∂L/∂y · x̂", r"\sum \frac{\partial L}{\partial y} \hat{x}"),
                      value=grads.params["gamma"].tolist()),
                 Step(site.title(self, "gradient of β"), lhs=partial("L", site.symbol("beta")),
                      formula=Raw("Σ ∂L/∂y", r"\sum \frac{\partial L}{\partial y}"),
                      value=grads.params["beta"].tolist())] if self.affine else []
        if trace.cache["eval"]:
            formula = Raw("γ/√(σ² + ε) · ∂L/∂y",
                          r"\frac{\gamma}{\sqrt{\sigma^2 + \epsilon}} \frac{\partial L}{\partial y}")
            note = "the statistics are constants in evaluation mode"
        else:
            formula = Raw("γ/(m√(σ² + ε)) · (m·∂L/∂y − Σ∂L/∂y − x̂·Σ(∂L/∂y·x̂))",
                          r"\frac{\gamma}{m\sqrt{\sigma^2 + \epsilon}} \left(m \frac{\partial L}{\partial y} - "
                          r"\sum \frac{\partial L}{\partial y} - \hat{x} \sum \frac{\partial L}{\partial y} \hat{x}\right)")
            note = "μ and σ² depend on every value of the batch, so each input's gradient has three parts"
        steps += value_steps(site.title(self, "gradient of its input"), grads.x, ctx, lhs=partial("L", site.x))
        at = 2 if self.affine else 0  # after the γ and β steps
        steps[at:at] = [Step(site.title(self, "gradient through the normalization"), lhs=partial("L", site.x),
                             formula=formula, note=note)]
        return steps


class LayerNorm(_Norm):
    """Layer normalization over all of one sample's values, with γ and β per value (F.layer_norm)."""

    type: Literal["layer_norm"] = Field(description="layer_norm: normalization over each sample's values")

    @model_validator(mode="after")
    def _epsilon(self) -> "LayerNorm":
        if self.epsilon < 0:
            raise ValueError("epsilon must not be negative")
        return self

    def count(self, shape: Shape, *, site: Site) -> Count:
        # A sequence (steps × features) is normalized step by step over its features, as a transformer's
        # nn.LayerNorm(d) and Keras' LayerNormalization(axis=-1); anything else over all of a sample.
        n = shape[-1] if len(shape) == 2 else size(shape)
        note = "γ and β for each feature, shared by every step" if len(shape) == 2 else \
            "γ and β for every normalized value"
        step = Step(site.title(self, "parameters"), lhs=sym("params"), formula=2 * sym("n"),
                    substitution=dot(2, n), value=2 * n, note=note)
        return Count(shape, 2 * n, steps=(step,))

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        return self._affine(shape, site)

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        axes = tuple(range(1, x.ndim))
        m = size(x.shape[1:])
        if m < 2:
            raise SolveError("layer_norm: a sample of one value normalizes to 0 whatever it is", field=None)
        xhat, centred, mean, var, root = _normalize(x, axes, False, self.epsilon)
        y = T.simplified(params["gamma"][None] * xhat + params["beta"][None])
        return Trace(x, params, y, {"xhat": xhat, "centred": centred, "mean": mean, "var": var, "root": root,
                                    "m": m})

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        c = trace.cache
        axes = tuple(range(1, trace.x.ndim))
        grads = {"gamma": T.exact_sum(T.simplified(g * c["xhat"]), axis=0), "beta": T.exact_sum(g, axis=0)}
        dxhat = T.simplified(g * trace.params["gamma"][None])
        return Grads(_normalize_backward(dxhat, c["centred"], c["root"], axes, c["m"], c["m"]), grads)

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        c = trace.cache
        first = trace.x[0].reshape(-1)
        mu, var = c["mean"].reshape(-1), c["var"].reshape(-1)
        shown = len(first) <= 12
        steps = [Step(site.title(self, "mean of sample 1"), lhs=sym("mu"), formula=Raw("Σ x / m", r"\frac{1}{m} \sum x"),
                      substitution=add(*(num(v) for v in first)) / num(len(first)) if shown else None, value=mu[0]),
                 Step(site.title(self, "variance of sample 1 (biased: ÷ m)"), lhs=sym("sigma") ** 2,
                      formula=Raw("Σ (x − μ)² / m", r"\frac{1}{m} \sum (x - \mu)^2"),
                      substitution=add(*(num(v) ** 2 for v in c["centred"][0].reshape(-1))) / num(len(first))
                      if shown else None, value=var[0])]
        if trace.x.shape[0] > 1:
            steps.append(Step(site.title(self, "mean and variance of every sample"), lhs=sym("mu"), value=mu.tolist(),
                              note=f"σ² = {_list(var)}"))
        xhat0 = c["xhat"][0].reshape(-1)[0]
        steps.append(Step(site.title(self, "one value normalized"), lhs=index(sym("x_hat"), *_first(trace.x, ctx)),
                          formula=(sym("x") - sym("mu")) / call("sqrt", sym("sigma") ** 2 + sym("epsilon")),
                          substitution=(num(first[0]) - num(mu[0])) / call("sqrt", num(var[0]) + num(self.epsilon)),
                          value=xhat0))
        steps += value_steps(site.title(self, "output (γ·x̂ + β)"), trace.y, ctx, lhs=site.y)
        return steps

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        return [Step(site.title(self, "gradient of γ"), lhs=partial("L", site.symbol("gamma")),
                     formula=Raw("Σ over samples of ∂L/∂y · x̂", r"\sum_n \frac{\partial L}{\partial y} \hat{x}"),
                     value=grads.params["gamma"].tolist()),
                Step(site.title(self, "gradient of β"), lhs=partial("L", site.symbol("beta")),
                     formula=Raw("Σ over samples of ∂L/∂y", r"\sum_n \frac{\partial L}{\partial y}"),
                     value=grads.params["beta"].tolist()),
                Step(site.title(self, "gradient through the normalization"), lhs=partial("L", site.x),
                     formula=Raw("(1/(m√(σ² + ε)))·(m·g − Σg − x̂·Σ(g·x̂)), g = γ·∂L/∂y",
                                 r"\frac{1}{m\sqrt{\sigma^2 + \epsilon}} \left(m g - \sum g - \hat{x} \sum g \hat{x}"
                                 r"\right),\ g = \gamma \frac{\partial L}{\partial y}"),
                     note="per sample, over its m values")] + \
            value_steps(site.title(self, "gradient of its input"), grads.x, ctx, lhs=partial("L", site.x))


def _first(x: Array, ctx: Context) -> tuple[int, ...]:
    """The indices of sample 1's first value, as the steps show the tensor (the sample first in a batch)."""
    return ((1,) if ctx.batched else ()) + cell(x.shape[1:], 0)


def _list(a: Array) -> str:
    from ..numbers import plain

    return plain(a.reshape(-1).tolist())


class GroupNorm(_Norm):
    """Group normalization (PyTorch's nn.GroupNorm): the channels in ``groups`` groups, each sample's
    group normalized over its channels and positions; γ and β per channel."""

    type: Literal["group_norm"] = Field(description="group_norm: normalization over groups of channels")
    groups: Annotated[StrictInt, Field(ge=1, le=100_000)] = Field(description="the number of groups of channels")
    affine: StrictBool = Field(default=True, description="false: no γ and β")

    def count(self, shape: Shape, *, site: Site) -> Count:
        channels = shape[0] if len(shape) != 2 else shape[1]
        if channels % self.groups:
            raise SolveError(f"group_norm: {self.groups} groups do not divide the {channels} channels",
                             field=site.at("groups"))
        if not self.affine:
            return Count(shape, 0, steps=(Step(site.title(self, "parameters"), lhs=sym("params"), value=0,
                                               note="affine: false, so no γ and β"),))
        step = Step(site.title(self, "parameters"), lhs=sym("params"), formula=2 * C, substitution=dot(2, channels),
                    value=2 * channels, note=f"γ and β per channel; the statistics come from each sample's "
                                             f"{channels // self.groups} channels per group, and are not stored")
        return Count(shape, 2 * channels, steps=(step,))
