"""A class's answers, as a table apart from the problems: read from CSV, JSON or YAML.

Two layouts, told apart by the header (the keys of a JSON/YAML record):

- long: one row per student, question and part — ``student``, optional ``name``, ``question``
  (the problem's ``id`` or file stem), optional ``part`` (``choice``, ``answer`` or a named
  answer; empty: the question's default part) and ``value``;
- wide: one row per student — ``student``, optional ``name``, then a column per question
  (``s03``) or per part (``s03.choice``, ``s11.decision_value``);
- an LMS's own download, read as it comes (CSV only): Moodle's quiz Responses report
  (``Surname``, ``First name``, identity columns, ``State``, ``Started on``, ``Completed``,
  ``Time taken``, ``Grade/10.00``, then ``Response 1``, ``Response 2``, ... and, if chosen,
  ``Question N`` and ``Right answer N``) and Canvas's quiz Student Analysis (``name``, ``id``,
  ``sis_id``, ``section``, ``section_id``, ``section_sis_id``, ``submitted``, ``attempt``, then
  per question a ``<question id>: <question text>`` column and a points column, then ``n correct``,
  ``n incorrect``, ``score``). Each response column's key (Moodle's N, Canvas's question id) is
  the answer's ``question``; nnsolve.classroom maps the keys to the exam's questions, by order
  or as the instructor maps them (``--map``). Only the response columns are read. Each row is
  one attempt (Canvas's ``attempt``, else the student's n-th row): a student's second row is
  their next attempt, not a repeat.

The table is untrusted input: it is read with the csv module (or safe YAML), never evaluated,
within the caps of nnsolve/limits.py. A line that cannot be used (too few cells, no student, a
repeated student/question/part) is an ``AnswersError`` at its line, ``FILE:LINE: message``; the
other lines are still read. Values stay text: grading reads them as a number, a shape or a
label (nnsolve.compare).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field

from . import limits
from .errors import NnsolveError
from .files import kind_unread


class AnswersError(NnsolveError):
    """A line of an answers table that is not graded, or a table that cannot be read at all."""


@dataclass(frozen=True)
class Answer:
    """One cell of the table: what a student gave for one part of one question."""

    student: str
    question: str
    part: str  # "" for the question's default part (its option, or its answer)
    value: str
    line: int  # the line (CSV) or record number (JSON, YAML) it came from
    column: str | None = None  # the wide layout's column it came from (a bad column is reported once)
    attempt: int = 1  # an LMS download's attempt (Canvas's ``attempt``, else the student's n-th row)


@dataclass
class AnswersTable:
    file: str
    answers: list[Answer] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # student → name, in the table's order
    errors: list[AnswersError] = field(default_factory=list)

    records: bool = False  # JSON or YAML: an answer's ``line`` is its record's number (from 1)
    lms: str | None = None  # "Moodle" or "Canvas": the answers' questions are the LMS's keys (see lms_keys)
    lms_keys: list[str] = field(default_factory=list)  # the response columns' keys, in the table's order
    attempts: dict[str, list[int]] = field(default_factory=dict)  # an LMS download's student → their attempts

    @property
    def unit(self) -> str:
        return "record" if self.records else "line"

    def at(self, line: int | None, message: str) -> AnswersError:
        """The error ``message`` at a CSV line, or (JSON, YAML) naming the record."""
        if self.records and line is not None:
            return AnswersError(f"record {line}: {message}", file=self.file)
        return AnswersError(message, file=self.file, line=line)

    def error(self, line: int | None, message: str) -> None:
        self.errors.append(self.at(line, message))


LONG_KEYS = ("student", "question", "value")
KEYS = LONG_KEYS + ("name", "part")  # column names read without case ("Student", "Name")


def read_answers(path: str) -> AnswersTable:
    """The answers table at ``path`` (.csv, .json, .yaml/.yml). A missing or unreadable file, or
    one without a ``student`` column, is an AnswersError (exit code 2); a bad line is one of
    the table's ``errors``."""
    kind = kind_unread(path)
    if kind == "folder":
        raise AnswersError("is a folder; name the answers table (.csv, .json or .yaml)", file=path)
    if kind == "special":
        raise AnswersError("is not a regular file (a device, a FIFO or a socket); name the answers table",
                           file=path)
    try:
        size = os.path.getsize(path)
        if size > limits.MAX_ANSWERS_BYTES:
            raise AnswersError(f"larger than {limits.MAX_ANSWERS_BYTES // (1 << 20)} MiB "
                               f"(nnsolve's cap MAX_ANSWERS_BYTES)", file=path)
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise AnswersError("no such answers file", file=path) from None
    except IsADirectoryError:
        raise AnswersError("is a folder; name the answers table (.csv, .json or .yaml)", file=path) from None
    except UnicodeDecodeError as exc:
        raise AnswersError(f"not UTF-8 text (byte {exc.start}); save the table as UTF-8", file=path) from None
    except OSError as exc:
        raise AnswersError(f"cannot read the answers file: {exc.strerror or exc}", file=path) from None
    table = AnswersTable(path)
    lower = path.lower()
    if lower.endswith((".json", ".yaml", ".yml")):
        table.records = True
        _read_records(table, text, lower.endswith(".json"))
    else:
        _read_csv(table, text)
    return table


