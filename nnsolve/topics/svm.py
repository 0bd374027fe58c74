"""Support vector machines: multipliers, weights, bias and the class of test samples.

The decision function is f(x) = Σᵢ αᵢyᵢK(xᵢ, x) + b, with K(a, z) = ⟨a, z⟩ for the
linear kernel (then f(x) = w·x + b with w = Σᵢ αᵢyᵢxᵢ).

Hard margin (no ``C``): α and b solve, exactly in rationals,
    Σᵢ αᵢyᵢ = 0   and   yⱼ f(xⱼ) = 1 for every support vector xⱼ.
The support vectors are the points marked ``support: true``; with none marked (linear kernel
only) every candidate set of 2 to d + 1 points is tried and the one whose solution meets all
the KKT conditions (α ≥ 0, yᵢ f(xᵢ) ≥ 1 for every point) is kept: a hard-margin optimum
always has such a support set (Carathéodory), so finding none means the data is not separable.

Given multipliers (``alpha`` on the points) are used as stated, for any kernel. A soft margin
(``C`` with its ``loss_convention``) is solved numerically by scikit-learn, an optional extra.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Annotated, Iterator, Literal, Union

from pydantic import BeforeValidator, Field, StrictBool, StrictInt

from .. import limits
from ..compare import agree
from ..errors import SolveError
from ..expr import Expr, Raw, Sym, call, dot, num, sym
from ..linalg import is_zero, solve_square
from ..numbers import Number, Real, number_text, simplify
from ..solution import Answer, Given, Solution, Step, Table, Variant
from ..spec import ProblemBase, Strict

TOPIC = "svm"
SUMMARY = "SVM multipliers, weights, bias, margin and the class of test samples (hard margin exactly)"
EXAMPLE = "problems/seed/s11-svm-decision.yaml"
FIGURES = True  # two features: the points, the boundary and the margins (run --plot)

Vector = Annotated[list[Real], Field(min_length=1, max_length=limits.MAX_SVM_FEATURES)]


class Point(Strict):
    """A training point: features ``x``, label ``y`` (±1), optionally whether it is a support vector and its α."""

    x: Vector = Field(description="the point's features")
    y: Literal[-1, 1] = Field(description="its label, -1 or 1")
    support: StrictBool | None = Field(default=None, description="whether the question says it is a support vector")
    alpha: Annotated[Real, Field(ge=0)] | None = Field(default=None, description="its multiplier α, when given")


class Linear(Strict):
    """K(a, z) = ⟨a, z⟩."""

    type: Literal["linear"] = Field(description="linear: the dot product")


class Polynomial(Strict):
    """K(a, z) = (γ⟨a, z⟩ + coef0)^degree, as scikit-learn."""

    type: Literal["polynomial"] = Field(description="polynomial: (γ⟨a, z⟩ + coef0)^degree")
    degree: Annotated[StrictInt, Field(ge=1, le=limits.MAX_SVM_DEGREE)] = Field(description="the power")
    gamma: Annotated[Real, Field(gt=0)] = Field(default=1, description="γ, the scale of the dot product")
    coef0: Real = Field(description="the constant added before the power")


class RBF(Strict):
    """K(a, z) = exp(−γ‖a − z‖²), as scikit-learn."""

    type: Literal["rbf"] = Field(description="rbf: the Gaussian kernel exp(−γ‖a − z‖²)")
    gamma: Annotated[Real, Field(gt=0)] = Field(description="γ, the inverse width")


def _kernel_by_name(value: object) -> object:
    """``kernel: linear`` is short for ``kernel: {type: linear}``."""
    return {"type": value} if isinstance(value, str) else value


_Kernels = Annotated[Union[Linear, Polynomial, RBF], Field(discriminator="type")]
Kernel = Annotated[_Kernels, BeforeValidator(_kernel_by_name, json_schema_input_type=Union[Literal["linear"], _Kernels])]

Ask = Literal["class", "decision_value", "w", "bias", "alpha", "margin"]

# Where C sits in the loss. scikit-learn (and Cortes & Vapnik): ½‖w‖² + C·Σ hinge.
# The seed exam's s13: ½‖w‖² + (1/C)·Σ hinge, so its C is 1/C in scikit-learn's terms.
LossConvention = Literal["c_times_hinge", "hinge_over_c"]


class Spec(ProblemBase):
    """Training points, the kernel, optionally the bias or C, and the test samples to classify."""

    topic: Literal["svm"] = Field(description="svm: a support vector machine's multipliers, weights and classes")
    points: Annotated[list[Point], Field(min_length=2, max_length=limits.MAX_SAMPLES)] = Field(
        description="the training points, each {x: [...], y: -1 or 1}")
    test_samples: Annotated[list[Vector], Field(max_length=limits.MAX_SAMPLES)] = Field(
        default_factory=list, description="the points to classify, each a list of features")
    kernel: Kernel = Field(default=Linear(type="linear"),
                           description="linear, or {type: polynomial, degree, gamma, coef0} or {type: rbf, gamma}")
    bias: Real | None = Field(default=None, description="the bias b as the question gives it (often called w0)")
    C: Annotated[Real, Field(gt=0)] | None = Field(
        default=None, description="soft margin: the regularization constant")
    loss_convention: LossConvention | None = Field(
        default=None, description="with C: c_times_hinge (½‖w‖² + C·Σ hinge, scikit-learn) or "
                                  "hinge_over_c (½‖w‖² + (1/C)·Σ hinge)")
    ask: Ask = Field(default="class", description="the answer the question asks for")


def _check(spec: Spec) -> None:
    """What the field types cannot say: matching lengths, both labels, what C and ask need."""
    d = len(spec.points[0].x)
    for i, p in enumerate(spec.points):
        if len(p.x) != d:
            raise SolveError(f"has {len(p.x)} features but points[0].x has {d}", field=f"points[{i}].x")
    for i, t in enumerate(spec.test_samples):
        if len(t) != d:
            raise SolveError(f"has {len(t)} features but the points have {d}", field=f"test_samples[{i}]")
    if {p.y for p in spec.points} != {-1, 1}:
        raise SolveError("the points need both labels, -1 and 1", field="points")
    if spec.C is not None and spec.loss_convention is None:
        raise SolveError("say where C sits in the loss with loss_convention: c_times_hinge "
                         "(½‖w‖² + C·Σ hinge, as scikit-learn) or hinge_over_c (½‖w‖² + (1/C)·Σ hinge)",
                         field="C")
    if spec.ask in ("class", "decision_value") and not spec.test_samples:
        raise SolveError(f"{spec.ask} needs test_samples to classify", field="ask")
    if spec.ask == "w" and spec.kernel.type != "linear":
        raise SolveError("w needs the linear kernel (otherwise w lives in the kernel's feature space)",
                         field="ask")


# ---------------------------------------------------------------------------------------------
# Kernels

def kernel_function(kernel: Linear | Polynomial | RBF):
    """K(a, z): exact for the linear and polynomial kernels, float for RBF."""
    def inner(a, z):
        return simplify(sum((p * q for p, q in zip(a, z)), Fraction(0)))

    if kernel.type == "linear":
        return inner
    if kernel.type == "polynomial":
        return lambda a, z: simplify((kernel.gamma * inner(a, z) + kernel.coef0) ** kernel.degree)

    def rbf(a, z):
        d = sum((p - q) ** 2 for p, q in zip(a, z))
        if kernel.gamma * d > _EXP_UNDERFLOW:  # exp(−746) is 0.0 in a float: points ±1e300 apart
            return 0.0
        return math.exp(-float(kernel.gamma) * float(d))

    return rbf


_EXP_UNDERFLOW = 746  # beyond this x, e^−x is below a float's smallest subnormal (4.9e-324): exactly 0.0


@dataclass(frozen=True)
class _Fit:
    alpha: list[Number]  # one per training point; 0 off the support set
    bias: Number
    support: tuple[int, ...]  # the points whose margin equations determine α and b
    how: str  # "marked", "found", "alpha given", "soft margin"


def _margin_fit(gram, labels, active: tuple[int, ...], on_margin: tuple[int, ...]) -> tuple[list[Number], Number] | None:
    """α nonzero only on ``active`` and b with Σ αᵢyᵢ = 0 and yⱼ f(xⱼ) = 1 for every j in ``on_margin``."""
    rows = [[labels[t] for t in active] + [0]]
    rhs: list[Number] = [0]
    for j in active:
        rows.append([labels[t] * gram[t][j] for t in active] + [1])
        rhs.append(labels[j])
    solution = solve_square(rows, rhs)
    if solution is None:
        return None
    alpha_active, bias = solution[:-1], solution[-1]
    alpha = [0] * len(labels)
    for t, a in zip(active, alpha_active):
        alpha[t] = a
    for j in on_margin:
        if not is_zero(_decision(gram, labels, alpha, bias, j) - labels[j]):
            return None
    return alpha, bias


def _decision(gram, labels, alpha, bias, j: int) -> Number:
    return simplify(sum((alpha[i] * labels[i] * gram[i][j] for i in range(len(labels)) if alpha[i]), Fraction(0)) + bias)


def _satisfies_kkt(gram, labels, alpha, bias) -> bool:
    return all(a >= 0 for a in alpha) and all(
        labels[j] * _decision(gram, labels, alpha, bias, j) >= 1 - (1e-7 if isinstance(bias, float) else 0)
        for j in range(len(labels)))


def _fit_marked(gram, labels, marked: tuple[int, ...]) -> tuple[list[Number], Number] | None:
    """The marked points on the margin. When their equations do not fix α (more than d + 1 of them,
    or dependent ones), a sparser α on a subset that still puts every marked point on the margin."""
    fit = _margin_fit(gram, labels, marked, marked)
    if fit is not None:
        return fit
    subsets = sum(math.comb(len(marked), size) for size in range(2, len(marked)))
    if subsets > limits.MAX_SVM_MARKED_SUBSETS:
        raise SolveError(f"the {len(marked)} marked support vectors' margin equations do not fix α, and finding a "
                         f"subset that does would try {subsets:,} subsets, more than nnsolve's cap of "
                         f"{limits.MAX_SVM_MARKED_SUBSETS:,} (MAX_SVM_MARKED_SUBSETS); mark fewer points "
                         f"(at most d + 1 are needed) or give C for a soft margin", field="points")
    fallback = None
    for size in range(len(marked) - 1, 1, -1):
        for active in combinations(marked, size):
            if len({labels[t] for t in active}) < 2:
                continue
            fit = _margin_fit(gram, labels, active, marked)
            if fit is not None and all(a >= 0 for a in fit[0]):
                return fit
            fallback = fallback or fit
    return fallback


def _candidate_sets(n: int, features: int) -> int:
    """How many support sets (2 … d + 1 of the n points) the hard-margin search may try."""
    return sum(math.comb(n, k) for k in range(2, min(n, features + 1) + 1))


def _check_kernel_work(spec: Spec) -> None:
    """Refuse, before any kernel value is computed, a Gram matrix too large to compute exactly."""
    n, d = len(spec.points), len(spec.points[0].x)
    products = (n + len(spec.test_samples)) * n * d
    if products > limits.MAX_SVM_KERNEL_PRODUCTS:
        raise SolveError(f"the kernel values of {n:,} points and {len(spec.test_samples):,} test samples with {d:,} "
                         f"features take {products:,} exact products, more than nnsolve's cap of "
                         f"{limits.MAX_SVM_KERNEL_PRODUCTS:,} (MAX_SVM_KERNEL_PRODUCTS)", field="points")
    marked = sum(1 for p in spec.points if p.support)
    if marked > limits.MAX_SVM_MARKED and not any(p.alpha is not None for p in spec.points) and spec.C is None:
        raise SolveError(f"{marked:,} points are marked as support vectors, more than nnsolve's cap of "
                         f"{limits.MAX_SVM_MARKED} (MAX_SVM_MARKED): their margin equations are solved exactly "
                         f"together; mark only the support vectors (at most d + 1 are needed)", field="points")


def _find_support(gram, labels, features: int) -> tuple[list[Number], Number] | None:
    """The hard-margin optimum: the first support set of 2 … d + 1 points meeting every KKT condition.

    Floats screen the candidates (all of one size at a time, with numpy); only those that pass
    within a tolerance, or whose equations are too ill-conditioned for floats to judge, are
    solved exactly. The exact check alone decides.
    """
    n = len(labels)
    largest = min(n, features + 1)
    candidates = _candidate_sets(n, features)
    if candidates > limits.MAX_SVM_SUPPORT_SETS:
        raise SolveError(f"finding the support vectors would try {candidates:,} candidate sets, more than "
                         f"nnsolve's cap of {limits.MAX_SVM_SUPPORT_SETS:,}; mark them with 'support: true' "
                         f"or give C for a soft margin", field="points")
    undecided: list[tuple[int, ...]] = []
    for size in range(2, largest + 1):
        sets = list(combinations(range(n), size))
        for start in range(0, len(sets), 2048):
            try:
                promising, unclear = _screen(gram, labels, sets[start:start + 2048])
            except OverflowError:  # kernel values beyond a float's range: decide every set exactly
                promising, unclear = sets[start:start + 2048], []
            undecided += unclear
            for active in promising:
                fit = _margin_fit(gram, labels, active, active)
                if fit is not None and _satisfies_kkt(gram, labels, *fit):
                    return fit
    for active in undecided:
        fit = _margin_fit(gram, labels, active, active)
        if fit is not None and _satisfies_kkt(gram, labels, *fit):
            return fit
    return None


def _screen(gram, labels, sets: list[tuple[int, ...]]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Float pass over candidate support sets of one size: (nearly KKT-feasible, ill-conditioned)."""
    import numpy as np

    if not sets:
        return [], []
    g = np.array([[float(v) for v in row] for row in gram])
    y = np.array(labels, dtype=float)
    idx = np.array(sets)
    m, k = idx.shape
    system = np.zeros((m, k + 1, k + 1))
    system[:, 0, :k] = y[idx]
    # row j, column t: y_t K(x_t, x_j); the last column is b's coefficient
    system[:, 1:, :k] = g[idx[:, :, None], idx[:, None, :]] * y[idx][:, None, :]
    system[:, 1:, k] = 1
    rhs = np.concatenate([np.zeros((m, 1)), y[idx]], axis=1)
    both_labels = (y[idx].min(axis=1) < 0) & (y[idx].max(axis=1) > 0)
    well = (np.linalg.cond(system) < 1e10) & both_labels
    unclear = [sets[i] for i in np.flatnonzero(~well & both_labels)]
    if not well.any():
        return [], unclear
    solution = np.linalg.solve(system[well], rhs[well][:, :, None])[:, :, 0]
    alpha, bias = solution[:, :k], solution[:, k]
    # y_i f(x_i) for every point under each candidate
    f = np.einsum("mt,mti->mi", alpha * y[idx[well]], g[idx[well]]) + bias[:, None]
    feasible = (alpha >= -1e-7).all(axis=1) & ((f * y[None, :]) >= 1 - 1e-6).all(axis=1)
    kept = np.flatnonzero(well)[feasible]
    return [sets[i] for i in kept], unclear


