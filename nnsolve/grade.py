"""Grade a submitted answer: marks per part, and a diagnosis of every wrong answer.

The marking rules (README.md, "Grading"):

- A submission's parts are the option (``choice``), the question's answer (``answer``) and each
  named answer (``answers``). The question's marks (1 when the file states none) are split
  equally over the marked parts, or in proportion to ``submitted.weights``.
- On a multiple-choice question the option is what is marked: a number submitted beside it is
  working, checked and diagnosed but worth no marks of its own (unless ``weights`` says so).
- A part is right or wrong: a vector or matrix is right when every cell is. Numbers agree
  within the file's ``tolerance`` (default: relative 1%); integers against integers exactly.

A wrong part is compared with the topic's common-mistake variants (``variants(spec)``); the
variants that reproduce it are named. ``grade()`` is pure: it returns data and never prints.
"""

from __future__ import annotations

import math
import os
import sys
import types
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import partial
from typing import Any, Callable, Iterable, Iterator

from decimal import Decimal

from .compare import (Unreadable, agree, cells, disagreeing_cells, distance, quoted, read_answer, round_decimals,
                      round_sig_figs, same_shape)
from .errors import NnsolveError, SpecError
from .files import Refused, inside
from .loader import Loaded, load
from .numbers import Number, Value, is_number, is_terminating, simplify
from .numbers import plain
from .solution import Solution, Variant
from .solve import solve, variants

FEW_CELLS = 0.25  # a matrix "all but a few cells" off: at most this share of its cells (at least 1)


@dataclass(frozen=True)
class Part:
    """One graded part: what was submitted, what is right, and what it earns."""

    name: str  # "choice", or the name of a computed answer ("total_params", "w2", ...)
    label: str
    submitted: Value | None  # None: a weighted part that was not answered
    expected: Value | None
    correct: bool
    marks: Number
    out_of: Number  # 0 for working that is checked but not marked
    diagnosis: tuple[str, ...] = ()
    unreadable: bool = False  # the answer could not be read (0 marks; not the same as wrong)

    @property
    def outcome(self) -> str:
        """"right", "wrong", "unreadable" (could not read the answer) or "unanswered"."""
        if self.unreadable:
            return "unreadable"
        if self.submitted is None:
            return "unanswered"
        return "right" if self.correct else "wrong"


@dataclass(frozen=True)
class Grade:
    submitted: dict  # the submission as the file states it: choice, answer, answers
    correct: bool  # every marked part is right
    marks: Number
    out_of: Number
    parts: tuple[Part, ...]
    diagnosis: tuple[str, ...]  # every part's diagnosis, then remarks on the whole submission


@dataclass(frozen=True)
class FileResult:
    """What grading one file produced: its grade, or the one-line error that stopped it."""

    file: str
    topic: str | None = None
    answer: Value | None = None  # the computed primary answer
    answer_label: str | None = None
    choice: str | None = None  # the option that matches the computed answer
    grade: Grade | None = None  # None: nothing submitted (ungraded), or an error
    error: str | None = None


# ---------------------------------------------------------------------------------------------
# Marking


def grade(problem: Loaded, solution: Solution | None = None) -> Grade | None:
    """Grade the file's ``submitted`` answer against ``solution`` (solved here when not given).

    Returns None when the file submits nothing. Raises SpecError (with the field) when the
    submission names an option or an answer the problem does not have.
    """
    return _grade(problem, solution, None)


