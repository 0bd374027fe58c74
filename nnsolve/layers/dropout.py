"""Dropout with a given mask: kept values scaled by 1/(1 − p) (inverted dropout, as PyTorch and
Keras), or not scaled (the original paper's form, which scales by 1 − p at test time instead).
Without a mask the layer is the identity, as in evaluation.
"""

from fractions import Fraction
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StrictBool, field_validator

from ..errors import SolveError
from ..expr import num, partial, sym
from ..numbers import Real, simplify
from ..solution import Step
from . import tensor as T
from .base import Array, Context, Count, Grads, Layer, Shape, Site, Trace, shape_text, value_steps



class Dropout(Layer):
    """Dropout: each value is kept (mask 1) or zeroed (mask 0); kept ones scaled by 1/(1 − p)."""

    type: Literal["dropout"] = Field(description="dropout: zeroes a share of its inputs while training")
    rate: Annotated[Real, Field(ge=0, lt=1)] = Field(default=Fraction(1, 2), description="p, the share of inputs dropped")
    mask: T.numbers(1, 2, 3, 4) | None = Field(default=None, description="1 keeps a value, 0 drops it: the "
                                                                       "shape of the layer's "
                                                        "input (one per sample for a batch); none: the identity")
    inverted: StrictBool = Field(default=True, description="scale the kept values by 1/(1 − p) (PyTorch, Keras)")

    MISTAKES: ClassVar[dict[str, str]] = {
        "unscaled": "left out dropout's 1/(1 − p) scaling of the kept values",
    }

    @field_validator("mask")
    @classmethod
    def _mask_of_bits(cls, mask):
        pending = [mask] if mask is not None else []
        while pending:
            item = pending.pop()
            if isinstance(item, list):
                pending.extend(item)
            elif item not in (0, 1):
                raise ValueError("every entry must be 0 (dropped) or 1 (kept)")
        return mask

    def count(self, shape: Shape, *, site: Site) -> Count:
        return Count(shape)

    def _scale(self, ctx: Context):
        if not self.inverted or "unscaled" in ctx.mistakes:
            return 1
        return simplify(1 / (1 - Fraction(self.rate)))

    def parameters(self, shape: Shape, *, site: Site, ctx: Context) -> dict[str, Array]:
        if self.mask is None:
            return {}
        mask = T.tensor(self.mask)
        want = ((ctx.batch,) if ctx.batched else ()) + shape
        one_channel = want[:-3] + want[-2:] if len(shape) == 3 and shape[0] == 1 else want  # a matrix per sample
        if mask.shape not in (want, one_channel):
            raise SolveError(f"dropout: the mask is {shape_text(mask.shape)} but the layer's input is "
                             f"{shape_text(want)}" + (" (samples first)" if ctx.batched else ""),
                             field=site.at("mask"))
        return {}

    def _mask(self, x: Array) -> Array:
        return T.tensor(self.mask).reshape(x.shape)

    def forward(self, x: Array, params: dict[str, Array], *, ctx: Context) -> Trace:
        if self.mask is None:
            return Trace(x, params, x)
        keep = T.simplified(self._mask(x) * self._scale(ctx))
        return Trace(x, params, T.simplified(x * keep), {"keep": keep})

    def backward(self, trace: Trace, g: Array, *, ctx: Context) -> Grads:
        if self.mask is None:
            return Grads(g)
        return Grads(T.simplified(g * trace.cache["keep"]))

    def forward_steps(self, trace: Trace, *, site: Site, ctx: Context) -> list[Step]:
        if self.mask is None:
            return [Step(site.title(self, "identity"), note="no mask given: dropout passes every value (evaluation)")]
        scale = self._scale(ctx)
        p = num(self.rate)
        steps = [Step(site.title(self, "kept values scaled" if scale != 1 else "mask applied"), lhs=sym("s"),
                      formula=1 / (1 - sym("p")) if scale != 1 else None,
                      substitution=1 / (1 - p) if scale != 1 else None, value=scale,
                      note=f"y = {'x·m/(1 − p)' if scale != 1 else 'x·m'}: a dropped value (m = 0) becomes 0")]
        steps += value_steps(site.title(self, "output"), trace.y, ctx, lhs=site.y)
        return steps

    def backward_steps(self, trace: Trace, g: Array, grads: Grads, *, site: Site, ctx: Context) -> list[Step]:
        if self.mask is None:
            return []
        return value_steps(site.title(self, "gradient of its input"), grads.x, ctx, lhs=partial("L", site.x),
                           note="the same mask and scale: a dropped value passes no gradient")
