"""Exponentially weighted averages: vₜ = β·vₜ₋₁ + (1 − β)·θₜ from v₀, and the bias-corrected vₜ/(1 − βᵗ).

The recurrence of momentum, RMSprop and Adam's moments, asked on its own (a temperature series
in Andrew Ng's course). Every term is exact: β and the values are fractions, and so is every
vₜ, until one outgrows MAX_EXACT_DIGITS digits.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Iterator, Literal

from pydantic import Field, StrictBool, model_validator

from .. import limits
from ..compare import agree
from ..expr import dot, num, sym
from ..numbers import DIGITS, DISPLAY_DIGITS, Number, Real, bounded, number_text, simplify, too_long_to_show
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import FieldError, ProblemBase

TOPIC = "moving_average"
SUMMARY = "exponentially weighted averages vₜ = β·vₜ₋₁ + (1 − β)·θₜ, with and without bias correction"
EXAMPLE = "problems/moving_average/temperatures.yaml"

SHOWN_TERMS = 20  # terms worked out step by step; the table lists every term


class Spec(ProblemBase):
    """A sequence θ₁, θ₂, …, the weight β of the previous average, v₀, and whether the question corrects the bias."""

    topic: Literal["moving_average"] = Field(description="moving_average: an exponentially weighted average")
    sequence: Annotated[list[Real], Field(min_length=1, max_length=limits.MAX_SEQUENCE)] = Field(
        description="θ₁, θ₂, …: the values averaged, in order")
    beta: Annotated[Real, Field(ge=0, lt=1)] = Field(
        description="β, the weight of the previous average (0 ≤ β < 1), e.g. 0.9")
    initial: Real = Field(default=0, description="v₀, the average before the first value (default 0)")
    bias_correction: StrictBool = Field(
        default=False, description="the question asks for the bias-corrected v̂ₜ = vₜ/(1 − βᵗ) (default false)")
    ask: str | None = Field(default=None, description="v_<t> or v_hat_<t> (a term), v or v_hat (every term); "
                                                      "default the last term, corrected when bias_correction is true")

    @model_validator(mode="after")
    def _known_ask(self) -> "Spec":
        if self.ask is not None and self.ask not in _names(len(self.sequence)):
            raise FieldError("ask", f"must be v_<t> or v_hat_<t> for t from 1 to {len(self.sequence)}, v or v_hat")
        return self


def _names(n: int) -> set[str]:
    return {"v", "v_hat", *(f"v_{t}" for t in range(1, n + 1)), *(f"v_hat_{t}" for t in range(1, n + 1))}


# ---------------------------------------------------------------------------------------------
# The recurrence, with the knobs a mistake turns

def averages(spec: Spec, *, swapped: bool = False, fed_back: bool = False, from_first: bool = False,
             exponent_shift: int = 0) -> tuple[list[Number], list[Number]]:
    """(v₁ … vₙ, v̂₁ … v̂ₙ). The keywords are students' mistakes: β and 1 − β swapped, the corrected
    value fed back into the recurrence, the average started at v₁ = θ₁, the correction's power off by one."""
    beta = spec.beta
    keep, take = (1 - beta, beta) if swapped else (beta, 1 - beta)
    v: Number = spec.initial
    weight: Number = beta ** exponent_shift if beta else 0 ** max(exponent_shift, 0)  # βᵗ, kept as a running product
    raw, corrected = [], []
    for t, theta in enumerate(spec.sequence, start=1):
        v = theta if from_first and t == 1 else bounded(simplify(keep * v + take * theta))
        weight = bounded(simplify(weight * beta))
        hat = bounded(_divide(v, 1 - weight)) if weight != 1 else v
        raw.append(v)
        corrected.append(hat)
        if fed_back:
            v = hat
    return raw, corrected


def _divide(a: Number, b: Number) -> Number:
    if isinstance(a, float) or isinstance(b, float):
        return a / b
    return simplify(Fraction(a) / Fraction(b))


def _answers(raw: list[Number], corrected: list[Number]) -> dict[str, Number | list]:
    out: dict = {f"v_{t}": v for t, v in enumerate(raw, start=1)}
    out.update({f"v_hat_{t}": v for t, v in enumerate(corrected, start=1)})
    out["v"], out["v_hat"] = list(raw), list(corrected)
    return out


# ---------------------------------------------------------------------------------------------
# The worked solution

def _v(t: int | str):
    return sym(f"v_{t}")


def _v_hat(t: int | str):
    return sym(f"v\u0302_{t}")


