"""What a solver returns: ordered steps, named answers, assumptions and warnings.

A ``Solution`` is plain data. Solvers build it; renderers (``nnsolve.render``) show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .expr import Expr
from .numbers import Value


@dataclass(frozen=True)
class Step:
    """One line of a worked answer: ``lhs = formula = substitution = value``.

    Any part may be missing: a step can be just a title and a matrix value (the padded input),
    or a formula with no substitution (a definition). ``note`` is a short remark in words.
    """

    title: str
    lhs: Expr | None = None
    formula: Expr | None = None
    substitution: Expr | None = None
    value: Value | None = None
    note: str | None = None


@dataclass(frozen=True)
class Table:
    """A table of results, e.g. one row per layer or per iteration. Cells are values or text."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Value | None, ...], ...]


Block = Step | Table


@dataclass(frozen=True)
class Given:
    """A datum the question gives, shown with it on the paper and in the key: ``label`` in words
    (with its symbol, e.g. "Kernel W"), ``value`` a number, a vector, a matrix, a label or a
    formula (an ``Expr``: the expression a backprop or function question states)."""

    label: str
    value: Value | Expr


@dataclass(frozen=True)
class Answer:
    """A named result. ``label`` says what it is in words; ``reading`` names a non-default convention.

    ``categorical``: a class or another label written as a number (−1 and +1): no other numbers
    near it make sense as a distractor (``nnsolve vary`` never perturbs it).
    """

    value: Value
    label: str
    reading: str | None = None
    categorical: bool = False


@dataclass(frozen=True)
class ChoiceMatch:
    """How the computed answers compare with the multiple-choice options."""

    key: str | None  # the option that matches, or None
    exact: bool  # every number the option states agrees (within tolerance)
    disagreements: tuple[str, ...] = ()  # for a partial match: the option's numbers that disagree
    nearest: str | None = None  # when nothing matches: the closest option
    note: str | None = None  # one sentence for the reader
    also: tuple[str, ...] = ()  # other options that agree just as well: each is right too (a broken question)


@dataclass(frozen=True)
class Solution:
    topic: str
    answers: dict[str, Answer]
    primary: str  # the name (key of ``answers``) of what the question asks for
    blocks: tuple[Block, ...] = ()
    assumptions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    question: str | None = None
    title: str | None = None
    options: dict[str, Value | dict[str, Value]] | None = None
    choice: ChoiceMatch | None = None
    figures: tuple = field(default=())  # plot data for --plot (see nnsolve.plot), never pixels
    given: tuple[Given | Table, ...] = ()  # what the question gives (nnsolve.given), shown with it

    @property
    def answer(self) -> Value:
        return self.answers[self.primary].value

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Step))

    # How a solution shows itself in Jupyter and in rich: the renderers, imported when shown.
    def _repr_markdown_(self) -> str:
        from .render.markdown import render_markdown

        return render_markdown(self)

    def _repr_latex_(self) -> str:
        from .render.latex import render_latex

        return render_latex(self)

    def _repr_html_(self) -> str:
        from .render.html import fragment_html

        return fragment_html(self)

    def __rich_console__(self, console, options):
        from .render.text import fitted

        yield from fitted(self, console, options.max_width)


@dataclass(frozen=True)
class Variant:
    """A common mistake on a topic, as the answers a student who made it would get.

    ``mistake`` says what went wrong in plain words, e.g. "used ½(ŷ − y)² although the
    question states the loss without ½". The grader compares a wrong answer with every
    variant and names the ones that reproduce it.
    """

    mistake: str
    answers: dict[str, Value]
