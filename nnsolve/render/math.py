"""Expressions (nnsolve.expr) as plain text and as LaTeX."""

from __future__ import annotations

from fractions import Fraction

from ..expr import Call, Expr, Index, Num, Op, Partial, Raw, Sum, Sym, Vector
from ..numbers import is_number, list_separator
from .numbers import exact_decimal, latex_escape, number_latex, number_text, plain
from .symbols import math_latex

_SUBSCRIPT = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ",
    "phi": "φ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "nabla": "∇", "partial": "∂",
}
_HATS = {"hat": ("\u0302", r"\hat"), "bar": ("\u0304", r"\bar")}

_PREC = {"=": 0, "+": 1, "-": 1, "*": 2, "dot": 2, "/": 2, "neg": 3, "^": 4}


def _split(name: str) -> tuple[str, str | None]:
    base, _, sub = name.partition("_")
    return base, (sub or None)


def _sym_text(name: str) -> str:
    base, sub = _split(name)
    for word, (mark, _) in _HATS.items():
        if sub == word:
            return _GREEK.get(base, base) + mark
    base = _GREEK.get(base, base)
    if sub is None:
        return base
    sub = _GREEK.get(sub, sub)
    translated = sub.translate(_SUBSCRIPT)
    if all(c in "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ" for c in translated):
        return base + translated
    return f"{base}_{sub}"


def _sym_latex(s: Sym) -> str:
    base, sub = _split(s.name)
    if sub in _HATS:
        return f"{_HATS[sub][1]}{{{_greek_latex(base)}}}"
    base_tex = _greek_latex(base)
    if sub is None:
        return base_tex
    plain_word = sub.isascii() and sub.isalnum() and not (sub in _GREEK or len(sub) == 1 or sub.isdigit())
    sub_tex = rf"\text{{{sub}}}" if plain_word else _greek_latex(sub)
    return f"{base_tex}_{{{sub_tex}}}"


_MATH_SPECIAL = {"#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "~": r"\sim ", "_": r"\_", "^": r"\hat{}",
                 "\\": r"\backslash ", "{": r"\{", "}": r"\}"}


def _greek_latex(word: str) -> str:
    """A symbol's name in maths: a Greek letter's name as the letter, a plain word upright
    (\\mathrm), anything else (‖w‖², f(x), β₂ᵗ) character by character as maths."""
    if word in _GREEK:
        return "\\" + word
    if word.isascii() and word.isalnum() and len(word) > 1 and not word.isdigit():
        return rf"\mathrm{{{word}}}"
    return math_latex("".join(_MATH_SPECIAL.get(c, c) for c in word))


def _prec(e: Expr) -> int:
    if isinstance(e, Op):
        return _PREC[e.op]
    if isinstance(e, Sum):
        return _PREC["*"]  # Σᵢ wᵢxᵢ + b: the sum binds like a product
    if isinstance(e, Num) and is_number(e.value) and e.value < 0:
        return 1  # a negative number is bracketed inside a product: 0.25 · (−0.2)
    return 9


def _paren(text: str, latex: bool) -> str:
    return rf"\left({text}\right)" if latex else f"({text})"


_FN_TEXT = {"sigma": "σ", "floor": "⌊⌋", "ceil": "⌈⌉", "abs": "||", "sqrt": "√"}
_FN_LATEX = {"sigma": r"\sigma", "max": r"\max", "min": r"\min", "exp": r"\exp", "tanh": r"\tanh",
             "ln": r"\ln", "log": r"\log"}


def _call(e: Call, latex: bool) -> str:
    args = ", ".join(_render(a, latex) for a in e.args)
    if e.fn in ("floor", "ceil", "abs"):
        if latex:
            left, right = {"floor": (r"\lfloor", r"\rfloor"), "ceil": (r"\lceil", r"\rceil"),
                           "abs": ("|", "|")}[e.fn]
            return rf"\left{left} {args} \right{right}"
        left, right = _FN_TEXT[e.fn]
        return f"{left}{args}{right}"
    if e.fn == "sqrt":
        return rf"\sqrt{{{args}}}" if latex else f"√({args})"
    if e.fn == "transpose":  # Wᵀ; a compound argument is bracketed
        inner = args if isinstance(e.args[0], (Sym, Num)) else _paren(args, latex)
        return rf"{inner}^\top" if latex else f"{inner}ᵀ"
    fn, prime = (e.fn[:-1], "′") if e.fn.endswith("′") else (e.fn, "")  # f′, sigma′: a derivative
    if latex:
        name = _FN_LATEX.get(fn, rf"\operatorname{{{latex_escape(fn)}}}")
        return name + ("'" if prime else "") + rf"\left({args}\right)"
    return f"{_FN_TEXT.get(fn, fn)}{prime}({args})"


