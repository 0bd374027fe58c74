"""A question's (or a title's) safe Markdown subset, as page blocks.

The subset: paragraphs, bullet and numbered lists, tables, *emphasis*, **bold**, `code`,
inline ``$…$`` and display ``$$…$$`` maths, parsed by markdown-it-py with its dollar-math
plugin. Nothing else is interpreted: HTML, links, images, headings and entities stay the
characters they are. Maths goes through ``nnsolve.markup.check_tex``; a formula it refuses
is shown as the text it is. Text with none of Markdown's marks skips the parser (and its import).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..markup import MarkupError, check_tex
from ..solution import Table
from .page import Bold, Code, Display, Emphasis, Items, Paragraph, Part, Run, TableBlock, TeX, run

_MARKS = re.compile(r"[*_`$|\\]|^\s*(?:[-+*]|\d+[.)])\s", re.MULTILINE)


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("zero").enable(["paragraph", "list", "table", "emphasis", "backticks", "newline", "escape"])
    return md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)


def markup_blocks(text: str, style: str = "") -> list:
    """Blocks of a question: paragraphs (with ``style``), lists, tables and display maths."""
    if not _MARKS.search(text):
        return [Paragraph(run(" ".join(p.split())), style) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    tokens = _parser().parse(text)
    out: list = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "paragraph_open":
            out.append(Paragraph(_inline(tokens[i + 1].children or []), style))
            i += 3
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            close = token.type.replace("_open", "_close")
            items, depth, i = [], 0, i + 1
            while not (tokens[i].type == close and depth == 0):
                if tokens[i].type in ("bullet_list_open", "ordered_list_open"):
                    depth += 1
                elif tokens[i].type in ("bullet_list_close", "ordered_list_close"):
                    depth -= 1
                elif tokens[i].type == "inline":
                    items.append(_inline(tokens[i].children or []))
                i += 1
            out.append(Items(tuple(items), style=style, ordered=token.type == "ordered_list_open"))
            i += 1
        elif token.type == "table_open":
            header: list[Run] = []
            rows: list[tuple[Run, ...]] = []
            row: list[Run] = []
            i += 1
            while tokens[i].type != "table_close":
                kind = tokens[i].type
                if kind == "tr_open":
                    row = []
                elif kind == "inline":
                    row.append(_inline(tokens[i].children or []))
                elif kind == "tr_close":
                    (rows.append(tuple(row)) if header else header.extend(row))
                i += 1
            out.append(TableBlock(Table("", tuple(header), tuple(rows))))
            i += 1
        elif token.type in ("math_block", "math_block_label"):
            out.append(_display(token.content))
            i += 1
        else:
            i += 1
    return out


def markup_inline(text: str) -> Run:
    """A title's inline markup (emphasis, code, maths) as a Run."""
    if not _MARKS.search(text):
        return run(" ".join(text.split()))
    return _inline(_parser().parseInline(" ".join(text.split()))[0].children or [])


def _display(source: str):
    try:
        return Display(None, tex=check_tex(source.strip()))
    except MarkupError:
        return Paragraph(run(f"$${source.strip()}$$"))


def _inline(children) -> Run:
    parts: list[Part] = []
    styles: list[str] = []
    for child in children:
        kind = child.type
        if kind in ("em_open", "strong_open"):
            styles.append(kind[:-5])
        elif kind in ("em_close", "strong_close"):
            if styles:
                styles.pop()
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "code_inline":
            parts.append(Code(child.content))
        elif kind in ("math_inline", "math_inline_double"):
            try:
                parts.append(TeX(check_tex(child.content), display=kind == "math_inline_double"))
            except MarkupError:
                parts.append(f"${child.content}$")
        elif kind == "text":
            text = child.content
            if not styles:
                parts.append(text)
            elif styles[-1] == "strong":
                parts.append(Bold(text))
            else:
                parts.append(Emphasis(text))
    return Run(tuple(_merged(parts)))


def _merged(parts: list[Part]) -> list[Part]:
    """Adjacent plain strings joined (markdown-it splits text at every mark it considered)."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        elif part != "":
            out.append(part)
    return out


__all__ = ["markup_blocks", "markup_inline", "Bold", "Code", "Emphasis"]
