"""The JSON Schema: standard (draft 2020-12), every field described, and standard tools agree with
nnsolve on every shipped problem and every bad file of the corpus.

Generic over the topics and over problems/ and tests/corpus/bad/: a new topic, problem or bad
file is covered without an edit here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnsolve.schema import problem_schema, walk_properties
from nnsolve.topics import TOPICS, models_of, topic_module
from tests.conftest import PROBLEMS, ROOT

CORPUS = ROOT / "tests" / "corpus" / "bad"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "nnsolve.schema.json"
    path.write_text(json.dumps(problem_schema()), encoding="utf-8")
    return path


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_spec_field_has_a_description(topic):
    missing = [f"{model.__module__}.{model.__qualname__}.{name}"
               for model in models_of(topic_module(topic).Spec)
               for name, info in model.model_fields.items() if not (info.description or "").strip()]
    assert not missing, f"fields without description=: {missing}"


def test_every_schema_property_has_a_description():
    missing = [f"{path}/properties/{name}" for path, name, prop in walk_properties(problem_schema())
               if not prop.get("description")]
    assert not missing, missing


def test_schema_is_standard_draft_2020_12():
    from jsonschema import Draft202012Validator

    document = problem_schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)
    text = json.dumps(document)
    assert '"discriminator"' not in text  # OpenAPI's keyword: standard validators ignore it
    for keyword in ('"gt"', '"ge"', '"lt"', '"le"'):
        assert f"{keyword}:" not in text, f"non-standard bound {keyword}"


def test_topic_selects_its_alternative_with_if_then():
    document = problem_schema()
    assert document["properties"]["topic"]["enum"] == list(TOPICS)
    tests = [branch["if"]["properties"]["topic"]["const"] for branch in document["allOf"]]
    assert tests == list(TOPICS)


def _check_jsonschema(schema_file: Path, files: list[Path]) -> dict:
    result = subprocess.run([str(CHECK_JSONSCHEMA), "--schemafile", str(schema_file), "-o", "json",
                             *map(str, files)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_check_jsonschema_accepts_every_shipped_problem(schema_file):
    files = sorted(PROBLEMS.rglob("*.yaml"))
    assert files
    report = _check_jsonschema(schema_file, files)
    assert report["status"] == "ok", json.dumps(report["errors"] + report["parse_errors"], indent=1)[:3000]
