"""The fields every problem file shares, and the field types the topic specs are built from."""

from __future__ import annotations

import typing
from typing import Annotated, Union

from pydantic import (BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError, field_validator,
                      model_validator)
from pydantic_core import core_schema

from . import limits
from .numbers import Real

# Sizes are strict integers (true/false and 3.5 are refused) within the documented caps.
Count = Annotated[StrictInt, Field(ge=1, le=limits.MAX_DIMENSION)]
NonNegative = Annotated[StrictInt, Field(ge=0, le=limits.MAX_DIMENSION)]

# A value an option or a submitted answer may state: a number, a label, a vector or a matrix.
Scalar = Union[Real, str]
AnswerValue = Union[Real, str, list[Union[Real, str]], list[list[Union[Real, str]]]]


class FieldError(ValueError):
    """A model validator's error about one of the model's fields, reported at that field's line.

    ``raise FieldError("ask", "shape_after needs 'layer'")``; ``field`` is a path relative to
    the model that raises it (``"samples[0].x"``, positions from 0).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Strict(BaseModel):
    """Base model: unknown fields are errors, and specs are immutable once validated."""

    # defer_build: a model's validator is built on first use, so start-up pays only for the
    # topic a file names, not for every topic nnsolve knows.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ByTag:
    """Validates a union of models that each name themselves by a tag field (``type: conv2d``) with
    only the member the tag names: ``Annotated[Union[Conv2d, Dense, ...], ByTag("type")]``.

    A discriminated union compiles every member's validator when the model holding it is first
    used: a cold ``run`` of a 3-layer CNN paid for all 36 layer kinds, more than it spends
    reading and solving the file. Here a member's validator is built the first time a file uses
    it. Everything else is the discriminated union's, unchanged: a member's errors are located
    under its tag as pydantic locates them (``layers.0.conv2d.filters``), a missing or unknown
    tag or a value that is not a mapping is answered by the whole union (built then, once), and
    the JSON Schema is the whole union's.
    """

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self._whole: TypeAdapter | None = None
        self._members: dict[str, type[BaseModel]] = {}
        self._referring: dict[int, list[dict]] = {}  # a schema generator → the places inside this union that name it

    def __get_pydantic_core_schema__(self, source, handler) -> core_schema.CoreSchema:
        self._source = source
        self._members = {tag: model for model in typing.get_args(source)
                         for tag in typing.get_args(model.model_fields[self.tag].annotation)}
        return core_schema.no_info_plain_validator_function(
            self._validate, metadata={"pydantic_js_functions": [self._json_schema]})

    def _union(self) -> TypeAdapter:
        if self._whole is None:
            self._whole = TypeAdapter(Annotated[self._source, Field(discriminator=self.tag)])
        return self._whole

    def _validate(self, value: object) -> BaseModel:
        tag = value.get(self.tag) if isinstance(value, dict) else getattr(value, self.tag, None)
        model = self._members.get(tag) if isinstance(tag, str) else None
        if model is not None and isinstance(value, model):
            return value  # as the union takes one of its members' instances: as it is
        if model is None or not isinstance(value, dict):
            return self._union().validate_python(value)
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(exc.title, [
                {"type": err["type"], "loc": (tag, *err["loc"]), "input": err["input"],
                 **({"ctx": err["ctx"]} if "ctx" in err else {})} for err in exc.errors(include_url=False)]) from None

    def _json_schema(self, _schema, handler) -> dict:
        # A member that holds the union again (a residual block's layers) is reached while the
        # union's schema is being written: it gets a dict filled in with that schema once it is done.
        generator = id(handler.generate_json_schema)
        if generator in self._referring:
            inner: dict = {}
            self._referring[generator].append(inner)
            return inner
        self._referring[generator] = []
        try:
            whole = handler(self._union().core_schema)
            for inner in self._referring[generator]:
                inner.update(whole)
        finally:
            del self._referring[generator]
        return whole


class Tolerance(Strict):
    """How close a real number must be to count as equal. Integers are always compared exactly.

    A value passes when it is within ``relative`` (default 1%, as PrairieLearn) *or* within
    ``absolute``; ``sig_figs`` or ``decimals``, when given, instead ask that it agrees when
    both are rounded to that many significant figures or decimal places.
    """

    # ge=0 inside Annotated: a Field(ge=...) default beside a PlainValidator type is not applied.
    relative: Annotated[Real, Field(ge=0)] = Field(
        default=0.01, description="a value passes within this fraction of the right one (0.01 is 1%)")
    absolute: Annotated[Real, Field(ge=0)] = Field(
        default=0, description="a value also passes within this distance of the right one")
    sig_figs: Annotated[StrictInt, Field(ge=1, le=15)] | None = Field(
        default=None, description="instead: both values agree when rounded to this many significant figures")
    decimals: Annotated[StrictInt, Field(ge=0, le=15)] | None = Field(
        default=None, description="instead: both values agree when rounded to this many decimal places")


class Submission(Strict):
    """The answer recorded in a file for grading: an option, the primary answer, named parts.

    ``weights`` (optional) says which parts earn marks and in what proportion, e.g.
    ``{class: 1, decision_value: 1}``; keys are answer names, ``choice`` or ``answer``. A
    submitted part without a weight is then working only: checked and diagnosed, not marked.
    """

    choice: str | None = Field(default=None, max_length=40, description="the option key the student chose, e.g. d")
    answer: AnswerValue | None = Field(
        default=None, description="the student's answer to the question: a number, a vector, a matrix or a label")
    answers: dict[str, AnswerValue] = Field(
        default_factory=dict, description="named parts and intermediate values, e.g. {w2_iter1: 0.1809}")
    weights: dict[str, Annotated[Real, Field(ge=0)]] | None = Field(
        default=None, description="which parts earn marks, in proportion, e.g. {class: 1, decision_value: 1}; "
                                  "a submitted part without a weight is working only")


FieldPath = Annotated[str, Field(min_length=1, max_length=limits.MAX_FIELD_PATH_CHARS)]


class VaryField(Strict):
    """How one field changes from variant to variant (``nnsolve vary``): exactly one of a list of
    ``values``, a range (``min``, ``max``, ``step``), a random integer vector or matrix (``shape``
    with integer ``min`` and ``max``), or ``same_as`` another varied field."""

    values: list[AnswerValue] | None = Field(
        default=None, min_length=1, max_length=limits.MAX_VARY_VALUES,
        description="the values the field may take; each variant draws one")
    min: Real | None = Field(default=None, description="the smallest value of a range, or of a matrix's cells")
    max: Real | None = Field(default=None,
                             description="the largest value of a range, or of a matrix's cells (inclusive)")
    step: Annotated[Real, Field(gt=0)] | None = Field(
        default=None, description="a range's step (default 1): the values are min, min + step, … up to max")
    shape: Annotated[list[Count], Field(min_length=1, max_length=2)] | None = Field(
        default=None, description="[n] for a random integer vector, [rows, columns] for a matrix; "
                                  "each cell is drawn from min to max")
    same_as: FieldPath | None = Field(
        default=None, description="another varied field whose drawn value this one takes "
                                  "(input[1] same_as input[0]: a square image)")

    @model_validator(mode="after")
    def _one_kind(self) -> "VaryField":
        ranged = self.min is not None or self.max is not None or self.step is not None
        kinds = [self.values is not None, self.shape is not None, self.same_as is not None,
                 ranged and self.shape is None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of: values, a range (min, max, step), a matrix (shape, min, max), "
                             "same_as")
        if self.shape is not None or ranged:
            if self.min is None or self.max is None:
                raise ValueError("a range or a matrix needs both min and max")
            if self.min > self.max:
                raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        if self.shape is not None:
            if self.step is not None:
                raise ValueError("a matrix's cells are integers from min to max: leave out step")
            if not all(isinstance(x, int) for x in (self.min, self.max)):
                raise ValueError("a matrix's min and max must be integers")
            cells = self.shape[0] * (self.shape[1] if len(self.shape) > 1 else 1)
            if cells > limits.MAX_TENSOR_CELLS:
                raise ValueError(f"a matrix of {cells:,} cells is more than {limits.MAX_TENSOR_CELLS:,} "
                                 f"(nnsolve's cap MAX_TENSOR_CELLS)")
        return self


class Distractor(Strict):
    """Why a wrong option of a generated question is there: exactly one of the two."""

    mistake: str | None = Field(default=None, max_length=2_000,
                                description="the common mistake that gives this option (the topic's variants)")
    perturbation: str | None = Field(default=None, max_length=2_000,
                                     description="how the option was made from the right answer, when too few "
                                                 "mistakes give distinct numbers")

    @model_validator(mode="after")
    def _one_reason(self) -> "Distractor":
        if (self.mistake is None) == (self.perturbation is None):
            raise ValueError("give exactly one of: mistake, perturbation")
        return self


class VariantOf(Strict):
    """What ``nnsolve vary`` records in each file it writes."""

    of: str = Field(max_length=200, description="the problem this is a variant of (its id, or its file's name); "
                                                "nnsolve export puts the variants of one problem in one category")
    number: Annotated[StrictInt, Field(ge=1, le=limits.MAX_VARY_COUNT)] = Field(
        description="which variant (1, 2, …) of the run that wrote it")
    seed: Annotated[StrictInt, Field(ge=0)] = Field(description="the --seed of the run that wrote it")
    values: dict[FieldPath, AnswerValue] = Field(
        default_factory=dict, description="the value drawn for each varied field")
    distractors: dict[str, Distractor] = Field(
        default_factory=dict, description="option key → why that wrong option is there; documentation only: "
                                          "grading and export diagnose the options afresh")


class ProblemBase(Strict):
    """Fields every topic accepts. Each topic's Spec adds ``topic: Literal[...]`` and its own fields."""

    id: str | None = Field(default=None, max_length=200, description="a short name for the problem, e.g. s03")
    title: str | None = Field(default=None, max_length=500, description="the heading of the worked solution")
    question: str | None = Field(default=None, max_length=20_000,
                                 description="the question as the exam states it, shown above the solution")
    marks: Annotated[Real, Field(gt=0)] | None = Field(
        default=None, description="what the question is worth when graded (1 when not given)")
    choices: dict[str, Union[AnswerValue, dict[str, AnswerValue]]] | None = Field(
        default=None, description="the multiple-choice options, key: value, or key: {answer_name: value, ...} "
                                  "when an option states several numbers")
    tolerance: Tolerance = Field(default_factory=Tolerance,
                                 description="how close a real number must be to count as equal")
    submitted: Submission | None = Field(default=None, description="a student's answer, for nnsolve grade")
    vary: dict[FieldPath, VaryField] | None = Field(
        default=None, max_length=limits.MAX_VARY_FIELDS,
        description="field path (input[0], layers[0].filters) → how it varies; nnsolve vary writes one "
                    "problem file per variant, and {path} in the question is filled with the field's value")
    variant: VariantOf | None = Field(default=None, description="written by nnsolve vary: where this variant "
                                                                "came from and why each wrong option is there")

    @field_validator("question", "title")
    @classmethod
    def _maths_typesets(cls, value: str | None) -> str | None:
        """Maths in ``$…$`` must pass the TeX allow-list (nnsolve.markup) before any renderer sees it."""
        if value is not None and "$" in value:
            from .markup import math_errors

            errors = math_errors(value)
            if errors:
                raise ValueError(errors[0])
        return value