def _fit_soft_margin(spec: Spec, kernel) -> tuple[list[float], float, dict]:
    try:
        from sklearn.svm import SVC
    except ImportError:
        raise SolveError("a soft-margin SVM (C given) is solved with scikit-learn, which is not installed; "
                         "install the extra: pip install 'nnsolve[svm]'", field="C") from None
    import numpy as np

    c_sklearn = spec.C if spec.loss_convention == "c_times_hinge" else 1 / Fraction(spec.C)
    params: dict = {"kernel": {"linear": "linear", "polynomial": "poly", "rbf": "rbf"}[kernel.type]}
    if kernel.type == "polynomial":
        params.update(degree=kernel.degree, gamma=float(kernel.gamma), coef0=float(kernel.coef0))
    elif kernel.type == "rbf":
        params.update(gamma=float(kernel.gamma))
    model = SVC(C=float(c_sklearn), tol=1e-10, max_iter=10**6, **params)
    x = np.array([[float(v) for v in p.x] for p in spec.points])
    model.fit(x, np.array([p.y for p in spec.points]))
    alpha = [0.0] * len(spec.points)
    for index, coef in zip(model.support_, model.dual_coef_[0]):
        alpha[int(index)] = abs(float(coef))
    # scikit-learn orders the classes (-1, +1): its dual_coef_ is αᵢyᵢ and its decision is f(x).
    return alpha, float(model.intercept_[0]), {"c_sklearn": c_sklearn}


