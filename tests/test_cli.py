"""The CLI: exit codes and exact messages, and help text with an example for every command."""

from __future__ import annotations

import json
import re
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
    assert result.stderr == f"{bad}:8: layers[2].kernel (Layer 3): must be a positive integer\n"


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



@pytest.mark.parametrize("args, plain", [
    (["run", "a.yaml"], (["a.yaml"], "text")),
    (["run", "./d//a.yaml", "b.yml", "-f", "json"], (["d/a.yaml", "b.yml"], "json")),
    (["run", "--format=html", "a.yaml", "--format", "latex"], (["a.yaml"], "latex")),  # the last one counts
    (["run"], None),  # typer's usage error
    (["run", "a.yaml", "-f"], None),
    (["run", "a.yaml", "-f", "JSON"], None),  # typer names the choices
    (["run", "a.yaml", "--plot", "a.png"], None),
    (["run", "a.yaml", "--standalone", "-f", "latex"], None),
    (["run", "--help"], None),
    (["run", "-", "a.yaml"], None),
    (["run", "--", "-a.yaml"], None),
    (["grade", "a.yaml"], None),
    ([], None),
])
def test_plain_run_is_read_without_typer_and_anything_else_goes_to_it(args, plain):
    from nnsolve.start import plain_run

    assert plain_run(args) == plain


def test_plain_run_prints_what_the_typer_command_prints_without_importing_typer():
    files = [str(PROBLEMS / "seed/s03-cnn-params.yaml"), "missing.yaml"]
    code = ("import sys; sys.argv = ['nnsolve', *sys.argv[1:]]\n"
            "from nnsolve.start import main\n"
            "try: main()\n"
            "finally: print('typer' in sys.modules, file=sys.stderr)\n")
    plain = subprocess.run([sys.executable, "-c", code, "run", *files, "-f", "json"],
                           capture_output=True, text=True, cwd=ROOT)
    via_typer = subprocess.run([sys.executable, "-c", code, "run", *files, "-f", "json", "--standalone"],
                               capture_output=True, text=True, cwd=ROOT)
    assert plain.stderr.splitlines() == ["missing.yaml: no such file", "False"]
    assert via_typer.returncode == 2 and via_typer.stderr.endswith("True\n")  # --standalone: typer's path
    through_app = subprocess.run([sys.executable, "-c", code.replace("nnsolve.start", "nnsolve.cli"), "run",
                                  *files, "-f", "json"], capture_output=True, text=True, cwd=ROOT)
    assert (plain.returncode, plain.stdout) == (through_app.returncode, through_app.stdout) == (2, plain.stdout)
    assert [s["answer"] for s in json.loads(plain.stdout)] == [217850]  # several files: a list


# --- run: the terminal's width, several files, refusals before solving ------------------------

SHIPPED = sorted(PROBLEMS.rglob("*.yaml"))


@pytest.fixture
def solved_once(monkeypatch):
    """`run` as it is, but each shipped problem solved once per session (the experiments train models)."""
    import nnsolve.solve
    from nnsolve.loader import load
    from tests.helpers import solved

    monkeypatch.setattr(nnsolve.solve, "solve_file", lambda path: (load(path), solved(path)))


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(PROBLEMS)) for p in SHIPPED])
def test_every_shipped_problem_fits_an_80_column_terminal(capsys, monkeypatch, solved_once, path):
    from rich.cells import cell_len

    from tests.test_hostile import run_in_process

    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_in_process(capsys, "run", str(path))
    assert (code, err) == (0, "")
    wide = [line for line in out.splitlines() if cell_len(line) > 80]
    assert not wide, f"{len(wide)} lines wider than 80 columns, e.g. {wide[0]!r}"


def test_a_wide_table_goes_row_by_row_in_a_narrow_terminal(capsys, monkeypatch):
    from tests.test_hostile import run_in_process

    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_in_process(capsys, "run", str(PROBLEMS / "seed/s08-momentum.yaml"))
    assert code == 0
    assert "Iteration by iteration\nIteration 1\n  z: 2.1\n  ŷ: 0.89090\n" in out
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_in_process(capsys, "run", str(PROBLEMS / "seed/s08-momentum.yaml"))
    assert "┃ Iteration ┃" in out


def test_run_several_files(capsys):
    from tests.test_hostile import run_in_process

    s03, s09 = str(PROBLEMS / "seed/s03-cnn-params.yaml"), str(PROBLEMS / "seed/s09-cnn-shapes.yaml")
    code, out, err = run_in_process(capsys, "run", s03, s09, "-f", "json")
    assert (code, err) == (0, "")
    assert [d["answer"] for d in json.loads(out)] == [217850, json.loads(nnsolve("run", s09, "-f", "json").stdout)["answer"]]
    code, out, err = run_in_process(capsys, "run", s03, "missing.yaml", s09)
    assert (code, err) == (2, "missing.yaml: no such file\n")
    assert out.startswith(f"==> {s03} <==\n") and f"\n\n==> {s09} <==\n" in out


