"""Fitting rich tables to the terminal's width: wrapped at spaces, or one row after another.

A table that fits is drawn as it is. One that does not is drawn narrower with its cells
wrapped at spaces, as long as every column can still hold its longest word; otherwise each
row is written as a short block, ``column: value`` a line. A name or a number in a cell is
never split in the middle.
"""

from __future__ import annotations

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text


def fit(console: Console, table: Table, width: int) -> RenderableType:
    """``table`` as drawn within ``width`` columns without splitting a word."""
    quick = Drawn.of(table, width) or Grid.of(table, width)
    if quick is not None:
        return quick
    options = console.options.update(width=10_000)
    spans = [_span(console, options, column) for column in table.columns]
    # what rich's measure of the table adds to its columns' content: padding and borders
    extra = table._extra_width + sum(table._get_padding_width(i) for i in range(len(table.columns)))
    if table.width is not None or any(c.width is not None or c.min_width is not None or c.max_width is not None
                                      for c in table.columns):
        extra = Measurement.get(console, options, table).maximum - sum(high for _, high in spans)
    if sum(high for _, high in spans) + extra <= width:
        return table
    room = width - extra  # less borders and padding
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
        plain = cell if isinstance(cell, str) else cell.plain if isinstance(cell, Text) else None
        if plain is not None and "\n" not in plain and "\t" not in plain:  # rich's measure of a line of text
            words = plain.split()
            widest = cell_len(plain)
            low, high = max(low, max(map(cell_len, words)) if words else widest), max(high, widest)
            continue
        m = Measurement.get(console, options, cell if not isinstance(cell, str) else Text(cell))
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
            parts.append(Indented(line))
    return Group(*parts)


def _text(cell, style: str = "") -> Text:
    if isinstance(cell, Text):
        return cell.copy() if not style else Text.assemble((cell.plain, style))
    return Text(str(cell), style=style)


class Drawn:
    """A table that fits, every cell one line of text, drawn as rich draws it but row by row.

    rich lays out each cell on its own (measure, wrap, pad, crop: about 0.1 ms a cell), which
    made a 1,000-layer table take a second. A table that fits its width needs none of that:
    each column is as wide as its widest cell. The characters and styles are rich's own (the
    title, the header and a styled cell are still laid out by rich; tests/test_terminal.py
    compares the two, segment by segment, on the example problems' tables).
    """

    def __init__(self, table: Table, widths: list[int]) -> None:
        self.table, self.widths = table, widths

    @classmethod
    def of(cls, table: Table, width: int) -> "Drawn | None":
        """The quick drawing of ``table``, or None when it needs rich's layout (a cell wraps, …)."""
        t = table
        if (t.box is not box.HEAVY_HEAD or not t.show_header or not t.show_edge or t.show_lines or t.show_footer
                or t.padding != (0, 1, 0, 1) or not t.pad_edge or t.collapse_padding or t.caption or t.row_styles
                or t.leading or t.width is not None or t.expand or t.style not in (None, "", "none") or t.border_style
                or any(row.style or row.end_section for row in t.rows) or not t.columns):
            return None
        widths = []
        for column in t.columns:
            if (column.justify not in ("left", "right") or column.width is not None or column.min_width is not None
                    or column.max_width is not None or column.ratio or column.style or column.header_style):
                return None
            widest = 0
            for cell in (column.header, *column.cells):
                if not isinstance(cell, Text) or not _one_line(cell.plain):
                    return None
                widest = max(widest, cell.cell_len)
            widths.append(widest + 2)
        drawn = sum(widths) + len(widths) + 1
        title = t.title
        if drawn > width or (title and (not isinstance(title, Text) or not _one_line(title.plain)
                                        or title.cell_len > drawn)):
            return None
        return cls(table, widths)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        t, widths = self.table, self.widths
        edge_box = t.box.substitute(options, safe=t.safe_box if t.safe_box is not None else console.safe_box)
        border = Style()  # rich's: the table's style plus its border style, both unset here
        new_line = Segment.line()
        table_width = sum(widths) + len(widths) + 1
        cell_options = options.update(width=table_width, highlight=t.highlight, height=None)
        if t.title:
            yield from console.render(t.title, cell_options.update(justify=t.title_justify))
        yield Segment(edge_box.get_top(widths), border)
        yield new_line
        header_style = console.get_style(t.header_style or "") + console.get_style("")
        yield from self._row(console, cell_options, [c.header for c in t.columns], header_style,
                             edge_box.head_left, edge_box.head_vertical, edge_box.head_right, border)
        yield Segment(edge_box.get_row(widths, "head", edge=True), border)
        yield new_line
        cells = [list(column.cells) for column in t.columns]
        last = t.row_count - 1
        for n in range(t.row_count):
            left, divider, right = ((edge_box.foot_left, edge_box.foot_vertical, edge_box.foot_right) if n == last
                                    else (edge_box.mid_left, edge_box.mid_vertical, edge_box.mid_right))
            yield from self._row(console, cell_options, [column[n] for column in cells], Style(),
                                 left, divider, right, border)
        yield Segment(edge_box.get_bottom(widths), border)
        yield new_line

    def _row(self, console, options, row, style, left, divider, right, border) -> RenderResult:
        pad = Segment(" ", style)
        yield Segment(left, border)
        for i, (cell, width, column) in enumerate(zip(row, self.widths, self.table.columns)):
            if i:
                yield Segment(divider, border)
            if not cell.spans and not cell.style and not style:
                room = " " * (width - 2 - cell.cell_len)
                yield pad
                yield Segment(cell.plain + room if column.justify == "left" else room + cell.plain)
                yield pad
            else:  # styled text: rich lays it out, as it would in the table
                lines = console.render_lines(
                    Padding(cell, (0, 1, 0, 1)),
                    options.update(width=width, justify=column.justify, no_wrap=column.no_wrap,
                                   overflow=column.overflow, highlight=column.highlight), style=style)
                yield from lines[0]
        yield Segment(right, border)
        yield Segment.line()


