"""The CLI: exit codes and exact messages, and help text with an example for every command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer.main

from nnsolve.cli import app
from tests.conftest import PROBLEMS, ROOT


def nnsolve(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnsolve", *args], capture_output=True, text=True, cwd=cwd)


def test_run_s03_json():
    result = nnsolve("run", str(PROBLEMS / "seed/s03-cnn-params.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["topic"] == "cnn_architecture"
    assert data["answer"] == 217850
    assert data["choice"] == "d"
    for key in ("answers", "steps", "assumptions", "warnings"):
        assert key in data


def test_run_s09_json():
    data = json.loads(nnsolve("run", str(PROBLEMS / "seed/s09-cnn-shapes.yaml"), "-f", "json").stdout)
    assert data["answers"]["flatten_size"] == 784
    assert data["answers"]["output_size"] == 3
    assert data["choice"] == "b"


def test_malformed_file_one_line_no_traceback(tmp_path):
    bad = tmp_path / "problem.yaml"
    bad.write_text("topic: cnn_architecture\ninput: [64, 64, 3]\nlayers:\n"
                   "  - {type: conv2d, filters: 16, kernel: 7}\n  - {type: max_pool, window: 2}\n"
                   "  - type: conv2d\n    filters: 4\n    kernel: 0\n")
    result = nnsolve("run", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"{bad}:8: layers[3].kernel: must be a positive integer\n"


def test_missing_file():
    result = nnsolve("run", "no-such-file.yaml")
    assert result.returncode == 2
    assert result.stderr == "no-such-file.yaml: no such file\n"


def test_version():
    from nnsolve import __version__

    result = nnsolve("--version")
    assert result.returncode == 0
    assert result.stdout == f"nnsolve {__version__}\n"


def test_topics_lists_every_topic_with_an_existing_example():
    from nnsolve.topics import MODULES

    out = nnsolve("topics").stdout
    for module in MODULES:
        assert module.TOPIC in out
        assert (ROOT / module.EXAMPLE).is_file(), module.EXAMPLE


def test_schema_is_json_schema_naming_every_topic():
    from nnsolve.topics import MODULES

    schema = json.loads(nnsolve("schema").stdout)
    text = json.dumps(schema)
    for module in MODULES:
        assert module.TOPIC in text


def _commands():
    click_app = typer.main.get_command(app)
    return sorted(click_app.commands.items())


@pytest.mark.parametrize("name,command", _commands())
def test_every_command_has_help_with_an_example(name, command):
    assert command.help, f"{name} has no help text"
    assert "Example:" in command.help and "nnsolve " in command.help, f"{name}'s help has no example"


@pytest.mark.parametrize("name,command", _commands())
def test_every_command_is_documented_in_readme(name, command):
    readme = (ROOT / "README.md").read_text()
    assert f"nnsolve {name}" in readme


def test_topic_registry_names_match_their_modules():
    from nnsolve.topics import TOPICS, topic_module

    for topic in TOPICS:
        assert topic_module(topic).TOPIC == topic


def test_running_one_problem_imports_only_its_topic():
    code = ("import sys; from nnsolve.loader import load; from nnsolve.solve import solve; "
            "solve(load('problems/seed/s03-cnn-params.yaml').spec); "
            "print(sorted(m for m in sys.modules if m.startswith('nnsolve.topics.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "['nnsolve.topics.cnn_architecture']"


def test_start_up_imports_nothing_heavy():
    code = ("import sys, runpy; sys.argv = ['nnsolve', 'run', 'problems/seed/s03-cnn-params.yaml', '-f', 'json'];"
            "import nnsolve.cli as c\n"
            "try: c.main()\nexcept SystemExit: pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'scipy', 'sklearn', 'torch', 'matplotlib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().endswith("[]")
