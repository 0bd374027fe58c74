"""Losses: each one's value beside its gradient, the steps of both, and the mistakes made on it.

Reductions follow PyTorch unless the file says otherwise: ``mean`` averages over every value
(squared error as MSELoss, binary cross-entropy as BCELoss) or over the samples
(cross-entropy, the hinge), ``sum`` adds everything up, and ``batch_mean`` (squared error)
sums each sample's values and averages over the samples. Cross-entropy takes logits and
applies the softmax itself (F.cross_entropy); after a softmax layer the network hands it that
layer's input, so that the two together give ∂L/∂z = p − y. The hinge is Weston–Watkins:
Σ over the wrong classes j of max(0, s_j − s_y + Δ), not divided by the number of classes
(PyTorch's F.multi_margin_loss divides: another reading). An optional L2 penalty λ·Σw²
(½λ·Σw² with ``l2_half``) covers the weights of every dense and convolution layer, not
their biases; the network adds it.
"""

import math
from fractions import Fraction
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, StrictBool

from ..errors import SolveError
from ..expr import Expr, Raw, add, call, dot, index, num, partial, sym
from ..numbers import Number, Real, number_text, simplify
from ..solution import Step
from ..spec import Strict
from . import tensor as T
from .base import Array, Context, shape_text
from .tensor import np

SHOWN_TERMS = 12  # terms of a loss written out; a longer sum is stated


class _Loss(Strict):
    l2: Annotated[Real, Field(ge=0)] = Field(default=0, description="λ of an L2 penalty on the weights (not biases)")
    l2_half: StrictBool = Field(default=False, description="the penalty is ½λ·Σw² (PyTorch's weight_decay λ) "
                                                           "rather than λ·Σw²")

    MISTAKES: ClassVar[dict[str, str]] = {}
    CLASSES: ClassVar[bool] = False  # the targets are classes: an index, or a one-hot vector, per sample

    def l2_factor(self) -> Number:
        """k in the penalty k·Σw²."""
        return simplify(Fraction(self.l2) / 2) if self.l2_half else self.l2

    def _c(self, y: Array, per: str) -> Number:
        """c in L = c·Σ: 1/(number of values or samples) for a mean, 1 for a sum."""
        if self.reduction == "sum":
            return 1
        n = y.shape[0] if per == "samples" or self.reduction == "batch_mean" else y.size
        return simplify(Fraction(1, n))

    def targets(self, given, y: Array, ctx: Context) -> Array:
        """The targets, the output's shape (batch axis first); an error naming both shapes."""
        where = "targets" if ctx.batched else "target"
        try:
            t = T.tensor(given)
        except ValueError:  # numbers beside lists
            raise SolveError("every target must have the shape of the network's output", field=where) from None
        if not ctx.batched:
            t = t[None]
        if t.shape != y.shape and t.size == y.size and y.ndim == 4 and y.shape[1] == 1:
            t = t.reshape(y.shape)  # a one-channel image's target written as a matrix
        if t.shape != y.shape:
            raise SolveError(f"the target is {shape_text(t.shape[0 if ctx.batched else 1:])} but the network's "
                             f"output is {shape_text(y.shape[0 if ctx.batched else 1:])}", field=where)
        return t


def _c_text(c: Number) -> str:
    return "" if c == 1 else "½" if c == Fraction(1, 2) else f"({number_text(c, approx=False)})"


def _c_latex(c: Number) -> str:
    c = Fraction(c)
    return "" if c == 1 else rf"\frac{{{c.numerator}}}{{{c.denominator}}}"


def _flat(a: Array) -> list:
    return a.reshape(-1).tolist()


