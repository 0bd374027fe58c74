"""One page model for every format: what a solution, an answer key or an exam paper shows.

The builders here decide once what goes where: the heading with its marks, the question (its
Markdown subset already parsed into blocks), the data it gives, the options, the numbered
steps (a short one on one line), the tables, figures, the boxed answer, what else was
computed, assumptions and warnings. The translators (``text``, ``markdown``, ``latex``,
``html``) only say how each block looks in their format; none decides again what a page holds.

Inline content is a ``Run`` of parts: plain text (``str``, escaped by each translator),
``Bold`` text, ``Maths`` (a value or an expression, optionally boxed after a relation) and
``TeX`` (maths a problem file writes, checked against the allow-list of nnsolve.markup).

Every page a builder returns has gone through ``safe.neutralised``: no string in it holds a
character that acts on a terminal (ESC, C1 controls, bidi overrides), whatever a file wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..expr import Expr
from ..numbers import DIGITS, plain, shown_exactly
from ..solution import Solution, Step, Table
from .safe import neutralised

# ---------------------------------------------------------------------------------------------
# Inline parts


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Maths:
    """A value (number, vector, matrix, label) or an expression, shown as maths.

    ``relation`` (``=`` or ``≈``) is written before it; ``boxed`` draws the answer's box."""

    value: object = None
    expr: Expr | None = None
    relation: str | None = None
    boxed: bool = False


@dataclass(frozen=True)
class TeX:
    """Maths from a problem file (``$…$``, or ``$$…$$`` with ``display``), allowed by nnsolve.markup."""

    source: str
    display: bool = False


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Emphasis:
    text: str


Part = Union[str, Bold, Maths, TeX, Code, Emphasis]


@dataclass(frozen=True)
class Run:
    """A line of inline parts (a paragraph's text, a table cell written in Markdown)."""

    parts: tuple[Part, ...]

    @property
    def plain(self) -> str:
        return "".join(part_text(p) for p in self.parts)


def edges(text: str, translate) -> str:
    """``translate`` applied to text whose spaces at either end are kept (as one space each)."""
    core = translate(text)
    return (" " if text[:1].isspace() else "") + core + (" " if text[-1:].isspace() and core else "")


def run(*parts: Part) -> Run:
    return Run(tuple(p for p in parts if p != ""))


def part_text(part: Part) -> str:
    """A part as plain text: for measuring, and for the text view of TeX from a file."""
    from .math import expr_text, value_text

    if isinstance(part, str):
        return part
    if isinstance(part, Maths):
        body = expr_text(part.expr) if part.expr is not None else (
            part.value if isinstance(part.value, str) else value_text(part.value))
        return (f"{part.relation} " if part.relation else "") + body
    if isinstance(part, TeX):
        from ..markup import tex_text

        return tex_text(part.source)
    return part.text


# ---------------------------------------------------------------------------------------------
# Blocks


@dataclass(frozen=True)
class Heading:
    """A problem's (or a section's) heading. ``number``: the question's number in a key or a paper."""

    text: Run
    level: int = 1
    marks: object = None
    number: int | None = None


@dataclass(frozen=True)
class Paragraph:
    """``style``: "" plain, "question" (the exam's words), "given" (a datum it gives), "note" (a remark)."""

    text: Run
    style: str = ""


@dataclass(frozen=True)
class Items:
    """A list: bullets, or ``labels`` such as "(a)" (options); ``mark`` the index of the item
    shown ticked (the option the answer matches); ``style`` "warning" for warnings."""

    items: tuple[Run, ...]
    title: str | None = None
    labels: tuple[str, ...] = ()
    mark: int | None = None
    style: str = ""
    ordered: bool = False


@dataclass(frozen=True)
class Display:
    """A value on its own (a matrix the question gives), or display maths from a file, under a label."""

    label: Run | None
    value: object = None
    tex: str | None = None


@dataclass(frozen=True)
class StepBlock:
    """A numbered step. ``inline``: short enough to stand on one line with its title."""

    number: int
    step: Step
    inline: bool = False


@dataclass(frozen=True)
class TableBlock:
    """A table; its cells are values, text, expressions or ``Run``s (a table written in Markdown)."""

    table: Table
    header: bool = True


@dataclass(frozen=True)
class AnswerBlock:
    """The boxed answer, and the option it matches (``option``: None when there are no options)."""

    label: str
    value: object
    reading: str | None = None
    option: Run | None = None


@dataclass(frozen=True)
class FigureBlock:
    figure: object  # nnsolve.plot.Figure


@dataclass(frozen=True)
class Space:
    """Room for the student's working, in lines."""

    lines: int


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(frozen=True)
class Rule:
    pass


