"""The page model (nnsolve.render.page) as HTML: one self-contained file, maths as MathML.

``page_html`` writes a whole document (``run --format html``, ``key -o key.html``, ``paper -o
exam.html``): its style inline, figures as data URIs, maths as MathML that browsers draw with
no script and no network. ``blocks_html`` with ``maths="tex"`` writes the same blocks with TeX
between ``\\(`` and ``\\)`` for an LMS's MathJax (nnsolve.export.html uses it).

Every piece of text is escaped; control characters are shown as their code points.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..expr import Expr
from ..numbers import number_text, plain
from . import page as pg
from .safe import UNSAFE

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}  # &apos; is not HTML 4
NO_MATH = "tex2jax_ignore mathjax_ignore"  # the classes MathJax 2 and 3 do not typeset


def safe_text(text: str) -> str:
    """Plain text with control characters (but tab and newline) shown as their code points,
    and carriage returns as newlines: what XML 1.0 can carry and a reader can see."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(f"[U+{ord(c):04X}]" if c not in "\t\n" and _hidden(c) else c for c in text)


def _hidden(c: str) -> bool:
    return unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") or c in "\ufffe\uffff" or bool(UNSAFE.match(c))


def escape(text: str) -> str:
    """Text as HTML (or XML) character data that shows exactly these characters."""
    return "".join(_ENTITIES.get(c, c) for c in safe_text(text))


# ---------------------------------------------------------------------------------------------
# Maths

_MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML"{}>{}</math>'
_COMMA = "<mrow><mo>&#x0002C;</mo></mrow>"  # {,} between thousands: no space around it
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?:e[−+-]?\d+)?|[−≈/×]|[^\d\s]+")


@lru_cache(maxsize=4096)
def _converted(tex: str) -> str:
    """latex2mathml's MathML for a piece of TeX, without its <math> element."""
    from latex2mathml.converter import convert

    body = convert(tex)
    body = body[body.index(">") + 1:body.rindex("</math>")]
    body = _NAMED.sub(r'<mi mathvariant="normal">\1</mi>', body.replace(_COMMA, '<mo lspace="0" rspace="0">,</mo>'))
    return _signs(_fitted_fences(body))


_NAMED = re.compile(r"<mo>([A-Za-z][A-Za-z0-9]*)</mo>")  # \operatorname{f}: a name, not spaced as an operator


_SIGN = re.compile(r'(<mo(?: [^>]*)?>([^<]*)</mo>)<mo>&#x02212;</mo>')
_CLOSING = {"&#x00029;", "&#x0005D;", "&#x0007D;", ")", "]", "}", "&#x0007C;", "|"}


def _signs(body: str) -> str:
    """A minus right after an operator or an opening bracket (= −1.969, (−1)) is a sign, not a
    subtraction: as a prefix it gets no space between it and its number."""
    def sign(m: re.Match) -> str:
        if m.group(2) in _CLOSING and 'form="prefix"' not in m.group(1):
            return m.group(0)
        return m.group(1) + '<mo form="prefix">&#x02212;</mo>'

    return _SIGN.sub(sign, body) if "&#x02212;" in body else body


_STRETCHED = re.compile(r'<mo stretchy="true" fence="true" form="(prefix|postfix)">')
_TALL = re.compile(r"<(mfrac|mtable|msqrt|mroot|munderover|munder)[ >]")


def _fitted_fences(body: str) -> str:
    """``\\left( … \\right)`` around nothing taller than a line as plain brackets: a browser
    stretches a fence to a larger glyph even around f(x), which then reads f ( x )."""
    if 'stretchy="true"' not in body:
        return body
    out, stack, last = [], [], 0  # stack: (index in out of an opening fence, tall content seen)
    for m in _STRETCHED.finditer(body):
        out.append(body[last:m.start()])
        if stack and _TALL.search(out[-1]):
            stack[-1][1] = True
        if m.group(1) == "prefix":
            out.append(m.group(0))
            stack.append([len(out) - 1, False])
        elif stack:
            opening, tall = stack.pop()
            if tall:
                out.append(m.group(0))
                if stack:
                    stack[-1][1] = True
            else:
                out[opening] = '<mo stretchy="false" form="prefix">'
                out.append('<mo stretchy="false" form="postfix">')
        else:
            out.append(m.group(0))
        last = m.end()
    out.append(body[last:])
    return "".join(out)


