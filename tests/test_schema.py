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


# pydantic error kinds a JSON Schema can state (a type, a bound, a length, a name, a required or
# unknown field). Other errors (a model validator's rule, YAML-level refusals such as anchors or
# NaN, a problem that cannot be solved) are beyond what a schema says.
SAYABLE = {"missing", "extra_forbidden", "int_type", "int_parsing", "int_from_float", "float_type", "string_type",
           "bool_type", "list_type", "tuple_type", "dict_type", "model_type", "model_attributes_type",
           "literal_error", "union_tag_invalid", "union_tag_not_found", "greater_than", "greater_than_equal",
           "less_than", "less_than_equal", "too_short", "too_long", "string_too_long", "string_too_short"}


def _json_path(field: str | None) -> str:
    return "$" + ("" if not field else "." + field).replace(".[", "[")


def _our_errors(path: Path) -> list:
    from nnsolve.errors import NnsolveError
    from nnsolve.loader import load

    try:
        load(str(path))
    except NnsolveError as exc:
        return [exc, *exc.more]
    return []


def test_check_jsonschema_rejects_the_bad_corpus_at_the_field_nnsolve_names(schema_file):
    files = sorted(CORPUS.glob("*.yaml"))
    report = _check_jsonschema(schema_file, files)
    said: dict[str, set[str]] = {}
    for error in report["errors"]:
        paths = {error["path"]} | {error[k]["path"] for k in ("best_match", "best_deep_match") if k in error}
        said.setdefault(Path(error["filename"]).name, set()).update(paths)
    parse_errors = {Path(e["filename"]).name for e in report["parse_errors"]}
    checked, wrong = 0, []
    for path in files:
        validation = [e for e in _our_errors(path) if e.kind is not None]  # not YAML-level refusals
        sayable = [e for e in validation if e.kind in SAYABLE]
        where = said.get(path.name)
        if not sayable and not where:
            continue  # beyond a schema (a rule between fields, NaN, anchors): test_hostile checks nnsolve's message
        if path.name in parse_errors:
            continue  # the validator's YAML reader refused the file itself: rejected, with no field to compare
        if not where:
            wrong.append(f"{path.name}: accepted, but nnsolve says {sayable[0]}")
            continue
        if not validation:
            continue  # nnsolve refused the YAML before validating it: the schema's first complaint is another
        checked += 1
        fields = set()
        for e in sayable or validation:
            fields.add(_json_path(e.field))
            if e.kind in ("missing", "extra_forbidden", "union_tag_not_found", "union_tag_invalid"):
                # a schema names the mapping that lacks the field, has it, or has the unknown kind
                fields.add(_json_path(e.field.rsplit(".", 1)[0] if "." in e.field else None))
        if not fields & where:
            wrong.append(f"{path.name}: the schema points at {sorted(where)}, nnsolve at {sorted(fields)}")
    assert checked >= 70
    assert not wrong, "\n".join(wrong)
