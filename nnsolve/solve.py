"""Solve a validated problem: the topic's solver, then the multiple-choice options."""

from __future__ import annotations

import sys
import types

from dataclasses import replace

from .choices import match_choice
from .solution import Solution
from .topics import topic_module


def solve(spec) -> Solution:
    """Solve ``spec`` with its topic's solver and name the matching option, if it lists any.

    Options are matched against the answers unless the solver has already named one (an
    experiment names the option whose arm wins).
    """
    solution = topic_module(spec.topic).solve(spec)
    from .given import given

    solution = replace(solution, title=spec.title or solution.title, question=spec.question,
                       options=spec.choices, given=given(spec))
    if spec.choices and solution.choice is None:  # a solver may name the option itself (experiment)
        choice = match_choice(spec.choices, solution.answers, solution.primary, spec.tolerance)
        warnings = solution.warnings
        if choice.note and (not (choice.key and choice.exact) or choice.also):
            warnings = warnings + (choice.note,)
        elif choice.note:
            solution = replace(solution, assumptions=solution.assumptions + (choice.note,))
        solution = replace(solution, choice=choice, warnings=warnings)
    return solution


def solve_file(path: str):
    """Load and solve one problem file: ``(problem, solution)``. A solver's error names the file
    and the line of its field, as a loading error does."""
    from .errors import NnsolveError
    from .loader import load

    problem = load(path)
    try:
        return problem, solve(problem.spec)
    except NnsolveError as exc:
        raise problem.locate(exc) from None


def variants(spec):
    """The topic's common-mistake variants for ``spec`` (empty for a topic that declares none)."""
    module = topic_module(spec.topic)
    produce = getattr(module, "variants", None)
    return list(produce(spec)) if produce else []


class _Callable(types.ModuleType):
    """``nnsolve.solve(problem)``: this module, which the package's ``solve`` names, is the API's function too."""

    def __call__(self, problem):
        from .api import solve as solve_problem

        return solve_problem(problem)


sys.modules[__name__].__class__ = _Callable
