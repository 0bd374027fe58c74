"""LaTeX and Markdown rendering: escaping, line breaking, tables, compiling, and golden files.

Golden files (tests/golden/<id>.tex and .md) pin the rendered seed problems. They are
rewritten only by `make golden` (pytest --update-golden); a plain run only compares.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nnsolve.expr import add, dot, num, sym
from nnsolve.render.latex import (LINE_BUDGET, PREAMBLE, document, math_width, problem_latex, render_latex,
                                  step_rows, table_latex, text_latex)
from nnsolve.render.markdown import md_escape, render_markdown
from nnsolve.solution import Answer, ChoiceMatch, Solution, Step, Table
from tests.conftest import PROBLEMS, ROOT
from tests.helpers import solve_file, solve_yaml, solved

GOLDEN = ROOT / "tests" / "golden"


def pdflatex_or_skip() -> str:
    """pdflatex's path; without it the test is skipped locally but fails in CI (CI=true)."""
    path = shutil.which("pdflatex")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pdflatex is missing in CI: .ci/run must install texlive-latex-base and "
                        "texlive-latex-recommended")
        pytest.skip("pdflatex is not installed (apt-get install --no-install-recommends "
                    "texlive-latex-base texlive-latex-recommended)")
    return path


def compile_latex(tex: str, tmp_path: Path) -> str:
    """Compile a document once and return its log; fail with the first LaTeX error."""
    pdflatex = pdflatex_or_skip()
    (tmp_path / "doc.tex").write_text(tex)
    result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
                            cwd=tmp_path, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    if result.returncode != 0:
        errors = [line for line in log.splitlines() if line.startswith("!")]
        pytest.fail(f"pdflatex failed: {errors[:3]}\n--- document ---\n{tex[:4000]}")
    return log


def overfull(log: str, tolerance_pt: float = 3.0) -> list[str]:
    """Lines of the log reporting boxes that stick out of the page by more than ``tolerance_pt``."""
    return [m.group(0) for m in re.finditer(r"Overfull \\hbox \((\d+\.?\d*)pt too wide\)[^\n]*", log)
            if float(m.group(1)) > tolerance_pt]


# ---------------------------------------------------------------------------------------------
# Escaping prose


@pytest.mark.parametrize("text,latex", [
    ("100%", r"100\%"),
    ("A & B", r"A \& B"),
    ("w_2", r"w\textsubscript{2}"),
    ("H_out·C_in", r"H\textsubscript{out}$\cdot$C\textsubscript{in}"),
    ("conv_output_flipped", r"conv\_output\_flipped"),
    ("x_1000", r"x\_1000"),
    ("#3", r"\#3"),
    ("$5", r"\$5"),
    ("{x}", r"\{x\}"),
    ("a~b", r"a\textasciitilde{}b"),
    ("x^2", r"x\textasciicircum{}2"),
    ("C:\\dir", r"C:\textbackslash{}dir"),
    ("64×64", r"64$\times$64"),
    ("a − b", r"a $-$ b"),
    ("≈ 0.5", r"$\approx$ 0.5"),
    ("α = 0.001", r"$\alpha$ = 0.001"),
    ("σ(z)", r"$\sigma$(z)"),
    ("ŷ", r"$\hat{y}$"),
    ("y\u0302", r"$\hat{y}$"),
    ("w₂", r"w\textsubscript{2}"),
    ("x₁₀", r"x\textsubscript{10}"),
    ("x²", r"x\textsuperscript{2}"),
    ("café", r"caf\'{e}"),
    ("a < b > c | d", r"a \textless{} b \textgreater{} c \textbar{} d"),
    ("a--b", "a-{}-b"),
    ("☃", r"\texttt{[U+2603]}"),
    ("bell\x07", "bell"),
])
def test_text_latex(text, latex):
    assert text_latex(text) == latex


def test_inline_text_has_no_paragraph_breaks():
    assert text_latex("one\n\n two\tthree", inline=True) == "one two three"


