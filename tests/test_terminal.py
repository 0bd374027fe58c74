"""Fitting tables to a terminal: the quick drawing of a table that fits is rich's own, segment by segment."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from nnsolve.render.terminal import Drawn
from nnsolve.render.text import render_text, renderables

from helpers import solve_yaml, solved

ROOT = Path(__file__).resolve().parent.parent
# Problems whose pages hold tables of every kind the text view draws (layers, steps, iterations, points)
EXAMPLES = sorted(str(p) for p in (*ROOT.glob("problems/arch/*.yaml"), *ROOT.glob("problems/network/*.yaml"),
                                   *ROOT.glob("problems/cnn*/*.yaml"), *ROOT.glob("problems/backprop/*.yaml"),
                                   *(ROOT / "problems" / "seed").glob("s0[3789]*.yaml"),
                                   *(ROOT / "problems" / "seed").glob("s1[012]*.yaml")))


def _console(color: bool) -> Console:
    return Console(file=io.StringIO(), width=100, force_terminal=color, color_system="standard" if color else None,
                   highlight=False, soft_wrap=False, emoji=False)


def _tables(solution) -> list[Table]:
    return [item.renderable for item in renderables(solution)
            if isinstance(item, Padding) and isinstance(item.renderable, Table) and item.renderable.box]


@pytest.mark.parametrize("color", [False, True])
def test_quick_drawing_is_riches_own(color):
    console = _console(color)
    drawn = 0
    for path in EXAMPLES:
        for table in _tables(solved(path)):
            quick = Drawn.of(table, console.width)
            if quick is None:
                continue
            drawn += 1
            assert list(console.render(quick)) == list(console.render(table)), path
    assert drawn >= 10  # the examples' tables are drawn the quick way


def test_styled_cells_titles_and_one_row():
    table = Table(title=Text("T"), title_justify="left")
    table.add_column(Text("name"), justify="left")
    table.add_column(Text.assemble(("x", "bold"), "₁"), justify="right")
    table.add_row(Text.assemble(("bold", "bold"), " and plain"), Text("−1.5"))
    for color in (False, True):
        console = _console(color)
        assert list(console.render(Drawn.of(table, 100))) == list(console.render(table))


@pytest.mark.parametrize("why,table", [
    ("a cell of two lines", [("a\nb", "1")]),
    ("a space at the end", [("a ", "1")]),
    ("too wide", [("w" * 120, "1")]),
])
def test_rich_lays_out_what_the_quick_drawing_cannot(why, table):
    rich = Table()
    rich.add_column(Text("a"))
    rich.add_column(Text("b"), justify="right")
    for row in table:
        rich.add_row(*(Text(c) for c in row))
    assert Drawn.of(rich, 100) is None, why


def test_a_thousand_layers_render_as_text_in_time_linear_in_the_layers():
    """A ratio in one run, not a timing: 1,000 layers cost about ten times 100 (a cost that grew
    with the square, as drawing tables cell by cell once did, would be a hundred times)."""
    def cpu(pairs: int) -> tuple[float, str]:
        layers = "".join("  - {type: conv2d, filters: 8, kernel: 3, padding: 1}\n"
                         "  - {type: activation, function: relu}\n" for _ in range(pairs))
        solution = solve_yaml(f"topic: cnn_architecture\ninput: [32, 32, 8]\nask: total_params\nlayers:\n{layers}")
        start = time.process_time()
        out = render_text(solution)
        return time.process_time() - start, out

    cpu(5)  # warm: imports and caches are not the layers' cost
    small = min(cpu(50)[0] for _ in range(3))
    large, out = cpu(500)
    assert large < 25 * small, f"{large:.2f} s for 1,000 layers against {small:.3f} s for 100"
    assert "│ 1000 activation │  32 × 32 × 8 │" in out


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("indent", [0, 4])
def test_a_line_that_fits_is_drawn_as_rich_pads_it(color, indent):
    from nnsolve.render.terminal import Indented

    console = _console(color)
    for text in (Text("w₁ = 0.3 − 0.1 · 0.25 = 0.275"), Text("a note", style="italic"),
                 Text.assemble(("12. ", "bold"), ("Title", "bold"), ": x = 1")):
        padded = Padding(text, (0, 0, 0, indent)) if indent else text
        assert _drawn(console, Indented(text, indent)) == _drawn(console, padded)
    long = Text("word " * 40)  # wider than the console: rich wraps it, as before
    assert _drawn(console, Indented(long, 4)) == _drawn(console, Padding(long, (0, 0, 0, 4)))


def _drawn(console: Console, renderable) -> str:
    with console.capture() as capture:
        console.print(renderable)
    return "\n".join(line.rstrip() for line in capture.get().splitlines())


def test_step_lines_are_not_laid_out_by_rich_one_by_one():
    """A 1,000-layer network's 2,000 step lines fit the width: rich wraps none of them (it wrapped
    each, with a Padding, about 0.3 ms a line); the count of wraps does not grow with the layers."""
    def wraps(layers: int) -> int:
        return _wraps(solve_yaml("topic: cnn_architecture\ninput: [64, 64, 3]\nask: total_params\nlayers: ["
                                 + ", ".join(["{type: conv2d, filters: 8, kernel: 3, padding: 1}"] * layers) + "]"))

    assert wraps(1000) <= wraps(100) + 5


def _wraps(solution) -> int:
    """How many times rich wraps a Text while the solution is rendered as text."""
    original, count = Text.wrap, [0]

    def counted(self, *args, **kwargs):
        count[0] += 1
        return original(self, *args, **kwargs)

    Text.wrap = counted
    try:
        render_text(solution)
    finally:
        Text.wrap = original
    return count[0]


def test_a_network_s_matrices_are_not_laid_out_by_rich_cell_by_cell():
    """Each layer's 8 × 8 matrices (small numbers: they fit the width) are shown in full; rich wraps
    none of their cells (it wrapped every one: a 50-layer network of 16 × 16 layers took seconds)."""
    def wraps(layers: int) -> int:
        dense = "{type: dense, activation: linear, weights: [" + ", ".join(
            "[" + ", ".join(str(int(i == j) - int(i == j + 1)) for j in range(8)) + "]" for i in range(8)) + "], bias: [0]}"
        dense = dense.replace("bias: [0]", "bias: [" + ", ".join(["1"] * 8) + "]")
        return _wraps(solve_yaml("topic: network\norientation: out_in\ninput: [1, 0, 2, 1, 0, 1, 2, 1]\n"
                                 f"layers: [{', '.join([dense] * layers)}]\nloss: {{type: squared_error}}\n"
                                 "target: [0, 0, 0, 0, 0, 0, 0, 0]\noptimizer: {type: gd, learning_rate: 1/1000}\n"))

    per_layer = (wraps(8) - wraps(2)) / 6
    assert per_layer < 8  # a few prose lines that wrap; not 64 and more for each matrix's cells


@pytest.mark.parametrize("color", [False, True])
def test_quick_matrix_grid_is_drawn_as_rich_draws_it(color):
    from nnsolve.render.terminal import Grid

    console = _console(color)
    drawn = 0
    for path in EXAMPLES + [str(ROOT / "problems" / "seed" / "s10-conv-values.yaml")]:
        for item in renderables(solved(path)):
            if isinstance(item, Padding) and isinstance(item.renderable, Table) and item.renderable.box is None:
                quick = Grid.of(item.renderable, console.width)
                if quick is None:
                    continue
                drawn += 1
                assert _drawn(console, quick) == _drawn(console, item.renderable), path
    assert drawn >= 10  # the examples' matrices are drawn the quick way
    wide = Table.grid(padding=(0, 2))
    for _ in range(30):
        wide.add_column(justify="right")
    wide.add_row(*["12345"] * 30)
    assert Grid.of(wide, 100) is None  # too wide: rich (or the row-by-row view) draws it
