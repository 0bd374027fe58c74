"""classification_metrics: a hand-worked three-class row, generated labels against scikit-learn
(confusion_matrix, accuracy_score, precision_recall_fscore_support), the mistakes and bad input."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from nnsolve.errors import NnsolveError
from nnsolve.loader import load_text
from nnsolve.solve import variants
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_located, solve_yaml


def test_three_classes_by_hand():
    # cat: TP 2, FP 2 (a dog and a bird called cat), FN 1; dog: TP 3, FP 1, FN 1; bird: TP 2, FP 0, FN 1.
    solution = solve_file(PROBLEMS / "metrics/three-classes.yaml")
    assert solution.answers["confusion_matrix"].value == [[2, 1, 0], [1, 3, 0], [1, 0, 2]]
    assert solution.answers["precision_cat"].value == Fraction(1, 2)
    assert solution.answers["recall_bird"].value == Fraction(2, 3)
    assert solution.answers["f1_cat"].value == Fraction(4, 7)  # 2·(1/2)(2/3)/(1/2 + 2/3)
    assert solution.answer == Fraction(99, 140)  # (4/7 + 3/4 + 4/5)/3
    assert solution.answers["f1_micro"].value == solution.answers["accuracy"].value == Fraction(7, 10)


LABELS = ["a", "b", "c", "d"]


@settings(max_examples=200)
@given(st.integers(2, 4).flatmap(lambda k: st.tuples(
    st.just(LABELS[:k]),
    st.lists(st.tuples(st.sampled_from(LABELS[:k]), st.sampled_from(LABELS[:k])), min_size=1, max_size=40))))
def test_matches_scikit_learn(case):
    classes, pairs = case
    true, predicted = [t for t, _ in pairs], [p for _, p in pairs]
    solution = solve_yaml(f"topic: classification_metrics\nclasses: {json.dumps(classes)}\n"
                          f"y_true: {json.dumps(true)}\ny_pred: {json.dumps(predicted)}\n")
    answers = {k: a.value for k, a in solution.answers.items()}
    assert answers["confusion_matrix"] == confusion_matrix(true, predicted, labels=classes).tolist()
    assert float(answers["accuracy"]) == pytest.approx(accuracy_score(true, predicted), abs=1e-12)
    p, r, f, s = precision_recall_fscore_support(true, predicted, labels=classes, average=None, zero_division=0)
    for k, label in enumerate(classes):
        assert float(answers[f"precision_{label}"]) == pytest.approx(p[k], abs=1e-12)
        assert float(answers[f"recall_{label}"]) == pytest.approx(r[k], abs=1e-12)
        assert float(answers[f"f1_{label}"]) == pytest.approx(f[k], abs=1e-12)
        assert answers[f"support_{label}"] == s[k]
    for average in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(true, predicted, labels=classes, average=average,
                                                     zero_division=0)
        assert [float(answers[f"{m}_{average}"]) for m in ("precision", "recall", "f1")] == \
            pytest.approx([p, r, f], abs=1e-12), average


@settings(max_examples=50)
@given(st.lists(st.tuples(st.sampled_from([0, 1]), st.sampled_from([0, 1])), min_size=1, max_size=30),
       st.sampled_from([0, 1]))
def test_binary_positive_class_matches_scikit_learn(pairs, positive):
    true, predicted = [t for t, _ in pairs], [p for _, p in pairs]
    solution = solve_yaml(f"topic: classification_metrics\nclasses: [0, 1]\ny_true: {true}\ny_pred: {predicted}\n"
                          f"positive: {positive}\n")
    p, r, f, _ = precision_recall_fscore_support(true, predicted, labels=[0, 1], pos_label=positive,
                                                 average="binary", zero_division=0)
    assert [float(solution.answers[m].value) for m in ("precision", "recall", "f1")] == pytest.approx([p, r, f])
    assert solution.primary == "f1"


def test_confusion_matrix_input_and_default_classes():
    by_matrix = solve_yaml("topic: classification_metrics\nconfusion_matrix: [[5, 1], [2, 2]]\nask: recall_1\n")
    assert by_matrix.answer == Fraction(1, 2)  # class 1: TP 2, FN 2
    by_labels = solve_yaml("topic: classification_metrics\ny_true: [1, 0, 0]\ny_pred: [1, 1, 0]\n")
    assert by_labels.answers["confusion_matrix"].value == [[1, 1], [0, 1]]  # classes sorted: 0, 1
    assert by_labels.answers["precision_1"].value == Fraction(1, 2)


def test_an_absent_class_scores_zero_with_a_warning():
    solution = solve_yaml("topic: classification_metrics\nclasses: [a, b, c]\ny_true: [a, b]\ny_pred: [a, a]\n")
    assert solution.answers["precision_c"].value == 0 and solution.answers["recall_c"].value == 0
    assert any("no sample is predicted c" in w for w in solution.warnings)


def _variants(text: str) -> dict[str, dict]:
    return {v.mistake: v.answers for v in variants(load_text(text, file="t.yaml").spec)}


def test_variants_name_the_mistakes():
    found = _variants((PROBLEMS / "metrics/three-classes.yaml").read_text())
    swapped = next(a for m, a in found.items() if m.startswith("swapped precision and recall"))
    assert swapped["precision_cat"] == Fraction(2, 3) and swapped["recall_cat"] == Fraction(1, 2)
    macro_for_micro = next(a for m, a in found.items() if "macro average for the micro" in m)
    assert macro_for_micro["f1_micro"] == Fraction(99, 140)
    means = next(a for m, a in found.items() if "F1 of the macro precision and recall" in m)
    p, r = Fraction(3, 4), Fraction(25, 36)
    assert means["f1_macro"] == 2 * p * r / (p + r)
    assert any("transposed" in m for m in found)


@pytest.mark.parametrize("text,message", [
    ("classes: [cat, dog]\ny_true: [cat, dgo]\ny_pred: [cat, dog]",
     "t.yaml:3: y_true[1]: 'dgo' is not one of the classes cat, dog"),
    ("y_true: [a, b]\ny_pred: [a]", "t.yaml:3: y_pred: has 1 labels but y_true has 2"),
    ("y_true: [a, 1]\ny_pred: [a, a]", "t.yaml:2: y_true: mixes numbers and names"),
    ("confusion_matrix: [[1, 2], [3]]", "t.yaml:2: confusion_matrix[1]: has 1 columns for 2 classes"),
    ("confusion_matrix: [[1, -2], [3, 4]]", "t.yaml:2: confusion_matrix[0][1]: must be at least 0"),
    ("y_true: [a, b]\ny_pred: [a, b]\npositive: c", "t.yaml:4: positive: 'c' is not one of the classes a, b"),
    ("y_true: [a, b]\ny_pred: [a, b]\nask: precision_z", "t.yaml:4: ask: is not an answer"),
    ("y_true: ['a b']\ny_pred: [a]", "t.yaml:2: y_true[0]: "),
])
def test_refusals_name_the_field(text, message):
    with pytest.raises(NnsolveError) as info:
        solve_located(f"topic: classification_metrics\n{text}\n")
    assert str(info.value).startswith(message), str(info.value)

def test_given_data_set_the_labels_side_by_side_or_name_the_matrix_rows():
    classes, labels = solve_file(PROBLEMS / "metrics/three-classes.yaml").given
    assert (classes.label, classes.value) == ("Classes", "cat, dog, bird")
    assert labels.columns == ("Sample", *map(str, range(1, 11)))
    assert labels.rows[0][:3] == ("true", "cat", "cat") and labels.rows[1][:3] == ("predicted", "cat", "dog")
    (matrix,) = solve_yaml("topic: classification_metrics\nconfusion_matrix: [[5, 1], [2, 7]]\n").given
    assert matrix.columns == ("true \\ predicted", "0", "1") and matrix.rows == (("0", 5, 1), ("1", 2, 7))
