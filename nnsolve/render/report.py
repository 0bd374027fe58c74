"""The grade report of ``nnsolve grade``: a table (rich), JSON, CSV or Markdown, and its totals.

Rich, csv and json are imported only by the functions that use them; the CLI names
``ReportFormat`` from nnsolve.render and imports this module only to grade.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction

from . import ReportFormat  # noqa: F401 (defined beside Format; named here as before)
from .safe import visible


PROGRESS_FROM = 20  # files: a run this long shows a progress bar (on a terminal's stderr only)
PROGRESS_AFTER = 1.0  # seconds: a shorter run shows the bar once it has taken this long
SUBMITTED_CHARS = 200  # characters of a submitted text shown in a table's or Markdown's row (JSON and CSV: all)
TABLE_WIDTH = 120  # columns of the table when it is not drawn on a terminal (the CLI passes a terminal's width)


def totals(results, found: int, interrupted: bool = False) -> dict:
    """Counts and marks over the report. ``found`` is the number of files the run set out to grade."""
    tally = _Tally()
    for r in results:
        tally.add(r)
    return tally.summary(found, interrupted)


class _Tally:
    """The running totals of a report, so that rows can be written as they come."""

    def __init__(self) -> None:
        self.files = self.graded = self.correct = self.ungraded = self.invalid = 0
        self.marks = Fraction(0)
        self.out_of = Fraction(0)

    def add(self, r) -> None:
        self.add_counts(*_counts(r))

    def add_counts(self, graded: bool, correct: bool, marks, out_of, error: bool) -> None:
        self.files += 1
        if graded:
            self.graded += 1
            self.correct += 1 if correct else 0
            self.marks += Fraction(marks)
            self.out_of += Fraction(out_of)
        elif not error:
            self.ungraded += 1
        if error:
            self.invalid += 1

    def summary(self, found: int, interrupted: bool) -> dict:
        return {
            "files": self.files,
            "found": found,
            "graded": self.graded,
            "correct": self.correct,
            "ungraded": self.ungraded,
            "invalid": self.invalid,
            "marks": self.marks,
            "out_of": self.out_of,
            "interrupted": interrupted,
        }


def render_report(results, fmt: ReportFormat, *, found: int, interrupted: bool = False,
                  color: bool = False, width: int | None = None) -> str:
    """The whole report as text, ending in a newline."""
    import io

    buffer = io.StringIO()
    writer = ReportWriter(fmt, buffer, color=color, width=width)
    for r in results:
        writer.add(r)
    writer.finish(found=found, interrupted=interrupted)
    return buffer.getvalue()


def _counts(r) -> tuple:
    graded = r.grade is not None
    return (graded, graded and r.grade.correct, r.grade.marks if graded else 0, r.grade.out_of if graded else 0,
            r.error)  # the error's text (true: the file is invalid), for the stderr line


def report_row(fmt: ReportFormat, r) -> tuple:
    """One file's part of a report, as ``(counts for the totals, its text in format fmt)``.

    Small and picklable: a batch's workers make the rows (the JSON encoder with indentation is
    pure Python, the costliest step of a report) and the parent only writes them in order.
    """
    if fmt is ReportFormat.json:
        import json

        from .safe import json_safe

        # json.dumps of the whole document would indent each file's object by four spaces.
        payload = json_safe(json.dumps(_file_dict(r), indent=2, ensure_ascii=False).replace("\n", "\n    "))
    elif fmt is ReportFormat.csv:
        payload = _csv_rows(r)
    elif fmt is ReportFormat.markdown:
        payload = _markdown_row(r)
    else:
        payload = _table_row(r)
    return _counts(r), payload


class ReportWriter:
    """Writes a report to ``out`` row by row as results arrive, then the totals (``finish``).

    JSON, CSV and Markdown rows are written at once, so a batch's memory stays flat however
    many files it grades; a table needs every row to size its columns, so it keeps its rows
    (as text) until ``finish``.
    """

    def __init__(self, fmt: ReportFormat, out, *, color: bool = False, width: int | None = None,
                 errors=None) -> None:
        self.fmt, self.out, self.color, self.width = fmt, out, color, width
        self.errors = errors  # a stream that gets each invalid file's one-line error as it comes (stderr)
        self.tally = _Tally()
        self._rows: list[tuple] = []
        if fmt is ReportFormat.json:
            out.write('{\n  "files": [')
        elif fmt is ReportFormat.csv:
            import csv

            self._csv = csv.writer(out, lineterminator="\n")
            self._csv.writerow(CSV_COLUMNS)
        elif fmt is ReportFormat.markdown:
            out.write("| File | Topic | Answer | Submitted | Marks | Notes |\n|---|---|--:|--:|--:|---|\n")

    def add(self, r) -> None:
        """Add one FileResult."""
        self.add_row(report_row(self.fmt, r))

    def add_row(self, row: tuple) -> None:
        """Add one file's ``report_row`` (which a grading worker may have made)."""
        counts, payload = row
        first = self.tally.files == 0
        self.tally.add_counts(*counts)
        if counts[4] and self.errors is not None:
            self.errors.write("".join(visible(line, one_line=True) + "\n" for line in counts[4].splitlines()))
        if self.fmt is ReportFormat.json:
            self.out.write(("\n    " if first else ",\n    ") + payload)
        elif self.fmt is ReportFormat.csv:
            self._csv.writerows(payload)
        elif self.fmt is ReportFormat.markdown:
            self.out.write(payload + "\n")
        else:
            self._rows.append(payload)

    def finish(self, *, found: int, interrupted: bool = False) -> None:
        summary = self.tally.summary(found, interrupted)
        if self.fmt is ReportFormat.json:
            import json

            from ..numbers import json_number

            document = {k: json_number(v) if isinstance(v, Fraction) else v for k, v in summary.items()}
            self.out.write(("\n  ]" if self.tally.files else "]") + ',\n  "totals": '
                           + json.dumps(document, indent=2, ensure_ascii=False).replace("\n", "\n  ") + "\n}\n")
        elif self.fmt is ReportFormat.markdown:
            self.out.write(f"\n**{_totals_line(summary)}**\n")
        elif self.fmt is ReportFormat.table:
            self.out.write(_table(self._rows, summary, color=self.color, width=self.width))


