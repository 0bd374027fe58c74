"""Small helpers shared by the tests."""

from __future__ import annotations

import textwrap
from functools import lru_cache
from pathlib import Path

from nnsolve.loader import load, load_text
from nnsolve.solve import solve


def solve_yaml(text: str):
    """Load and solve a problem written inline in a test."""
    return solve(load_text(textwrap.dedent(text), file="test.yaml").spec)


def solve_file(path):
    return solve(load(str(path)).spec)


@lru_cache(maxsize=None)
def _solved(path: str):
    return solve_file(path)


def solved(path):
    """A shipped problem's solution, solved once per test session (the experiments train models
    for seconds): for tests that render or inspect it. Solutions are immutable."""
    return _solved(str(Path(path).resolve()))
