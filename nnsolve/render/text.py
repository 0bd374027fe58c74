"""The terminal view of a solution (rich)."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table as RichTable
from rich.text import Text

from ..expr import Expr
from ..solution import Solution, Step, Table
from .math import expr_text, value_text
from .numbers import DIGITS


def step_line(step: Step) -> str:
    """``lhs = formula = substitution = value``, leaving out the parts a step does not have."""
    parts = []
    if step.lhs is not None:
        parts.append(expr_text(step.lhs))
    if step.formula is not None:
        parts.append(expr_text(step.formula))
    if step.substitution is not None:
        parts.append(expr_text(step.substitution))
    if step.value is not None and not _is_matrix(step.value):
        parts.append(value_text(step.value))
    return " = ".join(parts)


def _is_matrix(value) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], list)


def _matrix(value) -> RichTable:
    grid = RichTable.grid(padding=(0, 2))
    for _ in value[0]:
        grid.add_column(justify="right")
    for row in value:
        grid.add_row(*(value_text(v) for v in row))
    return grid


def _table(block: Table) -> RichTable:
    table = RichTable(title=block.title, title_justify="left", show_lines=False)
    for col in block.columns:
        table.add_column(col, justify="left" if col == block.columns[0] else "right")
    for row in block.rows:
        table.add_row(*("" if c is None else escape(c if isinstance(c, str) else expr_text(c) if isinstance(c, Expr)
                                                    else value_text(c)) for c in row))
    return table


def _bullet(mark: str, text: str, style: str = "") -> Padding:
    """``• text`` whose wrapped lines stay indented under the text, not under the mark."""
    grid = RichTable.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text(mark, style=style), Text(text, style=style))
    return Padding(grid, (0, 0, 0, 2))


def renderables(solution: Solution):
    heading = solution.title or solution.topic
    yield Text(heading, style="bold")
    if solution.question:
        yield Padding(Text(solution.question.strip(), style="dim"), (0, 0, 1, 2))
    n = 0
    for block in solution.blocks:
        if isinstance(block, Table):
            yield Padding(_table(block), (1, 0, 1, 0))
            continue
        n += 1
        yield Text.assemble((f"{n:>2}. ", "bold"), (block.title, "bold"))
        line = step_line(block)
        if line:
            yield Padding(Text(line), (0, 0, 0, 4))
        if _is_matrix(block.value):
            yield Padding(_matrix(block.value), (0, 0, 0, 6))
        if block.note:
            yield Padding(Text(block.note, style="italic"), (0, 0, 0, 4))
    yield Text()
    primary = solution.answers[solution.primary]
    yield Text.assemble(("Answer: ", "bold green"), f"{primary.label} = ",
                        (value_text(primary.value) if not _is_matrix(primary.value) else "", "bold"))
    if _is_matrix(primary.value):
        yield Padding(_matrix(primary.value), (0, 0, 0, 6))
    others = [(n, a) for n, a in solution.answers.items() if n != solution.primary]
    for name, ans in others:
        reading = f"  [{ans.reading}]" if ans.reading else ""
        if _is_matrix(ans.value):
            yield Text(f"  {ans.label}{reading}:")
            yield Padding(_matrix(ans.value), (0, 0, 0, 6))
        else:
            yield Text(f"  {ans.label} = {value_text(ans.value)}{reading}")
    if solution.choice is not None:
        c = solution.choice
        if c.key is not None:
            mark = "" if c.exact else " (partial match)"
            yield Text.assemble(("Option: ", "bold green"), (c.key, "bold"), mark)
        else:
            yield Text.assemble(("Option: ", "bold yellow"), "none of the options matches")
    if solution.assumptions:
        yield Text("\nAssumptions", style="bold")
        for a in solution.assumptions:
            yield _bullet("•", a)
    if solution.warnings:
        yield Text("\nWarnings", style="bold yellow")
        for w in solution.warnings:
            yield _bullet("!", w, style="yellow")
    yield Text(f"\nInexact values are shown to {DIGITS} significant figures; exact ones in full.", style="dim")


def render_text(solution: Solution, color: bool = False, width: int = 100) -> str:
    """The solution for a terminal ``width`` columns wide: prose wraps at it, and a table wider
    than it is drawn narrower or row by row (nnsolve.render.terminal), never cut mid-word."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color else None,
                      highlight=False, soft_wrap=False, emoji=False)
    console.print(Group(*fitted(solution, console, width)))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def fitted(solution: Solution, console: Console, width: int) -> list:
    """The solution's renderables with every table fitted to ``width`` (a rich console's, or a terminal's)."""
    from .terminal import fit

    return [Padding(fit(console, item.renderable, width - item.left - item.right),
                    (item.top, item.right, item.bottom, item.left))
            if isinstance(item, Padding) and isinstance(item.renderable, RichTable) else item
            for item in renderables(solution)]
