"""Grading a class: one exam folder, a table of answers (nnsolve.answers, nnsolve.classroom,
nnsolve.render.classbook). Every student's marks are recomputed here by a plain loop over the
table, apart from the grader; the item-analysis figures are worked by hand."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsolve.answers import AnswersError, read_answers
from nnsolve.classroom import grade_class, item_analysis
from nnsolve.render import classbook

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "class"
ANSWERS = EXAM / "answers.csv"


def nnsolve(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnsolve", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def graded():
    return grade_class([str(EXAM)], read_answers(str(ANSWERS)))


# The exam's right answers, as the key states them (nnsolve key problems/class), and its marks.
KEY = {"s03": {"choice": "d"}, "s05": {"choice": "c"}, "s12": {"choice": "d"},
       "s11": {"answer": Fraction(-1), "decision_value": Fraction(-7, 15)}}
MARKS = {"s03": 10, "s05": 5, "s11": 4, "s12": 5}


def _right(expected, text: str) -> bool:
    if isinstance(expected, str):
        return text.strip().lower() == expected
    try:
        given = Fraction(text.strip())
    except ValueError:
        return False
    return abs(given - expected) <= Fraction(1, 100) * abs(expected)  # the default tolerance: 1%


def expected_marks(path: Path) -> dict[str, dict[str, Fraction]]:
    """Each student's marks per question, by a plain loop: the parts marked are those of the key
    (s11's two parts equally), a part is right when it agrees with the key, a repeated row and
    a question the exam has not count nothing."""
    seen, given = set(), {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            student, question = row["student"], row["question"]
            given.setdefault(student, {})
            if question not in KEY or (student, question, row["part"]) in seen:
                continue
            seen.add((student, question, row["part"]))
            given[student].setdefault(question, {})[row["part"]] = row["value"]
    out = {}
    for student, answered in given.items():
        out[student] = {}
        for question, key in KEY.items():
            parts = answered.get(question, {})
            right = sum(1 for part, expected in key.items() if part in parts and _right(expected, parts[part]))
            out[student][question] = Fraction(MARKS[question]) * right / len(key)
    return out


def test_every_students_marks_agree_with_a_plain_loop_over_the_table(graded):
    expected = expected_marks(ANSWERS)
    got = {s.student: {q: Fraction(m.marks) for q, m in s.questions.items()} for s in graded.students}
    assert got == expected
    for s in graded.students:
        assert Fraction(s.total) == sum(expected[s.student].values())
        assert s.out_of == 24  # every question counts for every student: unanswered is 0 of its marks


def test_table_errors_name_the_line_and_the_rest_is_graded(graded):
    assert [e.line_text() for e in graded.table_errors] == [
        f"{ANSWERS}:29: 's13' is not a question of this exam; "
        f"its questions are s03, s05, s11, s12"]
    assert graded.problem_errors == []


def test_item_analysis_worked_by_hand(graded):
    # totals: u01 22, u05 17, u02 12, u04 12, u06 7, u03 0; 27% of 6 students is 1.62 → 2 in
    # each group: upper u01, u05; lower u06, u03.
    items = {i.question: i for i in item_analysis(graded)}
    s03 = items["s03"]
    assert (s03.right, s03.students, s03.mean_marks) == (3, 6, 5)  # u01, u04, u05 (D); 30 marks / 6
    assert s03.discrimination == (Fraction(10 + 10, 2) - Fraction(0 + 0, 2)) / 10 == 1
    assert [(k, n, right) for k, n, right, _ in s03.options] == [("a", 1, False), ("b", 1, False),
                                                                ("c", 1, False), ("d", 3, True)]
    assert "input channels" in s03.options[2][3]  # option c is 16·7·7 + ...: channels left out
    assert s03.mistakes == ((s03.options[2][3], 1),)
    s11 = items["s11"]
    # right parts: u01 class (2), u02 class (2), u03 none, u04 class (2), u05 class (2), u06 class (2)
    assert (s11.right, s11.mean_marks) == (0, Fraction(10, 6))
    assert s11.discrimination == (Fraction(2 + 2, 2) - Fraction(2 + 0, 2)) / 4 == Fraction(1, 4)
    assert s11.unreadable == 2  # u03 "about -0.15", u05 "-20,53" (a decimal comma is not read)
    assert sorted(n for _, n in s11.mistakes) == [1, 1]  # -20.53 (every α = 1) and class 1 (labels dropped)
    s12 = items["s12"]
    assert (s12.right, s12.unanswered, s12.invalid) == (3, 1, 1)  # u04 left it out, u05 wrote 'e'
    assert s12.discrimination == (Fraction(5 + 0, 2) - Fraction(5 + 0, 2)) / 5 == 0
    assert items["s05"].unanswered == 1


def test_wide_layout_and_json_and_yaml_grade_the_same(graded, tmp_path):
    long_rows = list(csv.DictReader(open(ANSWERS, newline="", encoding="utf-8")))
    columns = ["s03", "s05", "s11", "s11.decision_value", "s12"]
    wide = tmp_path / "wide.csv"
    with open(wide, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "Name", *columns])
        for student in dict.fromkeys(r["student"] for r in long_rows):
            cells = {("s11" if r["part"] == "answer" else f"{r['question']}.{r['part']}"
                      if r["part"] == "decision_value" else r["question"]): r["value"]
                     for r in long_rows if r["student"] == student and r["question"] != "s13"}
            name = next(r["name"] for r in long_rows if r["student"] == student)
            writer.writerow([student, name, *(cells.get(c, "") for c in columns)])
    records = [{k: v for k, v in r.items() if v} for r in long_rows]
    as_json = tmp_path / "answers.json"
    as_json.write_text(json.dumps(records), encoding="utf-8")
    import yaml

    as_yaml = tmp_path / "answers.yaml"
    as_yaml.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")

    def marks(result):
        return {s.student: (s.name, {q: m.marks for q, m in s.questions.items()}) for s in result.students}

    for table in (wide, as_json, as_yaml):
        assert marks(grade_class([str(EXAM)], read_answers(str(table)))) == marks(graded), table


def test_bad_lines_are_reported_at_their_line(tmp_path):
    table = tmp_path / "a.csv"
    table.write_text("student,question,part,value\n"
                     "u1,s03,choice,d\n"
                     "u1,s03,choice,a\n"  # a repeat: the first is graded
                     "u1,s03\n"  # too few cells
                     ",s05,choice,c\n"  # no student
                     "u1,s11,weights,1\n"  # not a part of s11
                     "u2,s03,,d\n"  # no part: the question's option
                     "u2,s11,answer,-1\n", encoding="utf-8")
    result = grade_class([str(EXAM)], read_answers(str(table)))
    assert [e.line_text() for e in result.table_errors] == [
        f"{table}:3: student 'u1', s03.choice: repeats line 2; only that line is graded",
        f"{table}:4: has 2 cells but the header has 4; not graded",
        f"{table}:5: no student id; not graded",
        f"{table}:6: s11: 'weights' is not a part of this question; its parts are answer, class, decision_value, w, bias, alpha, margin, support_vectors, "
        "decision_value_given_bias, class_given_bias",
    ]
    by = {s.student: s for s in result.students}
    assert by["u1"].questions["s03"].marks == 10 and by["u2"].questions["s03"].marks == 10
    assert by["u2"].questions["s11"].marks == 4  # only s11's class is in the table: the whole question


def test_an_answers_table_that_is_a_fifo_device_or_folder_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    """Opening a FIFO would block until a writer came; /dev/zero would never end: refused as the loader
    refuses a problem file, by the one check in nnsolve.files, before any open."""
    import builtins
    import os

    fifo = tmp_path / "answers.csv"
    os.mkfifo(fifo)

    def no_open(*args, **kwargs):
        raise AssertionError(f"opened {args[0]}")

    monkeypatch.setattr(builtins, "open", no_open)
    for path, why in ((fifo, "is not a regular file (a device, a FIFO or a socket); name the answers table"),
                      ("/dev/zero", "is not a regular file (a device, a FIFO or a socket); name the answers table"),
                      (tmp_path, "is a folder; name the answers table (.csv, .json or .yaml)")):
        with pytest.raises(AnswersError) as caught:
            read_answers(str(path))
        assert caught.value.line_text() == f"{path}: {why}"


def test_an_answers_table_that_cannot_be_read_is_one_error(tmp_path):
    with pytest.raises(AnswersError, match="no such answers file"):
        read_answers(str(tmp_path / "none.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("id,question,value\n", encoding="utf-8")
    with pytest.raises(AnswersError, match="has no 'student' column"):
        read_answers(str(bad))
    bad.write_bytes(b"student,s03\nu1,\xff\n")
    with pytest.raises(AnswersError, match="not UTF-8"):
        read_answers(str(bad))
    bad.write_text("student,s03\nu1,\"d\n", encoding="utf-8")
    errors = [e.line_text() for e in read_answers(str(bad)).errors]
    assert errors[0].startswith(f"{bad}:") and "cannot read this line" in errors[0]


def test_gradebook_csv_guards_formulas_and_offers_a_bom(tmp_path):
    table = tmp_path / "a.csv"
    table.write_text("student,name,s03\n=HYPERLINK(\"x\"),+cmd,d\n@SUM,-1,a\n", encoding="utf-8")
    result = grade_class([str(EXAM)], read_answers(str(table)))
    text = classbook.gradebook_csv(result)
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["student", "name", "s03", "s05", "s11", "s12", "total", "out_of", "percentage"]
    assert rows[1] == ["'=HYPERLINK(\"x\")", "'+cmd", "10", "0", "0", "0", "10", "24", "41.7"]
    assert rows[2][:2] == ["'@SUM", "'-1"]
    assert classbook.gradebook_csv(result, bom=True).startswith("\ufeffstudent,")
    document = json.loads(classbook.gradebook_json(result))
    assert document["students"][0] == {"student": '=HYPERLINK("x")', "name": "+cmd",
                                       "marks": {"s03": 10, "s05": 0, "s11": 0, "s12": 0},
                                       "total": 10, "out_of": 24, "percentage": 41.7, "attempt": 1, "attempts": 1}


def test_feedback_with_hints_names_the_mistake_but_not_the_answer(graded):
    u06 = next(s for s in graded.students if s.student == "u06")
    full = classbook.feedback_markdown(graded, u06)
    hinted = classbook.feedback_markdown(graded, u06, hints=True)
    assert "the right option is d" in full
    assert "input channels" in hinted and "right option" not in hinted and "right:" not in hinted
    assert "0.46667" not in hinted and "7/15" not in hinted
    names = [name for name, _ in classbook.feedback_pages(graded)]
    assert names == [f"u0{n}.{ext}" for n in range(1, 7) for ext in ("md", "html")]
    assert classbook.feedback_name("../../etc/passwd") == "_.._etc_passwd"


def test_cli_writes_the_reports_and_exits_1_for_a_table_error(tmp_path):
    out = nnsolve("grade", str(EXAM), "--answers", str(ANSWERS), "--gradebook", str(tmp_path / "g.json"),
                  "--items", str(tmp_path / "items.csv"), "--feedback", str(tmp_path / "fb"), "--hints")
    assert out.returncode == 1, out.stderr
    assert out.stderr == (f"{ANSWERS}:29: 's13' is not a question of this exam; its questions are "
                          f"s03, s05, s11, s12\n"
                          f"wrote {tmp_path / 'g.json'} (the gradebook), {tmp_path / 'items.csv'} (the item "
                          f"analysis), {tmp_path / 'fb'}/ (6 students' feedback, .md and .html)\n")
    assert "u01" in out.stdout and "22/24" in out.stdout and "Traceback" not in out.stderr
    assert max(len(line) for line in out.stdout.splitlines()) <= 80
    assert json.loads((tmp_path / "g.json").read_text())["students"][0]["total"] == 22
    assert (tmp_path / "items.csv").read_text().startswith("question,marks,students,right")
    assert len(list((tmp_path / "fb").glob("*.md"))) == len(list((tmp_path / "fb").glob("*.html"))) == 6


@pytest.mark.parametrize("args, message", [
    (["nosuch", "--answers", str(ANSWERS)], "nnsolve: nosuch: no such file or folder (the exam's problems)\n"),
    ([str(EXAM), "--answers", "nosuch.csv"], "nosuch.csv: no such answers file\n"),
    ([str(EXAM), "--gradebook", "g.csv"],
     "nnsolve: --gradebook, --items, --feedback and --map need --answers (a table of the class's answers)\n"),
    ([str(EXAM), "--answers", str(EXAM / "moodle-responses.csv"), "--map", "1:s03"],
     "nnsolve: --map '1:s03': write KEY=ID, such as --map 1=s03 (Moodle's Response 1 is s03)\n"),
    ([str(EXAM), "--answers", str(ANSWERS), "--items", "i.txt"], "nnsolve: --items i.txt: name a .csv or .json or .md file\n"),
    ([str(EXAM), "--answers", str(ANSWERS), "-o", "g.csv"],
     "nnsolve: with --answers, write the reports with --gradebook, --items and --feedback (not --output or --format)\n"),
])
def test_cli_errors_are_exit_2_with_one_line(args, message, tmp_path):
    out = nnsolve("grade", *args, cwd=tmp_path if args[0] == "nosuch" else ROOT)
    assert (out.returncode, out.stderr) == (2, message)


def test_a_wide_tables_bad_column_is_one_error_at_the_header(tmp_path):
    table = tmp_path / "wide.csv"
    table.write_text("student,s03,s99,s11.nope\nu1,d,1,2\nu2,a,1,2\n", encoding="utf-8")
    result = grade_class([str(EXAM)], read_answers(str(table)))
    assert [e.line_text() for e in result.table_errors] == [
        f"{table}:1: column 's99': 's99' is not a question of this exam; its questions are s03, s05, s11, s12; "
        f"the column is not graded",
        f"{table}:1: column 's11.nope': s11: 'nope' is not a part of this question; its parts are answer, class, "
        f"decision_value, w, bias, alpha, margin, support_vectors, decision_value_given_bias, class_given_bias; "
        f"the column is not graded"]
    assert [s.total for s in result.students] == [10, 0]


def test_grading_each_distinct_submission_once_changes_nothing(graded, monkeypatch):
    import nnsolve.classroom as classroom

    monkeypatch.setattr(classroom, "GRADES_KEPT", 0)
    again = grade_class([str(EXAM)], read_answers(str(ANSWERS)))
    assert [(s.student, s.questions) for s in again.students] == [(s.student, s.questions) for s in graded.students]


def test_feedback_pages_escape_text_from_the_table(tmp_path):
    table = tmp_path / "a.csv"
    table.write_text('student,name,s03\nu1,"<script>x</script> *b* \x1b[31m",a\n', encoding="utf-8")
    result = grade_class([str(EXAM)], read_answers(str(table)))
    page = classbook.feedback_html(result, result.students[0])
    assert "<script>" not in page and "&lt;script&gt;" in page and "\x1b" not in page
    markdown = classbook.feedback_markdown(result, result.students[0])
    assert "<script>" not in markdown and "\\*b\\*" in markdown and "\x1b" not in markdown
    assert "option a is wrong (the right option is d)" in page


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_table_saved_with_semicolons_or_tabs_and_a_bom_reads_alike(delimiter, tmp_path):
    table = tmp_path / "a.csv"
    rows = [["student", "name", "s03", "s11.decision_value"], ["u1", "Ada", "d", "-7/15"]]
    table.write_text("\ufeff" + "".join(delimiter.join(r) + "\r\n" for r in rows), encoding="utf-8")
    read = read_answers(str(table))
    assert [(a.student, a.question, a.part, a.value) for a in read.answers] == [
        ("u1", "s03", "", "d"), ("u1", "s11", "decision_value", "-7/15")]
    assert read.names == {"u1": "Ada"} and read.errors == []


def test_a_json_tables_errors_name_the_record(tmp_path):
    table = tmp_path / "a.json"
    table.write_text(json.dumps([{"student": "u1", "question": "s03", "value": "d"},
                                 {"student": "u1", "question": "s03", "value": "a"},
                                 {"student": "u1", "question": "s77", "value": "a"}]), encoding="utf-8")
    result = grade_class([str(EXAM)], read_answers(str(table)))
    assert [e.line_text() for e in result.table_errors] == [
        f"{table}: record 2: student 'u1', s03.choice: repeats record 1; only that record is graded",
        f"{table}: record 3: 's77' is not a question of this exam; its questions are s03, s05, s11, s12"]
    assert result.students[0].total == 10


# The right option's text as an LMS writes a response (the exam's files, by hand), and the class's
# answer to s11 (its class, the question's default part). The exam's order: s03, s05, s11, s12.
LMS_RIGHT = {"s03": Fraction(217850), "s05": "it reduces the computational cost and memory usage.",
             "s11": Fraction(-1), "s12": Fraction(449, 10000)}
ORDER = ["s03", "s05", "s11", "s12"]


def lms_expected(path: Path, response_columns) -> dict[str, dict[str, Fraction]]:
    """Each student's marks on an LMS download, by a plain loop: the k-th response column is the
    exam's k-th question; a response is right when it is the right option's text or value."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            student = row.get("Email address") or row.get("sis_id")
            out[student] = {}
            for question, column in zip(ORDER, response_columns(row)):
                given = row[column].strip().replace(",", "")
                right = LMS_RIGHT[question]
                try:
                    ok = Fraction(given) == right if isinstance(right, Fraction) else given.lower() == right
                except ValueError:
                    ok = False
                out[student][question] = Fraction(MARKS[question]) if ok else Fraction(0)
    return out


@pytest.mark.parametrize("name, columns", [
    ("moodle-responses.csv", lambda row: [f"Response {k}" for k in range(1, 5)]),
    ("canvas-student-analysis.csv", lambda row: [c for c in row if c[:3] in ("101", "102", "103", "104")]),
])
def test_moodle_and_canvas_downloads_are_read_as_they_come(name, columns):
    table = read_answers(str(EXAM / name))
    assert table.lms == ("Moodle" if name.startswith("moodle") else "Canvas")
    result = grade_class([str(EXAM)], table)
    assert result.table_errors == []
    got = {s.student: {q: Fraction(m.marks) for q, m in s.questions.items()} for s in result.students}
    assert got == lms_expected(EXAM / name, columns)
    assert [s.total for s in result.students] == [24, 14, 0, 14]  # as the LMS's own Grade/score column says
    assert [s.name for s in result.students][:2] == ["Ada Lovelace", "Alan Turing"]
    hopper = result.students[2].questions["s11"].grade.parts[0]
    assert hopper.unreadable  # "about 1" and "idk": could not read the answer, not wrong


def test_an_lms_download_is_mapped_by_order_or_by_the_instructors_map(tmp_path):
    table = tmp_path / "responses.csv"
    table.write_text("Surname,First name,State,Grade/24.00,Response 1,Response 2,Response 7\n"
                     "Lovelace,Ada,Finished,15.00,-1,\"217,850\",0.0449\n", encoding="utf-8")
    by_order = grade_class([str(EXAM)], read_answers(str(table)))
    assert [e.line_text() for e in by_order.table_errors] == [
        f"{table}:1: column 'Response 7': Moodle's question 7 is not mapped to a question of this exam (it has 4); "
        f"map it with --map 7=ID, or the column is left out; the column is not graded"]
    assert {q: m.marks for q, m in by_order.students[0].questions.items()} == {"s03": 0, "s05": 0, "s11": 0, "s12": 0}
    assert by_order.students[0].student == "Ada Lovelace"  # no id column: the name is the id
    mapped = grade_class([str(EXAM)], read_answers(str(table)), {"1": "s11", "2": "s03", "7": "s12"})
    assert mapped.table_errors == []
    assert {q: m.marks for q, m in mapped.students[0].questions.items()} == {"s03": 10, "s05": 0, "s11": 4, "s12": 5}
    wrong = grade_class([str(EXAM)], read_answers(str(table)), {"1": "s99"})
    assert f"{table}: --map 1=s99: 's99' is not a question of this exam; its questions are s03, s05, s11, s12" in \
        [e.line_text() for e in wrong.table_errors]


def test_an_lms_download_is_untrusted_text(tmp_path):
    table = tmp_path / "sa.csv"
    table.write_text('name,id,sis_id,section,section_id,submitted,"1: <b>q</b>",1.0,n correct,n incorrect,score\n'
                     '"=HYPERLINK(""http://x"")",7,,S,1,2026,"<script>",0,0,1,0\n', encoding="utf-8")
    result = grade_class([str(EXAM)], read_answers(str(table)))
    assert result.students[0].student == "7" and result.students[0].name.startswith("=HYPERLINK")
    assert list(csv.reader(classbook.gradebook_csv(result).splitlines()))[1][:2] == ["7", "'=HYPERLINK(\"http://x\")"]
    page = dict(classbook.feedback_pages(result))["7.html"]
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_cli_grades_a_moodle_download_with_a_map(tmp_path):
    out = nnsolve("grade", str(EXAM), "--answers", str(EXAM / "moodle-responses.csv"), "--map", "1=s03,2=s05",
                  "--map", "3=s11", "--map", "4=s12", "--gradebook", str(tmp_path / "g.csv"))
    assert (out.returncode, out.stderr) == (0, f"wrote {tmp_path / 'g.csv'} (the gradebook)\n")
    assert (tmp_path / "g.csv").read_text().splitlines()[1] == "ada@example.edu,Ada Lovelace,10,5,4,5,24,24,100.0"


def test_cli_jobs_solve_in_worker_processes_and_the_reports_are_byte_identical(tmp_path):
    written = {}
    for jobs in ("1", "2"):
        out_dir = tmp_path / f"j{jobs}"
        out_dir.mkdir()
        out = nnsolve("grade", str(EXAM), "--answers", str(ANSWERS), "--jobs", jobs, "--timeout", "0" if jobs == "1" else "60",
                      "--gradebook", str(out_dir / "g.csv"), "--items", str(out_dir / "i.json"),
                      "--feedback", str(out_dir / "fb"))
        assert out.returncode == 1, out.stderr  # the table's one error, line 29
        written[jobs] = (out.stdout, out.stderr.replace(str(out_dir), "OUT"),
                         {p.relative_to(out_dir).as_posix(): p.read_bytes() for p in sorted(out_dir.rglob("*.*"))})
    assert written["1"] == written["2"]
    assert len(written["2"][2]) == 2 + 12


def test_a_problem_over_the_time_budget_is_its_one_error_and_the_others_are_graded(monkeypatch):
    import time

    import nnsolve.classroom as classroom

    solved = classroom._solved_problem

    def slow_on_s05(problem):
        if problem.file.endswith("s05-depthwise.yaml"):
            time.sleep(30)
        return solved(problem)

    monkeypatch.setattr(classroom, "_solved_problem", slow_on_s05)  # the workers are forked with it
    result = grade_class([str(EXAM)], read_answers(str(ANSWERS)), jobs=2, timeout=1)
    assert [e.line_text() for e in result.problem_errors] == [
        f"{EXAM / 's05-depthwise.yaml'}: took longer than 1 s and was stopped (--timeout)"]
    assert [q.id for q in result.questions] == ["s03", "s11", "s12"]
    expected = expected_marks(ANSWERS)
    assert {s.student: s.total for s in result.students} == {
        student: sum(m for q, m in marks.items() if q != "s05") for student, marks in expected.items()}
    assert [e.line_text() for e in result.table_errors] == [  # s05's rows are set aside, not errors
        f"{ANSWERS}:29: 's13' is not a question of this exam; its questions are s03, s11, s12 (and s05, whose "
        f"file is invalid)"]


# Ada's three attempts and Alan's one, as Moodle's Responses report lists them (a row per attempt);
# each attempt's marks worked by hand from KEY and MARKS: s03 (10), s05 (5), s11 (4, both parts), s12 (5).
MOODLE_ATTEMPTS = """Surname,First name,Email address,State,Started on,Completed,Time taken,Grade/24.00,Response 1,Response 2,Response 3,Response 4
Lovelace,Ada,ada@example.edu,Finished,1 Dec,1 Dec,9 mins,14.00,"217,882",It reduces the computational cost and memory usage.,-1,0.0449
Lovelace,Ada,ada@example.edu,Finished,2 Dec,2 Dec,9 mins,24.00,"217,850",It reduces the computational cost and memory usage.,-1,0.0449
Lovelace,Ada,ada@example.edu,Finished,3 Dec,3 Dec,9 mins,0.00,-,-,-,-
Turing,Alan,alan@example.edu,Finished,1 Dec,1 Dec,9 mins,10.00,"217,850",-,-,-
"""
ATTEMPT_TOTALS = {"ada@example.edu": [14, 24, 0], "alan@example.edu": [10]}


@pytest.mark.parametrize("keep", ["highest", "first", "last"])
def test_each_attempt_is_graded_and_attempts_says_which_counts(keep, tmp_path):
    table = tmp_path / "moodle.csv"
    table.write_text(MOODLE_ATTEMPTS, encoding="utf-8")
    result = grade_class([str(EXAM)], read_answers(str(table)), keep=keep)
    assert result.table_errors == []  # a second row is the student's next attempt, not a repeat
    for student in result.students:
        totals = ATTEMPT_TOTALS[student.student]
        kept = {"highest": totals.index(max(totals)), "first": 0, "last": len(totals) - 1}[keep]
        assert (student.total, student.attempt, student.attempts) == (totals[kept], kept + 1, len(totals))
    rows = list(csv.reader(classbook.gradebook_csv(result).splitlines()))
    assert rows[0][-1] == "attempt" and rows[2][-1] == "1 of 1"
    page = dict(classbook.feedback_pages(result))["ada_example.edu.md"]
    assert f"; attempt {rows[1][-1]}, {classbook.KEPT[keep]}" in page


def test_canvas_attempt_column_numbers_the_attempts(tmp_path):
    lines = (EXAM / "canvas-student-analysis.csv").read_text(encoding="utf-8").splitlines()
    ada = lines[1].split(",")
    assert ada[7] == "1"  # the attempt column
    first = ",".join(ada[:7] + ["2"] + ada[8:])  # her attempt 2, listed first, answers as in the file (24)
    second = ",".join(ada[:7] + ["1", "217882"] + ada[9:])  # attempt 1: s03 wrong (14)
    table = tmp_path / "canvas.csv"
    table.write_text("\n".join([lines[0], first, second]) + "\n", encoding="utf-8")
    for keep, total, attempt in (("highest", 24, 2), ("first", 14, 1), ("last", 24, 2)):
        [student] = grade_class([str(EXAM)], read_answers(str(table)), keep=keep).students
        assert (student.total, student.attempt, student.attempts) == (total, attempt, 2), keep


def test_one_attempt_each_leaves_the_gradebook_as_it_was(graded):
    rows = list(csv.reader(classbook.gradebook_csv(graded).splitlines()))
    assert rows[0][-1] == "percentage"
    assert "attempt" not in classbook.summary_text(graded, item_analysis(graded))


@pytest.mark.parametrize("id_line, qid", [("id: s05\n", "s05"), ("", "s05-depthwise")])
def test_an_invalid_problem_file_is_one_error_and_its_answers_are_not_gradable(id_line, qid, tmp_path):
    exam = tmp_path / "exam"
    exam.mkdir()
    for name in ("s03-cnn-params.yaml", "s11-svm-decision.yaml", "s12-sigmoid-node.yaml"):
        (exam / name).write_bytes((EXAM / name).read_bytes())
    broken = exam / "s05-depthwise.yaml"
    broken.write_text(f"topic: cnn_architecture\n{id_line}input: [32, 32\nlayers: []\n", encoding="utf-8")
    table = tmp_path / "answers.csv"
    table.write_text(ANSWERS.read_text(encoding="utf-8").replace(",s05,", f",{qid},"), encoding="utf-8")
    result = grade_class([str(exam)], read_answers(str(table)))
    assert len(result.problem_errors) == 1 and result.problem_errors[0].file == str(broken)
    assert [e.line for e in result.table_errors] == [29]  # s13 alone: no line per answer to the broken file
    expected = expected_marks(ANSWERS)
    answered = {row["student"] for row in csv.DictReader(ANSWERS.open(encoding="utf-8")) if row["question"] == "s05"}
    rows = {r[0]: r for r in csv.reader(classbook.gradebook_csv(result).splitlines())}
    assert rows["student"][2:-3] == ["s03", qid, "s11", "s12"]
    for s in result.students:
        assert s.total == sum(m for q, m in expected[s.student].items() if q != "s05") and s.out_of == 24 - 5
        assert rows[s.student][3] == ("not gradable" if s.student in answered else "")
    item = next(i for i in item_analysis(result) if i.question == qid)
    assert (item.not_gradable, item.invalid, item.unanswered) == (
        result.problem_errors[0].line_text(), len(answered), len(result.students) - len(answered))
    assert json.loads(classbook.gradebook_json(result))["students"][0]["marks"][qid] is None
    page = dict(classbook.feedback_pages(result))["u01.md"]
    assert f"| {qid} | not gradable |" in page and "does not count in your total" in page


MC = {q: KEY[q]["choice"] for q in ("s03", "s05", "s12")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(*(st.sampled_from("abcd ") for _ in MC)), min_size=2, max_size=30))
def test_discrimination_index_agrees_with_its_definition_on_generated_classes(tmp_path, answers):
    """D = (R_upper − R_lower) / n for right-or-wrong questions, the groups the top and bottom 27%
    of the class (rounded, at least 1) by a total counted here from the key; ties by student id."""
    table = tmp_path / "wide.csv"
    rows = ["student," + ",".join(MC)] + [f"u{i:02d}," + ",".join(a.strip() for a in row)
                                          for i, row in enumerate(answers)]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    exam = [str(EXAM / f) for f in ("s03-cnn-params.yaml", "s05-depthwise.yaml", "s12-sigmoid-node.yaml")]
    items = {i.question: i for i in item_analysis(grade_class(exam, read_answers(str(table))))}
    right = {f"u{i:02d}": {q: a == MC[q] for q, a in zip(MC, row)} for i, row in enumerate(answers)}
    total = {s: sum(MARKS[q] for q in MC if r[q]) for s, r in right.items()}
    ranked = sorted(total, key=lambda s: (-total[s], s))
    n = max(1, round(Fraction(27, 100) * len(ranked)))
    upper, lower = ranked[:n], ranked[-n:]
    for q in MC:
        r_upper, r_lower = (sum(right[s][q] for s in group) for group in (upper, lower))
        assert items[q].discrimination == Fraction(r_upper - r_lower, n), q
        assert items[q].right == sum(r[q] for r in right.values())


