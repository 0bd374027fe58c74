"""The fields every problem file shares, and the field types the topic specs are built from."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from . import limits
from .numbers import Real

# Sizes are strict integers (true/false and 3.5 are refused) within the documented caps.
Count = Annotated[StrictInt, Field(ge=1, le=limits.MAX_DIMENSION)]
NonNegative = Annotated[StrictInt, Field(ge=0, le=limits.MAX_DIMENSION)]

# A value an option or a submitted answer may state: a number, a label, a vector or a matrix.
Scalar = Union[Real, str]
AnswerValue = Union[Real, str, list[Union[Real, str]], list[list[Union[Real, str]]]]


class Strict(BaseModel):
    """Base model: unknown fields are errors, and specs are immutable once validated."""

    # defer_build: a model's validator is built on first use, so start-up pays only for the
    # topic a file names, not for every topic nnsolve knows.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Tolerance(Strict):
    """How close a real number must be to count as equal. Integers are always compared exactly.

    A value passes when it is within ``relative`` (default 1%, as PrairieLearn) *or* within
    ``absolute``; ``sig_figs`` or ``decimals``, when given, instead ask that it agrees when
    both are rounded to that many significant figures or decimal places.
    """

    # ge=0 inside Annotated: a Field(ge=...) default beside a PlainValidator type is not applied.
    relative: Annotated[Real, Field(ge=0)] = 0.01
    absolute: Annotated[Real, Field(ge=0)] = 0
    sig_figs: Annotated[StrictInt, Field(ge=1, le=15)] | None = None
    decimals: Annotated[StrictInt, Field(ge=0, le=15)] | None = None


class Submission(Strict):
    """The answer recorded in a file for grading: an option, the primary answer, named parts.

    ``weights`` (optional) says which parts earn marks and in what proportion, e.g.
    ``{class: 1, decision_value: 1}``; keys are answer names, ``choice`` or ``answer``. A
    submitted part without a weight is then working only: checked and diagnosed, not marked.
    """

    choice: str | None = Field(default=None, max_length=40)
    answer: AnswerValue | None = None
    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    weights: dict[str, Annotated[Real, Field(ge=0)]] | None = None


class ProblemBase(Strict):
    """Fields every topic accepts. Each topic's Spec adds ``topic: Literal[...]`` and its own fields."""

    id: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=500)
    question: str | None = Field(default=None, max_length=20_000)
    marks: Annotated[Real, Field(gt=0)] | None = None
    choices: dict[str, Union[AnswerValue, dict[str, AnswerValue]]] | None = None
    tolerance: Tolerance = Field(default_factory=Tolerance)
    submitted: Submission | None = None