@pytest.mark.parametrize("args,message", [
    (["-f", "json", "--standalone"], "nnsolve: --standalone applies to --format latex, not json\n"),
    (["-f", "latex", "--standalone", "X"], "nnsolve: --standalone takes one problem file (for several, an answer "
                                          "key: nnsolve key FILE... -o key.tex)\n"),
    (["--plot", "out.png"], "{s03}: --plot: a cnn_architecture problem has no figure to draw "
                             "(conv_values, optimizer_steps, function, svm, experiment problems do)\n"),
])
def test_options_that_cannot_apply_are_refused_before_solving(capsys, monkeypatch, tmp_path, args, message):
    import nnsolve.solve

    from tests.test_hostile import run_in_process

    def no_solving(path):
        raise AssertionError("solved")

    monkeypatch.setattr(nnsolve.solve, "solve_file", no_solving)
    s03 = str(PROBLEMS / "seed/s03-cnn-params.yaml")
    code, out, err = run_in_process(capsys, "run", s03, *[s03 if a == "X" else a for a in args])
    assert (code, out, err) == (2, "", message.format(s03=s03))
    assert not (tmp_path / "out.png").exists()


def test_plot_draws_an_svm_and_says_when_a_problem_of_a_drawing_topic_has_none(tmp_path):
    out = tmp_path / "s11.png"
    result = nnsolve("run", str(PROBLEMS / "seed/s11-svm-decision.yaml"), "--plot", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
    three = tmp_path / "three.yaml"
    three.write_text("topic: svm\npoints:\n  - {x: [0, 0, 0], y: -1}\n  - {x: [2, 0, 1], y: 1}\n"
                     "test_samples: [[1, 1, 1]]\n")
    result = nnsolve("run", str(three), "--plot", str(tmp_path / "three.png"))
    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        2, f"{three}: this problem's solution has no figure to plot")
    assert not (tmp_path / "three.png").exists()


@pytest.mark.parametrize("name,command", _commands())
def test_help_has_no_type_noise(name, command):
    text = nnsolve(name, "--help").stdout
    usage = text.splitlines()[0]
    assert "{" not in usage and "<" not in usage, usage
    for noise in ("<list[", "<path>", "<int range>", "<int>", "<text>"):
        assert noise not in text, (name, noise)
    # click names an option's Python type in angle brackets (<str>, <float>); only a list of choices may show
    types = [m for m in re.findall(r"<([^<>\s]+)>", text) if "|" not in m]
    assert not types, (name, types)


# --- check ------------------------------------------------------------------------------------


def test_check_valid_files(capsys):
    from tests.test_hostile import run_in_process

    code, out, err = run_in_process(capsys, "check", str(PROBLEMS))
    assert (code, out, err) == (0, "", f"{len(SHIPPED)} files checked: all valid\n")


def test_check_lists_every_error_of_every_file_and_exits_1(capsys, tmp_path):
    from tests.test_hostile import run_in_process

    (tmp_path / "a.yaml").write_text("topic: svm\npoints: [{x: [1], y: 2}, {x: [2], y: -1}]\nkernel_type: rbf\n")
    (tmp_path / "b.yml").write_text("topic: conv_cost\ninput: [16, 16]\nout_channels: 0\nkernel: 5\n")
    (tmp_path / "c.yaml").write_text("topic: conv_cost\ninput: [16, 16, 3]\nout_channels: 4\nkernel: 5\n")
    (tmp_path / "d.yaml").write_text("topic: conv_cost\ninput: [4, 4, 3]\nout_channels: 4\nkernel: 5\n")
    code, out, err = run_in_process(capsys, "check", str(tmp_path))
    a, b = tmp_path / "a.yaml", tmp_path / "b.yml"
    assert code == 1
    assert out == (f"{a}:2: points[0].y: must be one of -1 or 1\n"
                   f"{a}:3: kernel_type: unknown field; did you mean 'kernel'?\n"
                   f"{b}:2: input: needs at least 3 item(s)\n"
                   f"{b}:3: out_channels: must be a positive integer\n")
    assert err == "4 files checked: 2 invalid\n"
    # --solve also finds what only solving shows
    code, out, err = run_in_process(capsys, "check", "--solve", str(tmp_path / "d.yaml"))
    assert (code, err) == (1, "1 file checked: 1 invalid\n")
    assert out == (f"{tmp_path / 'd.yaml'}:4: kernel: the kernel spans 5 pixels but its padded input is only 4 "
                   f"(4 + 0 + 0); nothing to slide it over\n")


