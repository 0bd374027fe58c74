"""Classification metrics: the confusion matrix, accuracy, precision, recall and F1, as scikit-learn defines them.

From true and predicted labels (``y_true``, ``y_pred``), or a confusion matrix (rows the true class, columns the
predicted one, as ``sklearn.metrics.confusion_matrix``). Per class c: precision TP/(TP + FP),
recall TP/(TP + FN), F1 = 2·P·R/(P + R), each 0 where its denominator is (scikit-learn's
``zero_division`` default, with a warning). Averages: macro (the mean over classes, F1
included: the mean of the per-class F1, not the F1 of the means), micro (from the summed
counts: equal to the accuracy when every label is a class), weighted (by each class's support).
Every value is an exact fraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Iterator, Literal, Union

from pydantic import Field, StrictInt, StrictStr

from .. import limits
from ..compare import agree
from ..errors import SolveError
from ..expr import Raw, add, num, sym
from ..numbers import Number, simplify
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import ProblemBase

TOPIC = "classification_metrics"
SUMMARY = "confusion matrix, accuracy, precision, recall and F1 per class, macro/micro/weighted (as scikit-learn)"
EXAMPLE = "problems/metrics/three-classes.yaml"

# A label: a short name (cat, not_spam, 3a) or an integer; answer names are built from it (precision_cat).
Label = Union[Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")],
              Annotated[StrictInt, Field(ge=-10**9, le=10**9)]]
Count = Annotated[StrictInt, Field(ge=0, le=limits.MAX_COUNT)]
AVERAGES = ("macro", "micro", "weighted")
METRICS = ("precision", "recall", "f1")


class Spec(ProblemBase):
    """True and predicted labels, or a confusion matrix, with the class list."""

    topic: Literal["classification_metrics"] = Field(
        description="classification_metrics: confusion matrix, precision, recall and F1")
    classes: Annotated[list[Label], Field(min_length=2, max_length=limits.MAX_CLASSES)] | None = Field(
        default=None, description="the classes, in order (default: every label that occurs, sorted, as scikit-learn)")
    # y_true and y_pred as scikit-learn names them (a key written `true:` is a boolean to YAML 1.1 tools)
    y_true: Annotated[list[Label], Field(min_length=1, max_length=limits.MAX_LABELS)] | None = Field(
        default=None, description="the true label of each sample")
    y_pred: Annotated[list[Label], Field(min_length=1, max_length=limits.MAX_LABELS)] | None = Field(
        default=None, description="the predicted label of each sample, in the same order")
    confusion_matrix: Annotated[list[Annotated[list[Count], Field(max_length=limits.MAX_CLASSES)]],
                                Field(min_length=2, max_length=limits.MAX_CLASSES)] | None = Field(
        default=None, description="instead of labels: counts, rows the true class and columns the predicted one")
    positive: Label | None = Field(default=None, description="two classes: the positive one (precision, recall and "
                                                             "f1 answers for it, scikit-learn's average='binary')")
    ask: str | None = Field(default=None, description="the answer asked for: accuracy (default), precision_<class>, "
                                                      "recall_macro, f1_weighted, confusion_matrix, …")


def _check(spec: Spec) -> list:
    """The classes, in order; a SolveError naming the field for anything inconsistent."""
    if (spec.confusion_matrix is None) == (spec.y_true is None and spec.y_pred is None):
        raise SolveError("give either labels (y_true and y_pred) or a confusion_matrix",
                         field="confusion_matrix" if spec.confusion_matrix is not None else "topic")
    if spec.confusion_matrix is not None:
        classes = spec.classes or list(range(len(spec.confusion_matrix)))
        n = len(classes)
        if len(spec.confusion_matrix) != n:
            raise SolveError(f"has {len(spec.confusion_matrix)} rows for {n} classes", field="confusion_matrix")
        for i, row in enumerate(spec.confusion_matrix):
            if len(row) != n:
                raise SolveError(f"has {len(row)} columns for {n} classes", field=f"confusion_matrix[{i}]")
        if sum(map(sum, spec.confusion_matrix)) == 0:
            raise SolveError("counts no sample", field="confusion_matrix")
    else:
        if spec.y_true is None or spec.y_pred is None:
            raise SolveError("needs both y_true and y_pred", field="y_true" if spec.y_true is None else "y_pred")
        if len(spec.y_true) != len(spec.y_pred):
            raise SolveError(f"has {len(spec.y_pred)} labels but y_true has {len(spec.y_true)}", field="y_pred")
        seen = spec.y_true + spec.y_pred
        if spec.classes is None:
            if len({type(v) for v in seen}) > 1:
                raise SolveError("mixes numbers and names: list the classes", field="y_true")
            classes = sorted(set(seen))
            if len(classes) < 2:
                raise SolveError("has only one label: list the classes", field="y_true")
        else:
            classes = spec.classes
            for what, labels in (("y_true", spec.y_true), ("y_pred", spec.y_pred)):
                for i, label in enumerate(labels):
                    if label not in classes:
                        raise SolveError(f"{label!r} is not one of the classes {', '.join(map(str, classes))}",
                                         field=f"{what}[{i}]")
    if len(set(classes)) != len(classes):
        raise SolveError("lists a class twice", field="classes")
    if spec.positive is not None and (len(classes) != 2 or spec.positive not in classes):
        raise SolveError("needs exactly two classes, one of them this" if len(classes) != 2 else
                         f"{spec.positive!r} is not one of the classes {', '.join(map(str, classes))}",
                         field="positive")
    if spec.ask is not None and spec.ask not in _names(classes, spec.positive is not None):
        raise SolveError(f"is not an answer; try accuracy, precision_{classes[0]}, f1_macro or confusion_matrix",
                         field="ask")
    return classes


def _names(classes: list, binary: bool) -> set[str]:
    out = {"accuracy", "confusion_matrix", *(f"{m}_{a}" for m in METRICS for a in AVERAGES)}
    out |= {f"{m}_{c}" for m in (*METRICS, "support") for c in classes}
    if binary:
        out |= set(METRICS)
    return out


# ---------------------------------------------------------------------------------------------
# The counts and the metrics, with the knobs a mistake turns

@dataclass(frozen=True)
class Counts:
    classes: tuple
    matrix: tuple[tuple[int, ...], ...]  # rows: true class; columns: predicted class

    def tp(self, k: int) -> int:
        return self.matrix[k][k]

    def fp(self, k: int) -> int:
        return sum(row[k] for row in self.matrix) - self.matrix[k][k]

    def fn(self, k: int) -> int:
        return sum(self.matrix[k]) - self.matrix[k][k]

    def support(self, k: int) -> int:
        return sum(self.matrix[k])

    @property
    def total(self) -> int:
        return sum(map(sum, self.matrix))


def counts(spec: Spec, classes: list) -> Counts:
    if spec.confusion_matrix is not None:
        return Counts(tuple(classes), tuple(tuple(row) for row in spec.confusion_matrix))
    index = {c: i for i, c in enumerate(classes)}
    matrix = [[0] * len(classes) for _ in classes]
    for t, p in zip(spec.y_true, spec.y_pred):
        matrix[index[t]][index[p]] += 1
    return Counts(tuple(classes), tuple(map(tuple, matrix)))


def _ratio(a: int, b: int) -> Number:
    return simplify(Fraction(a, b)) if b else 0


def _f1(p: Number, r: Number) -> Number:
    return simplify(2 * Fraction(p) * Fraction(r) / (Fraction(p) + Fraction(r))) if p + r else 0


def metrics(c: Counts, *, swapped: bool = False, f1_of_means: bool = False) -> dict[str, Number | list]:
    """Every answer. ``swapped``: precision and recall exchanged; ``f1_of_means``: macro F1 from the macro
    precision and recall (both students' mistakes)."""
    n = len(c.classes)
    out: dict = {"confusion_matrix": [list(row) for row in c.matrix],
                 "accuracy": _ratio(sum(c.tp(k) for k in range(n)), c.total)}
    per = {"precision": [], "recall": [], "f1": []}
    for k, label in enumerate(c.classes):
        p, r = _ratio(c.tp(k), c.tp(k) + c.fp(k)), _ratio(c.tp(k), c.tp(k) + c.fn(k))
        if swapped:
            p, r = r, p
        f = _f1(p, r)
        for name, value in (("precision", p), ("recall", r), ("f1", f)):
            per[name].append(value)
            out[f"{name}_{label}"] = value
        out[f"support_{label}"] = c.support(k)
    supports = [c.support(k) for k in range(n)]
    for name in METRICS:
        out[f"{name}_macro"] = simplify(sum(map(Fraction, per[name])) / n)
        out[f"{name}_weighted"] = simplify(sum(Fraction(v) * s for v, s in zip(per[name], supports)) / c.total)
    tp, fp, fn = (sum(f(k) for k in range(n)) for f in (c.tp, c.fp, c.fn))
    micro_p, micro_r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    if swapped:
        micro_p, micro_r = micro_r, micro_p
    out["precision_micro"], out["recall_micro"], out["f1_micro"] = micro_p, micro_r, _f1(micro_p, micro_r)
    if f1_of_means:
        out["f1_macro"] = _f1(out["precision_macro"], out["recall_macro"])
    return out


# ---------------------------------------------------------------------------------------------
# The worked solution

def _frac(a: int, b: int):
    return num(a) / num(b)


def solve(spec: Spec) -> Solution:
    classes = _check(spec)
    c = counts(spec, classes)
    values = metrics(c)
    n = len(classes)
    names = ", ".join(map(str, classes))
    blocks: list = [Step("Confusion matrix", lhs=sym("M"), value=[list(row) for row in c.matrix],
                         note=f"rows: the true class; columns: the predicted class; both in the order {names}"),
                    Step("Accuracy", lhs=sym("accuracy"), formula=Raw("Σₖ Mₖₖ / N", r"\sum_k M_{kk} / N"),
                         substitution=add(*[num(c.tp(k)) for k in range(n)]) / num(c.total),
                         value=values["accuracy"], note="the diagonal (right predictions) over every sample")]
    warnings: list[str] = []
    for k, label in enumerate(classes):
        tp, fp, fn = c.tp(k), c.fp(k), c.fn(k)
        p, r, f = values[f"precision_{label}"], values[f"recall_{label}"], values[f"f1_{label}"]
        blocks.append(Step(f"Class {label}: precision", lhs=sym(f"P_{label}"),
                           formula=sym("TP") / (sym("TP") + sym("FP")), substitution=_frac(tp, tp + fp) if tp + fp
                           else None, value=p, note=f"TP = {tp}, FP = {fp}" + ("" if tp + fp else
                                                                               "; no sample predicted: 0")))
        blocks.append(Step(f"Class {label}: recall", lhs=sym(f"R_{label}"),
                           formula=sym("TP") / (sym("TP") + sym("FN")), substitution=_frac(tp, tp + fn) if tp + fn
                           else None, value=r, note=f"TP = {tp}, FN = {fn}" + ("" if tp + fn else
                                                                               "; no true sample: 0")))
        blocks.append(Step(f"Class {label}: F1", lhs=sym(f"F1_{label}"),
                           formula=2 * sym("P") * sym("R") / (sym("P") + sym("R")),
                           substitution=2 * num(p) * num(r) / (num(p) + num(r)) if p + r else None, value=f))
        if not tp + fp:
            warnings.append(f"no sample is predicted {label}: its precision is undefined, taken as 0 "
                            "(scikit-learn's zero_division default)")
        if not tp + fn:
            warnings.append(f"no sample is truly {label}: its recall is undefined, taken as 0 "
                            "(scikit-learn's zero_division default)")
    for name, title in (("precision", "precision"), ("recall", "recall"), ("f1", "F1")):
        per = [values[f"{name}_{label}"] for label in classes]
        blocks.append(Step(f"Macro {title}: the mean over the classes", lhs=sym(f"{title}_macro"),
                           substitution=add(*map(num, per)) / num(n), value=values[f"{name}_macro"]))
        blocks.append(Step(f"Weighted {title}: weighted by support", lhs=sym(f"{title}_weighted"),
                           substitution=add(*[num(c.support(k)) * num(v) for k, v in enumerate(per)]) / num(c.total),
                           value=values[f"{name}_weighted"]))
    tp, fp, fn = (sum(f(k) for k in range(n)) for f in (c.tp, c.fp, c.fn))
    blocks.append(Step("Micro precision and recall: from the summed counts", lhs=sym("precision_micro"),
                       formula=Raw("ΣTP / (ΣTP + ΣFP)", r"\sum TP / (\sum TP + \sum FP)"),
                       substitution=_frac(tp, tp + fp), value=values["precision_micro"],
                       note="each sample counts once as a TP or an FP, and once as a TP or an FN: micro precision = "
                            "micro recall = micro F1 = accuracy"))
    rows = tuple((label, c.tp(k), c.fp(k), c.fn(k), c.support(k), values[f"precision_{label}"],
                  values[f"recall_{label}"], values[f"f1_{label}"]) for k, label in enumerate(classes))
    rows += tuple((f"{a} avg", None, None, None, c.total, values[f"precision_{a}"], values[f"recall_{a}"],
                   values[f"f1_{a}"]) for a in AVERAGES)
    blocks.append(Table("Per class (as scikit-learn's classification_report)",
                        ("Class", "TP", "FP", "FN", "Support", "Precision", "Recall", "F1"), rows))
    answers = {"accuracy": Answer(values["accuracy"], "accuracy"),
               "confusion_matrix": Answer(values["confusion_matrix"], f"confusion matrix (rows true: {names})")}
    for label in classes:
        for name in METRICS:
            answers[f"{name}_{label}"] = Answer(values[f"{name}_{label}"], f"{_word(name)} of class {label}")
        answers[f"support_{label}"] = Answer(values[f"support_{label}"], f"support of class {label}")
    for a in AVERAGES:
        for name in METRICS:
            answers[f"{name}_{a}"] = Answer(values[f"{name}_{a}"], f"{a} {_word(name)}")
    if spec.positive is not None:
        for name in METRICS:
            answers[name] = Answer(values[f"{name}_{spec.positive}"], f"{_word(name)} (positive class {spec.positive})")
    assumptions = ["As scikit-learn: rows of the confusion matrix are the true class; a precision or recall whose "
                   "denominator is 0 is 0; macro F1 is the mean of the per-class F1 scores (not the F1 of the macro "
                   "precision and recall); micro averages count every sample once; weighted averages weigh each "
                   "class by its support.",
                   "Values are exact fractions."]
    return Solution(topic=TOPIC, answers=answers, primary=spec.ask or ("f1" if spec.positive is not None else "accuracy"),
                    blocks=tuple(blocks), assumptions=tuple(assumptions), warnings=tuple(warnings))


def _word(name: str) -> str:
    return {"precision": "precision", "recall": "recall", "f1": "F1"}[name]


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    """Precision and recall swapped (or the confusion matrix read transposed), macro for micro and micro
    for macro, weighted for macro, macro F1 as the F1 of the macro precision and recall."""
    try:
        classes = _check(spec)
    except SolveError:
        return
    c = counts(spec, classes)
    right = metrics(c)

    def binary(answers: dict) -> dict:
        """With a positive class, its metrics under their plain names too."""
        if spec.positive is not None:
            answers.update({m: answers[f"{m}_{spec.positive}"] for m in METRICS if f"{m}_{spec.positive}" in answers})
        return answers

    swapped = {k: v for k, v in metrics(c, swapped=True).items() if k not in ("accuracy", "confusion_matrix")}
    transposed = metrics(Counts(c.classes, tuple(zip(*c.matrix))))
    candidates = [("swapped precision and recall (TP/(TP + FN) is recall)", binary(swapped)),
                  ("read the confusion matrix transposed (rows as the predicted class)", binary(transposed))]
    for used, meant in (("macro", "micro"), ("micro", "macro"), ("weighted", "macro")):
        candidates.append((f"gave the {used} average for the {meant} one",
                           {f"{m}_{meant}": right[f"{m}_{used}"] for m in METRICS}))
    candidates.append(("computed macro F1 as the F1 of the macro precision and recall (scikit-learn averages the "
                       "per-class F1 scores)", {"f1_macro": metrics(c, f1_of_means=True)["f1_macro"]}))
    seen: list[dict] = []
    for mistake, answers in candidates:
        if answers in seen or all(agree(right[k], v, spec.tolerance) for k, v in answers.items() if k in right):
            continue
        seen.append(answers)
        yield Variant(mistake, answers)


# ---------------------------------------------------------------------------------------------
# What the question gives

LABELS_ACROSS = 12  # up to this many samples, their labels run across the page (two rows)


def given(spec: Spec) -> list:
    """The classes, then the labels (true and predicted, sample by sample) or the confusion matrix
    with its rows and columns named, and the positive class."""
    from ..solution import Given

    out: list = []
    if spec.classes is not None:
        out.append(Given("Classes", ", ".join(map(str, spec.classes))))
    if spec.confusion_matrix is not None:
        classes = spec.classes or list(range(len(spec.confusion_matrix)))
        out.append(Table("Confusion matrix (rows: the true class; columns: the predicted one)",
                         ("true \\ predicted", *map(str, classes)),
                         tuple((str(c), *row) for c, row in zip(classes, spec.confusion_matrix))))
    else:
        true, predicted = spec.y_true or [], spec.y_pred or []
        n = max(len(true), len(predicted))
        if n <= LABELS_ACROSS:
            out.append(Table("Labels", ("Sample", *(str(i) for i in range(1, n + 1))),
                             (("true", *true), ("predicted", *predicted))))
        else:
            out.append(Table("Labels", ("Sample", "true", "predicted"), tuple(
                (i + 1, true[i] if i < len(true) else None, predicted[i] if i < len(predicted) else None)
                for i in range(n))))
    if spec.positive is not None:
        out.append(Given("Positive class", str(spec.positive)))
    return out
