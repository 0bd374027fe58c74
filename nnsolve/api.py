"""The Python API: ``nnsolve.load``, ``nnsolve.solve`` and ``nnsolve.grade``.

    >>> import nnsolve
    >>> problem = nnsolve.load("problems/seed/s03-cnn-params.yaml")   # or a dict, or YAML text
    >>> solution = nnsolve.solve(problem)
    >>> solution.answer, solution.choice.key
    (217850, 'd')
    >>> nnsolve.grade(problem, {"choice": "b"}).marks
    0

A Solution shows itself in Jupyter (Markdown, LaTeX) and in rich. Errors are the CLI's:
``nnsolve.errors.SpecError`` and ``SolveError`` with ``file``, ``line``, ``field`` and ``lines()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .loader import Loaded as Problem
from .solution import Solution


def load(source: Any, *, file: str | None = None) -> Problem:
    """A problem from a file (a path), from Python data (a mapping), or from YAML text.

    A string is a path when it names an existing file or ends in .yaml / .yml and is one line;
    otherwise it is YAML text. ``file`` names the source in error messages.
    """
    from .loader import load as load_file
    from .loader import load_data, load_text

    if isinstance(source, Problem):
        return source
    if isinstance(source, os.PathLike):
        return load_file(os.fspath(source))
    if isinstance(source, Mapping):
        return load_data(dict(source), file or "<data>")
    if isinstance(source, str):
        one_line = "\n" not in source.strip()
        if one_line and (source.lower().endswith((".yaml", ".yml")) or os.path.isfile(source)):
            return load_file(source)
        return load_text(source, file or "<string>")
    raise TypeError(f"nnsolve.load takes a path, a mapping or YAML text, not {type(source).__name__}")


def solve(problem: Any) -> Solution:
    """The worked solution of a problem (a Problem, or anything ``load`` takes)."""
    from .errors import NnsolveError
    from .solve import solve as solve_spec

    problem = load(problem)
    try:
        return solve_spec(problem.spec)
    except NnsolveError as exc:
        raise problem.locate(exc) from None


def grade(problem: Any, submitted: Mapping[str, Any] | None = None):
    """Grade the problem's ``submitted`` answer, or the ``submitted`` given here (``{"choice": "d"}``,
    ``{"answer": 217850}``, ``{"answers": {...}}``): a ``nnsolve.grade.Grade``, or None when
    nothing is submitted."""
    from .grade import grade as grade_loaded
    from .loader import load_data

    problem = load(problem)
    if submitted is not None:
        problem = load_data({**problem.data, "submitted": dict(submitted)}, problem.file)
    return grade_loaded(problem)