class Grid:
    """A matrix's grid (``Table.grid(padding=(0, 2))`` of plain one-line cells) that fits, drawn
    line by line as rich draws it: each column as wide as its widest cell, two spaces between.
    rich laid out each of a 50-layer network's 16 × 16 gradients cell by cell (4 s of text)."""

    def __init__(self, rows: list[list[str]], widths: list[int], justify: list[str]) -> None:
        self.rows, self.widths, self.justify = rows, widths, justify

    @classmethod
    def of(cls, table: Table, width: int) -> "Grid | None":
        t = table
        if (t.box is not None or t.show_header or t.show_footer or t.padding != (0, 2, 0, 2) or t.pad_edge
                or not t.collapse_padding or t.title or t.caption or t.expand or t.width is not None or t.row_styles
                or t.leading or t.style not in (None, "", "none") or not t.columns
                or any(row.style or row.end_section for row in t.rows)):
            return None
        rows = [[] for _ in range(t.row_count)]
        widths, justify = [], []
        for column in t.columns:
            if (column.justify not in ("left", "right") or column.width is not None or column.min_width is not None
                    or column.max_width is not None or column.ratio or column.style):
                return None
            for n, cell in enumerate(column.cells):
                if isinstance(cell, Text) and not cell.spans and not cell.style:
                    cell = cell.plain
                if not isinstance(cell, str) or not _one_line(cell):
                    return None
                rows[n].append(cell)
            widths.append(max((cell_len(row[-1]) for row in rows), default=0))
            justify.append(column.justify)
        if sum(widths) + 2 * (len(widths) - 1) > width:
            return None
        return cls(rows, widths, justify)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for row in self.rows:
            cells = []
            for cell, width, justify in zip(row, self.widths, self.justify):
                room = " " * (width - cell_len(cell))
                cells.append(cell + room if justify == "left" else room + cell)
            yield Segment("  ".join(cells))
            yield Segment.line()


def _one_line(text: str) -> bool:
    """Text that rich draws in a cell as it is: one line, no tab, no space at either end."""
    return "\n" not in text and "\t" not in text and text == text.strip()


class Indented:
    """A line of text ``indent`` columns in (two unless told): drawn as it is when it fits, else
    wrapped by rich under its start (a rich Padding for every line of a thousand-row table, or of
    a 1,000-layer network's 2,000 step lines, took a second)."""

    def __init__(self, text: Text, indent: int = 2) -> None:
        self.text, self.indent = text, indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = self.text.plain
        if "\n" not in plain and "\t" not in plain and self.indent + self.text.cell_len <= options.max_width:
            yield from one_line(console, options, Text.assemble(" " * self.indent, self.text))
        else:
            yield Padding(self.text, (0, 0, 0, self.indent)) if self.indent else self.text


def one_line(console: Console, options: ConsoleOptions, text: Text) -> RenderResult:
    """The segments rich draws for ``text`` on a line of its own, when it fits (no wrapping to work out)."""
    yield from text.render(console, end="")
    yield Segment(" " * (options.max_width - text.cell_len))
    yield Segment.line()
