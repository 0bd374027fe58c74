"""`make bench`: nnsolve's performance, measured side by side in one run.

1. Cold start: `nnsolve run --format json` on a seed problem against two floors, the bare import
   floor `python -c "import numpy, pydantic, yaml, typer, rich.console"` (goal: ≤ 1.3×) and the real
   floor `python -c "from pydantic import BaseModel; import yaml"` (goal: ≤ 1.6×).
2. Batch grading: throughput of `nnsolve grade --jobs 2` on 1,000 / 5,000 / 10,000 files (a mix of
   the seed problems), with the peak memory of the run (goal: ≥ 1,000 problems/s, flat memory).
   Then distinct problems (a generated bank, no two alike) against copies, with the ratio to a
   one-process `yaml.safe_load` of the same files and the parent's own peak memory by file count
   (goals: ≥ 2,000 distinct files/s, ≤ 2× that floor, copies ≥ 3,500 files/s, flat memory).
3. Cost against size (bench/sizes.py): every topic at three sizes of what grows its work (layers,
   cells, iterations, points, graph nodes, ...), loaded, solved, graded and rendered in every format,
   with the exponent of its growth (goal: under 0.5 s a problem, linear growth).
4. Grading a class: `nnsolve grade EXAM --answers TABLE` over 500 students × 20 questions
   (10,000 answer rows), in rows/s with the peak memory.
5. Large architectures: parameter and MAC counts of ResNet-50 and VGG-16 problem files, against
   the same counts obtained through PyTorch, with time and peak-memory ratios.

Machines here are shared and noisy, so every figure is a median of interleaved runs and the
goals are judged on ratios measured in this run. Results go to bench/results.md, and the block
between the bench markers in README.md is replaced with them.

Every command runs with Python's bytecode cache on (warmed first), as an installed program
runs: a shell that sets PYTHONDONTWRITEBYTECODE would otherwise make nnsolve compile its own
modules from source on every start, while the floor's libraries come precompiled from
site-packages.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NNSOLVE = str(BIN / "nnsolve")
PY = sys.executable
SEED = ROOT / "problems" / "seed"
RESULTS = ROOT / "bench" / "results.md"
# The seeds that compute their answer. The experiment seeds (s01, s02, s04, s05, s06, s13, s14)
# train small networks for seconds each: a throughput figure over them would measure PyTorch.
COMPUTED = ("s03", "s07", "s08", "s09", "s10", "s11", "s12")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], **kwargs) -> tuple[float, int]:
    """Wall time of one command and the peak RSS (KiB) of the process tree it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, **kwargs)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before)


