"""nnsolve.files: paths nnsolve will not read, the output paths it refuses, atomic writes."""

from __future__ import annotations

import pickle

import pytest

from nnsolve.errors import NnsolveError, ProblemFileError
from nnsolve.files import AtomicFile, Refused, output_path, write_atomically
from nnsolve.loader import load
from tests.conftest import PROBLEMS

S03 = PROBLEMS / "seed" / "s03-cnn-params.yaml"


def test_a_refused_path_is_the_path_and_travels_to_a_worker():
    path = Refused("class/locked", "cannot read this folder (Permission denied)")
    copy = pickle.loads(pickle.dumps(path))
    assert copy == "class/locked" and isinstance(copy, Refused) and copy.reason == path.reason
    with pytest.raises(ProblemFileError) as caught:
        load(copy)
    assert str(caught.value) == "class/locked: cannot read this folder (Permission denied)"


def test_a_refused_path_is_a_row_with_two_jobs(tmp_path):
    from nnsolve.grade import collect_paths, grade_paths

    (tmp_path / "a.yaml").write_bytes(S03.read_bytes())
    (tmp_path / "b.yaml").write_bytes(S03.read_bytes())
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    outside.write_bytes(S03.read_bytes())
    (tmp_path / "c.yaml").symlink_to(outside)
    results = list(grade_paths(collect_paths([str(tmp_path)]), jobs=2))
    assert [r.error is None for r in results] == [True, True, False]
    assert results[2].error.endswith("c.yaml: is a symbolic link to a file outside "
                                     f"{tmp_path}; not followed (name the file itself to read it)")


def test_output_path(tmp_path, monkeypatch):
    new, old = tmp_path / "new.txt", tmp_path / "old.txt"
    old.write_text("x")
    assert output_path(new, [str(S03)]) == str(new)
    assert output_path(old, [str(S03)]) == str(old)
    with pytest.raises(NnsolveError, match="it is a folder"):
        output_path(tmp_path)
    with pytest.raises(NnsolveError, match="not a regular file"):
        output_path("/dev/null")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NnsolveError, match=r"is one of the problem files being read \(old.txt\)"):
        output_path(tmp_path / "." / "old.txt", ["old.txt"])  # the same file, named another way


def test_atomic_file_refuses_a_device_before_writing(tmp_path):
    with pytest.raises(NnsolveError, match="not a regular file"):
        AtomicFile("/dev/null")
    with pytest.raises(NnsolveError, match="it is a folder"):
        write_atomically(str(tmp_path), "x")
    assert list(tmp_path.iterdir()) == []
