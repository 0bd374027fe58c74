"""The page model (nnsolve.render.page) as Markdown with ``$…$`` maths for GitHub and KaTeX.

Display maths is a ``$$`` block on its own lines holding an ``aligned`` environment, so steps
line up as in the LaTeX key. Prose is escaped so that ``*``, ``_``, ``$``, ``<`` or ``|`` in a
question stay literal characters; the question's own Markdown subset arrives already parsed
(emphasis, lists, tables, checked maths) and is written back from the blocks.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..expr import Expr
from ..solution import Solution, Table
from . import page as pg
from .latex import step_rows
from .math import expr_latex, value_latex
from .numbers import plain

if TYPE_CHECKING:
    from ..key import Key

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~])")
_LINE_START = re.compile(r"^(\s*)([-+=#]|\d+(?=[.)]))", re.MULTILINE)


def md_escape(text: str, inline: bool = False) -> str:
    """Prose as Markdown that shows exactly these characters (no emphasis, links, maths or HTML)."""
    if inline:
        text = " ".join(text.split())
    text = text.replace("&", "&amp;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # a line that would start a list or a heading: "- x", "# x", "1. x"
    return _LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit()
                                                   else "\\" + m.group(2)), text)


def file_tex(tex: str) -> str:
    """A file's maths (checked by nnsolve.markup) for Markdown: ``<`` and ``>`` as the commands
    ``\\lt`` and ``\\gt``, so that a viewer without maths does not read them as HTML."""
    return tex.replace("<", r"\lt ").replace(">", r"\gt ")


def md_code(text: str, cell: bool = False) -> str:
    """``text`` (a file's name) as a code span that shows exactly it: fenced by more backticks
    than it holds in a row, on one line (a newline shown as ``[U+000A]``), and with ``cell``
    its ``|`` escaped, as a table's cell needs even inside code."""
    from .safe import visible

    text = visible(text, one_line=True)
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text[:1] == text[-1:] == " " else ""
    body = text.replace("|", "\\|") if cell else text
    return f"{fence}{pad}{body}{pad}{fence}"


def maths_latex(part: pg.Maths, scale: bool = False) -> str:
    """A Maths part as LaTeX maths (shared by the LaTeX and HTML translators)."""
    if part.expr is not None:
        body = expr_latex(part.expr)
    elif isinstance(part.value, str):
        from .latex import text_latex

        body = r"\text{" + text_latex(part.value, inline=True) + "}"
    else:
        from .latex import _value_math

        body = _value_math(part.value, scale)
    if part.boxed:
        body = rf"\boxed{{{body}}}"
    relation = {"=": "= ", "≈": r"\approx "}.get(part.relation or "", "")
    return relation + body


def _part(part: pg.Part) -> str:
    if isinstance(part, str):
        return pg.edges(part, lambda t: md_escape(t, inline=True))
    if isinstance(part, pg.Bold):
        return f"**{md_escape(part.text, inline=True)}**"
    if isinstance(part, pg.Emphasis):
        return f"*{md_escape(part.text, inline=True)}*"
    if isinstance(part, pg.Code):
        return "`` " + part.text.replace("`", "'") + " ``"
    if isinstance(part, pg.TeX):
        return f"$${file_tex(part.source)}$$" if part.display else f"${file_tex(part.source)}$"
    return f"${maths_latex(part)}$"


def run_markdown(line: pg.Run) -> str:
    return "".join(_part(p) for p in line.parts)


def step_markdown(step) -> str:
    rows = step_rows(step, scale=False)
    if not rows:
        return ""
    if len(rows) == 1 and "&" not in rows[0]:
        return "$$\n" + rows[0] + "\n$$"
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def inline_step_latex(step) -> str:
    """A short step's rows as one line of maths: ``lhs = formula = value``."""
    return " ".join(row.replace("&", "", 1) for row in step_rows(step, scale=False))


def _cell(c) -> str:
    if c is None:
        return ""
    if isinstance(c, pg.Run):
        return run_markdown(c)
    if isinstance(c, Expr):
        return f"${expr_latex(c)}$"
    return md_escape(c, inline=True) if isinstance(c, str) else md_escape(plain(c))


def table_markdown(table: Table) -> str:
    head = "| " + " | ".join(_cell(c) for c in table.columns) + " |"
    rule = "|" + "|".join(":---" if i == 0 else "---:" for i in range(len(table.columns))) + "|"
    rows = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    title = [f"**{md_escape(table.title, inline=True)}**", ""] if table.title else []
    return "\n".join([*title, head, rule, *rows])


def _hashes(level: int) -> str:
    return "#" * min(6, level + 1)


def block_markdown(block) -> str | None:
    if isinstance(block, pg.Heading):
        number = f"{block.number}. " if block.number is not None else ""
        marks = f" \\[{plain(block.marks)} marks\\]" if block.marks is not None else ""
        return f"{_hashes(block.level)} {number}{run_markdown(block.text)}{marks}"
    if isinstance(block, pg.Paragraph):
        text = run_markdown(block.text)
        return f"> {text}" if block.style == "question" else f"<sub>{text}</sub>" if block.style == "small" else text
    if isinstance(block, pg.Items):
        lines = []
        for n, item in enumerate(block.items):
            head = (f"**{md_escape(block.labels[n])}** " if block.labels else "")
            tick = " ✓" if block.mark == n else ""
            bullet = f"{n + 1}." if block.ordered else "-"
            lines.append(f"{bullet} {head}{run_markdown(item)}{tick}")
        body = "\n".join(lines)
        if block.style == "question":
            body = "\n".join("> " + line for line in lines)
        return f"**{md_escape(block.title, inline=True)}**\n\n{body}" if block.title else body
    if isinstance(block, pg.Display):
        label = run_markdown(block.label) + "\n\n" if block.label is not None else ""
        tex = file_tex(block.tex) if block.tex is not None else value_latex(block.value)
        return f"{label}$$\n{tex}\n$$"
    if isinstance(block, pg.StepBlock):
        step = block.step
        head = f"**{block.number}.** {md_escape(step.title, inline=True)}"
        note = f"\n\n*{md_escape(step.note, inline=True)}*" if step.note else ""
        if block.inline:
            return f"{head}: ${inline_step_latex(step)}$" + note
        body = step_markdown(step)
        return head + (f"\n\n{body}" if body else "") + note
    if isinstance(block, pg.TableBlock):
        return table_markdown(block.table)
    if isinstance(block, pg.AnswerBlock):
        return _answer(block)
    if isinstance(block, pg.FigureBlock):
        return f"*Figure: {md_escape(block.figure.title, inline=True)} (drawn in the HTML and PDF key)*"
    if isinstance(block, pg.Space):
        return "&nbsp;\n\n" * max(1, block.lines // 3)
    if isinstance(block, (pg.Rule, pg.PageBreak)):
        return "---"
    return None


def _answer(block: pg.AnswerBlock) -> str:
    label = md_escape(block.label, inline=True)
    if block.reading:
        label += f" ({md_escape(block.reading, inline=True)})"
    if isinstance(block.value, str):
        out = f"**Answer.** {label}: **{md_escape(block.value, inline=True)}**"
    elif pg.is_matrix(block.value):
        out = f"**Answer.** {label}:\n\n$$\n\\boxed{{{value_latex(block.value)}}}\n$$"
    else:
        relation = "=" if pg.relation(block.value) == "=" else r"\approx"
        out = f"**Answer.** {label} ${relation} \\boxed{{{value_latex(block.value)}}}$"
    if block.option is not None:
        out += f"\n\n**Option:** {run_markdown(block.option)}"
    return out


def header_markdown(header: pg.Header) -> list[str]:
    out = [f"# {md_escape(header.title, inline=True)}"]
    facts = [md_escape(x, inline=True) for x in (header.course, header.date) if x]
    if facts:
        out.append(" · ".join(facts))
    if header.instructions:
        out.append(run_markdown(pg.title_run(header.instructions)))
    return out


def page_markdown(page: pg.Page) -> str:
    out = header_markdown(page.header) if page.header is not None else []
    out += [text for text in map(block_markdown, page.blocks) if text is not None]
    if page.footer:
        out.append(f"<sub>{md_escape(page.footer, inline=True)}</sub>")
    return "\n\n".join(out) + "\n"


def render_markdown(solution: Solution) -> str:
    return page_markdown(pg.solution_page(solution, figures=False))


def render_key_markdown(key: "Key", title: str = "Answer key", **options) -> str:
    """The answer key of several problems: a summary table, then each problem worked in full."""
    return page_markdown(pg.key_page(key.entries, options.pop("header", None) or pg.Header(title), key.left_out,
                                     figures=False, **options))
