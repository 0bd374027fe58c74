"""Grade a class: one exam folder, one table of every student's answers (nnsolve.answers).

Every problem is solved once; each student's answers to it become the ``submitted`` a problem
file would state, and are marked by nnsolve.grade's own rules. A question is worth its marks
to every student: its marked parts are the same for the whole class (the file's
``submitted.weights`` if it states them, else every part someone in the table answered, the
option alone when a number is given beside it), so an unanswered or invalid part earns 0 of
what it is worth and the class total is honest.

``grade_class()`` is pure apart from reading the files: it returns data; nnsolve.render.classbook
turns it into a gradebook, an item analysis and feedback pages.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction

from pydantic import ValidationError

from . import limits
from .answers import Answer, AnswersError, AnswersTable
from .compare import Unreadable, read_answer
from .errors import NnsolveError
from .grade import Grade, Part, _grade, _right_option, _Solved, collect_paths, reproducing
from .loader import Loaded, load
from .numbers import Number, simplify
from .solve import solve
from .spec import Submission


GRADES_KEPT = 4_096  # distinct submissions per question whose grade is kept for the students after


@dataclass
class Question:
    """One problem of the exam, solved once."""

    id: str
    file: str
    problem: Loaded
    solved: _Solved
    marks: Number
    weights: dict[str, Number] = field(default_factory=dict)  # part ("choice", "answer", a name) → weight
    _diagnosed: dict = field(default_factory=dict, repr=False)  # (part, value) → the mistake, memoised
    _graded: dict = field(default_factory=dict, repr=False)  # a submission's repr → its Grade (see _mark)

    @property
    def solution(self):
        return self.solved.solution

    def part_name(self, part: str) -> str | None:
        """The submission key a table's part names ("choice", "answer" or a named answer), or None."""
        solution = self.solution
        if part in ("", "answer"):
            return "choice" if part == "" and self.problem.spec.choices else "answer"
        if part == "choice":
            return "choice" if self.problem.spec.choices else None
        if part == solution.primary:
            return "answer"
        return part if part in solution.answers else None

    def parts_text(self) -> str:
        names = (["choice"] if self.problem.spec.choices else []) + ["answer"] + list(self.solution.answers)
        return ", ".join(dict.fromkeys(names))

    def mistake(self, part: Part) -> str | None:
        """The first common mistake that reproduces a wrong part (its option's answers, or its value)."""
        if part.correct or part.submitted is None or not part.out_of or getattr(part, "unreadable", False):
            return None
        key = (part.name, repr(part.submitted))
        if key not in self._diagnosed:
            solution = self.solution
            if part.name == "choice":
                option = solution.options.get(part.submitted)
                stated = dict(option) if isinstance(option, dict) else {solution.primary: option}
            else:
                stated = {part.name: part.submitted}
            found = reproducing(self.solved.variants(self.problem.spec), stated, solution,
                                self.problem.spec.tolerance)
            self._diagnosed[key] = found[0].mistake if found else None
        return self._diagnosed[key]


@dataclass(frozen=True)
class QuestionMark:
    """One student's result on one question: the grade (None: nothing answered) and its marks."""

    grade: Grade | None
    marks: Number
    out_of: Number
    invalid: tuple[str, ...] = ()  # answers that were not graded (not an option, ...)
    gradable: bool = True  # False: the question's file is invalid (ClassResult.not_gradable)
    answered: bool = False  # of a question not gradable: whether the student answered it


@dataclass(frozen=True)
class StudentResult:
    student: str
    name: str
    questions: dict[str, QuestionMark]  # question id → mark, in the exam's order
    total: Number
    out_of: Number
    attempt: int = 1  # the attempt graded (an LMS download's), of ``attempts``
    attempts: int = 1

    @property
    def percentage(self) -> float:
        return float(Fraction(self.total) / Fraction(self.out_of) * 100) if self.out_of else 0.0