def _grade(problem: Loaded, solution: Solution | None, solved: "_Solved | None") -> Grade | None:
    spec = problem.spec
    sub = spec.submitted
    if sub is None:
        return None
    if solution is None:
        solution = solve(spec)
    tol = spec.tolerance
    written = _stated_parts(spec, solution)
    weights = _weights(sub, written, solution)
    stated, unreadable = _read_parts(written, solution)
    total = sum(weights.values())
    question_marks = spec.marks if spec.marks is not None else 1
    mistakes = _Mistakes(spec, solved)

    parts: list[Part] = []
    for name, given in written.items():
        weight = weights.get(name, 0)
        out_of = simplify(Fraction(question_marks) * Fraction(weight) / Fraction(total)) if weight else 0
        if name in unreadable:
            answer = solution.answers[name]
            parts.append(Part(name, answer.label, given, answer.value, False, 0, out_of,
                              (f"{answer.label}: could not read the answer {_as_written(given)}: {unreadable[name]}",),
                              unreadable=True))
            continue
        given = stated[name]
        if name == "choice":
            part = _grade_choice(given, solution, tol, mistakes, out_of)
        else:
            context = {n: v for n, v in stated.items() if n not in ("choice", name)}
            part = _grade_value(name, given, solution, tol, mistakes, out_of, context)
            part = replace(part, submitted=written[name])  # as the student wrote it ("20,106", "16x16x32")
        parts.append(part)
    for name, weight in weights.items():
        if name not in written and weight:
            out_of = simplify(Fraction(question_marks) * Fraction(weight) / Fraction(total))
            label = "Option" if name == "choice" else solution.answers[name].label
            expected = _right_option(solution)[0] if name == "choice" else solution.answers[name].value
            parts.append(Part(name, label, None, expected, False, 0, out_of, ("not answered",)))

    remarks = _remarks(sub, stated, parts, solution, tol)
    marked = [p for p in parts if p.out_of]
    return Grade(
        submitted=_submitted_dict(sub),
        correct=all(p.correct for p in marked),
        marks=simplify(sum((Fraction(p.marks) for p in parts), Fraction(0))),
        out_of=simplify(sum((Fraction(p.out_of) for p in parts), Fraction(0))),
        parts=tuple(parts),
        diagnosis=tuple(d for p in parts for d in p.diagnosis) + tuple(remarks),
    )


def _read_parts(written: dict[str, Value], solution: Solution) -> tuple[dict[str, Value], dict[str, str]]:
    """The submitted parts read as values (compare.read_answer), and why each unreadable one is."""
    stated: dict[str, Value] = {}
    unreadable: dict[str, str] = {}
    for name, given in written.items():
        if name == "choice":
            stated[name] = given
            continue
        try:
            stated[name] = read_answer(given, solution.answers[name].value)
        except Unreadable as exc:
            unreadable[name] = str(exc)
    return stated, unreadable


def _as_written(given: Value) -> str:
    return quoted(given) if isinstance(given, str) else quoted(plain(given))


def _stated_parts(spec, solution: Solution) -> dict[str, Value]:
    """The submitted parts, in order: option, question's answer, named answers. Checks the names."""
    sub = spec.submitted
    stated: dict[str, Value] = {}
    if sub.choice is not None:
        if not spec.choices:
            raise SpecError("an option is submitted but the problem lists no choices", field="submitted.choice")
        if sub.choice not in spec.choices:
            raise SpecError(f"{sub.choice!r} is not one of the options ({', '.join(spec.choices)})",
                            field="submitted.choice")
        stated["choice"] = sub.choice
    if sub.answer is not None:
        stated[solution.primary] = sub.answer
    for name, value in sub.answers.items():
        if name not in solution.answers:
            raise SpecError(f"{name!r} is not an answer nnsolve computes for this problem; it computes "
                            f"{', '.join(solution.answers)}", field=f"submitted.answers.{name}")
        if name in stated:
            raise SpecError("the question's answer is already given as 'answer'; give it once",
                            field=f"submitted.answers.{name}")
        stated[name] = value
    if not stated:
        raise SpecError("submits nothing: give 'choice', 'answer' or 'answers'", field="submitted")
    return stated


def _weights(sub, stated: dict[str, Value], solution: Solution) -> dict[str, Number]:
    """Each part's weight: ``submitted.weights`` when given, else 1 per part (the option alone when
    a number is submitted beside it)."""
    if sub.weights is not None:
        weights: dict[str, Number] = {}
        for key, weight in sub.weights.items():
            name = solution.primary if key == "answer" else key
            if name != "choice" and name not in solution.answers:
                raise SpecError(f"{key!r} is not a part of this problem; parts are 'choice', 'answer' "
                                f"or one of {', '.join(solution.answers)}", field=f"submitted.weights.{key}")
            weights[name] = weight
        if not any(weights.values()):
            raise SpecError("at least one part must carry a weight above 0", field="submitted.weights")
        return weights
    weights = {name: 1 for name in stated}
    if "choice" in stated and solution.primary in stated:
        weights[solution.primary] = 0
    return weights