# ---------------------------------------------------------------------------------------------
# Steps

ALPHA_SUM = Raw("Σᵢ αᵢyᵢ", r"\sum_i \alpha_i y_i")
DECISION = Raw("Σᵢ αᵢyᵢK(xᵢ, x) + b", r"\sum_i \alpha_i y_i K(\mathbf{x}_i, \mathbf{x}) + b")
BIAS_SUM = Raw("Σᵢ αᵢyᵢK(xᵢ, xₛ)", r"\sum_i \alpha_i y_i K(\mathbf{x}_i, \mathbf{x}_s)")
DECISION_LINEAR = Raw("Σᵢ αᵢyᵢ⟨xᵢ, x⟩ + b", r"\sum_i \alpha_i y_i \langle \mathbf{x}_i, \mathbf{x} \rangle + b")


def _signed_sum(terms: list[tuple[Number, Expr | None]]) -> Expr:
    """c₁·t₁ + c₂·t₂ − …, with subtraction for negative coefficients; a None factor is a constant.

    The terms keep their order, except that a leading negative term swaps places with the first
    positive one, so that the sum reads 2α₂ − α₁ rather than −(α₁) + 2α₂.
    """
    terms = [t for t in terms if t[0] != 0]
    first_positive = next((i for i, t in enumerate(terms) if t[0] > 0), None)
    if terms and terms[0][0] < 0 and first_positive is not None:
        terms.insert(0, terms.pop(first_positive))

    def term(coef: Number, factor: Expr | None) -> Expr:
        magnitude = abs(coef)
        if factor is None:
            return num(magnitude)
        if magnitude == 1:
            return factor
        return num(magnitude) * factor if isinstance(factor, Sym) else dot(num(magnitude), factor)

    expr: Expr | None = None
    for coef, factor in terms:
        piece = term(coef, factor)
        if expr is None:
            expr = piece if coef > 0 else -piece
        else:
            expr = expr + piece if coef > 0 else expr - piece
    return expr if expr is not None else num(0)


