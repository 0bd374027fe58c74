"""The slowest legal files (tests/bound_cases.py) finish in bounded CPU time and memory (issue 15, point 3).

Every case is a legal file, and each one is solved, graded (its mistake variants built) and
rendered in process under a CPU-time alarm (CPU_BUDGET, generous for a shared machine: the aim is
well under 2 s); it ends with a solution or a one-line nnsolve error, never a traceback.

A handful of the worst are also run as `nnsolve run` or `grade` in a subprocess under a 1 GiB
address-space limit, their own CPU time measured with wait4: each within 2 s of CPU.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from tests.bound_cases import CASES
from tests.conftest import ROOT

CPU_SECONDS = 2.0
MEMORY = 1 << 30
CPU_BUDGET = 8.0  # seconds of CPU for one case's solve, grade and render in process


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_is_a_legal_file(tmp_path, name):
    from nnsolve import api

    path = tmp_path / f"{name}.yaml"
    path.write_text(CASES[name], encoding="utf-8")
    api.load(str(path))  # an error here: the case is not at a cap but past one (MAX_FILE_BYTES too)


class _OverBudget(Exception):
    pass


def _alarm(signum, frame):
    raise _OverBudget


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_solves_grades_and_renders_within_its_budget(name):
    import signal
    import time

    from nnsolve import api
    from nnsolve.errors import NnsolveError
    from nnsolve.render.json import render_json

    start = time.process_time()
    previous = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, CPU_BUDGET)
    try:
        problem = api.load(CASES[name], file=f"{name}.yaml")
        render_json(api.solve(problem))
        api.grade(problem)
    except NnsolveError as exc:  # refused at a cap the file reaches only when solved: one line
        assert "\n" not in str(exc), str(exc)
    except _OverBudget:
        pytest.fail(f"{name}: over {CPU_BUDGET} s of CPU")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    assert time.process_time() - start <= CPU_BUDGET

# (case, command): caps that used to run for minutes (or crash) and are now bounded
BOUNDED = [
    ("svm-marked-singular-20", "run"),  # 2^20 subsets of marked points: refused at MAX_SVM_MARKED_SUBSETS
    ("svm-marked-singular-at-subset-cap", "grade"),  # just inside that cap
    ("svm-marked-singular-1000", "run"),  # refused at MAX_SVM_KERNEL_PRODUCTS before the Gram matrix
    ("svm-marked-at-cap", "grade"),  # MAX_SVM_MARKED points solved exactly together
    ("svm-gram-at-cap", "run"),  # a degree-20 polynomial Gram matrix just inside MAX_SVM_KERNEL_PRODUCTS
    ("svm-gram-exact", "run"),
    ("svm-rbf-far", "run"),
    ("optimizer-rmsprop-weights-1e300", "grade"),
    ("optimizer-linear-gd-exact", "run"),  # 10,000 exact iterations: floats past MAX_EXACT_DIGITS
]


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (10, 10))  # a runaway case is killed, not waited for


@pytest.mark.parametrize("name,command", BOUNDED, ids=[f"{n}-{c}" for n, c in BOUNDED])
def test_slowest_legal_file_is_bounded(tmp_path, name, command):
    path = tmp_path / f"{name}.yaml"
    path.write_text(CASES[name], encoding="utf-8")
    with open(tmp_path / "err", "wb") as err:
        child = subprocess.Popen([sys.executable, "-m", "nnsolve", command, str(path), "--format", "json"],
                                 stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, preexec_fn=_limit)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time
    code = os.waitstatus_to_exitcode(status)
    stderr = (tmp_path / "err").read_text(errors="replace")
    cpu = usage.ru_utime + usage.ru_stime
    assert code >= 0, f"killed by signal {-code} after {cpu:.2f} s"
    assert "Traceback" not in stderr and len(stderr.splitlines()) <= 1, stderr[-2000:]
    assert cpu <= CPU_SECONDS, f"{cpu:.2f} s of CPU"
