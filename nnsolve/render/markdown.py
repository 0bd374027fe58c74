"""Solutions as Markdown with ``$…$`` maths that renders on GitHub and with KaTeX.

Display maths is a ``$$`` block on its own lines holding an ``aligned`` environment, so steps
line up as in the LaTeX key. Prose is escaped so that ``*``, ``_``, ``$``, ``<`` or ``|`` in a
question stay literal characters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..solution import Solution, Table
from . import labelled, numbered
from .latex import step_rows
from ..expr import Expr
from .math import expr_latex, value_latex
from .numbers import DIGITS, plain, shown_exactly

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


def _inline_math(value) -> str:
    return f"${value_latex(value)}$"


def _value_md(value) -> str:
    return md_escape(value, inline=True) if isinstance(value, str) else _inline_math(value)


def step_markdown(step) -> str:
    rows = step_rows(step, scale=False)
    if not rows:
        return ""
    if len(rows) == 1 and "&" not in rows[0]:
        return "$$\n" + rows[0] + "\n$$"
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def _cell(c) -> str:
    if c is None:
        return ""
    if isinstance(c, Expr):
        return f"${expr_latex(c)}$"
    return md_escape(c, inline=True) if isinstance(c, str) else md_escape(plain(c))


def table_markdown(table: Table) -> str:
    head = "| " + " | ".join(md_escape(c, inline=True) for c in table.columns) + " |"
    rule = "|" + "|".join(":---" if i == 0 else "---:" for i in range(len(table.columns))) + "|"
    rows = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join([f"**{md_escape(table.title, inline=True)}**", "", head, rule, *rows])


def _option(option, solution: Solution) -> str:
    if not isinstance(option, dict):
        return _value_md(option)
    return "; ".join(f"{md_escape(label, inline=True)} = {_value_md(v)}" for label, v in labelled(option, solution))


def _answer(solution: Solution) -> str:
    primary = solution.answers[solution.primary]
    label = md_escape(primary.label, inline=True)
    if primary.reading:
        label += f" ({md_escape(primary.reading, inline=True)})"
    if isinstance(primary.value, str):
        out = f"**Answer.** {label}: **{md_escape(primary.value, inline=True)}**"
    elif isinstance(primary.value, list) and primary.value and isinstance(primary.value[0], list):
        out = f"**Answer.** {label}:\n\n$$\n\\boxed{{{value_latex(primary.value)}}}\n$$"
    else:
        relation = "=" if shown_exactly(primary.value) else r"\approx"
        out = f"**Answer.** {label} ${relation} \\boxed{{{value_latex(primary.value)}}}$"
    c = solution.choice
    if c is not None:
        if c.key is not None:
            out += f"\n\n**Option:** ({md_escape(c.key)})" + ("" if c.exact else " (partial match)")
        else:
            nearest = f"; the nearest is ({md_escape(c.nearest)})" if c.nearest else ""
            out += f"\n\n**Option:** none of the options matches{nearest}"
    return out


def problem_markdown(solution: Solution, source: str | None = None, marks=None, level: int = 2) -> str:
    """One problem: question, options, aligned steps, tables, the boxed answer and the option."""
    hashes = "#" * level
    title = md_escape(solution.title or solution.topic, inline=True)
    if marks is not None:
        title += f" \\[{plain(marks)} marks\\]"
    out = [f"{hashes} {title}"]
    if source:
        out.append(f"<sub>`{source.replace('`', '')}`</sub>")
    if solution.question:
        paragraphs = [p for p in re.split(r"\n\s*\n", solution.question.strip()) if p.strip()]
        out.extend("> " + md_escape(p, inline=True) for p in paragraphs)
    if solution.options:
        chosen = solution.choice.key if solution.choice is not None else None
        out.append("\n".join(f"- **({md_escape(str(key))})** {_option(option, solution)}"
                             + (" ✓" if key == chosen else "") for key, option in solution.options.items()))
    out.append(f"{hashes}# Worked solution")
    for n, block in numbered(solution.blocks):
        if n is None:
            out.append(table_markdown(block))
            continue
        out.append(f"**{n}.** {md_escape(block.title, inline=True)}")
        body = step_markdown(block)
        if body:
            out.append(body)
        if block.note:
            out.append(f"*{md_escape(block.note, inline=True)}*")
    out.append(f"{hashes}# Answer")
    out.append(_answer(solution))
    others = [a for name, a in solution.answers.items() if name != solution.primary]
    if others:
        out.append("Also computed:\n\n" + "\n".join(
            f"- {md_escape(a.label, inline=True)}: {_value_md(a.value)}"
            + (f" ({md_escape(a.reading, inline=True)})" if a.reading else "") for a in others))
    for heading, items in (("Assumptions", solution.assumptions), ("Warnings", solution.warnings)):
        if items:
            out.append(f"**{heading}**\n\n" + "\n".join(f"- {md_escape(i, inline=True)}" for i in items))
    return "\n\n".join(out) + "\n"


_FOOTER = f"<sub>Inexact values are shown to {DIGITS} significant figures (≈); exact ones in full.</sub>"


def render_markdown(solution: Solution) -> str:
    return problem_markdown(solution) + "\n" + _FOOTER + "\n"


def _summary(key: "Key") -> str:
    rows = ["| # | Problem | Answer | Option |", "|---:|:---|:---|:---|"]
    for n, entry in enumerate(key.entries, start=1):
        s = entry.solution
        answer = s.answers[s.primary].value
        cell = _value_md(answer) if len(plain(answer)) <= 40 else "see below"
        if s.choice is None:
            option = "–"
        elif s.choice.key is None:
            option = "none"
        else:
            option = f"({md_escape(s.choice.key)})" + ("" if s.choice.exact else " partial")
        rows.append(f"| {n} | {md_escape(s.title or s.topic, inline=True)} | {cell} | {option} |")
    return "\n".join(rows)


def render_key_markdown(key: "Key", title: str = "Answer key") -> str:
    """The answer key of several problems: a summary table, then each problem worked in full."""
    out = [f"# {md_escape(title, inline=True)}"]
    if key.entries:
        out.append(_summary(key))
    if key.left_out:
        out.append("**Left out.** These files could not be solved and are not in this key:\n\n"
                   + "\n".join(f"- {md_escape(item, inline=True)}" for item in key.left_out))
    for entry in key.entries:
        out.append("---")
        out.append(problem_markdown(entry.solution, source=entry.source, marks=entry.marks).rstrip("\n"))
    out.append(_FOOTER)
    return "\n\n".join(out) + "\n"
