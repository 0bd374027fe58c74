"""The experiment topic: each seed question's option comes out of the numbers, reproducibly.

Expected options are the ones issue 10 names (s01 b, s02 d, s04 b, s05 c, s06 b); the cheap
numbers are checked against PyTorch (autograd, conv2d shapes, parameter counts) and a
brute-force count; the figures are checked to be written as PNG files.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction

import pytest

from nnsolve.errors import SpecError
from nnsolve.experiments import activations
from nnsolve.plot import write_png
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_yaml, solved

SEED = PROBLEMS / "seed"


def seed_solution(name: str):
    """Each seed problem is solved once per test session (the torch ones take seconds)."""
    return solved(SEED / name)


@pytest.mark.parametrize("name,option", [
    ("s01-vanishing-gradient.yaml", "b"),
    ("s02-leaky-relu.yaml", "d"),
    ("s04-optimizer-unscaled.yaml", "b"),
    ("s05-depthwise.yaml", "c"),
    ("s06-stride.yaml", "b"),
])
def test_seed_option(name, option):
    solution = seed_solution(name)
    assert solution.choice.key == option and solution.choice.exact
    assert solution.answers["best_option"].value == option
    assert solution.primary == "best_option"


def test_s13_margins_follow_one_over_c():
    """1/C multiplies the hinge term: the largest C is the softest, widest margin (issue text)."""
    answers = seed_solution("s13-svm-c.yaml").answers
    assert answers["margin_order"].value == [100, Fraction(1, 10), Fraction(1, 100)]
    assert answers["margin_C_100"].value > answers["margin_C_0.1"].value > answers["margin_C_0.01"].value


def test_s14_relu_boundary_is_piecewise_linear_sigmoid_smooth():
    answers = seed_solution("s14-relu-sigmoid-boundaries.yaml").answers
    for data in ("circles", "moons"):
        assert answers[f"accuracy_{data}_relu"].value >= 0.85
        assert answers[f"accuracy_{data}_logistic"].value >= 0.85
        assert answers[f"linear_share_{data}_relu"].value > 0.5 > answers[f"linear_share_{data}_logistic"].value
    assert "piecewise linear" in answers["relu_boundary"].value
    assert answers["logistic_boundary"].value == "a smooth curve"


@pytest.mark.parametrize("name", ["s02-leaky-relu.yaml", "s05-depthwise.yaml", "s06-stride.yaml",
                                  "s13-svm-c.yaml", "s14-relu-sigmoid-boundaries.yaml"])
def test_deterministic(name):
    first, second = solve_file(SEED / name), seed_solution(name)
    assert {k: a.value for k, a in first.answers.items()} == {k: a.value for k, a in second.answers.items()}
    assert first.figures == second.figures


@pytest.mark.parametrize("experiment,setup", [
    ("vanishing_gradient", "{depth: 3, width: 8, repeats: 2}"),
    ("optimizers", "{samples: 30, steps: 10}"),
])
def test_torch_experiments_are_deterministic(experiment, setup):
    text = f"topic: experiment\nexperiment: {experiment}\nsetup: {setup}\n"
    first, second = solve_yaml(text), solve_yaml(text)
    assert {k: a.value for k, a in first.answers.items()} == {k: a.value for k, a in second.answers.items()}


@pytest.mark.parametrize("name", ["s01-vanishing-gradient.yaml", "s02-leaky-relu.yaml", "s04-optimizer-unscaled.yaml",
                                  "s05-depthwise.yaml", "s06-stride.yaml", "s13-svm-c.yaml",
                                  "s14-relu-sigmoid-boundaries.yaml"])
def test_plot_is_a_png(name, tmp_path):
    target = tmp_path / "figure.png"
    assert write_png(seed_solution(name).figures, str(target)) == [str(target)]
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 600 and height >= 300


# ---------------------------------------------------------------------------------------------
# Independent checks of the cheap numbers

def test_activation_derivatives_match_torch_autograd():
    torch = pytest.importorskip("torch")
    setup = activations.Setup(experiment="activations")
    fns = activations.functions(setup)
    torch_fns = {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "ReLU": torch.relu,
        "Leaky ReLU": lambda x: torch.nn.functional.leaky_relu(x, float(setup.leaky_alpha)),
        "PReLU": lambda x: torch.nn.functional.prelu(x, torch.tensor([float(setup.prelu_alpha)], dtype=x.dtype)),
        "ELU": lambda x: torch.nn.functional.elu(x, float(setup.elu_alpha)),
    }
    xs = [Fraction(-6), Fraction(-2), Fraction(-1, 2), Fraction(1, 3), Fraction(2), Fraction(7)]
    for name, fn in torch_fns.items():
        x = torch.tensor([float(v) for v in xs], dtype=torch.float64, requires_grad=True)
        y = fn(x)
        y.sum().backward()
        f, d = fns[name]
        for i, v in enumerate(xs):
            assert math.isclose(float(f(v)), y[i].item(), rel_tol=1e-12, abs_tol=1e-15), (name, v)
            assert math.isclose(float(d(v)), x.grad[i].item(), rel_tol=1e-9, abs_tol=1e-15), (name, v)


@pytest.mark.parametrize("size,kernel,layers", [(32, 3, 2), (17, 5, 2), (40, 3, 3)])
def test_stride_sizes_and_receptive_fields_match_torch(size, kernel, layers):
    torch = pytest.importorskip("torch")
    answers = solve_yaml(f"""
        topic: experiment
        experiment: stride
        setup: {{input: {size}, kernel: {kernel}, layers: {layers}, strides: [1, 2]}}
    """).answers
    for stride in (1, 2):
        x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
        y = x
        for _ in range(layers):
            y = torch.nn.functional.conv2d(y, torch.ones(1, 1, kernel, kernel, dtype=torch.float64), stride=stride)
        assert answers[f"output_size_stride_{stride}"].value == y.shape[-1]
        # The receptive field: the input pixels one output neuron's value depends on.
        y[0, 0, 0, 0].backward()
        touched = (x.grad[0, 0] != 0).nonzero()
        extent = int(touched[:, 0].max() - touched[:, 0].min() + 1)
        assert answers[f"receptive_field_stride_{stride}"].value == extent


def test_depthwise_counts_match_torch_and_a_brute_force_count():
    torch = pytest.importorskip("torch")
    answers = seed_solution("s05-depthwise.yaml").answers
    c, f, k, h = 3, 64, 5, 16
    regular = torch.nn.Conv2d(c, f, k)
    separable = torch.nn.Sequential(torch.nn.Conv2d(c, c, k, groups=c), torch.nn.Conv2d(c, f, 1))
    assert answers["regular_params"].value == sum(p.numel() for p in regular.parameters())
    assert answers["separable_params"].value == sum(p.numel() for p in separable.parameters())

    out = h - k + 1
    regular_products = sum(1 for _ in range(out) for _ in range(out) for _ in range(f)
                           for _ in range(c) for _ in range(k * k))
    depthwise_products = sum(1 for _ in range(out) for _ in range(out) for _ in range(c) for _ in range(k * k))
    pointwise_products = sum(1 for _ in range(out) for _ in range(out) for _ in range(f) for _ in range(c))
    assert answers["regular_mults"].value == regular_products
    assert answers["separable_mults"].value == depthwise_products + pointwise_products
    assert answers["improvement_factor"].value == Fraction(regular_products, depthwise_products + pointwise_products)


def test_vanishing_gradient_first_layer_matches_a_hand_built_network():
    """The baseline's first-layer gradient, recomputed with plain torch.nn from the same seeds."""
    torch = pytest.importorskip("torch")
    answers = solve_yaml("""
        topic: experiment
        experiment: vanishing_gradient
        setup: {depth: 3, width: 8, batch: 4, repeats: 1, seed: 5}
    """).answers
    g = torch.Generator().manual_seed(5)
    weights = [torch.randn(8, 8, generator=g, dtype=torch.float64) / 8 ** 0.5 for _ in range(4)]
    x = torch.randn(4, 8, generator=g, dtype=torch.float64)
    y = torch.randn(4, 8, generator=g, dtype=torch.float64)
    first = weights[0].clone().requires_grad_()
    h = x
    for i, w in enumerate([first] + weights[1:3]):
        h = torch.sigmoid(h @ w.T)
    loss = ((h @ weights[3].T - y) ** 2).mean()
    loss.backward()
    assert math.isclose(answers["first_layer_gradient_baseline"].value, first.grad.norm().item(), rel_tol=1e-9)


# ---------------------------------------------------------------------------------------------
# The problem format

@pytest.mark.parametrize("text,message", [
    ("topic: experiment\nexperiment: stride\narms: {a: bigger}\nchoices: {a: x}\n",
     "'bigger' is not an arm of the stride experiment"),
    ("topic: experiment\nexperiment: stride\narms: {e: no_effect}\nchoices: {a: x}\n",
     "there is no option 'e' in choices"),
    ("topic: experiment\nexperiment: stride\nsetup: {kernal: 3}\n", "setup.kernal: unknown field"),
    ("topic: experiment\nexperiment: telepathy\n", "experiment: must be one of"),
])
def test_spec_errors(text, message):
    with pytest.raises(SpecError) as err:
        solve_yaml(text)
    assert message in str(err.value)