class SquaredError(_Loss):
    """c·Σ(ŷ − y)², c = ½ (``half``) · 1/n (``reduction``)."""

    type: Literal["squared_error"] = Field(description="squared_error: c·Σ(ŷ − y)²")
    half: StrictBool = Field(default=False, description="½(ŷ − y)², as many courses write it")
    reduction: Literal["mean", "sum", "batch_mean"] = Field(
        default="mean", description="mean over every value (PyTorch's MSELoss), sum, or batch_mean (each sample's "
                                    "values summed, averaged over the samples)")

    def factor(self, y: Array) -> Number:
        c = self._c(y, "values")
        return simplify(Fraction(c) / 2) if self.half else c

    def value(self, y: Array, t: Array, ctx: Context) -> Number:
        d = T.simplified(y - t)
        return simplify(self.factor(y) * T.exact_sum(d * d)[()])

    def gradient(self, y: Array, t: Array, ctx: Context) -> Array:
        return T.simplified((y - t) * simplify(2 * self.factor(y)))

    def describe(self, y: Array) -> str:
        c = self.factor(y)
        return f"squared error L = {_c_text(c)}Σ(ŷ − y)²" + {
            "mean": f" (the mean over all {y.size} values, as PyTorch's MSELoss" + (", with ½)" if self.half else ")"),
            "sum": " (summed" + (", with ½)" if self.half else ")"),
            "batch_mean": f" (each sample's sum, averaged over the {y.shape[0]} samples"
                          + (", with ½)" if self.half else ")")}[self.reduction]

    def steps(self, y: Array, t: Array, value, grad: Array, *, out: Expr, prefix: str,
              softmax_shown: bool = False) -> list[Step]:
        c = self.factor(y)
        ys, ts = _flat(y), _flat(t)
        terms = [(num(a) - num(b)) ** 2 for a, b in zip(ys, ts)]
        body = add(*terms) if len(terms) <= SHOWN_TERMS else None
        formula = Raw(f"{_c_text(c)}Σ (ŷ − y)²", rf"{_c_latex(c)}\sum (\hat{{y}} - y)^2")
        steps = [Step(f"{prefix}Loss", lhs=sym("L"), formula=formula,
                      substitution=(body if c == 1 else dot(num(c), body)) if body is not None else None, value=value,
                      note=None if body is not None else f"a sum of {len(terms):,} squares")]
        k = simplify(2 * c)
        steps.append(Step(f"{prefix}Gradient of the loss", lhs=partial("L", out),
                          formula=(sym("y_hat") - sym("y")) if k == 1 else dot(num(k), sym("y_hat") - sym("y")),
                          substitution=_vector_difference(y, t, k, len(terms)), value=_shown(grad),
                          note="one value per output"))
        return steps


def _vector_difference(y, t, k, n) -> Expr | None:
    if n > 6:  # a longer difference of vectors is clearer as its result
        return None
    diff = num(_shown(y)) - num(_shown(t))
    return diff if k == 1 else dot(num(k), diff)


def _shown(a: Array):
    """A loss's input as the steps show it: one sample as a vector, a batch as a matrix."""
    return (a[0] if a.shape[0] == 1 else a).reshape(-1).tolist() if a.ndim > 2 or a.shape[0] == 1 else a.tolist()


