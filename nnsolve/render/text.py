"""The terminal view: the page model (nnsolve.render.page) translated into rich renderables."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table as RichTable
from rich.text import Text

from ..expr import Expr
from ..solution import Solution, Step
from . import page as pg
from .math import expr_text, value_text
from .terminal import Indented


def step_line(step: Step) -> str:
    """``lhs = formula = substitution = value``, leaving out the parts a step does not have."""
    return pg.step_text(step)


def _run(line: pg.Run, style: str = "") -> Text:
    out = Text(style=style)
    for part in line.parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, pg.Bold):
            out.append(part.text, style="bold")
        elif isinstance(part, pg.Emphasis):
            out.append(part.text, style="italic")
        elif isinstance(part, pg.Code):
            out.append(part.text, style="bold")
        elif isinstance(part, pg.Maths) and part.boxed:
            out.append(pg.part_text(pg.Maths(part.value, part.expr, part.relation)), style="bold")
        else:
            out.append(pg.part_text(part))
    return out


def _matrix(value) -> RichTable:
    grid = RichTable.grid(padding=(0, 2))
    for _ in value[0]:
        grid.add_column(justify="right")
    for row in value:
        grid.add_row(*(value_text(v) for v in row))
    return grid


def _cell(c) -> Text:
    if c is None:
        return Text("")
    if isinstance(c, pg.Run):
        return _run(c)
    if isinstance(c, str):
        return Text(c)
    return Text(expr_text(c) if isinstance(c, Expr) else value_text(c))


def _table(block: pg.TableBlock) -> RichTable:
    table = block.table
    rich = RichTable(title=Text(table.title) if table.title else None, title_justify="left", show_lines=False)
    for i, col in enumerate(table.columns):
        text = all(row[i] is None or isinstance(row[i], (str, pg.Run)) for row in table.rows if i < len(row))
        rich.add_column(_cell(col), justify="left" if i == 0 or text else "right")
    for row in table.rows:
        rich.add_row(*(_cell(c) for c in row))
    return rich


def _bullet(mark: str, text: Text, style: str = "") -> "_Bullet":
    """``• text`` whose wrapped lines stay indented under the text, not under the mark."""
    text.stylize(style)
    return _Bullet(Text(mark, style=style), text)


class _Bullet:
    """A list item: one line when it fits (as most do: a thousand iterations' "Also computed"
    list took 1.5 s when each item was a rich grid), else a grid that wraps it under the text."""

    def __init__(self, mark: Text, text: Text) -> None:
        self.mark, self.text = mark, text

    def __rich_console__(self, console: Console, options):
        from .terminal import one_line

        if "\n" not in self.text.plain and 3 + self.mark.cell_len + self.text.cell_len <= options.max_width:
            yield from one_line(console, options, Text.assemble("  ", self.mark, " ", self.text))
            return
        grid = RichTable.grid(padding=(0, 1, 0, 0))
        grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_row(self.mark, self.text)
        yield Padding(grid, (0, 0, 0, 2))


def _heading(block: pg.Heading, sub: bool) -> Text:
    number = f"{block.number}. " if block.number is not None else ""
    marks = f"  [{value_text(block.marks)} marks]" if block.marks is not None else ""
    return Text.assemble((number, "bold"), _run(block.text, "bold underline" if sub else "bold"), marks)


_STYLES = {"question": "dim", "note": "italic", "small": "dim"}


def block_renderables(block, level: int):
    """The rich renderables of one block of the page."""
    if isinstance(block, pg.Heading):
        sub = block.level > level
        yield Text.assemble("\n", _heading(block, sub)) if sub else _heading(block, sub)
    elif isinstance(block, pg.Paragraph):
        indent = 2 if block.style in ("question", "given") else 0
        yield Indented(_run(block.text, _STYLES.get(block.style, "")), indent)
    elif isinstance(block, pg.Items):
        style = "yellow" if block.style == "warning" else ""
        if block.title:
            yield Text("\n" + block.title, style="bold yellow" if block.style == "warning" else "bold")
        for n, item in enumerate(block.items):
            mark = block.labels[n] if block.labels else ("!" if block.style == "warning" else
                                                          f"{n + 1}." if block.ordered else "•")
            text = _run(item)
            if block.mark == n:
                text.append("  ✓", style="bold green")
            yield _bullet(mark, text, style)
    elif isinstance(block, pg.Display):
        if block.label is not None:
            yield Indented(_run(block.label))
        if block.tex is not None:
            from ..markup import tex_text

            yield Padding(Text(tex_text(block.tex)), (0, 0, 0, 6))
        elif pg.is_matrix(block.value):
            yield Padding(_matrix(block.value), (0, 0, 0, 6))
    elif isinstance(block, pg.StepBlock):
        step = block.step
        title = Text.assemble((f"{block.number:>2}. ", "bold"), (step.title, "bold"))
        line = step_line(step)
        if block.inline:
            yield Indented(Text.assemble(title, (": ", "bold"), line), 0)
        else:
            yield Indented(title, 0)
            if line:
                yield Indented(Text(line), 4)
            if pg.is_matrix(step.value):
                yield Padding(_matrix(step.value), (0, 0, 0, 6))
        if step.note:
            yield Indented(Text(step.note, style="italic"), 4)
    elif isinstance(block, pg.TableBlock):
        yield Padding(_table(block), (1, 0, 1, 0))
    elif isinstance(block, pg.AnswerBlock):
        yield from _answer(block)
    elif isinstance(block, pg.FigureBlock):
        yield Text(f"Figure: {block.figure.title} (drawn in the HTML and PDF key, or by run --plot FILE.png)",
                   style="dim")
    elif isinstance(block, pg.Space):
        yield Text("\n" * max(0, block.lines - 1))
    elif isinstance(block, (pg.Rule, pg.PageBreak)):
        yield Text("")


def _answer(block: pg.AnswerBlock):
    label = block.label + (f" ({block.reading})" if block.reading else "")
    if pg.is_matrix(block.value):
        yield Text.assemble(("Answer: ", "bold green"), f"{label} =")
        yield Padding(_matrix(block.value), (0, 0, 0, 6))
    else:
        shown = block.value if isinstance(block.value, str) else value_text(block.value)
        yield Text.assemble(("Answer: ", "bold green"), f"{label} = ", (shown, "bold"))
    if block.option is not None:
        none = block.option.plain.startswith("none")
        yield Text.assemble(("Option: ", "bold yellow" if none else "bold green"), _run(block.option))


def page_renderables(page: pg.Page):
    level = min((b.level for b in page.blocks if isinstance(b, pg.Heading)), default=1)
    for block in page.blocks:
        yield from block_renderables(block, level)
    if page.footer:
        yield Text("\n" + page.footer.replace(" (≈)", ""), style="dim")


def renderables(solution: Solution):
    return page_renderables(pg.solution_page(solution, figures=True))


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
