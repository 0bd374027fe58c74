"""The slowest legal problem files nnsolve's caps allow, one or more per topic and cap.

Each case is a problem file at (or just inside) a cap in nnsolve/limits.py: the largest sizes,
the most iterations, points, layers and cells, the widest expressions, numbers at the edge of
what a file may write. Each carries a submitted answer so that grading builds its variants.

tests/test_bounds.py runs the cases now bounded (≤ 2 s CPU, 1 GiB). Run this file as a script,
`.venv/bin/python tests/bound_cases.py [NAME-PART ...]`, to see each case's child CPU time,
peak memory and last stderr line for `run --format json` and `grade`, under 1 GiB and 20 s of CPU.

Every case loads: it is at a cap, not past it (tests/test_bounds.py checks that, and runs each).
"""

from __future__ import annotations

import json

from nnsolve import limits


def _flow(value) -> str:
    """A value as YAML flow text (JSON is a subset of YAML)."""
    return json.dumps(value, separators=(",", ":"))


def _file(**fields) -> str:
    return "".join(f"{key}: {_flow(value)}\n" for key, value in fields.items())


def _grid(rows: int, columns: int, start: int = 0) -> list[list[int]]:
    return [[(start + 7 * i + 3 * j) % 19 - 9 for j in range(columns)] for i in range(rows)]


# --- optimizer_steps: iterations × samples × parameters at MAX_OPTIMIZER_WORK (MAX_ITERATIONS is above it) ---

def _neuron(iterations: int, inputs: int, samples: int, activation: str, optimizer: dict,
            weights=None, x=None) -> str:
    weights = weights or [f"{(i % 7) - 3}/10" for i in range(inputs)]
    points = [{"x": x or [f"{((s + i) % 5) - 2}/10" for i in range(inputs)], "y": f"{s % 3}/3"} for s in range(samples)]
    if activation == "sigmoid":
        points = [{**p, "y": 1 if k % 2 else 0} for k, p in enumerate(points)]
    return _file(topic="optimizer_steps", weights=weights, bias="1/10", activation=activation, samples=points,
                 loss={"type": "squared_error", "half": True}, optimizer=optimizer, iterations=iterations,
                 submitted={"answer": 0.5, "answers": {"w1_iter1": 0.25}})


WORK = limits.MAX_OPTIMIZER_WORK
ITER = WORK // 2  # the most iterations one weight and the bias may train

CASES: dict[str, str] = {
    # exact rationals: every iteration multiplies the denominators
    "optimizer-linear-gd-exact": _neuron(ITER, 1, 1, "linear", {"type": "gd", "learning_rate": "1/7"},
                                         weights=["1/3"], x=["2/3"]),
    "optimizer-linear-momentum-exact": _neuron(ITER, 1, 1, "linear",
                                               {"type": "momentum", "learning_rate": "1/7", "momentum": "3/7"},
                                               weights=["1/3"], x=["2/3"]),
    "optimizer-linear-nesterov-wide": _neuron(WORK // 100 // 10, 99, 10, "linear",
                                              {"type": "nesterov", "learning_rate": "1/1000"}),
    "optimizer-relu-gd-many-samples": _neuron(WORK // 1000 // 2, 1, 1000, "relu", {"type": "gd", "learning_rate": "1/3"},
                                              weights=["1/7"], x=["1/11"]),
    "optimizer-sigmoid-adam": _neuron(ITER, 1, 1, "sigmoid", {"type": "adam", "learning_rate": "1/10"},
                                      weights=["1/3"], x=["2/3"]),
    "optimizer-rmsprop-weights-1e300": _neuron(10, 1, 1, "linear", {"type": "rmsprop"},
                                               weights=["1e300"], x=["1e300"]),
    "optimizer-rmsprop-epsilon-zero": _neuron(3, 1, 1, "linear", {"type": "rmsprop", "epsilon": 0},
                                              weights=["0"], x=["0"]),
    "optimizer-adam-epsilon-zero": _neuron(3, 1, 1, "linear", {"type": "adam", "epsilon": 0},
                                           weights=["0"], x=["0"]),
    "optimizer-tanh-1e600": _neuron(2, 1, 1, "tanh", {"type": "gd", "learning_rate": 1},
                                    weights=["1e300"], x=["1e300"]),
}