def _read_csv(table: AnswersTable, text: str) -> None:
    first = text.split("\n", 1)[0]
    # A spreadsheet saved in a locale with a decimal comma separates cells with ';' (or a tab).
    delimiter = next((d for d in ("\t", ";") if d in first and "," not in first), ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise AnswersError(f"the header cannot be read: {exc}", file=table.file, line=1) from None
    if header is None:
        raise AnswersError("empty: the first line names the columns (student, question, part, value)",
                           file=table.file)
    lms = _lms_layout(table, [_cell(h) for h in header])
    if lms:
        header, layout = [_cell(h) for h in header], "lms"
    else:
        header = [_cell(h).lower() if _cell(h).lower() in KEYS else _cell(h) for h in header]
        layout = _layout(table, header, 1)
    line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            table.error(reader.line_num, f"cannot read this line: {exc}")
            # the csv module cannot resume inside a broken quoted cell: the lines after it are lost
            table.error(None, "the lines after it were not read")
            break
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            table.error(start, f"has {len(row)} cells but the header has {len(header)}; not graded")
            continue
        if not _take(table, dict(zip(header, row)), layout, start):
            break


def _read_records(table: AnswersTable, text: str, is_json: bool) -> None:
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AnswersError(f"not JSON: {exc.msg}", file=table.file, line=exc.lineno) from None
    else:
        data = _yaml(text, table.file)
    if isinstance(data, dict) and isinstance(data.get("answers"), list):
        data = data["answers"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise AnswersError("must be a list of records ({student: ..., question: ..., value: ...}, or "
                           "{student: ..., s03: ...})", file=table.file)
    keys: list[str] = []
    for record in data:
        keys.extend(str(k) for k in record if str(k) not in keys)
    layout = _layout(table, keys, None)
    for number, record in enumerate(data, start=1):
        row = {str(k): _text(v) for k, v in record.items()}
        if not _take(table, row, layout, number):
            break


def _yaml(text: str, file: str):
    """Safe YAML within the problem files' caps (nnsolve.loader: depth, nodes, no tags)."""
    from .loader import parse_data

    try:
        return parse_data(text, file)
    except NnsolveError as exc:
        raise AnswersError(exc.message, file=file, line=exc.line) from None


def _text(value) -> str:
    """A JSON/YAML value as the text a spreadsheet cell would hold (a list keeps its brackets)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _layout(table: AnswersTable, header: list[str], line: int | None) -> str:
    if "student" not in header:
        raise AnswersError("has no 'student' column; the columns are student, name (optional), then "
                           "question, part, value (one row per answer) or one column per question",
                           file=table.file, line=line)
    if "question" in header or "value" in header:
        missing = [k for k in LONG_KEYS if k not in header]
        if missing:
            raise AnswersError(f"has a 'question' or 'value' column but no {', '.join(missing)}: one row per "
                               f"answer needs student, question, value (and optionally part, name)",
                               file=table.file, line=line)
        return "long"
    return "wide"


MOODLE_RESPONSE = re.compile(r"^Response (\d{1,4})$")
CANVAS_QUESTION = re.compile(r"^(\d{1,18}): ")
MOODLE_IDENTITY = ("ID number", "Email address", "Username")  # the first one filled in is the student's id
MOODLE_UNFINISHED = ("In progress", "Overdue", "Never submitted")  # a State whose attempt Moodle does not grade
CANVAS_IDENTITY = ("sis_id", "id")


def _lms_layout(table: AnswersTable, header: list[str]) -> str | None:
    """Moodle's Responses or Canvas's Student Analysis download, told by its columns; else None."""
    if "Surname" in header and "First name" in header and any(MOODLE_RESPONSE.match(h) for h in header):
        table.lms, pattern = "Moodle", MOODLE_RESPONSE
    elif {"name", "id", "submitted"} <= set(header) and any(CANVAS_QUESTION.match(h) for h in header):
        table.lms, pattern = "Canvas", CANVAS_QUESTION
    else:
        return None
    for h in header:
        match = pattern.match(h)
        if match:
            key = str(int(match.group(1)))
            if key in table.lms_keys:
                raise AnswersError(f"two columns are {table.lms}'s question {key}: download the report again",
                                   file=table.file, line=1)
            table.lms_keys.append(key)
    return table.lms


def _lms_row(table: AnswersTable, row: dict[str, str]) -> tuple[str, str, list]:
    """The student id, their name and the response cells of a row of an LMS download."""
    if table.lms == "Moodle":
        name = " ".join(_cell(row.get(k, "")) for k in ("First name", "Surname") if _cell(row.get(k, "")))
        student = next((_cell(row[k]) for k in MOODLE_IDENTITY if _cell(row.get(k, ""))), name)
        pattern = MOODLE_RESPONSE
    else:
        name = _cell(row.get("name", ""))
        student = next((_cell(row[k]) for k in CANVAS_IDENTITY if _cell(row.get(k, ""))), "")
        pattern = CANVAS_QUESTION
    cells = []
    for column, value in row.items():
        match = pattern.match(column)
        if match:
            value = _cell(value)
            # Moodle writes "-" where there is no response
            cells.append((str(int(match.group(1))), "", "" if table.lms == "Moodle" and value == "-" else value,
                          column))
    return student, name, cells


def _take(table: AnswersTable, row: dict[str, str], layout: str, line: int) -> bool:
    """Add the row's answers; False once the table holds MAX_ANSWER_ROWS answers."""
    if layout == "lms":
        student, name, cells = _lms_row(table, row)
    else:
        student, name, cells = _cell(row.get("student", "")), _cell(row.get("name", "")), None
    if not student:
        table.error(line, "no student id; not graded" if layout != "lms" else
                    f"no student id ({', '.join(MOODLE_IDENTITY if table.lms == 'Moodle' else CANVAS_IDENTITY)} "
                    f"or a name); not graded")
        return True
    if len(student) > limits.MAX_TABLE_CELL_CHARS:
        table.error(line, f"the student id is longer than {limits.MAX_TABLE_CELL_CHARS} characters; not graded")
        return True
    attempt = 1
    name = name[:limits.MAX_TABLE_CELL_CHARS]
    if not table.names.get(student):  # every student in the table's order, with the first name given
        table.names[student] = name
    state = _cell(row.get("State", "")) if table.lms == "Moodle" else ""
    if state in MOODLE_UNFINISHED:  # the student is still in the gradebook, with their finished attempts or 0
        table.error(line, f"student {student!r}: an attempt in the state {state!r}; not graded (Moodle grades "
                          f"finished attempts)")
        return True
    if layout == "lms":  # each row of a download is one attempt: Canvas's ``attempt``, else the n-th row
        attempts = table.attempts.setdefault(student, [])
        stated = _cell(row.get("attempt", "")) if table.lms == "Canvas" else ""
        if stated.isascii() and stated.isdigit() and 0 < int(stated) <= limits.MAX_ANSWER_ROWS:
            attempt = int(stated)
        else:
            attempt = max(attempts, default=0) + 1
        if attempt not in attempts:
            attempts.append(attempt)
    if cells is not None:
        pass
    elif layout == "long":
        cells = [(_cell(row.get("question", "")), _cell(row.get("part", "")), row.get("value", ""), None)]
    else:
        cells = []
        for column, value in row.items():
            if column in ("student", "name"):
                continue
            question, _, part = column.partition(".")
            cells.append((question, part, value, column))
    for question, part, value, column in cells:
        value = _cell(value)
        if layout == "long" and not question:
            table.error(line, "no question named; not graded")
            continue
        if not value:
            continue  # an empty cell is an unanswered part
        if len(value) > limits.MAX_TABLE_CELL_CHARS:
            table.error(line, f"{question}{'.' + part if part else ''}: the answer is longer than "
                              f"{limits.MAX_TABLE_CELL_CHARS} characters (nnsolve's cap MAX_TABLE_CELL_CHARS); not graded")
            continue
        if len(table.answers) >= limits.MAX_ANSWER_ROWS:
            table.error(line, f"more than {limits.MAX_ANSWER_ROWS:,} answers (nnsolve's cap MAX_ANSWER_ROWS); "
                              f"this line and the rest were not read")
            return False
        table.answers.append(Answer(student, question, part, value, line, column, attempt))
    return True


def _cell(text: str) -> str:
    return text.strip() if isinstance(text, str) else _text(text).strip()