def tex_mathml(tex: str) -> str:
    """TeX (nnsolve's own, or a file's after nnsolve.markup checked it) as MathML content.

    An ``aligned`` body (rows joined by ``\\\\``, each ``left & right``) becomes a two-column
    table, as latex2mathml does not align; its right column starts at the left by the class
    ``l`` (Chromium ignores ``columnalign`` and centres a cell)."""
    if tex.startswith(r"\begin{aligned}"):
        rows = tex[len(r"\begin{aligned}"):-len(r"\end{aligned}")].split(r" \\ ")
        cells = []
        for row in rows:
            left, _, right = row.partition("&")
            cells.append(f'<mtr><mtd columnalign="right">{_mathml_or_text(left)}</mtd>'
                         f'<mtd columnalign="left" class="l">{_mathml_or_text(right)}</mtd></mtr>')
        return f'<mtable columnspacing="0.2em" rowspacing="0.4em">{"".join(cells)}</mtable>'
    return _mathml_or_text(tex)


def _mathml_or_text(tex: str) -> str:
    try:
        return _converted(tex.strip())
    except Exception:  # latex2mathml cannot read it: show the TeX as it is  # noqa: BLE001
        return f"<mtext>{escape(tex)}</mtext>"


def value_mathml(value) -> str:
    """A number, vector or matrix as MathML, built directly (a 100×100 matrix in milliseconds)."""
    from .math import too_large, value_latex

    if too_large(value):  # named by its shape, as in every other format
        return tex_mathml(value_latex(value))
    if pg.is_matrix(value):
        rows = "".join("<mtr>" + "".join(f"<mtd>{_number_mathml(v)}</mtd>" for v in row) + "</mtr>"
                       for row in value)
        return f'<mrow><mo>[</mo><mtable columnalign="right">{rows}</mtable><mo>]</mo></mrow>'
    if isinstance(value, tuple):
        return '<mo>×</mo>'.join(_number_mathml(v) for v in value)
    if isinstance(value, list):
        return ('<mrow><mo stretchy="false">(</mo>' + "<mo>,</mo>".join(_number_mathml(v) for v in value)
                + '<mo stretchy="false">)</mo></mrow>')
    return _number_mathml(value)


def _number_mathml(value) -> str:
    if isinstance(value, str):
        return f"<mtext>{escape(value)}</mtext>"
    if isinstance(value, (list, tuple)):
        return value_mathml(value)
    out = []
    for token in _NUMBER.findall(number_text(value, unicode_minus=True)):
        out.append(f"<mo>{token}</mo>" if token in "−≈/×" else f"<mn>{escape(token)}</mn>" if token[0].isdigit()
                   else f"<mi>{escape(token)}</mi>")
    return "".join(out) if len(out) == 1 else "<mrow>" + "".join(out) + "</mrow>"