def unescaped_specials(latex: str) -> list[str]:
    """Problems a LaTeX prose string could cause: bare specials, unbalanced braces or maths, non-ASCII."""
    problems, depth, in_math, i = [], 0, False, 0
    while i < len(latex):
        c = latex[i]
        if not c.isascii():
            problems.append(f"non-ASCII {c!r}")
        if c == "\\":
            if i + 1 >= len(latex):
                problems.append("a lone backslash at the end")
                break
            if latex[i + 1].isalpha():
                i += 1
                while i < len(latex) and latex[i].isalpha():
                    i += 1
                continue
            accent = latex[i + 1] in "'`^\"~=." and latex[i + 2:i + 3] == "{"
            if latex[i + 1] not in "%&$#_{}, " and not accent and not in_math:
                problems.append(f"odd escape \\{latex[i + 1]}")
            i += 2
            continue
        if c == "$":
            in_math = not in_math
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                problems.append("a } without its {")
        elif c in "%&#~":
            problems.append(f"bare {c}")
        elif c in "_^" and not in_math:
            problems.append(f"bare {c} in text")
        i += 1
    if depth:
        problems.append("unbalanced braces")
    if in_math:
        problems.append("unbalanced $")
    return problems


_PROSE = st.text(alphabet=st.one_of(
    st.sampled_from(list("\\&%$#_{}~^<>|\"'`-!?@ \n\t×−≈·αβσηŷ₀₁₂ᵢ²ⁿ½…–—“”’éüñçßø∂∇⊙√∞≤≥→\u0302\u00a0")),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
), max_size=60)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_PROSE)
def test_any_text_escapes_to_safe_ascii_latex(text):
    for inline in (False, True):
        assert unescaped_specials(text_latex(text, inline=inline)) == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(_PROSE, min_size=6, max_size=6))
@example(["[", "[", "[", "[", "[", "["])  # \item [ and \\ [ would read a label or a length
def test_any_text_compiles_in_every_place_prose_goes(tmp_path, texts):
    question, title, note, cell, option, warning = texts
    solution = Solution(
        topic="test", title=title, question=question,
        answers={"x": Answer(1, note or "x"), "label": Answer(cell, "a label answer", reading=option)},
        primary="x",
        blocks=(Step(title or "step", lhs=sym("x"), value=1, note=note),
                Table(title, (cell, "value"), ((cell, 1), (option, None)))),
        options={"a": option, "b]": 1}, choice=ChoiceMatch(key="b]", exact=True),
        assumptions=(warning,), warnings=(question,))
    compile_latex(document(problem_latex(solution, marks=5)), tmp_path)


def test_markdown_escape_keeps_characters_literal():
    assert md_escape("*a* _b_ $x$ <i> a|b [l](u)") == r"\*a\* \_b\_ \$x\$ \<i\> a\|b \[l\](u)"
    assert md_escape("# heading\n- item\n1. item") == "\\# heading\n\\- item\n1\\. item"


# ---------------------------------------------------------------------------------------------
# Steps and tables that fit the page


def test_step_rows_are_aligned_formula_substitution_value():
    step = Step("dense", lhs=sym("params"), formula=sym("n_in") * sym("n_out") + sym("n_out"),
                substitution=dot(16, 10) + 10, value=170)
    assert step_rows(step) == [r"\mathrm{params} &= n_{\text{in}} n_{\text{out}} + n_{\text{out}}",
                               r"&= 16 \cdot 10 + 10", "&= 170"]


def test_a_rounded_value_is_approximately_equal():
    rows = step_rows(Step("sigmoid", lhs=sym("y_hat"), value=0.8909031788043871))
    assert rows == [r"\hat{y} &\approx 0.89090"]  # five significant figures, trailing zero kept


def test_long_sum_breaks_into_lines_within_the_budget():
    terms = [num(1_117_184 + 13 * i) for i in range(30)]
    rows = step_rows(Step("total", lhs=sym("total"), substitution=add(*terms), value=123))
    assert len(rows) > 4
    assert rows[0].startswith(r"\mathrm{total} &= 1{,}117{,}184 + ")
    assert all(r.startswith(r"&\qquad + ") for r in rows[1:-1])
    assert all(math_width(r) <= LINE_BUDGET + 4 for r in rows[1:])