@dataclass
class ClassResult:
    questions: list[Question]
    students: list[StudentResult]
    problem_errors: list[NnsolveError]  # problem files that could not be loaded or solved
    table_errors: list[AnswersError]  # lines of the answers table that were not graded
    answers_file: str = ""
    keep: str = "highest"  # which attempt of a student's counts (ATTEMPTS)
    not_gradable: dict[str, NnsolveError] = field(default_factory=dict)  # question → its invalid file's error
    columns: list[str] = field(default_factory=list)  # every question in the exam's order, gradable or not

    @property
    def out_of(self) -> Number:
        return simplify(sum((Fraction(q.marks) for q in self.questions), Fraction(0)))


def load_exam(paths: list[str], jobs: int = 1, timeout: float | None = None
              ) -> tuple[list[Question], list[NnsolveError], list[str], dict[str, NnsolveError]]:
    """Load and solve each problem once. A file that fails is one error, the rest are questions.
    The third list names every file's question in the exam's order (a file that could not be
    read by its stem); the fourth maps each question that cannot be graded to its file's error.

    Each file is read here; its solving (with its common mistakes' variants, which the marking
    and the item analysis ask for) runs in ``jobs`` worker processes when ``jobs`` > 1 or a
    ``timeout`` (seconds per file) is set, as ``nnsolve grade`` and ``key`` do (nnsolve.workers):
    a file over the budget, or whose worker dies, is that file's one error. The results are the
    same as in one process: a solver is a pure function of its problem."""
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise NnsolveError(f"{missing[0]}: no such file or folder (the exam's problems)")
    files = collect_paths(paths)
    if not files:
        raise NnsolveError(f"no problem files (*.yaml, *.yml) in {', '.join(paths)}")
    questions: list[Question] = []
    errors: list[NnsolveError] = []
    failed: dict[str, NnsolveError] = {}
    seen: dict[str, str] = {}
    order = [os.path.splitext(os.path.basename(path))[0] for path in files]
    loaded: list[Loaded] = []
    for index, path in enumerate(files):
        try:
            loaded.append(load(path))
        except NnsolveError as exc:
            errors.append(exc.located(file=path))
            order[index] = _stated_id(path) or order[index]
            failed.setdefault(order[index], exc)
    if timeout or (jobs > 1 and len(loaded) > 1):
        from .workers import run_each

        outcomes = run_each(_solved_problem, loaded, jobs=max(1, min(jobs, len(loaded))), timeout=timeout,
                            fault=_stopped)
    else:
        outcomes = map(_solved_problem, loaded)
    for problem, outcome in zip(loaded, outcomes):
        path, spec = problem.file, problem.spec
        qid = spec.id or os.path.splitext(os.path.basename(path))[0]
        if isinstance(outcome, NnsolveError):
            errors.append(outcome)
            if qid not in seen:
                failed.setdefault(qid, outcome)
                order[files.index(path)] = qid
            continue
        if qid in seen:
            errors.append(NnsolveError(f"the question id {qid!r} is also {seen[qid]}'s; give each problem its "
                                       f"own id", file=path, line=problem.lines.get("id"), field="id"))
            continue
        seen[qid] = path
        order[files.index(path)] = qid
        marks = spec.marks if spec.marks is not None else 1
        questions.append(Question(qid, path, problem, outcome, marks))
    errors.sort(key=lambda e: files.index(e.file) if e.file in files else len(files))
    for q in questions:  # a failed file's id that a later valid file also has is that file's question
        failed.pop(q.id, None)
    return questions, errors, order, failed


STATED_ID = re.compile(r"^id:[ \t]*(['\"]?)([A-Za-z0-9_.-]{1,64})\1[ \t]*(?:#.*)?$", re.MULTILINE)