def _point(x) -> str:
    """A point for a sentence (a title or warning): (−2, 7)."""
    return "(" + ", ".join(number_text(v, unicode_minus=True) for v in x) + ")"


def _bias_steps(bias_given, bias, steps: list[Step], warnings: list[str], assumptions: list[str]) -> None:
    """Compare a bias the question gives with the one the support vectors determine."""
    if bias_given is None or isinstance(bias, float):
        if bias_given is not None and not math.isclose(float(bias_given), bias, rel_tol=1e-6, abs_tol=1e-9):
            warnings.append(f"the given bias {float(bias_given):g} differs from the fitted bias {bias:.6g}")
        return
    difference = simplify(Fraction(bias_given) - Fraction(bias))
    steps.append(Step("The given bias against the derived one", lhs=sym("b_given") - sym("b"),
                      substitution=num(bias_given) - num(bias), value=difference))
    if difference == 0:
        return
    given = Fraction(bias_given)
    decimals = _decimals(given)
    if decimals is not None and abs(Fraction(bias) - given) <= Fraction(1, 2 * 10**decimals):
        assumptions.append(f"the given bias is the derived bias rounded to {decimals} decimal place"
                           f"{'s' if decimals != 1 else ''}; the exact bias is used, and the given one "
                           f"under its own answer names")
    else:
        warnings.append("the given bias is not the derived bias rounded: the data and the bias disagree "
                        "(decision values with the given bias are listed under their own answer names)")


def _decimals(x: Fraction) -> int | None:
    """How many decimal places a terminating decimal has (0.47 → 2), or None if it does not terminate."""
    d, twos, fives = x.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    return max(twos, fives) if d == 1 else None


def _class_of(value: Number) -> int:
    return 1 if value >= 0 else -1


# ---------------------------------------------------------------------------------------------
# Solve

@dataclass(frozen=True)
class _Model:
    """What solve() and variants() share: the data, the kernel and the fit."""

    features: list[list[Number]]
    labels: list[int]
    kernel: Linear | Polynomial | RBF
    gram: list[list[Number]]
    fit: _Fit
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    extra: dict


def _gram(k, features) -> list[list[Number]]:
    """K(xᵢ, xⱼ) for every pair, each symmetric pair computed once."""
    n = len(features)
    gram: list[list[Number]] = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            gram[i][j] = gram[j][i] = k(features[i], features[j])
    return gram


# The last spec fitted and its model: grading solves a spec and then asks for its variants(),
# and the support-set search is most of an SVM's cost, so it is done once. The spec is frozen
# and held here, so the same object always means the same fit; one entry bounds the memory.
_last_fit: tuple[Spec, _Model] | None = None


def _model(spec: Spec) -> _Model:
    global _last_fit
    last = _last_fit
    if last is not None and last[0] is spec:
        return last[1]
    model = _fitted(spec)
    _last_fit = (spec, model)
    return model


