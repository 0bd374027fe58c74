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
from . import page as pg
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


_NESTING = re.compile(r"\\left(?![^\W\d_])|\\right(?![^\W\d_])|\\.|[{} ]", re.DOTALL)


def _top_level_breaks(latex: str, split: re.Pattern = _SUM) -> list[str]:
    """Split maths before each top-level operator ``split`` matches (not inside braces or \\left…\\right).

    Only the characters that open, close or may split are visited (a regex scan), not every character."""
    pieces, start, depth, skip_to = [], 0, 0, 0
    for token in _NESTING.finditer(latex):
        i = token.start()
        if i < skip_to:  # inside an operator just split before
            continue
        t = token.group()
        if t == "{" or t == r"\left":
            depth += 1
        elif t == "}" or t == r"\right":
            depth -= 1
        elif t == " " and depth == 0:
            m = split.match(latex, i)
            if m and i > start:
                pieces.append(latex[start:i])
                start = i + 1  # the operator starts the next piece
                skip_to = m.end()
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
    current, width = "", 0  # the line so far and its width, kept as pieces join (not re-measured)
    for piece in pieces:
        piece_width = math_width(piece)
        if current and width + 1 + piece_width > budget:
            lines.append(current)
            current, width = piece, piece_width
        else:
            current, width = (f"{current} {piece}", width + 1 + piece_width) if current else (piece, piece_width)
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
    if isinstance(c, pg.Run):
        return run_latex(c)
    if isinstance(c, str):
        text = text_latex(c, inline=True)
        return "{}" + text if text.startswith("[") else text  # not read as an option of \\ or a rule
    if isinstance(c, Expr):
        return "$" + expr_latex(c) + "$"
    return "$" + value_latex(c) + "$"


def _cell_width(c) -> int:
    if c is None:
        return 0
    if isinstance(c, pg.Run):
        return len(c.plain)
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
    text_column = [all(c is None or isinstance(c, (str, pg.Run)) for c in col) for col in by_column]
    widths = [max([_cell_width(name)] + [_cell_width(c) for c in col]) for name, col in zip(table.columns, by_column)]
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
    head = " & ".join(r"\textbf{" + _cell(c) + "}" for c in table.columns)
    body = "\n".join(" & ".join(_cell(c) for c in row) + r" \\" for row in table.rows)
    title = rf"\textbf{{{text_latex(table.title, inline=True)}}}\par\nopagebreak" if table.title else ""
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
    table = f"\\begin{{center}}{size}\n{tabular}\n\\end{{center}}"
    if not title:
        return table
    # a minipage cannot break: the title never ends a page whose next one starts with its table
    return f"\\par\\noindent\\begin{{minipage}}{{\\linewidth}}\n{title}\n{table}\n\\end{{minipage}}\\par"


# ---------------------------------------------------------------------------------------------
# The page


def run_latex(line: pg.Run) -> str:
    """Inline parts as LaTeX: prose escaped, maths typeset, TeX from a file as checked."""
    from .markdown import maths_latex

    out = []
    for part in line.parts:
        if isinstance(part, str):
            out.append(pg.edges(part, lambda t: text_latex(t, inline=True)))
        elif isinstance(part, (pg.Bold, pg.Emphasis, pg.Code)):
            command = {pg.Bold: "textbf", pg.Emphasis: "emph", pg.Code: "texttt"}[type(part)]
            out.append(pg.edges(part.text, lambda t: rf"\{command}{{{text_latex(t, inline=True)}}}"))
        elif isinstance(part, pg.TeX):
            out.append(rf"$\displaystyle {part.source}$" if part.display else f"${part.source}$")
        else:
            out.append(f"${maths_latex(part, scale=True)}$")
    text = "".join(out)
    return "{}" + text if text.startswith("[") else text  # not read as an option of \\ or \item