def _right_option(solution: Solution) -> tuple[str | None, str | None]:
    """The option that is right, and a note when it is only the best match."""
    match = solution.choice
    if match is None:
        return None, None
    if match.key and match.exact:
        return match.key, None
    best = match.key or match.nearest
    return best, f"no option agrees with the computed answer on every number; option {best} is the best match"


def _grade_choice(key: str, solution: Solution, tol, mistakes: "_Mistakes", out_of: Number) -> Part:
    right, note = _right_option(solution)
    also = solution.choice.also if solution.choice else ()
    correct = key == right or key in also
    diagnosis: list[str] = []
    if note:
        diagnosis.append(note + (" and is accepted" if correct else ""))
    if also:  # a broken question: say so to the instructor whichever option was chosen
        diagnosis.append(f"options {_join([right, *also])} both agree with the computed answer within the "
                         f"tolerance: either earns the marks (check the question's options)"
                         if len(also) == 1 else
                         f"options {_join([right, *also])} all agree with the computed answer within the "
                         f"tolerance: each earns the marks (check the question's options)")
    if not correct:
        stated = _option_answers(solution.options[key], solution.primary)
        found = mistakes.reproducing(stated, solution, tol)
        head = f"option {key} is wrong (the right option is {right})"
        diagnosis.append(_named(head, found))
    return Part("choice", "Option", key, right, correct, out_of if correct else 0, out_of, tuple(diagnosis))


def _option_answers(option, primary: str) -> dict[str, Value]:
    return dict(option) if isinstance(option, dict) else {primary: option}


def _grade_value(name: str, given: Value, solution: Solution, tol, mistakes: "_Mistakes", out_of: Number,
                 context: dict[str, Value]) -> Part:
    answer = solution.answers[name]
    correct = agree(answer.value, given, tol)
    diagnosis: tuple[str, ...] = ()
    if not correct:
        diagnosis = (_diagnose_value(name, answer.label, answer.value, given, solution, tol, mistakes, context),)
    return Part(name, answer.label, given, answer.value, correct, out_of if correct else 0, out_of, diagnosis)


def _diagnose_value(name, label, expected, given, solution, tol, mistakes: "_Mistakes", context) -> str:
    if isinstance(expected, tuple) and isinstance(given, (tuple, list, int)) and len(cells(given) or [0]) <= 6:
        head = f"{label} = {plain(tuple(given) if isinstance(given, list) else given)} is wrong (right: {plain(expected)})"
    elif isinstance(given, (list, tuple)) or isinstance(expected, (list, tuple)):
        head = f"{label}: the submitted {_kind(given)} is wrong"
    else:
        head = f"{label} = {plain(given)} is wrong (right: {plain(expected)})"
    found = mistakes.reproducing({name: given}, solution, tol, context)
    if found:
        return _named(head, found)
    known = _known_slip(name, expected, given, solution, tol)
    if known:
        return f"{head}: {known}"
    wrong = disagreeing_cells(expected, given, tol)
    if wrong is None:
        if isinstance(given, (list, tuple)) and isinstance(expected, list):
            return f"{head}: it has the shape {_shape(given)} but the answer is {_shape(expected)}"
        return _named(head, [])
    total = len(cells(expected))
    near = mistakes.nearest_cells(name, given, tol, better_than=len(wrong), cells_total=total)
    if near is not None:
        variant, off = near
        listed = "; ".join(f"{_where(i)}: submitted {plain(g)}, this mistake gives {plain(v)}, "
                           f"right {plain(_cell(expected, i))}" for i, v, g in off)
        return (f"{head}: it matches this mistake in all but {len(off)} of {total} cells: "
                f"{variant.mistake}. Cells that still disagree: {listed}")
    if len(wrong) <= max(1, int(total * FEW_CELLS)):
        listed = "; ".join(f"{_where(i)}: submitted {plain(g)}, right {plain(c)}" for i, c, g in wrong)
        return (f"{head}: all but {len(wrong)} of {total} cells are right, and none of the common "
                f"mistakes nnsolve knows reproduces it. Wrong cells: {listed}")
    return _named(f"{head} ({len(wrong)} of {total} cells disagree)", [])


