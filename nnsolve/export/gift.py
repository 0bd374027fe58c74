"""GIFT, Moodle's plain-text question format, read as Moodle's importer (qformat_gift) reads it.

Questions are separated by blank lines; ``$CATEGORY:`` starts a category. Every text is
HTML (``[html]`` before each, so that a text starting with ``[`` is never read as a format
name) with GIFT's special characters ``~ = # { } :`` and the backslash escaped by a
backslash; a line break inside a text becomes a space (HTML breaks are ``<br>`` already).
"""

from __future__ import annotations

import re

from .html import safe_text
from .moodle import category_path
from .quiz import Question, Quiz, decimal_text

_SPECIAL = "~=#{}:"


def escape(text: str) -> str:
    """Text as GIFT: the backslash and ``~ = # { } :`` escaped, on one line."""
    out = safe_text(text).replace("\\", "\\\\")
    for c in _SPECIAL:
        out = out.replace(c, "\\" + c)
    return re.sub(r"[\r\n]+", " ", out)


def _html(html: str) -> str:
    return "[html]" + escape(html)


def _question(n: int, q: Question) -> list[str]:
    lines = [f"// question {n}: {q.kind}",  # no text from the file: Moodle reads [id:] and [tag:] in comments
             f"::{escape(q.name)}::{_html(q.text)}" + "{" + ("" if q.choices else "#")]
    for c in q.choices:
        lines.append(("=" if c.correct else "~") + _html(c.html) + "#" + _html(c.feedback))
    for a in q.numeric:
        weight = "" if a.correct else "%0%"
        lines.append(f"={weight}{decimal_text(a.value)}:{decimal_text(a.tolerance)}#{_html(a.feedback)}")
    lines.append("####" + _html(q.general_feedback))
    lines.append("}")
    return lines


def render(quiz: Quiz) -> bytes:
    blocks = [[f"// {len(quiz.questions)} question(s) written by nnsolve export"]]
    n = 0
    for category, questions in quiz.categories().items():
        # Moodle takes a category line as it stands (no GIFT unescaping but for the backslash).
        path = safe_text(category_path(category)).replace("\\", "\\\\")
        blocks.append(["$CATEGORY: " + re.sub(r"[\r\n]+", " ", path)])
        for q in questions:
            n += 1
            blocks.append(_question(n, q))
    return ("\n\n".join("\n".join(block) for block in blocks) + "\n").encode("utf-8")
