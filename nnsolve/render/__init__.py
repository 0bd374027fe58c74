"""Renderers: turn a Solution into terminal text, JSON, Markdown or LaTeX. They never compute."""

from __future__ import annotations

from enum import Enum


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    latex = "latex"


class ReportFormat(str, Enum):
    """The formats of ``nnsolve grade``'s report (nnsolve.render.report), here so that the CLI
    can name them without importing the report module at start-up."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


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
    from .text import render_text

    return render_text(solution, **options)
