"""A solution as a LaTeX fragment (amsmath), or as a standalone document with ``standalone=True``."""

from __future__ import annotations

from ..solution import Solution, Step, Table
from .math import expr_latex, value_latex
from .numbers import DIGITS, latex_escape, number_latex

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage[margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\usepackage{array}
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
"""

_UNICODE = {"−": "-", "×": r"$\times$", "≈": r"$\approx$", "·": r"$\cdot$", "½": r"$\tfrac12$",
            "α": r"$\alpha$", "η": r"$\eta$", "σ": r"$\sigma$", "ŷ": r"$\hat y$", "≥": r"$\geq$",
            "≤": r"$\leq$", "→": r"$\to$", "⟨": r"$\langle$", "⟩": r"$\rangle$", "‖": r"$\|$",
            "Σ": r"$\Sigma$", "∂": r"$\partial$", "√": r"$\surd$", "²": r"\textsuperscript{2}",
            "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "ᵢ": r"\textsubscript{i}", "₁": r"\textsubscript{1}",
            "₂": r"\textsubscript{2}", "₀": r"\textsubscript{0}", "✓": r"$\checkmark$", "’": "'",
            "“": "``", "”": "''", "–": "--", "—": "---", "…": r"\ldots{}", "•": r"\textbullet{}"}


def text_latex(text: str) -> str:
    """Plain prose (question text, notes, warnings) as LaTeX: specials escaped, common symbols mapped."""
    out = latex_escape(text)
    return "".join(_UNICODE.get(c, c if ord(c) < 128 else "?") for c in out)


def _value(value) -> str:
    return value_latex(value)


def step_latex(step: Step) -> str:
    parts = []
    if step.lhs is not None:
        parts.append(expr_latex(step.lhs))
    if step.formula is not None:
        parts.append(expr_latex(step.formula))
    if step.substitution is not None:
        parts.append(expr_latex(step.substitution))
    if step.value is not None:
        parts.append(_value(step.value))
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return parts[0] + " &= " + r" \\ &= ".join(parts[1:])


def table_latex(table: Table) -> str:
    cols = "l" + "r" * (len(table.columns) - 1)
    head = " & ".join(r"\textbf{" + text_latex(c) + "}" for c in table.columns)
    rows = []
    for row in table.rows:
        cells = []
        for c in row:
            if c is None:
                cells.append("")
            elif isinstance(c, str):
                cells.append(text_latex(c))
            else:
                cells.append("$" + _value(c) + "$")
        rows.append(" & ".join(cells) + r" \\")
    body = "\n".join(rows)
    return (f"\\paragraph{{{text_latex(table.title)}}}\n\\begin{{center}}\\small\n"
            f"\\begin{{tabular}}{{{cols}}}\n\\toprule\n{head} \\\\\n\\midrule\n{body}\n\\bottomrule\n"
            "\\end{tabular}\n\\end{center}")


def render_latex(solution: Solution, standalone: bool = False) -> str:
    out: list[str] = []
    out.append(f"\\subsection*{{{text_latex(solution.title or solution.topic)}}}")
    if solution.question:
        out.append(text_latex(solution.question.strip()))
    if solution.options:
        items = []
        for key, option in solution.options.items():
            if isinstance(option, dict):
                desc = "; ".join(f"{text_latex(str(k))} $= {_value(v)}$" for k, v in option.items())
            else:
                desc = f"${_value(option)}$" if not isinstance(option, str) else text_latex(option)
            items.append(f"  \\item[({text_latex(key)})] {desc}")
        out.append("\\begin{itemize}\n" + "\n".join(items) + "\n\\end{itemize}")
    for n, block in enumerate(solution.blocks, start=1):
        if isinstance(block, Table):
            out.append(table_latex(block))
            continue
        out.append(f"\\paragraph{{{text_latex(block.title)}}}")
        body = step_latex(block)
        if body:
            env = "align*" if "&=" in body else "equation*"
            out.append(f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}")
        if block.note:
            out.append(f"\\emph{{{text_latex(block.note)}}}")
    primary = solution.answers[solution.primary]
    out.append(f"\\paragraph{{Answer}} {text_latex(primary.label)}:\n\\[\\boxed{{{_value(primary.value)}}}\\]")
    others = [a for n, a in solution.answers.items() if n != solution.primary]
    if others:
        lines = [f"  \\item {text_latex(a.label)}: ${_value(a.value)}$"
                 + (f" ({text_latex(a.reading)})" if a.reading else "") for a in others]
        out.append("\\begin{itemize}\n" + "\n".join(lines) + "\n\\end{itemize}")
    if solution.choice is not None:
        c = solution.choice
        if c.key is not None:
            out.append(f"\\textbf{{Option:}} ({text_latex(c.key)})" + ("" if c.exact else " (partial match)"))
        else:
            out.append(r"\textbf{Option:} none of the options matches.")
    for heading, items in (("Assumptions", solution.assumptions), ("Warnings", solution.warnings)):
        if items:
            lines = "\n".join(f"  \\item {text_latex(i)}" for i in items)
            out.append(f"\\paragraph{{{heading}}}\n\\begin{{itemize}}\n{lines}\n\\end{{itemize}}")
    out.append(f"{{\\footnotesize Inexact values are shown to {DIGITS} significant figures; exact ones in full.}}")
    fragment = "\n\n".join(out) + "\n"
    if standalone:
        return PREAMBLE + "\\begin{document}\n" + fragment + "\\end{document}\n"
    return fragment


__all__ = ["render_latex", "step_latex", "table_latex", "text_latex", "number_latex"]