def _fitted(spec: Spec) -> _Model:
    _check(spec)
    kernel = spec.kernel
    features = [list(p.x) for p in spec.points]
    labels = [p.y for p in spec.points]
    _check_kernel_work(spec)
    k = kernel_function(kernel)
    gram = _gram(k, features)
    marked = tuple(i for i, p in enumerate(spec.points) if p.support)
    notes: list[str] = []
    warnings: list[str] = []
    extra: dict = {}
    if any(p.alpha is not None for p in spec.points):
        alpha = [p.alpha if p.alpha is not None else 0 for p in spec.points]
        support = tuple(i for i, a in enumerate(alpha) if a > 0)
        balance = simplify(sum((a * y for a, y in zip(alpha, labels)), Fraction(0)))
        if balance != 0:
            warnings.append(f"the given α do not satisfy Σ αᵢyᵢ = 0 (the sum is {number_text(balance)}); "
                            f"they cannot come from an SVM")
        unmarked = [i for i in marked if alpha[i] == 0]
        if unmarked:
            warnings.append("points marked as support vectors with no α (taken as 0): "
                            + ", ".join(_point(features[i]) for i in unmarked))
        if spec.bias is not None:
            bias = spec.bias
        elif support:
            # b from the first support vector: y_s f(x_s) = 1 with f(x_s) = Σ αᵢyᵢK(xᵢ, x_s) + b
            s = support[0]
            bias = simplify(labels[s] - _decision(gram, labels, alpha, 0, s))
            extra["bias_from"] = s
        else:
            raise SolveError("no point has α > 0 and no bias is given: the decision function is undefined",
                             field="points")
        fit = _Fit(alpha, bias, support, "alpha given")
    elif spec.C is not None:
        alpha, bias, extra = _fit_soft_margin(spec, kernel)
        fit = _Fit(alpha, bias, tuple(i for i, a in enumerate(alpha) if a > 0), "soft margin")
    else:
        true_fit = None
        # with marked points, the search only checks them: skipped (not refused) past its cap
        searched = kernel.type == "linear" and not (
            marked and _candidate_sets(len(labels), len(features[0])) > limits.MAX_SVM_SUPPORT_SETS)
        if searched:
            true_fit = _find_support(gram, labels, len(features[0]))
        if marked:
            if len({labels[i] for i in marked}) < 2:
                raise SolveError("the points marked as support vectors need both labels, -1 and 1",
                                 field="points")
            found = _fit_marked(gram, labels, marked)
            if found is None:
                raise SolveError("no hyperplane puts every marked support vector on the margin "
                                 "(y f(x) = 1 for all of them)" + _true_support_text(true_fit, features, labels,
                                                                                     searched),
                                 field="points")
            fit = _Fit(found[0], found[1], marked, "marked")
            if not _satisfies_kkt(gram, labels, *found):
                warnings.append("the marked support vectors do not give the hard-margin SVM of these points"
                                + _true_support_text(true_fit, features, labels, searched))
        elif kernel.type != "linear":
            raise SolveError(f"with the {kernel.type} kernel, mark the support vectors ('support: true'), "
                             f"give α for them, or give C for a soft margin", field="points")
        elif true_fit is None:
            raise SolveError("the points are not linearly separable, so no hard-margin SVM exists; "
                             "give C (and loss_convention) for a soft margin", field="points")
        else:
            alpha, bias = true_fit
            fit = _Fit(alpha, bias, tuple(i for i, a in enumerate(alpha) if a != 0), "found")
    return _Model(features, labels, kernel, gram, fit, tuple(notes), tuple(warnings), extra)


def _true_support_text(true_fit, features, labels, searched: bool = True) -> str:
    if not searched:
        return ""
    if true_fit is None:
        return "; the points are not linearly separable, so no hard-margin SVM exists"
    alpha, bias = true_fit
    points = ", ".join(_point(features[i]) for i, a in enumerate(alpha) if a != 0)
    return f"; its support vectors are {points} (b = {number_text(bias)})"


def _w(model: _Model) -> list[Number]:
    fit, d = model.fit, len(model.features[0])
    return [simplify(sum((fit.alpha[i] * model.labels[i] * model.features[i][k]
                          for i in range(len(model.labels)) if fit.alpha[i]), Fraction(0)))
            for k in range(d)]


def _sample_decision(model: _Model, sample, bias, *, use_alpha=True, use_label=True) -> Number:
    k = kernel_function(model.kernel)
    total: Number = Fraction(0)
    for i, (x, y) in enumerate(zip(model.features, model.labels)):
        a = model.fit.alpha[i] if use_alpha else (1 if i in model.fit.support else 0)
        if a:
            total = total + a * (y if use_label else 1) * k(x, sample)
    return simplify(total + bias)


def _margin_width(norm_squared: Number) -> float | None:
    """2/‖w‖ as a float, also for an exact ‖w‖² far outside a float's range (None if the width is)."""
    if isinstance(norm_squared, float):
        return 2 / math.sqrt(norm_squared)
    q = Fraction(norm_squared)
    if Fraction(1, 10**300) < q < 10**300:
        return 2 / math.sqrt(q)
    log_width = math.log(2) - (math.log(q.numerator) - math.log(q.denominator)) / 2
    return math.exp(log_width) if log_width < 709 else None


def _per_sample(spec: Spec, values: list):
    return values[0] if len(spec.test_samples) == 1 else list(values)