def test_check_with_nothing_to_check(capsys, tmp_path):
    from tests.test_hostile import run_in_process

    code, out, err = run_in_process(capsys, "check", str(tmp_path))
    assert (code, out, err) == (2, "", f"nnsolve: no problem files (*.yaml, *.yml) in {tmp_path}\n")


def test_pre_commit_hook_runs_check_on_the_staged_files():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "nnsolve-check" and hook["language"] == "python" and hook["types"] == ["yaml"]
    files = [str(p.relative_to(ROOT)) for p in SHIPPED[:3]]
    result = subprocess.run([sys.executable, "-m", "nnsolve", *hook["entry"].split()[1:], *files],
                            capture_output=True, text=True, cwd=ROOT)  # as pre-commit calls it: entry + file names
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "3 files checked: all valid\n")


def test_check_reads_an_exam_yaml_named_as_the_header_it_is(capsys, tmp_path):
    """pre-commit names every staged YAML file, the folder's exam.yaml (paper and key header) among them."""
    from tests.test_hostile import run_in_process

    exam, problem = tmp_path / "exam.yaml", str(PROBLEMS / "seed/s03-cnn-params.yaml")
    exam.write_text("title: Midterm\ncourse: NN 101\n")
    code, out, err = run_in_process(capsys, "check", str(exam), problem)
    assert (code, out, err) == (0, "", "2 files checked: all valid\n")
    exam.write_text("title: Midterm\npagebreaks: true\n")
    code, out, err = run_in_process(capsys, "check", str(exam), problem)
    assert (code, out, err) == (1, f"{exam}:2: pagebreaks: unknown field; did you mean 'page_breaks'?\n",
                                "2 files checked: 1 invalid\n")


def test_a_short_batch_shows_its_progress_bar_only_once_it_is_slow(monkeypatch):
    import time

    import rich.progress

    from nnsolve.render import report

    started = []
    monkeypatch.setattr(rich.progress.Progress, "start", lambda self: started.append(time.monotonic()))
    monkeypatch.setattr(report, "PROGRESS_AFTER", 0.2)
    with report.progress(3, enabled=True, label="solving") as advance:  # quick: no bar
        advance()
    assert started == []
    begin = time.monotonic()
    with report.progress(3, enabled=True, label="solving") as advance:  # slow: the bar appears
        time.sleep(0.5)
        advance()
    assert len(started) == 1 and started[0] - begin >= 0.2
    with report.progress(report.PROGRESS_FROM, enabled=True) as advance:  # long: the bar at once
        advance()
    assert len(started) == 2


def test_a_bound_that_is_no_cap_is_not_named_as_one(capsys, tmp_path):
    from tests.test_hostile import run_in_process

    exam = tmp_path / "exam.yaml"
    exam.write_text("title: Midterm\nspace: 500\n")  # at most 100 lines: the field's range, not a limits.py cap
    code, out, err = run_in_process(capsys, "check", str(exam))
    assert (code, out) == (1, f"{exam}:2: space: must be at most 100\n")


@pytest.mark.parametrize("fmt,stdout_is_a_terminal,bar", [
    ("json", True, True),  # the objects are printed together at the end: the bar shows the wait
    ("text", False, True),  # stdout is a file: the bar on the terminal, the solutions after it
    ("text", True, False),  # the solutions stream to the terminal: they show the progress themselves
])
def test_run_of_several_files_shows_a_bar_while_its_output_is_held(capsys, monkeypatch, fmt, stdout_is_a_terminal,
                                                                     bar):
    import contextlib

    import nnsolve.render.report as report
    from tests.test_hostile import run_in_process

    seen = []

    @contextlib.contextmanager
    def fake_progress(total, enabled, label="grading"):
        seen.append((total, enabled, label))
        yield lambda: seen.append(sys.stdout.getvalue() if enabled else None)  # nothing printed under the bar

    monkeypatch.setattr(report, "progress", fake_progress)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: stdout_is_a_terminal)
    s03, s09 = str(PROBLEMS / "seed/s03-cnn-params.yaml"), str(PROBLEMS / "seed/s09-cnn-shapes.yaml")
    code, out, err = run_in_process(capsys, "run", s03, "missing.yaml", s09, "-f", fmt)
    assert (code, err) == (2, "missing.yaml: no such file\n")
    assert seen[0] == (3, bar, "solving") and len(seen) == 4
    if bar:
        assert seen[1:] == ["", "", ""]
    assert out.startswith("[\n" if fmt == "json" else f"==> {s03} <==\n")