def peak_rss_of(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one command, measured by a fresh wrapper process.

    The RSS is that of the largest process the command ran (the parent or one worker), as
    the kernel reports it for waited-for children.
    """
    probe = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PY, "-c", probe, *cmd], check=True, capture_output=True, text=True, env=ENV).stdout.split()
    return float(out[0]), int(out[1])


def median_run(cmd: list[str], repeats: int) -> tuple[float, int]:
    """Median wall time and the largest peak RSS of ``repeats`` runs of one command."""
    runs = [peak_rss_of(cmd) for _ in range(repeats)]
    return statistics.median(t for t, _ in runs), max(m for _, m in runs)


FLOOR = "import numpy, pydantic, yaml, typer, rich.console"  # the libraries nnsolve's start-up imports
REAL_FLOOR = "from pydantic import BaseModel; import yaml"  # what reading and validating a file needs at least


def cold_start(repeats: int = 21) -> dict:
    """`nnsolve run s03 --format json` against two floors: the libraries it imports, and the real
    floor (pydantic and PyYAML only: what any tool validating a YAML file with pydantic pays)."""
    floor_cmd = [PY, "-c", FLOOR]
    real_cmd = [PY, "-c", REAL_FLOOR]
    run_cmd = [NNSOLVE, "run", str(SEED / "s03-cnn-params.yaml"), "--format", "json"]
    for cmd in (floor_cmd, real_cmd, run_cmd, floor_cmd, real_cmd, run_cmd):  # warm the page and bytecode caches
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV)
    floor, real, run = [], [], []
    for _ in range(repeats):  # interleaved, so load on the machine hits all three alike
        floor.append(timed(floor_cmd)[0])
        real.append(timed(real_cmd)[0])
        run.append(timed(run_cmd)[0])
    f, rf, r = statistics.median(floor), statistics.median(real), statistics.median(run)
    return {"floor_s": f, "real_floor_s": rf, "run_s": r, "ratio": r / f, "real_ratio": r / rf, "repeats": repeats}


def sizes() -> list[dict]:
    """bench/sizes.py's table of cost against size, each axis in its own process (a slow one cannot stall the rest)."""
    rows = []
    from sizes import AXES  # bench/ is this script's folder, first on sys.path

    for index, (topic, axis, _, sizes_) in enumerate(AXES):
        try:
            out = subprocess.run([PY, str(ROOT / "bench" / "sizes.py"), str(index), "--json"], capture_output=True,
                                 text=True, check=True, env=ENV, timeout=600).stdout
            rows += json.loads(out)
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
            reason = "over 10 minutes" if isinstance(exc, subprocess.TimeoutExpired) else "failed"
            rows.append({"topic": topic, "axis": axis, "sizes": list(sizes_), "times": [{"error": reason}] * 3})
    return rows


def batch(counts=(1_000, 5_000, 10_000), jobs: int = 2, repeats: int = 3) -> list[dict]:
    """`nnsolve grade --jobs 2 --format json -o FILE` over copies of the computational seeds."""
    seeds = sorted(p for p in SEED.glob("*.yaml") if p.name[:3] in COMPUTED)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            folder = Path(tmp) / f"n{n}"
            folder.mkdir()
            for i in range(n):
                src = seeds[i % len(seeds)]
                shutil.copyfile(src, folder / f"{i:05d}-{src.name}")
            cmd = [NNSOLVE, "grade", str(folder), "--jobs", str(jobs), "--format", "json", "-o", str(Path(tmp) / "r.json")]
            subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL)  # exit 0: every file graded
            elapsed, peak = median_run(cmd, repeats)
            rows.append({"files": n, "seconds": elapsed, "per_second": n / elapsed, "peak_rss_mib": peak / 1024})
    return rows