def _fit_steps(spec: Spec, model: _Model) -> tuple[list[Step], list[str]]:
    """How α and b were obtained: C converted, the margin equations solved, or b from given α."""
    fit, labels, features, gram, kernel = model.fit, model.labels, model.features, model.gram, model.kernel
    steps: list[Step] = []
    assumptions: list[str] = []
    alpha_syms = {i: sym(f"alpha_{i + 1}") for i in range(len(labels))}
    if fit.how == "soft margin":
        c_sk = model.extra["c_sklearn"]
        if spec.loss_convention == "hinge_over_c":
            steps.append(Step("C in scikit-learn's convention (½‖w‖² + C·Σ hinge)", lhs=sym("C_sklearn"),
                              formula=1 / sym("C"), substitution=1 / num(spec.C), value=c_sk,
                              note="the question puts 1/C in front of the hinge sum"))
        assumptions.append("soft margin: solved numerically by scikit-learn's SVC (libsvm), "
                           f"C = {float(c_sk):g} in its convention ½‖w‖² + C·Σᵢ max(0, 1 − yᵢf(xᵢ))")
    elif fit.how in ("marked", "found"):
        support = fit.support if fit.how == "marked" else tuple(i for i, a in enumerate(fit.alpha) if a != 0)
        steps.append(Step("The multipliers balance", lhs=ALPHA_SUM,
                          substitution=_signed_sum([(labels[t], alpha_syms[t]) for t in support]), value=0))
        for j in support:
            steps.append(Step(f"{_point(features[j])} lies on the margin: y f(x) = 1, so f(x) = y",
                              lhs=call("f", *map(num, features[j])),
                              formula=DECISION_LINEAR if kernel.type == "linear" else DECISION,
                              substitution=_signed_sum([(labels[t] * gram[t][j], alpha_syms[t]) for t in support]) + sym("b"),
                              value=labels[j]))
        how = ("the points marked as support vectors" if fit.how == "marked" else
               "found by trying every candidate set of 2 to d + 1 points and keeping the one whose solution "
               "satisfies every KKT condition (α ≥ 0, yᵢ f(xᵢ) ≥ 1 for all points)")
        for t in support:
            steps.append(Step(f"Solving these {len(support) + 1} equations exactly: α for {_point(features[t])}",
                              lhs=alpha_syms[t], value=fit.alpha[t]))
        steps.append(Step("… and the bias", lhs=sym("b"), value=fit.bias, note=f"support vectors: {how}"))
    elif "bias_from" in model.extra:
        s = model.extra["bias_from"]
        steps.append(Step(f"Bias from the support vector {_point(features[s])}: y f(x) = 1",
                              lhs=sym("b"), formula=sym("y_s") - Raw("Σᵢ αᵢyᵢK(xᵢ, xₛ)", r"\sum_i \alpha_i y_i K(\mathbf{x}_i, \mathbf{x}_s)"),
                              substitution=num(labels[s]) - _signed_sum(
                                  [(fit.alpha[i] * labels[i], num(gram[i][s])) for i in fit.support]),
                              value=fit.bias))

    return steps, assumptions


def _training_points(spec: Spec, model: _Model) -> tuple[Table, list[str]]:
    """Each training point's y·f(x); with a hard margin every one should be ≥ 1."""
    fit, labels, features, gram = model.fit, model.labels, model.features, model.gram
    warnings: list[str] = []
    rows = []
    for i, (x, y) in enumerate(zip(features, labels)):
        margin_value = simplify(y * _decision(gram, labels, fit.alpha, fit.bias, i))
        on_margin = is_zero(margin_value - 1)
        if on_margin:
            status = "support vector" if i in fit.support else "on the margin"
        elif margin_value > 1:
            status = "outside the margin"
        else:
            status = "inside the margin" if margin_value > 0 else "misclassified"
        rows.append((f"{i + 1}", list(x), y, fit.alpha[i], margin_value, status))
        marked_non_support = spec.points[i].support is False or (any(p.support for p in spec.points)
                                                                  and not spec.points[i].support)
        if fit.how != "soft margin" and on_margin and i not in fit.support and marked_non_support:
            warnings.append(f"{_point(x)} is listed as a non-support vector but lies exactly on the margin "
                            f"(y f(x) = 1): it could be a support vector with α = 0")
        elif fit.how != "soft margin" and not on_margin and margin_value < 1:
            warnings.append(f"{_point(x)} violates the margin: y f(x) = {number_text(margin_value)} < 1")
    return Table("Training points", ("Point", "x", "y", "α", "y·f(x)", "status"), tuple(rows)), warnings


