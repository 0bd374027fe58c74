"""A variant for every student: new numbers drawn into a problem, with options from real mistakes.

``make_variants(problem, count, seed)`` draws values for the fields the file's ``vary`` section
names, fills the question's placeholders, solves each variant, and gives it options: the right
answer and distractors from the topic's common mistakes (``nnsolve.solve.variants``), none
within the tolerance of the right answer or of each other, in an order shuffled by the seed.
When too few mistakes give distinct numbers, documented perturbations of the right answer
(``PERTURBATIONS``) fill the rest, and the file says which option is which. The options are
written as an exam states them, rounded to ``OPTION_DIGITS`` significant figures (more where
the tolerance needs them), each still within the tolerance of its exact value.

Everything drawn comes from one ``random.Random(seed)`` stream read only through ``random()``,
whose sequence Python guarantees across versions: the same seed writes byte-identical files,
and a larger ``--count`` writes the same first files.
"""

from __future__ import annotations

import copy
import itertools
import math
import os
import random
import textwrap
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from . import limits
from .compare import agree, round_sig_figs
from .errors import NnsolveError, SpecError
from .loader import Loaded, load_text
from .numbers import is_number, plain, simplify
from .solve import solve, variants
from .template import assign, fill, parse_path, unshown
from .yamlout import dump

DEFAULT_OPTIONS = 4  # options of a generated question when the source file lists none
WALKED = 10_000  # a grid of at most this many combinations is listed and walked, not sampled
OPTION_DIGITS = 4  # significant figures an option is written with (more only where the tolerance needs them)

# Perturbations of the right answer, tried in this order when the mistakes give too few distinct
# options: every number x of the answer becomes x·factor (x + factor − 1 when x is 0), an integer
# answer rounded to an integer.
PERTURBATIONS: tuple[tuple[Fraction, str], ...] = (
    (Fraction(2), "twice the right answer"),
    (Fraction(1, 2), "half the right answer"),
    (Fraction(10), "ten times the right answer"),
    (Fraction(1, 10), "a tenth of the right answer"),
    (Fraction(-1), "the right answer with its sign changed"),
    (Fraction(3, 2), "1.5 times the right answer"),
    (Fraction(2, 3), "two thirds of the right answer"),
    (Fraction(5, 4), "1.25 times the right answer"),
    (Fraction(4, 5), "0.8 times the right answer"),
    (Fraction(3), "three times the right answer"),
    (Fraction(1, 3), "a third of the right answer"),
)


@dataclass(frozen=True)
class VariantFile:
    """One file ``nnsolve vary`` writes: its name (in the output folder) and its YAML text."""

    name: str
    text: str


class _Draws:
    """Uniform choices from ``random.Random(seed).random()`` alone (its sequence is the stable one)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def below(self, n: int) -> int:
        return min(int(self._random.random() * n), n - 1)

    def shuffle(self, items: list) -> None:
        for i in range(len(items) - 1, 0, -1):  # Fisher–Yates
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def _range_size(rule) -> int:
    return math.floor((Fraction(rule.max) - Fraction(rule.min)) / Fraction(rule.step or 1)) + 1


def _draw(rule, draws: _Draws) -> Any:
    if rule.values is not None:
        return copy.deepcopy(rule.values[draws.below(len(rule.values))])
    if rule.shape is not None:
        def cell() -> int:
            return rule.min + draws.below(rule.max - rule.min + 1)
        if len(rule.shape) == 1:
            return [cell() for _ in range(rule.shape[0])]
        return [[cell() for _ in range(rule.shape[1])] for _ in range(rule.shape[0])]
    return simplify(Fraction(rule.min) + draws.below(_range_size(rule)) * Fraction(rule.step or 1))


def combinations(vary: dict) -> int:
    """How many different variants the rules allow (capped at a large number)."""
    total = 1
    for rule in vary.values():
        if rule.values is not None:
            total *= len(rule.values)
        elif rule.shape is not None:
            cells = math.prod(rule.shape)
            total *= (rule.max - rule.min + 1) ** min(cells, 64)
        elif rule.same_as is None:
            total *= _range_size(rule)
        total = min(total, 10**18)
    return total


# ---------------------------------------------------------------------------------------------
# Options


def _clash(a: dict, b: dict, tol) -> bool:
    """Two options a reader could not tell apart: every number agrees within the tolerance
    (one way or the other: a relative tolerance is relative to the first value)."""
    return all(agree(a[n], b[n], tol) or agree(b[n], a[n], tol) for n in a)


def _perturbed(value: Any, factor: Fraction) -> Any:
    if isinstance(value, list):
        return [_perturbed(v, factor) for v in value]
    if not is_number(value) or isinstance(value, bool):
        raise TypeError("only numbers are perturbed")
    if value == 0:
        return simplify(factor - 1) if not isinstance(value, float) else float(factor - 1)
    if isinstance(value, int):
        product = value * factor
        return int(product + (Fraction(1, 2) if product > 0 else Fraction(-1, 2)))  # half away from zero
    if isinstance(value, float):
        return value * float(factor)
    return simplify(value * factor)


def _distractors(right: dict, mistakes: list, wanted: int, tol, perturb: bool = True) -> list[tuple[dict, dict]]:
    """Up to ``wanted`` wrong options, each with why it is there: the mistakes first, in the
    topic's order (commonest first), then (unless ``perturb`` is false) perturbations."""
    chosen: list[tuple[dict, dict]] = []

    def take(option: dict, reason: dict) -> None:
        if len(chosen) < wanted and _writable(option) and \
                not any(_clash(option, other, tol) for other in [right, *(o for o, _ in chosen)]):
            chosen.append((option, reason))

    for mistake in mistakes:
        option = {n: mistake.answers.get(n, right[n]) for n in right}
        if all(v is not None for v in option.values()):
            take(option, {"mistake": mistake.mistake})
    for factor, text in PERTURBATIONS if perturb else ():
        try:
            option = {n: _perturbed(v, factor) for n, v in right.items()}
        except TypeError:
            break  # a label cannot be perturbed
        take(option, {"perturbation": f"{text} (too few common mistakes give distinct values)"})
    return chosen