# --- function: expressions at MAX_EXPRESSION_CHARS, MAX_POWER, MAX_UPDATE_WORK ------------------

def _function(objective: str, start: dict, optimizer: dict | None, iterations: int | None, stationary=False) -> str:
    fields = {"topic": "function", "objective": objective, "start": start}
    if optimizer:
        fields.update(optimizer=optimizer, iterations=iterations)
    fields["stationary_points"] = stationary
    fields["submitted"] = {"answer": 1, "answers": {"x_iter1": 2}}
    return _file(**fields)


CASES.update({
    "function-power-64-gd": _function("x**64 - x", {"x": "1/2"}, {"type": "gd", "learning_rate": "1/100"}, 2_000),
    "function-power-64-huge-start": _function("x**64", {"x": "1e300"}, {"type": "gd", "learning_rate": "1/100"}, 3),
    "function-nested-power": _function("(x**8)**8 + (y**4)**16", {"x": "2/3", "y": "1/3"},
                                       {"type": "newton"}, 100),
    "function-cubic-gd-exact": _function("x**3 - 3*x**2 + 2", {"x": "3"}, {"type": "gd", "learning_rate": "1/10"},
                                         2_000),
    "function-ten-variables-stationary": _function(
        " + ".join(f"x{i}**2 - {i + 1}*x{i}" for i in range(10)) + " + x0*x1*x2",
        {f"x{i}": 1 for i in range(10)}, {"type": "newton"}, 200, stationary=True),
    "function-wide-expression": _function(" + ".join(f"{k}*x**{k % 9 + 1}*y" for k in range(1, 34)),  # 200 nodes
                                          {"x": "1/3", "y": "2/5"}, {"type": "adam"}, 200, stationary=True),
    "function-exp-overflow": _function("exp(x**64)", {"x": "1e300"}, {"type": "gd", "learning_rate": 1}, 2),
})


# --- backprop: graphs at MAX_GRAPH_NODES, MAX_POWER and MAX_UPDATE_WORK --------------------------

def _graph(expression: str, values: dict, parameters=None, optimizer=None, iterations=None) -> str:
    fields = {"topic": "backprop", "expression": expression, "values": values}
    if parameters:
        fields.update(parameters=parameters, optimizer=optimizer, iterations=iterations)
    fields["submitted"] = {"answer": 1, "answers": {"grad_x": 2}}
    return _file(**fields)


CASES.update({
    "backprop-power-64": _graph("(x**8)**8 * y", {"x": "1e300", "y": 3}),
    "backprop-power-64-update": _graph("(x**64 - y)**1", {"x": "1/3", "y": "2/7"}, ["x"],
                                       {"type": "momentum", "learning_rate": "1/10"}, 2_000),
    "backprop-wide-sum": _graph(" + ".join(f"a{i}*b{i}" for i in range(50)),  # 199 nodes
                                {**{f"a{i}": f"{i}/7" for i in range(50)}, **{f"b{i}": f"{i}/3" for i in range(50)}},
                                ["a0"], {"type": "gd", "learning_rate": "1/9"}, 80),
    "backprop-tanh-1e600": _graph("tanh(x*y)", {"x": "1e300", "y": "1e300"}),
    "backprop-rmsprop-zero-gradient": _graph("x*y", {"x": 1, "y": 0}, ["x"], {"type": "rmsprop", "epsilon": 0}, 3),
    "backprop-sigmoid-node": _file(topic="backprop", node="sigmoid",
                                   downstream=[{"weight": f"{i}/7", "upstream": f"1e{300 - i}"}
                                               for i in range(limits.MAX_GRAPH_NODES)],
                                   input="1e300", ask="input_gradient", submitted={"answer": 1}),
})


