"""The JSON contract of ``nnsolve run --format json`` (documented in README.md).

Version 1. Fields are only ever added, never renamed or removed, within a version.
"""

from __future__ import annotations

import json
from fractions import Fraction

from ..expr import Expr
from ..numbers import exact_text, json_number
from ..solution import Solution, Step, Table
from .math import expr_latex, expr_text
from .safe import json_safe

SCHEMA_VERSION = 1


def json_value(value):
    """A solution value as JSON data: numbers stay numbers, shapes and vectors become lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, Fraction, float)):
        return json_number(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def _exact(value):
    """Exact text for rationals a JSON float cannot hold (``"7/15"``), mirroring the value's shape."""
    if isinstance(value, (list, tuple)):
        inner = [_exact(v) for v in value]
        return inner if any(i is not None for i in inner) else None
    if isinstance(value, Fraction):
        return exact_text(value)
    return None


def _step(step: Step) -> dict:
    return {
        "title": step.title,
        "lhs": expr_text(step.lhs) if step.lhs is not None else None,
        "formula": expr_text(step.formula) if step.formula is not None else None,
        "substitution": expr_text(step.substitution) if step.substitution is not None else None,
        "value": json_value(step.value),
        "latex": {
            "lhs": expr_latex(step.lhs) if step.lhs is not None else None,
            "formula": expr_latex(step.formula) if step.formula is not None else None,
            "substitution": expr_latex(step.substitution) if step.substitution is not None else None,
        },
        "note": step.note,
    }


def _table(table: Table) -> dict:
    return {"title": table.title, "columns": list(table.columns),
            "rows": [[expr_text(c) if isinstance(c, Expr) else json_value(c) for c in row] for row in table.rows]}


def solution_dict(solution: Solution) -> dict:
    """The JSON object for one solution."""
    exact = {name: e for name, a in solution.answers.items() if (e := _exact(a.value)) is not None}
    choice = solution.choice
    return {
        "nnsolve": SCHEMA_VERSION,
        "topic": solution.topic,
        "title": solution.title,
        "answer_name": solution.primary,
        "answer": json_value(solution.answer),
        "answers": {name: json_value(a.value) for name, a in solution.answers.items()},
        "answer_labels": {name: a.label for name, a in solution.answers.items()},
        "readings": {name: a.reading for name, a in solution.answers.items() if a.reading},
        "exact": exact,
        "choice": choice.key if choice else None,
        "choice_detail": None if choice is None else {
            "exact": choice.exact,
            "disagreements": list(choice.disagreements),
            "nearest": choice.nearest,
            "note": choice.note,
        },
        "steps": [_step(b) for b in solution.blocks if isinstance(b, Step)],
        "tables": [_table(b) for b in solution.blocks if isinstance(b, Table)],
        "assumptions": list(solution.assumptions),
        "warnings": list(solution.warnings),
    }


def render_json(solution: Solution) -> str:
    return json_safe(json.dumps(solution_dict(solution), indent=2, ensure_ascii=False))
