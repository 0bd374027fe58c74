"""Regular vs depthwise-separable convolution: multiplications, additions, FLOPs, improvement.

A depthwise-separable convolution replaces one K×K convolution with C_in → N channels by
a depthwise stage (each input channel convolved with its own M kernels of K×K; M is the
depth multiplier, usually 1) and a pointwise stage (a 1×1 convolution from C_in·M to N
channels). Both stages produce the same H_out × W_out as the regular convolution.

Convention: one multiply-accumulate (MAC) is one multiplication plus one addition, and
FLOPs = 2 × MACs. Tools disagree: fvcore reports one "flop" per MAC; ptflops reports MACs
and adds one per output element for a bias. Multiplications are exact either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Iterator, Literal

from pydantic import Field, StrictBool, StrictInt

from .. import limits
from ..errors import SolveError
from ..expr import add, dot, num, sym
from ..numbers import simplify
from ..solution import Answer, Solution, Step, Table, Variant
from ..layers import convolution
from ..layers.convolution import Padding, Pair, pair
from ..spec import Count, ProblemBase

TOPIC = "conv_cost"
SUMMARY = "Multiplications of a regular vs a depthwise-separable convolution, and the improvement factor"
EXAMPLE = "problems/seed/s07-conv-cost.yaml"

Ask = Literal["improvement_factor", "regular_total", "separable_total", "regular_per_image",
              "separable_per_image", "depthwise_total", "pointwise_total", "cost_ratio",
              "regular_flops", "separable_flops"]


class Spec(ProblemBase):
    """One convolution layer, applied to ``images`` images, computed both ways."""

    topic: Literal["conv_cost"] = Field(description="conv_cost: a regular against a depthwise-separable convolution")
    input: Annotated[list[Count], Field(min_length=3, max_length=3)] = Field(
        description="[height, width, channels] of one input image")
    out_channels: Count = Field(description="N, the output channels of the convolution")
    kernel: Pair = Field(description="K for a K×K kernel, or [rows, columns]")
    stride: Pair = Field(default=1, description="the step between windows: a number, or [rows, columns]")
    padding: Padding = Field(default=0, description="zeros around the input: a number, [rows, columns], "
                                                    "valid (none) or same (keeps ⌈size/stride⌉)")
    images: Annotated[StrictInt, Field(ge=1, le=limits.MAX_IMAGES)] = Field(
        default=1, description="how many images the convolution is applied to")
    multiplier: Count = Field(default=1, description="depth multiplier M of the depthwise stage")
    bias: StrictBool = Field(default=False, description="count one addition per output for a bias")
    ask: Ask = Field(default="improvement_factor", description="the answer the question asks for")


@dataclass(frozen=True)
class Cost:
    """Multiplication counts for one image; everything else follows from them."""

    h_out: int
    w_out: int
    regular: int
    depthwise: int
    pointwise: int

    @property
    def separable(self) -> int:
        return self.depthwise + self.pointwise


def cost(h_out: int, w_out: int, c_in: int, n: int, kh: int, kw: int, multiplier: int = 1,
         depthwise_channels: int | None = None) -> Cost:
    """Multiplications per image. ``depthwise_channels`` overrides C_in in the depthwise stage (a mistake)."""
    positions = h_out * w_out
    dw_channels = c_in if depthwise_channels is None else depthwise_channels
    return Cost(h_out, w_out,
                regular=positions * kh * kw * c_in * n,
                depthwise=positions * kh * kw * dw_channels * multiplier,
                pointwise=positions * c_in * multiplier * n)


def _window(spec: Spec) -> convolution.Window:
    """Where the kernel slides (the library's arithmetic: nnsolve.layers.convolution)."""
    h, w, _ = spec.input
    return convolution.window(spec.padding, (h, w), pair(spec.kernel), pair(spec.stride), at="kernel")


def _cost_of(spec: Spec) -> Cost:
    kh, kw = pair(spec.kernel)
    return cost(*_window(spec).out, spec.input[2], spec.out_channels, kh, kw, spec.multiplier)


def _answers(spec: Spec, k: Cost) -> dict[str, object]:
    """The named results for one set of counts (shared by the solver and the mistake variants)."""
    n_img = spec.images
    return {
        "regular_per_image": k.regular, "regular_total": k.regular * n_img,
        "depthwise_per_image": k.depthwise, "depthwise_total": k.depthwise * n_img,
        "pointwise_per_image": k.pointwise, "pointwise_total": k.pointwise * n_img,
        "separable_per_image": k.separable, "separable_total": k.separable * n_img,
        "improvement_factor": simplify(Fraction(k.regular, k.separable)),
        "cost_ratio": simplify(Fraction(k.separable, k.regular)),
        "regular_flops": 2 * k.regular * n_img, "separable_flops": 2 * k.separable * n_img,
    }


LABELS = {
    "regular_per_image": "Regular-convolution multiplications per image",
    "regular_total": "Regular-convolution multiplications for all images",
    "depthwise_per_image": "Depthwise-stage multiplications per image",
    "depthwise_total": "Depthwise-stage multiplications for all images",
    "pointwise_per_image": "Pointwise-stage multiplications per image",
    "pointwise_total": "Pointwise-stage multiplications for all images",
    "separable_per_image": "Depthwise-separable multiplications per image",
    "separable_total": "Depthwise-separable multiplications for all images",
    "improvement_factor": "Improvement factor (regular ÷ separable)",
    "cost_ratio": "Cost ratio (separable ÷ regular)",
    "regular_flops": "Regular-convolution FLOPs for all images (2 per MAC)",
    "separable_flops": "Depthwise-separable FLOPs for all images (2 per MAC)",
    "regular_additions": "Regular-convolution additions for all images",
    "separable_additions": "Depthwise-separable additions for all images",
}


def solve(spec: Spec) -> Solution:
    h, w, c = spec.input
    n, m, n_img = spec.out_channels, spec.multiplier, spec.images
    kh, kw = pair(spec.kernel)
    k = _cost_of(spec)
    values = _answers(spec, k)
    square = kh == kw
    Ho, Wo, Cin, N, M, K = sym("H_out"), sym("W_out"), sym("C_in"), sym("N"), sym("M"), sym("K")
    window = K * K if square else sym("K_h") * sym("K_w")
    window_sub = (kh, kw)
    dm_sub = (m,) if m != 1 else ()

    steps: list[Step] = convolution.window_steps(_window(spec), "Output")
    steps.append(Step("Regular convolution: multiplications per image", lhs=sym("mult_regular"),
                      formula=Ho * Wo * window * Cin * N,
                      substitution=dot(k.h_out, k.w_out, *window_sub, c, n), value=k.regular,
                      note="every output value (H_out·W_out·N of them) needs K·K·C_in products"))
    steps.append(Step("Depthwise stage: multiplications per image", lhs=sym("mult_depthwise"),
                      formula=Ho * Wo * window * Cin * M if m != 1 else Ho * Wo * window * Cin,
                      substitution=dot(k.h_out, k.w_out, *window_sub, c, *dm_sub), value=k.depthwise,
                      note="one K×K kernel per input channel" + (f", {m} per channel (depth multiplier)" if m != 1 else "")))
    steps.append(Step("Pointwise stage: multiplications per image", lhs=sym("mult_pointwise"),
                      formula=Ho * Wo * Cin * M * N if m != 1 else Ho * Wo * Cin * N,
                      substitution=dot(k.h_out, k.w_out, c, *dm_sub, n), value=k.pointwise,
                      note="a 1×1 convolution: C_in" + ("·M" if m != 1 else "") + " products per output value"))
    steps.append(Step("Depthwise-separable: multiplications per image", lhs=sym("mult_separable"),
                      formula=sym("mult_depthwise") + sym("mult_pointwise"),
                      substitution=add(num(k.depthwise), num(k.pointwise)), value=k.separable))
    if n_img != 1:
        steps.append(Step(f"Regular convolution: {n_img:,} images", lhs=sym("total_regular"),
                          substitution=dot(k.regular, n_img), value=values["regular_total"]))
        steps.append(Step(f"Depthwise-separable: {n_img:,} images", lhs=sym("total_separable"),
                          substitution=add(dot(k.depthwise, n_img), dot(k.pointwise, n_img)),
                          value=values["separable_total"],
                          note=f"depthwise {values['depthwise_total']:,} + pointwise {values['pointwise_total']:,}"))
    steps.append(Step("Improvement factor", lhs=sym("factor"),
                      formula=sym("mult_regular") / sym("mult_separable"),
                      substitution=num(k.regular) / num(k.separable), value=values["improvement_factor"]))
    closed = (1 / N + 1 / (K ** 2 if square else sym("K_h") * sym("K_w")))
    closed_sub = 1 / num(n) + 1 / (num(kh) ** 2 if square else dot(kh, kw))
    closed_value = simplify(m * (Fraction(1, n) + Fraction(1, kh * kw)))
    steps.append(Step("Closed form: separable ÷ regular", lhs=sym("mult_separable") / sym("mult_regular"),
                      formula=(M * closed) if m != 1 else closed,
                      substitution=(num(m) * closed_sub) if m != 1 else closed_sub, value=closed_value,
                      note="the same ratio as the counts: the improvement factor is its reciprocal"))

    outputs_regular = k.h_out * k.w_out * n
    outputs_depthwise = k.h_out * k.w_out * c * m
    add_regular = k.regular - outputs_regular + (outputs_regular if spec.bias else 0)
    add_separable = k.separable - outputs_depthwise - outputs_regular + (
        outputs_depthwise + outputs_regular if spec.bias else 0)
    values["regular_additions"] = add_regular * n_img
    values["separable_additions"] = add_separable * n_img
    steps.append(Step("FLOPs (1 MAC = 1 multiplication + 1 addition = 2 FLOPs)", lhs=sym("FLOPs_regular"),
                      formula=dot(2, sym("MACs")), substitution=dot(2, values["regular_total"]),
                      value=values["regular_flops"],
                      note=f"depthwise-separable: 2 · {values['separable_total']:,} = {values['separable_flops']:,}"))

    table = Table(f"Multiplications (= MACs), {'one image' if n_img == 1 else f'{n_img:,} images'}",
                  ("Convolution", "Per image", "All images", "Additions (exact)", "FLOPs (2 × MACs)"),
                  (("Regular", k.regular, values["regular_total"], values["regular_additions"], values["regular_flops"]),
                   ("Depthwise stage", k.depthwise, values["depthwise_total"], None, 2 * values["depthwise_total"]),
                   ("Pointwise stage", k.pointwise, values["pointwise_total"], None, 2 * values["pointwise_total"]),
                   ("Depthwise-separable", k.separable, values["separable_total"], values["separable_additions"],
                    values["separable_flops"])))

    answers = {name: Answer(value, LABELS[name]) for name, value in values.items()}
    assumptions = [
        "Multiplications are counted exactly; one multiply-accumulate (MAC) = one multiplication + one addition, "
        "and FLOPs = 2 × MACs. fvcore reports one 'flop' per MAC (its numbers equal the multiplications here); "
        "ptflops reports MACs and adds one per output value for a bias.",
        "The depthwise stage has the regular convolution's kernel, stride and padding; the pointwise stage is "
        "1×1 with stride 1, so all three produce the same output size.",
        ("Additions are exact: a sum of k products takes k − 1 additions, plus one for the bias."
         if spec.bias else "Additions are exact: a sum of k products takes k − 1 additions; biases are not counted."),
    ]
    if m != 1:
        assumptions.append(f"With depth multiplier M = {m} the ratio is M·(1/N + 1/K²), not 1/N + 1/K².")
    if spec.bias:
        assumptions.append("The closed form 1/N + 1/K² compares multiplications; it does not hold for additions "
                           "or FLOPs once biases are counted.")
    return Solution(topic=TOPIC, answers=answers, primary=spec.ask, blocks=(*steps, table),
                    assumptions=tuple(assumptions), warnings=_explained_options(spec, values))


def _explained_options(spec: Spec, values: dict) -> tuple[str, ...]:
    """For an option whose numbers do not follow from the standard formula, the mistake that gives them."""
    from ..compare import agree

    out: list[str] = []
    mistakes: list[Variant] | None = None
    for key, option in (spec.choices or {}).items():
        if not isinstance(option, dict) or any(name not in values for name in option):
            continue
        wrong = [name for name, given in option.items() if not agree(values[name], given, spec.tolerance)]
        if not wrong:
            continue
        mistakes = list(variants(spec)) if mistakes is None else mistakes
        for variant in mistakes:
            if all(agree(variant.answers[name], given, spec.tolerance) for name, given in option.items()):
                out.append(f"option {key}: its {' and '.join(LABELS[n].lower() for n in wrong)} do not follow "
                           f"from the standard formula; they would follow from a calculation that {variant.mistake}")
                break
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    """Mistakes seen in hand calculations (several from the seed exam's working)."""
    h, w, c = spec.input
    n = spec.out_channels
    kh, kw = pair(spec.kernel)
    right = _cost_of(spec)
    correct = _answers(spec, right)

    if spec.images != 1:
        per_image = _answers(spec.model_copy(update={"images": 1}), right)
        yield Variant(f"gave the count for one image instead of all {spec.images:,}", per_image)

    flops = {name: 2 * value if isinstance(value, int) else value for name, value in correct.items()}
    yield Variant("counted FLOPs (2 per multiply-accumulate) where the question asks for multiplications", flops)

    if (h, w) != (right.h_out, right.w_out):
        wrong = cost(right.h_out, right.w_out, c, n, kh, kw, spec.multiplier)
        on_input = cost(h, w, c, n, kh, kw, spec.multiplier)
        yield Variant(f"used the input size {h}×{w} instead of the output size {right.h_out}×{right.w_out} "
                      "in the depthwise-separable stages",
                      _answers(spec, Cost(right.h_out, right.w_out, wrong.regular, on_input.depthwise,
                                          on_input.pointwise)))

    if n != c:
        wrong = cost(right.h_out, right.w_out, c, n, kh, kw, spec.multiplier, depthwise_channels=n)
        yield Variant(f"used the {n} output channels instead of the {c} input channels in the depthwise stage",
                      _answers(spec, wrong))
        # The seed exam's working (s07): C·N·H·W (1×1 kernels on the input size) as one stage,
        # N·K²·N as the other, 49,152 + 102,400 = 151,552 per image.
        stage_a, stage_b = c * n * h * w, n * kh * kw * n
        yield Variant(f"counted the pointwise stage on the {h}×{w} input (C_in·N·H·W = {stage_a:,}) and the "
                      f"depthwise stage as N·K·K·N = {stage_b:,} (the output channels in place of the input "
                      "channels and of the output positions)",
                      _answers(spec, Cost(right.h_out, right.w_out, right.regular, stage_b, stage_a)))

    if n % 2 == 0:
        # The only simple reading found that reproduces the seed exam's option c for s07
        # (2,462,400 and 28.07 = 1 / (1/64 + 1/50)); nothing in the question suggests it.
        half = cost(right.h_out, right.w_out, c, n // 2, kh, kw, spec.multiplier)
        yield Variant(f"used half the output channels ({n // 2} instead of {n}) in the pointwise stage",
                      _answers(spec, Cost(right.h_out, right.w_out, right.regular, right.depthwise, half.pointwise)))

    other = "same" if spec.padding in (0, "valid", [0, 0]) else 0
    try:
        changed = spec.model_copy(update={"padding": other})
        yield Variant("used 'same' padding (output the size of the input) where the question has none"
                      if other == "same" else "used no padding where the question has 'same' padding",
                      _answers(changed, _cost_of(changed)))
    except SolveError:
        pass