class _Maths:
    """How maths is written: MathML (``mathml``) or TeX for MathJax (``tex``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def tex(self, tex: str, display: bool = False) -> str:
        if self.kind == "tex":
            return (r"\[" + escape(tex) + r"\]") if display else (r"\(" + escape(tex) + r"\)")
        body = tex_mathml(tex)
        for relation in ("&#x0003D;", "&#x02248;"):  # "= 3" after a label's word: the word's space is enough
            body = re.sub(rf"^((?:<mrow>)*)<mo>{relation}</mo>", rf'\1<mo lspace="0">{relation}</mo>', body)
        return _MATH.format(' display="block"' if display else "", body)

    def value(self, value, relation: str | None = None, boxed: bool = False, display: bool = False) -> str:
        if self.kind == "tex":
            from .markdown import maths_latex

            return self.tex(maths_latex(pg.Maths(value, relation=relation, boxed=boxed)), display)
        body = value_mathml(value)
        if boxed:
            body = f'<mrow class="boxed">{body}</mrow>'  # a border: Chromium draws no <menclose>
        if relation:
            body = f'<mo lspace="0">{relation}</mo>{body}'
        return _MATH.format(' display="block"' if display else "", f"<mrow>{body}</mrow>")

    def part(self, part: pg.Maths) -> str:
        if part.expr is not None:
            from .markdown import maths_latex

            return self.tex(maths_latex(part))
        if isinstance(part.value, str):
            return escape(part.value)
        if self.kind == "tex" and not isinstance(part.value, (list, tuple)) and not part.boxed and not part.relation:
            return escape(number_text(part.value))  # an LMS shows a number as text; MathJax only for shapes
        return self.value(part.value, part.relation, part.boxed)


# ---------------------------------------------------------------------------------------------
# Blocks


def run_html(line: pg.Run, maths: _Maths) -> str:
    out = []
    for part in line.parts:
        if isinstance(part, str):
            out.append(escape(part))
        elif isinstance(part, pg.Bold):
            out.append(f"<strong>{escape(part.text)}</strong>")
        elif isinstance(part, pg.Emphasis):
            out.append(f"<em>{escape(part.text)}</em>")
        elif isinstance(part, pg.Code):
            out.append(f"<code>{escape(part.text)}</code>")
        elif isinstance(part, pg.TeX):
            out.append(maths.tex(part.source, part.display))
        else:
            out.append(maths.part(part))
    html = "".join(out)
    if maths.kind == "tex" and any(isinstance(p, str) and ("\\" in p or "$" in p) for p in line.parts):
        return f'<span class="{NO_MATH}">{html}</span>'  # a file's backslashes and dollars stay text
    return html


def _cell(c, maths: _Maths) -> str:
    if c is None:
        return ""
    if isinstance(c, pg.Run):
        return run_html(c, maths)
    if isinstance(c, str):
        return run_html(pg.run(c), maths)
    if isinstance(c, Expr):
        from .math import expr_latex

        return maths.tex(expr_latex(c))
    return escape(plain(c)) if maths.kind == "tex" else maths.value(c)


def table_html(table, maths: _Maths) -> str:
    title = f"<caption>{escape(table.title)}</caption>" if table.title else ""
    head = "".join(f"<th>{_cell(c, maths)}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(f'<td{"" if isinstance(c, (str, pg.Run)) or c is None else " class=num"}>'
                                    f"{_cell(c, maths)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f'<table border="1">{title}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _step(block: pg.StepBlock, maths: _Maths) -> str:
    from .latex import step_rows
    from .markdown import inline_step_latex

    step = block.step
    head = f"<strong>{block.number}.</strong> {escape(step.title)}"
    note = f'<br><em class="note">{escape(step.note)}</em>' if step.note else ""
    if block.inline:
        return f'<p class="step">{head}: {maths.tex(inline_step_latex(step))}{note}</p>'
    rows = step_rows(step, scale=False)
    body = ""
    if pg.is_matrix(step.value) and len(rows) == 1:
        body = maths.value(step.value, display=True) if step.lhs is None and step.formula is None else ""
    if not body and rows:
        tex = rows[0] if len(rows) == 1 and "&" not in rows[0] else \
            "\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}"
        body = maths.tex(tex, display=maths.kind != "tex")
    joiner = "<br>" if maths.kind == "tex" else ""
    return f'<div class="step"><p>{head}</p>{joiner}{body}{note}</div>'


def _answer(block: pg.AnswerBlock, maths: _Maths) -> str:
    label = escape(block.label) + (f" ({escape(block.reading)})" if block.reading else "")
    if isinstance(block.value, str):
        answer = f"{label}: <strong>{escape(block.value)}</strong>"
    else:
        answer = f"{label} " + maths.value(block.value, pg.relation(block.value), boxed=True,
                                           display=pg.is_matrix(block.value) and maths.kind != "tex")
    option = f' <span class="option"><strong>Option:</strong> {run_html(block.option, maths)}</span>' \
        if block.option is not None else ""
    return f'<p class="answer"><strong>Answer.</strong> {answer}{option}</p>'


def block_html(block, maths: _Maths, figures: bool = True) -> str:
    if isinstance(block, pg.Heading):
        level = min(6, block.level + 1)
        number = f"{block.number}. " if block.number is not None else ""
        marks = f' <span class="marks">[{escape(plain(block.marks))} marks]</span>' if block.marks is not None else ""
        return f"<h{level}>{number}{run_html(block.text, maths)}{marks}</h{level}>"
    if isinstance(block, pg.Paragraph):
        css = f' class="{block.style}"' if block.style else ""
        return f"<p{css}>{run_html(block.text, maths)}</p>"
    if isinstance(block, pg.Items):
        tag = "ol" if block.ordered else "ul"
        items = []
        for n, item in enumerate(block.items):
            label = f'<span class="label">{escape(block.labels[n])}</span> ' if block.labels else ""
            tick = ' <span class="tick">✓</span>' if block.mark == n else ""
            items.append(f"<li>{label}{run_html(item, maths)}{tick}</li>")
        classes = " ".join(c for c in ("options" if block.labels else "", block.style) if c)
        title = f"<p><strong>{escape(block.title)}</strong></p>" if block.title else ""
        return f'{title}<{tag}{f" class={chr(34)}{classes}{chr(34)}" if classes else ""}>{"".join(items)}</{tag}>'
    if isinstance(block, pg.Display):
        label = f"<p>{run_html(block.label, maths)}</p>" if block.label is not None else ""
        body = maths.tex(block.tex, display=True) if block.tex is not None else maths.value(block.value, display=True)
        return f'<div class="given">{label}{body}</div>'
    if isinstance(block, pg.StepBlock):
        return _step(block, maths)
    if isinstance(block, pg.TableBlock):
        return table_html(block.table, maths)
    if isinstance(block, pg.AnswerBlock):
        return _answer(block, maths)
    if isinstance(block, pg.FigureBlock):
        return figure_html(block.figure) if figures else ""
    if isinstance(block, pg.Space):
        return f'<div class="space" style="height:{1.6 * block.lines:.1f}em"></div>'
    if isinstance(block, pg.PageBreak):
        return '<hr class="page">'
    if isinstance(block, pg.Rule):
        return "<hr>"
    return ""


def blocks_html(blocks, maths: str = "mathml", figures: bool = True) -> str:
    how = _Maths(maths)
    return "".join(block_html(b, how, figures) for b in blocks)


def figure_html(figure) -> str:
    """A figure as an SVG image inside the page (a data URI), or a note when matplotlib is missing."""
    from ..plot import svg

    try:
        data = svg(figure)
    except ImportError:
        return (f'<p class="note">Figure left out ({escape(figure.title)}): matplotlib is not installed '
                "(pip install 'nnsolve[experiments]').</p>")
    import base64

    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    return f'<figure><img src="{uri}" alt="{escape(figure.title)}"><figcaption>{escape(figure.title)}</figcaption></figure>'


STYLE = """
body{font-family:Georgia,'DejaVu Serif',serif;max-width:52em;margin:2em auto;padding:0 1em;line-height:1.45;color:#111}
h1{text-align:center;margin-bottom:.2em}.facts{text-align:center;color:#444;margin-top:0}
h2{border-bottom:1px solid #ccc;padding-bottom:.15em;margin-top:1.6em}h3{margin-bottom:.3em}
.question{font-style:italic}.marks{float:right;font-size:.8em;font-weight:normal;color:#444}
table{border-collapse:collapse;margin:.6em 0;display:block;width:max-content;max-width:100%;overflow-x:auto}
td,th{border:1px solid #bbb;padding:.2em .5em}
td.num{text-align:right}caption{text-align:left;font-weight:bold;padding:.2em 0;white-space:nowrap}
.options{list-style:none;padding-left:1em}.label{font-weight:bold}.tick{color:#070;font-weight:bold}
.step p{margin:.5em 0 .1em}.note{color:#444;font-size:.92em}.answer{margin-top:1em}
.warning li{color:#840}.small{font-size:.8em;color:#555}figure{text-align:center;margin:1em 0}
figure img{max-width:100%}.space{border:1px dashed #ccc;margin:.5em 0}
math[display=block]{margin:.4em 0 .4em 1.5em;width:fit-content;max-width:calc(100% - 1.5em);overflow-x:auto;
overflow-y:hidden}
mtd.l{text-align:left}mrow.boxed{border:1px solid #111;padding:.15em .35em}.option{margin-left:1.2em}
hr.page{break-after:page;border:0}
@media print{hr.page{margin:0}body{margin:0 auto}}
"""


def page_html(page: pg.Page, maths: str = "mathml") -> str:
    """A whole HTML document for a page: self-contained (style inline, figures as data URIs)."""
    title = page.header.title if page.header is not None else next(
        (b.text.plain for b in page.blocks if isinstance(b, pg.Heading)), "nnsolve")
    head = ""
    if page.header is not None:
        h = page.header
        head = f"<h1>{escape(h.title)}</h1>"
        facts = " · ".join(escape(x) for x in (h.course, h.date) if x)
        if facts:
            head += f'<p class="facts">{facts}</p>'
        if h.instructions:
            head += blocks_html(pg.question_blocks(h.instructions), maths)
    body = blocks_html(page.blocks, maths, page.figures)
    footer = f'<p class="small">{escape(page.footer)}</p>' if page.footer else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"{head}{body}{footer}\n</body>\n</html>\n")


def render_html(solution) -> str:
    return page_html(pg.solution_page(solution))


def fragment_html(solution) -> str:
    """The solution as a part of someone else's page (a Jupyter cell): its blocks, with no
    document around them and no style that would restyle the page."""
    return f'<div class="nnsolve">{blocks_html(pg.solution_page(solution).blocks)}</div>'

