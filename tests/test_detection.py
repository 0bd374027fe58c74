"""detection: IoU against a brute-force count of grid cells, non-max suppression against a loop written
here (over numpy's IoU matrix), the grid detector's volume, the mistakes, and degenerate boxes."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.errors import NnsolveError
from nnsolve.loader import load_text
from nnsolve.solve import variants
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, solve_located, solve_yaml


def test_iou_example():
    solution = solve_file(PROBLEMS / "detection/iou.yaml")
    # overlap 2 × 2 = 4; areas 9 and 9; union 14
    assert solution.answer == Fraction(2, 7)
    assert (solution.answers["intersection"].value, solution.answers["union"].value) == (4, 14)
    assert solution.answers["iou_pixels"].value == Fraction(9, 23)  # 3 × 3 over 16 + 16 − 9
    assert solution.choice.key == "a"


@pytest.mark.parametrize("boxes,fmt,iou", [
    ([[0, 0, 2, 2], [1, 1, 3, 3]], "corners", Fraction(1, 7)),
    ([[0, 0, 2, 2], [2, 2, 3, 3]], "corners", 0),  # touching corners: no area in common
    ([[0, 0, 4, 4], [1, 1, 2, 2]], "corners", Fraction(1, 16)),  # one inside the other
    ([[1, 1, 2, 2], [2, 1, 2, 2]], "centre", Fraction(1, 3)),  # [0, 0, 2, 2] and [1, 0, 3, 2]
    ([[0.5, 0.5, 1, 1], [0.5, 0.5, 1, 1]], "center", 1),
])
def test_iou_by_hand(boxes, fmt, iou):
    rows = "\n".join(f"  - {b}" for b in boxes)
    assert solve_yaml(f"topic: detection\nformat: {fmt}\nboxes:\n{rows}\n").answer == iou


def _cells(box, step: Fraction) -> set[tuple[int, int]]:
    x1, y1, x2, y2 = box
    return {(i, j) for i in range(int(x1 / step), int(x2 / step)) for j in range(int(y1 / step), int(y2 / step))}


half = st.integers(-8, 8).map(lambda k: Fraction(k, 2))


@st.composite
def corner_boxes(draw):
    x1, y1 = draw(half), draw(half)
    w, h = draw(st.integers(1, 8).map(lambda k: Fraction(k, 2))), draw(st.integers(1, 8).map(lambda k: Fraction(k, 2)))
    return [x1, y1, x1 + w, y1 + h]


def _text(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


@settings(max_examples=200)
@given(corner_boxes(), corner_boxes(), st.booleans())
def test_iou_matches_a_brute_force_count_of_cells(a, b, centre):
    """Coordinates on a half grid: count the ½ × ½ cells each box covers, their intersection and union."""
    def written(box):
        if not centre:
            return box
        x1, y1, x2, y2 = box
        return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]

    rows = "\n".join(f"  - [{', '.join(_text(v) for v in written(box))}]" for box in (a, b))
    solution = solve_yaml(f"topic: detection\nformat: {'centre' if centre else 'corners'}\nboxes:\n{rows}\n")
    ca, cb = _cells(a, Fraction(1, 2)), _cells(b, Fraction(1, 2))
    assert solution.answers["intersection"].value == Fraction(len(ca & cb), 4)
    assert solution.answers["union"].value == Fraction(len(ca | cb), 4)
    assert solution.answer == Fraction(len(ca & cb), len(ca | cb))


def _reference_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[int]:
    """The textbook loop over the full IoU matrix: take the best box left, drop those overlapping it."""
    x1, y1, x2, y2 = boxes.T
    area = (x2 - x1) * (y2 - y1)
    w = np.clip(np.minimum(x2[:, None], x2[None]) - np.maximum(x1[:, None], x1[None]), 0, None)
    h = np.clip(np.minimum(y2[:, None], y2[None]) - np.maximum(y1[:, None], y1[None]), 0, None)
    iou = w * h / (area[:, None] + area[None] - w * h)
    left = list(np.argsort(-scores, kind="stable"))
    kept = []
    while left:
        best = left.pop(0)
        kept.append(int(best))
        left = [i for i in left if iou[best, i] <= threshold]
    return kept


@settings(max_examples=150)
@given(st.lists(corner_boxes(), min_size=2, max_size=12), st.data(), st.sampled_from([0.1, 0.3, 0.5, 0.7]))
def test_nms_matches_a_reference_loop(boxes, data, threshold):
    scores = data.draw(st.lists(st.integers(1, 1000), min_size=len(boxes), max_size=len(boxes), unique=True))
    rows = "\n".join(f"  - [{', '.join(_text(v) for v in box)}]" for box in boxes)
    solution = solve_yaml(f"topic: detection\nboxes:\n{rows}\nscores: {[s / 1000 for s in scores]}\n"
                          f"iou_threshold: {threshold}\n")
    expected = _reference_nms(np.array(boxes, dtype=float), np.array(scores, dtype=float), threshold)
    assert solution.answer == [i + 1 for i in expected]
    assert solution.answers["count"].value == len(expected)


def test_nms_example():
    solution = solve_file(PROBLEMS / "detection/nms.yaml")
    assert solution.answer == ["A", "C", "D"]
    assert solution.answers["suppressed"].value == ["B"]


@pytest.mark.parametrize("grid,shape,other", [
    ("{cells: 7, boxes: 2, classes: 20}", (7, 7, 50), (7, 7, 30)),
    ("{cells: 7, boxes: 2, classes: 20, class_scores: per_cell}", (7, 7, 30), (7, 7, 50)),
    ("{cells: 13, boxes: 5, classes: 20}", (13, 13, 125), (13, 13, 45)),  # YOLOv2 on VOC: 13 × 13 × 125
])
def test_grid_output_volume(grid, shape, other):
    solution = solve_yaml(f"topic: detection\ngrid: {grid}\n")
    assert solution.answer == shape
    assert solution.answers["output_size"].value == shape[0] * shape[1] * shape[2]
    assert solution.answers["output_shape_other"].value == other


def _variants(text: str) -> dict[str, dict]:
    return {v.mistake: v.answers for v in variants(load_text(text, file="t.yaml").spec)}


def test_iou_variants():
    found = _variants((PROBLEMS / "detection/iou.yaml").read_text())
    summed = next(a for m, a in found.items() if "sum of the two areas" in m)
    assert summed["iou"] == Fraction(4, 18)  # option c
    apart = _variants("topic: detection\nboxes:\n  - [0, 0, 1, 1]\n  - [2, 2, 3, 3]\n")
    unclipped = next(a for m, a in apart.items() if "clip" in m)
    assert unclipped["intersection"] == 1  # (1 − 2)·(1 − 2): two negative overlaps multiply to +1
    misread = _variants("topic: detection\nformat: centre\nboxes:\n  - [2, 2, 4, 4]\n  - [3, 3, 4, 4]\n")
    assert any("read the boxes as corners" in m for m in misread)


def test_nms_and_grid_variants():
    nms = _variants((PROBLEMS / "detection/nms.yaml").read_text())
    assert any("reversed the test" in m for m in nms)
    assert not any("file's order" in m for m in nms)  # the file lists them by score already: no difference
    unsorted = _variants("topic: detection\nboxes:\n  - [0, 0, 2, 2]\n  - [0, 0, 2, 3]\nscores: [0.6, 0.9]\n")
    assert next(a for m, a in unsorted.items() if "file's order" in m)["kept"] == [1]  # right: [2]
    grid = _variants((PROBLEMS / "detection/yolo.yaml").read_text())
    assert next(a for m, a in grid.items() if "YOLOv1" in m)["output_shape"] == (7, 7, 30)  # option a
    assert next(a for m, a in grid.items() if "confidence" in m)["output_shape"] == (7, 7, 48)  # option c


@pytest.mark.parametrize("text,message", [
    ("boxes:\n  - [0, 0, 1, 1]\n  - [2, 2, 2, 3]", "t.yaml:4: boxes[1]: [2, 2, 2, 3] is degenerate"),
    ("format: centre\nboxes:\n  - [0, 0, 1, 0]\n  - [2, 2, 1, 1]", "t.yaml:4: boxes[0]: [0, 0, 1, 0] is degenerate"),
    ("boxes:\n  - [0, 0, 1, 1]\n  - [2, 2, 3]", "t.yaml:4: boxes[1]: needs at least 4"),
    ("boxes:\n  - [0, 0, 1, 1]\n  - [0, 0, 2, 2]\n  - [1, 1, 3, 3]", "t.yaml:2: boxes: has 3 boxes: give two"),
    ("boxes:\n  - [0, 0, 1, 1]\n  - [0, 0, 2, 2]\nscores: [0.5]", "t.yaml:5: scores: has 1 scores for 2 boxes"),
    ("boxes:\n  - [0, 0, 1, 1]\n  - [0, 0, 2, 2]\niou_threshold: 1.5", "t.yaml:5: iou_threshold: must be at most 1"),
    ("grid: {cells: 0, boxes: 2, classes: 20}", "t.yaml:2: grid.cells: must be a positive integer"),
    ("boxes:\n  - [0, 0, 1, 1]\n  - [0, 0, 2, 2]\nask: kept", "t.yaml:5: ask: must be one of"),
])
def test_refusals_name_the_field(text, message):
    with pytest.raises(NnsolveError) as info:
        solve_located(f"topic: detection\n{text}\n")
    assert str(info.value).startswith(message), str(info.value)

def test_given_data_tabulate_the_boxes_with_their_names_and_scores():
    (boxes, threshold) = solve_file(PROBLEMS / "detection/nms.yaml").given
    assert boxes.columns == ("Box", "x₁", "y₁", "x₂", "y₂", "score")
    assert boxes.rows[0] == ("A", 10, 10, 50, 50, Fraction(9, 10)) and len(boxes.rows) == 4
    assert (threshold.label, threshold.value) == ("IoU threshold", Fraction(1, 2))
    grid = solve_file(PROBLEMS / "detection/yolo.yaml").given
    assert [(g.label, g.value) for g in grid[:3]] == [("Grid S × S", (7, 7)), ("Boxes per cell B", 2),
                                                      ("Classes C", 20)]
