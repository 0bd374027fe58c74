"""Small helpers shared by the tests."""

from __future__ import annotations

import textwrap

from nnsolve.loader import load, load_text
from nnsolve.solve import solve


def solve_yaml(text: str):
    """Load and solve a problem written inline in a test."""
    return solve(load_text(textwrap.dedent(text), file="test.yaml").spec)


def solve_file(path):
    return solve(load(str(path)).spec)