def _writable(option: dict) -> bool:
    """Numbers a problem file can state exactly (not NaN, not beyond the loader's caps)."""
    try:
        dump(option)
    except (ValueError, TypeError):
        return False
    return True


def _rounded(value: Any, digits: int) -> Any:
    """A number rounded to ``digits`` significant figures, exactly (an int, a label, a number
    already that short: unchanged)."""
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    if isinstance(value, (bool, int)) or not is_number(value):
        return value
    return simplify(Fraction(round_sig_figs(value, digits)))


def _as_written(options: list[dict], tol) -> tuple[list[dict], int | None]:
    """The options as a file states them, and the significant figures they were rounded to.

    An exact answer such as 1225/89, or a float's seventeen digits, is no way to state an
    option: every number is rounded to the fewest significant figures, from OPTION_DIGITS up,
    at which each option still agrees with its exact value (so the right one is still right,
    and each mistake still gives its option) and no two options agree with each other. When no
    rounding keeps that (a tolerance of zero), the exact values are written (digits None).
    """
    for digits in range(OPTION_DIGITS, 16):
        written = [{n: _rounded(v, digits) for n, v in option.items()} for option in options]
        if all(agree(option[n], w[n], tol) for option, w in zip(options, written) for n in option) and \
                not any(_clash(a, b, tol) for i, a in enumerate(written) for b in written[i + 1:]):
            return written, (digits if written != options else None)
    return options, None


def _stated_names(spec, solution) -> list[str]:
    """The answers each option states: those the source's options state, or the primary answer."""
    names: list[str] = []
    for option in (spec.choices or {}).values():
        for name in (option if isinstance(option, dict) else [solution.primary]):
            if name not in names:
                names.append(str(name))
    return names or [solution.primary]


# ---------------------------------------------------------------------------------------------
# Variants