Block = Union[Heading, Paragraph, Items, Display, StepBlock, TableBlock, AnswerBlock, FigureBlock, Space,
              PageBreak, Rule]


@dataclass(frozen=True)
class Header:
    """What heads a key or a paper (``exam.yaml`` or --title/--course)."""

    title: str
    course: str | None = None
    date: str | None = None
    instructions: str | None = None


@dataclass(frozen=True)
class Page:
    blocks: tuple[Block, ...]
    header: Header | None = None
    footer: str | None = None
    figures: bool = True  # False: figures are left out (text output, or matplotlib missing)


FOOTER = f"Inexact values are shown to {DIGITS} significant figures (≈); exact ones in full."

# ---------------------------------------------------------------------------------------------
# Builders

INLINE_WIDTH = 64  # characters of title and maths that stand on one line


def step_text(step: Step) -> str:
    """``lhs = formula = substitution = value`` as plain text (a matrix value is shown apart)."""
    from .math import expr_text, value_text

    parts = [expr_text(e) for e in (step.lhs, step.formula, step.substitution) if e is not None]
    if step.value is not None and not is_matrix(step.value):
        parts.append(value_text(step.value))
    return " = ".join(parts)


def is_matrix(value) -> bool:
    """A matrix shown as a grid (one with more than SHOWN_CELLS numbers is named by its shape instead)."""
    from .math import too_large

    return isinstance(value, list) and bool(value) and isinstance(value[0], list) and not too_large(value)


def numbered_steps(blocks) -> list[Block]:
    """The solution's steps numbered from 1 (a table has no number), each short one inline."""
    out: list[Block] = []
    n = 0
    for block in blocks:
        if isinstance(block, Table):
            out.append(TableBlock(block))
            continue
        n += 1
        line = step_text(block)
        sides = sum(e is not None for e in (block.lhs, block.formula, block.substitution, block.value))
        inline = (not is_matrix(block.value) and bool(line) and sides <= 3
                  and len(block.title) + len(line) + 2 <= INLINE_WIDTH)
        out.append(StepBlock(n, block, inline))
    return out


def question_blocks(text: str | None) -> list[Block]:
    """The question's Markdown subset as blocks (paragraphs, lists, tables, maths)."""
    if not text or not text.strip():
        return []
    from .markup import markup_blocks

    return markup_blocks(text, style="question")


def title_run(text: str) -> Run:
    from .markup import markup_inline

    return markup_inline(text)


def option_run(option, solution: Solution | None) -> Run:
    """An option as the question states it: one value, or named values ``label = value; …``."""
    if not isinstance(option, dict):
        return run(_value_part(option))
    parts: list[Part] = []
    for i, (name, value) in enumerate(option.items()):
        answer = solution.answers.get(str(name)) if solution is not None else None
        label = answer.label if answer is not None else str(name)
        parts += (["; "] if i else []) + [f"{label} = ", _value_part(value)]
    return run(*parts)


def _value_part(value) -> Part:
    return value if isinstance(value, str) else Maths(value)


def options_block(options: dict, solution: Solution | None, chosen: str | None = None) -> Items:
    keys = list(options)
    return Items(tuple(option_run(options[k], solution) for k in keys), labels=tuple(f"({k})" for k in keys),
                 mark=keys.index(chosen) if chosen in keys else None)


def given_blocks(given) -> list[Block]:
    """What the question gives (``Solution.given``): matrices and tables on their own, the
    numbers and labels between them on one line (``Bias b = 3; Padding = 1; …``)."""
    out: list[Block] = []
    line: list[Part] = []
    for item in given:
        if isinstance(item, Table) or is_matrix(item.value):
            if line:
                out.append(Paragraph(run(*line), "given"))
                line = []
            out.append(TableBlock(item) if isinstance(item, Table) else Display(run(f"{item.label}:"), item.value))
            continue
        value = (f"= {item.value}" if isinstance(item.value, str) else Maths(expr=item.value, relation="=")
                 if isinstance(item.value, Expr) else Maths(item.value, relation="="))
        line += (["; "] if line else []) + [f"{item.label} ", value]
    if line:
        out.append(Paragraph(run(*line), "given"))
    return out


def choice_run(solution: Solution) -> Run | None:
    c = solution.choice
    if c is None:
        return None
    if c.key is not None:
        return run(f"({c.key})", "" if c.exact else " (partial match)")
    return run("none of the options matches", f"; the nearest is ({c.nearest})" if c.nearest else "")


def answer_block(solution: Solution) -> AnswerBlock:
    primary = solution.answers[solution.primary]
    return AnswerBlock(primary.label, primary.value, primary.reading, choice_run(solution))


