"""Decision boundaries of a one-hidden-layer network with ReLU against sigmoid units.

scikit-learn's MLPClassifier (one hidden layer, L-BFGS, fixed seed) is fitted on two generated
2-D data sets (circles and moons). A ReLU network's logit is piecewise linear in its input, so
its boundary is made of straight segments meeting at corners; a sigmoid network's logit is
smooth, so its boundary curves everywhere. That is measured, not assumed: on a grid over the
plane, the share of points where the logit's second differences vanish (it is locally linear).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field, StrictInt

from ..plot import Figure, Grid, Panel, Points
from ..solution import Answer, Table
from ..spec import Strict
from . import Outcome, need

NAME = "activation_boundaries"
SUMMARY = "decision boundaries of a one-hidden-layer network, ReLU against sigmoid, on circles and moons"
ARMS: dict[str, str] = {}
CRITERION = ("a boundary is piecewise linear when the network's logit is exactly linear (zero second "
             "differences) on most of the plane, and smooth when it is nowhere linear")
ACTIVATIONS = {"relu": "ReLU", "logistic": "sigmoid"}


class Setup(Strict):
    experiment: Literal["activation_boundaries"] = Field(description="activation_boundaries (named once, at the top)")
    hidden: Annotated[StrictInt, Field(ge=1, le=64)] = Field(default=8, description="units in the hidden layer")
    samples: Annotated[StrictInt, Field(ge=10, le=1000)] = Field(default=200, description="points in each data set")
    seed: Annotated[StrictInt, Field(ge=0, le=2**31)] = Field(default=0, description="the random seed")


def _logit(model, points, np):
    """The output unit's pre-activation, from the fitted weights."""
    hidden = points @ model.coefs_[0] + model.intercepts_[0]
    hidden = np.maximum(hidden, 0) if model.activation == "relu" else 1 / (1 + np.exp(-hidden))
    return (hidden @ model.coefs_[1] + model.intercepts_[1])[:, 0]


def _linear_share(z, np) -> float:
    """Share of interior grid points where both second differences vanish (to rounding)."""
    d2x = z[1:-1, 2:] - 2 * z[1:-1, 1:-1] + z[1:-1, :-2]
    d2y = z[2:, 1:-1] - 2 * z[1:-1, 1:-1] + z[:-2, 1:-1]
    scale = np.abs(z).max() + 1.0
    return float(np.mean((np.abs(d2x) + np.abs(d2y)) <= 1e-9 * scale))


def run(setup: Setup | None) -> Outcome:
    setup = setup or Setup(experiment=NAME)
    neural = need("sklearn.neural_network", NAME, "experiments")
    datasets = need("sklearn.datasets", NAME, "experiments")
    import numpy as np

    data = {
        "circles": datasets.make_circles(n_samples=setup.samples, noise=0.08, factor=0.45, random_state=setup.seed),
        "moons": datasets.make_moons(n_samples=setup.samples, noise=0.15, random_state=setup.seed),
    }
    rows, panels, answers, shares = [], [], {}, {"relu": [], "logistic": []}
    for name, (x, y) in data.items():
        lo, hi = x.min(0) - 0.5, x.max(0) + 0.5
        gx, gy = np.linspace(lo[0], hi[0], 150), np.linspace(lo[1], hi[1], 150)
        mesh = np.column_stack([a.ravel() for a in np.meshgrid(gx, gy)])
        for activation, shown in ACTIVATIONS.items():
            model = neural.MLPClassifier(hidden_layer_sizes=(setup.hidden,), activation=activation, solver="lbfgs",
                                         max_iter=3000, random_state=setup.seed).fit(x, y)
            accuracy = Fraction(int((model.predict(x) == y).sum()), len(y))  # exact: right / points
            z = _logit(model, mesh, np).reshape(len(gy), len(gx))
            share = Fraction(round(100 * _linear_share(z, np)), 100)  # measured to rounding: whole percent
            shares[activation].append(share)
            rows.append((name, shown, accuracy, share))
            answers[f"accuracy_{name}_{activation}"] = Answer(accuracy, f"Training accuracy, {name}, {shown}")
            answers[f"linear_share_{name}_{activation}"] = Answer(share, f"Share of the plane where the logit is "
                                                                         f"linear, {name}, {shown}")
            panels.append(Panel(f"{name}, {shown}: accuracy {float(accuracy):.0%}", "x₁", "x₂",
                                note=f"logit linear on {float(share):.0%} of the plane",
                                grids=(Grid(tuple(gx), tuple(gy), tuple(map(tuple, z)), levels=(0.0,), fill=True),),
                                points=(Points(tuple(x[:, 0]), tuple(x[:, 1]), tuple(int(v) for v in y)),)))
    for activation, shown in ACTIVATIONS.items():
        lowest = min(shares[activation])
        highest = max(shares[activation])
        shape = ("straight segments meeting at corners (piecewise linear)" if lowest > 0.5 else
                 "a smooth curve" if highest < 0.5 else "piecewise linear on one data set only")
        answers[f"{activation}_boundary"] = Answer(shape, f"{shown} boundary")
    table = Table(f"One hidden layer of {setup.hidden} units (scikit-learn MLPClassifier, L-BFGS)",
                  ("Data set", "Activation", "Training accuracy", "Plane where the logit is linear"), tuple(rows))
    figure = Figure(f"Decision boundaries: one hidden layer of {setup.hidden} units", tuple(panels), columns=2)
    return Outcome(arms={}, blocks=(table,), answers=answers, primary="relu_boundary", figures=(figure,),
                   assumptions=(f"{setup.samples} points per data set (make_circles noise 0.08 factor 0.45, "
                                f"make_moons noise 0.15), seed {setup.seed}.",
                                "Linear share: grid points (150 × 150) where both second differences of the "
                                "logit are zero to rounding; ReLU networks are linear between their kinks. Shown to the nearest "
                                "percent: whether a nearly flat point passes the rounding test can differ between "
                                "floating-point libraries, which moves the share by a grid point (0.005 %)."))