def test_a_bracket_too_long_for_a_line_breaks_inside_with_plain_brackets():
    inner = add(*[num(1000 + i) for i in range(40)])
    rows = step_rows(Step("t", lhs=sym("y"), substitution=dot(num(2), inner) + 1))
    assert len(rows) > 2
    assert not any(r"\left" in r or r"\right" in r for r in rows)
    assert all(math_width(r) <= LINE_BUDGET + 4 for r in rows)
    short = step_rows(Step("t", lhs=sym("y"), substitution=dot(num(2), add(num(1), num(2)))))
    assert short == [r"y &= 2 \cdot \left(1 + 2\right)"]


def _solution_with(blocks) -> Solution:
    return Solution(topic="test", title="layout", answers={"x": Answer(1, "x")}, primary="x", blocks=blocks)


def test_long_wide_and_matrix_blocks_fit_the_page(tmp_path):
    long_sum = Step("a long sum", lhs=sym("total"),
                    substitution=add(*[num(1_117_184 * (i + 1)) for i in range(40)]), value=1)
    long_product = Step("a long product", lhs=sym("n"), substitution=dot(*[num(123_456 + i) for i in range(25)]))
    matrix = Step("a wide matrix", lhs=sym("Y"), value=[[0.123456789 * (i + j) for j in range(14)] for i in range(3)])
    wide = Table("wide", tuple(f"column number {i}" for i in range(9)),
                 tuple(tuple(["row"] + [123_456_789.123 * i for i in range(8)]) for _ in range(3)))
    long = Table("long", ("iteration", "w", "loss"), tuple((i, 0.5 / (i + 1), 0.25 / (i + 1)) for i in range(80)))
    assert "longtable" in table_latex(long) and "resizebox" in table_latex(wide)
    log = compile_latex(document(problem_latex(_solution_with((long_sum, long_product, matrix, wide, long)))),
                        tmp_path)
    assert overfull(log) == []


# ---------------------------------------------------------------------------------------------
# Every problem in problems/ compiles, and nothing sticks out of the page


def test_key_of_every_problem_compiles_without_overfull_lines(tmp_path):
    from nnsolve.key import build_key
    from nnsolve.render.latex import render_key_latex

    key = build_key([str(PROBLEMS)])
    assert key.left_out == []
    tex = render_key_latex(key)
    log = compile_latex(tex, tmp_path)
    assert overfull(log) == []
    assert missing_characters(log) == []  # pdflatex only logs a glyph it dropped
    assert "[U+" not in tex


def test_paper_of_every_problem_typesets_every_character(tmp_path):
    from nnsolve.documents import paper_entries
    from nnsolve.grade import collect_paths
    from nnsolve.render.latex import page_latex
    from nnsolve.render.page import Header, paper_page

    entries, left_out = paper_entries(collect_paths([str(PROBLEMS)]))
    assert left_out == [] and len(entries) == len(list(PROBLEMS.rglob("*.yaml")))
    tex = page_latex(paper_page(entries, Header("Every problem"), space=2))
    assert "[U+" not in tex
    log = compile_latex(tex, tmp_path)
    assert missing_characters(log) == [] and overfull(log) == []


def test_adam_steps_typeset_every_character(tmp_path):
    solution = solve_yaml("""
        topic: optimizer_steps
        weights: [0.5]
        activation: sigmoid
        samples: [{x: [1], y: 1}]
        optimizer: {type: adam, learning_rate: 0.1}
        iterations: 2
        ask: w1
    """)
    tex = document(problem_latex(solution))
    assert "[U+" not in tex
    assert missing_characters(compile_latex(tex, tmp_path)) == []


def test_standalone_run_shares_the_key_preamble():
    solution = solve_file(PROBLEMS / "seed/s03-cnn-params.yaml")
    standalone = render_latex(solution, standalone=True)
    assert standalone.startswith(PREAMBLE + "\\begin{document}\n")
    assert standalone.rstrip().endswith(r"\end{document}")
    assert "\\documentclass" not in render_latex(solution)


