"""A solution as Markdown with ``$…$`` maths (renders on GitHub and with KaTeX)."""

from __future__ import annotations

from ..solution import Solution, Step, Table
from .math import expr_latex, value_latex
from .numbers import DIGITS, plain


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def step_markdown(step: Step) -> str:
    parts = []
    if step.lhs is not None:
        parts.append(expr_latex(step.lhs))
    if step.formula is not None:
        parts.append(expr_latex(step.formula))
    if step.substitution is not None:
        parts.append(expr_latex(step.substitution))
    if step.value is not None:
        parts.append(value_latex(step.value))
    if not parts:
        return ""
    return "$$\n" + " = ".join(parts) + "\n$$"


def table_markdown(table: Table) -> str:
    head = "| " + " | ".join(_md_escape(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(table.columns))) + "|"
    rows = ["| " + " | ".join("" if c is None else _md_escape(c if isinstance(c, str) else plain(c)) for c in row)
            + " |" for row in table.rows]
    return "\n".join([f"**{table.title}**", "", head, rule, *rows])


def render_markdown(solution: Solution) -> str:
    out = [f"## {solution.title or solution.topic}"]
    if solution.question:
        out.append(solution.question.strip())
    if solution.options:
        for key, option in solution.options.items():
            out.append(f"- **{key}.** {plain(option)}")
    n = 0
    for block in solution.blocks:
        if isinstance(block, Table):
            out.append(table_markdown(block))
            continue
        n += 1
        out.append(f"**{n}. {block.title}**")
        body = step_markdown(block)
        if body:
            out.append(body)
        if block.note:
            out.append(f"*{block.note}*")
    primary = solution.answers[solution.primary]
    out.append(f"**Answer.** {primary.label}: ${value_latex(primary.value)}$")
    for name, a in solution.answers.items():
        if name != solution.primary:
            reading = f" ({a.reading})" if a.reading else ""
            out.append(f"- {a.label}: ${value_latex(a.value)}${reading}")
    if solution.choice is not None:
        c = solution.choice
        out.append(f"**Option:** {c.key}" + ("" if c.exact else " (partial match)") if c.key
                   else "**Option:** none of the options matches.")
    for heading, items in (("Assumptions", solution.assumptions), ("Warnings", solution.warnings)):
        if items:
            out.append(f"**{heading}**\n\n" + "\n".join(f"- {i}" for i in items))
    out.append(f"<sub>Inexact values are shown to {DIGITS} significant figures; exact ones in full.</sub>")
    return "\n\n".join(out) + "\n"