def _stated_id(path: str) -> str | None:
    """The ``id:`` line of a file that could not be read as a problem (its YAML broken, say), so
    that the answers to it are known as its: a plain top-level ``id: s05`` and nothing else."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(limits.MAX_FILE_BYTES)
    except OSError:
        return None
    found = {match.group(2) for match in STATED_ID.finditer(text)}
    return found.pop() if len(found) == 1 else None


def _solved_problem(problem: Loaded) -> _Solved | NnsolveError:
    """The problem solved, with its mistakes' variants; or the one error that says why it cannot be."""
    try:
        solved = _Solved(solve(problem.spec))
        solved.variants(problem.spec)
    except NnsolveError as exc:
        return problem.locate(exc)
    except Exception as exc:  # a bug in nnsolve: this question's error, not the class's
        return NnsolveError(f"internal error (a bug in nnsolve): {type(exc).__name__}: {exc}", file=problem.file)
    return solved


def _stopped(problem: Loaded, stopped) -> NnsolveError:
    return NnsolveError(stopped.reason("solving"), file=problem.file)


def lms_questions(table: AnswersTable, order: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Each response column's key (Moodle's N, Canvas's question id) → the question it answers:
    as ``mapping`` says, else by position in the exam's file order (Moodle's Response N is the
    N-th file; Canvas's k-th question column is the k-th file)."""
    if mapping:
        return dict(mapping)
    if table.lms == "Moodle":
        return {key: order[int(key) - 1] for key in table.lms_keys if 1 <= int(key) <= len(order)}
    return dict(zip(table.lms_keys, order))


def grade_class(paths: list[str], table: AnswersTable, mapping: dict[str, str] | None = None,
                jobs: int = 1, timeout: float | None = None, keep: str = "highest") -> ClassResult:
    """Grade every student of ``table`` on the exam at ``paths``. ``mapping`` maps an LMS
    download's response keys to question ids (see ``lms_questions``); ``jobs`` and ``timeout``
    are how the problems are solved (see ``load_exam``). A student with several attempts (rows
    of an LMS download) has each graded, and ``keep`` says which counts: "highest", "first"
    or "last" (see ``ATTEMPTS``)."""
    if keep not in ATTEMPTS:
        raise ValueError(f"keep must be one of {ATTEMPTS}, not {keep!r}")
    questions, problem_errors, order, failed = load_exam(paths, jobs, timeout)
    by_id = {q.id: q for q in questions}
    for q in questions:  # a question may also be named by its file stem
        by_id.setdefault(_stem(q.file), q)
    # A question whose file is invalid is its file's one error, not one per answer: its answers
    # are set aside, and the reports mark them as not gradable.
    not_gradable = {qid: qid for qid in failed}
    for qid, exc in failed.items():
        if exc.file:
            not_gradable.setdefault(_stem(exc.file), qid)
    exam = list(dict.fromkeys(qid for qid in order if qid in failed or qid in by_id and by_id[qid].id == qid))
    set_aside: dict[str, set[str]] = {}  # student → the questions not gradable that they answered
    known = (f" (and {', '.join(failed)}, whose file{'s are' if len(failed) > 1 else ' is'} invalid)"
             if failed else "")
    errors = list(table.errors)

    # Each student's answers (per attempt of an LMS download), checked against the exam; a repeated
    # part is graded once (its first line).
    given: dict[str, dict[int, dict[str, dict[str, Answer]]]] = {
        s: {a: {} for a in table.attempts.get(s, [1])} for s in table.names}
    bad_columns: set[str] = set()  # a wide table's column that names no question is reported once, at line 1

    def refuse(answer: Answer, message: str) -> None:
        if answer.column is None:
            errors.append(table.at(answer.line, message))
        elif answer.column not in bad_columns:
            bad_columns.add(answer.column)
            errors.append(AnswersError(f"column {answer.column!r}: {message}; the column is not graded",
                                       file=table.file, line=None if table.records else 1))

    lms = lms_questions(table, order, mapping or {}) if table.lms else None
    if mapping and not table.lms:
        errors.append(AnswersError("--map is for a Moodle or Canvas download; this table names its questions "
                                   "itself, so the map is not used", file=table.file))
    for key, qid in (lms or {}).items():
        if qid not in by_id and qid not in order:
            errors.append(AnswersError(f"--map {key}={qid}: {qid!r} is not a question of this exam; its questions "
                                       f"are {', '.join(q.id for q in questions)}", file=table.file))

    for answer in table.answers:
        if lms is not None:
            qid = lms.get(answer.question)
            if qid is None:
                refuse(answer, f"{table.lms}'s question {answer.question} is not mapped to a question of this "
                               f"exam (it has {len(order)}); map it with --map {answer.question}=ID, or the "
                               f"column is left out")
                continue
            answer = dataclasses.replace(answer, question=qid)
        question = by_id.get(answer.question)
        if question is None and answer.question in not_gradable:
            set_aside.setdefault(answer.student, set()).add(not_gradable[answer.question])
            continue
        if question is None:
            refuse(answer, f"{answer.question!r} is not a question of this exam; its questions are "
                           f"{', '.join(q.id for q in questions)}{known}")
            continue
        name = question.part_name(answer.part)
        if name is None:
            refuse(answer, f"{question.id}: {answer.part!r} is not a part of this question; its parts "
                           f"are {question.parts_text()}")
            continue
        parts = given[answer.student].setdefault(answer.attempt, {}).setdefault(question.id, {})
        if name in parts:
            errors.append(table.at(answer.line, f"student {answer.student!r}, {question.id}.{name}: repeats "
                                                f"{table.unit} {parts[name].line}; only that {table.unit} is graded"))
            continue
        parts[name] = answer

    for question in questions:
        question.weights = _class_weights(question, (p for s in given.values() for a in s.values()
                                                     for p in a.get(question.id, {})))

    students = []
    for student, attempts in given.items():
        graded = []
        for attempt, answered in attempts.items():
            marks = {qid: _mark(by_id[qid], answered.get(qid, {}), errors, table) if qid in by_id
                     else QuestionMark(None, 0, 0, gradable=False, answered=qid in set_aside.get(student, ()))
                     for qid in exam}
            graded.append(StudentResult(
                student, table.names.get(student, ""), marks,
                total=simplify(sum((Fraction(m.marks) for m in marks.values()), Fraction(0))),
                out_of=simplify(sum((Fraction(m.out_of) for m in marks.values()), Fraction(0))),
                attempt=attempt, attempts=len(attempts)))
        students.append(_kept_attempt(graded, keep))
    errors.sort(key=lambda e: (e.line is None, e.line or 0))  # a JSON/YAML table's record errors keep their order
    return ClassResult(questions, students, problem_errors, errors, table.file, keep,
                       {qid: failed[qid] for qid in exam if qid in failed}, exam)


ATTEMPTS = ("highest", "first", "last")  # which of a student's attempts counts (grade --attempts)


def _kept_attempt(graded: list[StudentResult], keep: str) -> StudentResult:
    """The attempt that counts: the highest total (the earliest of equals: Moodle's "highest
    grade"), the first or the last (by attempt number)."""
    if keep == "first":
        return min(graded, key=lambda r: r.attempt)
    if keep == "last":
        return max(graded, key=lambda r: r.attempt)
    return min(graded, key=lambda r: (-Fraction(r.total), r.attempt))


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _class_weights(question: Question, answered_parts) -> dict[str, Number]:
    """The marked parts of the question, the same for every student (see the module's docstring)."""
    stated = question.problem.spec.submitted
    if stated is not None and stated.weights is not None:
        return dict(stated.weights)
    parts = set(answered_parts) or {question.part_name("")}
    weights: dict[str, Number] = {name: 1 for name in sorted(parts, key=_part_order)}
    if "choice" in weights and "answer" in weights:
        weights["answer"] = 0  # beside an option, the number is working (nnsolve.grade's rule)
    return weights


def _part_order(name: str) -> tuple[int, str]:
    return ({"choice": 0, "answer": 1}.get(name, 2), name)


def _mark(question: Question, answered: dict[str, Answer], errors: list, table: AnswersTable) -> QuestionMark:
    spec = question.problem.spec
    values: dict[str, str] = {}
    invalid: list[str] = []
    for name, answer in answered.items():
        value = answer.value
        if name == "choice":
            key = _option_key(spec.choices, value, question.solution.primary)
            if key is None:
                invalid.append(f"option {value!r} is not one of the options ({', '.join(spec.choices)})")
                continue
            value = key
        values[name] = value
    if not values:
        return _unanswered(question, invalid)
    # Many students give the same answers (the right ones, the common wrong ones): grading is a pure
    # function of the question and the submission, so each distinct submission is graded once.
    key = repr(sorted(values.items()))
    grade = question._graded.get(key)
    if grade is None:
        submission = _submission(values, question.weights)
        problem = dataclasses.replace(question.problem, spec=spec.model_copy(update={"submitted": submission}))
        try:
            grade = _grade(problem, question.solution, question.solved)
        except NnsolveError as exc:
            line = min(a.line for a in answered.values())
            errors.append(table.at(line, f"{question.id}: {exc.message}; not graded"))
            return _unanswered(question, invalid + [exc.message])
        if len(question._graded) < GRADES_KEPT:
            question._graded[key] = grade
    if invalid:
        parts = tuple(dataclasses.replace(p, diagnosis=(invalid[0],)) if p.name == "choice" and p.submitted is None
                      else p for p in grade.parts)
        grade = dataclasses.replace(grade, parts=parts, diagnosis=tuple(invalid) + grade.diagnosis)
    return QuestionMark(grade, grade.marks, question.marks, tuple(invalid))


def _option_key(choices: dict, value: str, primary: str | None = None) -> str | None:
    """The option a choice names: its letter ("d", "D", "d."), or, as an LMS writes the response,
    the option's own value ("217,850") when exactly one option has it; of an option that states
    several numbers, the value of what the question asks for (``primary``)."""
    letter = value.strip().rstrip(".)").strip()
    key = next((k for k in choices if k.lower() == letter.lower()), None)
    if key is not None:
        return key
    matching = []
    said = " ".join(value.split()).casefold()
    for k, option in choices.items():
        if isinstance(option, dict):
            if primary is None or primary not in option:
                continue
            option = option[primary]
        if isinstance(option, str):
            if " ".join(option.split()).casefold() == said:
                matching.append(k)
            continue
        try:
            read = read_answer(value, option)
        except Unreadable:
            continue
        if read == option and type(read) is not bool:
            matching.append(k)
    return matching[0] if len(matching) == 1 else None


def _submission(values: dict[str, str], weights: dict[str, Number]) -> Submission:
    fields = {"choice": values.get("choice"), "answer": values.get("answer"),
              "answers": {n: v for n, v in values.items() if n not in ("choice", "answer")},
              "weights": weights}
    try:
        return Submission.model_validate(fields)
    except ValidationError:  # a value nnsolve's number reader refuses (1e999) stays text: graded as text
        return Submission.model_construct(**fields)


def _unanswered(question: Question, invalid: list[str]) -> QuestionMark:
    """Nothing gradable: every marked part is 0 of what it is worth."""
    solution = question.solution
    total = sum(Fraction(w) for w in question.weights.values())
    parts = []
    for name, weight in question.weights.items():
        if not weight:
            continue
        answer_name = solution.primary if name == "answer" else name
        label = "Option" if name == "choice" else solution.answers[answer_name].label
        expected = _right_option(solution)[0] if name == "choice" else solution.answers[answer_name].value
        out_of = simplify(Fraction(question.marks) * Fraction(weight) / total)
        parts.append(Part(answer_name, label, None, expected, False, 0, out_of,
                          (invalid[0],) if invalid and name == "choice" else ("not answered",)))
    grade = Grade({}, False, 0, question.marks, tuple(parts), tuple(d for p in parts for d in p.diagnosis))
    return QuestionMark(grade if invalid else None, 0, question.marks, tuple(invalid))


# ---------------------------------------------------------------------------------------------
# Item analysis

UPPER_LOWER_SHARE = Fraction(27, 100)  # the upper and lower groups of the discrimination index


@dataclass(frozen=True)
class ItemStats:
    """How the class did on one question (README, "Item analysis")."""

    question: str
    marks: Number
    students: int
    right: int  # students with every marked part right
    mean_marks: Fraction
    mistakes: tuple[tuple[str, int], ...]  # diagnosed mistakes, commonest first, with how many made each
    options: tuple[tuple[str, int, bool, str | None], ...]  # option, times chosen, is it right, the mistake leading to it
    unanswered: int
    invalid: int  # answers that were not graded (not an option, ...)
    unreadable: int  # students with a marked part whose answer could not be read (0 marks, not "wrong")
    discrimination: Fraction | None  # None with fewer than 2 students
    not_gradable: str | None = None  # the question's invalid file's error (its answers are ``invalid``)
    key_note: str | None = None  # the options are flawed: none fully right, or several right (check the question)

    @property
    def share_right(self) -> Fraction:
        return Fraction(self.right, self.students) if self.students else Fraction(0)


def item_analysis(result: ClassResult) -> list[ItemStats]:
    """Per question: share right, mean marks, mistakes, options chosen, and the discrimination index
    D = (mean marks of the upper group − mean marks of the lower group) / the question's marks,
    the groups being the top and bottom 27% of the class by total (at least one student each;
    ties broken by student id), which for a right-or-wrong question is (R_upper − R_lower) / n."""
    students = result.students
    ranked = sorted(students, key=lambda s: (-Fraction(s.total), s.student))
    group = max(1, round(len(students) * UPPER_LOWER_SHARE)) if len(students) >= 2 else 0
    upper, lower = ranked[:group], ranked[len(ranked) - group:] if group else []
    out = []
    by_id = {q.id: q for q in result.questions}
    for qid in result.columns or list(by_id):
        if qid not in by_id:
            answered = sum(1 for s in students if s.questions[qid].answered)
            out.append(ItemStats(qid, 0, len(students), 0, Fraction(0), (), (), len(students) - answered,
                                 answered, 0, None, result.not_gradable[qid].line_text()))
            continue
        q = by_id[qid]
        marks = [s.questions[q.id] for s in students]
        mistakes: dict[str, int] = {}
        chosen: dict[str, int] = {}
        for mark in marks:
            if mark.grade is None:
                continue
            for part in mark.grade.parts:
                if part.name == "choice" and part.submitted is not None:
                    chosen[part.submitted] = chosen.get(part.submitted, 0) + 1
                mistake = q.mistake(part)
                if mistake:
                    mistakes[mistake] = mistakes.get(mistake, 0) + 1
        options, key_note = (), None
        if q.problem.spec.choices:
            right, key_note = _right_option(q.solution)
            also = q.solution.choice.also if q.solution.choice else ()
            if also:
                key_note = f"options {', '.join([right, *also])} all agree with the computed answer; each earns the marks"
            options = tuple((key, chosen.get(key, 0), key == right or key in also,
                             None if key == right or key in also else q.mistake(_chosen(key)))
                            for key in q.problem.spec.choices)
        discrimination = None
        if group:
            mean = lambda members: sum((Fraction(s.questions[q.id].marks) for s in members), Fraction(0)) / len(members)
            discrimination = (mean(upper) - mean(lower)) / Fraction(q.marks) if q.marks else None
        out.append(ItemStats(
            q.id, q.marks, len(students),
            right=sum(1 for m in marks if m.grade is not None and m.grade.correct and not m.invalid),
            mean_marks=sum((Fraction(m.marks) for m in marks), Fraction(0)) / len(marks) if marks else Fraction(0),
            mistakes=tuple(sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))),
            options=options,
            unanswered=sum(1 for m in marks if m.grade is None and not m.invalid),
            invalid=sum(1 for m in marks if m.invalid),
            unreadable=sum(1 for m in marks if m.grade is not None
                           and any(getattr(p, "unreadable", False) and p.out_of for p in m.grade.parts)),
            discrimination=discrimination, key_note=key_note))
    return out


def _chosen(key: str) -> Part:
    """A wrong choice of ``key``, for asking which mistake leads to it."""
    return Part("choice", "Option", key, None, False, 0, 1)
