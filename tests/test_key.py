"""`nnsolve key`: what goes into the key, exit codes and exact messages, atomic output, --pdf."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from nnsolve.key import build_key, first_latex_error
from tests.conftest import PROBLEMS, ROOT
from tests.test_cli import nnsolve
from tests.test_latex import pdflatex_or_skip

S03 = PROBLEMS / "seed/s03-cnn-params.yaml"
S09 = PROBLEMS / "seed/s09-cnn-shapes.yaml"
BAD = ("topic: cnn_architecture\ninput: [64, 64, 3]\nlayers:\n"
       "  - {type: conv2d, filters: 16, kernel: 7}\n  - type: conv2d\n    filters: 4\n    kernel: 0\n")


@pytest.fixture
def folder(tmp_path):
    """Two good problems in nested folders and one bad one."""
    (tmp_path / "b").mkdir()
    shutil.copy(S03, tmp_path / "b" / "s03.yaml")
    shutil.copy(S09, tmp_path / "a.yml")
    (tmp_path / "b" / "bad.yaml").write_text(BAD)
    (tmp_path / "notes.txt").write_text("not a problem")
    return tmp_path


def test_build_key_searches_folders_recursively_in_sorted_order(folder):
    key = build_key([str(folder)])
    assert [e.source for e in key.entries] == [str(folder / "a.yml"), str(folder / "b" / "s03.yaml")]
    assert key.left_out == [f"{folder / 'b' / 'bad.yaml'}:7: layers[1].kernel (Layer 2): must be a positive integer"]
    assert key.entries[1].marks == 10


def test_tex_key_has_every_problem_and_its_answer(tmp_path):
    out = tmp_path / "key.tex"
    result = nnsolve("key", str(S03), str(S09), "-o", str(out))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", f"wrote {out}: 2 problems\n")
    tex = out.read_text()
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert "s03: learnable parameters of a small CNN" in tex
    assert r"\boxed{217{,}850}" in tex and r"\boxed{784}" in tex
    assert r"\textbf{Option:} (d)" in tex and r"\textbf{Option:} (b)" in tex
    assert r"\item[{(d)}] $217{,}850$ \quad$\checkmark$" in tex
    assert "\\begin{align*}" in tex and "\\toprule" in tex
    assert tex.isascii()


def test_markdown_key(tmp_path):
    out = tmp_path / "key.md"
    result = nnsolve("key", str(S03), "-o", str(out))
    assert result.returncode == 0, result.stderr
    md = out.read_text()
    assert md.startswith("# Answer key\n")
    assert "| 1 | s03: learnable parameters of a small CNN | 217,850 | (d) |" in md
    assert "$$\n\\begin{aligned}\n\\mathrm{params} &= \\left(K K C_{\\text{in}} + 1\\right) F \\\\\n" in md
    assert "**Answer.** Total learnable parameters $= \\boxed{217{,}850}$" in md
    assert md.count("$$") % 2 == 0


def test_a_bad_file_is_reported_left_out_and_exits_1(folder, tmp_path):
    out = tmp_path / "key.tex"
    result = nnsolve("key", str(folder), "-o", str(out))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (f"{folder / 'b' / 'bad.yaml'}:7: layers[1].kernel (Layer 2): must be a positive integer\n"
                             f"wrote {out}: 2 problems; 1 left out\n")
    tex = out.read_text()
    assert r"\paragraph{Left out: these files could not be solved and are not in this key}" in tex
    assert "bad.yaml:7: layers[1].kernel (Layer 2): must be a positive integer" in tex
    assert r"\boxed{217{,}850}" in tex  # the good problems are still there


def test_a_missing_file_is_left_out_like_run_reports_it(tmp_path):
    result = nnsolve("key", str(S03), "no-such-file.yaml", "-o", str(tmp_path / "key.md"))
    assert result.returncode == 1
    assert result.stderr == f"no-such-file.yaml: no such file\nwrote {tmp_path / 'key.md'}: 1 problem; 1 left out\n"


@pytest.mark.parametrize("args,message", [
    (["-o", "key.txt"], "nnsolve: key.txt: an answer key is written as .pdf, .tex (LaTeX), .md (Markdown) or .html\n"),
    (["-o", "key.md", "--pdf"], "nnsolve: --pdf needs a LaTeX key: -o key.tex (or write -o key.pdf)\n"),
])
def test_bad_output_names(tmp_path, args, message):
    result = nnsolve("key", str(S03), *args, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, message)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_without_problems(tmp_path):
    (tmp_path / "empty").mkdir()
    result = nnsolve("key", str(tmp_path / "empty"), "-o", str(tmp_path / "key.tex"))
    assert result.returncode == 2
    assert result.stderr == f"nnsolve: no problem files (*.yaml, *.yml) in {tmp_path / 'empty'}\n"
    assert not (tmp_path / "key.tex").exists()


def test_an_unwritable_output(tmp_path):
    out = tmp_path / "no-such-dir" / "key.tex"
    result = nnsolve("key", str(S03), "-o", str(out))
    assert result.returncode == 2
    assert result.stderr == f"nnsolve: cannot write the key to {out}: No such file or directory\n"


def test_output_is_replaced_atomically_leaving_no_temporary_files(tmp_path):
    out = tmp_path / "key.tex"
    out.write_text("old key")
    assert nnsolve("key", str(S03), "-o", str(out)).returncode == 0
    assert out.read_text().startswith("\\documentclass")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.tex"]


def test_pdf_without_pdflatex_is_a_clear_error(tmp_path):
    empty = tmp_path / "bin"  # a PATH where no pdflatex can be found
    empty.mkdir()
    result = subprocess.run([sys.executable, "-m", "nnsolve", "key", str(S03), "-o", "key.tex", "--pdf"],
                            cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PATH": str(empty), "PYTHONPATH": str(ROOT)})
    assert result.returncode == 3
    assert result.stderr == ("nnsolve: pdflatex not found: install TeX Live (Debian: apt-get install "
                             "--no-install-recommends texlive-latex-base texlive-latex-recommended), "
                             "or leave out --pdf\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "key.tex"]


def test_pdf_of_the_seed_folder(tmp_path):
    pdflatex_or_skip()
    result = nnsolve("key", str(PROBLEMS / "seed"), "-o", "key.tex", "--pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "key.pdf").read_bytes().startswith(b"%PDF")
    names = sorted(p.name for p in tmp_path.iterdir() if "-fig-" not in p.name)  # figures beside the .tex
    assert names == ["key.pdf", "key.tex"]  # the scratch directory is gone


def test_first_latex_error_names_the_line():
    log = "This is pdfTeX\n! Undefined control sequence.\nl.42 \\foo\n          bar\n"
    assert first_latex_error(log) == "Undefined control sequence. (key.tex l.42)"
    assert first_latex_error("no errors here") == "see the pdflatex log (no error line found)"
