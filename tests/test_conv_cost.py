"""conv_cost: multiplication counts checked by brute force and by ptflops, and the seed problem s07."""

from __future__ import annotations

import warnings
from fractions import Fraction

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.loader import load_text
from nnsolve.solve import solve, variants
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_yaml

torch = pytest.importorskip("torch")


def problem(**fields):
    return load_text(yaml.safe_dump({"topic": "conv_cost", **fields}), file="test.yaml").spec


def brute_force_products(h, w, c_in, c_out, kh, kw, stride, padding, groups=1, dilation=1):
    """Count the multiplications by walking the convolution: one per (output value, window weight)
    whose input position exists (inside the padded input)."""
    hp, wp = h + 2 * padding, w + 2 * padding
    count = 0
    for r in range(0, hp - dilation * (kh - 1), stride):
        for c in range(0, wp - dilation * (kw - 1), stride):
            for _ in range(c_out):
                for _ in range(c_in // groups):
                    for i in range(kh):
                        for j in range(kw):
                            assert r + i * dilation < hp and c + j * dilation < wp
                            count += 1
    return count


def ptflops_macs(module, shape):
    ptflops = pytest.importorskip("ptflops")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        macs, _ = ptflops.get_model_complexity_info(module, shape, as_strings=False, print_per_layer_stat=False,
                                                    backend="pytorch")
    return int(macs)


# ---------------------------------------------------------------------------------------------
# The seed problem (numbers from the issue text)

def test_seed_counts():
    a = solve_file(PROBLEMS / "seed/s07-conv-cost.yaml").answers
    assert a["regular_total"].value == 69_120_000
    assert a["regular_per_image"].value == 691_200
    assert a["depthwise_total"].value == 1_080_000
    assert a["pointwise_total"].value == 2_764_800
    assert a["separable_total"].value == 3_844_800
    assert a["separable_per_image"].value == 38_448
    assert a["improvement_factor"].value == Fraction(691_200, 38_448)
    assert abs(float(a["improvement_factor"].value) - 17.98) < 0.005
    assert a["cost_ratio"].value == Fraction(1, 64) + Fraction(1, 25)
    assert a["regular_flops"].value == 2 * 69_120_000


def test_seed_answers_option_c_with_a_warning_naming_what_disagrees():
    solution = solve_file(PROBLEMS / "seed/s07-conv-cost.yaml")
    assert solution.choice.key == "c" and not solution.choice.exact
    disagreeing = " ".join(solution.choice.disagreements)
    assert "2,462,400" in disagreeing and "28.07" in disagreeing and "69,120,000" not in disagreeing
    warnings_text = " ".join(solution.warnings)
    assert "option c" in warnings_text and "standard formula" in warnings_text


def test_seed_variants():
    spec = load_text((PROBLEMS / "seed/s07-conv-cost.yaml").read_text()).spec
    found = {v.mistake: v.answers for v in variants(spec)}

    def by(words):
        return next(a for m, a in found.items() if words in m)

    # option d is option c / 100: the per-image counts
    assert by("one image")["regular_total"] == 691_200
    assert by("FLOPs")["separable_total"] == 2 * 3_844_800
    # the handwritten working: 16×16 input size instead of 12×12 output size, 64 in the depthwise stage
    assert by("input size 16×16")["separable_per_image"] == 3 * 25 * 16 * 16 + 3 * 64 * 16 * 16
    assert by("64 output channels")["depthwise_per_image"] == 12 * 12 * 25 * 64
    handwritten = spec.submitted.answers
    working = by("pointwise stage on the 16×16 input")
    assert working["regular_per_image"] == handwritten["regular_per_image"] == 3 * 64 * 12 * 12 * 5 * 5
    assert working["separable_per_image"] == handwritten["separable_per_image"] == 49_152 + 102_400
    # option c's separable count and factor: the pointwise stage with 32 output channels
    half = by("half the output channels")
    assert half["separable_total"] == 2_462_400
    assert round(float(half["improvement_factor"]), 2) == 28.07
    # 'same' padding keeps 16×16
    assert by("'same' padding")["regular_per_image"] == 16 * 16 * 25 * 3 * 64


# ---------------------------------------------------------------------------------------------
# Generated cases: brute force and ptflops

@st.composite
def layers(draw):
    kernel = draw(st.integers(1, 5))
    padding = draw(st.integers(0, 2))
    size = draw(st.integers(max(1, kernel - 2 * padding), 12))
    return dict(h=size, w=draw(st.integers(max(1, kernel - 2 * padding), 12)), c_in=draw(st.integers(1, 4)),
                c_out=draw(st.integers(1, 8)), kernel=kernel, stride=draw(st.integers(1, 3)), padding=padding,
                images=draw(st.integers(1, 50)), multiplier=draw(st.sampled_from([1, 1, 2])))


def _spec(case):
    return problem(input=[case["h"], case["w"], case["c_in"]], out_channels=case["c_out"], kernel=case["kernel"],
                   stride=case["stride"], padding=case["padding"], images=case["images"],
                   multiplier=case["multiplier"])


@settings(max_examples=150)
@given(layers())
def test_counts_match_a_brute_force_walk(case):
    a = solve(_spec(case)).answers
    k, s, p, m = case["kernel"], case["stride"], case["padding"], case["multiplier"]
    regular = brute_force_products(case["h"], case["w"], case["c_in"], case["c_out"], k, k, s, p)
    depthwise = brute_force_products(case["h"], case["w"], case["c_in"], case["c_in"] * m, k, k, s, p,
                                     groups=case["c_in"])
    h_out = (case["h"] + 2 * p - k) // s + 1
    w_out = (case["w"] + 2 * p - k) // s + 1
    pointwise = brute_force_products(h_out, w_out, case["c_in"] * m, case["c_out"], 1, 1, 1, 0)
    assert a["regular_per_image"].value == regular
    assert a["depthwise_per_image"].value == depthwise
    assert a["pointwise_per_image"].value == pointwise
    assert a["separable_total"].value == (depthwise + pointwise) * case["images"]
    assert a["improvement_factor"].value == Fraction(regular, depthwise + pointwise)
    # the closed form, scaled by the depth multiplier
    assert a["cost_ratio"].value == m * (Fraction(1, case["c_out"]) + Fraction(1, k * k))


@settings(max_examples=40, deadline=None)
@given(layers())
def test_counts_match_ptflops(case):
    nn = torch.nn
    k, s, p, m = case["kernel"], case["stride"], case["padding"], case["multiplier"]
    c_in, c_out = case["c_in"], case["c_out"]
    regular = nn.Conv2d(c_in, c_out, k, stride=s, padding=p, bias=False)
    separable = nn.Sequential(nn.Conv2d(c_in, c_in * m, k, stride=s, padding=p, groups=c_in, bias=False),
                              nn.Conv2d(c_in * m, c_out, 1, bias=False))
    shape = (c_in, case["h"], case["w"])
    a = solve(_spec(case)).answers
    assert a["regular_per_image"].value == ptflops_macs(regular, shape)
    assert a["separable_per_image"].value == ptflops_macs(separable, shape)


def test_same_padding_and_stride():
    a = solve(problem(input=[15, 15, 8], out_channels=16, kernel=3, stride=2, padding="same")).answers
    # 'same' keeps ⌈15 / 2⌉ = 8 per side
    assert a["regular_per_image"].value == 8 * 8 * 9 * 8 * 16
    assert a["regular_per_image"].value == ptflops_macs(
        torch.nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), (8, 15, 15))