def solve(spec: Spec) -> Solution:
    model = _model(spec)
    fit, labels, features, gram = model.fit, model.labels, model.features, model.gram
    kernel = model.kernel
    exact = not isinstance(fit.bias, float)
    warnings = list(model.warnings)
    inner_name = "⟨xᵢ, x⟩" if kernel.type == "linear" else "K(xᵢ, x)"

    steps, assumptions = _fit_steps(spec, model)

    answers: dict[str, Answer] = {}
    if kernel.type == "linear":
        w = _w(model) if exact else [float(v) for v in _w(model)]
        steps.append(Step("Weight vector", lhs=sym("w"), formula=Raw("Σᵢ αᵢyᵢxᵢ", r"\sum_i \alpha_i y_i \mathbf{x}_i"),
                          substitution=_signed_sum([(fit.alpha[i] * labels[i], num(features[i])) for i in fit.support]),
                          value=w))
        decision_formula = _signed_sum([(wk, sym(f"x_{k + 1}")) for k, wk in enumerate(w)] + [(fit.bias, None)])
        steps.append(Step("Decision function", lhs=sym("f(x)"), formula=sym("w") * sym("x") + sym("b"),
                          substitution=decision_formula))
        answers["w"] = Answer(w, "Weight vector w")
    norm_squared = simplify(sum((fit.alpha[i] * fit.alpha[j] * labels[i] * labels[j] * gram[i][j]
                                 for i in fit.support for j in fit.support), Fraction(0)))
    if kernel.type == "linear":
        norm_formula, norm_sub = Raw("Σₖ wₖ²", r"\sum_k w_k^2"), _signed_sum([(1, num(v) ** 2) for v in answers["w"].value])
    else:
        norm_formula, norm_sub = Raw("Σᵢⱼ αᵢαⱼyᵢyⱼK(xᵢ, xⱼ)", r"\sum_{ij} \alpha_i \alpha_j y_i y_j K(\mathbf{x}_i, \mathbf{x}_j)"), None
    steps.append(Step("Squared norm of w", lhs=sym("‖w‖²"), formula=norm_formula, substitution=norm_sub,
                      value=norm_squared))
    answers["bias"] = Answer(fit.bias, "Bias b")
    answers["alpha"] = Answer(list(fit.alpha), "Multipliers α (one per training point)")
    margin = _margin_width(norm_squared) if norm_squared > 0 else None
    if margin is None and norm_squared > 0:
        warnings.append("the margin width 2/‖w‖ is beyond the range of a float; it is not shown")
    if margin is not None:
        steps.append(Step("Margin width", lhs=sym("m"), formula=2 / call("sqrt", sym("‖w‖²")),
                          substitution=2 / call("sqrt", num(norm_squared)), value=margin,
                          note="a square root: shown as a float" + (
                              f"; exactly √(4/‖w‖²) = √({number_text(simplify(4 / Fraction(norm_squared)))})"
                              if exact else "")))
        answers["margin"] = Answer(margin, "Margin width 2/‖w‖")
    answers["support_vectors"] = Answer([list(features[i]) for i in fit.support], "Support vectors")

    _bias_steps(spec.bias if fit.how != "alpha given" else None, fit.bias, steps, warnings, assumptions)
    if fit.how == "alpha given" and spec.bias is not None and fit.support:
        s = fit.support[0]
        derived = simplify(labels[s] - _decision(gram, labels, fit.alpha, 0, s))
        if not is_zero(derived - spec.bias):
            warnings.append(f"the given bias {number_text(spec.bias)} is not the bias the support vector "
                            f"{_point(features[s])} determines ({number_text(derived)}); "
                            f"they differ by {number_text(simplify(spec.bias - derived))}")

    table, point_warnings = _training_points(spec, model)
    warnings += point_warnings

    decision_values, classes = [], []
    for sample in spec.test_samples:
        value = _sample_decision(model, sample, fit.bias)
        k = kernel_function(kernel)
        substitution = _signed_sum([(fit.alpha[i] * labels[i], num(k(features[i], sample))) for i in fit.support]
                                   + [(fit.bias, None)])
        steps.append(Step(f"Decision value of the test sample {_point(sample)}", lhs=call("f", *map(num, sample)),
                          formula=DECISION_LINEAR if kernel.type == "linear" else DECISION,
                          substitution=substitution, value=value,
                          note=f"{inner_name} for each support vector: "
                               + ", ".join(number_text(k(features[i], sample)) for i in fit.support)))
        label = _class_of(value)
        steps.append(Step(f"Class of {_point(sample)}", lhs=sym("y_hat"), formula=call("sign", sym("f(x)")),
                          substitution=call("sign", num(value)), value=label))
        if is_zero(value):
            warnings.append(f"{_point(sample)} lies on the decision boundary (f = 0); class +1 by convention")
        decision_values.append(value)
        classes.append(label)
    if spec.test_samples:
        answers = {"class": Answer(_per_sample(spec, classes), "Predicted class", categorical=True),
                   "decision_value": Answer(_per_sample(spec, decision_values), "Decision value f(x)"),
                   **answers}
        if spec.bias is not None and fit.how != "alpha given" and not is_zero(spec.bias - fit.bias):
            given = [_sample_decision(model, s, spec.bias) for s in spec.test_samples]
            reading = f"with the bias as given, b = {number_text(spec.bias)}"
            answers["decision_value_given_bias"] = Answer(_per_sample(spec, given), "Decision value f(x)", reading)
            answers["class_given_bias"] = Answer(_per_sample(spec, [_class_of(v) for v in given]),
                                                 "Predicted class", reading, categorical=True)
            if [_class_of(v) for v in given] != classes:
                warnings.append("the given bias and the derived one predict different classes")

    assumptions.append("classes are +1 where f(x) ≥ 0 and −1 where f(x) < 0")
    if exact:
        assumptions.append("α, w and b are exact rationals; only the margin width (a square root) is a float")
    w = answers["w"].value if "w" in answers else None
    return Solution(topic=TOPIC, answers=answers, primary=spec.ask, blocks=(*steps, table),
                    assumptions=tuple(assumptions), warnings=tuple(warnings), figures=figure(spec, model, w))


# ---------------------------------------------------------------------------------------------
# The figure

def figure(spec: Spec, model: _Model, w: list[Number] | None) -> tuple:
    """Two features: the points by class, the support vectors ringed, the test samples crossed,
    the regions f(x) ≥ 0 and f(x) < 0 shaded, the boundary f(x) = 0 and the margins f(x) = ±1."""
    from ..plot import Figure, Grid, Panel, Points, Series, coordinate, line_across

    if len(model.features[0]) != 2:
        return ()
    fit, labels = model.fit, model.labels
    training = [tuple(coordinate(v) for v in x) for x in model.features]
    tests = [tuple(coordinate(v) for v in x) for x in spec.test_samples]
    if not all(math.isfinite(v) for p in training + tests for v in p):
        return ()
    box = _box(training + tests)
    if not all(math.isfinite(v) for v in box):
        return ()

    def scatter(indices, pts, **how):
        return Points(tuple(pts[i][0] for i in indices), tuple(pts[i][1] for i in indices), **how)

    points = [scatter(range(len(training)), training, classes=tuple(labels)),
              scatter(fit.support, training, label="support vectors", ring=True)]
    if tests:
        points.append(scatter(range(len(tests)), tests, label="test samples", marker="x"))
    series: list[Series] = []
    if w is not None:
        grid = Grid((box[0], box[1]), (box[2], box[3]), tuple(
            tuple(coordinate(w[0]) * x + coordinate(w[1]) * y + coordinate(fit.bias) for x in box[:2])
            for y in box[2:]), levels=(), fill=True)  # f is linear: its sign at the corners shades exactly
        for level, label in ((0, "boundary f(x) = 0"), (1, "margins f(x) = ±1"), (-1, "")):
            ends = line_across(tuple(coordinate(v) for v in w), coordinate(level - fit.bias), box)
            if ends is not None:
                series.append(Series(label, (ends[0][0], ends[1][0]), (ends[0][1], ends[1][1]), dashed=level != 0,
                                     dots=False, colour="black"))
    else:
        grid = _decision_grid(model, box)
    formula = "w·x + b" if model.kernel.type == "linear" else "Σᵢ αᵢyᵢK(xᵢ, x) + b"
    panel = Panel("solid: the boundary f(x) = 0; dashed: the margins f(x) = ±1", "x₁", "x₂", series=tuple(series),
                  points=tuple(points), grids=(grid,), equal=True)
    return (Figure(f"The SVM's decision function f(x) = {formula}", (panel,)),)