SEED = ROOT / "problems" / "seed"


def test_an_option_that_states_several_numbers_is_named_by_the_asked_one_and_a_flawed_key_is_flagged(tmp_path):
    # s09's options state flatten_size and output_size; it asks for flatten_size (option b: 784).
    # s07's options: none agrees on every number (the key's "(c) partial").
    table = tmp_path / "a.csv"
    table.write_text("student,s07,s09\nk1,c,784\nk2,a,1352\nk3,d,5\n", encoding="utf-8")
    exam = [str(SEED / "s07-conv-cost.yaml"), str(SEED / "s09-cnn-shapes.yaml")]
    result = grade_class(exam, read_answers(str(table)))
    assert [s.questions["s09"].marks for s in result.students] == [5, 0, 0]
    assert result.students[1].questions["s09"].grade.submitted == {"choice": "a"}
    assert result.students[2].questions["s09"].invalid  # 5 is the output size of a, c and d: names none
    items = {i.question: i for i in item_analysis(result)}
    assert items["s09"].key_note is None
    assert items["s07"].key_note == ("no option agrees with the computed answer on every number; "
                                     "option c is the best match")
    assert "s07: check the question: no option agrees" in classbook.summary_text(result, list(items.values()), 200)


def test_an_unfinished_moodle_attempt_is_one_line_and_not_graded(tmp_path):
    lines = MOODLE_ATTEMPTS.splitlines()
    lines[3] = lines[3].replace(",Finished,", ",In progress,")  # Ada's third attempt (0 marks), unfinished
    table = tmp_path / "moodle.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = grade_class([str(EXAM)], read_answers(str(table)), keep="last")
    assert [e.line_text() for e in result.table_errors] == [
        f"{table}:4: student 'ada@example.edu': an attempt in the state 'In progress'; not graded (Moodle grades "
        f"finished attempts)"]
    ada = result.students[0]
    assert (ada.total, ada.attempt, ada.attempts) == (24, 2, 2)
    table.write_text("\n".join([lines[0], lines[4].replace(",Finished,", ",Never submitted,")]) + "\n",
                     encoding="utf-8")
    [alan] = grade_class([str(EXAM)], read_answers(str(table))).students  # still in the gradebook, with 0
    assert (alan.student, alan.total, alan.out_of) == ("alan@example.edu", 0, 24)