def _known_slip(name: str, expected, given, solution: Solution, tol) -> str | None:
    """A wrong answer that is the right one in another form, or another value the solution computed."""
    if is_number(expected) and is_number(given) and math.isfinite(expected):
        rounded = _coarsely_rounded(expected, given, tol)
        if rounded:
            return rounded
    off = disagreeing_cells(expected, given, tol)
    if off and all(is_number(c) and is_number(g) and math.isfinite(c) and _coarsely_rounded(c, g, tol)
                   for _, c, g in off):
        figures = max(_figures(g) for _, _, g in off)
        return (f"the {len(off)} wrong cell{'s are' if len(off) > 1 else ' is'} right to {figures} significant "
                f"figure{'s' if figures != 1 else ''} or fewer; the question asks for "
                f"{_tolerance_text(tol, off[0][1])}")
    if _kind(expected) == "matrix" and _kind(given) == "matrix" and same_shape(given, _transpose(expected)) \
            and agree(_transpose(expected), given, tol) and not agree(expected, _transpose(expected), tol):
        return "it is the transpose of the right matrix (rows and columns swapped)"
    if isinstance(expected, tuple) and len(expected) == 3 and isinstance(given, (list, tuple)) \
            and tuple(given) == (expected[2], expected[0], expected[1]) and tuple(given) != expected:
        return (f"this is the shape channels-first (C × H × W = {plain(tuple(given))}, PyTorch's order); "
                f"the question asks for channels-last H × W × C = {plain(expected)}")
    for other, answer in solution.answers.items():
        if other == name or answer.reading is not None or agree(expected, answer.value, tol):
            continue
        if type(answer.value) is type(expected) or (is_number(answer.value) and is_number(expected)):
            if agree(answer.value, given, tol):
                return _other_value(name, other, solution)
    return None


def _other_value(name: str, other: str, solution: Solution) -> str:
    """What a student gave who gave ``other`` (an answer the solution also computes) for ``name``.
    A topic that knows why the two are confused says so in its variants (z for a, ∂L/∂a for ∂L/∂z)."""
    asked, given = solution.answers[name].label, solution.answers[other].label
    return f"it is the value of {given} ({other}), which this problem also computes; the question asks for {asked}"


def _coarsely_rounded(expected, given, tol) -> str | None:
    """'right to 2 significant figures' when ``given`` is ``expected`` rounded too coarsely for ``tol``."""
    written = Decimal(given.numerator) / Decimal(given.denominator) if isinstance(given, Fraction) else Decimal(given)
    if isinstance(given, Fraction) and not is_terminating(given) or written == 0:
        return None
    digits = len(written.normalize().as_tuple().digits)
    if digits > 15:
        return None
    by_figures = round_sig_figs(Fraction(expected), digits) == written
    places = max(0, -written.normalize().as_tuple().exponent)
    by_places = tol.decimals is not None and places < tol.decimals and \
        round_decimals(Fraction(expected), places) == written
    if by_places:
        return (f"right to {places} decimal place{'s' if places != 1 else ''}; the question asks for "
                f"{_tolerance_text(tol, expected)}")
    if by_figures:
        return (f"right to {digits} significant figure{'s' if digits != 1 else ''}; the question asks for "
                f"{_tolerance_text(tol, expected)}")
    return None


def _figures(x) -> int:
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
    return len(d.normalize().as_tuple().digits)


def _tolerance_text(tol, expected=None) -> str:
    if isinstance(expected, int):
        return "the exact value (an integer is compared exactly)"
    if tol.sig_figs is not None:
        return f"{tol.sig_figs} significant figures"
    if tol.decimals is not None:
        return f"{tol.decimals} decimal places"
    parts = []
    if tol.relative:
        parts.append(f"{plain(simplify(Fraction(tol.relative) * 100))}%")
    if tol.absolute:
        parts.append(f"±{plain(tol.absolute)}")
    return " or ".join(parts) if parts else "the exact value"


def _transpose(matrix):
    return [list(column) for column in zip(*matrix)]


def _named(head: str, found: list[Variant]) -> str:
    if not found:
        return f"{head}; none of the common mistakes nnsolve knows for this topic reproduces it"
    if len(found) == 1:
        return f"{head}; it matches this mistake: {found[0].mistake}"
    return (f"{head}; it matches each of these mistakes, closest first: "
            + "; ".join(f"({i}) {v.mistake}" for i, v in enumerate(found, start=1)))


