"""nnsolve.render.safe: characters that act on a terminal, shown; and Markdown code spans that hold."""

from __future__ import annotations

import json

import pytest

from nnsolve.render.markdown import md_code
from nnsolve.render.safe import json_safe, neutralised, visible


@pytest.mark.parametrize("text, shown", [
    ("plain text, ☃, é, ∂L/∂w, 中文", "plain text, ☃, é, ∂L/∂w, 中文"),
    ("a\tb\nc", "a\tb\nc"),
    ("\x1b[2J", "[U+001B][2J"),
    ("\x1b]52;c;ZXZp\x07", "[U+001B]]52;c;ZXZp[U+0007]"),
    ("back\x08\x08\rover", "back[U+0008][U+0008][U+000D]over"),
    ("\x00\x7f\x80\x9b\x9f", "[U+0000][U+007F][U+0080][U+009B][U+009F]"),
    ("\u202eevil\u202c \u2066i\u2069 \u200e\u200f\u061c", "[U+202E]evil[U+202C] [U+2066]i[U+2069] [U+200E][U+200F][U+061C]"),
    ("\u00a0\u200b\u2028", "\u00a0\u200b\u2028"),  # spaces and separators that do nothing: kept
])
def test_visible(text, shown):
    assert visible(text) == shown


def test_visible_on_one_line_shows_tabs_and_newlines():
    assert visible("a.yaml\n\nb\t", one_line=True) == "a.yaml[U+000A][U+000A]b[U+0009]"


def test_json_safe_keeps_the_strings():
    data = {"t\u202e": "\x1b[2J \x9b \x7f \u2066 é ☃"}
    text = json_safe(json.dumps(data, ensure_ascii=False))
    assert json.loads(text) == data
    assert text == '{"t\\u202e": "\\u001b[2J \\u009b \\u007f \\u2066 é ☃"}'


def test_neutralised_walks_a_page_and_keeps_its_values():
    from fractions import Fraction

    from nnsolve.render import page as pg

    page = pg.Page((pg.Heading(pg.run("T\x1b[2J", pg.Maths(Fraction(1, 3)))), pg.Items((pg.run("x"),), labels=("(\x9b)",))),
                   footer="f")
    assert neutralised(page) == pg.Page((pg.Heading(pg.run("T[U+001B][2J", pg.Maths(Fraction(1, 3)))),
                                         pg.Items((pg.run("x"),), labels=("([U+009B])",))), footer="f")


@pytest.mark.parametrize("name, span", [
    ("a.yaml", "`a.yaml`"),
    ("a`b.yaml", "``a`b.yaml``"),
    ("a``b`.yaml", "```a``b`.yaml```"),
    ("`a.yaml", "`` `a.yaml ``"),
    ("a|b.yaml", "`a\\|b.yaml`"),
    ("a\n\n# b.yaml", "`a[U+000A][U+000A]# b.yaml`"),
])
def test_md_code_holds_any_file_name(name, span):
    assert md_code(name, cell=True) == span