# ---------------------------------------------------------------------------------------------
# Pieces shared by the formats


def marks_text(x) -> str:
    """Marks as a short decimal: 10, 2.5, 3.33 (marks are exact; this is for reading)."""
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    return f"{float(x):.2f}".rstrip("0").rstrip(".")


def _short(value) -> str:
    """A value on one short line: a matrix or a long vector by its shape."""
    from .numbers import plain

    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return f"{len(value)}×{len(value[0])} matrix"
    if isinstance(value, list) and len(value) > 6:
        return f"vector of {len(value)}"
    if isinstance(value, str) and len(value) > SUBMITTED_CHARS:  # a student's text (an unreadable essay): cut
        return value[:SUBMITTED_CHARS - 1] + "…"
    return plain(value)


def _answer_text(result) -> str:
    if result.error is not None or result.topic is None or result.answer_label is None:
        return ""
    text = _short(result.answer)
    if result.choice and text == result.choice:  # an experiment's answer is the option itself
        return f"option {text}"
    return f"{text} (option {result.choice})" if result.choice else text


def _submitted_text(result) -> str:
    if result.grade is None:
        return ""
    sub = result.grade.submitted
    parts = []
    if "choice" in sub:
        parts.append(f"option {sub['choice']}")
    if "answer" in sub:
        parts.append(_short(sub["answer"]))
    parts.extend(f"{name} = {_short(value)}" for name, value in sub.get("answers", {}).items())
    return "; ".join(parts)


def _marks_cell(result) -> str:
    if result.grade is None:
        return "—"
    return f"{marks_text(result.grade.marks)}/{marks_text(result.grade.out_of)}"