@pytest.mark.parametrize("signum, code, word", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
def test_ctrl_c_while_a_problem_is_solved_in_a_worker_is_exit_130_with_no_report(signum, code, word, tmp_path):
    import signal
    import time

    from tests.test_workers import _alive, _nnsolve, _slow_problem, _wait_for_worker_busy, linux_only

    if linux_only.args[0]:
        pytest.skip("reads /proc (Linux)")
    exam = tmp_path / "exam"
    exam.mkdir()
    (exam / "s03-cnn-params.yaml").write_bytes((EXAM / "s03-cnn-params.yaml").read_bytes())
    (exam / "s05-slow.yaml").write_text(_slow_problem(), encoding="utf-8")
    process = _nnsolve("grade", str(exam), "--answers", str(ANSWERS), "--jobs", "2", "--timeout", "0",
                       "--gradebook", str(tmp_path / "g.csv"))
    workers = _wait_for_worker_busy(process.pid)
    sent = time.monotonic()
    process.send_signal(getattr(signal, signum))
    _, err = process.communicate(timeout=20)
    assert time.monotonic() - sent < 5  # the worker on the slow problem is killed, not waited for
    assert (process.returncode, err) == (code, f"nnsolve: {word}; no report was written\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exam"]  # no gradebook, no temporary
    assert not any(_alive(pid) for pid in workers)
