"""Fitting rich tables to the terminal's width: wrapped at spaces, or one row after another.

A table that fits is drawn as it is. One that does not is drawn narrower with its cells
wrapped at spaces, as long as every column can still hold its longest word; otherwise each
row is written as a short block, ``column: value`` a line. A name or a number in a cell is
never split in the middle.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text


def fit(console: Console, table: Table, width: int) -> RenderableType:
    """``table`` as drawn within ``width`` columns without splitting a word."""
    options = console.options.update(width=10_000)
    measure = Measurement.get(console, options, table)
    if measure.maximum <= width:
        return table
    spans = [_span(console, options, column) for column in table.columns]
    room = width - (measure.maximum - sum(high for _, high in spans))  # less borders and padding
    if sum(low for low, _ in spans) > room:
        return vertical(table)
    # Every column gets its longest word, and the room left is shared in proportion to what
    # each column would take more: rich's own shrinking could cut a column below its longest word.
    spare = room - sum(low for low, _ in spans)
    wants = [high - low for low, high in spans]  # their sum exceeds the spare room: the table is too wide
    widths = [low + spare * want // sum(wants) for (low, _), want in zip(spans, wants)]
    for i, (_, high) in enumerate(spans):  # what the rounding down left over
        widths[i] += max(min(room - sum(widths), high - widths[i]), 0)
    for column, column_width in zip(table.columns, widths):
        column.width = column_width
        column.overflow = "fold"  # only a word longer than its column would fold: none is
    return table


def _span(console: Console, options, column) -> tuple[int, int]:
    """The narrowest and widest a column's content can be (its longest word; its longest line)."""
    low = high = 0
    for cell in (column.header, *column.cells):
        cell = cell if not isinstance(cell, str) else Text(cell)
        m = Measurement.get(console, options, cell)
        low, high = max(low, m.minimum), max(high, m.maximum)
    return low, high


def vertical(table: Table) -> RenderableType:
    """The rows of ``table`` one after another: the first cell as a heading, then ``column: value``."""
    headers = [str(column.header) for column in table.columns]
    cells = [list(column.cells) for column in table.columns]
    if not table.show_header:  # a matrix: each row on its own line(s), its cells wrapped at spaces
        return Group(*(Text("  ".join(_text(column[row]).plain for column in cells))
                       for row in range(table.row_count)))
    parts: list[RenderableType] = []
    if table.title:
        parts.append(Text(str(table.title), style="italic"))
    for row in range(table.row_count):
        heading = _text(cells[0][row] if cells else "", "bold")
        if headers and headers[0].isalpha() and heading.plain and not heading.plain.startswith(headers[0]):
            heading = Text.assemble((f"{headers[0]} ", "bold"), heading)  # "Iteration 1", not a bare "1"
        elif heading.plain.isdigit():
            heading.append(".")  # a row number: "1."
        if row:
            parts.append(Text())
        parts.append(heading)
        for header, column in zip(headers[1:], cells[1:]):
            value = _text(column[row])
            if not value.plain:
                continue
            line = Text.assemble((f"{header}: ", "dim"), value)
            parts.append(Padding(line, (0, 0, 0, 2)))
    return Group(*parts)


def _text(cell, style: str = "") -> Text:
    if isinstance(cell, Text):
        return cell.copy() if not style else Text.assemble((cell.plain, style))
    return Text(str(cell), style=style)
