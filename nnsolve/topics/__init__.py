"""The topics nnsolve solves. The discriminated union below is the registry.

Each topic is one module with:
- ``TOPIC``: the value of the problem file's ``topic`` field;
- ``SUMMARY``: one line on what it solves; ``EXAMPLE``: a problem file under ``problems/``;
- ``Spec``: its pydantic model (``topic: Literal[TOPIC]`` plus its fields);
- ``solve(spec) -> Solution``: pure, no I/O;
- ``variants(spec) -> Iterable[Variant]``: the mistakes students commonly make on it.
- optionally ``FIGURES = True`` when its solutions draw a figure (``run --plot`` refuses others
  before solving).

Adding a topic means adding a module and one entry to ``TOPICS``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from types import ModuleType
from typing import Annotated, Union

from pydantic import BaseModel, Field, TypeAdapter

# topic → its module, in the order `nnsolve topics` lists them. A topic's module is imported
# only when a file names it, so start-up does not pay for the others.
TOPICS = {
    "cnn_architecture": "nnsolve.topics.cnn_architecture",
    "conv_values": "nnsolve.topics.conv_values",
    "conv_cost": "nnsolve.topics.conv_cost",
    "optimizer_steps": "nnsolve.topics.optimizer_steps",
    "backprop": "nnsolve.topics.backprop",
    "function": "nnsolve.topics.function",
    "moving_average": "nnsolve.topics.moving_average",
    "detection": "nnsolve.topics.detection",
    "classification_metrics": "nnsolve.topics.classification_metrics",
    "network": "nnsolve.topics.network",
    "svm": "nnsolve.topics.svm",
    "experiment": "nnsolve.topics.experiment",
}


def topic_module(topic: str) -> ModuleType:
    """The module of a known topic (a key of TOPICS, never text from a file that is not one)."""
    return import_module(TOPICS[topic])


def __getattr__(name: str):
    """``MODULES``, ``BY_TOPIC`` and ``Problem`` (the discriminated union) import every topic."""
    if name == "MODULES":
        return tuple(topic_module(t) for t in TOPICS)
    if name == "BY_TOPIC":
        return {t: topic_module(t) for t in TOPICS}
    if name == "Problem":
        specs = tuple(topic_module(t).Spec for t in TOPICS)
        return Annotated[Union[specs], Field(discriminator="topic")]  # type: ignore[valid-type]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def problem_adapter() -> TypeAdapter:
    """The validator of the whole union: for the JSON Schema and for a file naming no known topic.

    Built on first use (it compiles every topic's validator); a file that names its topic is
    validated by that topic's Spec alone (see ``spec_for``).
    """
    return TypeAdapter(__getattr__("Problem"))


def spec_for(data: object) -> type[BaseModel] | None:
    """The Spec a problem's data selects by its ``topic`` field, or None when it names no known topic."""
    topic = data.get("topic") if isinstance(data, dict) else None
    if not isinstance(topic, str) or topic not in TOPICS:
        return None
    return topic_module(topic).Spec


def models_of(spec: type[BaseModel]) -> list[type[BaseModel]]:
    """``spec`` and every model its fields use (layers, kernels, optimizers, ...), each once, in field order."""
    found: list[type[BaseModel]] = []
    pending = [spec]
    while pending:
        model = pending.pop(0)
        if model in found:
            continue
        found.append(model)
        for info in model.model_fields.values():
            pending.extend(models_in(info.annotation))
    return found


@lru_cache(maxsize=1)
def all_field_names() -> list[str]:
    """Every field name any spec accepts (the fuzz tests draw misspellings from them)."""
    return sorted({info.alias or name for topic in TOPICS for model in models_of(topic_module(topic).Spec)
                   for name, info in model.model_fields.items()})


def models_in(annotation) -> list[type[BaseModel]]:
    """The models an annotation names, at any depth (``list[Layer]``, ``Kernel | None``)."""
    import typing

    out = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        out.append(annotation)
    for arg in typing.get_args(annotation):
        out.extend(models_in(arg))
    return out


def tag_field(model: type[BaseModel]) -> str | None:
    """The field whose literal names ``model`` in a tagged union (``type: conv2d``, ``topic: svm``),
    if it has one: its first required field that takes only fixed names."""
    import typing

    for name, info in model.model_fields.items():
        if info.is_required() and typing.get_origin(info.annotation) is typing.Literal and all(
                isinstance(a, str) for a in typing.get_args(info.annotation)):
            return name
    return None
