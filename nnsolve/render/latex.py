"""Solutions as LaTeX: a fragment per problem, and the standalone document (one problem or a key).

A fragment (``nnsolve run --format latex``) needs the packages of ``PREAMBLE``: amsmath,
amssymb, booktabs, array, longtable, tabularx and graphicx.

The document uses only Debian's ``texlive-latex-base`` and ``texlive-latex-recommended`` and
the Computer Modern Type 1 fonts (OT1 encoding: no bitmap fonts to generate). Every piece of
prose goes through ``text_latex``, which escapes LaTeX's specials and maps the Unicode exam
text uses (×, −, ≈, α, σ, ŷ, w₂, …) to LaTeX, so the output is plain ASCII. Long sums and
products in a step break across lines; tables too wide for the page are set smaller or scaled.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from ..solution import Solution, Step, Table
from ..expr import Expr
from . import labelled, numbered
from .math import expr_latex, expr_text, value_latex
from .numbers import DIGITS, latex_escape, number_latex, plain, shown_exactly
from .symbols import GREEK, GREEK_SCRIPTS, MATH_ACCENTS, MATH_SYMBOLS, SUBSCRIPTS, SUPERSCRIPTS, math_char

if TYPE_CHECKING:
    from ..key import Key

PREAMBLE = r"""\documentclass[11pt,a4paper,fleqn]{article}
\usepackage[margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\usepackage{array}
\usepackage{longtable}
\usepackage{tabularx}
\usepackage{graphicx}
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\setlength{\emergencystretch}{3em}
\allowdisplaybreaks
\setlength{\mathindent}{2.5em}
\makeatletter
\g@addto@macro\normalsize{%
  \setlength{\abovedisplayskip}{4pt plus 2pt}\setlength{\belowdisplayskip}{6pt plus 2pt}%
  \setlength{\abovedisplayshortskip}{2pt plus 2pt}\setlength{\belowdisplayshortskip}{6pt plus 2pt}}
\makeatother
"""

LINE_BUDGET = 62  # characters of maths that fit on one line of an align* beside its left side
TABLE_BUDGET = 92  # characters of table text that fit across the page in \small
LONG_TABLE_ROWS = 35  # more rows than this: a longtable that breaks across pages

# ---------------------------------------------------------------------------------------------
# Prose

_TEXT_SYMBOLS = {
    "’": "'", "‘": "`", "“": "``", "”": "''", "„": ",,", "«": "<<", "»": ">>", "–": "--", "—": "---",
    "…": r"\ldots{}", "•": r"\textbullet{}", "½": r"$\frac12$", "¼": r"$\frac14$", "¾": r"$\frac34$",
    "⅓": r"$\frac13$", "©": r"\copyright{}", "§": r"\S{}", "¶": r"\P{}", "£": r"\pounds{}",
    "€": "EUR", "ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}", "ø": r"\o{}", "Ø": r"\O{}",
    "å": r"\aa{}", "Å": r"\AA{}", "œ": r"\oe{}", "Œ": r"\OE{}", "ł": r"\l{}", "Ł": r"\L{}",
    "ı": r"\i{}", "¿": r"?`", "¡": r"!`", "\u00a0": r"\nobreakspace{}", "\u2009": r"\,", "\u202f": r"\,",
    "\u200b": "", "\ufeff": "",
    # OT1 has no glyphs for these ASCII characters in text: < would print as ¡
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", '"': r"\texttt{\char34}",
}
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0308": '"', "\u0303": "~", "\u0304": "=",
            "\u0307": ".", "\u0306": "u", "\u030c": "v", "\u030b": "H", "\u0327": "c"}
_ASCII_SUBSCRIPT = re.compile(r"([A-Za-z])_([A-Za-z0-9]{1,3})(?![A-Za-z0-9_])")
_SCRIPT_RUN = re.compile("([" + "".join(SUBSCRIPTS) + "]+)|([" + "".join(SUPERSCRIPTS) + "]+)")


def _char_latex(c: str) -> str:
    if c in _LATEX_SAFE:
        return c
    if c in _TEXT_SYMBOLS:
        return _TEXT_SYMBOLS[c]
    if c in GREEK:
        return rf"$\{GREEK[c]}$"
    if c in _MATH_LETTERS:
        return f"${math_char(c)}$"
    if c in MATH_SYMBOLS:
        return f"${MATH_SYMBOLS[c]}$"
    if c in GREEK_SCRIPTS:
        mark, name = GREEK_SCRIPTS[c]
        return ("\\textsuperscript" if mark == "^" else "\\textsubscript") + f"{{$\\{name}$}}"
    if c in "\t\r\f\v":
        return " "
    if unicodedata.category(c).startswith("C"):
        return ""  # control characters would stop TeX
    if c in _ACCENTS:
        return f"\\{_ACCENTS[c]}{{}}"  # a combining mark with no letter before it
    decomposed = unicodedata.normalize("NFD", c)
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and base.isalpha() and len(marks) == 1 and marks in _ACCENTS:
        letter = r"\i" if base == "i" else base
        return f"\\{_ACCENTS[marks]}{{{letter}}}"
    return rf"\texttt{{[U+{ord(c):04X}]}}"  # a character the document cannot show, named honestly


_MATH_LETTERS = set("ŷȳŝẑ")  # symbols in nnsolve's prose: ŷ is \hat{y}, not a y with a circumflex accent
_LATEX_SAFE = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n.,;:!?'()[]/*+-=@`")


def text_latex(text: str, inline: bool = False) -> str:
    """Plain prose (question text, titles, notes) as LaTeX: specials escaped, Unicode mapped.

    With ``inline`` all whitespace becomes single spaces (a title or a table cell cannot hold a
    paragraph break); otherwise blank lines stay paragraph breaks. The result is ASCII.
    """
    if inline:
        text = " ".join(text.split())
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        sub = _ASCII_SUBSCRIPT.match(text, i)
        if sub and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            out.append(f"{sub.group(1)}\\textsubscript{{{sub.group(2)}}}")  # H_out, C_in, w_2 as in maths
            i = sub.end()
            continue
        run = _SCRIPT_RUN.match(text, i)
        if run:
            chars = run.group(0)
            table = SUBSCRIPTS if run.group(1) else SUPERSCRIPTS
            body = latex_escape("".join(table[ch] for ch in chars))
            out.append(("\\textsubscript{" if run.group(1) else "\\textsuperscript{") + body + "}")
            i += len(chars)
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt in MATH_ACCENTS and c.isascii() and c.isalpha():  # x̂, ȳ written with a combining mark
            out.append(f"${MATH_ACCENTS[nxt]}{{{c}}}$")
            i += 2
            continue
        if c in "\\&%$#_{}~^":
            out.append(latex_escape(c))
        elif c == "'" and nxt.isalnum() and (i == 0 or text[i - 1] in " \n([/"):
            out.append("`")  # an opening quote: 'same' as ‘same’, not ’same’
        else:
            out.append(_char_latex(c))
        if (c in "-'`" and nxt == c) or (c in "!?" and nxt == "`"):
            out.append("{}")  # keep -- '' `` ?` as typed, not as TeX's dash, quote or ¿ ligatures
        i += 1
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Maths: steps that break across lines

_SUM = re.compile(r" \+ | - ")
_PRODUCT = re.compile(r" \\cdot ")
_COMMAND = re.compile(r"\\(left|right|text|mathrm|operatorname|tfrac|frac|begin|end|displaystyle)\b|\\[a-zA-Z]+|\\.|[{}]")


def math_width(latex: str) -> int:
    """A rough count of the characters a piece of LaTeX maths shows (for line breaking only)."""
    latex = latex.replace("{,}", ",")
    return len(_COMMAND.sub(lambda m: "" if m.group(1) or m.group(0) in "{}" else "x", latex))


def _top_level_breaks(latex: str, split: re.Pattern = _SUM) -> list[str]:
    """Split maths before each top-level operator ``split`` matches (not inside braces or \\left…\\right)."""
    pieces, start, depth = [], 0, 0
    i = 0
    while i < len(latex):
        if latex.startswith(r"\left", i) and not latex[i + 5:i + 6].isalpha():
            depth += 1
            i += 5
            continue
        if latex.startswith(r"\right", i) and not latex[i + 6:i + 7].isalpha():
            depth -= 1
            i += 6
            continue
        c = latex[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and c == " ":
            m = split.match(latex, i)
            if m and i > start:
                pieces.append(latex[start:i])
                start = i + 1  # the operator starts the next piece
                i = m.end()
                continue
        i += 1
    pieces.append(latex[start:])
    return pieces


_SIZED = re.compile(r"\\(left|right)(?![a-zA-Z])\s*")


def _unsized(latex: str) -> str:
    """``\\left( … \\right)`` as plain ``( … )``, which LaTeX lets span lines of an align*."""
    return _SIZED.sub("", latex)


def _pieces(latex: str, budget: int) -> list[str]:
    """Break points of a long right side: before a top-level + or − first, before a · only if needed,
    and inside a bracket (made unsized) only when the bracket alone is too long for a line."""
    pieces: list[str] = []
    for term in _top_level_breaks(latex, _SUM):
        for piece in (_top_level_breaks(term, _PRODUCT) if math_width(term) > budget else [term]):
            if math_width(piece) > budget and r"\left" in piece:
                # plain brackets may open on one line of an align* and close on another
                pieces.extend(_pieces(_unsized(piece), budget))
            else:
                pieces.append(piece)
    return pieces


def _rhs_lines(latex: str, budget: int) -> list[str]:
    """One right-hand side as one or more lines, each within ``budget`` characters when possible."""
    if math_width(latex) <= budget:
        return [latex]
    pieces = _pieces(latex, budget)
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if current and math_width(current + " " + piece) > budget:
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    lines.append(current)
    return lines


def _value_math(value, scale: bool = True) -> str:
    """A value for a step or an answer; a matrix too wide for the line is scaled down to fit
    (not with ``scale=False``: Markdown's KaTeX and MathJax have no ``\\scalebox``)."""
    latex = value_latex(value)
    if not scale or not _is_matrix(value):
        return latex
    width = max(sum(len(plain(v)) + 2 for v in row) for row in value)
    if width > LINE_BUDGET + 12:
        scale = max(0.45, round((LINE_BUDGET + 12) / width, 2))
        return rf"\scalebox{{{scale}}}{{$\displaystyle {latex}$}}"
    return latex


def step_rows(step: Step, scale: bool = True) -> list[str]:
    """The rows of an aligned step: ``lhs &= formula``, ``&= substitution``, ``&= value``.

    A rounded value gets ``\\approx`` instead of ``=``; a right side wider than the line is
    broken before a top-level ``+``, ``-`` or ``\\cdot`` and continued with an indent.
    """
    sides: list[tuple[str, str, bool]] = []  # relation, right side, may it break across lines
    if step.formula is not None:
        sides.append(("=", expr_latex(step.formula), True))
    if step.substitution is not None:
        sides.append(("=", expr_latex(step.substitution), True))
    if step.value is not None:  # a value (a matrix, a vector) is never broken
        sides.append(("=" if shown_exactly(step.value) else r"\approx", _value_math(step.value, scale), False))
    lhs = expr_latex(step.lhs) if step.lhs is not None else None
    if lhs is None:
        if not sides:
            return []
        (_, first, _), sides = sides[0], sides[1:]
        if not sides:
            return [first]
        lhs = first
    budget = max(24, LINE_BUDGET - math_width(lhs) // 2)
    rows: list[str] = []
    for relation, rhs, breakable in sides:
        lines = _rhs_lines(rhs, budget) if breakable else [rhs]
        rows.append(f"&{relation} {lines[0]}")
        rows.extend(rf"&\qquad {line}" for line in lines[1:])
    rows[0] = f"{lhs} {rows[0]}"
    return rows


def step_latex(step: Step) -> str:
    """A step's maths as the body of an ``align*`` (rows joined by ``\\\\``), or ``""``."""
    return " \\\\\n".join(step_rows(step))


# ---------------------------------------------------------------------------------------------
# Tables


def _cell(c) -> str:
    if c is None:
        return ""
    if isinstance(c, str):
        text = text_latex(c, inline=True)
        return "{}" + text if text.startswith("[") else text  # not read as an option of \\ or a rule
    if isinstance(c, Expr):
        return "$" + expr_latex(c) + "$"
    return "$" + value_latex(c) + "$"


def _cell_width(c) -> int:
    if c is None:
        return 0
    return len(c) if isinstance(c, str) else len(expr_text(c)) if isinstance(c, Expr) else len(plain(c))


LONG_TEXT = 28  # a text column wider than this wraps (tabularx X column) instead of widening the table


def table_latex(table: Table) -> str:
    """A booktabs table that fits the page.

    Text columns are left-aligned, numbers right-aligned. A long text column wraps; a table
    still too wide is set in \\footnotesize, then scaled to the line width; more than
    ``LONG_TABLE_ROWS`` rows make a longtable that breaks across pages and repeats its header.
    """
    ncols = len(table.columns)
    cells = [row[i] if i < len(row) else None for row in table.rows for i in range(ncols)]
    by_column = [cells[i::ncols] for i in range(ncols)] if table.rows else [[] for _ in range(ncols)]
    text_column = [all(c is None or isinstance(c, str) for c in col) for col in by_column]
    widths = [max([len(name)] + [_cell_width(c) for c in col]) for name, col in zip(table.columns, by_column)]
    wrapping = [is_text and width > LONG_TEXT for is_text, width in zip(text_column, widths)]
    width = sum(min(w, LONG_TEXT) if wrap else w for w, wrap in zip(widths, wrapping)) + 3 * ncols
    long = len(table.rows) > LONG_TABLE_ROWS
    fixed = sum(w for w, wrap in zip(widths, wrapping) if not wrap) + 3 * ncols
    share = max(0.2, 0.95 - fixed / TABLE_BUDGET) / max(1, sum(wrapping))  # of the line, per wrapping column
    specs = []
    for i, (is_text, wrap) in enumerate(zip(text_column, wrapping)):
        if wrap:
            specs.append(r">{\raggedright\arraybackslash}" + (f"p{{{share:.2f}\\linewidth}}" if long else "X"))
        else:
            specs.append("l" if is_text or i == 0 else "r")
    cols = "".join(specs)
    head = " & ".join(r"\textbf{" + text_latex(c, inline=True) + "}" for c in table.columns)
    body = "\n".join(" & ".join(_cell(c) for c in row) + r" \\" for row in table.rows)
    title = rf"\textbf{{{text_latex(table.title, inline=True)}}}\par\nopagebreak"
    size = r"\small" if width <= TABLE_BUDGET else r"\footnotesize\setlength{\tabcolsep}{3pt}"
    if long:
        return (f"{title}\n{{{size}\n\\begin{{longtable}}{{{cols}}}\n\\toprule\n{head} \\\\\n\\midrule\n"
                f"\\endhead\n{body}\n\\bottomrule\n\\end{{longtable}}}}")
    if any(wrapping):
        tabular = (f"\\begin{{tabularx}}{{\\linewidth}}{{{cols}}}\n\\toprule\n{head} \\\\\n\\midrule\n{body}\n"
                   "\\bottomrule\n\\end{tabularx}")
    else:
        tabular = (f"\\begin{{tabular}}{{{cols}}}\n\\toprule\n{head} \\\\\n\\midrule\n{body}\n"
                   "\\bottomrule\n\\end{tabular}")
        if width > TABLE_BUDGET * 1.25:
            tabular = f"\\resizebox{{\\linewidth}}{{!}}{{%\n{tabular}}}"
    return f"{title}\n\\begin{{center}}{size}\n{tabular}\n\\end{{center}}"


# ---------------------------------------------------------------------------------------------
# A problem


def _option_latex(option, solution: Solution) -> str:
    """An option as the reader sees it; an option stating several numbers names each by its label."""
    if not isinstance(option, dict):
        return _answer_text(option)
    return "; ".join(f"{text_latex(label, inline=True)} = {_answer_text(v)}" for label, v in labelled(option, solution))


def _answer_text(value) -> str:
    """A value in running text: a label as text, anything else as inline maths."""
    if isinstance(value, str):
        return text_latex(value, inline=True)
    return f"${_value_math(value)}$"


def _boxed_value(value) -> str:
    if isinstance(value, str):
        return r"\text{" + text_latex(value, inline=True) + "}"
    return _value_math(value)


def _list(items: list[str], labels: list[str] | None = None) -> str:
    """A compact itemize (plain LaTeX, so a fragment needs no macros of ours).

    ``\\item{}`` keeps an item that starts with ``[`` from being read as a label; a label is
    braced so that a ``]`` in it cannot end it.
    """
    heads = [f"\\item[{{{label}}}]" for label in labels] if labels else ["\\item{}"] * len(items)
    lines = "\n".join(f"  {head} {item}" for head, item in zip(heads, items))
    return f"\\begin{{itemize}}\\setlength{{\\itemsep}}{{0pt}}\\setlength{{\\parskip}}{{0pt}}\n{lines}\n\\end{{itemize}}"


def _is_matrix(value) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], list)


def _steps_latex(solution: Solution) -> list[str]:
    """Numbered steps, each a title with its maths in the same paragraph (no empty line before it)."""
    out: list[str] = []
    for n, block in numbered(solution.blocks):
        if n is None:
            out.append(table_latex(block))
            continue
        parts = [f"\\smallskip\\textbf{{{n}.}}\\ {text_latex(block.title, inline=True)}"]
        rows = step_rows(block)
        if len(rows) > 1 or (rows and "&" in rows[0]):
            parts.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
        elif rows:
            parts.append(f"\\[\n{rows[0]}\n\\]")
        if block.note:
            parts.append(f"{{\\small\\emph{{{text_latex(block.note, inline=True)}}}}}")
        out.append("\n".join(parts))
    return out


def _answer_latex(solution: Solution) -> str:
    """The boxed answer and the option it matches, on one line when the answer is not a matrix."""
    primary = solution.answers[solution.primary]
    label = text_latex(primary.label, inline=True)
    if primary.reading:
        label += f" ({text_latex(primary.reading, inline=True)})"
    if _is_matrix(primary.value):
        answer = f"{label}:\n\\[\\boxed{{{_boxed_value(primary.value)}}}\\]"
    else:
        relation = "=" if shown_exactly(primary.value) else r"\approx"
        answer = f"{label} ${relation} \\boxed{{{_boxed_value(primary.value)}}}$"
    c = solution.choice
    if c is None:
        return answer
    if c.key is not None:
        option = f"({text_latex(c.key, inline=True)})" + ("" if c.exact else " (partial match)")
    else:
        option = "none of the options matches"
        if c.nearest:
            option += f"; the nearest is ({text_latex(c.nearest, inline=True)})"
    joiner = "\n\n" if _is_matrix(primary.value) else r"\qquad "
    return f"{answer}{joiner}\\textbf{{Option:}} {option}"


def problem_latex(solution: Solution, source: str | None = None, marks=None,
                  heading: str = "section") -> str:
    """One problem: question, options, worked steps and tables, the boxed answer, the option chosen."""
    out: list[str] = []
    title = text_latex(solution.title or solution.topic, inline=True)
    out.append(f"\\{heading}*{{{title}}}")
    where = [f"\\texttt{{{text_latex(source, inline=True)}}}"] if source else []
    if marks is not None:
        where.append(f"\\hfill [{number_latex(marks)} marks]")
    if where:
        out.append(f"{{\\footnotesize {''.join(where)}\\par}}")
    if solution.question:
        paragraphs = [p for p in re.split(r"\n\s*\n", solution.question.strip()) if p.strip()]
        out.append("{\\itshape " + "\\par\n".join(text_latex(p, inline=True) for p in paragraphs) + "\\par}")
    if solution.options:
        chosen = solution.choice.key if solution.choice is not None else None
        items, labels = [], []
        for key, option in solution.options.items():
            mark = r" \quad$\checkmark$" if key == chosen else ""
            labels.append(f"({text_latex(str(key), inline=True)})")
            items.append(f"{_option_latex(option, solution)}{mark}")
        out.append(_list(items, labels))
    out.append(r"\subsubsection*{Worked solution}")
    out.extend(_steps_latex(solution))
    out.append(r"\subsubsection*{Answer}")
    out.append(_answer_latex(solution))
    others = [a for name, a in solution.answers.items() if name != solution.primary]
    if others:
        out.append("Also computed:\n" + _list([
            f"{text_latex(a.label, inline=True)}: {_answer_text(a.value)}"
            + (f" ({text_latex(a.reading, inline=True)})" if a.reading else "") for a in others]))
    for heading_text, items in (("Assumptions", solution.assumptions), ("Warnings", solution.warnings)):
        if items:
            out.append(f"\\paragraph{{{heading_text}}}\n" + _list([text_latex(i, inline=True) for i in items]))
    return "\n\n".join(out) + "\n"


_FOOTER = (rf"{{\footnotesize Inexact values are shown to {DIGITS} significant figures "
           r"($\approx$); exact ones in full.}")


def document(body: str, title: str | None = None) -> str:
    """A complete LaTeX document around ``body``: the one preamble every standalone output shares."""
    head = ""
    if title:
        head = f"\\begin{{center}}{{\\LARGE\\bfseries {text_latex(title, inline=True)}}}\\end{{center}}\n\n"
    return PREAMBLE + "\\begin{document}\n" + head + body + "\n" + _FOOTER + "\n\\end{document}\n"


def render_latex(solution: Solution, standalone: bool = False) -> str:
    """One solution as a fragment (``\\subsection*`` and amsmath), or as a complete document."""
    if standalone:
        return document(problem_latex(solution, heading="section"))
    return problem_latex(solution, heading="subsection")


def _summary(key: "Key") -> str:
    """The key at a glance: one row per problem with its answer and option."""
    rows = []
    for n, entry in enumerate(key.entries, start=1):
        s = entry.solution
        answer = s.answers[s.primary].value
        short = len(plain(answer)) <= 40
        cell = _answer_text(answer) if short else r"\emph{see its page}"
        if s.choice is None:
            option = "--"
        elif s.choice.key is None:
            option = "none"
        else:
            option = f"({text_latex(s.choice.key, inline=True)})" + ("" if s.choice.exact else " partial")
        rows.append((str(n), text_latex(s.title or s.topic, inline=True), cell, option))
    body = "\n".join(" & ".join(r) + r" \\" for r in rows)
    return ("{\\small\n\\begin{longtable}{r>{\\raggedright\\arraybackslash}p{0.55\\linewidth}ll}\n\\toprule\n"
            "& \\textbf{Problem} & \\textbf{Answer} & \\textbf{Option} \\\\\n\\midrule\n\\endhead\n"
            f"{body}\n\\bottomrule\n\\end{{longtable}}}}")


def render_key_latex(key: "Key", title: str = "Answer key") -> str:
    """The answer key of several problems: a summary table, then each problem worked in full."""
    parts = [_summary(key)] if key.entries else []
    if key.left_out:
        parts.append("\\paragraph{Left out} These files could not be solved and are not in this key:\n"
                     + _list([text_latex(item, inline=True) for item in key.left_out]))
    for entry in key.entries:
        parts.append("\\clearpage\n" + problem_latex(entry.solution, source=entry.source, marks=entry.marks))
    return document("\n\n".join(parts), title=title)


__all__ = ["document", "problem_latex", "render_key_latex", "render_latex", "step_latex", "step_rows",
           "table_latex", "text_latex", "math_width"]