def solve(spec: Spec) -> Solution:
    beta, b = spec.beta, sym("beta")
    raw, corrected = averages(spec)
    blocks: list = []
    previous: Number = spec.initial
    for t, (theta, v, hat) in enumerate(zip(spec.sequence, raw, corrected), start=1):
        if t > SHOWN_TERMS:
            break
        blocks.append(Step(f"t = {t}: the average", lhs=_v(t), formula=b * _v(t - 1) + (1 - b) * sym(f"theta_{t}"),
                           substitution=dot(beta, previous) + dot(1 - beta, theta), value=v))
        blocks.append(Step(f"t = {t}: bias-corrected", lhs=_v_hat(t), formula=_v(t) / (1 - b ** t),
                           substitution=num(v) / (1 - num(beta) ** t), value=hat,
                           note=None if spec.bias_correction else "not asked; shown for comparison"))
        previous = v
    blocks.append(Table("Term by term", ("t", "θₜ", "vₜ", "v̂ₜ = vₜ/(1 − βᵗ)"),
                        tuple((t, theta, v, hat) for t, (theta, v, hat)
                              in enumerate(zip(spec.sequence, raw, corrected), start=1))))
    # Uncorrected averages are intermediate values of the corrected ones; corrected values the question
    # does not ask for are another reading of "the average".
    reading = None if spec.bias_correction else "bias-corrected, which the question does not ask for"
    answers: dict[str, Answer] = {}
    for t, (v, hat) in enumerate(zip(raw, corrected), start=1):
        answers[f"v_{t}"] = Answer(v, f"v{_sub(t)}")
        answers[f"v_hat_{t}"] = Answer(hat, f"v̂{_sub(t)}", reading)
    answers["v"] = Answer(raw, "v₁ … vₙ")
    answers["v_hat"] = Answer(corrected, "v̂₁ … v̂ₙ", reading)
    n = len(raw)
    primary = spec.ask or (f"v_hat_{n}" if spec.bias_correction else f"v_{n}")
    assumptions = [f"vₜ = β·vₜ₋₁ + (1 − β)·θₜ from v₀ = {number_text(spec.initial)}, with β = {number_text(beta)} "
                   "(the weight of the previous average, as in momentum and Adam's moments).",
                   "Bias correction divides by 1 − βᵗ, the total weight the terms carry when v₀ = 0; v̂ₜ equals "
                   "pandas' ewm(alpha=1 − β, adjust=True).mean()."
                   + (" The question asks for the corrected values." if spec.bias_correction else
                      " The question does not ask for it: v̂ₜ is given beside vₜ, as another reading.")]
    if n > SHOWN_TERMS:
        assumptions.append(f"Terms 1–{SHOWN_TERMS} are worked step by step; the table lists all {n}.")
    if any(isinstance(v, float) for v in raw + corrected):
        assumptions.append(f"Exact fractions longer than {limits.MAX_EXACT_DIGITS:,} digits are carried as floats.")
    if any(isinstance(v, Fraction) and too_long_to_show(v) for v in raw + corrected):
        assumptions.append(f"Fractions of more than {DISPLAY_DIGITS} digits (above or below the bar) are shown "
                           f"to {DIGITS} significant figures; --format json gives them exactly.")
    warnings = []
    if spec.bias_correction and spec.initial != 0:
        warnings.append(f"bias correction assumes v₀ = 0; with v₀ = {number_text(spec.initial)} it over-corrects "
                        "the early terms")
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=tuple(blocks),
                    assumptions=tuple(assumptions), warnings=tuple(warnings))


def _sub(t: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(d)] for d in str(t))


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    """The bias correction forgotten, applied unasked, or fed back into the average; β and 1 − β swapped;
    the correction's power off by one; the average started at v₁ = θ₁."""
    raw, corrected = averages(spec)
    right = _answers(raw, corrected)
    candidates = []
    if spec.bias_correction:
        candidates.append(("forgot the bias correction: gave vₜ for v̂ₜ", _answers(raw, raw)))
    else:
        candidates.append(("applied the bias correction vₜ/(1 − βᵗ), which the question does not ask for",
                           _answers(corrected, corrected)))
    fed = averages(spec, fed_back=True)
    candidates.append(("fed the bias-corrected value back into the average (vₜ = β·v̂ₜ₋₁ + (1 − β)·θₜ): the "
                       "correction belongs to the output only", _answers(*fed)))
    candidates.append(("swapped β and 1 − β (vₜ = (1 − β)·vₜ₋₁ + β·θₜ)", _answers(*averages(spec, swapped=True))))
    candidates.append(("corrected with 1 − βᵗ⁻¹ instead of 1 − βᵗ (the power off by one)",
                       _answers(*averages(spec, exponent_shift=-1))))
    if spec.initial == 0:
        candidates.append(("started the average at v₁ = θ₁ instead of from v₀ = 0",
                           _answers(*averages(spec, from_first=True))))
    seen = [right]
    for mistake, answers in candidates:
        if any(_same(answers, s, spec) for s in seen):
            continue
        seen.append(answers)
        yield Variant(mistake, answers)


def _same(a: dict, b: dict, spec: Spec) -> bool:
    return all(agree(a[k], b[k], spec.tolerance) for k in ("v", "v_hat"))


# ---------------------------------------------------------------------------------------------
# What the question gives

def given(spec: Spec) -> list:
    """The values θ₁ … θₙ, β and v₀ (and whether the averages are bias-corrected)."""
    from ..solution import Given

    n = len(spec.sequence)
    last = "θ" + str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
    out: list = [Given(f"Values θ₁…{last}", list(spec.sequence)) if n > 1 else
                 Given("Value θ₁", spec.sequence[0]), Given("β", spec.beta), Given("Initial average v₀", spec.initial)]
    if spec.bias_correction:
        out.append(Given("Bias correction", "v̂ₜ = vₜ / (1 − βᵗ)"))
    return out
