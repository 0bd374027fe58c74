"""The HTML an LMS shows: question text, options, feedback and the worked solution.

Maths is TeX between ``\\(`` and ``\\)``, which Moodle's MathJax filter (and Canvas's inline
LaTeX) renders; the TeX comes from nnsolve's LaTeX renderer (``render.math``, the steps of
``render.latex``). Every piece of text from a problem file is escaped for HTML, its control
characters are shown as code points (``[U+0007]``: XML cannot carry most of them), and text
holding a backslash or a dollar sign is wrapped in a span of the classes MathJax 2
(``tex2jax_ignore``: Moodle up to 4.x, Canvas) and MathJax 3 (``mathjax_ignore``) leave
alone, so that it is shown as written instead of typeset.
"""

from __future__ import annotations

import re
import unicodedata

from ..expr import Expr
from ..numbers import number_text, plain, shown_exactly
from ..render import labelled, numbered
from ..render.latex import step_rows
from ..render.math import expr_latex, value_latex
from ..solution import Solution, Step, Table

NO_MATH = "tex2jax_ignore mathjax_ignore"  # the classes MathJax 2 and 3 do not typeset
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}  # &apos; is not HTML 4


def safe_text(text: str) -> str:
    """Plain text with control characters (but tab and newline) shown as their code points,
    and carriage returns as newlines: what XML 1.0 can carry and a reader can see."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(f"[U+{ord(c):04X}]" if c not in "\t\n" and _hidden(c) else c for c in text)


def _hidden(c: str) -> bool:
    return unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") or c in "\ufffe\uffff"


def escape(text: str) -> str:
    """Text as HTML (or XML) character data that shows exactly these characters."""
    return "".join(_ENTITIES.get(c, c) for c in safe_text(text))


def prose(value: str) -> str:
    """Prose from a problem file (or a sentence that quotes one) as inline HTML."""
    body = escape(value).replace("\n", "<br>")
    if "\\" in value or "$" in value:
        return f'<span class="{NO_MATH}">{body}</span>'
    return body


def paragraphs(value: str) -> str:
    parts = [p for p in re.split(r"\n\s*\n", value.strip()) if p.strip()]
    return "".join(f"<p>{prose(' '.join(p.split()))}</p>" for p in parts)


def math(tex: str) -> str:
    """TeX as inline maths (its text escaped for HTML: MathJax reads the decoded text)."""
    return r"\(" + escape(tex) + r"\)"


def value_html(value) -> str:
    """A value: a label as text, a number as its text, a vector or matrix as maths."""
    if isinstance(value, str):
        return prose(value)
    if isinstance(value, (list, tuple)):
        return math(value_latex(value))
    return escape(number_text(value))


def option_html(option, solution: Solution) -> str:
    """An option as the question states it: one value, or named values (``Label = value; …``)."""
    if not isinstance(option, dict):
        return value_html(option)
    return "; ".join(f"{prose(label)} = {value_html(v)}" for label, v in labelled(option, solution))


def question_html(solution: Solution) -> str:
    return paragraphs(solution.question or solution.title or solution.topic)


def _step(step: Step) -> str:
    rows = step_rows(step, scale=False)
    if not rows:
        return ""
    if len(rows) == 1 and "&" not in rows[0]:
        return math(rows[0])
    return math("\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}")


def _cell(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Expr):
        return math(expr_latex(cell))
    return prose(cell) if isinstance(cell, str) else escape(plain(cell))


def _table(table: Table) -> str:
    head = "".join(f"<th>{prose(c)}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<p><strong>{prose(table.title)}</strong></p><table border=\"1\"><tr>{head}</tr>{rows}</table>"


def _answer(solution: Solution) -> str:
    primary = solution.answers[solution.primary]
    label = prose(primary.label) + (f" ({prose(primary.reading)})" if primary.reading else "")
    if isinstance(primary.value, str):
        return f"<p><strong>Answer.</strong> {label}: <strong>{prose(primary.value)}</strong></p>"
    relation = "=" if shown_exactly(primary.value) else r"\approx"
    boxed = math(rf"{relation} \boxed{{{value_latex(primary.value)}}}")
    return f"<p><strong>Answer.</strong> {label} {boxed}</p>"


def solution_html(solution: Solution, mistakes: list[tuple[str, str]] = ()) -> str:
    """The worked solution: numbered steps with their maths, tables, the answer, the option,
    the assumptions and warnings, and (``mistakes``: sentence, answer HTML) common mistakes."""
    out = ["<p><strong>Worked solution</strong></p>"]
    for n, block in numbered(solution.blocks):
        if n is None:
            out.append(_table(block))
            continue
        body = _step(block)
        note = f"<br><em>{prose(block.note)}</em>" if block.note else ""
        out.append(f"<p><strong>{n}.</strong> {prose(block.title)}" + (f"<br>{body}" if body else "") + note + "</p>")
    out.append(_answer(solution))
    if solution.choice is not None and solution.choice.key is not None:
        out.append(f"<p><strong>Option:</strong> ({prose(solution.choice.key)})</p>")
    if mistakes:
        out.append("<p><strong>Common mistakes</strong></p><ul>"
                   + "".join(f"<li>{prose(m)}: {answer}</li>" for m, answer in mistakes) + "</ul>")
    for heading, items in (("Assumptions", solution.assumptions), ("Warnings", solution.warnings)):
        if items:
            listed = "".join(f"<li>{prose(i)}</li>" for i in items)
            out.append(f"<p><strong>{heading}</strong></p><ul>{listed}</ul>")
    return "".join(out)