def _notes(result) -> list[str]:
    if result.error is not None:
        return [result.error]
    if result.grade is None:
        return ["ungraded: nothing submitted"]
    if result.grade.correct and not result.grade.diagnosis:
        return ["correct"]
    return list(result.grade.diagnosis)


_MATCHES = "; it matches this mistake: "


def _merge_shared_mistakes(lines: list[str]) -> list[str]:
    """Say a mistake once when several wrong parts of one submission all match it."""
    by_mistake: dict[str, list[str]] = {}
    for line in lines:
        head, sep, mistake = line.partition(_MATCHES)
        if sep:
            by_mistake.setdefault(mistake, []).append(head)
    out, said = [], set()
    for line in lines:
        head, sep, mistake = line.partition(_MATCHES)
        if not sep or len(by_mistake[mistake]) == 1:
            out.append(line)
        elif mistake not in said:
            said.add(mistake)
            heads = by_mistake[mistake]
            out.append("; ".join(heads) + f" — all {len(heads)} match this mistake: {mistake}")
    return out


def _totals_line(summary: dict) -> str:
    out_of = summary["out_of"]
    share = f" ({float(summary['marks'] / out_of):.1%})" if out_of else ""
    line = (f"Total: {marks_text(summary['marks'])} / {marks_text(out_of)} marks{share}; "
            f"{summary['graded']} graded ({summary['correct']} fully right), "
            f"{summary['ungraded']} ungraded, {summary['invalid']} invalid")
    if summary["interrupted"]:
        line += f"; interrupted after {summary['files']} of {summary['found']} files"
    return line


# ---------------------------------------------------------------------------------------------
# Formats


def _table_row(r) -> tuple:
    """What the table shows of one file (kept as text until the table is drawn)."""
    style = "red" if r.error else ("green" if r.grade and r.grade.correct else ("yellow" if r.grade else "dim"))
    lines = _notes(r)
    verdict = lines[0] if len(lines) == 1 and lines[0] in ("correct", "ungraded: nothing submitted") else (
        "invalid file, see note" if r.error else "correct, see note" if r.grade and r.grade.correct else
        "partly right, see note" if r.grade and r.grade.marks else
        "unreadable, see note" if r.grade and _unreadable(r.grade) else
        "wrong, see note" if r.grade else "see note")
    if verdict.startswith("unreadable"):
        style = "magenta"
    return (visible(r.file, one_line=True), r.topic or "", visible(_answer_text(r), one_line=True),
            visible(_submitted_text(r), one_line=True), _marks_cell(r), style, verdict,
            tuple(visible(line, one_line=True) for line in lines) if verdict.endswith("see note") else ())


def _unreadable(grade) -> bool:
    """Every marked part that is not right could not be read (none is simply wrong)."""
    missed = [p for p in grade.parts if p.out_of and not p.correct]
    return bool(missed) and all(p.unreadable for p in missed)


def _table(rows: list[tuple], summary: dict, *, color: bool, width: int | None) -> str:
    import io

    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from .terminal import fit

    # One short row per file; the notes (diagnoses, errors) follow the table as numbered
    # paragraphs, so that a long diagnosis reads as a sentence instead of a narrow column.
    table = Table(show_lines=False)
    for column, justify in (("#", "right"), ("File", "left"), ("Topic", "left"), ("Answer", "right"),
                            ("Submitted", "right"), ("Marks", "right"), ("Verdict", "left")):
        table.add_column(column, justify=justify, no_wrap=column in ("#", "Topic", "Marks"))
    notes = []
    for n, (file, topic, answer, submitted, marks, style, verdict, lines) in enumerate(rows, start=1):
        if verdict.endswith("see note"):
            notes.append((n, file, lines, style))
        table.add_row(str(n), Text(file), Text(topic), Text(answer), Text(submitted),
                      Text(marks, style=style), Text(verdict, style=style))
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or TABLE_WIDTH, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False, emoji=False)
    console.print(fit(console, table, console.width))
    for n, file, lines, style in notes:
        console.print(Text(f"{n}. {file}", style="bold"))
        for line in _merge_shared_mistakes(lines):
            console.print(Padding(Text(f"• {line}"), (0, 0, 0, 3)))
        console.print()
    console.print(Text(_totals_line(summary), style="bold"))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _file_dict(r) -> dict:
    from ..numbers import json_number
    from .json import json_value

    grade = None
    if r.grade is not None:
        g = r.grade
        grade = {
            "submitted": json_value(g.submitted),
            "correct": g.correct,
            "marks": json_number(g.marks),
            "out_of": json_number(g.out_of),
            "diagnosis": list(g.diagnosis),
            "parts": [{"name": p.name, "label": p.label, "submitted": json_value(p.submitted),
                       "expected": json_value(p.expected), "correct": p.correct, "outcome": p.outcome,
                       "marks": json_number(p.marks), "out_of": json_number(p.out_of),
                       "diagnosis": list(p.diagnosis)} for p in g.parts],
        }
    return {"file": r.file, "topic": r.topic, "answer": json_value(r.answer), "choice": r.choice,
            "grade": grade, "error": r.error}


