"""The topics nnsolve solves. The discriminated union below is the registry.

Each topic is one module with:
- ``TOPIC``: the value of the problem file's ``topic`` field;
- ``SUMMARY``: one line on what it solves; ``EXAMPLE``: a problem file under ``problems/``;
- ``Spec``: its pydantic model (``topic: Literal[TOPIC]`` plus its fields);
- ``solve(spec) -> Solution``: pure, no I/O;
- ``variants(spec) -> Iterable[Variant]``: the mistakes students commonly make on it.

Adding a topic means adding a module and one entry to ``MODULES``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Union

from pydantic import BaseModel, Field, TypeAdapter

from . import backprop, cnn_architecture, conv_cost, conv_values, experiment, optimizer_steps, svm

MODULES = (cnn_architecture, svm, optimizer_steps, conv_values, conv_cost, backprop, experiment)

BY_TOPIC = {m.TOPIC: m for m in MODULES}

Problem = Annotated[Union[tuple(m.Spec for m in MODULES)], Field(discriminator="topic")]  # type: ignore[valid-type]

PROBLEM_ADAPTER: TypeAdapter = TypeAdapter(Problem)


@lru_cache(maxsize=1)
def all_field_names() -> list[str]:
    """Every field name any spec accepts, for "did you mean" hints on unknown fields."""
    names: set[str] = set()
    seen: set[type] = set()

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
            for arg in _models_in(info.annotation):
                visit(arg)

    for m in MODULES:
        visit(m.Spec)
    return sorted(names)


def _models_in(annotation) -> list[type[BaseModel]]:
    import typing

    out = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        out.append(annotation)
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out
