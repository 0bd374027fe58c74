"""Conceptual questions answered by running a small experiment.

The file names an experiment (``experiment: vanishing_gradient``), its parameters
(``setup: {depth: 8, seed: 0}``) and, for a multiple-choice question, which arm of the
experiment each option stands for (``arms: {a: more_layers, b: batch_norm}``). The solver
runs every arm with fixed seeds, reports what it measured, and names the option whose arm
wins by the experiment's stated criterion. The experiments live in ``nnsolve.experiments``.
"""

from __future__ import annotations

from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import ConfigDict, Field, model_validator

from ..experiments import BY_NAME, EXPERIMENTS
from ..solution import Answer, ChoiceMatch, Solution, Table, Variant
from ..spec import FieldError, ProblemBase

TOPIC = "experiment"
SUMMARY = "conceptual questions answered by a small deterministic experiment, with a figure (--plot)"
EXAMPLE = "problems/seed/s01-vanishing-gradient.yaml"
FIGURES = True  # every experiment draws a figure (run --plot)

Name = Literal[tuple(m.NAME for m in EXPERIMENTS)]  # type: ignore[valid-type]
Setup = Annotated[Union[tuple(m.Setup for m in EXPERIMENTS)], Field(discriminator="experiment")]  # type: ignore[valid-type]


def _setup_schema(schema: dict, model: type) -> None:
    """A file's ``setup`` names no experiment (the top-level ``experiment`` does): in the JSON
    Schema, each experiment's setup, less its ``experiment`` field, applies when the top names it."""
    from ..schema import model_schema

    setup = schema["properties"]["setup"]
    described = {"description": setup["description"]}
    schema["properties"]["setup"] = {"anyOf": [{"type": "object"}, {"type": "null"}], "default": None, **described}
    branches = []
    for module in EXPERIMENTS:
        form = model_schema(module.Setup)
        del form["properties"]["experiment"]
        form["required"] = [name for name in form.get("required", ()) if name != "experiment"]
        branches.append({"if": {"properties": {"experiment": {"const": module.NAME}}, "required": ["experiment"]},
                         "then": {"properties": {"setup": {"anyOf": [form, {"type": "null"}], **described}}}})
    schema["allOf"] = branches


class Spec(ProblemBase):
    """An experiment, its setup, and the arm each option stands for."""

    model_config = ConfigDict(json_schema_extra=_setup_schema)

    topic: Literal["experiment"] = Field(description="experiment: a conceptual question answered by an experiment")
    experiment: Name = Field(description="which experiment to run")  # type: ignore[valid-type]
    setup: Setup | None = Field(default=None, description="the experiment's parameters; every one has a default")
    arms: dict[str, Annotated[str, Field(max_length=60)]] | None = Field(
        default=None, description="option key → the arm of the experiment that option stands for")

    @model_validator(mode="before")
    @classmethod
    def _setup_names_its_experiment(cls, data: Any) -> Any:
        """The setup is validated by the named experiment's model; the file names it once, at the top."""
        if not isinstance(data, dict) or not isinstance(data.get("experiment"), str) \
                or data["experiment"] not in BY_NAME:  # a list or mapping here is unhashable
            return data
        setup = data.get("setup")
        if setup is None:
            setup = {}
        if isinstance(setup, dict):
            if "experiment" in setup:
                raise FieldError("setup.experiment",
                                 "name the experiment once, in the top-level 'experiment' field, not in 'setup'")
            data = {**data, "setup": {**setup, "experiment": data["experiment"]}}
        return data

    @model_validator(mode="after")
    def _arms_are_known(self) -> "Spec":
        if not self.arms:
            return self
        known = BY_NAME[self.experiment].ARMS
        for key, arm in self.arms.items():
            if arm not in known:
                raise ValueError(f"arms.{key}: {arm!r} is not an arm of the {self.experiment} experiment; "
                                 f"expected one of {', '.join(known)}")
            if self.choices is not None and key not in self.choices:
                raise ValueError(f"arms.{key}: there is no option {key!r} in choices")
        return self


def solve(spec: Spec) -> Solution:
    module = BY_NAME[spec.experiment]
    outcome = module.run(spec.setup)
    answers = dict(outcome.answers)
    blocks = list(outcome.blocks)
    primary = outcome.primary
    choice = None
    assumptions = [f"Criterion: {module.CRITERION}", *outcome.assumptions]
    if spec.arms:
        rows = []
        for key, arm in spec.arms.items():
            result = outcome.arms[arm]
            rows.append((key, arm, "not decided" if result.score is None else result.score, result.finding))
        blocks.append(Table("Options and the arms they stand for", ("Option", "Arm", "Score", "What the numbers show"),
                            tuple(rows)))
        choice = _best_option(spec.arms, outcome)
        if choice.key is not None:
            answers["best_option"] = Answer(choice.key, "Option whose arm wins")
            primary = "best_option"
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=tuple(blocks),
                    assumptions=tuple(assumptions), figures=outcome.figures, choice=choice,
                    warnings=(choice.note,) if choice is not None and choice.key is None else ())


def _best_option(arms: dict[str, str], outcome) -> ChoiceMatch:
    """The option whose arm scores highest; none when the top score is shared or nothing was measured."""
    scored = {key: outcome.arms[arm].score for key, arm in arms.items() if outcome.arms[arm].score is not None}
    if not scored:
        return ChoiceMatch(key=None, exact=False, note="the experiment decides none of the options' arms")
    top = max(scored.values())
    winners = [key for key, score in scored.items() if score == top]
    if len(winners) > 1:
        return ChoiceMatch(key=None, exact=False, nearest=winners[0],
                           note=f"options {', '.join(winners)} score the same ({top:g}); the experiment does not separate them")
    key = winners[0]
    return ChoiceMatch(key=key, exact=True, note=f"option {key} ({arms[key]}): {outcome.arms[arms[key]].finding}")


def variants(spec: Spec) -> Iterator[Variant]:
    """A conceptual question has no arithmetic slips to reproduce."""
    return iter(())


def given(spec) -> list:
    """An experiment's question states what it asks; the arms it runs are part of the answer."""
    return []
