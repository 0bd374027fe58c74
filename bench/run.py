"""`make bench`: nnsolve's performance, measured side by side in one run.

1. Cold start: `nnsolve run --format json` on a seed problem against the bare import floor
   `python -c "import numpy, pydantic, yaml, typer, rich.console"` (goal: ≤ 1.3×).
2. Batch grading: throughput of `nnsolve grade --jobs 2` on 1,000 / 5,000 / 10,000 files (a mix of
   the seed problems), with the peak memory of the run (goal: ≥ 1,000 problems/s, flat memory).
3. Large architectures: parameter and MAC counts of ResNet-50 and VGG-16 problem files, against
   the same counts obtained through PyTorch, with time and peak-memory ratios.

Machines here are shared and noisy, so every figure is a median of interleaved runs and the
goals are judged on ratios measured in this run. Results go to bench/results.md, and the block
between the bench markers in README.md is replaced with them.
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


def timed(cmd: list[str], **kwargs) -> tuple[float, int]:
    """Wall time of one command and the peak RSS (KiB) of the process tree it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before)


def peak_rss_of(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one command, measured by a fresh wrapper process."""
    probe = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PY, "-c", probe, *cmd], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1])


def cold_start(repeats: int = 21) -> dict:
    floor_cmd = [PY, "-c", "import numpy, pydantic, yaml, typer, rich.console"]
    run_cmd = [NNSOLVE, "run", str(SEED / "s03-cnn-params.yaml"), "--format", "json"]
    for cmd in (floor_cmd, run_cmd):  # warm the page cache
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    floor, run = [], []
    for _ in range(repeats):  # interleaved, so load on the machine hits both alike
        floor.append(timed(floor_cmd)[0])
        run.append(timed(run_cmd)[0])
    f, r = statistics.median(floor), statistics.median(run)
    return {"floor_s": f, "run_s": r, "ratio": r / f, "repeats": repeats}


def batch(counts=(1_000, 5_000, 10_000), jobs: int = 2) -> list[dict]:
    seeds = sorted(p for p in SEED.glob("*.yaml"))
    if shutil.which(NNSOLVE) is None or not seeds:
        return []
    help_text = subprocess.run([NNSOLVE, "--help"], capture_output=True, text=True).stdout
    if " grade " not in help_text and "grade" not in help_text:
        return []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            folder = Path(tmp) / f"n{n}"
            folder.mkdir()
            for i in range(n):
                src = seeds[i % len(seeds)]
                shutil.copyfile(src, folder / f"{i:05d}-{src.name}")
            cmd = [NNSOLVE, "grade", str(folder), "--jobs", str(jobs), "--format", "json", "-o", str(Path(tmp) / "r.json")]
            elapsed, peak = peak_rss_of(cmd)
            rows.append({"files": n, "seconds": elapsed, "per_second": n / elapsed, "peak_rss_mib": peak / 1024})
    return rows


def large_architectures() -> list[dict]:
    script = ROOT / "bench" / "torch_counts.py"
    rows = []
    for name in ("resnet50", "vgg16"):
        problem = ROOT / "problems" / "arch" / f"{name}.yaml"
        if not problem.exists():
            continue
        ours_t, ours_mem = peak_rss_of([NNSOLVE, "run", str(problem), "--format", "json"])
        theirs_t, theirs_mem = peak_rss_of([PY, str(script), name])
        ours = json.loads(subprocess.run([NNSOLVE, "run", str(problem), "--format", "json"],
                                         capture_output=True, text=True, check=True).stdout)
        torch_counts = json.loads(subprocess.run([PY, str(script), name, "--json"], capture_output=True,
                                                 text=True, check=True).stdout)
        rows.append({
            "model": name,
            "params": ours["answers"]["total_params"], "torch_params": torch_counts["params"],
            "macs": ours["answers"]["total_macs"], "torch_macs": torch_counts["macs"],
            "nnsolve_s": ours_t, "torch_s": theirs_t, "time_ratio": ours_t / theirs_t,
            "nnsolve_mib": ours_mem / 1024, "torch_mib": theirs_mem / 1024, "memory_ratio": ours_mem / theirs_mem,
        })
    return rows


def report(cold: dict, batch_rows: list[dict], arch_rows: list[dict]) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()} (medians of interleaved runs; the machine is shared).",
        "",
        "| cold start | seconds |",
        "|---|---:|",
        f"| floor: `import numpy, pydantic, yaml, typer, rich.console` | {cold['floor_s']:.3f} |",
        f"| `nnsolve run s03 --format json` | {cold['run_s']:.3f} |",
        f"| ratio (goal ≤ 1.3) | **{cold['ratio']:.2f}×** |",
        "",
    ]
    if batch_rows:
        lines += ["| batch grading, `--jobs 2` | seconds | problems/s (goal ≥ 1,000) | peak memory |",
                  "|---:|---:|---:|---:|"]
        for r in batch_rows:
            lines.append(f"| {r['files']:,} files | {r['seconds']:.2f} | {r['per_second']:,.0f} | {r['peak_rss_mib']:.0f} MiB |")
        lines.append("")
    if arch_rows:
        lines += ["| architecture | params (nnsolve / torch) | MACs (nnsolve / torch) | time nnsolve / torch | peak memory nnsolve / torch |",
                  "|---|---:|---:|---:|---:|"]
        for r in arch_rows:
            lines.append(
                f"| {r['model']} | {r['params']:,} / {r['torch_params']:,} | {r['macs']:,} / {r['torch_macs']:,} | "
                f"{r['nnsolve_s']:.2f} s / {r['torch_s']:.2f} s = {r['time_ratio']:.2f}× | "
                f"{r['nnsolve_mib']:.0f} / {r['torch_mib']:.0f} MiB = {r['memory_ratio']:.2f}× |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    cold = cold_start()
    print(f"cold start: {cold['run_s']:.3f} s vs floor {cold['floor_s']:.3f} s = {cold['ratio']:.2f}×", flush=True)
    batch_rows = batch()
    for r in batch_rows:
        print(f"batch: {r['files']} files in {r['seconds']:.2f} s = {r['per_second']:.0f}/s, peak {r['peak_rss_mib']:.0f} MiB", flush=True)
    arch_rows = large_architectures()
    for r in arch_rows:
        print(f"{r['model']}: params {r['params']} vs torch {r['torch_params']}, time ratio {r['time_ratio']:.2f}, "
              f"memory ratio {r['memory_ratio']:.2f}", flush=True)
    text = report(cold, batch_rows, arch_rows)
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