# --- moving_average: MAX_SEQUENCE values with fractions that grow every step -----------------------

CASES.update({
    "moving-average-exact": _file(topic="moving_average", sequence=[f"{i % 13}/7" for i in range(limits.MAX_SEQUENCE)],
                                  beta="997/1000", bias_correction=True, submitted={"answer": 1}),
    "moving-average-huge": _file(topic="moving_average", sequence=["1e300", "-1e300"] * (limits.MAX_SEQUENCE // 2),
                                 beta="1/3", bias_correction=True, submitted={"answer": "1e300"}),
})


# --- svm: the support-set search, marked sets, Gram matrices -------------------------------------

def _points(n: int, d: int, support=None) -> list[dict]:
    points = []
    for i in range(n):
        label = 1 if i % 2 else -1
        x = [label * (2 + (i * 7 + k * 3) % 11) for k in range(d)]
        point = {"x": x, "y": label}
        if support is not None:
            point["support"] = support(i)
        points.append(point)
    return points


def _svm(points, kernel="linear", test=None, **extra) -> str:
    d = len(points[0]["x"])
    return _file(topic="svm", points=points, kernel=kernel, test_samples=test or [[1] * d], ask="class", **extra,
                 submitted={"answer": 1, "answers": {"decision_value": 1}})


def _singular_marked(n: int) -> list[dict]:
    """n marked support points on one line: their margin equations are singular for every subset."""
    return [{"x": [i, i], "y": 1 if i % 2 else -1, "support": True} for i in range(n)]


CASES.update({
    "svm-search-2d-100": _svm(_points(100, 2)),
    "svm-search-16d": _svm(_points(7, 16)),
    "svm-marked-singular-20": _svm(_singular_marked(20)),
    "svm-marked-singular-1000": _svm(_singular_marked(limits.MAX_SAMPLES)),
    "svm-gram-exact": _svm(_points(300, 300, support=lambda i: i < 2)),
    "svm-polynomial-degree-20": _svm(_points(200, 50, support=lambda i: i < 2),
                                     kernel={"type": "polynomial", "degree": limits.MAX_SVM_DEGREE, "coef0": "1/3",
                                             "gamma": "1/7"}),
    "svm-polynomial-1e300": _svm([{"x": ["1e300", 1], "y": 1, "support": True},
                                  {"x": ["-1e300", 1], "y": -1, "support": True}],
                                 kernel={"type": "polynomial", "degree": limits.MAX_SVM_DEGREE, "coef0": 1}),
    "svm-rbf-far": _svm([{"x": ["1e300", 1], "y": 1, "support": True},
                         {"x": ["-1e300", 1], "y": -1, "support": True}], kernel={"type": "rbf", "gamma": 1}),
    "svm-marked-singular-at-subset-cap": _svm(_singular_marked(11)),  # 2,035 subsets ≤ MAX_SVM_MARKED_SUBSETS
    "svm-marked-at-cap": _svm([{"x": [f"{(i + 1) ** 2 * (k + 3) + i * k % 31 - 40}/{k % 7 + 1}" for k in range(limits.MAX_SVM_MARKED - 1)],
                                "y": 1 if i % 2 else -1, "support": True} for i in range(limits.MAX_SVM_MARKED)],
                               kernel={"type": "polynomial", "degree": 3, "coef0": 1}),
    "svm-gram-at-cap": _svm([{"x": [f"{(i * 7 + k * 3) % 97 - 48}/{(i + k) % 89 + 1}" for k in range(58)],
                              "y": 1 if i % 2 else -1, "support": i < 2} for i in range(58)],
                            kernel={"type": "polynomial", "degree": limits.MAX_SVM_DEGREE, "coef0": "1/3",
                                    "gamma": "1/7"}, test=[[f"1/{k + 2}" for k in range(58)]]),
    "svm-alpha-given-many": _svm([{**p, "alpha": f"{i % 3}/5"} for i, p in enumerate(_points(1000, 80))],  # < 256 KiB
                                 bias="1/3"),
})


# --- conv_values, network, cnn_architecture, conv_cost, detection, metrics -----------------------

CASES.update({
    "conv-values-100x100": _file(topic="conv_values", input=_grid(100, 100), kernel=_grid(3, 3, 5), bias="1/3",
                                 padding=1, activation="leaky_relu", alpha="1/1000",
                                 submitted={"answer": [[1]]}),
    "conv-values-products": _file(topic="conv_values", input=_grid(60, 60), kernel=_grid(16, 16, 2),
                                  bias=3, submitted={"answer": [[1]]}),
    "conv-values-1e300": _file(topic="conv_values", input=[["1e300"] * 30] * 30, kernel=[["1e300"] * 3] * 3,
                               activation="sigmoid", submitted={"answer": [[1]]}),
    "cnn-1000-layers": _file(topic="cnn_architecture", input=[100000, 100000, 3],
                             layers=[{"type": "conv2d", "filters": 100000, "kernel": 3, "padding": 1}] * limits.MAX_LAYERS,
                             ask="total_params", submitted={"answer": 1}),
    "conv-cost-huge": _file(topic="conv_cost", input=[100000, 100000, 100000], out_channels=100000, kernel=100000,
                            stride=1, padding=50000, images=limits.MAX_IMAGES, ask="improvement_factor",
                            submitted={"answer": 1}),
    "detection-nms-200": _file(topic="detection", boxes=[[i, i, i + 40, i + 40] for i in range(limits.MAX_BOXES)],
                               scores=[f"{limits.MAX_BOXES - i}/{limits.MAX_BOXES}" for i in range(limits.MAX_BOXES)],
                               iou_threshold="1/3", submitted={"answer": ["b0"]}),
    "metrics-100-classes": _file(topic="classification_metrics", classes=[f"c{i}" for i in range(limits.MAX_CLASSES)],
                                 y_true=[f"c{i % 100}" for i in range(20_000)],  # < 256 KiB
                                 y_pred=[f"c{(i * 7) % 100}" for i in range(20_000)], ask="f1_macro",
                                 submitted={"answer": "1/3"}),
    "network-dense-50": _file(topic="network", orientation="out_in", input=[f"{i}/10" for i in range(20)],
                              layers=[{"type": "dense", "weights": _grid(20, 20), "bias": [1] * 20,
                                       "activation": "linear"}] * limits.MAX_NETWORK_LAYERS,
                              loss={"type": "squared_error"}, target=[0] * 20,
                              optimizer={"type": "gd", "learning_rate": "1/1000"}, iterations=1,
                              submitted={"answer": [1] * 20}),
})


def _probe(selected: list[str]) -> None:
    import os
    import resource
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (20, 20))

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        for name, text in CASES.items():
            if selected and not any(part in name for part in selected):
                continue
            path = Path(folder) / f"{name}.yaml"
            path.write_text(text, encoding="utf-8")
            for command in (["run", str(path), "--format", "json"], ["grade", str(path), "--format", "json"]):
                with open(Path(folder) / "err", "wb") as err:
                    child = subprocess.Popen([sys.executable, "-m", "nnsolve", *command], stdout=subprocess.DEVNULL,
                                             stderr=err, cwd=root, preexec_fn=limit)
                    _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time and peak memory
                last = ((Path(folder) / "err").read_text(errors="replace").strip().splitlines() or [""])[-1]
                print(f"{name:36} {command[0]:5} exit {os.waitstatus_to_exitcode(status):3} "
                      f"cpu {usage.ru_utime + usage.ru_stime:5.2f} s  {usage.ru_maxrss // 1024:4} MiB  {last[:90]}")


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    _probe(sys.argv[1:])
