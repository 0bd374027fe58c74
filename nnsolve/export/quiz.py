"""Problem files as quiz questions, in no LMS's format yet (``moodle``, ``qti`` and ``gift`` write them).

A problem with options becomes a multiple-choice question: the option that matches the
computed answer is right, and each wrong option's feedback names the common mistake that
gives it (the topic's variants, matched as grading matches them). A problem without options
whose answer is one number becomes a numerical question, right within the file's tolerance,
with the numbers common mistakes give as wrong answers with their feedback. The worked
solution is every question's general feedback. Variants that ``nnsolve vary`` wrote share a
category (the problem they were made from), so a quiz can draw one at random per student.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction

from ..compare import agree, round_decimals, round_sig_figs
from ..errors import NnsolveError, SolveError
from ..numbers import is_number, number_text, round_sig
from ..solution import Solution
from . import html

ROOT_CATEGORY = "nnsolve"  # every category is a child of this one: $course$/top/nnsolve/<problem>
RIGHT_FEEDBACK = "Right."
UNKNOWN_FEEDBACK = ("Not right, and none of the common mistakes nnsolve knows for this topic gives it: "
                    "see the worked solution.")


@dataclass(frozen=True)
class Choice:
    """One option of a multiple-choice question."""

    key: str
    html: str
    correct: bool
    feedback: str  # HTML
    mistakes: tuple[str, ...] = ()  # the mistakes that give it (plain sentences)


@dataclass(frozen=True)
class Numeric:
    """One answer of a numerical question: right (the first) or a common mistake's number."""

    value: Decimal
    tolerance: Decimal  # absolute: value ± tolerance is accepted
    correct: bool
    feedback: str  # HTML
    mistakes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    name: str  # plain text
    category: str  # plain text: the problem the question is (a variant of)
    text: str  # HTML
    general_feedback: str  # HTML: the worked solution
    marks: Decimal
    source: str
    choices: tuple[Choice, ...] = ()  # a multiple-choice question, or
    numeric: tuple[Numeric, ...] = ()  # a numerical one

    @property
    def kind(self) -> str:
        return "multichoice" if self.choices else "numerical"


@dataclass
class Quiz:
    questions: list[Question] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # one error line per file that is not in it

    def categories(self) -> dict[str, list[Question]]:
        """Category → its questions, in the order the categories first appear."""
        out: dict[str, list[Question]] = {}
        for q in self.questions:
            out.setdefault(q.category, []).append(q)
        return out


def build_quiz(paths: list[str]) -> Quiz:
    """Load and solve every problem file (as ``key`` finds them); a file that cannot be loaded,
    solved or asked as a quiz question is left out with its one-line error."""
    from ..grade import collect_paths
    from ..loader import load
    from ..solve import solve

    quiz = Quiz()
    for file in collect_paths(paths):
        try:
            problem = load(file)
            try:
                quiz.questions.append(question(problem, solve(problem.spec)))
            except NnsolveError as exc:
                raise problem.locate(exc) from None
        except NnsolveError as exc:
            quiz.left_out.append(str(exc.located(file=file)))
    return quiz


def question(problem, solution: Solution) -> Question:
    """One problem as a quiz question; SolveError when it cannot be asked as one."""
    from ..solve import variants

    spec = problem.spec
    name = spec.id or os.path.splitext(os.path.basename(problem.file))[0]
    category = spec.variant.of if spec.variant is not None else name
    common = dict(name=name, category=category, text=html.question_html(solution),
                  marks=_marks(spec.marks), source=problem.file)
    mistakes = variants(spec)
    if spec.choices:
        return Question(**common, general_feedback=html.solution_html(solution),
                        choices=_choices(spec, solution, mistakes))
    numeric = _numeric(spec, solution, mistakes)
    listed = [("; or ".join(a.mistakes), html.escape(decimal_text(a.value))) for a in numeric[1:]]
    return Question(**common, general_feedback=html.solution_html(solution, listed), numeric=numeric)


def _marks(marks) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return (_decimal(marks) if marks is not None else Decimal(1)).quantize(Decimal("1e-7")).normalize()


def _choices(spec, solution: Solution, mistakes) -> tuple[Choice, ...]:
    from ..grade import reproducing

    match = solution.choice
    if match is None or match.key is None or not match.exact:
        raise SolveError("no option matches the computed answer: a quiz question needs one right option",
                         field="choices")
    texts = _distinct_texts(spec.choices, solution)
    out = []
    for key, option in spec.choices.items():
        if key == match.key:
            out.append(Choice(key, texts[key], True, html.prose(RIGHT_FEEDBACK)))
            continue
        stated = dict(option) if isinstance(option, dict) else {solution.primary: option}
        found = tuple(v.mistake for v in reproducing(mistakes, stated, solution, spec.tolerance))
        out.append(Choice(key, texts[key], False, html.prose(_feedback(found)), found))
    return tuple(out)


