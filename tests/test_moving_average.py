"""moving_average: hand-worked rows, generated sequences against a loop written here, the mistakes, bad input."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.errors import NnsolveError
from nnsolve.loader import load_text
from nnsolve.solve import variants
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_located, solve_yaml


def test_temperatures_example():
    # v₁ = 0.1·40 = 4, v₂ = 0.9·4 + 0.1·49 = 8.5, v₃ = 0.9·8.5 + 0.1·45 = 12.15; v̂₃ = 12.15/0.271 = 12150/271
    solution = solve_file(PROBLEMS / "moving_average/temperatures.yaml")
    assert solution.answers["v"].value == [4, Fraction(17, 2), Fraction(243, 20)]
    assert solution.answer == Fraction(12150, 271)
    assert solution.answers["v_hat_1"].value == 40  # the first corrected term is θ₁ itself
    assert solution.choice.key == "b"


def test_andrew_ng_bias_correction():
    # β = 0.98, θ₁ = 40: v₁ = 0.02·40 = 0.8, far below 40; v̂₁ = 0.8/0.02 = 40.
    solution = solve_yaml("topic: moving_average\nsequence: [40]\nbeta: 0.98\n")
    assert solution.answer == Fraction(4, 5)
    assert solution.answers["v_hat_1"].value == 40
    assert solution.answers["v_hat_1"].reading  # not asked: another reading


def _loop(sequence, beta, v0):
    """The recurrence, written out here (the test's own oracle)."""
    v, raw, corrected = v0, [], []
    for t, theta in enumerate(sequence, start=1):
        v = beta * v + (1 - beta) * theta
        raw.append(v)
        corrected.append(v / (1 - beta ** t) if beta else v)
    return raw, corrected


@settings(max_examples=150)
@given(st.lists(st.integers(-100, 100).map(lambda k: Fraction(k, 4)), min_size=1, max_size=30),
       st.integers(0, 99).map(lambda k: Fraction(k, 100)), st.integers(-10, 10).map(Fraction),
       st.booleans())
def test_matches_a_loop_exactly(sequence, beta, v0, corrected):
    text = (f"topic: moving_average\nsequence: [{', '.join(f'{q.numerator}/{q.denominator}' for q in sequence)}]\n"
            f"beta: {beta.numerator}/{beta.denominator}\ninitial: {v0}\nbias_correction: {str(corrected).lower()}\n")
    solution = solve_yaml(text)
    raw, hat = _loop(sequence, beta, v0)
    assert solution.answers["v"].value == raw
    assert solution.answers["v_hat"].value == hat
    assert solution.answer == (hat[-1] if corrected else raw[-1])
    floats = _loop([float(q) for q in sequence], float(beta), float(v0))
    assert [float(v) for v in solution.answers["v_hat"].value] == pytest.approx(floats[1], rel=1e-12, abs=1e-12)


def test_long_sequences_stay_bounded():
    # 1,000 terms with a 40-digit β: exact until MAX_EXACT_DIGITS, then floats, agreeing with the loop.
    beta = "0." + "1234567890" * 4
    solution = solve_yaml(f"topic: moving_average\nsequence: [{', '.join(['1', '2', '3'] * 333)}, 4]\nbeta: '{beta}'\n")
    assert isinstance(solution.answer, float)
    raw, _ = _loop([1.0, 2.0, 3.0] * 333 + [4.0], float(Fraction(beta)), 0.0)
    assert solution.answer == pytest.approx(raw[-1], rel=1e-12)


def _variants(text: str) -> dict[str, dict]:
    return {v.mistake: v.answers for v in variants(load_text(text, file="t.yaml").spec)}


def test_variants_name_the_mistakes():
    found = _variants((PROBLEMS / "moving_average/temperatures.yaml").read_text())
    forgot = next(a for m, a in found.items() if m.startswith("forgot the bias correction"))
    assert forgot["v_hat_3"] == Fraction(243, 20)  # option a: v₃ given as v̂₃
    fed = next(a for m, a in found.items() if "fed the bias-corrected value back" in m)
    # v₂ = 0.9·v̂₁ + 0.1·49 = 36 + 4.9 = 40.9 instead of 8.5
    assert fed["v_2"] == Fraction(409, 10)
    assert any("swapped β and 1 − β" in m for m in found)
    assert any("off by one" in m for m in found)


def test_correction_applied_unasked_is_a_variant():
    found = _variants("topic: moving_average\nsequence: [10, 20]\nbeta: 0.5\n")
    unasked = next(a for m, a in found.items() if "does not ask for" in m)
    assert unasked["v_2"] == Fraction(50, 3)  # v₂ = 0.5·5 + 0.5·20 = 12.5; /(1 − 0.25) = 50/3


@pytest.mark.parametrize("extra,message", [
    ("beta: 1", "t.yaml:3: beta: must be less than 1"),
    ("beta: -0.1", "t.yaml:3: beta: must be at least 0"),
    ("beta: 0.9\nask: v_4", "t.yaml:4: ask: must be v_<t> or v_hat_<t> for t from 1 to 3"),
    ("beta: 0.9\nsequence_x: 1", "t.yaml:4: sequence_x: unknown field"),
])
def test_refusals_name_the_field(extra, message):
    with pytest.raises(NnsolveError) as info:
        solve_located(f"topic: moving_average\nsequence: [1, 2, 3]\n{extra}\n")
    assert str(info.value).startswith(message), str(info.value)


def test_a_nonzero_start_warns_about_the_correction():
    solution = solve_yaml("topic: moving_average\nsequence: [1, 2]\nbeta: 0.5\ninitial: 3\nbias_correction: true\n")
    assert any("assumes v₀ = 0" in w for w in solution.warnings)


def test_given_data_name_the_values_beta_and_the_start():
    given = solve_file(PROBLEMS / "moving_average/temperatures.yaml").given
    assert [(g.label, g.value) for g in given] == [
        ("Values θ₁…θ₃", [40, 49, 45]), ("β", Fraction(9, 10)), ("Initial average v₀", 0),
        ("Bias correction", "v̂ₜ = vₜ / (1 − βᵗ)")]


def test_long_exact_averages_are_shown_rounded_and_kept_exact_in_json():
    """With β = 9/10 the t-th average has about t digits above and below the bar: shown, each is
    rounded (its digits are not written out, which took rich seconds per table), JSON keeps it exact."""
    import json

    from nnsolve.numbers import DISPLAY_DIGITS
    from nnsolve.render import Format, render

    sequence = ", ".join(f"{i % 13}/7" for i in range(300))
    solution = solve_yaml(f"topic: moving_average\nsequence: [{sequence}]\nbeta: 9/10\nbias_correction: true\n")
    last = solution.answers["v_hat_300"].value
    assert isinstance(last, Fraction) and len(str(last.denominator)) > 250  # exact, a few hundred digits
    assert any(f"more than {DISPLAY_DIGITS} digits" in a for a in solution.assumptions)
    for fmt in (Format.text, Format.markdown, Format.latex, Format.html):
        longest_number = max(len(word) for word in render(solution, fmt).replace("/", " ").split())
        assert longest_number < 200, fmt  # no 300-digit numerator or denominator
    assert Fraction(json.loads(render(solution, Format.json))["exact"]["v_hat_300"]) == last
