"""Figures as data, and the one place that draws them (matplotlib, Agg backend).

A solver that has something to show puts ``Figure``s in ``Solution.figures``: curves as x/y
series, labelled points, and functions sampled on a grid (drawn as filled regions and
contour lines). Solvers never import matplotlib; ``write_png`` does, when asked to draw.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Points:
    """A scatter of points; ``classes`` colours them (one colour per distinct class)."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    classes: tuple[int, ...] = ()
    label: str | None = None
    ring: bool = False  # draw hollow rings (e.g. to circle support vectors)


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


@dataclass(frozen=True)
class Figure:
    title: str
    panels: tuple[Panel, ...]
    columns: int = 1


_CLASS_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


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
    from matplotlib.figure import Figure as MplFigure

    written = []
    stem, dot, ext = path.rpartition(".")
    for n, figure in enumerate(figures, start=1):
        target = path if n == 1 else (f"{stem}-{n}.{ext}" if dot else f"{path}-{n}")
        _draw(figure, MplFigure).savefig(target, format="png", dpi=110)
        written.append(target)
    return written


def drawn(figure: Figure, fmt: str = "svg") -> bytes:
    """One figure as the bytes of an SVG, PDF or PNG file. Raises ImportError without matplotlib."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure as MplFigure

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else {}
    _draw(figure, MplFigure).savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    return buffer.getvalue()


def svg(figure: Figure) -> bytes:
    return drawn(figure, "svg")


def _draw(figure: Figure, MplFigure):
    columns = max(1, min(figure.columns, len(figure.panels)))
    rows = -(-len(figure.panels) // columns)
    width = max(5.2 * columns, 9.0)  # room for the title and a legend beside a lone panel
    fig = MplFigure(figsize=(width, 4.2 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, panel in zip(axes.flat, figure.panels):
        _panel(ax, panel)
    for ax in list(axes.flat)[len(figure.panels):]:
        ax.set_visible(False)
    fig.suptitle(figure.title, fontsize=13)
    return fig


def _panel(ax, panel: Panel) -> None:
    import numpy as np

    for grid in panel.grids:
        z = np.array(grid.z, dtype=float)
        if grid.fill:
            ax.contourf(grid.x, grid.y, z - grid.fill_at, levels=[-np.inf, 0, np.inf],
                        colors=["#c6dbef", "#fdd0a2"], alpha=0.6)
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
            label = f"class {cls}" if pts.classes else pts.label
            ax.scatter(xs, ys, s=18, color=_CLASS_COLOURS[colour_index % len(_CLASS_COLOURS)],
                       edgecolors="white", linewidths=0.4, label=label, zorder=2)
    for level in panel.hlines:
        ax.axhline(level, color="grey", linewidth=0.8, zorder=0)
    for series in panel.series:
        ax.plot(series.x, series.y, label=series.label, linestyle="--" if series.dashed else "-",
                linewidth=2.6 if series.emphasis else 1.3, marker="o" if len(series.x) <= 30 else None,
                markersize=3.5)
    if panel.series and all(isinstance(v, int) for s in panel.series for v in s.x) and panel.xscale == "linear":
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xscale(panel.xscale)
    ax.set_yscale(panel.yscale)
    ax.set_title(panel.title, fontsize=11)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    ax.grid(True, alpha=0.3)
    if panel.note:
        ax.text(0.02, 0.02, panel.note, transform=ax.transAxes, fontsize=9, va="bottom",
                bbox=dict(boxstyle="round", facecolor="white", alpha=0.85))
    if len(panel.series) > 5:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    elif any(s.label for s in panel.series) or any(p.label or p.classes for p in panel.points):
        ax.legend(fontsize=8, loc="best")