def test_additions_are_exact():
    a = solve(problem(input=[4, 4, 2], out_channels=3, kernel=3)).answers
    outputs = 2 * 2 * 3
    assert a["regular_additions"].value == outputs * (3 * 3 * 2 - 1)
    with_bias = solve(problem(input=[4, 4, 2], out_channels=3, kernel=3, bias=True)).answers
    assert with_bias["regular_additions"].value == outputs * 3 * 3 * 2


def test_multiplier_and_bias_are_stated_as_limits_of_the_closed_form():
    solution = solve(problem(input=[8, 8, 4], out_channels=8, kernel=3, multiplier=2, bias=True))
    text = " ".join(solution.assumptions)
    assert "M·(1/N + 1/K²)" in text and "biases" in text


def test_kernel_larger_than_input_is_an_error():
    from nnsolve.errors import NnsolveError

    with pytest.raises(NnsolveError, match="kernel spans 5 pixels but its padded input is only 3"):
        solve(problem(input=[3, 3, 1], out_channels=2, kernel=5))


# ---------------------------------------------------------------------------------------------
# cnn_architecture's MAC column agrees with the same counter

@settings(max_examples=40, deadline=None)
@given(layers(), st.integers(1, 2))
def test_cnn_architecture_macs_agree_with_ptflops(case, dilation):
    k, s, p = case["kernel"], case["stride"], case["padding"]
    if case["h"] + 2 * p < dilation * (k - 1) + 1 or case["w"] + 2 * p < dilation * (k - 1) + 1:
        return
    groups = case["c_in"] if case["multiplier"] == 2 else 1
    solution = solve_yaml(f"""
        topic: cnn_architecture
        input: [{case['h']}, {case['w']}, {case['c_in']}]
        layers:
          - {{type: conv2d, filters: {case['c_in'] * 2}, kernel: {k}, stride: {s}, padding: {p},
              dilation: {dilation}, groups: {groups}}}
          - {{type: flatten}}
          - {{type: dense, units: {case['c_out']}}}
        ask: total_macs
        """)
    conv = torch.nn.Conv2d(case["c_in"], case["c_in"] * 2, k, stride=s, padding=p, dilation=dilation,
                           groups=groups, bias=False)
    h_out = (case["h"] + 2 * p - dilation * (k - 1) - 1) // s + 1
    w_out = (case["w"] + 2 * p - dilation * (k - 1) - 1) // s + 1
    dense = torch.nn.Linear(h_out * w_out * case["c_in"] * 2, case["c_out"], bias=False)
    model = torch.nn.Sequential(conv, torch.nn.Flatten(), dense)
    assert solution.answer == ptflops_macs(model, (case["c_in"], case["h"], case["w"]))
