"""Name the multiple-choice option that matches the computed answers — and say so when none does."""

from __future__ import annotations

import math

from .compare import agree, distance
from .numbers import Value
from .numbers import plain
from .solution import Answer, ChoiceMatch
from .spec import Tolerance


def _stated(option: Value | dict, primary: str) -> dict[str, Value]:
    """An option states either the primary answer alone or several named answers."""
    if isinstance(option, dict):
        return dict(option)
    return {primary: option}


def match_choice(options: dict[str, Value | dict], answers: dict[str, Answer], primary: str,
                 tol: Tolerance) -> ChoiceMatch:
    """Compare every option with the answers.

    An option matches when every number it states agrees. When none does, the option that
    agrees on the most of its numbers (at least one, and uniquely) is named with the numbers
    that disagree; when no option agrees on anything, no option is named and the nearest one
    (by relative difference in the primary answer) is reported.
    """
    scores: list[tuple[str, int, int, list[str], float]] = []
    agreed: dict[str, list[str]] = {}  # per option, the numbers it gets right (for the note)
    for key, option in options.items():
        stated = _stated(option, primary)
        agreeing, disagreeing, worst = 0, [], 0.0
        agreed[key] = []
        for name, given in stated.items():
            if name not in answers:
                disagreeing.append(f"{name} (not something nnsolve computes for this problem)")
                worst = math.inf
                continue
            computed = answers[name].value
            if agree(computed, given, tol):
                agreeing += 1
                agreed[key].append(f"{answers[name].label} {plain(given)}")
            else:
                disagreeing.append(f"{answers[name].label} {plain(given)} (computed {plain(computed)})")
            worst = max(worst, distance(computed, given))
        scores.append((key, agreeing, len(stated), disagreeing, worst))

    full = [s for s in scores if s[1] == s[2]]
    if full:
        key = full[0][0]
        note = None
        if len(full) > 1:
            note = (f"options {', '.join(s[0] for s in full)} all agree with the computed answer (within the "
                    f"tolerance); naming {key}, and grading accepts each of them")
        elif full[0][4] > 0:
            note = (f"option {key} agrees within the tolerance (relative difference "
                    f"{full[0][4]:.2%})")
        return ChoiceMatch(key=key, exact=True, note=note, also=tuple(s[0] for s in full[1:]))

    best = max((s[1] for s in scores), default=0)
    partial = [s for s in scores if s[1] == best and best > 0]
    if len(partial) == 1:
        key, agreeing, total, disagreeing, _ = partial[0]
        note = (f"no option agrees on every number; option {key} agrees on {agreeing} of {total} "
                f"({'; '.join(agreed[key])}), but states {'; '.join(disagreeing)}")
        return ChoiceMatch(key=key, exact=False, disagreements=tuple(disagreeing), note=note)

    nearest = min(scores, key=lambda s: s[4], default=None)
    if nearest is None:
        return ChoiceMatch(key=None, exact=False, note="the problem lists no options")
    far = "an incomparable value" if math.isinf(nearest[4]) else f"{nearest[4]:.2%} away"
    note = (f"none of the options matches the computed answer {plain(answers[primary].value)}; "
            f"the nearest is option {nearest[0]} ({far})")
    return ChoiceMatch(key=None, exact=False, nearest=nearest[0], note=note)
