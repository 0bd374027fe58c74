"""optimizer_steps: the seed s08 numbers from the issue, and generated runs checked against torch.optim."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.errors import NnsolveError
from nnsolve.expr import evaluate
from nnsolve.loader import load_text
from nnsolve.solve import solve, variants
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_yaml

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------------------------------------
# Seed s08, with the numbers the issue states

def test_s08_momentum_seed():
    solution = solve_file(PROBLEMS / "seed/s08-momentum.yaml")
    assert solution.primary == "w2"
    assert solution.answer == pytest.approx(0.10078, abs=5e-6)
    assert solution.answers["w2_iter1"].value == pytest.approx(0.16201, abs=5e-6)
    assert solution.answers["w2_iter2"].value == solution.answer
    half = solution.answers["w2_half_loss"]
    assert half.value == pytest.approx(0.15142, abs=5e-6) and half.reading
    assert "b_iter1" not in solution.answers  # b is fixed
    text = " ".join(solution.assumptions)
    assert "0.15142" in text and "without ½" in text
    assert "same trajectory" in text  # PyTorch's momentum form


def test_s08_by_hand_first_iteration():
    # z = 0.5·2 + 0.2·5 + 0.1 = 2.1; dL/dz = 2(σ − 0.5)·σ(1 − σ); v2 = −0.1·dL/dz·5.
    s = 1 / (1 + math.exp(-2.1))
    g2 = 2 * (s - 0.5) * s * (1 - s) * 5
    solution = solve_file(PROBLEMS / "seed/s08-momentum.yaml")
    assert solution.answers["w2_iter1"].value == pytest.approx(0.2 - 0.1 * g2, rel=1e-12)


def test_s08_handwritten_answer_is_half_loss_without_w1_update():
    problem = load_text((PROBLEMS / "seed/s08-momentum.yaml").read_text(), file="s08.yaml")
    found = [v for v in variants(problem.spec) if abs(v.answers["w2"] - 0.1509) <= 0.01 * 0.1509
             and "did not update w1 in iteration 1" in v.mistake]
    assert found, "no variant reproduces the handwritten 0.1509"
    assert any(v.mistake.startswith("used ½(ŷ − y)² although the question states the loss without ½")
               for v in found)


def test_s08_variants_include_the_listed_mistakes():
    problem = load_text((PROBLEMS / "seed/s08-momentum.yaml").read_text(), file="s08.yaml")
    mistakes = " | ".join(v.mistake for v in variants(problem.spec))
    for phrase in ("bias b", "v ← m·v + η·g", "did not update"):
        assert phrase in mistakes
    correct = solve(problem.spec).answer
    assert all(v.answers["w2"] != correct for v in variants(problem.spec))


def test_every_step_substitution_equals_its_value():
    solution = solve_file(PROBLEMS / "seed/s08-momentum.yaml")
    for step in solution.steps:
        if step.substitution is not None and step.value is not None and not _has_raw(step.substitution):
            assert float(evaluate(step.substitution)) == pytest.approx(float(step.value), rel=1e-9, abs=1e-12), step.title


def _has_raw(e) -> bool:
    from nnsolve.expr import Call, Op, Raw

    if isinstance(e, Raw):
        return True
    if isinstance(e, (Op, Call)):
        return any(_has_raw(a) for a in e.args)
    return False


# ---------------------------------------------------------------------------------------------
# Exact arithmetic where the maths is exact

def test_linear_gd_is_exact():
    # ŷ = z = 1·2 + 0 = 2, L = (y − ŷ)² with y = 1: g = 2(2 − 1)·2 = 4, w ← 1 − 0.1·4 = 0.6 exactly.
    solution = solve_yaml("""
        topic: optimizer_steps
        weights: [1]
        activation: linear
        samples: [{x: [2], y: 1}]
        trained: [w1]
        optimizer: {type: gd, learning_rate: 0.1}
        iterations: 1
    """)
    from fractions import Fraction

    assert solution.answer == Fraction(3, 5)
    # under the ½ reading g = (2 − 1)·2 = 2 and w ← 1 − 0.1·2 = 0.8
    assert solution.answers["w1_half_loss"].value == Fraction(4, 5)


def test_refusals_name_the_problem():
    with pytest.raises(NnsolveError, match="2 inputs but there are 1 weights"):
        solve_yaml("""
            topic: optimizer_steps
            weights: [1]
            samples: [{x: [2, 3], y: 1}]
            optimizer: {type: gd, learning_rate: 0.1}
            iterations: 1
        """)
    with pytest.raises(NnsolveError, match="MAX_ITERATIONS|at most"):
        solve_yaml("""
            topic: optimizer_steps
            weights: [1]
            samples: [{x: [2], y: 1}]
            optimizer: {type: gd, learning_rate: 0.1}
            iterations: 10001
        """)
    with pytest.raises(NnsolveError, match="unknown parameter 'w3'"):
        solve_yaml("""
            topic: optimizer_steps
            weights: [1, 2]
            samples: [{x: [2, 1], y: 1}]
            optimizer: {type: gd, learning_rate: 0.1}
            iterations: 1
            ask: w3
        """)


# ---------------------------------------------------------------------------------------------
# Generated problems against torch.optim (float64)

OPTIMIZERS = ["gd", "momentum", "nesterov", "rmsprop", "adam"]


@st.composite
def problems(draw):
    n_in = draw(st.integers(1, 3))
    n_samples = draw(st.integers(1, 3))
    small = st.integers(-20, 20).map(lambda k: k / 10)
    activation = draw(st.sampled_from(["sigmoid", "tanh", "relu", "linear"]))
    loss = draw(st.sampled_from(["squared_error", "binary_cross_entropy"] if activation == "sigmoid"
                                else ["squared_error"]))
    half = loss == "squared_error" and draw(st.booleans())
    reduction = draw(st.sampled_from(["mean", "sum"]))
    ys = [draw(st.integers(0, 10).map(lambda k: k / 10)) for _ in range(n_samples)]
    names = [f"w{j}" for j in range(1, n_in + 1)] + ["b"]
    trained = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    opt = draw(st.sampled_from(OPTIMIZERS))
    hyper = {"learning_rate": draw(st.sampled_from([0.01, 0.05, 0.1, 0.3]))}
    if opt in ("momentum", "nesterov"):
        hyper["momentum"] = draw(st.sampled_from([0.0, 0.5, 0.9]))
    if opt == "rmsprop":
        hyper["rho"] = draw(st.sampled_from([0.9, 0.99]))
        hyper["epsilon"] = draw(st.sampled_from(["1e-8", "0.001"]))
    if opt == "adam":
        hyper["beta1"] = draw(st.sampled_from([0.9, 0.5]))
        hyper["beta2"] = draw(st.sampled_from([0.999, 0.9]))
    return {
        "weights": [draw(small) for _ in range(n_in)],
        "bias": draw(small),
        "activation": activation,
        "samples": [{"x": [draw(small) for _ in range(n_in)], "y": y} for y in ys],
        "loss": {"type": loss, "half": half, "reduction": reduction},
        "trained": trained,
        "optimizer": {"type": opt, **hyper},
        "iterations": draw(st.integers(1, 5)),
    }


def _torch_run(p: dict) -> tuple[dict[str, list[float]], float, list[float]]:
    """The same training with torch autograd and torch.optim: parameters after every iteration, the
    smallest nonzero |gradient| of a trained parameter on the way, and the loss in every iteration.
    A ReLU's input within float noise of its kink makes the smallest gradient 0: exactly, that input
    may be 0 (ReLU′(0) = 0) where float rounding leaves it a hair above."""
    n_in = len(p["weights"])
    w = torch.tensor([float(v) for v in p["weights"]], requires_grad=True)
    b = torch.tensor(float(p["bias"]), requires_grad=True)
    x = torch.tensor([[float(v) for v in s["x"]] for s in p["samples"]])
    y = torch.tensor([float(s["y"]) for s in p["samples"]])
    trained = p["trained"]
    trained_w = [int(n[1:]) - 1 for n in trained if n != "b"]
    mask = torch.zeros(n_in)
    mask[trained_w] = 1
    params = [w] + ([b] if "b" in trained else [])
    o = p["optimizer"]
    lr = o["learning_rate"]
    if o["type"] == "gd":
        opt = torch.optim.SGD(params, lr=lr)
    elif o["type"] in ("momentum", "nesterov"):
        opt = torch.optim.SGD(params, lr=lr, momentum=o["momentum"],
                              nesterov=o["type"] == "nesterov" and o["momentum"] > 0)
    elif o["type"] == "rmsprop":
        opt = torch.optim.RMSprop(params, lr=lr, alpha=o["rho"], eps=float(o["epsilon"]))
    else:
        opt = torch.optim.Adam(params, lr=lr, betas=(o["beta1"], o["beta2"]), eps=1e-8)
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t}[p["activation"]]
    history: dict[str, list[float]] = {n: [] for n in trained}
    smallest = float("inf")
    losses = []
    for _ in range(p["iterations"]):
        opt.zero_grad()
        z = x @ w + b
        if p["activation"] == "relu" and bool((z.abs() < 1e-9).any()):
            smallest = 0.0
        y_hat = act(z)
        if p["loss"]["type"] == "squared_error":
            per = (y - y_hat) ** 2 * (0.5 if p["loss"]["half"] else 1.0)
        else:
            per = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))
        loss = per.mean() if p["loss"]["reduction"] == "mean" else per.sum()
        losses.append(float(loss.detach()))
        loss.backward()
        w.grad *= mask  # untrained weights get no gradient (so no optimizer state either)
        grads = [abs(float(g)) for g in w.grad[trained_w]] + ([abs(float(b.grad))] if "b" in trained else [])
        smallest = min([smallest] + [g for g in grads if g > 0])
        opt.step()
        for n in trained:
            history[n].append(float(b.detach()) if n == "b" else float(w.detach()[int(n[1:]) - 1]))
    return history, smallest, losses


def _yaml(p: dict) -> str:
    import json

    return "topic: optimizer_steps\n" + "\n".join(f"{k}: {json.dumps(v)}" for k, v in p.items())


@settings(max_examples=200)
@given(problems())
def test_matches_torch_optim(p):
    expected, smallest, _ = _torch_run(p)
    if smallest == 0.0:
        return  # a ReLU at its kink: float rounding decides the side (see _torch_run)
    if p["optimizer"]["type"] in ("rmsprop", "adam") and smallest < 1e-9:
        # g/√s normalizes a gradient's size away: float noise where the exact gradient is 0 (a ReLU output
        # equal to its target, 0.5·1.8 − 0.6 = 0.30000000000000004) becomes a full step in torch.
        return

    solution = solve_yaml(_yaml(p))
    nesterov = p["optimizer"]["type"] == "nesterov" and p["optimizer"]["momentum"] > 0
    for name, values in expected.items():
        if nesterov:
            # PyTorch stores the look-ahead point p + m·v; compare it after the last iteration.
            got = float(solution.answers[f"{name}_lookahead"].value)
            assert got == pytest.approx(values[-1], rel=1e-9, abs=1e-12), name
            continue
        for t, value in enumerate(values, start=1):
            got = float(solution.answers[f"{name}_iter{t}"].value)
            assert got == pytest.approx(value, rel=1e-9, abs=1e-12), (name, t)


@settings(max_examples=30)
@given(problems())
def test_variants_run_and_differ_from_the_answer(p):
    problem = load_text(_yaml(p), file="gen.yaml")
    answer = solve(problem.spec).answer
    for v in variants(problem.spec):
        assert v.mistake
        assert v.answers[problem.spec.ask or problem.spec.trained[0]] != answer


@settings(max_examples=40)
@given(problems())
def test_figure_plots_torchs_parameters_and_loss_per_iteration(p):
    expected, smallest, losses = _torch_run(p)
    solution = solve_yaml(_yaml(p))
    if p["iterations"] < 2:
        assert solution.figures == ()
        return
    (figure,) = solution.figures
    parameters, loss = figure.panels
    assert [s.label for s in parameters.series] == [n.translate(str.maketrans("123", "₁₂₃"))
                                                    for n in p["trained"]]
    (curve,) = loss.series
    assert curve.x == tuple(range(1, p["iterations"] + 1))
    if p["optimizer"]["type"] == "nesterov" or (p["optimizer"]["type"] in ("rmsprop", "adam") and smallest < 1e-9):
        return  # torch keeps the look-ahead point; g/√s turns float noise into steps (as above)
    assert list(curve.y) == pytest.approx(losses, rel=1e-9, abs=1e-12)
    start = {**{f"w{j}": w for j, w in enumerate(p["weights"], start=1)}, "b": p["bias"]}
    for name, series in zip(p["trained"], parameters.series):
        assert series.x == tuple(range(p["iterations"] + 1))
        assert list(series.y) == pytest.approx([start[name]] + expected[name], rel=1e-9, abs=1e-12)
