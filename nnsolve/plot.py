"""Figures as data, and the one place that draws them (matplotlib, Agg backend).

A solver that has something to show puts ``Figure``s in ``Solution.figures``: curves as x/y
series, labelled points, functions sampled on a grid (drawn as filled regions and contour
lines) and matrices as shaded cells with their values written in. Solvers never import
matplotlib; ``write_png``, ``drawn`` and ``svg`` do, when asked to draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import SolveError


@dataclass(frozen=True)
class Series:
    """A curve: ``y`` against ``x``. ``emphasis`` draws it thicker (e.g. the arms the options name)."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    dashed: bool = False
    emphasis: bool = False
    dots: bool = True  # a dot at each of a few points (an iteration); False for a plain line
    colour: str | None = None


@dataclass(frozen=True)
class Points:
    """A scatter of points; ``classes`` colours them (one colour per distinct class)."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    classes: tuple[int, ...] = ()
    label: str | None = None
    ring: bool = False  # draw hollow rings (e.g. to circle support vectors)
    marker: str = "o"  # "x" for points to classify


@dataclass(frozen=True)
class Grid:
    """A function sampled on a grid: ``z[i][j]`` at (``x[j]``, ``y[i]``).

    ``fill`` shades the sign of ``z - fill_at`` (two classes); ``levels`` draws contour lines,
    solid at the first level and dashed at the others (a boundary and its margins).
    """

    x: tuple[float, ...]
    y: tuple[float, ...]
    z: tuple[tuple[float, ...], ...]
    levels: tuple[float, ...] = (0.0,)
    fill: bool = False
    fill_at: float = 0.0


@dataclass(frozen=True)
class Cells:
    """A matrix as a grid of cells shaded by value, each with its value written in (exact values
    stay exact: 3/2, not 1.5). ``box`` outlines a window and ``inner`` a region, each as
    (first row, first column, rows, columns): the first output's window, the unpadded input."""

    values: tuple[tuple[object, ...], ...]
    box: tuple[int, int, int, int] | None = None
    inner: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Panel:
    title: str
    xlabel: str = ""
    ylabel: str = ""
    series: tuple[Series, ...] = ()
    points: tuple[Points, ...] = ()
    grids: tuple[Grid, ...] = ()
    xscale: str = "linear"  # or "log", "symlog"
    yscale: str = "linear"
    hlines: tuple[float, ...] = ()  # reference levels, drawn thin and grey
    note: str | None = None  # a short text in the panel's corner
    cells: Cells | None = None  # a matrix instead of axes
    equal: bool = False  # one unit as long on both axes (a margin is seen at right angles)


@dataclass(frozen=True)
class Figure:
    title: str
    panels: tuple[Panel, ...]
    columns: int = 1


_CLASS_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")
WRITTEN_CELLS = 12  # a matrix wider or taller than this is shaded without its values written in


def coordinate(value) -> float:
    """A number as a float to draw; one beyond a float's range as ±inf (drawn off the axes)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def line_across(w: tuple, rhs, box: tuple[float, float, float, float]):
    """Where the line w₁x + w₂y = rhs crosses the box (x_lo, x_hi, y_lo, y_hi): its two ends, or None."""
    w1, w2, rhs = (float(v) for v in (*w, rhs))
    x_lo, x_hi, y_lo, y_hi = box
    ends = []
    if w2 != 0:
        ends += [(x, (rhs - w1 * x) / w2) for x in (x_lo, x_hi)]
    if w1 != 0:
        ends += [((rhs - w2 * y) / w1, y) for y in (y_lo, y_hi)]
    slack = 1e-9 * max(1.0, x_hi - x_lo, y_hi - y_lo)
    inside = sorted({(x, y) for x, y in ends
                     if x_lo - slack <= x <= x_hi + slack and y_lo - slack <= y <= y_hi + slack})
    if len(inside) < 2 or inside[0] == inside[-1]:
        return None
    return inside[0], inside[-1]


def iterations_figure(title: str, parameters: dict[str, list], loss_label: str, loss: list, loss_title: str,
                      loss_start: int = 0, what: str = "Parameters") -> Figure:
    """What an optimizer does: each parameter after each iteration (0: its start value) and the
    loss per iteration (the first at ``loss_start``), side by side."""
    def series(label, values, start):
        return Series(label, tuple(range(start, start + len(values))), tuple(coordinate(v) for v in values))

    return Figure(title, (
        Panel(f"{what} after each iteration (0: the start)", "iteration t", "value",
              series=tuple(series(name, values, 0) for name, values in parameters.items())),
        Panel(loss_title, "iteration t", loss_label, series=(series(loss_label, loss, loss_start),)),
    ), columns=2)


def write_png(figures: tuple[Figure, ...], path: str) -> list[str]:
    """Draw every figure; the first goes to ``path``, the next to ``path`` with ``-2``, ``-3`` … added.

    Returns the files written. Needs matplotlib (the ``experiments`` extra).
    """
    if not figures:
        raise SolveError("this problem's solution has no figure to plot")
    try:
        import matplotlib
    except ImportError:
        raise SolveError("--plot needs matplotlib: pip install 'nnsolve[experiments]'") from None
    matplotlib.use("Agg")
    import io

    from matplotlib.figure import Figure as MplFigure

    from .files import write_atomically

    written = []
    stem, dot, ext = path.rpartition(".")
    for n, figure in enumerate(figures, start=1):
        target = path if n == 1 else (f"{stem}-{n}.{ext}" if dot else f"{path}-{n}")
        png = io.BytesIO()
        _draw(figure, MplFigure).savefig(png, format="png", dpi=110)
        write_atomically(target, png.getvalue())  # a folder or a device is refused (nnsolve.files)
        written.append(target)
    return written


def drawn(figure: Figure, fmt: str = "svg") -> bytes:
    """One figure as the bytes of an SVG, PDF or PNG file. Raises ImportError without matplotlib."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import io

    from matplotlib.figure import Figure as MplFigure

    from .files import write_atomically

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else {}
    _draw(figure, MplFigure).savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    return buffer.getvalue()


