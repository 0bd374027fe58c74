"""Papers, keys and HTML: the page model's documents as a teacher hands them out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
from hypothesis import example, HealthCheck, given, settings
from hypothesis import strategies as st

from nnsolve.markup import MarkupError, check_tex, tex_text
from nnsolve.render import Format, render
from nnsolve.solution import Answer, Solution, Step, Table
from nnsolve.expr import sym
from tests.conftest import PROBLEMS, ROOT
from tests.test_cli import nnsolve
from tests.test_latex import compile_latex, missing_characters

SEED = PROBLEMS / "seed"


# ---------------------------------------------------------------------------------------------
# Maths from a file: an allow-list

@pytest.mark.parametrize("tex,latex", [
    (r"\sigma(z)", r"\sigma (z)"), ("x^2", "x^{2}"), (r"\frac12", r"\frac{1}{2}"), (r"\hat y", r"\hat{y}"),
    ("σ(z) ≤ 1", r"\sigma (z) \leq  1"),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"),
])
def test_allowed_maths(tex, latex):
    assert check_tex(tex) == latex


@pytest.mark.parametrize("tex,message", [
    (r"\input{x}", r"\input is not a command nnsolve typesets"),
    ("x^2^3", "a double superscript: use braces"), ("{x", "a { is not closed"), ("x}", "a } without its {"),
    ("%x", "'%' is not allowed in maths"), ("a & b", "& only inside a matrix or aligned environment"),
    (r"\left( x", r"\left without \right"), ("^^5c", "^ cannot be an argument"),
    (r"\begin{verbatim}x\end{verbatim}", "the environment 'verbatim' is not allowed (only Bmatrix, aligned, "
                                         "bmatrix, cases, gathered, matrix, pmatrix, vmatrix)"),
    (r"\text{a\_b}", r"\text{…} holds plain words only, not '\\_'"),
])
def test_refused_maths(tex, message):
    with pytest.raises(MarkupError) as exc:
        check_tex(tex)
    assert str(exc.value) == message


def test_maths_as_terminal_text():
    assert tex_text(r"\sigma(z) = \frac{1}{1 + e^{-z}}") == "σ(z) = 1/(1 + e^(-z))"


_TOKENS = st.sampled_from(["x", "y", "2", "+", "-", "=", "(", ")", "{", "}", "^", "_", " ", r"\frac", r"\sqrt",
                           r"\alpha", r"\left(", r"\right)", r"\hat", r"\text{a b}", "&", r"\\", "'", "σ", "₂",
                           r"\begin{bmatrix}", r"\end{bmatrix}", r"\cdot", "|", r"\|", ","])


@settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_TOKENS, max_size=14).map("".join), min_size=40, max_size=40))
@example(["x'^2", "x''", "x_a'", "'_{x}'", "x'_a^2", "x^2'", "a'b'", "f'(x)"])  # primes are superscripts
def test_whatever_the_allow_list_accepts_compiles(tmp_path_factory, formulas):
    accepted = []
    for tex in formulas:
        try:
            accepted.append(check_tex(tex))
        except MarkupError:
            pass
    if not accepted:
        return
    from nnsolve.render.latex import PREAMBLE

    body = "\n\n".join(f"${tex}$" for tex in accepted)
    compile_latex(PREAMBLE + "\\begin{document}\n" + body + "\n\\end{document}\n", tmp_path_factory.mktemp("tex"))




def test_a_question_with_maths_nnsolve_will_not_typeset_is_refused_at_its_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('topic: conv_cost\nquestion: "Apply $\\\\input{x}$"\ninput: [8, 8, 3]\nout_channels: 4\nkernel: 3\n')
    result = nnsolve("run", str(bad))
    assert (result.returncode, result.stderr) == (2, f"{bad}:2: question: $\\input{{x}}$: \\input is not a command "
                                                     "nnsolve typesets\n")


# ---------------------------------------------------------------------------------------------
# The paper and the key

def test_paper_has_questions_given_data_options_and_marks_but_no_answers(tmp_path):
    out = tmp_path / "exam.md"
    result = nnsolve("paper", str(SEED), "-o", str(out), "--title", "Midterm", "--course", "CS 4375")
    assert (result.returncode, result.stderr) == (0, f"wrote {out}: 14 questions\n")
    md = out.read_text()
    assert md.startswith("# Midterm\n\nCS 4375\n")
    assert "## 10. s10: convolution with padding and bias, then Leaky ReLU \\[10 marks\\]" in md
    assert "Kernel W:" in md and "Worked solution" not in md and "Answer." not in md and "✓" not in md
    assert "problems/seed" not in md  # no internal paths


def test_shuffled_paper_key_and_grade_agree(tmp_path):
    s03 = SEED / "s03-cnn-params.yaml"
    paper = tmp_path / "exam.md"
    key = tmp_path / "key.md"
    assert nnsolve("paper", str(s03), "-o", str(paper), "--shuffle-options", "--seed", "3").returncode == 0
    assert nnsolve("key", str(s03), "-o", str(key), "--shuffle-options", "--seed", "3").returncode == 0
    letter = re.search(r"\*\*Option:\*\* \((\w)\)", key.read_text()).group(1)
    line = next(l for l in paper.read_text().splitlines() if l.startswith(f"- **({letter})**"))
    assert "217{,}850" in line  # the letter the key names is the right answer on the paper
    assert "Options shuffled with seed 3." in paper.read_text()
    plain = nnsolve("key", str(s03), "-o", str(tmp_path / "plain.md")).returncode
    assert plain == 0 and "**Option:** (d)" in (tmp_path / "plain.md").read_text()


def test_compact_key_and_exam_yaml_header(tmp_path):
    for f in ("s03-cnn-params.yaml", "s09-cnn-shapes.yaml"):
        shutil.copy(SEED / f, tmp_path / f)
    (tmp_path / "exam.yaml").write_text("title: Midterm\ncourse: CS 4375\ndate: 3 March\n")
    out = tmp_path / "answers.md"
    result = nnsolve("key", str(tmp_path), "-o", str(out), "--answers-only")
    assert (result.returncode, result.stderr) == (0, f"wrote {out}: 2 problems\n")  # exam.yaml is no problem
    md = out.read_text()
    assert md.startswith("# Midterm: answer key\n\nCS 4375 · 3 March\n")
    assert "| 1 | s03: learnable parameters of a small CNN | 217,850 | (d) | 10 |" in md
    assert "Worked solution" not in md


def test_seed_key_pdf_typesets_every_character(tmp_path):
    # `key --pdf` itself is test_key's; here the .tex is compiled once to keep pdflatex's log
    result = nnsolve("key", str(SEED), "-o", "key.tex", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    tex = (tmp_path / "key.tex").read_text()
    assert "[U+" not in tex and "\\clearpage" not in tex and "problems/seed" not in tex
    log = compile_latex(tex.replace("{key-fig-", "{" + str(tmp_path) + "/key-fig-"), tmp_path)
    assert missing_characters(log) == []


# ---------------------------------------------------------------------------------------------
# Figures in the key: drawn into the PDF and the HTML, or left out with a note

FIGURED = [SEED / "s08-momentum.yaml", SEED / "s10-conv-values.yaml", SEED / "s11-svm-decision.yaml"]
WITHOUT_MATPLOTLIB = ("import sys; sys.modules['matplotlib'] = None; sys.argv[0] = 'nnsolve'\n"
                      "from nnsolve.cli import main\nmain()")


def _coloured_pixels(pdf, tmp_path) -> int:
    """Pixels of the key's pages that are clearly coloured (text and rules are black and grey)."""
    from PIL import Image

    pdftoppm = shutil.which("pdftoppm") or pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    subprocess.run([pdftoppm, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    count = 0
    for page in sorted(tmp_path.glob("page*.png")):
        data = Image.open(page).convert("RGB").tobytes()
        count += sum(1 for i in range(0, len(data), 3) if max(data[i:i + 3]) - min(data[i:i + 3]) > 40)
        page.unlink()
    return count


def test_key_with_figures_compiles_and_its_pages_show_them(tmp_path):
    result = nnsolve("key", *map(str, FIGURED), "-o", "key.tex", "--pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    tex = (tmp_path / "key.tex").read_text()
    assert [line.rsplit("{", 1)[1] for line in tex.splitlines() if "\\includegraphics" in line] == [
        "key-fig-1.pdf}", "key-fig-2.pdf}", "key-fig-3.pdf}"]
    assert all((tmp_path / f"key-fig-{n}.pdf").read_bytes().startswith(b"%PDF") for n in (1, 2, 3))
    drawn = _coloured_pixels(tmp_path / "key.pdf", tmp_path)
    assert drawn > 5000  # the shaded grids, the SVM's regions, the curves

    bare = tmp_path / "bare"
    bare.mkdir()
    result = subprocess.run([sys.executable, "-c", WITHOUT_MATPLOTLIB, "key", *map(str, FIGURED), "-o", "key.pdf"],
                            capture_output=True, text=True, cwd=bare)
    assert result.returncode == 0, result.stderr
    assert _coloured_pixels(bare / "key.pdf", bare) == 0  # the figures were all the colour there was
    assert sorted(p.name for p in bare.iterdir()) == ["key.pdf"]


def test_without_matplotlib_figures_are_left_out_with_a_note(tmp_path):
    for name in ("key.tex", "key.html"):
        result = subprocess.run([sys.executable, "-c", WITHOUT_MATPLOTLIB, "key", str(FIGURED[2]), "-o", name],
                                capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    tex = (tmp_path / "key.tex").read_text()
    assert ("Figure left out (The SVM's decision function f(x) = w$\\cdot$x + b): matplotlib is not installed "
            "(pip install `nnsolve[experiments]').") in tex
    assert "\\includegraphics" not in tex
    html = (tmp_path / "key.html").read_text()
    assert "Figure left out (The SVM&#39;s decision function" in html and "<img" not in html


def test_html_key_embeds_each_figure_as_svg():
    from nnsolve.render.html import page_html
    from nnsolve.render.page import Header, key_page
    from nnsolve.key import build_key

    key = build_key(list(map(str, FIGURED)))
    html = page_html(key_page(key.entries, Header("Key")))
    assert html.count('<img src="data:image/svg+xml;base64,') == 3
    assert "<figcaption>The SVM&#39;s decision function" in html


# ---------------------------------------------------------------------------------------------
# Cheap to render: a 100×100 matrix and a 1,000-row table in every format

def test_large_values_render_quickly():
    matrix = [[(i * 7 + j) % 23 - 11 for j in range(100)] for i in range(100)]
    solution = Solution(topic="test", title="large", answers={"y": Answer(matrix, "Y")}, primary="y",
                        blocks=(Step("a matrix", lhs=sym("Y"), value=matrix),
                                Table("rows", ("i", "value"), tuple((i, i / 7) for i in range(1000)))))
    for fmt in (Format.markdown, Format.latex, Format.html):  # text: 0.35 s per 100×100 matrix (rich), issue 20
        start = time.perf_counter()
        render(solution, fmt)
        assert time.perf_counter() - start < 0.5, fmt


def test_json_start_up_imports_no_document_library():
    code = ("import sys, runpy; sys.argv = ['nnsolve', 'run', sys.argv[1], '-f', 'json'];\n"
            "from nnsolve.cli import main\ntry: main()\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('markdown_it', 'latex2mathml', 'matplotlib', 'mdit_py_plugins') if m in sys.modules),"
            " file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, str(SEED / "s03-cnn-params.yaml")], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.stderr.strip().splitlines()[-1] == "[]"


# ---------------------------------------------------------------------------------------------
# HTML in a real browser

def chromium_or_skip() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing in CI: .ci/run must install it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


def browse(html_path, *args) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="nnsolve-chromium-")
    try:
        return subprocess.run([chromium_or_skip(), "--headless", "--no-sandbox", "--disable-gpu",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                               *args, f"file://{html_path}"], capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_html_key_and_paper_render_in_chromium(tmp_path):
    key = tmp_path / "key.html"
    paper = tmp_path / "exam.html"
    assert nnsolve("key", str(SEED / "s10-conv-values.yaml"), str(SEED / "s11-svm-decision.yaml"),
                   "-o", str(key)).returncode == 0
    assert nnsolve("paper", str(SEED), "-o", str(paper)).returncode == 0
    dom = browse(key, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<math" in dom.stdout and "<mtable" in dom.stdout
    assert "Output after Leaky ReLU" in dom.stdout and "Training points" in dom.stdout
    assert not re.search(r"CONSOLE.*(error|Error)|Uncaught", dom.stderr)
    shot = browse(paper, f"--screenshot={tmp_path / 'exam.png'}", "--window-size=1000,1400")
    assert (tmp_path / "exam.png").read_bytes().startswith(b"\x89PNG"), shot.stderr[-2000:]
    assert "http" not in paper.read_text().replace("http://www.w3.org/1998/Math/MathML", "")  # nothing fetched


@pytest.mark.parametrize("tex,stretched", [
    (r"f\left(x\right)", 0),  # a browser draws a stretched fence wider: f ( x )
    (r"\left(y - \hat{y}\right)^{2}", 0),
    (r"\left(\frac{1}{2}\right)", 2),
    (r"g\left(h\left(\frac{1}{x}\right)\right) + k\left(x\right)", 4),  # around a fraction, however deep
])
def test_html_fences_stretch_only_around_what_is_taller_than_a_line(tex, stretched):
    from nnsolve.render.html import tex_mathml

    mathml = tex_mathml(tex)
    assert mathml.count('stretchy="true"') == stretched
    assert mathml.count("<mo") - mathml.count('stretchy="true"') >= 2 * (tex.count(r"\left") - stretched // 2)


@pytest.mark.parametrize("tex,signs", [
    (r"= -1.969", 1), (r"0 \cdot \left(-1\right) - 2", 1), (r"\left(a\right) - b", 0), ("a - b", 0), ("-x", 0),
])
def test_html_minus_after_an_operator_or_an_opening_bracket_is_a_sign(tex, signs):
    from nnsolve.render.html import tex_mathml

    assert tex_mathml(tex).count('<mo form="prefix">&#x02212;</mo>') == signs  # no space before its number


def test_html_operator_names_are_names_not_spaced_operators():
    from nnsolve.render.html import tex_mathml

    assert tex_mathml(r"\operatorname{f}\left(x\right)").startswith('<mrow><mi mathvariant="normal">f</mi>')


def test_html_aligned_rows_start_at_the_left_of_their_column(tmp_path):
    from nnsolve.render.html import tex_mathml

    mathml = tex_mathml(r"\begin{aligned}z &= a + b \\ &= 2\end{aligned}")
    assert mathml.count('<mtd columnalign="left" class="l">') == 2
    from nnsolve.render.html import STYLE

    assert "mtd.l{text-align:left}" in STYLE and "width:fit-content" in STYLE  # not centred on the page


def test_s11_points_appear_once_and_a_question_without_a_table_still_gets_them(tmp_path):
    import yaml

    s11 = SEED / "s11-svm-decision.yaml"
    out = tmp_path / "s11.md"
    assert nnsolve("paper", str(s11), "-o", str(out)).returncode == 0
    md = out.read_text()
    data = yaml.safe_load(s11.read_text())
    assert md.count("Support Vector") == len(data["points"])  # one row each, in the question's table only
    assert "Training points" not in md and "Bias b" in md
    del data["question"]  # no table in the text: the points are typeset from the spec
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(data, allow_unicode=True))
    md = (tmp_path / "bare.md")
    assert nnsolve("paper", str(bare), "-o", str(md)).returncode == 0
    text = md.read_text()
    assert "Training points" in text and "Test samples" in text