def _remarks(sub, stated, parts: list[Part], solution: Solution, tol) -> list[str]:
    """Remarks on the submission as a whole: option and number disagreeing, a right answer by a wrong method."""
    remarks = []
    primary = solution.primary
    beside_option = None  # a number that disagrees with the option beside it is remarked on once
    if "choice" in stated and primary in stated:
        option = _option_answers(solution.options[stated["choice"]], primary)
        if primary in option and not agree(option[primary], stated[primary], tol):
            remarks.append(f"the submitted option {stated['choice']} states {plain(option[primary])} "
                           f"but the submitted answer is {_short(stated[primary])}: they disagree")
            beside_option = primary
    by_name = {p.name: p for p in parts}
    final = by_name.get("choice") or by_name.get(primary)
    if final is not None and final.correct and final.submitted is not None:
        wrong = [p.label for p in parts if p is not final and p.name != beside_option
                 and p.submitted is not None and not p.correct and not p.unreadable]
        if wrong:
            remarks.append(f"the final answer is right but {_join(wrong)} {'is' if len(wrong) == 1 else 'are'} "
                           f"wrong: the right answer may have been reached by a wrong method")
    return remarks


def reproducing(mistakes: Iterable[Variant], stated: dict[str, Value], solution: Solution, tol,
                context: dict[str, Value] | None = None) -> list[Variant]:
    """The mistakes that give every stated value (at least one compared) and differ from the right answer.

    When several do, those that also agree with the rest of the submission (``context``) are
    preferred; the closest to the stated values comes first. Grading diagnoses wrong answers
    with it, and ``nnsolve export`` the wrong options of a question.
    """
    found = []
    for variant in mistakes:
        names = [n for n in stated if n in variant.answers]
        if not names:
            continue
        if all(agree(variant.answers[n], stated[n], tol) for n in names) and any(
                n in solution.answers and not agree(solution.answers[n].value, variant.answers[n], tol)
                for n in names):
            found.append(variant)
    if len(found) > 1 and context:
        consistent = [v for v in found if all(agree(v.answers[n], g, tol)
                                              for n, g in context.items() if n in v.answers)]
        found = consistent or found

    def closeness(variant: Variant) -> float:
        return max(distance(variant.answers[n], stated[n]) for n in stated if n in variant.answers)

    return sorted(found, key=closeness)


class _Mistakes:
    """The topic's variants for one problem, computed once and only when something is wrong."""

    def __init__(self, spec, solved: "_Solved | None" = None) -> None:
        self.spec = spec
        self.solved = solved
        self._variants: list[Variant] | None = None

    @property
    def all(self) -> list[Variant]:
        if self._variants is None:
            self._variants = self.solved.variants(self.spec) if self.solved else _variants_or_none(self.spec)
        return self._variants

    def reproducing(self, stated: dict[str, Value], solution: Solution, tol,
                    context: dict[str, Value] | None = None) -> list[Variant]:
        return reproducing(self.all, stated, solution, tol, context)

    def nearest_cells(self, name, given, tol, better_than: int, cells_total: int):
        """The variant that reproduces all but a few cells of a matrix, and those cells."""
        best = None
        for variant in self.all:
            if name not in variant.answers:
                continue
            off = disagreeing_cells(variant.answers[name], given, tol)
            if off is None or not off or len(off) >= better_than:
                continue
            if len(off) <= max(1, int(cells_total * FEW_CELLS)) and (best is None or len(off) < len(best[1])):
                best = (variant, off)
        return best


def _variants_or_none(spec) -> list[Variant]:
    try:
        return variants(spec)
    except NnsolveError:
        return []


# ---------------------------------------------------------------------------------------------
# Solving each distinct problem once per process
#
# A batch is mostly many students' answers to the same few problems: files that differ only in
# ``submitted``. solve() and variants() are pure functions of the validated spec and never read
# ``submitted``, and the spec is a pure function of the file's parsed data; so one batch run
# (grade_paths; in each worker process) keeps its last MEMO_SIZE problems' solutions (and, once
# a wrong answer needed them, their variants), keyed by the repr of that data with
# ``submitted`` left out: every field, in file order, with its exact value and type (True, 1,
# '1' and Fraction(1, 2) all read differently). Two files share an entry only when they state
# the same problem, and the memo lives no longer than the run. (This needs validators that do
# not change the data in place; none does, and tests/test_batch_memo.py checks every problem.)

