"""Moodle XML: one category per problem (its variants together), multiple-choice and numerical
questions, feedback per answer and the worked solution as general feedback.

Import it in Moodle with Question bank → Import → Moodle XML format; then a quiz's "Add a
random question" from a problem's category gives each student one of its variants.
Text is escaped twice over, as the format needs: HTML inside XML character data (no CDATA,
so ``]]>`` in a question is only text).
"""

from __future__ import annotations

from .html import escape, prose
from .quiz import ROOT_CATEGORY, Question, Quiz, decimal_text


def category_path(category: str) -> str:
    """``$course$/top/nnsolve/<category>``; a ``/`` inside a name is doubled, as Moodle reads it."""
    return "$course$/top/" + "/".join(part.replace("/", "//") for part in (ROOT_CATEGORY, category))


def _text(tag: str, html: str, attrs: str = ' format="html"') -> str:
    return f"<{tag}{attrs}><text>{escape(html)}</text></{tag}>"


def _question(q: Question) -> list[str]:
    head = [f'  <question type="{q.kind}">',
            f"    <name><text>{escape(q.name)}</text></name>",
            "    " + _text("questiontext", q.text),
            "    " + _text("generalfeedback", q.general_feedback),
            f"    <defaultgrade>{decimal_text(q.marks)}</defaultgrade>",
            "    <penalty>0</penalty>",
            "    <hidden>0</hidden>"]
    if q.choices:
        body = ["    <single>true</single>",
                "    <shuffleanswers>false</shuffleanswers>",  # the file's order: a, b, c, d as on paper
                "    <answernumbering>abc</answernumbering>",
                "    " + _text("correctfeedback", prose("Your answer is correct.")),
                "    " + _text("partiallycorrectfeedback", prose("Your answer is partially correct.")),
                "    " + _text("incorrectfeedback", prose("Your answer is incorrect."))]
        for c in q.choices:
            body.append(f'    <answer fraction="{100 if c.correct else 0}" format="html"><text>{escape(c.html)}</text>'
                        + _text("feedback", c.feedback) + "</answer>")
    else:
        body = []
        for a in q.numeric:
            body.append(f'    <answer fraction="{100 if a.correct else 0}" format="moodle_auto_format">'
                        f"<text>{decimal_text(a.value)}</text>"
                        f"<tolerance>{decimal_text(a.tolerance)}</tolerance>"
                        + _text("feedback", a.feedback) + "</answer>")
        body += ["    <unitgradingtype>0</unitgradingtype>", "    <unitpenalty>0</unitpenalty>",
                 "    <showunits>3</showunits>", "    <unitsleft>0</unitsleft>"]
    return head + body + ["  </question>"]


def render(quiz: Quiz) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for category, questions in quiz.categories().items():
        lines += ['  <question type="category">',
                  f"    <category><text>{escape(category_path(category))}</text></category>",
                  "    " + _text("info", prose(f"{len(questions)} question(s) made by nnsolve from {category}")),
                  "  </question>"]
        for q in questions:
            lines += _question(q)
    lines.append("</quiz>")
    return ("\n".join(lines) + "\n").encode("utf-8")