class BinaryCrossEntropy(_Loss):
    """−c·Σ[y·ln ŷ + (1 − y)·ln(1 − ŷ)] on outputs between 0 and 1 (after a sigmoid)."""

    type: Literal["binary_cross_entropy"] = Field(
        description="binary_cross_entropy: on outputs between 0 and 1")
    reduction: Literal["mean", "sum"] = Field(default="mean", description="mean over every value (BCELoss) or sum")

    def factor(self, y: Array) -> Number:
        return self._c(y, "values")

    def targets(self, given, y: Array, ctx: Context) -> Array:
        t = super().targets(given, y, ctx)
        if any(not 0 <= v <= 1 for v in t.flat):
            raise SolveError("binary cross-entropy needs every target between 0 and 1",
                             field="targets" if ctx.batched else "target")
        return t

    def _probabilities(self, y: Array) -> None:
        if any(not 0 < v < 1 for v in y.flat):
            raise SolveError("binary cross-entropy needs every output strictly between 0 and 1 (end the network "
                             "with a sigmoid); an output of 0 or 1 makes the loss infinite", field="loss")

    def value(self, y: Array, t: Array, ctx: Context) -> Number:
        self._probabilities(y)
        return self.factor(y) * -sum(b * math.log(a) + (1 - b) * math.log(1 - a) for a, b in zip(y.flat, t.flat))

    def gradient(self, y: Array, t: Array, ctx: Context) -> Array:
        self._probabilities(y)
        c = self.factor(y)
        return T.elementwise(lambda a, b: c * (a - b) / (a * (1 - a)), y, t)

    def describe(self, y: Array) -> str:
        return ("binary cross-entropy L = −" + _c_text(self.factor(y)) + "Σ[y ln ŷ + (1 − y) ln(1 − ŷ)]"
                + (f" (the mean over all {y.size} values, as PyTorch's BCELoss)" if self.reduction == "mean"
                   else " (summed)"))

    def steps(self, y: Array, t: Array, value, grad: Array, *, out: Expr, prefix: str,
              softmax_shown: bool = False) -> list[Step]:
        c = self.factor(y)
        terms = [-(num(b) * call("ln", num(a)) + (1 - num(b)) * call("ln", 1 - num(a)))
                 for a, b in zip(y.flat, t.flat)]
        body = add(*terms) if len(terms) <= SHOWN_TERMS else None
        formula = Raw(f"−{_c_text(c)}Σ [y ln ŷ + (1 − y) ln(1 − ŷ)]",
                      rf"-{_c_latex(c)}\sum \left[y \ln \hat{{y}} + (1 - y) \ln(1 - \hat{{y}})\right]")
        return [Step(f"{prefix}Loss", lhs=sym("L"), formula=formula,
                     substitution=(body if c == 1 else dot(num(c), body)) if body is not None else None, value=value),
                Step(f"{prefix}Gradient of the loss", lhs=partial("L", out),
                     formula=Raw(f"{_c_text(c)}(ŷ − y) / (ŷ(1 − ŷ))",
                                 rf"{_c_latex(c)}\frac{{\hat{{y}} - y}}{{\hat{{y}}(1 - \hat{{y}})}}"),
                     value=_shown(grad), note="through a sigmoid this becomes c·(ŷ − y): σ′ = ŷ(1 − ŷ) cancels")]


class _Classes(_Loss):
    CLASSES: ClassVar[bool] = True
    reduction: Literal["mean", "sum"] = Field(default="mean", description="mean over the samples (PyTorch) or sum")

    def factor(self, y: Array) -> Number:
        return self._c(y, "samples")

    def targets(self, given, y: Array, ctx: Context) -> Array:
        """One-hot (or probability) rows, (N, K); a class index counts from 0, as PyTorch."""
        where = "targets" if ctx.batched else "target"
        if y.ndim != 2:
            raise SolveError(f"{self.type}: needs a vector of scores per sample, but the network's output is "
                             f"{shape_text(y.shape[1:])}", field="loss")
        rows = given if ctx.batched else [given]
        if len(rows) != y.shape[0]:
            raise SolveError(f"{len(rows)} targets for {y.shape[0]} samples", field=where)
        k = y.shape[1]
        out = T.zeros(y.shape)
        for n, row in enumerate(rows):
            at = f"{where}[{n}]" if ctx.batched else where
            if isinstance(row, int) and not isinstance(row, bool):
                if not 0 <= row < k:
                    raise SolveError(f"class {row} does not exist: the output has {k} classes, numbered 0 to {k - 1} "
                                     f"(as PyTorch counts them)", field=at)
                out[n, row] = 1
            elif isinstance(row, list) and all(not isinstance(v, list) for v in row):
                if len(row) != k:
                    raise SolveError(f"the target has {len(row)} values but the output has {k} classes", field=at)
                if any(v < 0 for v in row) or sum(row) != 1:
                    raise SolveError("a target vector must be one-hot (or probabilities adding up to 1)", field=at)
                out[n] = row
            else:
                raise SolveError("a class target is a class index (from 0) or a one-hot vector", field=at)
        return out


