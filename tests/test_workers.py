"""Batch faults: a file over its time budget, a worker killed by a signal, SIGTERM to the parent,
and a parent killed outright. Each costs only its file (or, for the parent, leaves no worker and
no temporary file behind)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROBLEMS, ROOT

SEED = PROBLEMS / "seed"
GRADED = ("s03-cnn-params.yaml", "s08-momentum.yaml", "s12-sigmoid-node.yaml")


def _slow_problem() -> str:
    """A legal optimizer-steps file that takes minutes: 9,900 momentum steps of a 100-input neuron
    (the iterations × inputs cap allows 10⁶), so any timeout in these tests stops it."""
    weights = [round(0.01 * (i % 7 + 1), 2) for i in range(100)]
    x = [round(0.1 * (i % 5 + 1), 1) for i in range(100)]
    return (f"topic: optimizer_steps\ntitle: slow\nweights: {weights}\nbias: 0.1\nactivation: sigmoid\n"
            f"samples:\n  - {{x: {x}, y: 0.5}}\nloss: {{type: squared_error}}\n"
            f"optimizer: {{type: momentum, learning_rate: 0.1, momentum: 0.5}}\niterations: 9900\nask: w2\n")


@pytest.fixture
def batch(tmp_path) -> Path:
    """s03, s08 and s12, with the slow file sorted between them (s05-slow.yaml)."""
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in GRADED:
        shutil.copyfile(SEED / name, folder / name)
    (folder / "s05-slow.yaml").write_text(_slow_problem(), encoding="utf-8")
    return folder


def _nnsolve(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nnsolve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


linux_only = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_over_the_timeout_is_reported_and_the_others_are_graded(batch, jobs):
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "nnsolve", "grade", str(batch), "-f", "csv", "--timeout", "1",
                          "--jobs", jobs], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 1, run.stderr
    assert time.monotonic() - start < 30
    slow = str(batch / "s05-slow.yaml")
    assert f"{slow}: took longer than 1 s and was stopped (--timeout)" in run.stdout
    rows = [line.split(",", 1)[0] for line in run.stdout.splitlines()[1:]]
    assert sorted(set(rows)) == sorted(str(batch / n) for n in (*GRADED, "s05-slow.yaml"))
    assert "Traceback" not in run.stderr


@linux_only
def test_a_worker_killed_by_a_signal_costs_only_its_file(batch):
    from nnsolve.grade import grade_paths

    paths = sorted(str(p) for p in batch.iterdir())
    results = grade_paths(paths, jobs=2)
    first = next(results)  # s03; the slow file is now in a worker, the other worker grades on
    deadline = time.monotonic() + 20
    busy = None
    while busy is None and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _children(os.getpid())
        busy = next((pid for pid in workers if _cpu_seconds(pid) > 0.5), None)
    assert busy is not None, "no worker was busy with the slow file"
    os.kill(busy, signal.SIGKILL)
    rest = list(results)
    by_file = {r.file: r for r in [first, *rest]}
    assert list(by_file) == paths
    slow = str(batch / "s05-slow.yaml")
    assert by_file[slow].error == f"{slow}: the worker grading it died (signal 9, SIGKILL)"
    for name in GRADED:
        assert by_file[str(batch / name)].grade is not None, by_file[str(batch / name)].error
    assert not _children(os.getpid())


def _wait_for_worker_busy(parent: int, seconds: float = 20) -> list[int]:
    """The workers of ``parent``, once one has spent half a second of CPU (on the slow file)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = _children(parent)
        if any(_alive(pid) and _cpu_seconds(pid) > 0.5 for pid in workers):
            return workers
        time.sleep(0.1)
    raise AssertionError("the slow file never started")


@linux_only
def test_sigterm_writes_the_partial_report_and_leaves_no_temporary_file(batch, tmp_path):
    import json

    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()
    process = _nnsolve("grade", str(batch), "-f", "json", "-o", str(out), "--jobs", "2", "--timeout", "0")
    workers = _wait_for_worker_busy(process.pid)
    time.sleep(0.5)  # the other files are graded by now
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 143, err
    assert "nnsolve: terminated; graded" in err and "Traceback" not in err
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]
    report = json.loads(out.read_text())
    assert report["totals"]["interrupted"] is True
    graded = {f["file"] for f in report["files"]}
    assert str(batch / "s03-cnn-params.yaml") in graded and str(batch / "s05-slow.yaml") not in graded
    assert not any(_alive(pid) for pid in workers)


@linux_only
def test_workers_exit_when_their_parent_is_killed(batch):
    process = _nnsolve("grade", str(batch), "--jobs", "2", "--timeout", "0")
    workers = _wait_for_worker_busy(process.pid)
    process.kill()
    process.communicate(timeout=20)
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)
