"""README's commands are literally runnable: each `nnsolve ...` line of its shell blocks is
accepted by the real command-line parser (its command, options and their values), and every
file or folder it reads exists in the repository or was written by a line before it.

Running them all would solve every shipped problem again (test_key, test_grade and test_cli do
that); the cheap ones, which make and use a file of their own, are run in full below.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from nnsolve.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _shell_lines() -> list[tuple[int, list[str]]]:
    """(block number, argv) for every nnsolve line of README's ```sh blocks, comments dropped."""
    out = []
    for number, block in enumerate(re.findall(r"```(?:sh|bash|shell|console)\n(.*?)```", README, re.S)):
        for line in block.splitlines():
            line = line.removeprefix("$ ").strip()
            if line.startswith("nnsolve "):
                out.append((number, shlex.split(line, comments=True)[1:]))
    return out


LINES = _shell_lines()
COMMAND = typer.main.get_command(app)


def _parsed(args: list[str]):
    """The subcommand's parsed parameters, as the CLI would call it (raises on a usage error)."""
    ctx = COMMAND.make_context("nnsolve", list(args))
    protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])
    name, sub, rest = COMMAND.resolve_command(ctx, [*protected, *ctx.args])
    return name, sub.make_context(name, rest, parent=ctx).params


def test_readme_has_commands():
    assert len(LINES) >= 10
    assert {args[0] for _, args in LINES} >= {"run", "new", "check", "grade", "key", "paper", "vary", "export"}


def test_every_readme_command_parses_and_its_inputs_exist():
    written: set[Path] = set()  # what earlier lines of the same block write (-o)
    block = None
    for number, args in LINES:
        if number != block:
            block, written = number, set()
        name, params = _parsed(args)
        inputs = params.get("paths") or params.get("files") or ([params["file"]] if params.get("file") else [])
        for path in map(Path, inputs if isinstance(inputs, (list, tuple)) else [inputs]):
            assert (ROOT / path).exists() or path in written, f"README: `nnsolve {' '.join(args)}`: no {path}"
        if params.get("output") is not None:
            written.add(Path(params["output"]))


def test_a_readme_usage_error_would_be_caught():
    with pytest.raises(Exception):
        _parsed(["grade", "problems/seed", "--no-such-option"])


def test_the_authoring_lines_run_as_written(tmp_path):
    """README's first session: new, check, run on the file it made, each exiting 0."""
    block = next(number for number, args in LINES if args[0] == "new")
    for _, args in (line for line in LINES if line[0] == block):
        done = subprocess.run([sys.executable, "-m", "nnsolve", *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"`nnsolve {' '.join(args)}`: {done.stderr}"


def test_the_variants_example_runs_as_written_to_a_moodle_file(tmp_path):
    """README's worked example, from the seed template to a Moodle import file, line by line,
    then read back by moodle-xml-parser: 30 variants in the category nnsolve / s03."""
    from moodle_xml_parser.parser import parse_file

    (tmp_path / "problems").symlink_to(ROOT / "problems")  # the lines name the repository's files
    block = next(number for number, args in LINES if args[0] == "vary")
    lines = [args for number, args in LINES if number == block]
    assert [args[0] for args in lines] == ["vary", "export"]
    for args in lines:
        done = subprocess.run([sys.executable, "-m", "nnsolve", *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0 and done.stderr == "", f"`nnsolve {' '.join(args)}`: {done.stderr}"
    questions = parse_file(str(tmp_path / "s03-quiz.xml"))["multichoice"]
    assert [q.name for q in questions] == [f"s03-v{n:03d}" for n in range(1, 31)]
    assert all(sorted(o.score_fraction for o in q.options) == [0, 0, 0, 100] for q in questions)
    assert (tmp_path / "s03-quiz.xml").read_text(encoding="utf-8").count("$course$/top/nnsolve/s03<") == 1
