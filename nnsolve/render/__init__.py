"""Renderers: turn a Solution into terminal text, JSON, Markdown, LaTeX or HTML. They never compute.

Text, Markdown, LaTeX and HTML translate one page model (``render.page``); JSON is its own
stable contract (``render.json``)."""

from __future__ import annotations

from enum import Enum


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    html = "html"


class ReportFormat(str, Enum):
    """The formats of ``nnsolve grade``'s report (nnsolve.render.report), here so that the CLI
    can name them without importing the report module at start-up."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def terminal_width(default: int) -> int:
    """The terminal's width in columns (``COLUMNS``, else stdout's terminal), or ``default``."""
    import shutil

    return shutil.get_terminal_size((default, 24)).columns


def render(solution, fmt: Format, **options) -> str:
    """Render one solution in the chosen format (each renderer is imported only when used)."""
    if fmt is Format.json:
        from .json import render_json

        return render_json(solution)
    if fmt is Format.markdown:
        from .markdown import render_markdown

        return render_markdown(solution)
    if fmt is Format.latex:
        from .latex import render_latex

        return render_latex(solution, **options)
    if fmt is Format.html:
        from .html import render_html

        return render_html(solution)
    from .text import render_text

    return render_text(solution, **options)


def labelled(option: dict, solution) -> list[tuple[str, object]]:
    """An option that states several answers, as (label, value) pairs: each answer named by its
    label in words (its name when the solution has no such answer). Every renderer shows it so."""
    out = []
    for name, value in option.items():
        answer = solution.answers.get(str(name))
        out.append((answer.label if answer is not None else str(name), value))
    return out
