"""The Python API: nnsolve.load / solve / grade, a Solution's display, and a notebook run end to end."""

from __future__ import annotations

import subprocess
import sys

import pytest

import nnsolve
from nnsolve.errors import SolveError, SpecError
from tests.conftest import PROBLEMS, ROOT

S03 = PROBLEMS / "seed" / "s03-cnn-params.yaml"
CONV_COST = "topic: conv_cost\ninput: [16, 16, 3]\nout_channels: 64\nkernel: 5\nimages: 100\n"


def test_import_nnsolve_is_light():
    code = ("import sys, nnsolve; heavy = {'pydantic', 'yaml', 'rich', 'numpy', 'sympy', 'typer'}; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("source", [str(S03), S03, S03.read_text(encoding="utf-8")], ids=["str", "path", "yaml"])
def test_load_a_path_or_yaml_text_then_solve(source):
    solution = nnsolve.solve(nnsolve.load(source))
    assert (solution.answer, solution.choice.key) == (217850, "d")


def test_load_a_mapping():
    problem = nnsolve.load({"topic": "conv_cost", "input": [16, 16, 3], "out_channels": 64, "kernel": 5,
                            "images": 100, "bias": False})
    solution = nnsolve.solve(problem)
    assert solution.answers["regular_total"].value == 69_120_000
    assert nnsolve.solve(CONV_COST).answer == nnsolve.solve(problem).answer  # the same problem as YAML text


def test_errors_name_the_field_and_for_data_no_line():
    with pytest.raises(SpecError) as info:
        nnsolve.load({"topic": "cnn_architecture", "input": [8, 8, 1],
                      "layers": [{"type": "conv2d", "filters": 0, "kernel": 3}]})
    assert info.value.lines() == ["<data>: layers[0].filters (Layer 1): must be a positive integer"]
    with pytest.raises(SolveError) as info:
        nnsolve.solve("topic: cnn_architecture\ninput: [5, 5, 1]\nlayers:\n  - {type: conv2d, filters: 1, kernel: 7}\n")
    assert str(info.value).startswith("<string>:4: layers[0].kernel (Layer 1): conv2d: the kernel spans 7 pixels")


def test_grade_the_file_s_answer_or_one_given():
    problem = nnsolve.load(S03)
    assert nnsolve.grade(problem).marks == 10  # s03 submits option d
    wrong = nnsolve.grade(problem, {"answer": 216282})
    assert (wrong.marks, wrong.correct) == (0, False)
    assert nnsolve.grade(CONV_COST) is None  # nothing submitted


def test_the_modules_keep_their_names():
    import nnsolve.grade as grading
    from nnsolve.solve import solve as solve_spec

    assert callable(grading.collect_paths) and callable(nnsolve.grade)
    assert solve_spec(nnsolve.load(S03).spec).answer == 217850


def test_a_solution_shows_itself():
    from rich.console import Console

    solution = nnsolve.solve(S03)
    assert "\\boxed{217{,}850}" in solution._repr_markdown_()
    assert solution._repr_latex_().startswith("\\subsection*{s03: learnable parameters of a small CNN}")
    html = solution._repr_html_()  # a part of the notebook's page: no document, no style of its own
    assert html.startswith('<div class="nnsolve"><h2>s03: learnable parameters of a small CNN</h2>')
    assert html.endswith("</div>") and "<html" not in html and "<style" not in html and "<body" not in html
    assert "217,850" in html
    console = Console(width=60, record=True, file=None, color_system=None)
    with console.capture() as captured:
        console.print(solution)
    text = captured.get()
    assert "Answer: Total learnable parameters = 217,850" in text
    assert max(len(line) for line in text.splitlines()) <= 60


def test_a_notebook_runs_the_api(tmp_path):
    """The README's notebook use, executed by a real Jupyter kernel (nbclient and ipykernel)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "import nnsolve",
        f"problem = nnsolve.load({str(S03)!r})\nsolution = nnsolve.solve(problem)\nsolution",
        "nnsolve.grade(problem, {'choice': 'b'}).marks",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    shown = notebook.cells[1].outputs[0]["data"]
    assert "**Answer.** Total learnable parameters $= \\boxed{217{,}850}$" in shown["text/markdown"]
    assert "\\boxed{217{,}850}" in shown["text/latex"]
    assert shown["text/html"].startswith('<div class="nnsolve"><h2>s03: learnable parameters of a small CNN</h2>')
    assert notebook.cells[2].outputs[0]["data"]["text/plain"] == "0"
