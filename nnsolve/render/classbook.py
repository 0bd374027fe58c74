"""A graded class (nnsolve.classroom) as an instructor reads it: the gradebook (CSV, JSON), the
item analysis (CSV, JSON, Markdown), a summary for the terminal and a feedback page per student.

Text from the files (student ids and names, answers, option keys) is untrusted: a CSV cell
that a spreadsheet would read as a formula (= + - @, a tab or a carriage return first) gets a
leading ', the terminal sees it through ``visible``, Markdown through ``_md``.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

from ..numbers import json_number
from .report import marks_text
from .safe import json_safe, visible

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
GRADEBOOK_VERSION = 1


def _percent(x: float) -> str:
    return f"{x:.1f}"


def _ratio(x: Fraction | None, digits: int = 2) -> str:
    return "" if x is None else f"{float(x):.{digits}f}"


def _sheet(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that would start a formula gets a leading '."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_sheet(c) if isinstance(c, str) else c for c in row])
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Gradebook


NOT_GRADABLE = "not gradable"  # a student's cell for a question whose problem file is invalid, that they answered


def _columns(result) -> list[str]:
    return result.columns or [q.id for q in result.questions]


def gradebook_rows(result) -> list[dict]:
    return [{"student": s.student, "name": s.name,
             "marks": {q: json_number(Fraction(m.marks)) if m.gradable else None for q, m in s.questions.items()},
             **({"not_gradable": [q for q, m in s.questions.items() if m.answered]} if result.not_gradable else {}),
             "total": json_number(Fraction(s.total)), "out_of": json_number(Fraction(s.out_of)),
             "percentage": round(s.percentage, 1), "attempt": s.attempt, "attempts": s.attempts}
            for s in result.students]


def _attempts(result) -> bool:
    """Whether some student made several attempts (an LMS download): the reports then say which counted."""
    return any(s.attempts > 1 for s in result.students)


KEPT = {"highest": "the one with the highest total", "first": "the first", "last": "the last"}  # --attempts


def _attempt_text(student) -> str:
    return f"{student.attempt} of {student.attempts}"


def gradebook_csv(result, bom: bool = False) -> str:
    """One row per student: id, name, marks per question, total, out of, percentage, and when
    some student made several attempts the one graded ("2 of 3") (UTF-8; with ``bom`` a
    byte-order mark first, so that Excel reads it as UTF-8 when opened directly)."""
    ids = _columns(result)
    attempts = _attempts(result)
    rows: list[list] = [["student", "name", *ids, "total", "out_of", "percentage", *(["attempt"] if attempts else [])]]
    for s in result.students:
        rows.append([s.student, s.name, *(_sheet_mark(s.questions[q]) for q in ids),
                     marks_text(s.total), marks_text(s.out_of), _percent(s.percentage),
                     *([_attempt_text(s)] if attempts else [])])
    return ("\ufeff" if bom else "") + _csv(rows)


def _sheet_mark(mark) -> str:
    """A gradebook cell: the marks; for a question not gradable, "not gradable" where the student
    answered it and nothing where they did not."""
    if not mark.gradable:
        return NOT_GRADABLE if mark.answered else ""
    return marks_text(mark.marks)


def gradebook_json(result) -> str:
    document = {"nnsolve_gradebook": GRADEBOOK_VERSION, "answers": result.answers_file,
                "questions": [{"id": q.id, "file": q.file, "marks": json_number(Fraction(q.marks))}
                              for q in result.questions]
                + [{"id": qid, "file": e.file, "marks": None, "not_gradable": e.line_text()}
                   for qid, e in result.not_gradable.items()],
                "students": gradebook_rows(result),
                "errors": [e.line_text() for e in (*result.problem_errors, *result.table_errors)]}
    return json_safe(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


# ---------------------------------------------------------------------------------------------
# Item analysis


def _item_dict(item) -> dict:
    return {"question": item.question, "marks": json_number(Fraction(item.marks)), "students": item.students,
            "right": item.right, "share_right": round(float(item.share_right), 4),
            "mean_marks": round(float(item.mean_marks), 4), "unanswered": item.unanswered,
            "invalid": item.invalid, "unreadable": item.unreadable,
            "discrimination": None if item.discrimination is None else round(float(item.discrimination), 4),
            "mistakes": [{"mistake": m, "students": n} for m, n in item.mistakes],
            **({"not_gradable": item.not_gradable} if item.not_gradable else {}),
            **({"key_note": item.key_note} if item.key_note else {}),
            "options": [{"option": k, "chosen": n, "right": right, "mistake": mistake}
                        for k, n, right, mistake in item.options]}


def items_json(items) -> str:
    return json_safe(json.dumps({"nnsolve_items": GRADEBOOK_VERSION, "items": [_item_dict(i) for i in items]},
                                indent=2, ensure_ascii=False)) + "\n"


def items_csv(items) -> str:
    rows: list[list] = [["question", "marks", "students", "right", "share_right", "mean_marks", "unanswered",
                         "invalid", "unreadable", "discrimination", "options_chosen", "top_mistakes", "key_note"]]
    for i in items:
        if i.not_gradable:  # its answers are counted as invalid; the figures of marks are not known
            rows.append([i.question, "", i.students, "", "", "", i.unanswered, i.invalid, "", "", "",
                         f"{NOT_GRADABLE}: {i.not_gradable}", ""])
            continue
        rows.append([i.question, marks_text(i.marks), i.students, i.right, _ratio(i.share_right, 3),
                     _ratio(i.mean_marks, 3), i.unanswered, i.invalid, i.unreadable, _ratio(i.discrimination, 3),
                     "; ".join(f"{k}: {n}" for k, n, _, _ in i.options),
                     "; ".join(f"{m} ({n})" for m, n in i.mistakes[:3]), i.key_note or ""])
    return _csv(rows)


def _md(text: str) -> str:
    """Text from a file, in a Markdown table cell or paragraph: nothing in it acts as markup or HTML."""
    text = visible(str(text), one_line=True)
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text


def items_markdown(items) -> str:
    lines = ["# Item analysis", "",
             "| Question | Marks | Right | Mean marks | Discrimination | Unanswered | Invalid | Unreadable |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for i in items:
        if i.not_gradable:
            lines.append(f"| {_md(i.question)} | — | {NOT_GRADABLE} | | | {i.unanswered} | {i.invalid} | |")
            continue
        lines.append(f"| {_md(i.question)} | {marks_text(i.marks)} | {i.right}/{i.students} "
                     f"({float(i.share_right):.0%}) | {float(i.mean_marks):.2f} | {_ratio(i.discrimination)} "
                     f"| {i.unanswered} | {i.invalid} | {i.unreadable} |")
    for i in items:
        if i.not_gradable:
            lines += ["", f"## {_md(i.question)}", "", f"Not gradable: {_md(i.not_gradable)}. Its "
                      f"{i.invalid} answer{'s were' if i.invalid != 1 else ' was'} set aside; fix the file and grade again."]
            continue
        if not i.options and not i.mistakes:
            continue
        lines += ["", f"## {_md(i.question)}", ""]
        if i.key_note:
            lines += [f"Check the question: {_md(i.key_note)}.", ""]
        for key, n, right, mistake in i.options:
            why = " (right)" if right else (f" — {_md(mistake)}" if mistake else "")
            lines.append(f"- option {_md(key)}: chosen {n} time{'s' if n != 1 else ''}{why}")
        for mistake, n in i.mistakes:
            lines.append(f"- {n} × {_md(mistake)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Terminal


def summary_text(result, items, width: int = 80) -> str:
    """The per-student table, the per-question table and the class total, drawn within ``width``."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .terminal import fit

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, color_system=None, highlight=False, emoji=False)
    ids = _columns(result)
    students = Table(title="Students")
    students.add_column("Student")
    students.add_column("Name")
    for q in ids:
        students.add_column(visible(q, one_line=True), justify="right", no_wrap=True)
    students.add_column("Total", justify="right", no_wrap=True)
    students.add_column("%", justify="right", no_wrap=True)
    for s in result.students:
        students.add_row(Text(visible(s.student, one_line=True)), Text(visible(s.name, one_line=True)),
                         *(_mark_cell(s.questions[q]) for q in ids),
                         f"{marks_text(s.total)}/{marks_text(s.out_of)}", _percent(s.percentage))
    console.print(fit(console, students, width))
    questions = Table(title="Questions")
    for column in ("Question", "Marks", "Right", "Mean", "D", "Commonest mistake"):
        questions.add_column(column, justify="left" if column in ("Question", "Commonest mistake") else "right")
    for i in items:
        if i.not_gradable:
            questions.add_row(Text(visible(i.question, one_line=True)), "—", "", "", "",
                              Text(f"not gradable: its file is invalid ({i.invalid} answered)"))
            continue
        top = f"{i.mistakes[0][0]} ({i.mistakes[0][1]})" if i.mistakes else ""
        questions.add_row(Text(visible(i.question, one_line=True)), marks_text(i.marks),
                          f"{i.right}/{i.students}", f"{float(i.mean_marks):.2f}", _ratio(i.discrimination),
                          Text(visible(top, one_line=True)))
    console.print(fit(console, questions, width))
    for i in items:
        if i.key_note:
            console.print(Text(visible(f"{i.question}: check the question: {i.key_note}", one_line=True)))
    marks = sum((Fraction(s.total) for s in result.students), Fraction(0))
    n = len(result.students)
    mean = f"{float(marks / n):.2f}" if n else "—"
    several = sum(1 for s in result.students if s.attempts > 1)
    if several:
        console.print(f"{several} student{'s' if several != 1 else ''} made several attempts; each is graded on "
                      f"{KEPT[result.keep]} (--attempts; the gradebook's attempt column says which)")
    console.print(f"{n} student{'s' if n != 1 else ''}, {len(ids)} question{'s' if len(ids) != 1 else ''} "
                  f"worth {marks_text(result.out_of)}; mean total {mean}; {len(result.table_errors)} answers-table "
                  f"error{'s' if len(result.table_errors) != 1 else ''}, {len(result.problem_errors)} invalid "
                  f"problem file{'s' if len(result.problem_errors) != 1 else ''}")
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _mark_cell(mark) -> str:
    if not mark.gradable:
        return "n/g" if mark.answered else "—"
    if mark.grade is None and not mark.invalid:
        return "—"
    return marks_text(mark.marks)