class CrossEntropy(_Classes):
    """Softmax cross-entropy on logits: −c·Σₙ Σₖ yₙₖ ln softmax(zₙ)ₖ (F.cross_entropy)."""

    type: Literal["cross_entropy"] = Field(description="cross_entropy: softmax cross-entropy on logits")

    MISTAKES: ClassVar[dict[str, str]] = {
        "no_onehot": "took softmax's gradient as p, without subtracting the one-hot target (p − y)",
    }

    def value(self, z: Array, t: Array, ctx: Context) -> Number:
        logp = _log_softmax(z)
        return self.factor(z) * -float(np.sum(logp * T.as_float(t)))

    def gradient(self, z: Array, t: Array, ctx: Context) -> Array:
        p = T.from_float(np.exp(_log_softmax(z)))
        c = self.factor(z)
        return T.simplified((p if "no_onehot" in ctx.mistakes else p - t) * c)

    def describe(self, y: Array) -> str:
        return ("softmax cross-entropy L = −" + _c_text(self.factor(y)) + "Σ y·ln softmax(z), on the logits z"
                + (f" (the mean over the {y.shape[0]} samples, as PyTorch)" if self.reduction == "mean" and
                   y.shape[0] > 1 else ""))

    def steps(self, z: Array, t: Array, value, grad: Array, *, out: Expr, prefix: str,
              softmax_shown: bool = False) -> list[Step]:
        p = np.exp(_log_softmax(z))
        c = self.factor(z)
        steps = [] if softmax_shown else [  # a softmax layer has shown p already
            Step(f"{prefix}Softmax of the logits", lhs=sym("p"), formula=Raw("exp(zₖ) / Σⱼ exp(zⱼ)",
                 r"\frac{e^{z_k}}{\sum_j e^{z_j}}"), value=_shown(T.from_float(p)))]
        terms = []
        for n in range(z.shape[0]):
            for k in range(z.shape[1]):
                if t[n, k] != 0:
                    terms.append(-(num(t[n, k]) * call("ln", num(float(p[n, k])))) if t[n, k] != 1
                                 else -call("ln", num(float(p[n, k]))))
        body = add(*terms) if len(terms) <= SHOWN_TERMS else None
        steps.append(Step(f"{prefix}Loss", lhs=sym("L"),
                          formula=Raw(f"−{_c_text(c)}Σ y·ln p", rf"-{_c_latex(c)}\sum y \ln p"),
                          substitution=(body if c == 1 else dot(num(c), body)) if body is not None else None,
                          value=value, note="only the target classes' terms: y is 0 elsewhere"))
        steps.append(Step(f"{prefix}Gradient of the loss at the logits (softmax and cross-entropy together)",
                          lhs=partial("L", out), formula=(sym("p") - sym("y")) if c == 1 else
                          dot(num(c), sym("p") - sym("y")), value=_shown(grad),
                          note="softmax's Jacobian times −y/p collapses to p − y"))
        return steps


