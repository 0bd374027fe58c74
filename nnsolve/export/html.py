"""The HTML an LMS shows: question text, options, feedback and the worked solution.

The blocks are nnsolve's one page model (``render.page``) written by its HTML translator
(``render.html``) with maths as TeX between ``\\(`` and ``\\)``, which Moodle's MathJax filter
(and Canvas's inline LaTeX) renders. Every piece of text from a problem file is escaped for
HTML, its control characters are shown as code points (``[U+0007]``: XML cannot carry most of
them), and text holding a backslash or a dollar sign is wrapped in a span of the classes
MathJax 2 (``tex2jax_ignore``: Moodle up to 4.x, Canvas) and MathJax 3 (``mathjax_ignore``)
leave alone, so that it is shown as written instead of typeset.
"""

from __future__ import annotations

from ..render import page as pg
from ..render.html import NO_MATH, blocks_html, escape, run_html, safe_text, _Maths  # noqa: F401
from ..solution import Solution

_TEX = _Maths("tex")


def prose(value: str) -> str:
    """Prose from a problem file (or a sentence that quotes one) as inline HTML."""
    return run_html(pg.run(value), _TEX).replace("\n", "<br>")


def value_html(value) -> str:
    """A value: a label as text, a number as its text, a vector or matrix as maths."""
    return run_html(pg.run(pg.Maths(value) if not isinstance(value, str) else value), _TEX)


def option_html(option, solution: Solution) -> str:
    """An option as the question states it: one value, or named values (``Label = value; …``)."""
    return run_html(pg.option_run(option, solution), _TEX)


def question_html(solution: Solution) -> str:
    blocks = pg.question_blocks(solution.question or solution.title or solution.topic)
    return blocks_html(blocks + pg.given_blocks(solution.given), maths="tex")


def solution_html(solution: Solution, mistakes: list[tuple[str, str]] = ()) -> str:
    """The worked solution: numbered steps with their maths, tables, the answer, the option,
    the assumptions and warnings, and (``mistakes``: sentence, answer HTML) common mistakes."""
    blocks = pg.problem_blocks(solution, figures=False)
    start = next(i for i, b in enumerate(blocks) if isinstance(b, pg.Heading) and b.text.plain == "Worked solution")
    html = "<p><strong>Worked solution</strong></p>" + blocks_html(blocks[start + 1:], maths="tex", figures=False)
    if mistakes:
        html += ("<p><strong>Common mistakes</strong></p><ul>"
                 + "".join(f"<li>{prose(m)}: {answer}</li>" for m, answer in mistakes) + "</ul>")
    return html
