"""Vanishing gradients in a deep sigmoid network, and what each intervention does to them.

A multilayer perceptron of ``depth`` hidden layers of ``width`` sigmoid units (weights drawn
from N(0, init_scale²/fan_in), biases 0) is given a batch of random inputs and targets; the
norm of the loss gradient with respect to every layer's weight matrix is measured by PyTorch's
autograd, averaged over ``repeats`` seeds. Each arm changes one thing; the first layer's
gradient is what vanishes, so it is what the criterion compares.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field, StrictInt

from ..numbers import Real

from ..plot import Figure, Panel, Series
from ..solution import Answer, Table
from ..spec import Strict
from . import ArmResult, Outcome, need, torch_session

NAME = "vanishing_gradient"
SUMMARY = "gradient norm at every layer of a deep sigmoid network under common interventions"
ARMS = {
    "baseline": "the sigmoid network as set up",
    "more_layers": "twice as many hidden layers",
    "batch_norm": "batch normalization before every sigmoid",
    "larger_batch": "a batch eight times larger",
    "dropout": "dropout (p = 0.5) after every sigmoid",
    "relu": "ReLU instead of sigmoid, with He initialisation",
    "xavier_init": "Xavier (Glorot) normal initialisation",
    "he_init": "He (Kaiming) normal initialisation, sigmoid kept",
}
CRITERION = ("the intervention that raises the first layer's gradient norm the most (mean over the "
             "seeds) helps the vanishing gradient the most")


class Setup(Strict):
    experiment: Literal["vanishing_gradient"] = Field(description="vanishing_gradient (named once, at the top)")
    depth: Annotated[StrictInt, Field(ge=2, le=40)] = Field(default=8, description="hidden sigmoid layers")
    width: Annotated[StrictInt, Field(ge=2, le=256)] = Field(default=32, description="units in each hidden layer")
    batch: Annotated[StrictInt, Field(ge=2, le=1024)] = Field(default=32, description="inputs in the batch")
    init_scale: Annotated[Real, Field(gt=0, le=100)] = Field(
        default=1, description="weights are drawn from N(0, init_scale²/fan_in)")
    dropout: Annotated[Real, Field(gt=0, lt=1)] = Field(
        default=Fraction(1, 2), description="the dropout arm's share of units dropped")
    seed: Annotated[StrictInt, Field(ge=0, le=2**31)] = Field(default=0, description="the first random seed")
    repeats: Annotated[StrictInt, Field(ge=1, le=20)] = Field(
        default=5, description="seeds the gradient norms are averaged over")


def _arm_settings(setup: Setup) -> dict[str, dict]:
    base = {"depth": setup.depth, "batch": setup.batch, "activation": "sigmoid", "batch_norm": False,
            "dropout": 0.0, "init": "scaled"}
    changes = {
        "baseline": {}, "more_layers": {"depth": 2 * setup.depth}, "batch_norm": {"batch_norm": True},
        "larger_batch": {"batch": 8 * setup.batch}, "dropout": {"dropout": setup.dropout},
        "relu": {"activation": "relu", "init": "he"}, "xavier_init": {"init": "xavier"}, "he_init": {"init": "he"},
    }
    return {arm: {**base, **change} for arm, change in changes.items()}


def _gradient_norms(torch, setup: Setup, depth, batch, activation, batch_norm, dropout, init, seed) -> list[float]:
    """‖∂L/∂W_l‖ for every hidden layer l of one freshly initialised network."""
    generator = torch.Generator().manual_seed(seed)

    def linear():
        layer = torch.nn.Linear(setup.width, setup.width, dtype=torch.float64)
        if init == "xavier":
            torch.nn.init.xavier_normal_(layer.weight, generator=generator)
        elif init == "he":
            torch.nn.init.kaiming_normal_(layer.weight, generator=generator)
        else:
            torch.nn.init.normal_(layer.weight, 0.0, float(setup.init_scale) / setup.width ** 0.5, generator=generator)
        torch.nn.init.zeros_(layer.bias)
        return layer

    layers = []
    for _ in range(depth):
        layers.append(linear())
        if batch_norm:
            layers.append(torch.nn.BatchNorm1d(setup.width, dtype=torch.float64))
        layers.append(torch.nn.Sigmoid() if activation == "sigmoid" else torch.nn.ReLU())
        if dropout:
            layers.append(torch.nn.Dropout(float(dropout)))
    model = torch.nn.Sequential(*layers, linear()).train()
    x = torch.randn(batch, setup.width, generator=generator, dtype=torch.float64)
    y = torch.randn(batch, setup.width, generator=generator, dtype=torch.float64)
    torch.manual_seed(seed)  # dropout masks draw from the global generator (restored by torch_session)
    torch.nn.functional.mse_loss(model(x), y).backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    return [m.weight.grad.norm().item() for m in linears[:depth]]


def run(setup: Setup | None) -> Outcome:
    setup = setup or Setup(experiment=NAME)
    torch = need("torch", NAME, "torch")
    norms: dict[str, list[float]] = {}
    with torch_session(torch, setup.seed):
        for arm, settings in _arm_settings(setup).items():
            runs = [_gradient_norms(torch, setup, seed=setup.seed + r, **settings) for r in range(setup.repeats)]
            norms[arm] = [sum(layer) / len(runs) for layer in zip(*runs)]
    base_first = norms["baseline"][0]
    arms = {}
    for arm, per_layer in norms.items():
        first, last = per_layer[0], per_layer[-1]
        arms[arm] = ArmResult(first, f"first layer's gradient norm {first:.3g} ({first / base_first:.3g}× the "
                                     f"baseline's), last hidden layer's {last:.3g}")
    rows = tuple((arm, ARMS[arm], len(per_layer), per_layer[0], per_layer[-1], per_layer[0] / per_layer[-1],
                  per_layer[0] / base_first) for arm, per_layer in norms.items())
    table = Table("Gradient norm ‖∂L/∂W‖ of the first and the last hidden layer (mean over seeds)",
                  ("Arm", "What changes", "Layers", "First layer", "Last layer", "First / last", "First / baseline's"),
                  rows)
    figure = Figure(f"Gradient norm by layer: sigmoid MLP, width {setup.width}, mean of {setup.repeats} seeds", (
        Panel("‖∂L/∂Wₗ‖ against layer l (input side on the left)", "hidden layer l", "gradient norm (log scale)",
              yscale="log", series=tuple(
                  Series(arm, tuple(range(1, len(per_layer) + 1)), tuple(per_layer),
                         dashed=arm in ("relu", "xavier_init", "he_init"),  # the comparisons
                         emphasis=arm in ("baseline", "batch_norm"))
                  for arm, per_layer in norms.items())),
    ))
    answers = {f"first_layer_gradient_{arm}": Answer(per_layer[0], f"First layer's gradient norm: {arm}")
               for arm, per_layer in norms.items()}
    assumptions = (
        f"{setup.depth} hidden sigmoid layers of {setup.width} units, weights N(0, {float(setup.init_scale):g}²/fan_in), "
        f"biases 0, batch {setup.batch}, random Gaussian inputs and targets, mean squared error; "
        f"PyTorch autograd in float64, training mode; seeds {setup.seed}–{setup.seed + setup.repeats - 1}.",
        "Xavier normal has the same spread as the baseline when a layer's fan-in equals its fan-out "
        "(std √(2/(n+n)) = 1/√n).",
    )
    return Outcome(arms=arms, blocks=(table,), answers=answers, primary="first_layer_gradient_baseline",
                   figures=(figure,), assumptions=assumptions)
