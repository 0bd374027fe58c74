"""The Unicode nnsolve writes, and what it is in LaTeX: in prose (text mode) and in maths.

pdflatex with the Computer Modern fonts (OT1) has no glyph for a Unicode character: every one
that nnsolve or an exam writes (Greek, ‖, ∂, ∇, ≤, ×, sub- and superscript digits and letters)
is mapped here, once, for both modes. ``math_latex`` is the maths mode's translation of a piece
of Unicode text (a symbol's name such as ``‖w‖²`` or ``β₂ᵗ``); ``nnsolve.render.latex``'s
``text_latex`` uses the same tables in prose.
"""

from __future__ import annotations

import unicodedata

SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", "0123456789+-=()aeoxhklmnpstijruv"))
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ",
                        "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW"))
GREEK_SCRIPTS = {"ᵝ": ("^", "beta"), "ᵞ": ("^", "gamma"), "ᵟ": ("^", "delta"), "ᵠ": ("^", "phi"),
                 "ᵡ": ("^", "chi"), "ᵦ": ("_", "beta"), "ᵧ": ("_", "gamma"), "ᵨ": ("_", "rho"),
                 "ᵩ": ("_", "phi"), "ᵪ": ("_", "chi")}
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi",
    "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "varsigma", "τ": "tau", "υ": "upsilon", "φ": "phi",
    "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta",
    "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi",
    "Ω": "Omega", "ϵ": "epsilon", "ϑ": "vartheta", "ϖ": "varpi", "ϱ": "varrho",
}
MATH_SYMBOLS = {
    "×": r"\times", "−": "-", "≈": r"\approx", "·": r"\cdot", "⋅": r"\cdot", "∙": r"\cdot",
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "±": r"\pm", "∓": r"\mp", "÷": r"\div",
    "→": r"\to", "←": r"\leftarrow", "↔": r"\leftrightarrow", "⇒": r"\Rightarrow",
    "⇔": r"\Leftrightarrow", "∈": r"\in", "∉": r"\notin", "∑": r"\sum", "∏": r"\prod",
    "∫": r"\int", "∂": r"\partial", "∇": r"\nabla", "√": r"\surd", "∞": r"\infty",
    "⊙": r"\odot", "⊗": r"\otimes", "∘": r"\circ", "⌊": r"\lfloor", "⌋": r"\rfloor",
    "⌈": r"\lceil", "⌉": r"\rceil", "⟨": r"\langle", "⟩": r"\rangle", "‖": r"\|", "∣": r"\mid",
    "∝": r"\propto", "∼": r"\sim", "≡": r"\equiv", "′": r"'", "″": r"''", "∀": r"\forall",
    "∃": r"\exists", "∅": r"\emptyset", "∩": r"\cap", "∪": r"\cup", "⊂": r"\subset",
    "⊆": r"\subseteq", "∧": r"\wedge", "∨": r"\vee", "¬": r"\neg", "⊤": r"\top", "⊥": r"\perp",
    "°": r"^{\circ}", "✓": r"\checkmark", "✗": r"\times", "ℝ": r"\mathbb{R}", "ℓ": r"\ell",
    "∗": "*", "⁄": "/", "…": r"\ldots", "⋯": r"\cdots", "½": r"\tfrac{1}{2}", "¼": r"\tfrac{1}{4}",
    "¾": r"\tfrac{3}{4}", "⅓": r"\tfrac{1}{3}", "≪": r"\ll", "≫": r"\gg", "↦": r"\mapsto",
    "⊕": r"\oplus", "∆": r"\Delta", "–": "-", "—": "-", "⇐": r"\Leftarrow", "⋆": r"\star",
}
# A letter with a combining mark above: x̂, ȳ, ṽ, ẋ, x⃗ (also written precomposed: ŷ, ȳ, ŝ)
MATH_ACCENTS = {"\u0302": r"\hat", "\u0304": r"\bar", "\u0303": r"\tilde", "\u0307": r"\dot",
                "\u20d7": r"\vec", "\u0305": r"\bar"}


def math_char(c: str) -> str | None:
    """One character as LaTeX maths, or None when it has no mapping (ASCII is itself)."""
    if c.isascii():
        return c
    if c in GREEK:
        return "\\" + GREEK[c] + " "
    if c in MATH_SYMBOLS:
        symbol = MATH_SYMBOLS[c]
        return symbol + " " if symbol[-1].isalpha() else symbol
    if c in SUBSCRIPTS:
        return "_{" + SUBSCRIPTS[c] + "}"
    if c in SUPERSCRIPTS:
        return "^{" + SUPERSCRIPTS[c] + "}"
    if c in GREEK_SCRIPTS:
        mark, name = GREEK_SCRIPTS[c]
        return f"{mark}{{\\{name}}}"
    if c in MATH_ACCENTS:
        return MATH_ACCENTS[c] + "{}"  # a combining mark with no letter before it
    decomposed = unicodedata.normalize("NFD", c)
    if len(decomposed) == 2 and decomposed[0].isascii() and decomposed[1] in MATH_ACCENTS:
        return f"{MATH_ACCENTS[decomposed[1]]}{{{decomposed[0]}}}"
    return None


def _as_text(c: str) -> str:
    """A character maths has no symbol for (an accented letter, a quotation mark), as text."""
    from .latex import text_latex  # which uses these tables

    return r"\text{" + text_latex(c) + "}"


def math_latex(text: str) -> str:
    """Unicode text inside maths as LaTeX maths: ``‖w‖²`` is ``\\|w\\|^{2}``, ``β₂ᵗ`` is
    ``\\beta _{2}^{t}``; runs of scripts are merged (``x₁₀`` is ``x_{10}``). A character with no
    mapping is set as prose sets it (text_latex), so nothing is dropped."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt in MATH_ACCENTS and c.isascii() and c.isalpha():
            out.append(f"{MATH_ACCENTS[nxt]}{{{c}}}")
            i += 2
            continue
        for table, mark in ((SUBSCRIPTS, "_"), (SUPERSCRIPTS, "^")):
            if c in table:
                j = i
                while j < len(text) and text[j] in table:
                    j += 1
                out.append(mark + "{" + "".join(table[ch] for ch in text[i:j]) + "}")
                i = j
                break
        else:
            mapped = math_char(c)
            out.append(mapped if mapped is not None else _as_text(c))
            i += 1
    return "".join(out).rstrip()
