"""Which SVM boundary belongs to which C, when C divides the hinge term.

The question's loss is ½‖w‖² + (1/C)·Σ max(0, 1 − yᵢ(b + wᵀxᵢ)). scikit-learn's SVC minimises
½‖w‖² + C_sk·Σ max(0, …), so C_sk = 1/C: a large C of the question means a weak penalty on
violations and a wide margin. Each C is fitted with a linear SVC on the same 2-D data set;
the margin width 2/‖w‖ is measured, and the C values are ordered by it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field, StrictInt

from ..expr import num, sym
from ..numbers import Real
from ..plot import Figure, Grid, Panel, Points
from ..solution import Answer, Step, Table
from ..spec import Strict
from . import Outcome, need

NAME = "svm_margin"
SUMMARY = "linear SVM boundaries and margins for several C, with C on the hinge term as 1/C"
ARMS: dict[str, str] = {}
CRITERION = "the margin width 2/‖w‖ of each fitted SVM orders the C values"


class Setup(Strict):
    experiment: Literal["svm_margin"] = Field(description="svm_margin (named once, at the top)")
    c_values: Annotated[list[Annotated[Real, Field(gt=0)]], Field(min_length=1, max_length=6)] = Field(
        default_factory=lambda: [Fraction(1, 10), Fraction(1, 100), 100],
        description="C as the question's loss writes it: 1/C multiplies the hinge term")
    samples: Annotated[StrictInt, Field(ge=4, le=1000)] = Field(default=60, description="training points")
    spread: Annotated[Real, Field(gt=0, le=10)] = Field(
        default=Fraction(6, 5), description="the spread of each class's points around its centre")
    seed: Annotated[StrictInt, Field(ge=0, le=2**31)] = Field(default=0, description="the random seed")


def _label(c) -> str:
    return f"{float(c):g}"


def run(setup: Setup | None) -> Outcome:
    setup = setup or Setup(experiment=NAME)
    sklearn_svm = need("sklearn.svm", NAME, "experiments")
    datasets = need("sklearn.datasets", NAME, "experiments")
    import numpy as np

    x, y = datasets.make_blobs(n_samples=setup.samples, centers=[[-1.5, -1.0], [1.5, 1.0]],
                               cluster_std=float(setup.spread), random_state=setup.seed)
    y = np.where(y == 1, 1, -1)
    lo, hi = x.min(0) - 0.8, x.max(0) + 0.8
    gx, gy = np.linspace(lo[0], hi[0], 160), np.linspace(lo[1], hi[1], 160)
    mesh = np.column_stack([a.ravel() for a in np.meshgrid(gx, gy)])
    steps, rows, panels, answers, margins = [], [], [], {}, {}
    for c in setup.c_values:
        c_sklearn = 1 / Fraction(c)
        model = sklearn_svm.SVC(kernel="linear", C=float(c_sklearn)).fit(x, y)
        w = model.coef_[0]
        norm = float(np.hypot(*w))
        margin = 2 / norm
        margins[c] = margin
        support = model.support_
        errors = int(np.sum(y * model.decision_function(x) < 1 - 1e-9))
        steps.append(Step(f"C = {_label(c)}: scikit-learn's C is 1/C", lhs=sym("C_sk"), formula=1 / sym("C"),
                          substitution=1 / num(Fraction(c)), value=c_sklearn))
        steps.append(Step(f"C = {_label(c)}: margin width", lhs=sym("m"), formula=2 / sym("‖w‖"),
                          substitution=num(2) / num(norm), value=margin))
        rows.append((_label(c), c_sklearn, float(w[0]), float(w[1]), norm, margin, len(support), errors,
                     float(np.mean(model.predict(x) == y))))
        answers[f"margin_C_{_label(c)}"] = Answer(margin, f"Margin width for C = {_label(c)}")
        panels.append(Panel(f"C = {_label(c)} (sklearn C = {float(c_sklearn):g}): margin {margin:.3g}", "x₁", "x₂",
                            grids=(Grid(tuple(gx), tuple(gy),
                                        tuple(map(tuple, model.decision_function(mesh).reshape(len(gy), len(gx)))),
                                        levels=(0.0, -1.0, 1.0), fill=True),),
                            points=(Points(tuple(x[:, 0]), tuple(x[:, 1]), tuple(int(v) for v in y)),
                                    Points(tuple(x[support, 0]), tuple(x[support, 1]), label="support vectors",
                                           ring=True))))
    order = sorted(setup.c_values, key=lambda c: -margins[c])
    answers["margin_order"] = Answer([Fraction(c) for c in order], "C values from the widest margin to the narrowest")
    table = Table("Linear SVM for each C (same data)",
                  ("C (question)", "C (scikit-learn)", "w₁", "w₂", "‖w‖", "Margin 2/‖w‖", "Support vectors",
                   "Inside the margin or wrong side", "Training accuracy"), tuple(rows))
    figure = Figure("Linear SVM: solid line the boundary, dashed lines the margins (decision value ±1)",
                    tuple(panels), columns=len(panels))
    return Outcome(arms={}, blocks=(*steps, table), answers=answers, primary="margin_order", figures=(figure,),
                   assumptions=(f"{setup.samples} points in two Gaussian blobs (scikit-learn make_blobs, seed "
                                f"{setup.seed}, spread {float(setup.spread):g}); linear kernel.",
                                "The question puts 1/C on the hinge term, so a larger C is a softer margin: "
                                "wider, with more points inside it."))