class _Rejected(Exception):
    """A drawn variant that does not count (it does not solve, or its options cannot be told apart)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def make_variants(problem: Loaded, count: int, seed: int) -> list[VariantFile]:
    """``count`` solved variants of a problem with a ``vary`` section, reproducible from ``seed``."""
    spec = problem.spec
    if spec.vary is None:
        raise SpecError("has no vary section: name the fields to vary (see README, Variants)", file=problem.file)
    if not 1 <= count <= limits.MAX_VARY_COUNT:
        raise NnsolveError(f"--count must be from 1 to {limits.MAX_VARY_COUNT} (nnsolve's cap MAX_VARY_COUNT)")
    stem = os.path.splitext(os.path.basename(problem.file))[0]
    source_id = spec.id or stem
    possible = combinations(spec.vary)
    if count > possible:
        raise SpecError(f"--count {count} asks for more variants than the varied fields allow ({possible})",
                        file=problem.file, line=problem.lines.get("vary"), field="vary")
    options = max(2, min(len(spec.choices) if spec.choices else DEFAULT_OPTIONS, limits.MAX_OPTIONS))
    draws = _Draws(seed)
    drawn = _Combinations(spec.vary, possible, draws)
    made: list[VariantFile] = []
    for number in range(1, count + 1):
        failure: _Rejected | None = None
        for _ in range(limits.MAX_VARY_TRIES):
            values = drawn.next()
            if values is None:  # a small grid, walked to its end
                raise _no_variant(problem, failure, drawn.last, exhausted=(len(made), possible))
            try:
                text = _variant(problem, values, number, seed, source_id, options, draws)
            except _Rejected as exc:
                failure = exc
                continue
            made.append(VariantFile(f"{stem}-v{number:03d}.yaml", text))
            break
        else:
            raise _no_variant(problem, failure, values)
    return made


def unshown_fields(problem: Loaded) -> list[SpecError]:
    """A warning for each varied field that no placeholder of the question shows: if the
    question states its value in words, every variant's text would keep the file's number."""
    question = problem.data.get("question")
    if problem.spec.vary is None or not isinstance(question, str):
        return []
    missing = unshown(question, problem.spec.vary)
    # A copy (same_as) of a field the question shows is shown too: {input[0]}×{input[0]}.
    missing = [key for key in missing if problem.spec.vary[key].same_as in (None, *missing)]
    return [SpecError(f"warning: the question has no placeholder for this field; if it states the value, write "
                      f"{{{key}}} there, or each variant's text keeps the file's value",
                      file=problem.file, line=problem.lines.get(f"vary.{key}"), field=f"vary.{key}")
            for key in missing]


class _Combinations:
    """The drawn values of successive variants, never the same twice.

    A grid of at most ``WALKED`` combinations (no random matrices) is listed and walked in an
    order shuffled by the seed, so that a ``--count`` up to its size always finds them all; a
    larger one is sampled, a draw that repeats an earlier one being drawn again.
    """

    def __init__(self, vary: dict, possible: int, draws: _Draws) -> None:
        self.vary, self.draws, self.last = vary, draws, {}
        self.seen: set[str] = set()
        self.grid = None
        if possible <= WALKED and all(rule.shape is None for rule in vary.values()):
            own = [key for key, rule in vary.items() if rule.same_as is None]
            grid = [_with_copies(vary, dict(zip(own, combo)))
                    for combo in itertools.product(*(_grid_values(vary[key]) for key in own))]
            draws.shuffle(grid)
            self.grid = iter(grid)

    def next(self) -> dict | None:
        """The next combination, or None when there is none left to try."""
        values = None
        if self.grid is not None:
            values = next(self.grid, None)
        else:
            for _ in range(WALKED):
                drawn = {key: _draw(rule, self.draws) for key, rule in self.vary.items() if rule.same_as is None}
                candidate = _with_copies(self.vary, drawn)
                signature = dump(candidate)
                if signature not in self.seen:
                    self.seen.add(signature)
                    values = candidate
                    break
        if values is not None:
            self.last = values
        return values


def _grid_values(rule) -> list:
    if rule.values is not None:
        return list(rule.values)
    return [simplify(Fraction(rule.min) + k * Fraction(rule.step or 1)) for k in range(_range_size(rule))]


def _with_copies(vary: dict, values: dict) -> dict[str, Any]:
    """The drawn values with each ``same_as`` field's copy, in the file's order."""
    for key, rule in vary.items():
        if rule.same_as is not None:
            values[key] = copy.deepcopy(values[rule.same_as])
    return {key: values[key] for key in vary}


def _variant(problem: Loaded, values: dict, number: int, seed: int, source_id: str, options: int,
             draws: _Draws) -> str:
    """The YAML text of one variant, or _Rejected."""
    source = problem.spec
    data = copy.deepcopy(problem.data)
    for key, value in values.items():
        assign(data, parse_path(key), value)
    for field in ("vary", "variant", "submitted", "choices"):
        data.pop(field, None)
    if source.question is not None:
        data["question"] = fill(problem.data["question"], data)
    data["id"] = f"{source_id}-v{number:03d}"
    if source.title:
        data["title"] = f"{source.title} (variant {number})"
    spec, solution = _solved(data)
    if solution.choice is not None:  # with no options listed, only a solver that names one itself
        raise SpecError(f"the {spec.topic} topic names its option itself: nnsolve cannot make options for it",
                        file=problem.file, line=problem.lines.get("vary"), field="vary")
    names = _stated_names(source, solution)
    missing = [n for n in names if n not in solution.answers]
    if missing:
        raise SpecError(f"the options state {missing[0]}, which nnsolve does not compute for this problem",
                        file=problem.file, line=problem.lines.get("choices"), field="choices")
    right = {n: solution.answers[n].value for n in names}
    labels = any(solution.answers[n].categorical for n in names)  # a class: only the mistakes' classes
    wrong = _distractors(right, variants(spec), options - 1, spec.tolerance, perturb=not labels)
    if not wrong:
        raise _Rejected(f"only one distinct option: {plain(_option(right, solution.primary))} (no common mistake or "
                        "perturbation gives another)")
    order = [(right, None), *wrong]
    draws.shuffle(order)
    keys = [chr(ord("a") + i) for i in range(len(order))]
    written, digits = _as_written([option for option, _ in order], spec.tolerance)
    data["choices"] = {k: _option(option, solution.primary) for k, option in zip(keys, written)}
    data["variant"] = {"of": source_id, "number": number, "seed": seed, "values": values,
                       "distractors": {k: reason for k, (_, reason) in zip(keys, order) if reason}}
    right_key = keys[[reason for _, reason in order].index(None)]
    text = dump(data, _comment(source_id, number, seed, values, right_key, digits))
    spec, solution = _solved_text(text)
    if solution.choice is None or solution.choice.key != right_key or not solution.choice.exact:
        raise _Rejected("the right option, as written, does not match the computed answer within the "
                        "tolerance (is the tolerance too tight for an inexact answer?)")
    return text


def _option(option: dict, primary: str) -> Any:
    """An option as a file states it: the primary answer alone, or named answers."""
    return option[primary] if list(option) == [primary] else dict(option)


def _solved(data: dict):
    return _solved_text(dump(data))


def _solved_text(text: str):
    """Load (by nnsolve's own loader: the written file must read back) and solve."""
    try:
        loaded = load_text(text, file="<variant>")
        return loaded.spec, solve(loaded.spec)
    except NnsolveError as exc:
        raise _Rejected(exc.message, exc.field) from None


def _comment(source_id: str, number: int, seed: int, values: dict, right_key: str, digits: int | None) -> str:
    drawn = ", ".join(f"{k} = {_short(v)}" for k, v in values.items())
    rounded = (f" The options are rounded to {digits} significant figures, each within the tolerance of its "
               "exact value." if digits is not None else "")
    return textwrap.fill(f"Variant {number} of {source_id}, written by nnsolve vary --seed {seed}: {drawn}. "
                         f"The right option is {right_key}; variant.distractors says why each other option is there."
                         + rounded, width=88)


def _short(value: Any, width: int = 40) -> str:
    text = plain(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def _no_variant(problem: Loaded, failure: _Rejected | None, values: dict,
                exhausted: tuple[int, int] | None = None) -> SpecError:
    """The one-line error when no valid variant was found: it names the varied field at fault."""
    vary = problem.spec.vary
    field = "vary"
    if failure is not None and failure.field is not None:
        try:
            failed = parse_path(failure.field)
        except ValueError:
            failed = ()
        for key in vary:
            path = parse_path(key)
            shorter = min(len(path), len(failed))
            if shorter and path[:shorter] == failed[:shorter]:
                field = f"vary.{key}"
                break
    if field == "vary" and len(vary) == 1:
        field = f"vary.{next(iter(vary))}"
    if exhausted is not None:
        found, possible = exhausted
        head = (f"only {found} of the {possible} combinations of the varied fields give a valid variant"
                if possible <= WALKED else f"found only {found} different variants")
    else:
        head = f"no valid variant in {limits.MAX_VARY_TRIES} tries (nnsolve's cap MAX_VARY_TRIES)"
    if failure is None:
        return SpecError(head, file=problem.file, line=problem.lines.get(field), field=field)
    drawn = ", ".join(f"{k} = {_short(v, 24)}" for k, v in values.items())
    where = f"{failure.field}: " if failure.field else ""
    return SpecError(f"{head}; the last drawn ({drawn}) fails: {where}{failure.message}",
                     file=problem.file, line=problem.lines.get(field), field=field)