def _list(items: list[str], labels: list[str] | None = None, ordered: bool = False) -> str:
    """A compact list (plain LaTeX, so a fragment needs no macros of ours).

    ``\\item{}`` keeps an item that starts with ``[`` from being read as a label; a label is
    braced so that a ``]`` in it cannot end it.
    """
    heads = [f"\\item[{{{label}}}]" for label in labels] if labels else ["\\item{}"] * len(items)
    lines = "\n".join(f"  {head} {item}" for head, item in zip(heads, items))
    kind = "enumerate" if ordered else "itemize"
    return (f"\\begin{{{kind}}}\\setlength{{\\itemsep}}{{0pt}}\\setlength{{\\parskip}}{{0pt}}\n{lines}\n"
            f"\\end{{{kind}}}")


def _is_matrix(value) -> bool:
    return pg.is_matrix(value)


_HEADINGS = ("section", "subsection", "subsubsection", "paragraph")


class _Translator:
    """Blocks as LaTeX. ``top``: the sectioning level of a level-1 heading (0 \\section, 1 \\subsection);
    ``figures``: a callable that writes a figure and returns its file name (None: figures left out)."""

    def __init__(self, top: int = 0, figures=None) -> None:
        self.top = top
        self.figures = figures

    def block(self, block) -> str | None:
        if isinstance(block, pg.Heading):
            kind = _HEADINGS[min(len(_HEADINGS) - 1, self.top + block.level - 1)]
            number = f"{block.number}.\\ " if block.number is not None else ""
            head = f"\\{kind}*{{{number}{run_latex(block.text)}}}"
            if block.marks is not None:
                head += f"\n{{\\footnotesize\\hfill [{number_latex(block.marks)} marks]\\par}}\\nopagebreak"
            return head
        if isinstance(block, pg.Paragraph):
            text = run_latex(block.text)
            style = {"question": "{\\itshape %s\\par}", "note": "{\\small\\emph{%s}}",
                     "small": "{\\footnotesize %s\\par}"}.get(block.style, "%s\\par")
            return style % text
        if isinstance(block, pg.Items):
            items = [run_latex(item) + (r" \quad$\checkmark$" if block.mark == n else "")
                     for n, item in enumerate(block.items)]
            labels = [f"{text_latex(label, inline=True)}" for label in block.labels] or None
            body = _list(items, labels, block.ordered)
            if block.title:
                return f"\\paragraph{{{text_latex(block.title, inline=True)}}}\n" + body
            return body
        if isinstance(block, pg.Display):
            label = run_latex(block.label) + "\n" if block.label is not None else ""
            tex = block.tex if block.tex is not None else _value_math(block.value)
            return f"{label}\\[\n{tex}\n\\]"
        if isinstance(block, pg.StepBlock):
            return self._step(block)
        if isinstance(block, pg.TableBlock):
            return table_latex(block.table)
        if isinstance(block, pg.AnswerBlock):
            return _answer_latex(block)
        if isinstance(block, pg.FigureBlock):
            return self._figure(block.figure)
        if isinstance(block, pg.Space):
            return f"\\vspace*{{{1.6 * block.lines:.1f}em}}"
        if isinstance(block, pg.PageBreak):
            return "\\clearpage"
        if isinstance(block, pg.Rule):
            return "\\bigskip\\hrule\\medskip"
        return None

    def _step(self, block: pg.StepBlock) -> str:
        step = block.step
        head = f"\\smallskip\\textbf{{{block.number}.}}\\ {text_latex(step.title, inline=True)}"
        parts = [head]
        if block.inline:
            from .markdown import inline_step_latex

            parts = [f"{head}: ${inline_step_latex(step)}$\\par"]
        else:
            rows = step_rows(step)
            if len(rows) > 1 or (rows and "&" in rows[0]):
                parts.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
            elif rows:
                parts.append(f"\\[\n{rows[0]}\n\\]")
        if step.note:
            parts.append(f"{{\\small\\emph{{{text_latex(step.note, inline=True)}}}}}" + ("\\par" if block.inline else ""))
        return "\n".join(parts)

    def _figure(self, figure) -> str:
        name = self.figures(figure) if self.figures is not None else None
        if name is None:
            note = f"Figure left out ({figure.title}): matplotlib is not installed (pip install 'nnsolve[experiments]')."
            return f"{{\\small\\emph{{{text_latex(note, inline=True)}}}}}"
        return ("\\begin{center}\n"
                f"\\includegraphics[width=0.9\\linewidth,height=0.4\\textheight,keepaspectratio]{{{name}}}\n"
                "\\end{center}")

    def blocks(self, blocks) -> str:
        return "\n\n".join(text for text in map(self.block, blocks) if text is not None)