MEMO_SIZE = 256


class _Solved:
    """One problem's solution, and its variants once something wrong needed them."""

    __slots__ = ("solution", "_variants")

    def __init__(self, solution: Solution) -> None:
        self.solution = solution
        self._variants: list[Variant] | None = None

    def variants(self, spec) -> list[Variant]:
        if self._variants is None:
            self._variants = _variants_or_none(spec)
        return self._variants


def _solved(problem: Loaded, memo: dict | None) -> _Solved:
    """The memo's entry for the file's problem, solving it on a miss (a SolveError is not kept)."""
    spec = problem.spec
    if memo is None or MEMO_SIZE <= 0 or not isinstance(problem.data, dict):
        return _Solved(solve(spec))
    key = repr([(name, value) for name, value in problem.data.items() if name != "submitted"])
    entry = memo.pop(key, None)  # re-inserted last: the dict's order is least recently used first
    if entry is None:
        entry = _Solved(solve(spec))
        while len(memo) >= MEMO_SIZE:
            del memo[next(iter(memo))]
    memo[key] = entry
    return entry


def _kind(value) -> str:
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return "matrix"
    return "vector" if isinstance(value, (list, tuple)) else "value"


def _shape(value) -> str:
    if _kind(value) == "matrix":
        return f"{len(value)}×{len(value[0])}"
    return str(len(value)) if isinstance(value, (list, tuple)) else "a single value"


def _where(index: tuple[int, ...]) -> str:
    if len(index) == 2:
        return f"row {index[0] + 1}, column {index[1] + 1}"
    return f"entry {index[0] + 1}"


def _cell(value, index: tuple[int, ...]):
    for i in index:
        value = value[i]
    return value


def _short(value) -> str:
    return f"a {_shape(value)} {_kind(value)}" if isinstance(value, (list, tuple)) and len(cells(value)) > 6 else plain(value)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _submitted_dict(sub) -> dict:
    out: dict = {}
    if sub.choice is not None:
        out["choice"] = sub.choice
    if sub.answer is not None:
        out["answer"] = sub.answer
    if sub.answers:
        out["answers"] = dict(sub.answers)
    return out


# ---------------------------------------------------------------------------------------------
# Files and batches


def grade_path(path: str, shuffle: int | None = None) -> FileResult:
    """Load, solve and grade one file. Its errors, and bugs in a solver, become its ``error``.
    ``shuffle``: the seed its options were shuffled with on the paper (nnsolve.documents)."""
    problem = None
    try:
        problem = load(path)
        if shuffle is not None:
            from .documents import shuffled_problem

            problem = shuffled_problem(problem, shuffle)
        solved = _solved(problem, _batch_memo)
        solution = solved.solution
        result = _grade(problem, solution, solved)
    except NnsolveError as exc:
        error = str(problem.locate(exc) if problem is not None else exc.located(file=path))
        return FileResult(path, topic=problem.spec.topic if problem else None, error=error)
    except Exception as exc:  # a bug in nnsolve: this file's error, not the batch's
        return FileResult(path, topic=problem.spec.topic if problem else None,
                          error=f"{path}: internal error (a bug in nnsolve): {type(exc).__name__}: {exc}")
    primary = solution.answers[solution.primary]
    choice = solution.choice.key if solution.choice else None
    return FileResult(path, topic=solution.topic, answer=primary.value, answer_label=primary.label,
                      choice=choice, grade=result)


EXAM_FILE = "exam.yaml"  # a folder's paper and key header (nnsolve.documents), not a problem


def collect_paths(paths: Iterable[str]) -> list[str]:
    """Files named, and *.yaml / *.yml under folders named (recursively, but not ``exam.yaml``),
    sorted, without repeats.

    A name that is neither a file nor a folder is kept, so that it is reported as missing. In a
    folder, a sub-folder that cannot be read is kept as a ``Refused`` path (nnsolve.files), and so
    is a symbolic link that leads outside the folder named: each is then reported as its file's
    error, never skipped. A link whose target is inside the folder is read as a file; a link to
    a folder is not followed (its files, if inside, are found under their own names).
    """
    found: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            found.update(_problem_files(path))
        else:
            found.add(os.path.normpath(path))
    return sorted(found)