# ---------------------------------------------------------------------------------------------
# Golden files


def _seed_problems() -> list[Path]:
    return sorted((PROBLEMS / "seed").glob("*.yaml"))


def _golden_id(path: Path) -> str:
    return path.name.split("-", 1)[0]


def _solved(path: Path):
    return solved(path)  # once per session (the experiment topic trains models)


@pytest.mark.parametrize("path", _seed_problems(), ids=_golden_id)
@pytest.mark.parametrize("kind", ["tex", "md"])
def test_golden(path, kind, update_golden):
    solution = _solved(path)
    rendered = render_latex(solution) if kind == "tex" else render_markdown(solution)
    golden = GOLDEN / f"{_golden_id(path)}.{kind}"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(rendered)
        return
    assert golden.exists(), f"no golden file {golden.relative_to(ROOT)}: review the output, then run `make golden`"
    assert rendered == golden.read_text(), (
        f"{path.name} renders differently from {golden.relative_to(ROOT)}; if the change is intended, "
        "run `make golden` and review `git diff tests/golden`")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.one_of(st.sampled_from(list("\\`*_[]()<>|$~#+-=!&;.:1 \"'")),
                                  st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))),
               max_size=40))
def test_escaped_markdown_prose_renders_as_the_same_text(text):
    import html

    from markdown_it import MarkdownIt

    expected = " ".join(text.split())
    rendered = MarkdownIt("commonmark").render(md_escape(text, inline=True)).strip()
    if not expected:
        assert rendered == ""
        return
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    body = rendered[3:-4]
    assert "<" not in body, rendered  # no emphasis, links, code or HTML
    assert html.unescape(body) == expected


def test_markdown_maths_uses_only_what_katex_and_github_render():
    wide = [[i * j for j in range(12)] for i in range(3)]
    solution = _solution_with((Step("wide", lhs=sym("Y"), value=wide),
                               Step("tall", lhs=sym("Z"), value=[[0.123456789] * 9] * 2)))
    md = render_markdown(solution)
    assert "scalebox" not in md and "*{" not in md  # graphicx and array's *{n}{c} are not in KaTeX
    assert r"\left[\begin{array}{cccccccccccc}" in md


# ---------------------------------------------------------------------------------------------
# Every character typesets


def _characters_nnsolve_writes() -> set[str]:
    """Every non-ASCII character in a string of nnsolve's own code: what its output may hold."""
    import io
    import tokenize

    found = set()
    for path in (ROOT / "nnsolve").rglob("*.py"):
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if token.type == tokenize.STRING or getattr(tokenize, "FSTRING_MIDDLE", None) == token.type:
                found.update(c for c in token.string if not c.isascii())
    return found - set("\u00a0\u2009\u202f\u200b\ufeff")  # spaces and invisible marks: mapped, not shown


def test_every_character_nnsolve_writes_has_a_mapping_in_prose_and_in_maths():
    from nnsolve.render.symbols import math_latex

    chars = _characters_nnsolve_writes()
    assert len(chars) > 100  # the scan found the Greek, the scripts, the symbols
    assert sorted(c for c in chars if "[U+" in text_latex(c)) == []
    assert sorted(c for c in chars if "[U+" in math_latex(c) or not math_latex(c).isascii()) == []


@pytest.mark.parametrize("name,latex", [
    ("‖w‖²", r"\|w\|^{2}"), ("beta_2", r"\beta_{2}"), ("β₂ᵗ", r"\beta _{2}^{t}"), ("C_in", r"C_{\text{in}}"),
    ("params", r"\mathrm{params}"), ("f(x)", "f(x)"), ("y_hat", r"\hat{y}"), ("W1", r"\mathrm{W1}"),
])
def test_symbols_in_maths_keep_every_character(name, latex):
    from nnsolve.render.math import expr_latex

    assert expr_latex(sym(name)) == latex


def test_opening_quotes_open():
    assert text_latex("padding 'same' or ('valid')") == "padding `same' or (`valid')"
    assert text_latex("it's") == "it's"


def missing_characters(log: str) -> list[str]:
    return re.findall(r"Missing character: There is no .*", log)