def _answer_latex(block: pg.AnswerBlock) -> str:
    """The boxed answer and the option it matches, on one line when the answer is not a matrix."""
    label = text_latex(block.label, inline=True)
    if block.reading:
        label += f" ({text_latex(block.reading, inline=True)})"
    if _is_matrix(block.value):
        answer = f"\\textbf{{Answer.}} {label}:\n\\[\\boxed{{{_boxed_value(block.value)}}}\\]"
    else:
        relation = "=" if shown_exactly(block.value) else r"\approx"
        answer = f"\\textbf{{Answer.}} {label} ${relation} \\boxed{{{_boxed_value(block.value)}}}$"
    if block.option is None:
        return answer
    joiner = "\n\n" if _is_matrix(block.value) else r"\qquad "
    return f"{answer}{joiner}\\textbf{{Option:}} {run_latex(block.option)}"


def _boxed_value(value) -> str:
    if isinstance(value, str):
        return r"\text{" + text_latex(value, inline=True) + "}"
    return _value_math(value)


def header_latex(header: pg.Header) -> str:
    out = f"\\begin{{center}}{{\\LARGE\\bfseries {text_latex(header.title, inline=True)}}}"
    facts = [text_latex(x, inline=True) for x in (header.course, header.date) if x]
    if facts:
        out += "\\\\[4pt]\n{\\large " + r" \quad\textperiodcentered\quad ".join(facts) + "}"
    out += "\\end{center}\n"
    if header.instructions:
        out += "\n" + _Translator().blocks(pg.question_blocks(header.instructions)) + "\n\\medskip\n"
    return out + "\n"


def page_latex(page: pg.Page, standalone: bool = True, figures=None) -> str:
    """A page as a complete document (``standalone``) or as a fragment of ``\\subsection*``s."""
    body = _Translator(top=0 if standalone else 1, figures=figures if page.figures else None).blocks(page.blocks)
    if not standalone:
        return body + "\n"
    head = header_latex(page.header) if page.header is not None else ""
    footer = f"\n\n{{\\footnotesize {text_latex(page.footer, inline=True)}}}" if page.footer else ""
    return PREAMBLE + "\\begin{document}\n" + head + body + footer + "\n\\end{document}\n"


def problem_latex(solution: Solution, marks=None, heading: str = "section") -> str:
    """One problem worked in full, as LaTeX (``heading``: the sectioning command of its title)."""
    blocks = pg.problem_blocks(solution, marks=marks, figures=False)
    return _Translator(top=_HEADINGS.index(heading)).blocks(blocks) + "\n"


def document(body: str, title: str | None = None) -> str:
    """A complete LaTeX document around ``body``: the one preamble every standalone output shares."""
    head = header_latex(pg.Header(title)) if title else ""
    footer = f"{{\\footnotesize {text_latex(pg.FOOTER, inline=True)}}}"
    return PREAMBLE + "\\begin{document}\n" + head + body + "\n\n" + footer + "\n\\end{document}\n"


def render_latex(solution: Solution, standalone: bool = False) -> str:
    """One solution as a fragment (``\\subsection*`` and amsmath), or as a complete document."""
    return page_latex(pg.solution_page(solution, figures=False), standalone=standalone)


def render_key_latex(key: "Key", title: str = "Answer key", header: pg.Header | None = None, figures=None,
                     **options) -> str:
    """The answer key of several problems: a summary table, then each problem worked in full."""
    page = pg.key_page(key.entries, header or pg.Header(title), key.left_out, figures=figures is not None,
                       **options)
    return page_latex(page, figures=figures)


__all__ = ["document", "page_latex", "problem_latex", "render_key_latex", "render_latex", "run_latex", "step_latex",
           "step_rows", "table_latex", "text_latex", "math_width"]