def svg(figure: Figure) -> bytes:
    return drawn(figure, "svg")


def _draw(figure: Figure, MplFigure):
    columns = max(1, min(figure.columns, len(figure.panels)))
    rows = -(-len(figure.panels) // columns)
    if all(p.cells is not None for p in figure.panels):  # square grids of numbers
        size = (max(3.4 * columns, 6.5), 3.5 * rows)
    else:  # room for the title and a legend beside a lone panel (a square one needs less)
        size = (max(5.2 * columns, 7.5 if all(p.equal for p in figure.panels) else 9.0), 4.2 * rows)
    fig = MplFigure(figsize=size, layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, panel in zip(axes.flat, figure.panels):
        _panel(ax, panel)
    for ax in list(axes.flat)[len(figure.panels):]:
        ax.set_visible(False)
    fig.suptitle(figure.title, fontsize=13)
    return fig


def _panel(ax, panel: Panel) -> None:
    import numpy as np

    if panel.cells is not None:
        _cells(ax, panel.cells)
        ax.set_title(panel.title, fontsize=11)
        return
    for grid in panel.grids:
        z = np.array(grid.z, dtype=float)
        if grid.fill:
            ax.contourf(grid.x, grid.y, z - grid.fill_at, levels=[-np.inf, 0, np.inf],
                        colors=["#c6dbef", "#fdd0a2"], alpha=0.6)
        if not grid.levels:
            continue
        styles = ["solid"] + ["dashed"] * (len(grid.levels) - 1)
        order = sorted(range(len(grid.levels)), key=lambda i: grid.levels[i])
        ax.contour(grid.x, grid.y, z, levels=[grid.levels[i] for i in order],
                   colors="black", linestyles=[styles[i] for i in order], linewidths=1.4)
    for pts in panel.points:
        if pts.ring:
            ax.scatter(pts.x, pts.y, s=120, facecolors="none", edgecolors="black", linewidths=1.2,
                       label=pts.label, zorder=3)
            continue
        classes = pts.classes or (0,) * len(pts.x)
        for colour_index, cls in enumerate(sorted(set(classes))):
            xs = [x for x, c in zip(pts.x, classes) if c == cls]
            ys = [y for y, c in zip(pts.y, classes) if c == cls]
            label = (f"{pts.label}: class {cls}" if pts.label else f"class {cls}") if pts.classes else pts.label
            colour = _CLASS_COLOURS[colour_index % len(_CLASS_COLOURS)] if pts.classes else "black"
            if pts.marker == "o":
                ax.scatter(xs, ys, s=18 if len(pts.x) > 30 else 36, color=colour, edgecolors="white",
                           linewidths=0.4, label=label, zorder=2)
            else:
                ax.scatter(xs, ys, s=60, color=colour, marker=pts.marker, linewidths=2, label=label, zorder=4)
    for level in panel.hlines:
        ax.axhline(level, color="grey", linewidth=0.8, zorder=0)
    for series in panel.series:
        ax.plot(series.x, series.y, label=series.label, linestyle="--" if series.dashed else "-",
                linewidth=2.6 if series.emphasis else 1.3,
                marker="o" if series.dots and len(series.x) <= 30 else None, markersize=3.5, color=series.colour)
    ax.set_xscale(panel.xscale)
    ax.set_yscale(panel.yscale)
    if panel.series and all(isinstance(v, int) for s in panel.series for v in s.x) and panel.xscale == "linear":
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # after set_xscale, which resets it
    ax.set_title(panel.title, fontsize=11)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    ax.grid(True, alpha=0.3)
    if panel.equal:
        ax.set_aspect("equal", adjustable="box")
    if panel.note:
        ax.text(0.02, 0.02, panel.note, transform=ax.transAxes, fontsize=9, va="bottom",
                bbox=dict(boxstyle="round", facecolor="white", alpha=0.85))
    if len(panel.series) > 5 or (panel.equal and (panel.series or panel.points)):
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    elif any(s.label for s in panel.series) or any(p.label or p.classes for p in panel.points):
        ax.legend(fontsize=8, loc="best")


def _cells(ax, cells: Cells) -> None:
    """A matrix: cells shaded from the smallest value (white) to the largest (blue), values written in."""
    import numpy as np
    from matplotlib.patches import Rectangle

    from .numbers import number_text

    z = np.array([[coordinate(v) for v in row] for row in cells.values], dtype=float)
    rows, columns = z.shape
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    ax.imshow(z, cmap="Blues", vmin=lo - 0.15 * (hi - lo or 1), vmax=hi + 0.35 * (hi - lo or 1),
              extent=(-0.5, columns - 0.5, rows - 0.5, -0.5))
    if rows <= WRITTEN_CELLS and columns <= WRITTEN_CELLS:
        size = 10 if max(rows, columns) <= 6 else 8
        for i, row in enumerate(cells.values):
            for j, value in enumerate(row):
                ax.text(j, i, number_text(value, unicode_minus=True, approx=False), ha="center", va="center", fontsize=size,
                        color="white" if z[i, j] > lo + 0.75 * (hi - lo) and hi > lo else "black")
    ax.set_xticks(np.arange(columns + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#888", linewidth=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    for region, style in ((cells.inner, dict(edgecolor="#555", linestyle="--", linewidth=1.2)),
                          (cells.box, dict(edgecolor="tab:red", linewidth=2.4))):
        if region is not None:
            top, left, height, width = region
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, zorder=3, **style))