# ---------------------------------------------------------------------------------------------
# Feedback


def feedback(result, student, hints: bool = False) -> tuple[str, str, list, list]:
    """One student's feedback as plain text: title, total, (question, marks) rows, and per question
    with something wrong its lines. With ``hints`` the mistake is named but neither the right
    answer nor the right option is shown."""
    by_id = {q.id: q for q in result.questions}
    title = f"{student.name} ({student.student})" if student.name else student.student
    total = f"Total: {marks_text(student.total)} of {marks_text(student.out_of)} ({_percent(student.percentage)}%)"
    if student.attempts > 1:
        total += f"; attempt {_attempt_text(student)}, {KEPT[result.keep]}"
    rows = [(qid, f"{marks_text(m.marks)}/{marks_text(m.out_of)}" if m.gradable else NOT_GRADABLE)
            for qid, m in student.questions.items()]
    sections = []
    for qid, mark in student.questions.items():
        if not mark.gradable:
            sections.append((qid, [NOT_GRADED_TEXT]))
            continue
        heading = _heading(by_id[qid])
        if mark.grade is None:
            sections.append((heading, ["Not answered."]))
            continue
        wrong = [p for p in mark.grade.parts if not p.correct and p.out_of]
        if wrong or mark.invalid:
            sections.append((heading, [_part_feedback(by_id[qid], part, hints) for part in wrong]))
    return title, total, rows, sections