def _feedback(found: tuple[str, ...]) -> str:
    if not found:
        return UNKNOWN_FEEDBACK
    if len(found) == 1:
        return f"Not right. This is what a common mistake gives: {found[0]}."
    return "Not right. This is what any of these common mistakes gives: " + "; or ".join(found) + "."


def _distinct_texts(options: dict, solution: Solution) -> dict[str, str]:
    """Each option's HTML; options that read the same at the usual digits get more digits."""
    texts = {k: html.option_html(o, solution) for k, o in options.items()}
    digits = 6
    while len(set(texts.values())) < len(texts) and digits <= 15:
        texts = {k: html.option_html(_rounded(o, digits), solution) for k, o in options.items()}
        digits += 1
    return texts


def _rounded(value, digits: int):
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    if is_number(value) and not isinstance(value, (bool, int)) and not (isinstance(value, Fraction)
                                                                       and value.denominator == 1):
        return Fraction(Decimal(round_sig(value, digits).replace(",", "")))
    return value


# ---------------------------------------------------------------------------------------------
# Numerical questions


def _numeric(spec, solution: Solution, mistakes) -> tuple[Numeric, ...]:
    right = solution.answer
    if not is_number(right) or isinstance(right, bool):
        kind = "a label" if isinstance(right, str) else "a vector or matrix"
        raise SolveError(f"has no options and its answer is {kind}: a quiz question needs options "
                         "(nnsolve vary makes them) or an answer that is one number", field="choices")
    tol = spec.tolerance
    centre, margin = interval(right, tol)
    ranges: list[tuple[Decimal, Decimal, list[str]]] = [(centre, margin, [])]
    for mistake in mistakes:
        wrong = mistake.answers.get(solution.primary)
        if not is_number(wrong) or isinstance(wrong, bool) or agree(right, wrong, tol):
            continue
        c, m = interval(wrong, tol)
        same = next((r for r in ranges[1:] if r[:2] == (c, m)), None)
        if same is not None:
            same[2].append(mistake.mistake)
        elif not any(abs(c - r[0]) <= m + r[1] for r in ranges):  # an LMS takes the first range that matches
            ranges.append((c, m, [mistake.mistake]))
    label = solution.answers[solution.primary].label
    first = Numeric(centre, margin, True, html.prose(f"{RIGHT_FEEDBACK} {label} = {number_text(right)}."))
    return (first, *(Numeric(c, m, False, html.prose(_feedback(tuple(found))), tuple(found))
                     for c, m, found in ranges[1:]))


def _decimal(x) -> Decimal:
    x = Fraction(x)
    return Decimal(x.numerator) / Decimal(x.denominator)


def interval(x, tol) -> tuple[Decimal, Decimal]:
    """The answer an LMS accepts for ``x`` under ``tol``, as a centre and an absolute margin.

    Integers are exact (margin 0). ``sig_figs`` / ``decimals``: the rounded value, plus or minus
    half a unit in its last place. Otherwise the larger of ``absolute`` and ``relative``·|x|
    around x (to 15 significant figures), the margin rounded down to 6 significant figures so
    that it is never wider than nnsolve's own comparison.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        if isinstance(x, int) or (isinstance(x, Fraction) and x.denominator == 1):
            return Decimal(int(x)), Decimal(0)
        if tol.sig_figs is not None or tol.decimals is not None:
            rounded = round_sig_figs(x, tol.sig_figs) if tol.sig_figs is not None else round_decimals(x, tol.decimals)
            return rounded, Decimal(5).scaleb(rounded.as_tuple().exponent - 1)
        exact = _decimal(x)
        ctx.prec = 15
        centre = +exact  # rounded to 15 significant figures
        ctx.prec = 60
        margin = max(_decimal(tol.absolute), abs(exact) * _decimal(tol.relative))
        if margin:
            margin = margin.quantize(Decimal(1).scaleb(margin.adjusted() - 5), rounding=ROUND_FLOOR)
        return centre, margin


def decimal_text(d: Decimal) -> str:
    """A decimal as an LMS reads a number: fixed-point, no exponent, no thousands separators."""
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
