"""From a blank page: `nnsolve new` templates and `nnsolve topics TOPIC` references, for every topic.

Generic over the topics: a new topic is covered with no edit here (its Spec's fields need a
description=, and its EXAMPLE must be a valid problem).
"""

from __future__ import annotations

import pytest

from nnsolve.loader import load, load_text
from nnsolve.solve import solve
from nnsolve.topics import TOPICS, models_of, tag_field, topic_module
from tests.conftest import ROOT
from tests.test_hostile import run_in_process

SLOW = {"experiment"}  # topics whose example trains models: the template is compared with the example instead


@pytest.mark.parametrize("topic", list(TOPICS))
def test_the_template_of_every_topic_is_valid_as_written_and_lists_every_field(capsys, topic):
    code, template, err = run_in_process(capsys, "new", topic)
    assert (code, err) == (0, "")
    problem = load_text(template, file=f"{topic}.yaml")
    example = load(str(ROOT / topic_module(topic).EXAMPLE))
    assert problem.spec == example.spec.model_copy(update={"submitted": None})  # the example's values
    if topic not in SLOW:
        assert solve(problem.spec).answer == solve(example.spec).answer
    lines = template.splitlines()
    for name in topic_module(topic).Spec.model_fields:
        assert any(line.startswith((f"{name}:", f"# {name}:")) for line in lines), f"{name} not in the template"
    assert all(len(line) <= 88 for line in lines if line.startswith("#")), "a comment longer than 88 columns"


def test_new_writes_a_file_and_says_so(capsys, tmp_path):
    target = tmp_path / "mine.yaml"
    code, out, err = run_in_process(capsys, "new", "svm", "-o", str(target))
    assert (code, out) == (0, "")
    assert err == f"wrote {target}: a new svm problem to edit; then: nnsolve check {target}\n"
    assert solve(load(str(target)).spec).answer == -1
    code, out, err = run_in_process(capsys, "new", "svm", "-o", str(target))
    assert (code, err) == (2, f"nnsolve: {target} exists already; choose another name (nnsolve new does not "
                               f"overwrite)\n")


def test_an_unknown_topic_gets_a_hint(capsys):
    code, out, err = run_in_process(capsys, "new", "SVM")
    assert code == 2
    assert err == f"nnsolve: unknown topic 'SVM'; did you mean 'svm'? the topics are {', '.join(TOPICS)}\n"


@pytest.mark.parametrize("topic", list(TOPICS))
def test_topics_topic_gives_every_field_and_the_example_within_80_columns(capsys, monkeypatch, topic):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_in_process(capsys, "topics", topic)
    assert (code, err) == (0, "")
    reference, _, example = out.partition(f"\nExample ({topic_module(topic).EXAMPLE}):\n")
    assert example, "no example"
    assert max(len(line) for line in reference.splitlines()) <= 80
    spec = topic_module(topic).Spec
    for model in models_of(spec):
        tag = tag_field(model) if model is not spec else None  # named in its kind's heading: "type: conv2d"
        for name, info in model.model_fields.items():
            if name == tag:
                continue
            assert f"{name}  (" in reference, f"{model.__name__}.{name} not in the reference"
            assert " ".join(info.description.split()) in " ".join(reference.split()), info.description