def _list_text(value, approx: bool, separator: str | None = None) -> str:
    """A vector or a matrix's rows as text, with proper minus signs: [4/15, −2/15]; semicolons part
    the values when one has thousands separators ([576; 1,296])."""
    if isinstance(value, (list, tuple)):
        separator = separator or list_separator(list(value))
        return "[" + separator.join(_list_text(v, approx, separator) for v in value) + "]"
    return number_text(value, unicode_minus=True, approx=approx) if is_number(value) else str(value)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _is_fraction_text(e: Expr) -> bool:
    """A number that text shows as a/b, which needs brackets next to a product or a power."""
    return (isinstance(e, Num) and isinstance(e.value, Fraction) and e.value.denominator != 1
            and exact_decimal(e.value) is None)


def _num(value, latex: bool, approx: bool = True) -> str:
    if too_large(value):  # a 104 × 104 weight matrix inside a substitution
        return _summary_latex(value, approx) if latex else _summary_text(value, approx)
    if isinstance(value, list) and value and isinstance(value[0], list):
        if latex:
            rows = r" \\ ".join(" & ".join(number_latex(v, approx) for v in row) for row in value)
            columns = max(len(row) for row in value)
            if columns > 10:  # amsmath's bmatrix stops at 10 columns (MaxMatrixCols)
                return rf"\left[\begin{{array}}{{{'c' * columns}}} {rows} \end{{array}}\right]"
            return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"
        return _list_text(value, approx)
    if isinstance(value, (list, tuple)):
        if latex:
            sep = r" \times " if isinstance(value, tuple) else ", "
            body = sep.join(number_latex(v, approx) for v in value)
            return body if isinstance(value, tuple) else rf"\left({body}\right)"
        return plain(value) if isinstance(value, tuple) else _list_text(value, approx)
    return number_latex(value, approx) if latex else number_text(value, unicode_minus=True, approx=approx)


def _render(e: Expr, latex: bool) -> str:
    if isinstance(e, Sym):
        return _sym_latex(e) if latex else _sym_text(e.name)
    if isinstance(e, Num):
        return _num(e.value, latex, approx=False)  # inside a formula 2/45 stays 2/45, no "≈ 0.044444"
    if isinstance(e, Raw):
        return e.latex if latex else e.text
    if isinstance(e, Index):
        cell = ", ".join(str(i) for i in e.indices)
        return f"{_render(e.base, latex)}[{cell}]"
    if isinstance(e, Sum):
        body = _render(e.body, latex)
        if _prec(e.body) <= _PREC["+"]:
            body = _paren(body, latex)
        if latex:
            return rf"\sum_{{{latex_escape(e.over)}}} {body}"
        return f"Σ{e.over.translate(_SUBSCRIPT)} {body}"
    if isinstance(e, Partial):
        return _partial(e, latex)
    if isinstance(e, Vector):
        return _paren(", ".join(_render(a, latex) for a in e.items), latex)
    if isinstance(e, Call):
        return _call(e, latex)
    if isinstance(e, Op):
        p = _PREC[e.op]
        if e.op == "neg":
            inner = _render(e.args[0], latex)
            return ("-" if latex else "−") + (_paren(inner, latex) if _prec(e.args[0]) <= p else inner)
        if e.op == "/" and latex:
            return rf"\frac{{{_render(e.args[0], True)}}}{{{_render(e.args[1], True)}}}"
        if e.op == "^":
            base = _render(e.args[0], latex)
            if _prec(e.args[0]) <= p or isinstance(e.args[0], Call) or (not latex and _is_fraction_text(e.args[0])):
                base = _paren(base, latex)
            exp = _render(e.args[1], latex)
            if latex:
                return f"{base}^{{{exp}}}"
            power = e.args[1]
            if isinstance(power, Num) and isinstance(power.value, int) and 0 <= power.value <= 9:
                return base + exp.translate(_SUPERSCRIPT)  # x², not x^2
            return f"{base}^{exp if _prec(power) > p else _paren(exp, False)}"
        parts = []
        for i, a in enumerate(e.args):
            text = _render(a, latex)
            # left-associative: the right operand of - and / needs brackets at equal precedence
            needs = _prec(a) < p or (i > 0 and _prec(a) == p and e.op in ("-", "/"))
            if e.op in ("+", "-") and i > 0 and _prec(a) == 1 and isinstance(a, Num):
                needs = True
            if not latex and e.op in ("*", "dot", "/") and _is_fraction_text(a):
                needs = True  # (2/45) · [4, 4], (4/15)x₁
            if not latex and e.op in ("*", "dot") and isinstance(a, Op) and a.op == "/":
                needs = True  # K·K·(Cᵢₙ / g): a quotient inside a product is bracketed
            parts.append(_paren(text, latex) if needs else text)
        return _join(e.op, e.args, parts, latex)
    raise TypeError(f"cannot render {e!r}")