def _log_softmax(z: Array) -> Array:
    f = T.as_float(z)
    shifted = f - f.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class MulticlassHinge(_Classes):
    """Weston–Watkins: Σ over the wrong classes j of max(0, s_j − s_y + Δ), per sample."""

    type: Literal["multiclass_hinge"] = Field(description="multiclass_hinge: the Weston–Watkins hinge")
    margin: Annotated[Real, Field(gt=0)] = Field(default=1, description="Δ (default 1)")
    over_classes: StrictBool = Field(default=False, description="divide each sample's loss by the number of "
                                                                "classes, as PyTorch's multi_margin_loss")

    MISTAKES: ClassVar[dict[str, str]] = {
        "count_correct": "counted the correct class in the hinge sum (adds max(0, Δ) = Δ per sample)",
    }

    def factor(self, y: Array) -> Number:
        c = self._c(y, "samples")
        return simplify(Fraction(c) / y.shape[1]) if self.over_classes else c

    def targets(self, given, y: Array, ctx: Context) -> Array:
        t = super().targets(given, y, ctx)
        if any(sorted(row) != [0] * (len(row) - 1) + [1] for row in t.tolist()):
            raise SolveError("the hinge needs one correct class per sample (a class index or a one-hot vector)",
                             field="targets" if ctx.batched else "target")
        return t

    def _margins(self, s: Array, t: Array) -> Array:
        correct = T.exact_sum(s * t, axis=1, keepdims=True)
        return T.simplified(s - correct + self.margin)

    def value(self, s: Array, t: Array, ctx: Context) -> Number:
        m = self._margins(s, t)
        keep = T.elementwise(lambda v, y: max(v, 0) if y == 0 or "count_correct" in ctx.mistakes else 0, m, t)
        return simplify(self.factor(s) * T.exact_sum(keep)[()])

    def gradient(self, s: Array, t: Array, ctx: Context) -> Array:
        m = self._margins(s, t)
        active = T.elementwise(lambda v, y: 1 if y == 0 and v > 0 else 0, m, t)
        counts = T.exact_sum(active, axis=1, keepdims=True)
        return T.simplified((active - t * counts) * self.factor(s))

    def describe(self, y: Array) -> str:
        text = (f"multiclass hinge (Weston–Watkins) Lₙ = Σ_(j ≠ yₙ) max(0, s_j − s_y + Δ) with Δ = "
                f"{number_text(self.margin)}")
        if self.over_classes:
            text += f", divided by the {y.shape[1]} classes (PyTorch's multi_margin_loss)"
        return text + (f", averaged over the {y.shape[0]} samples" if self.reduction == "mean" and y.shape[0] > 1
                       else "")

    def steps(self, s: Array, t: Array, value, grad: Array, *, out: Expr, prefix: str,
              softmax_shown: bool = False) -> list[Step]:
        m = self._margins(s, t)
        c = self.factor(s)
        steps = []
        for n in range(min(s.shape[0], 4)):
            y = int(np.argmax(T.as_float(t[n])))
            terms = [call("max", 0, num(s[n, j]) - num(s[n, y]) + num(self.margin))
                     for j in range(s.shape[1]) if j != y]
            tag = f" (sample {n + 1})" if s.shape[0] > 1 else ""
            steps.append(Step(f"{prefix}Hinge terms{tag}, correct class {y}", lhs=index("L", n + 1),
                              formula=Raw("Σ_(j ≠ y) max(0, s_j − s_y + Δ)",
                                          r"\sum_{j \ne y} \max(0, s_j - s_y + \Delta)"),
                              substitution=add(*terms) if len(terms) <= SHOWN_TERMS else None,
                              value=simplify(sum(max(m[n, j], 0) for j in range(s.shape[1]) if j != y))))
        steps.append(Step(f"{prefix}Loss", lhs=sym("L"), formula=Raw(f"{_c_text(c)}Σₙ Lₙ", rf"{_c_latex(c)}\sum_n L_n"),
                          value=value))
        steps.append(Step(f"{prefix}Gradient of the loss at the scores", lhs=partial("L", out), value=_shown(grad),
                          note=f"each wrong class with a positive margin gets {number_text(c)}; the correct class "
                               f"{number_text(-c, unicode_minus=True)} for each of them (a margin of exactly 0 counts as 0)"))
        return steps


Loss = Annotated[Union[SquaredError, BinaryCrossEntropy, CrossEntropy, MulticlassHinge], Field(discriminator="type")]