CSV_COLUMNS = ("file", "topic", "part", "label", "submitted", "expected", "correct", "outcome", "marks",
               "out_of", "diagnosis", "error")


def _csv_value(value) -> str:
    """A value as a gradebook reads it: plain numbers without thousands separators."""
    from ..numbers import json_number

    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        import json

        from .json import json_value

        return json.dumps(json_value(value), ensure_ascii=False)
    if isinstance(value, bool) or isinstance(value, str):
        return str(value).lower() if isinstance(value, bool) else value
    return repr(json_number(value))


def _csv_rows(r) -> list[tuple]:
    """A file's CSV rows, every cell through ``visible`` (a gradebook's cells are read on screens too)."""
    return [tuple(visible(cell) for cell in row) for row in _csv_cells(r)]


def _csv_cells(r) -> list[tuple]:
    if r.grade is None:
        return [(r.file, r.topic or "", "", "", "", _csv_value(r.answer), "", "", "", "",
                 "" if r.error else "ungraded: nothing submitted", r.error or "")]
    remarks = r.grade.diagnosis[sum(len(p.diagnosis) for p in r.grade.parts):]
    rows = []
    for i, p in enumerate(r.grade.parts):
        diagnosis = list(p.diagnosis) + (list(remarks) if i == 0 else [])
        rows.append((r.file, r.topic, p.name, p.label, _csv_value(p.submitted), _csv_value(p.expected),
                     _csv_value(p.correct), p.outcome, marks_text(p.marks), marks_text(p.out_of), " | ".join(diagnosis), ""))
    return rows


def _md(text: str) -> str:
    """A cell's text as Markdown that shows exactly it: no HTML, emphasis, link or line break."""
    from .markdown import md_escape

    return md_escape(visible(text, one_line=True), inline=True)


def _markdown_row(r) -> str:
    from .markdown import md_code

    cells = (md_code(r.file, cell=True), r.topic or "",  # a topic is one of nnsolve's names
             _md(_answer_text(r)), _md(_submitted_text(r)),
             _md(_marks_cell(r)), "<br>".join(_md(n) for n in _notes(r)))
    return "| " + " | ".join(cells) + " |"


# ---------------------------------------------------------------------------------------------
# Progress and output


@contextlib.contextmanager
def progress(total: int, enabled: bool, label: str = "grading"):
    """A progress bar on stderr for long runs; yields the function to call after each file.

    A run of PROGRESS_FROM files or more shows it at once; a shorter one only once it has taken
    PROGRESS_AFTER seconds (a few experiment problems are slow one by one).
    """
    if not enabled or total < 2:
        yield lambda: None
        return
    import threading

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task(label, total=total)
    timer = threading.Timer(0 if total >= PROGRESS_FROM else PROGRESS_AFTER, bar.start)
    timer.daemon = True
    timer.start()
    try:
        yield lambda: bar.advance(task)
    finally:
        timer.cancel()
        timer.join()
        bar.stop()