def _partial(e: Partial, latex: bool) -> str:
    """∂f/∂x; ∂²f/∂x∂y, and ∂²f/∂x² when both variables are the same."""
    def part(x: Expr) -> str:
        text = _render(x, latex)
        return text if latex or isinstance(x, (Sym, Index)) else _paren(text, False)

    top, bottom = part(e.top), part(e.bottom)
    if e.then is None:
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}" if latex else f"∂{top}/∂{bottom}"
    if e.then == e.bottom:
        if not latex:
            return f"∂²{top}/∂{bottom}²"
        base = f"{{{bottom}}}" if "_" in bottom or "^" in bottom else bottom  # {x_{1}}^{2}, not x_{1}^{2}: x₁ squared
        return rf"\frac{{\partial^{{2}} {top}}}{{\partial {base}^{{2}}}}"
    then = part(e.then)
    if latex:
        return rf"\frac{{\partial^{{2}} {top}}}{{\partial {bottom} \, \partial {then}}}"
    return f"∂²{top}/∂{bottom}∂{then}"


def _join(op: str, args: tuple[Expr, ...], parts: list[str], latex: bool) -> str:
    if op in ("+", "-", "="):
        sym = {"+": "+", "-": "-" if latex else "−", "=": "="}[op]
        out = parts[0]
        for part in parts[1:]:
            out += f" {sym} {part}"
        return out
    if op == "/":
        return " / ".join(parts)
    if op == "dot":
        return (r" \cdot " if latex else " · ").join(parts)
    # "*": juxtapose symbols in LaTeX (w_1 x_1), an explicit dot next to numbers
    out = parts[0]
    for prev, arg, part in zip(args, args[1:], parts[1:]):
        juxtapose = isinstance(arg, (Sym, Call)) or (isinstance(arg, Op) and arg.op == "^")
        if latex:
            out += (" " if juxtapose else r" \cdot ") + part
        else:
            out += ("" if isinstance(prev, Num) and isinstance(arg, Sym) else "·" if juxtapose else " · ") + part
    return out


def expr_text(e: Expr) -> str:
    return _render(e, latex=False)


def expr_latex(e: Expr) -> str:
    return _render(e, latex=True)


SHOWN_CELLS = 400  # a vector, matrix or tensor with more numbers is shown by its shape (JSON holds them all)


def too_large(value) -> bool:
    """True for a list whose numbers are too many to show (a 100×100 convolution output)."""
    if not isinstance(value, list):
        return False
    count, level = 0, [value]
    while level:
        item = level.pop()
        if isinstance(item, list):
            level.extend(item)
        else:
            count += 1
            if count > SHOWN_CELLS:
                return True
    return False


def _shape(value) -> str:
    dims = []
    while isinstance(value, list) and value:
        dims.append(len(value))
        value = value[0]
    return " × ".join(str(d) for d in dims)


SUMMARY_CELLS = 3  # the first numbers a too-large tensor inside a formula shows, beside its shape


def _first_cells(value) -> list:
    out, level = [], [value]
    while level and len(out) < SUMMARY_CELLS:
        item = level.pop()
        if isinstance(item, list):
            level.extend(reversed(item))
        else:
            out.append(item)
    return out


def _summary_text(value, approx: bool) -> str:
    """A tensor too large to show, inside a formula: its shape and its first numbers."""
    first = ", ".join(number_text(v, unicode_minus=True, approx=approx) for v in _first_cells(value))
    return f"({_shape(value)} values: {first}, …)"


def _summary_latex(value, approx: bool) -> str:
    shape = r" \times ".join(_shape(value).split(" × "))
    first = ", ".join(number_latex(v, approx) for v in _first_cells(value))
    return rf"\left({shape} \text{{ values: }} {first}, \ldots\right)"


def value_text(value) -> str:
    if too_large(value):
        return f"({_shape(value)} values: too many to show; --format json gives every one)"
    return _num(value, latex=False)


def value_latex(value) -> str:
    if too_large(value):  # × as maths between the words: latex2mathml (HTML) reads no $…$ inside \text
        shape = r" } \times \text{ ".join(_shape(value).split(" × "))
        return rf"\text{{({shape} values: too many to show here)}}"
    return _num(value, latex=True)


