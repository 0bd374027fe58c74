"""What a question gives, as data a paper and a key typeset beside it (matrices, tables, values).

A topic states its given data with ``given(spec)`` (labels and symbols in the question's words:
"Kernel W", a table of training points). A topic without one gets ``generic(spec)``: every
field the problem file sets, beyond those every problem shares, as the file names it: a number
or a label as a value, a list of numbers as a vector, a list of lists as a matrix, a list of
objects as a table (one row each), an object as its fields.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from .solution import Given, Table
from .limits import MAX_GIVEN_CELLS
from .spec import ProblemBase

_SHARED = set(ProblemBase.model_fields) | {"topic", "ask"}  # ask: what the question asks, not gives


def given(spec) -> tuple:
    """The given data of a problem: its topic's ``given(spec)``, or the generic reading of its fields."""
    from .topics import topic_module

    own = getattr(topic_module(spec.topic), "given", None)
    return tuple(own(spec)) if own is not None else generic(spec)


_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$", re.MULTILINE)


def question_has_table(spec) -> bool:
    """Whether the question text sets out a Markdown table (a header rule such as ``|---|---|``).

    A question that tabulates its data itself (the seed s11 lists the SVM's points) already shows
    them once: a topic then leaves its own table of the same rows out and gives only the rest.
    """
    return bool(spec.question) and _TABLE_RULE.search(spec.question) is not None


def generic(spec: BaseModel) -> tuple:
    out: list = []
    for name in type(spec).model_fields:
        if name in _SHARED or name not in spec.model_fields_set:
            continue
        label = _words(name)
        out.extend(_items(label[0].upper() + label[1:], getattr(spec, name)))
    return tuple(out)


def _words(name: str) -> str:
    return name.replace("_", " ")


def _is_number(value) -> bool:
    from .numbers import is_number

    return is_number(value) and not isinstance(value, bool)


def _items(label: str, value) -> list:
    if value is None:
        return []
    if isinstance(value, BaseModel):
        if set(type(value).model_fields) & {"type"} and len(value.model_fields_set) <= 1:
            return [Given(label, str(getattr(value, "type")))]
        out = []
        for name in type(value).model_fields:
            if name in value.model_fields_set or name == "type":
                out.extend(_items(f"{label}: {_words(name)}", getattr(value, name)))
        return out
    if isinstance(value, dict):
        return [item for key, v in value.items() for item in _items(f"{label}: {key}", v)]
    if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
        return [table_of(label, value)]
    if isinstance(value, list) and value and isinstance(value[0], list) and isinstance(value[0][0], list):
        return [Given(f"{label}, channel {c + 1}", channel) for c, channel in enumerate(value)]
    if isinstance(value, (list, tuple)) and _cells(value) > MAX_GIVEN_CELLS:
        return [Given(label, f"{_cells(value):,} values")]
    return [Given(label, value if not isinstance(value, bool) else str(value).lower())]


def _cells(value) -> int:
    return sum(_cells(v) for v in value) if isinstance(value, (list, tuple)) else 1


def table_of(label: str, models: list[BaseModel]) -> Table:
    """Objects of one kind (layers, samples) as a table: a row each, a column per field any of them sets."""
    columns: list[str] = ["type"] if all("type" in type(m).model_fields for m in models) else []
    for model in models:
        for name in type(model).model_fields:
            if (name in model.model_fields_set or name == "type") and name not in columns:
                columns.append(name)
    models = models[:MAX_GIVEN_CELLS // max(1, len(columns))]
    title = label[0].upper() + label[1:]
    if len(columns) <= WIDE_TABLE:
        rows = tuple((n, *(_cell(getattr(m, c)) if c in m.model_fields_set or c == "type" else None for c in columns))
                     for n, m in enumerate(models, start=1))
        return Table(title, ("#", *(_words(c) for c in columns)), rows)
    # Many kinds of object with fields of their own (layers): the shared ones, then the rest in words.
    shared = [c for c in ("type", "name") if c in columns]
    rows = []
    for n, m in enumerate(models, start=1):
        rest = [f"{_words(c)} {_text(_cell(getattr(m, c)))}" for c in columns
                if c not in shared and c in m.model_fields_set]
        rows.append((n, *(_cell(getattr(m, c)) if c in m.model_fields_set or c == "type" else None for c in shared),
                     ", ".join(rest)))
    return Table(title, ("#", *shared, "settings"), tuple(rows))


WIDE_TABLE = 6  # columns of a table of objects; with more, the fields beyond type and name are one column


def _text(value) -> str:
    from .numbers import plain

    return value if isinstance(value, str) else plain(value)


def _cell(value):
    if isinstance(value, BaseModel):
        return ", ".join(f"{_words(k)} {_cell(getattr(value, k))}" for k in type(value).model_fields
                         if k in value.model_fields_set or k == "type")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
    if isinstance(value, list) and value and isinstance(value[0], (list, BaseModel, dict)):
        return f"{_cells(value):,} values"
    return value


# ---------------------------------------------------------------------------------------------
# Pieces the topics' own given() share

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_HYPERPARAMETERS = {"learning_rate": "Learning rate η", "momentum": "Momentum m", "rho": "ρ", "epsilon": "ε",
                    "beta1": "β₁", "beta2": "β₂"}


def subscripted(name: str) -> str:
    """A name as the question writes it: w5 → w₅, x1 → x₁ (digits after letters as a subscript)."""
    m = re.match(r"^([A-Za-z]+)_?(\d+)$", name)
    return m.group(1) + m.group(2).translate(_SUBSCRIPT) if m else name


def optimizer(opt) -> list:
    """An optimizer as given data: its name, each hyperparameter (a default too: the update needs
    it) and any initial velocity."""
    from .optim import TITLES

    out = [Given("Optimizer", TITLES[opt.type])]
    for name in type(opt).model_fields:
        if name not in ("type", "velocity") and getattr(opt, name) is not None:
            out.append(Given(_HYPERPARAMETERS.get(name, _words(name).capitalize()), getattr(opt, name)))
    for name, v in (getattr(opt, "velocity", None) or {}).items():
        out.append(Given(f"Initial velocity of {subscripted(name)}", v))
    return out