def also_computed(solution: Solution) -> list[Block]:
    """The other answers: a list of the short ones, then each matrix under its label."""
    others = [a for name, a in solution.answers.items() if name != solution.primary]
    short = [a for a in others if not is_matrix(a.value)]
    out: list[Block] = []
    if short:
        out.append(Items(tuple(run(f"{a.label}: ", _value_part(a.value), f" ({a.reading})" if a.reading else "")
                               for a in short), title="Also computed"))
    matrices = [a for a in others if is_matrix(a.value)]
    if matrices and not short:
        out.append(Paragraph(run(Bold("Also computed"))))
    for a in matrices:
        out.append(Display(run(f"{a.label}" + (f" ({a.reading})" if a.reading else "") + ":"), a.value))
    return out


def problem_blocks(solution: Solution, *, number: int | None = None, marks=None, level: int = 1,
                   answers: bool = True, given=None, options: dict | None = None, space: int = 0,
                   figures: bool = True) -> list[Block]:
    """One problem: heading, question, given data, options; with ``answers`` the worked
    solution, figures, the boxed answer, the option, what else was computed, assumptions and
    warnings; without, ``space`` lines of room for working."""
    options = solution.options if options is None else options
    out: list[Block] = [Heading(title_run(solution.title or solution.topic), level, marks, number)]
    out += question_blocks(solution.question)
    out += given_blocks(solution.given if given is None else given)
    if options:
        out.append(options_block(options, solution, solution.choice.key if answers and solution.choice else None))
    if not answers:
        if space:
            out.append(Space(space))
        return out
    out.append(Heading(run("Worked solution"), level + 1))
    out += numbered_steps(solution.blocks)
    if figures:
        out += [FigureBlock(f) for f in solution.figures]
    out.append(answer_block(solution))
    out += also_computed(solution)
    if solution.assumptions:
        out.append(Items(tuple(run(a) for a in solution.assumptions), title="Assumptions"))
    if solution.warnings:
        out.append(Items(tuple(run(w) for w in solution.warnings), title="Warnings", style="warning"))
    return out


def solution_page(solution: Solution, figures: bool = True) -> Page:
    """The page of ``nnsolve run``: one problem worked in full."""
    return neutralised(Page(tuple(problem_blocks(solution, figures=figures)), footer=FOOTER, figures=figures))


@dataclass(frozen=True)
class Entry:
    """A problem in a key or a paper: its solution (for a paper, the question's parts only)."""

    solution: Solution
    marks: object = None
    given: tuple = field(default=())


def summary_table(entries, answers_only: bool = False) -> Table:
    """The key at a glance: number, problem, answer, option (and marks for the compact key)."""
    rows = []
    for n, entry in enumerate(entries, start=1):
        s = entry.solution
        value = s.answers[s.primary].value
        if answers_only or len(plain(value)) <= 40:
            cell = value if not isinstance(value, str) else value
        else:
            cell = "in its worked solution"
        c = s.choice
        option = "–" if c is None else "none" if c.key is None else f"({c.key})" + ("" if c.exact else " partial")
        row = (n, s.title or s.topic, cell, option)
        rows.append(row + ((entry.marks if entry.marks is not None else "–",) if answers_only else ()))
    columns = ("#", "Problem", "Answer", "Option") + (("Marks",) if answers_only else ())
    return Table("Answers" if answers_only else "The key at a glance", columns, tuple(rows))


def key_page(entries, header: Header, left_out=(), answers_only: bool = False, page_breaks: bool = False,
             figures: bool = True) -> Page:
    """An answer key: the summary table, then (unless ``answers_only``) every problem worked."""
    blocks: list[Block] = []
    if entries:
        blocks.append(TableBlock(summary_table(entries, answers_only)))
    if left_out:
        blocks.append(Items(tuple(run(item) for item in left_out),
                            title="Left out: these files could not be solved and are not in this key"))
    if not answers_only:
        for n, entry in enumerate(entries, start=1):
            blocks.append(PageBreak() if page_breaks else Rule())
            blocks += problem_blocks(entry.solution, number=n, marks=entry.marks, level=2, figures=figures)
    return neutralised(Page(tuple(blocks), header=header, footer=FOOTER, figures=figures))


def paper_page(entries, header: Header, space: int = 0, page_breaks: bool = False) -> Page:
    """An exam paper: every question with its given data and options, numbered, with marks; no answers."""
    blocks: list[Block] = []
    for n, entry in enumerate(entries, start=1):
        if n > 1:
            blocks.append(PageBreak() if page_breaks else Rule())
        blocks += problem_blocks(entry.solution, number=n, marks=entry.marks, level=2, answers=False,
                                 space=space)
    return neutralised(Page(tuple(blocks), header=header, footer=None, figures=False))


def relation(value) -> str:
    return "=" if shown_exactly(value) else "≈"
