"""First-order optimizers on features with very different scales (no normalization).

A linear regression on age (~10¹), salary (~10⁵), height (~10²) and number of children (~10⁰),
generated with a fixed seed. Gradient descent, gradient descent with momentum and RMSprop
(PyTorch's torch.optim) start from the same zero weights with the same budget of full-batch
steps. Each optimizer gets the same tuning rule: every learning rate on the grid 10⁰ … 10⁻¹²
is run, and its best (lowest final loss) is kept. The salary's scale makes the loss surface
very badly conditioned: a step size small enough for the salary weight is far too small for
the others, unless the optimizer scales each parameter's step, as RMSprop does.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field, StrictInt

from ..plot import Figure, Panel, Series
from ..solution import Answer, Table
from ..spec import Strict
from . import ArmResult, Outcome, need, torch_session

NAME = "optimizers"
SUMMARY = "gradient descent, momentum and RMSprop on a regression with unscaled features"
ARMS = {
    "gradient_descent": "plain (full-batch) gradient descent",
    "momentum": "gradient descent with momentum 0.9",
    "rmsprop": "RMSprop (α = 0.99), a step size per parameter",
}
CRITERION = ("the optimizer with the lowest mean squared error after the same number of steps, each "
             "at its best learning rate on the same grid, converges best")
LEARNING_RATES = tuple(10.0 ** -e for e in range(13))


class Setup(Strict):
    experiment: Literal["optimizers"] = Field(description="optimizers (named once, at the top)")
    samples: Annotated[StrictInt, Field(ge=10, le=5000)] = Field(
        default=200, description="training samples of the regression")
    steps: Annotated[StrictInt, Field(ge=1, le=5000)] = Field(
        default=200, description="optimizer steps each optimizer takes")
    seed: Annotated[StrictInt, Field(ge=0, le=2**31)] = Field(default=0, description="the random seed")


def _data(torch, setup: Setup):
    """Features on their natural scales, and a target that depends on all four."""
    g = torch.Generator().manual_seed(setup.seed)
    n, f64 = setup.samples, torch.float64
    age = torch.empty(n, dtype=f64).uniform_(20, 65, generator=g)
    salary = torch.randn(n, generator=g, dtype=f64) * 20_000 + 60_000
    height = torch.randn(n, generator=g, dtype=f64) * 10 + 170
    children = torch.randint(0, 5, (n,), generator=g).to(f64)
    x = torch.stack([age, salary, height, children], 1)
    y = 0.8 * age + 0.0004 * salary + 0.3 * height + 5 * children + 2 * torch.randn(n, generator=g, dtype=f64)
    return x, y


def _curves(torch, x, y, arm: str, steps: int):
    """Loss curves (steps + 1 values) for every learning rate at once: one independent model per rate."""
    weights = [torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True) for _ in LEARNING_RATES]
    biases = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in LEARNING_RATES]
    groups = [{"params": [w, b], "lr": lr} for w, b, lr in zip(weights, biases, LEARNING_RATES)]
    optimizer = {"gradient_descent": lambda: torch.optim.SGD(groups),
                 "momentum": lambda: torch.optim.SGD(groups, momentum=0.9),
                 "rmsprop": lambda: torch.optim.RMSprop(groups, alpha=0.99)}[arm]()
    curves = []
    for step in range(steps + 1):
        optimizer.zero_grad()
        predictions = x @ torch.stack(weights).T + torch.cat(biases)
        losses = (predictions - y.unsqueeze(1)).pow(2).mean(0)
        curves.append(losses.tolist())
        if step == steps:
            break
        losses.sum().backward()  # the models share nothing, so each gets its own gradient
        optimizer.step()
    return [list(c) for c in zip(*curves)]  # one curve per learning rate


def run(setup: Setup | None) -> Outcome:
    setup = setup or Setup(experiment=NAME)
    torch = need("torch", NAME, "torch")
    with torch_session(torch, setup.seed):
        x, y = _data(torch, setup)
        best_possible = _least_squares_loss(x.tolist(), y.tolist())
        spreads = x.std(0).tolist()
        curves = {arm: _curves(torch, x, y, arm, setup.steps) for arm in ARMS}
    chosen, arms, rows = {}, {}, []
    for arm, per_rate in curves.items():
        finals = [c[-1] if math.isfinite(c[-1]) else math.inf for c in per_rate]
        best = min(range(len(finals)), key=lambda i: finals[i])
        chosen[arm] = best
        arms[arm] = ArmResult(-finals[best], f"final loss {finals[best]:.4g} at learning rate "
                                             f"{LEARNING_RATES[best]:g} (starting loss {per_rate[best][0]:.4g})")
        stable = sum(math.isfinite(f) for f in finals)
        rows.append((arm, LEARNING_RATES[best], per_rate[best][0], finals[best], stable))
    table = Table(f"After {setup.steps} full-batch steps from zero weights (best learning rate of each)",
                  ("Optimizer", "Learning rate", "Starting loss", "Final loss", "Rates that did not diverge"),
                  tuple(rows))
    spread_table = Table("Feature scales (standard deviation)", ("Feature", "Standard deviation"),
                         tuple(zip(("age", "salary", "height", "children"), spreads)))
    steps_axis = tuple(range(setup.steps + 1))
    figure = Figure("Unscaled features: age ~10¹, salary ~10⁵, height ~10², children ~10⁰", (
        Panel("Training loss, each optimizer at its best learning rate", "step", "mean squared error (log scale)",
              yscale="log", hlines=(best_possible,), note=f"grey line: least-squares optimum {best_possible:.3g}",
              series=tuple(Series(f"{arm} (lr {LEARNING_RATES[chosen[arm]]:g})", steps_axis,
                                  tuple(curves[arm][chosen[arm]]), emphasis=arm == "rmsprop")
                           for arm in ARMS)),
        Panel(f"Final loss after {setup.steps} steps against learning rate", "learning rate (log scale)",
              "final mean squared error (log scale)", xscale="log", yscale="log",
              note="missing points: the run diverged",
              series=tuple(Series(arm, *_finite_points(curves[arm])) for arm in ARMS)),
    ), columns=2)
    answers = {f"final_loss_{arm}": Answer(-arms[arm].score, f"Final loss: {arm}") for arm in ARMS}
    answers["least_squares_loss"] = Answer(best_possible, "Least-squares optimum (for reference)")
    return Outcome(arms=arms, blocks=(spread_table, table), answers=answers, primary="final_loss_rmsprop",
                   figures=(figure,),
                   assumptions=(f"A linear model ŷ = w·x + b on {setup.samples} samples (seed {setup.seed}); "
                                "features deliberately left unscaled; loss is the mean squared error.",
                                "Learning-rate grid 1, 0.1, …, 10⁻¹²; each optimizer keeps its best; a run that "
                                "overflows counts as diverged."))


def _least_squares_loss(rows: list[list[float]], targets: list[float]) -> float:
    """The lowest mean squared error any w, b reach: normal equations solved in exact fractions.

    (LAPACK's least squares is not reproducible to the last bit across runs; this is.)
    """
    design = [[Fraction(v) for v in row] + [Fraction(1)] for row in rows]
    ys = [Fraction(v) for v in targets]
    n = len(design[0])
    a = [[sum(r[i] * r[j] for r in design) for j in range(n)] + [sum(r[i] * t for r, t in zip(design, ys))]
         for i in range(n)]
    for col in range(n):  # Gauss–Jordan elimination; XᵀX is positive definite here
        pivot = next(r for r in range(col, n) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[r][col] != 0:
                factor = a[r][col] / a[col][col]
                a[r] = [v - factor * p for v, p in zip(a[r], a[col])]
    coef = [a[i][n] / a[i][i] for i in range(n)]
    residuals = [sum(c * v for c, v in zip(coef, row)) - t for row, t in zip(design, ys)]
    return float(sum(r * r for r in residuals) / len(residuals))


def _finite_points(per_rate) -> tuple[tuple[float, ...], tuple[float, ...]]:
    points = [(lr, c[-1]) for lr, c in zip(LEARNING_RATES, per_rate) if math.isfinite(c[-1]) and c[-1] < 1e30]
    return tuple(p[0] for p in points), tuple(p[1] for p in points)