def _heading(question) -> str:
    """A feedback section's heading: the question's id and title (which may start with the id)."""
    title = " ".join(str(question.solution.title or "").split())
    if not title or title == question.id:
        return question.id
    return title if title.startswith(question.id) else f"{question.id}: {title}"


NOT_GRADED_TEXT = "Not graded: the question could not be graded, and does not count in your total."


def feedback_markdown(result, student, hints: bool = False) -> str:
    title, total, rows, sections = feedback(result, student, hints)
    lines = [f"# Feedback: {_md(title)}", "", total, "", "| Question | Marks |", "|---|---:|"]
    lines += [f"| {_md(qid)} | {marks} |" for qid, marks in rows]
    for qid, items in sections:
        lines += ["", f"## {_md(qid)}", ""]
        lines += [item if item in ("Not answered.", NOT_GRADED_TEXT) else f"- {_md(item)}" for item in items]
    return "\n".join(lines) + "\n"


def feedback_html(result, student, hints: bool = False) -> str:
    """The same page as one self-contained HTML document; every text from a file is escaped."""
    from .html import escape

    title, total, rows, sections = feedback(result, student, hints)
    body = [f"<h1>Feedback: {escape(title)}</h1>", f"<p>{escape(total)}</p>",
            "<table><thead><tr><th>Question</th><th>Marks</th></tr></thead><tbody>"]
    body += [f"<tr><td>{escape(qid)}</td><td style=\"text-align:right\">{escape(marks)}</td></tr>" for qid, marks in rows]
    body.append("</tbody></table>")
    for qid, items in sections:
        body.append(f"<h2>{escape(qid)}</h2>")
        if items in (["Not answered."], [NOT_GRADED_TEXT]):
            body.append(f"<p>{items[0]}</p>")
        else:
            body.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>Feedback: {escape(title)}</title><style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}"
            "td,th{padding:.2em .8em;border-bottom:1px solid #ccc}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _part_feedback(question, part, hints: bool) -> str:
    label = "Option" if part.name == "choice" else part.label
    if part.submitted is None:
        reason = part.diagnosis[0] if part.diagnosis else "not answered"
        return f"{label}: {reason}"
    if not hints:
        return "; ".join(part.diagnosis) or f"{label} is wrong"
    from ..numbers import plain

    if getattr(part, "unreadable", False):
        return f"{label}: could not read your answer {plain(part.submitted)}; write a number, a shape or a list"
    wrong = f"Option {part.submitted} is wrong" if part.name == "choice" else f"{label}: your answer {plain(part.submitted)} is wrong"
    mistake = question.mistake(part)
    if mistake:
        return f"{wrong}; it matches this mistake: {mistake}"
    return f"{wrong}; check your working"


def feedback_name(student_id: str) -> str:
    """A file name for a student's page: letters, digits, '-', '_' and '.'; the rest become '_'."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in student_id)
    return (safe.lstrip(".") or "student")[:100]


def feedback_pages(result, hints: bool = False) -> list[tuple[str, str]]:
    """(file name, page) for every student, Markdown and HTML; two ids that make the same name get -2, -3, ..."""
    pages, taken = [], set()
    for student in result.students:
        base = name = feedback_name(student.student)
        n = 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name.lower())
        pages.append((name + ".md", feedback_markdown(result, student, hints)))
        pages.append((name + ".html", feedback_html(result, student, hints)))
    return pages