def _box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """The drawn area: every point, with a fifth of the spread (at least 1) around it."""
    out = []
    for axis in (0, 1):
        lo, hi = min(p[axis] for p in points), max(p[axis] for p in points)
        room = max(0.2 * (hi - lo), 1.0)
        out += [lo - room, hi + room]
    return tuple(out)  # type: ignore[return-value]


def _decision_grid(model: _Model, box, steps: int = 81):
    """f(x) on a grid over the box (floats, numpy): its sign shaded, the levels 0 and ±1 drawn."""
    import numpy as np

    from ..plot import Grid, coordinate

    fit, kernel = model.fit, model.kernel
    used = [i for i, a in enumerate(fit.alpha) if a]
    xs, ys = np.linspace(box[0], box[1], steps), np.linspace(box[2], box[3], steps)
    mesh = np.column_stack([a.ravel() for a in np.meshgrid(xs, ys)])
    x = np.array([[coordinate(v) for v in model.features[i]] for i in used]).reshape(len(used), 2)
    coef = np.array([coordinate(fit.alpha[i]) * model.labels[i] for i in used])
    with np.errstate(all="ignore"):
        if kernel.type == "polynomial":
            k = (coordinate(kernel.gamma) * mesh @ x.T + coordinate(kernel.coef0)) ** kernel.degree
        else:
            k = np.exp(-coordinate(kernel.gamma) * ((mesh[:, None, :] - x[None]) ** 2).sum(-1))
        z = (k @ coef + coordinate(fit.bias)).reshape(steps, steps)
    return Grid(tuple(map(float, xs)), tuple(map(float, ys)), tuple(map(tuple, z.tolist())), levels=(0.0, -1.0, 1.0),
                fill=True)


def given(spec: Spec) -> list:
    """The training points as a table (features, label, support vector, α as the file states them),
    the test samples, and the kernel, bias and C.

    When the question text has a Markdown table it already tabulates the points and test samples
    (the seed s11 does), so the two tables are left out and the kernel, bias and C are given alone.
    """
    from ..given import question_has_table

    out: list = [] if question_has_table(spec) else _point_tables(spec)
    kernel = spec.kernel
    words = {"linear": "linear, K(a, z) = ⟨a, z⟩", "polynomial": "polynomial, K(a, z) = (γ⟨a, z⟩ + c)ᵈ",
             "rbf": "RBF, K(a, z) = exp(−γ‖a − z‖²)"}
    out.append(Given("Kernel", words[kernel.type]))
    for name in ("degree", "gamma", "coef0"):
        if hasattr(kernel, name):
            out.append(Given({"degree": "Degree d", "gamma": "γ", "coef0": "c"}[name], getattr(kernel, name)))
    if spec.bias is not None:
        out.append(Given("Bias b", spec.bias))
    if spec.C is not None:
        out.append(Given("C", spec.C))
    return out


def _point_tables(spec: Spec) -> list:
    d = len(spec.points[0].x)
    columns = ["#", *(f"x{_sub(k + 1)}" for k in range(d)), "y"]
    extra = [name for name in ("support", "alpha") if any(getattr(p, name) is not None for p in spec.points)]
    columns += ["support vector" if name == "support" else "α" for name in extra]
    rows = []
    for n, p in enumerate(spec.points, start=1):
        cells = [n, *p.x, p.y]
        for name in extra:
            value = getattr(p, name)
            cells.append(("yes" if value else "no") if name == "support" and value is not None else value)
        rows.append(tuple(cells))
    out: list = [Table("Training points", tuple(columns), tuple(rows))]
    if spec.test_samples:
        out.append(Table("Test samples", ("#", *(f"x{_sub(k + 1)}" for k in range(d))),
                         tuple((n, *t) for n, t in enumerate(spec.test_samples, start=1))))
    return out


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    """Mistakes on the decision value: α taken as 1, b forgotten, b rounded, the labels dropped.

    A variant whose decision values agree with the right ones within the problem's tolerance is
    left out: grading could not tell it apart (0.47 for 7/15 in the seed, at the default 1%).
    """
    if not spec.test_samples:
        return
    try:
        model = _model(spec)
    except SolveError:
        return
    fit, samples = model.fit, spec.test_samples
    right = [_sample_decision(model, s, fit.bias) for s in samples]
    bias_used = spec.bias if spec.bias is not None else fit.bias
    candidates = [
        ("took every αᵢ = 1: added yᵢ⟨xᵢ, x⟩ over the support vectors, plus the bias"
         + (" as given" if spec.bias is not None else ""),
         [_sample_decision(model, s, bias_used, use_alpha=False) for s in samples]),
        ("forgot the bias b", [_sample_decision(model, s, 0) for s in samples]),
        ("dropped the labels yᵢ: added αᵢ⟨xᵢ, x⟩ without the sign of each class",
         [_sample_decision(model, s, fit.bias, use_label=False) for s in samples]),
    ]
    if spec.bias is not None and spec.bias != fit.bias:
        candidates.insert(2, (f"used the given (rounded) bias {number_text(spec.bias)} instead of the exact "
                              f"{number_text(fit.bias)}", [_sample_decision(model, s, spec.bias) for s in samples]))
    for mistake, values in candidates:
        if not agree(right, values, spec.tolerance):
            yield Variant(mistake, {"decision_value": _per_sample(spec, values),
                                    "class": _per_sample(spec, [_class_of(v) for v in values])})