def _distinct(i: int) -> dict:
    """Problem ``i`` of a bank of distinct problems: seven topics in turn (bench/sizes.py's small
    problems), each with numbers drawn from ``i``, so no two files share a solution."""
    import sizes

    kind = i % 7
    if kind == 0:
        doc = sizes._layers(4)
        doc["input"] = [16 + i % 97, 16 + (i // 97) % 89, 1 + i % 5]
    elif kind == 1:
        doc = sizes._cells(16)
        doc["bias"] = i
    elif kind == 2:
        doc = sizes._iterations(3)
        doc["weights"] = [0.5, round(0.001 * i, 3)]
    elif kind == 3:
        doc = sizes._points(6)
        doc["test_samples"] = [[i % 11, i // 11 % 13 - 6]]
    elif kind == 4:
        doc = sizes._sequence(8)
        doc["initial"] = i
    elif kind == 5:
        doc = sizes._boxes(4)
        doc["boxes"][0] = [v + i % 37 + i // 37 % 41 * 40 for v in doc["boxes"][0]]
    else:
        doc = sizes._labels(30)
        shift = i % 30
        doc["y_pred"] = doc["y_pred"][shift:] + doc["y_pred"][:shift]
        doc["y_true"][i // 30 % 30] = "bird"
    doc["title"] = f"distinct problem {i}"
    return doc


def _write_distinct(folder: Path, n: int) -> None:
    import yaml

    folder.mkdir()
    for i in range(n):
        (folder / f"{i:05d}.yaml").write_text(yaml.safe_dump(_distinct(i), sort_keys=False))


def _write_copies(folder: Path, n: int) -> None:
    seeds = sorted(p for p in SEED.glob("*.yaml") if p.name[:3] in COMPUTED)
    folder.mkdir()
    for i in range(n):
        src = seeds[i % len(seeds)]
        shutil.copyfile(src, folder / f"{i:05d}-{src.name}")


# `nnsolve grade` in this process, then its own peak RSS: the parent's memory alone (the workers'
# is their own), as it grows with the number of files.
PARENT_PROBE = """
import resource, sys
sys.argv = ["nnsolve", *sys.argv[1:]]
from nnsolve.start import main
try:
    main()
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""

# The floor: one process that reads every file with yaml.safe_load and does nothing else.
LOAD_FLOOR = """
import sys, yaml
from pathlib import Path
for path in sorted(Path(sys.argv[1]).glob("*.yaml")):
    yaml.safe_load(path.read_text())
"""


def distinct_batch(counts=(1_000, 4_000), jobs: int = 2, repeats: int = 3) -> list[dict]:
    """`nnsolve grade DIR --jobs 2 --format json -o FILE` over distinct problems and over copies of
    the seeds, at each count: files/s, the ratio to the one-process safe_load floor, and the
    parent's own peak memory (flat in the number of files when the work is fed lazily)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            row: dict = {"files": n}
            for corpus, write in (("distinct", _write_distinct), ("copies", _write_copies)):
                folder = Path(tmp) / f"{corpus}{n}"
                write(folder, n)
                grade = [PY, "-c", PARENT_PROBE, "grade", str(folder), "--jobs", str(jobs), "--format", "json",
                         "-o", str(Path(tmp) / "r.json")]
                floor = [PY, "-c", LOAD_FLOOR, str(folder)]
                subprocess.run(grade, env=ENV, check=True, capture_output=True)  # bytecode and page cache warm
                seconds, parent, floors = [], [], []
                for _ in range(repeats):  # interleaved
                    start = time.perf_counter()
                    err = subprocess.run(grade, env=ENV, check=True, capture_output=True, text=True).stderr
                    seconds.append(time.perf_counter() - start)
                    parent.append(int(err.split()[-1]))
                    floors.append(timed(floor)[0])
                wall, load = statistics.median(seconds), statistics.median(floors)
                row[corpus] = {"seconds": wall, "per_second": n / wall, "floor_s": load, "ratio": wall / load,
                               "parent_mib": max(parent) / 1024}
            rows.append(row)
    return rows


def serial_without_memo(n: int = 1_000) -> dict:
    """In one process, one file after another, every file solved as if its problem were new.

    The CLI's batches solve each distinct problem once (nnsolve.grade.MEMO_SIZE); copies of
    seven seeds are its best case. This row shows the cost of a batch of all-different problems.
    """
    probe = """
import shutil, sys, tempfile, time
from functools import partial
from pathlib import Path
import nnsolve.grade as grading
from nnsolve.render.report import ReportFormat, report_row
seeds, n = [Path(p) for p in sys.argv[2:]], int(sys.argv[1])
with tempfile.TemporaryDirectory() as tmp:
    paths = []
    for i in range(n):
        paths.append(str(Path(tmp) / f"{i:05d}-{seeds[i % len(seeds)].name}"))
        shutil.copyfile(seeds[i % len(seeds)], paths[-1])
    row = partial(report_row, ReportFormat.json)
    list(grading.grade_paths(paths[:len(seeds)], then=row))  # imports and validators built once
    out = []
    for memo in (0, grading.MEMO_SIZE):
        grading.MEMO_SIZE = memo
        start = time.perf_counter()
        for _ in grading.grade_paths(paths, then=row):
            pass
        out.append(time.perf_counter() - start)
print(*out)
"""
    seeds = sorted(str(p) for p in SEED.glob("*.yaml") if p.name[:3] in COMPUTED)
    out = subprocess.run([PY, "-c", probe, str(n), *seeds], check=True, capture_output=True, text=True,
                         env=ENV).stdout.split()
    without, with_memo = float(out[0]), float(out[1])
    return {"files": n, "without_per_second": n / without, "with_per_second": n / with_memo}


def class_grading(students: int = 500, questions: int = 20, repeats: int = 3) -> dict:
    """`nnsolve grade EXAM --answers TABLE --gradebook FILE --items FILE`: an exam of ``questions``
    copies of the computational seeds (each its own id, no `submitted`), a long-layout table of
    ``students`` × ``questions`` answer rows: the seed's own submitted answer for two students
    in three, a wrong one (an option or a number off by a quarter) for the others."""
    import random

    import yaml

    seeds = sorted(p for p in SEED.glob("*.yaml") if p.name[:3] in COMPUTED)
    draw = random.Random(16)
    with tempfile.TemporaryDirectory() as tmp:
        exam = Path(tmp) / "exam"
        exam.mkdir()
        parts = []
        for q in range(questions):
            data = yaml.safe_load(seeds[q % len(seeds)].read_text(encoding="utf-8"))
            submitted = data.pop("submitted", {}) or {}
            data["id"] = f"q{q + 1:02d}"
            (exam / f"q{q + 1:02d}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            if data.get("choices"):
                parts.append((data["id"], "choice", str(submitted.get("choice", next(iter(data["choices"])))),
                              [str(k) for k in data["choices"]]))
            else:
                parts.append((data["id"], "answer", json.dumps(submitted.get("answer")), None))
        table = Path(tmp) / "answers.csv"
        with open(table, "w", encoding="utf-8", newline="") as f:
            f.write("student,question,part,value\n")
            for s in range(students):
                for qid, part, right, options in parts:
                    value = right
                    if draw.random() < 1 / 3:
                        value = draw.choice(options) if options else _off(right)
                    f.write(f"u{s:04d},{qid},{part},\"{value.replace(chr(34), chr(34) * 2)}\"\n")
        cmd = [NNSOLVE, "grade", str(exam), "--answers", str(table), "--gradebook", str(Path(tmp) / "g.csv"),
               "--items", str(Path(tmp) / "i.json")]
        subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL, check=True)  # warm; exit 0: every row graded
        elapsed, peak = median_run(cmd, repeats)
    rows = students * questions
    return {"students": students, "questions": questions, "rows": rows, "seconds": elapsed,
            "rows_per_second": rows / elapsed, "peak_rss_mib": peak / 1024}


def _off(answer: str) -> str:
    """A wrong answer beside ``answer`` (JSON text): numbers a quarter larger, cell by cell."""
    def off(value):
        if isinstance(value, list):
            return [off(v) for v in value]
        return value * 1.25 + 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    return json.dumps(off(json.loads(answer)))


def large_architectures() -> list[dict]:
    script = ROOT / "bench" / "torch_counts.py"
    rows = []
    for name in ("resnet50", "vgg16"):
        problem = ROOT / "problems" / "arch" / f"{name}.yaml"
        if not problem.exists():
            continue
        ours = json.loads(subprocess.run([NNSOLVE, "run", str(problem), "--format", "json"],
                                         capture_output=True, text=True, check=True, env=ENV).stdout)
        torch_counts = json.loads(subprocess.run([PY, str(script), name, "--json"], capture_output=True,
                                                 text=True, check=True, env=ENV).stdout)
        ours_t, ours_mem = median_run([NNSOLVE, "run", str(problem), "--format", "json"], 5)
        theirs_t, theirs_mem = median_run([PY, str(script), name], 5)
        rows.append({
            "model": name, "layers": ours.get("answers", {}).get("layers") or _count_layers(problem),
            "params": ours["answers"]["total_params"], "torch_params": torch_counts["params"],
            "macs": ours["answers"]["total_macs"], "torch_macs": torch_counts["macs"],
            "nnsolve_s": ours_t, "torch_s": theirs_t, "time_ratio": ours_t / theirs_t,
            "nnsolve_mib": ours_mem / 1024, "torch_mib": theirs_mem / 1024, "memory_ratio": ours_mem / theirs_mem,
        })
    return rows


def _count_layers(problem: Path) -> int:
    """Layers in a problem file, nested ones (a residual block's) included."""
    import yaml

    def count(layers) -> int:
        return sum(1 + count(layer.get("layers", [])) + count(layer.get("shortcut", []) or [])
                   for layer in layers)

    return count(yaml.safe_load(problem.read_text())["layers"])


def report(cold: dict, batch_rows: list[dict], memo: dict, arch_rows: list[dict], size_rows: list[dict],
           klass: dict | None = None, distinct_rows: list[dict] | None = None) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; medians of interleaved runs on a shared machine, so "
        f"compare the ratios, not the seconds. Bytecode caching on for every command (as installed).",
        "",
        "| cold start | seconds | `nnsolve run` against it |",
        "|---|---:|---:|",
        f"| floor: `{FLOOR}` | {cold['floor_s']:.3f} | **{cold['ratio']:.2f}×** (goal ≤ 1.3) |",
        f"| real floor: `{REAL_FLOOR}` | {cold['real_floor_s']:.3f} | **{cold['real_ratio']:.2f}×** (goal ≤ 1.6) |",
        f"| `nnsolve run s03 --format json` | {cold['run_s']:.3f} | |",
        "",
    ]
    if batch_rows:
        lines += ["Batch grading: `nnsolve grade DIR --jobs 2 --format json -o FILE` over copies of the seven "
                  "seeds that compute their answer (s03, s07–s12), each file with its submitted answer "
                  "(right ones and wrong ones, which are diagnosed). The experiment seeds are left out: "
                  "each trains small networks for seconds. Peak memory is that of the largest process "
                  "(the parent or a worker).",
                  "",
                  "| batch grading, `--jobs 2` | seconds | problems/s (goal ≥ 1,000) | peak memory |",
                  "|---:|---:|---:|---:|"]
        for r in batch_rows:
            lines.append(f"| {r['files']:,} files | {r['seconds']:.2f} | {r['per_second']:,.0f} | {r['peak_rss_mib']:.0f} MiB |")
        lines.append("")
        if len(batch_rows) >= 2 and batch_rows[-1]["seconds"] > batch_rows[-2]["seconds"]:
            a, b = batch_rows[-2], batch_rows[-1]
            lines += [f"A run has a fixed cost (start-up, then two worker processes that each import a topic "
                      f"and build its validator), which weighs on the small batches: between the two largest "
                      f"batches each further file cost {1000 * (b['seconds'] - a['seconds']) / (b['files'] - a['files']):.2f} ms, "
                      f"{(b['files'] - a['files']) / (b['seconds'] - a['seconds']):,.0f} files/s.",
                      ""]
    if distinct_rows:
        lines += ["Distinct problems: a bank of generated problems, no two alike (seven topics in turn, "
                  "bench/run.py `_distinct`), against copies of the seven computing seeds, each graded by "
                  "`nnsolve grade DIR --jobs 2 --format json -o FILE`. The floor is one process that only "
                  "reads every file with `yaml.safe_load`; the parent's memory is its own peak (the workers' "
                  "is theirs): flat in the number of files when work is fed lazily.",
                  "",
                  "| files | distinct: files/s (goal ≥ 2,000) | × the safe_load floor (goal ≤ 2) | copies: files/s (goal ≥ 3,500) | × floor | parent's peak memory (distinct / copies) |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for r in distinct_rows:
            d, c = r["distinct"], r["copies"]
            lines.append(f"| {r['files']:,} | {d['per_second']:,.0f} | {d['ratio']:.2f}× | {c['per_second']:,.0f} | "
                         f"{c['ratio']:.2f}× | {d['parent_mib']:.1f} / {c['parent_mib']:.1f} MiB |")
        if len(distinct_rows) >= 2:
            a, b = distinct_rows[0], distinct_rows[-1]
            growth = 1024 * (b["distinct"]["parent_mib"] - a["distinct"]["parent_mib"]) / (b["files"] - a["files"])
            lines.append(f"\nThe parent grew {growth:.2f} KiB a file between {a['files']:,} and {b['files']:,} "
                         f"distinct files: about what the sorted list of the files' names takes, which the batch holds for its order.")
        lines.append("")
    if memo:
        lines += [f"A batch solves each distinct problem once (files that differ only in `submitted` share "
                  f"its solution and mistake variants; nnsolve/grade.py, `MEMO_SIZE`), so copies of seven "
                  f"seeds are its best case. Without that memo, every file solved afresh, one process "
                  f"grades {memo['without_per_second']:,.0f} files/s against {memo['with_per_second']:,.0f} "
                  f"with it ({memo['files']:,} files, serial, in-process, same report rows).",
                  ""]
    if size_rows:
        from sizes import BUDGET_S, markdown

        lines += [f"Cost against size (bench/sizes.py): each topic's problem generated at three sizes, then, in "
                  f"one process, its YAML loaded, solved, a wrong answer graded (which builds the mistake "
                  f"variants) and rendered in all five formats; CPU seconds, medians of 3. The growth exponent "
                  f"between the two largest sizes is about 1 for a linear cost and 2 for a quadratic one. ✗: over "
                  f"the issue's budget of {BUDGET_S} s a problem.",
                  "",
                  markdown(size_rows),
                  ""]
    if klass:
        lines += [f"Grading a class: `nnsolve grade EXAM --answers TABLE --gradebook g.csv --items i.json`, "
                  f"{klass['students']} students × {klass['questions']} questions (copies of the seven seeds, "
                  f"each solved once), {klass['rows']:,} answer rows, a third of them wrong (diagnosed): "
                  f"{klass['seconds']:.2f} s, **{klass['rows_per_second']:,.0f} rows/s**, peak memory "
                  f"{klass['peak_rss_mib']:.0f} MiB. A distinct submission to a question is graded once "
                  f"(nnsolve/classroom.py, `GRADES_KEPT`): a class whose wrong answers all differ costs more.",
                  ""]
    if arch_rows:
        lines += ["| architecture | layers | params (nnsolve / torch) | MACs (nnsolve / torch) | time nnsolve / torch | peak memory nnsolve / torch |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in arch_rows:
            lines.append(
                f"| {r['model']} | {r['layers']} | {r['params']:,} / {r['torch_params']:,} | {r['macs']:,} / {r['torch_macs']:,} | "
                f"{r['nnsolve_s']:.2f} s / {r['torch_s']:.2f} s = {r['time_ratio']:.2f}× | "
                f"{r['nnsolve_mib']:.0f} / {r['torch_mib']:.0f} MiB = {r['memory_ratio']:.2f}× |")
        lines += ["",
                  "nnsolve works out shapes and counts layer by layer with integers and never allocates a "
                  "tensor, so its time and memory follow the number of layers, not of parameters: VGG-16 "
                  "has 5× ResNet-50's parameters and costs nnsolve the same, both close to its start-up "
                  "time. PyTorch (bench/torch_counts.py) builds the weights and runs one 224×224 forward pass.",
                  ""]
    return "\n".join(lines)


def main() -> None:
    cold = cold_start()
    print(f"cold start: {cold['run_s']:.3f} s vs floor {cold['floor_s']:.3f} s = {cold['ratio']:.2f}×, "
          f"real floor {cold['real_floor_s']:.3f} s = {cold['real_ratio']:.2f}×", flush=True)
    batch_rows = batch()
    for r in batch_rows:
        print(f"batch: {r['files']} files in {r['seconds']:.2f} s = {r['per_second']:.0f}/s, peak {r['peak_rss_mib']:.0f} MiB", flush=True)
    distinct_rows = distinct_batch()
    for r in distinct_rows:
        d, c = r["distinct"], r["copies"]
        print(f"distinct: {r['files']} files at {d['per_second']:.0f}/s = {d['ratio']:.2f}× the safe_load floor, "
              f"copies {c['per_second']:.0f}/s = {c['ratio']:.2f}×; parent {d['parent_mib']:.1f} / "
              f"{c['parent_mib']:.1f} MiB", flush=True)
    memo = serial_without_memo()
    print(f"serial, one process: {memo['without_per_second']:.0f}/s without the memo, "
          f"{memo['with_per_second']:.0f}/s with it", flush=True)
    size_rows = sizes()
    for r in size_rows:
        print(f"{r['topic']}, {r['axis']}: " + ", ".join(
            f"{n}: {t.get('total', float('nan')):.3f} s" for n, t in zip(r["sizes"], r["times"])), flush=True)
    klass = class_grading()
    print(f"class: {klass['rows']} answer rows in {klass['seconds']:.2f} s = {klass['rows_per_second']:.0f} rows/s, "
          f"peak {klass['peak_rss_mib']:.0f} MiB", flush=True)
    arch_rows = large_architectures()
    for r in arch_rows:
        print(f"{r['model']}: params {r['params']} vs torch {r['torch_params']}, time ratio {r['time_ratio']:.2f}, "
              f"memory ratio {r['memory_ratio']:.2f}", flush=True)
    text = report(cold, batch_rows, memo, arch_rows, size_rows, klass, distinct_rows)
    RESULTS.write_text("# Benchmark results (`make bench`)\n\n" + text)
    readme = ROOT / "README.md"
    content = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start in content and end in content:
        head, rest = content.split(start, 1)
        _, tail = rest.split(end, 1)
        readme.write_text(head + start + "\n" + text + "\n" + end + tail)
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
