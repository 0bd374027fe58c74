"""Cost against size, for `make bench`: each topic's problem at three sizes, solved, graded and rendered.

A problem is generated at each size along the axis that grows its work (layers, cells,
iterations, points, graph nodes, ...) and timed in one process: loading its YAML, solving it,
grading a wrong answer (which builds the mistake variants) and rendering it in every format.
The exponent between the two largest sizes, log(t₃/t₂) / log(n₃/n₂), says how the cost grows:
about 1 is linear, 2 quadratic; a fixed cost pulls it below 1.

    python bench/sizes.py            # the table, as Markdown
    python bench/sizes.py svm        # one topic's rows (or an index in AXES)
    python bench/sizes.py --json     # the measurements
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time

REPEATS = 3
BUDGET_S = 0.5  # issue 20: no legal problem takes longer to solve, diagnose and render in any format


def _layers(n: int) -> dict:
    layers = [{"type": "conv2d", "filters": 8, "kernel": 3, "padding": 1} if i % 2 == 0
              else {"type": "activation", "function": "relu"} for i in range(n)]
    return {"topic": "cnn_architecture", "input": [32, 32, 8], "layers": layers, "ask": "total_params",
            "submitted": {"answer": 1}}


def _cells(n: int) -> dict:
    side = math.isqrt(n)
    x = [[(7 * i + 3 * j) % 19 - 9 for j in range(side)] for i in range(side)]
    return {"topic": "conv_values", "input": x, "kernel": [[1, 0, -1], [2, 0, -2], [1, 0, 1]], "bias": 3,
            "padding": 1, "activation": "leaky_relu", "alpha": 0.001, "submitted": {"answer": [[1]]}}


def _iterations(n: int, activation: str = "sigmoid") -> dict:
    return {"topic": "optimizer_steps", "weights": [0.5, 0.2], "bias": 0.1, "activation": activation,
            "samples": [{"x": [2, 5], "y": 0.5}], "loss": {"type": "squared_error", "half": False, "reduction": "mean"},
            "optimizer": {"type": "momentum", "learning_rate": 0.1, "momentum": 0.5}, "iterations": n,
            "ask": "w2", "submitted": {"answer": 1}}


def _exact_iterations(n: int) -> dict:
    return _iterations(n, "linear")


def _points(n: int) -> dict:
    points = [{"x": [i % 7 + (i // 7) * 0.5, i % 5 + 3], "y": 1} if i % 2 else
              {"x": [-(i % 7) - (i // 7) * 0.5, -(i % 5) - 3], "y": -1} for i in range(n)]
    return {"topic": "svm", "points": points, "kernel": "linear", "test_samples": [[1, 1]], "ask": "class",
            "submitted": {"answer": -1}}


def _graph_inputs(n: int) -> dict:
    terms = " + ".join(f"w{i}*x{i}" for i in range(n))
    values = {"t": 0.01, **{f"w{i}": round(0.1 + 0.01 * i, 2) for i in range(n)},
              **{f"x{i}": round(0.5 - 0.01 * i, 2) for i in range(n)}}
    return {"topic": "backprop", "expression": f"0.5 * (t - sigmoid({terms}))**2", "values": values,
            "parameters": ["w0"], "optimizer": {"type": "gd", "learning_rate": 0.5}, "iterations": 1,
            "submitted": {"answers": {"grad_w0": 1}}}


def _sequence(n: int) -> dict:
    return {"topic": "moving_average", "sequence": [40 + (7 * i) % 11 for i in range(n)], "beta": 0.9,
            "bias_correction": True, "submitted": {"answer": 1}}


def _boxes(n: int) -> dict:
    boxes = [[(i * 13) % 200, (i * 7) % 200, (i * 13) % 200 + 40, (i * 7) % 200 + 40] for i in range(n)]
    return {"topic": "detection", "boxes": boxes, "scores": [round(1 - i / (n + 1), 4) for i in range(n)],
            "iou_threshold": 0.5, "submitted": {"answer": ["x"]}}


def _labels(n: int) -> dict:
    classes = ["cat", "dog", "bird"]
    return {"topic": "classification_metrics", "classes": classes,
            "y_true": [classes[i % 3] for i in range(n)], "y_pred": [classes[(i * i) % 3] for i in range(n)],
            "ask": "f1_macro", "submitted": {"answer": 1}}


def _network_layers(n: int) -> dict:
    layers = [{"type": "dense", "weights": [[round(0.1 * ((i + j + k) % 5 - 2), 1) for k in range(4)] for j in range(4)],
               "bias": [0.1, 0, -0.1, 0.2], "activation": "relu"} for i in range(n)]
    return {"topic": "network", "input": [0.5, -0.25, 1, 2], "orientation": "out_in", "layers": layers,
            "loss": {"type": "squared_error", "half": True, "reduction": "sum"}, "target": [0, 1, 0, 1],
            "optimizer": {"type": "gd", "learning_rate": 0.5}, "iterations": 1, "trained": ["W1"],
            "ask": "W1", "submitted": {"answer": 1}}


# (topic, what grows, generator, three sizes)
AXES = [
    ("cnn_architecture", "layers", _layers, (10, 100, 1_000)),
    ("network", "dense layers (4 units)", _network_layers, (5, 20, 50)),
    ("conv_values", "input cells", _cells, (100, 1_024, 10_000)),
    ("optimizer_steps", "iterations (sigmoid: floats)", _iterations, (10, 100, 1_000)),
    ("optimizer_steps", "iterations (linear: exact)", _exact_iterations, (10, 100, 1_000)),
    ("svm", "points (no support vectors marked)", _points, (10, 30, 100)),
    ("backprop", "inputs of a sigmoid node (≈ 4 graph nodes each)", _graph_inputs, (2, 10, 45)),
    ("moving_average", "values", _sequence, (10, 100, 1_000)),
    ("detection", "boxes (non-max suppression)", _boxes, (10, 50, 200)),
    ("classification_metrics", "labels", _labels, (100, 1_000, 10_000)),
]


def measure(doc: dict) -> dict:
    """Seconds (CPU time of this process, median of REPEATS) for each stage of one problem."""
    import yaml

    from nnsolve.grade import grade
    from nnsolve.loader import load_text
    from nnsolve.render import Format, render
    from nnsolve.solve import solve

    text = yaml.safe_dump(doc)
    runs: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        stages = {}
        t = time.process_time()
        problem = load_text(text, "bench.yaml")
        stages["load"] = time.process_time() - t
        t = time.process_time()
        solution = solve(problem.spec)
        stages["solve"] = time.process_time() - t
        t = time.process_time()
        grade(problem, solution)
        stages["grade"] = time.process_time() - t
        for fmt in Format:
            t = time.process_time()
            render(solution, fmt)
            stages[fmt.value] = time.process_time() - t
        for stage, seconds in stages.items():
            runs.setdefault(stage, []).append(seconds)
        if sum(stages.values()) > 2:  # one run of a slow size is enough to show it is slow
            break
    out = {stage: statistics.median(seconds) for stage, seconds in runs.items()}
    formats = [f.value for f in Format]
    out["total"] = out["load"] + out["solve"] + out["grade"] + sum(out[f] for f in formats)
    out["slowest_format"] = max(formats, key=lambda f: out[f])
    return out


def table(only: str | None = None) -> list[dict]:
    """The rows of every axis, or of those whose topic (or index in AXES) is ``only``."""
    rows = []
    for index, (topic, axis, make, sizes) in enumerate(AXES):
        if only and only not in (topic, str(index)):
            continue
        measure(make(sizes[0]))  # imports, validators and caches built once, before any timing
        times = []
        for n in sizes:
            try:
                times.append(measure(make(n)))
            except Exception as exc:  # noqa: BLE001 - a size that fails is reported, not hidden
                times.append({"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"})
        rows.append({"topic": topic, "axis": axis, "sizes": list(sizes), "times": times})
    return rows


def exponent(row: dict) -> float | None:
    (n2, n3), (a, b) = row["sizes"][1:], row["times"][1:]
    if "total" not in a or "total" not in b or a["total"] <= 0:
        return None
    return math.log(b["total"] / a["total"]) / math.log(n3 / n2)


def markdown(rows: list[dict]) -> str:
    lines = ["| topic | what grows | sizes | seconds (load + solve + grade + 5 formats) | slowest stage at the largest | growth exponent |",
             "|---|---|---:|---:|---|---:|"]
    for row in rows:
        cells = []
        for t in row["times"]:
            cells.append(t["error"] if "error" in t else f"{t['total']:.3f}")
        last = row["times"][-1]
        if "error" in last:
            slowest = "–"
        else:
            stages = {k: v for k, v in last.items() if isinstance(v, float) and k != "total"}
            name = max(stages, key=stages.get)
            slowest = f"{name} {stages[name]:.3f} s" + (" ✗" if last["total"] > BUDGET_S else "")
        growth = exponent(row)
        lines.append(f"| {row['topic']} | {row['axis']} | {' / '.join(f'{n:,}' for n in row['sizes'])} | "
                     f"{' / '.join(cells)} | {slowest} | {'–' if growth is None else f'{growth:.2f}'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    result = table(args[0] if args else None)
    print(json.dumps(result, indent=1) if "--json" in sys.argv else markdown(result))
