"""The batch memo (nnsolve/grade.py, MEMO_SIZE): files sharing a problem share one solution.

Grading with the memo must give exactly what grading each file on its own gives.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import nnsolve.grade as grading
from nnsolve.loader import parse, read_text
from nnsolve.topics import problem_adapter, spec_for

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted(p for p in (ROOT / "problems").rglob("*.yaml"))


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_validation_leaves_the_parsed_data_as_it_was(path):
    """The memo keys on the parsed data after validation: a validator must not change it in place."""
    data, _ = parse(read_text(str(path)), str(path))
    before = copy.deepcopy(data)
    model = spec_for(data)
    model.model_validate(data) if model is not None else problem_adapter().validate_python(data)
    assert data == before and repr(data) == repr(before)


def _batch(tmp_path: Path) -> list[str]:
    """The seed s03 answered four ways (right, a known mistake, wrong, nothing), and a changed problem."""
    problem = (ROOT / "problems" / "seed" / "s03-cnn-params.yaml").read_text().split("submitted:")[0]
    answers = ["choice: d", "choice: c", "answer: 1", ""]
    paths = []
    for i, answer in enumerate(answers):
        path = tmp_path / f"a{i}.yaml"
        path.write_text(problem + (f"submitted:\n  {answer}\n" if answer else ""))
        paths.append(str(path))
    other = tmp_path / "b.yaml"
    other.write_text(problem.replace("units: 10", "units: 20") + "submitted:\n  choice: d\n")
    paths.append(str(other))
    return paths


def test_the_memo_changes_no_result(tmp_path, monkeypatch):
    paths = _batch(tmp_path) * 2
    with_memo = list(grading.grade_paths(paths))
    monkeypatch.setattr(grading, "MEMO_SIZE", 0)
    alone = [grading.grade_path(p) for p in paths]
    assert with_memo == alone
    assert [r.error for r in alone] == [None] * len(paths)
    assert [bool(r.grade and r.grade.correct) for r in alone[:5]] == [True, False, False, False, False]
    assert alone[4].answer != alone[0].answer  # the changed problem was solved, not taken from the memo


def test_the_memo_is_bounded_and_ends_with_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "MEMO_SIZE", 1)
    paths = _batch(tmp_path)
    assert list(grading.grade_paths(paths)) == [grading.grade_path(p) for p in paths]
    assert grading._batch_memo is None