def _problem_files(folder: str) -> Iterator[str]:
    root = os.path.realpath(folder)
    unreadable: list[OSError] = []
    for directory, subfolders, names in os.walk(folder, onerror=unreadable.append):
        subfolders.sort()
        for name in subfolders:
            path = os.path.normpath(os.path.join(directory, name))
            if os.path.islink(path) and not inside(path, root):
                yield Refused(path, f"is a symbolic link to a folder outside {folder}; not followed "
                                    f"(name the folder itself to read it)")
        for name in names:
            if not name.lower().endswith((".yaml", ".yml")) or name == EXAM_FILE:
                continue
            path = os.path.normpath(os.path.join(directory, name))
            if os.path.islink(path) and not inside(path, root):
                yield Refused(path, f"is a symbolic link to a file outside {folder}; not followed "
                                    f"(name the file itself to read it)")
            else:
                yield path
    for exc in unreadable:
        yield Refused(os.path.normpath(exc.filename or folder),
                      f"cannot read this folder ({exc.strerror or exc}); its problem files were not read")


# The memo of the batch being graded (see MEMO_SIZE): set by grade_paths for its run, and for
# the life of each worker process.
_batch_memo: dict | None = None


def _start_worker() -> None:
    global _batch_memo
    _batch_memo = {}


def grade_paths(paths: list[str], jobs: int = 1, then: Callable[[FileResult], Any] | None = None,
                shuffle: int | None = None, timeout: float | None = None) -> Iterator:
    """Grade files in order; with ``jobs`` > 1 in that many worker processes (results in order).

    ``then``: a picklable function applied to each FileResult where it was graded (in the
    worker), whose value is yielded instead (the CLI's report rows). ``timeout``: seconds one
    file may take (None or 0: no limit); a file over it, or whose worker dies, is that file's
    one-line error (nnsolve.workers). With a timeout, one job grades in one worker process.
    """
    global _batch_memo
    if (jobs <= 1 or len(paths) < 2) and not timeout:
        outer, _batch_memo = _batch_memo, {}
        try:
            for path in paths:
                result = grade_path(path, shuffle)
                yield result if then is None else _then_within_file(then, result)
        finally:
            _batch_memo = outer
        return
    from .workers import run_each

    jobs = max(1, min(jobs, len(paths)))
    chunk = max(1, min(64, len(paths) // (jobs * 4)))
    work = partial(grade_path, shuffle=shuffle) if then is None else partial(_grade_then, then, shuffle)
    yield from run_each(work, paths, jobs=jobs, timeout=timeout, fault=partial(_stopped, then),
                        initializer=_start_worker, chunk=chunk)


def _grade_then(then: Callable[[FileResult], Any], shuffle: int | None, path: str):
    return _then_within_file(then, grade_path(path, shuffle))


def _stopped(then: Callable[[FileResult], Any] | None, path: str, stopped) -> Any:
    """The result of a file whose worker overran the time budget or died (nnsolve.workers.Stopped)."""
    result = FileResult(path, error=f"{path}: {stopped.reason('grading')}")
    return result if then is None else _then_within_file(then, result)


def _then_within_file(then: Callable[[FileResult], Any], result: FileResult):
    """``then(result)`` inside the file's error boundary: a row that cannot be made (a number
    too long to show, say) becomes that file's one-line error, and the batch goes on."""
    try:
        return then(result)
    except Exception as exc:
        if isinstance(exc, NnsolveError):
            error = str(exc.located(file=result.file))
        else:
            error = f"{result.file}: internal error (a bug in nnsolve): {type(exc).__name__}: {exc}"
        return then(FileResult(result.file, topic=result.topic, error=error))


class _Callable(types.ModuleType):
    """``nnsolve.grade(problem, submitted)``: this module, which the package's ``grade`` names, is
    the API's function too (``import nnsolve.grade as grading`` still gives the module)."""

    def __call__(self, problem, submitted=None):
        from .api import grade as grade_problem

        return grade_problem(problem, submitted)


sys.modules[__name__].__class__ = _Callable
