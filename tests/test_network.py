"""network: hand-worked problems, and generated networks checked against PyTorch in float64.

The oracle runs the same network with torch.nn.functional (F.linear, F.conv2d,
F.conv_transpose2d, F.max_pool2d, F.avg_pool2d, F.batch_norm, F.layer_norm, F.dropout with
its own seeded mask, F.cross_entropy, F.multi_margin_loss, …), differentiates it with
autograd and trains it with torch.optim. Nothing here is copied from nnsolve's output.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnsolve.errors import NnsolveError, SolveError
from nnsolve.expr import evaluate
from nnsolve.loader import load_text
from nnsolve.solve import solve, variants
from tests.conftest import PROBLEMS
from tests.helpers import solve_file, torch_optimizer

torch.set_num_threads(1)
DT = torch.float64


def network(**fields):
    text = "topic: network\n" + "\n".join(f"{k}: {json.dumps(v)}" for k, v in fields.items())
    return load_text(text, file="test.yaml").spec


def flat(value) -> list[float]:
    return [float(v) for v in np.asarray(value, dtype=object).reshape(-1)]


def close(got, want, rel=1e-9, abs_=1e-7) -> bool:
    """Equal to float64 rounding, relative to the largest value of the tensor: a cell that is 0 but for
    rounding carries the rounding of its neighbours (after a batch norm of nearly constant values, whose
    1/√ε multiplies it by ~300, or in a training run that diverges to 1e6)."""
    g, w = flat(got), [float(v) for v in np.asarray(want, dtype=np.float64).reshape(-1)]
    scale = max([1.0] + [abs(v) for v in w])
    return len(g) == len(w) and all(math.isclose(a, b, rel_tol=rel, abs_tol=abs_ * scale) for a, b in zip(g, w))


# ---------------------------------------------------------------------------------------------
# Worked by hand

def test_mazur_2_2_2_sigmoid_network():
    # Matt Mazur's "A step by step backpropagation example": E_total = 0.298371109,
    # w5 → 0.35891648, w6 → 0.408666186, w1 → 0.149780716, w2 → 0.19956143.
    solution = solve_file(PROBLEMS / "network/mlp-2-2-2.yaml")
    assert solution.answers["loss"].value == pytest.approx(0.298371109, abs=1e-9)
    w2 = solution.answer
    assert w2[0][0] == pytest.approx(0.35891648, abs=1e-8) and w2[0][1] == pytest.approx(0.408666186, abs=1e-9)
    w1 = solution.answers["W1"].value
    assert w1[0][0] == pytest.approx(0.149780716, abs=1e-9) and w1[0][1] == pytest.approx(0.19956143, abs=1e-8)
    assert solution.answers["b1"].value if "b1" in solution.answers else True  # biases are not trained here
    assert "b2" not in solution.answers


def test_linear_network_is_exact():
    # z = 2·1 + (−1)·3 = −1, ReLU → 0 on unit 1; unit 2: 1·1 + 1·3 + 1 = 5.
    spec = network(input=[1, 3], orientation="out_in",
                   layers=[{"type": "dense", "weights": [[2, -1], [1, 1]], "bias": [0, 1], "activation": "relu"},
                           {"type": "dense", "weights": [[1, "1/2"]], "bias": False}],
                   loss={"type": "squared_error"}, target=[2])
    solution = solve(spec)
    assert solution.answers["a1"].value == [0, 5]
    assert solution.answers["a2"].value == [Fraction(5, 2)]
    # L = (5/2 − 2)² = 1/4; ∂L/∂ŷ = 2·(1/2) = 1; ∂L/∂W2 = [0, 5]; ∂L/∂a1 = [1, 1/2]; ReLU′ = [0, 1].
    assert solution.answers["loss"].value == Fraction(1, 4)
    assert solution.answers["grad_W2"].value == [[0, 5]]
    assert solution.answers["grad_z1"].value == [0, Fraction(1, 2)]
    assert solution.answers["grad_W1"].value == [[0, 0], [Fraction(1, 2), Fraction(3, 2)]]
    for step in solution.steps:
        if step.substitution is not None and isinstance(step.value, (int, Fraction)) and _scalar(step.substitution):
            assert evaluate(step.substitution) == step.value, step.title


def _scalar(e) -> bool:
    from nnsolve.expr import Call, Index, Num, Op, Partial, Raw, Sym

    if isinstance(e, Num):
        return not isinstance(e.value, (list, tuple))
    if isinstance(e, (Raw, Sym, Index, Partial)):
        return False
    return all(_scalar(a) for a in e.args) if isinstance(e, (Op, Call)) else False


def test_keras_orientation_reads_the_transpose():
    out_in = solve(network(input=[1, 2], orientation="out_in",
                           layers=[{"type": "dense", "weights": [[1, 2], [3, 4], [5, 6]], "bias": 0}]))
    in_out = solve(network(input=[1, 2], orientation="in_out",
                           layers=[{"type": "dense", "weights": [[1, 3, 5], [2, 4, 6]], "bias": 0}]))
    assert out_in.answers["a1"].value == in_out.answers["a1"].value == [5, 11, 17]


# ---------------------------------------------------------------------------------------------
# The oracle

def _t(value) -> torch.Tensor:
    return torch.tensor(np.asarray(value, dtype=np.float64), dtype=DT)


def _same_padding(size, k, s, d):
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _snap(x: torch.Tensor) -> torch.Tensor:
    """x with values that are exact ties or zeros in exact arithmetic made ties and zeros again.

    float64 leaves 1.8·0.9 − 0.8·1.9 + 1.9·0.5 − 0.7·1.5 at 2e-16, not 0, and then ReLU passes a gradient
    PyTorch itself gives 0 at 0; a max-pool tie or a hinge margin of 0 tips the same way. Rounding to
    1e-12 (with the gradient passed straight through) lets torch decide at the exact value, as nnsolve does.
    """
    return x + (torch.round(x * 1e12) / 1e12 - x).detach()


def _activate(name, x, alpha):
    if name in ("relu", "leaky_relu", "prelu", "elu"):
        x = _snap(x)
    if name == "relu":
        return F.relu(x)
    if name == "leaky_relu":
        return F.leaky_relu(x, 0.01 if alpha is None else alpha)
    if name == "prelu":
        return F.prelu(x, alpha)
    if name == "elu":
        return F.elu(x, 1.0 if alpha is None else alpha)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "softmax":
        return torch.softmax(x, dim=1)
    if name == "gelu":
        return F.gelu(x)
    return x


class Torch:
    """The network of a spec dict, in torch: parameters by nnsolve's names, and one pass."""

    def __init__(self, p: dict):
        self.p = p
        self.params: dict[str, torch.Tensor] = {}
        for i, layer in enumerate(p["layers"], start=1):
            kind = layer["type"]
            if kind in ("dense", "conv2d", "conv_transpose2d"):
                w = _t(layer["weights"])
                if kind == "dense" and p.get("orientation") == "in_out":
                    w = w.T.contiguous()
                if kind != "dense" and w.dim() == 2:
                    w = w[None, None]
                if kind == "conv2d" and w.dim() == 3:
                    w = w[:, None]
                self.params[f"W{i}"] = w
                if layer.get("bias", True) is not False:
                    n = w.shape[0] if kind != "conv_transpose2d" else w.shape[1] * layer.get("groups", 1)
                    b = layer["bias"]
                    self.params[f"b{i}"] = _t(b if isinstance(b, list) else [b] * n)
            if kind in ("batch_norm", "layer_norm"):  # the generated specs always give γ and β
                self.params[f"gamma{i}"] = _t(layer["gamma"])
                self.params[f"beta{i}"] = _t(layer["beta"])
            if (layer.get("function") or layer.get("activation")) == "prelu":
                self.params[f"alpha{i}"] = _t([layer.get("alpha", 0.25)])

    def input(self) -> torch.Tensor:
        p = self.p
        x = _t(p["batch"] if "batch" in p else [p["input"]])
        return x[:, None] if x.dim() == 3 else x  # a matrix per sample: one channel

    def forward(self, params, x):
        """Every stage's output by nnsolve's answer names (x the input)."""
        p = self.p
        outs = {"x": x}
        for i, layer in enumerate(p["layers"], start=1):
            kind = layer["type"]
            if kind == "dense":
                x = F.linear(x, params[f"W{i}"], params.get(f"b{i}"))
            elif kind == "conv2d":
                s, d = _pair(layer.get("stride", 1)), _pair(layer.get("dilation", 1))
                w = params[f"W{i}"]
                pad = layer.get("padding", 0)
                if pad == "same":
                    (t, b), (l, r) = (_same_padding(x.shape[2 + a], w.shape[2 + a], s[a], d[a]) for a in (0, 1))
                    x, pad = F.pad(x, (l, r, t, b)), 0
                x = F.conv2d(x, w, params.get(f"b{i}"), s, _pair(pad), d, layer.get("groups", 1))
            elif kind == "conv_transpose2d":
                x = F.conv_transpose2d(x, params[f"W{i}"], params.get(f"b{i}"), _pair(layer.get("stride", 1)),
                                       _pair(layer.get("padding", 0)), _pair(layer.get("output_padding", 0)),
                                       layer.get("groups", 1), _pair(layer.get("dilation", 1)))
            elif kind in ("max_pool", "avg_pool"):
                k = _pair(layer["window"])
                s = _pair(layer.get("stride") or layer["window"])
                pool = F.max_pool2d if kind == "max_pool" else F.avg_pool2d
                x = pool(_snap(x) if kind == "max_pool" else x, k, s, _pair(layer.get("padding", 0)))
            elif kind == "global_avg_pool":
                x = x.mean(dim=(2, 3))
            elif kind == "flatten":
                x = x.flatten(1)
            elif kind == "batch_norm":
                eps = float(Fraction(str(layer.get("epsilon", "1/100000"))))
                g, b = params[f"gamma{i}"], params[f"beta{i}"]
                if "running_mean" in layer:
                    x = F.batch_norm(x, _t(layer["running_mean"]), _t(layer["running_var"]), g, b, training=False,
                                     eps=eps)
                else:
                    x = F.batch_norm(x, None, None, g, b, training=True, eps=eps)
            elif kind == "layer_norm":
                eps = float(Fraction(str(layer.get("epsilon", "1/100000"))))
                x = F.layer_norm(x, x.shape[1:], params[f"gamma{i}"], params[f"beta{i}"], eps)
            elif kind == "dropout" and "mask" in layer:
                keep = _t(layer["mask"]).reshape(x.shape)
                x = x * keep * (1 / (1 - float(layer.get("rate", 0.5))) if layer.get("inverted", True) else 1.0)
            if kind == "activation":
                x = _activate(layer["function"], x, params.get(f"alpha{i}", layer.get("alpha")))
            elif layer.get("activation") not in (None, "linear"):
                outs[f"z{i}"] = x
                x = _activate(layer["activation"], x, params.get(f"alpha{i}", layer.get("alpha")))
            outs[f"a{i}"] = x
        return outs

    def loss(self, outs, params):
        p, loss = self.p, self.p["loss"]
        y = outs[f"a{len(p['layers'])}"]
        targets = p["targets"] if "batch" in p else [p["target"]]
        kind, red = loss["type"], loss.get("reduction", "mean")
        if kind == "squared_error":
            t = _t(targets).reshape(y.shape)
            total = ((y - t) ** 2).sum() * (0.5 if loss.get("half") else 1.0)
            value = total if red == "sum" else total / (y.shape[0] if red == "batch_mean" else y.numel())
        elif kind == "binary_cross_entropy":
            t = _t(targets).reshape(y.shape)
            value = F.binary_cross_entropy(y, t, reduction=red)
            # Its gradient from the formula itself: F.binary_cross_entropy's backward divides by
            # max(ŷ(1 − ŷ), 1e-12), which bends it for an output within 1e-12 of 0 or 1.
            per = -(t * torch.log(y) + (1 - t) * torch.log(1 - y))
            explicit = per.sum() if red == "sum" else per.mean()
            value = value.detach() + (explicit - explicit.detach())
        else:
            onehot = torch.zeros(y.shape, dtype=DT)
            for n, t in enumerate(targets):
                if isinstance(t, int):
                    onehot[n, t] = 1
                else:
                    onehot[n] = _t(t)
            classes = torch.tensor([int(row.argmax()) for row in onehot])
            final = p["layers"][-1]
            if kind == "cross_entropy" and final["type"] == "activation" and final["function"] == "softmax":
                # −Σ y·ln p of the softmax layer's p, from its input (log of a p that underflows to 0 is −∞)
                logits = outs[f"a{len(p['layers']) - 1}"] if len(p["layers"]) > 1 else outs["x"]
                value = F.cross_entropy(logits, onehot, reduction=red)
            elif kind == "cross_entropy":
                hard = all(isinstance(t, int) for t in targets)
                value = F.cross_entropy(y, classes if hard else onehot, reduction=red)
            else:
                margin = float(loss.get("margin", 1))
                value = F.multi_margin_loss(y, classes, margin=margin, reduction=red)
                # Its gradient from the same sum with each margin s_j − s_y + Δ snapped, so that a margin
                # of exactly 0 (which float64 may leave at ±1e-16) counts as 0, as in F.multi_margin_loss.
                margins = _snap(y - y.gather(1, classes[:, None]) + margin) * (1 - onehot)
                per = F.relu(margins).sum(1) / y.shape[1]
                explicit = per.sum() if red == "sum" else per.mean()
                value = value.detach() + (explicit - explicit.detach())
                if not loss.get("over_classes"):
                    value = value * y.shape[1]
        l2 = float(Fraction(str(loss.get("l2", 0))))
        if l2:
            k = l2 / 2 if loss.get("l2_half") else l2
            value = value + k * sum((w ** 2).sum() for n, w in params.items() if n.startswith("W"))
        return value


def torch_pass(p: dict) -> dict:
    """One forward and backward pass: every stage's output and gradient, the loss, every parameter's gradient."""
    net = Torch(p)
    x = net.input().requires_grad_(True)
    params = {n: v.clone().requires_grad_(True) for n, v in net.params.items()}
    outs = net.forward(params, x)
    for name, t in outs.items():
        if name != "x":
            t.retain_grad()
    result = {name: t.detach() for name, t in outs.items()}
    if "loss" in p:
        loss = net.loss(outs, params)
        loss.backward()
        result["loss"] = float(loss.detach())
        for name, t in outs.items():
            if t.grad is not None:
                result[f"grad_{name}"] = t.grad
        for name, v in params.items():
            result[f"grad_{name}"] = v.grad
    return result


def torch_train(p: dict, trained: list[str]) -> list[dict]:
    """The trained parameters after every iteration of torch.optim on the same network."""
    net = Torch(p)
    x = net.input()
    params = {n: v.clone().requires_grad_(True) for n, v in net.params.items()}
    opt = torch_optimizer([params[n] for n in trained], p["optimizer"])
    history = []
    for _ in range(p.get("iterations", 1)):
        opt.zero_grad()
        net.loss(net.forward(params, x), params).backward()
        if p["optimizer"]["type"] in ("rmsprop", "adam"):
            # A gradient that is exactly 0 (a bias before batch norm) comes out of float64 as noise
            # near 1e-16, which RMSprop and Adam divide by its own size: make it the 0 it is.
            for n in trained:
                params[n].grad[params[n].grad.abs() < 1e-13] = 0
        opt.step()
        history.append({n: params[n].detach().clone() for n in trained})
    return history


def _as_answer(p: dict, name: str, t: torch.Tensor) -> torch.Tensor:
    """A torch value in the layout nnsolve answers in: one sample without the batch axis, a one-channel
    image as its matrix, a Keras (in × out) dense weight transposed."""
    base = name.removeprefix("grad_")
    stem = base.split("_")[0].rstrip("0123456789")
    if stem == "W":
        layer = p["layers"][int(base.split("_")[0][1:]) - 1]
        if layer["type"] == "dense":
            return t.T if p.get("orientation") == "in_out" else t
        return t.reshape(np.shape(layer["weights"]))  # a convolution's kernels as the file nests them
    if stem == "alpha":
        return t[0]  # PReLU's one α is a number
    if stem in ("W", "b", "gamma", "beta"):
        return t
    if t.dim() == 4 and t.shape[1] == 1:
        t = t[:, 0]
    return t if "batch" in p else t[0]


def _kept(value, keep):
    """The cells of ``value`` where ``keep`` is true (all of them when keep is True)."""
    a = np.asarray(value.numpy() if isinstance(value, torch.Tensor) else value, dtype=object)
    return a.reshape(-1).tolist() if keep is True else a[np.broadcast_to(keep, a.shape)].tolist()


KINKED = ("relu", "leaky_relu", "prelu", "elu")  # the activations _snap rounds the input of


def _near_a_kink(p: dict, answers) -> bool:
    """Whether a kinked activation's input is a true nonzero within 1e-9 of 0 (gelu(−7.2) ≈ −2e-12, say):
    which side of the kink float64 lands on is then rounding, and _snap would take it for an exact 0."""
    for i, layer in enumerate(p["layers"], start=1):
        if (layer.get("activation") or layer.get("function")) in KINKED and f"z{i}" in answers:
            if any(0 < abs(v) < 1e-9 for v in flat(answers[f"z{i}"].value)):
                return True
    return False


def check_against_torch(p: dict) -> None:
    solution = solve(network(**p))
    assume(not _near_a_kink(p, solution.answers))
    expected = torch_pass(p)
    answers = solution.answers
    compared = set()
    for name, answer in answers.items():
        if answer.reading is not None or name.startswith("loss_iter") or name == "data_loss":
            continue
        if name in expected:
            want = expected[name]
            want = _as_answer(p, name, want) if isinstance(want, torch.Tensor) else want
            assert np.shape(np.asarray(answer.value, dtype=object)) == tuple(np.shape(want)), name
            assert close(answer.value, want), (name, answer.value, want)
            compared.add(name)
    trained = names = []
    if "optimizer" in p:
        trained = names = p.get("trained") or [n for n in Torch(p).params]
        history = torch_train(p, trained)
        nesterov = p["optimizer"]["type"] == "nesterov" and float(p["optimizer"].get("momentum", 0.9)) > 0
        # RMSprop and Adam divide a gradient by its own size: one that is 0 but for rounding (~1e-17), or
        # tiny after a cancellation (2e-8 known to 6 digits), moves its parameter by as much as a large one,
        # by an amount the rounding decides; such cells (|g| < 1e-6) are left out of the updates'
        # comparison. Their gradients were compared above.
        noise = p["optimizer"]["type"] in ("rmsprop", "adam")
        if max(float(v.abs().max()) for step in history for v in step.values() if v.numel()) > 100:
            trained = []  # a run that diverges is chaotic: float64's rounding decides its later digits
        for n in trained:
            keep = np.abs(_as_answer(p, n, expected[f"grad_{n}"]).numpy()) > 1e-6 if noise else True
            if nesterov:  # PyTorch keeps the look-ahead point p + m·v as the parameter
                assert close(answers[f"{n}_lookahead"].value, _as_answer(p, n, history[-1][n])), n
                compared.add(n)  # the textbook p itself is p + m·v − m·v: not what torch stores
                continue
            assert close(_kept(answers[n].value, keep), _kept(_as_answer(p, n, history[-1][n]), keep)), \
                (n, answers[n].value, history[-1][n])
            for t, step in enumerate(history, start=1):
                if f"{n}_iter{t}" in answers:
                    assert close(_kept(answers[f"{n}_iter{t}"].value, keep), _kept(_as_answer(p, n, step[n]), keep)), \
                        (n, t)
            compared.add(n)
    unchecked = [n for n, a in answers.items() if a.reading is None and n not in compared and n not in names
                 and not n.startswith("loss_iter") and "_iter" not in n and n != "data_loss"]
    assert not unchecked, unchecked


# ---------------------------------------------------------------------------------------------
# Generated networks

tenths = st.integers(-20, 20).map(lambda k: k / 10)
ACTIVATIONS = ["relu", "leaky_relu", "prelu", "elu", "sigmoid", "tanh", "gelu", "linear"]


def _matrix(draw, rows, cols, values=tenths):
    return [[draw(values) for _ in range(cols)] for _ in range(rows)]


def _activation_layer(draw, fused_into=None):
    function = draw(st.sampled_from(ACTIVATIONS))
    alpha = {} if function not in ("leaky_relu", "prelu", "elu") or draw(st.booleans()) else \
        {"alpha": draw(st.sampled_from([0.1, 0.2, 0.5]))}
    if fused_into is not None:
        fused_into.update({"activation": function, **alpha})
        return None
    return {"type": "activation", "function": function, **alpha}


def _loss(draw, p: dict, width: int, n: int) -> None:
    """A loss and targets for an output of ``width`` values per sample (a vector output)."""
    kinds = ["squared_error", "binary_cross_entropy"] + (["cross_entropy", "multiclass_hinge"] if width > 1 else [])
    kind = draw(st.sampled_from(kinds))
    loss = {"type": kind}
    if kind == "squared_error":
        loss.update(half=draw(st.booleans()), reduction=draw(st.sampled_from(["mean", "sum", "batch_mean"])))
        targets = [[draw(tenths) for _ in range(width)] for _ in range(n)]
    elif kind == "binary_cross_entropy":
        p["layers"].append({"type": "activation", "function": "sigmoid"})
        loss["reduction"] = draw(st.sampled_from(["mean", "sum"]))
        targets = [[draw(st.integers(0, 10)) / 10 for _ in range(width)] for _ in range(n)]
    else:
        loss["reduction"] = draw(st.sampled_from(["mean", "sum"]))
        if kind == "cross_entropy" and draw(st.booleans()):
            p["layers"].append({"type": "activation", "function": "softmax"})
        if kind == "multiclass_hinge":
            loss["margin"] = draw(st.sampled_from([1, 0.5, 2]))
            loss["over_classes"] = draw(st.booleans())
        targets = []
        for _ in range(n):
            k = draw(st.integers(0, width - 1))
            form = draw(st.sampled_from(["index", "onehot", "soft"] if kind == "cross_entropy" else ["index", "onehot"]))
            if form == "index":
                targets.append(k)
            elif form == "onehot":
                targets.append([1 if j == k else 0 for j in range(width)])
            else:
                cuts = sorted(draw(st.lists(st.integers(0, 10), min_size=width - 1, max_size=width - 1)))
                tenths_of = [b - a for a, b in zip([0, *cuts], [*cuts, 10])]  # adds up to 10 tenths
                targets.append([v / 10 for v in tenths_of])
    if draw(st.integers(0, 3)) == 0:
        loss["l2"] = draw(st.sampled_from([0.01, 0.1, 0.5]))
        loss["l2_half"] = draw(st.booleans())
    p["loss"] = loss
    if "batch" in p:
        p["targets"] = targets
    else:
        p["target"] = targets[0]


def _optimize(draw, p: dict, names: list[str]) -> None:
    if not names or draw(st.integers(0, 2)) == 0:
        return
    kind = draw(st.sampled_from(["gd", "momentum", "nesterov", "rmsprop", "adam"]))
    o = {"type": kind, "learning_rate": draw(st.sampled_from([0.01, 0.1, 0.5]))}
    if kind in ("momentum", "nesterov"):
        o["momentum"] = draw(st.sampled_from([0.5, 0.9]))
    if kind == "rmsprop":
        o["rho"] = draw(st.sampled_from([0.9, 0.99]))
    p["optimizer"] = o
    p["iterations"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        p["trained"] = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))


@st.composite
def dense_networks(draw):
    n = draw(st.integers(1, 3))
    width = draw(st.integers(1, 4))
    samples = [[draw(tenths) for _ in range(width)] for _ in range(n)]
    batched = n > 1 or draw(st.booleans())
    p = {"batch": samples} if batched else {"input": samples[0]}
    p["orientation"] = draw(st.sampled_from(["out_in", "in_out"]))
    p["layers"] = []
    names = []
    for _ in range(draw(st.integers(1, 3))):
        i = len(p["layers"]) + 1
        units = draw(st.integers(1, 4))
        w = _matrix(draw, units, width)
        layer = {"type": "dense", "weights": w if p["orientation"] == "out_in" else [list(c) for c in zip(*w)]}
        layer["bias"] = draw(st.one_of(st.just(False), st.lists(tenths, min_size=units, max_size=units)))
        names += [f"W{i}"] + ([f"b{i}"] if layer["bias"] is not False else [])
        p["layers"].append(layer)
        if draw(st.booleans()):
            _activation_layer(draw, fused_into=layer)
        elif draw(st.booleans()):
            p["layers"].append(_activation_layer(draw))
        if (layer.get("activation") or p["layers"][-1].get("function")) == "prelu":
            names.append(f"alpha{len(p['layers'])}")
        width = units
        extra = draw(st.sampled_from(["none", "none", "batch_norm", "layer_norm", "dropout"]))
        j = len(p["layers"]) + 1
        if extra == "batch_norm" and n > 1:
            p["layers"].append({"type": "batch_norm", "gamma": [draw(tenths) for _ in range(width)],
                                "beta": [draw(tenths) for _ in range(width)]})
            names += [f"gamma{j}", f"beta{j}"]
        elif extra == "layer_norm" and width > 1:
            p["layers"].append({"type": "layer_norm", "gamma": [draw(tenths) for _ in range(width)],
                                "beta": [draw(tenths) for _ in range(width)], "epsilon": 0.001})
            names += [f"gamma{j}", f"beta{j}"]
        elif extra == "dropout":
            mask = [[draw(st.integers(0, 1)) for _ in range(width)] for _ in range(n)]
            p["layers"].append({"type": "dropout", "rate": draw(st.sampled_from([0.2, 0.5])),
                                "mask": mask if batched else mask[0]})
    if draw(st.integers(0, 4)):
        _loss(draw, p, width, n)
        _optimize(draw, p, names)
    return p


def _conv_size(n, k, s, p, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@st.composite
def conv_networks(draw):
    n = draw(st.integers(1, 2))
    c, h, w = draw(st.integers(1, 2)), draw(st.integers(3, 6)), draw(st.integers(3, 6))
    image = lambda: [_matrix(draw, h, w) for _ in range(c)]  # noqa: E731
    samples = [image() for _ in range(n)]
    batched = n > 1 or draw(st.booleans())
    one = c == 1 and draw(st.booleans())  # a one-channel sample written as its matrix
    write = (lambda s: s[0]) if one else (lambda s: s)  # noqa: E731
    p = {"batch": [write(s) for s in samples]} if batched else {"input": write(samples[0])}
    p["layers"] = []
    names = []
    for _ in range(draw(st.integers(1, 3))):
        i = len(p["layers"]) + 1
        kind = draw(st.sampled_from(["conv2d", "conv_transpose2d", "max_pool", "avg_pool", "batch_norm",
                                     "activation", "dropout"]))
        if kind == "conv2d":
            groups = draw(st.sampled_from([1, c])) if c > 1 else 1
            f = groups * draw(st.integers(1, 2))
            k = draw(st.integers(1, 3))
            s, d = draw(st.integers(1, 2)), draw(st.integers(1, 2))
            pad = draw(st.sampled_from([0, 1, "same"]))
            span = d * (k - 1) + 1
            out_h = -(-h // s) if pad == "same" else _conv_size(h, k, s, pad, d)
            out_w = -(-w // s) if pad == "same" else _conv_size(w, k, s, pad, d)
            if out_h < 1 or out_w < 1 or (pad != "same" and min(h, w) + 2 * pad < span):
                continue
            weights = [[_matrix(draw, k, k) for _ in range(c // groups)] for _ in range(f)]
            layer = {"type": "conv2d", "weights": weights, "stride": s, "padding": pad, "dilation": d,
                     "groups": groups, "bias": draw(st.one_of(st.just(False), st.lists(tenths, min_size=f,
                                                                                       max_size=f)))}
            c, h, w = f, out_h, out_w
        elif kind == "conv_transpose2d":
            f = draw(st.integers(1, 2))
            k, s = draw(st.integers(1, 3)), draw(st.integers(1, 2))
            pad = draw(st.integers(0, max(0, k - 1)))
            op = draw(st.integers(0, s - 1))
            out_h, out_w = (h - 1) * s - 2 * pad + k + op, (w - 1) * s - 2 * pad + k + op
            if min(out_h, out_w) < 1 or max(out_h, out_w) > 12:
                continue
            layer = {"type": "conv_transpose2d", "weights": [[_matrix(draw, k, k) for _ in range(f)] for _ in range(c)],
                     "stride": s, "padding": pad, "output_padding": op,
                     "bias": draw(st.one_of(st.just(False), st.lists(tenths, min_size=f, max_size=f)))}
            c, h, w = f, out_h, out_w
        elif kind in ("max_pool", "avg_pool"):
            k = draw(st.integers(1, 2))
            s = draw(st.integers(1, 2))
            pad = draw(st.integers(0, k // 2))
            if min(h, w) + 2 * pad < k:
                continue
            layer = {"type": kind, "window": k, "stride": s, "padding": pad}
            h, w = _conv_size(h, k, s, pad), _conv_size(w, k, s, pad)
        elif kind == "batch_norm":
            # Not right after another batch norm: of (nearly) constant values, a stack of them multiplies
            # float64's rounding by 1/√ε ≈ 300 a layer, and the oracle stops being one.
            if n * h * w < 2 or (p["layers"] and p["layers"][-1]["type"] == "batch_norm"):
                continue
            layer = {"type": "batch_norm", "gamma": [draw(st.sampled_from([-2, -0.5, 0.5, 1, 2])) for _ in range(c)],
                     "beta": [draw(tenths) for _ in range(c)]}
            if draw(st.booleans()):
                layer.update(running_mean=[draw(tenths) for _ in range(c)],
                             running_var=[draw(st.integers(1, 20)) / 10 for _ in range(c)])
        elif kind == "activation":
            layer = _activation_layer(draw)
        else:
            mask = [[[[draw(st.integers(0, 1)) for _ in range(w)] for _ in range(h)] for _ in range(c)]
                    for _ in range(n)]
            layer = {"type": "dropout", "rate": 0.5, "mask": mask if batched else mask[0]}
        p["layers"].append(layer)
        if kind in ("conv2d", "conv_transpose2d"):
            names += [f"W{i}"] + ([f"b{i}"] if layer["bias"] is not False else [])
            if draw(st.integers(0, 2)) == 0:
                _activation_layer(draw, fused_into=layer)
        if kind == "batch_norm":
            names += [f"gamma{i}", f"beta{i}"]
        if (layer.get("function") or layer.get("activation")) == "prelu":
            names.append(f"alpha{i}")
    if not p["layers"]:
        p["layers"].append({"type": "activation", "function": "relu"})
    if draw(st.booleans()):
        p["layers"].append({"type": "flatten"})
        p["orientation"] = "out_in"
        units = draw(st.integers(2, 3))
        i = len(p["layers"]) + 1
        p["layers"].append({"type": "dense", "weights": _matrix(draw, units, c * h * w), "bias": [0.1] * units})
        names += [f"W{i}", f"b{i}"]
        _loss(draw, p, units, n)
        _optimize(draw, p, names)
    elif draw(st.booleans()):
        loss = {"type": "squared_error", "half": draw(st.booleans()),
                "reduction": draw(st.sampled_from(["mean", "sum", "batch_mean"]))}
        targets = [[_matrix(draw, h, w) for _ in range(c)] for _ in range(n)]
        p["loss"] = loss
        if batched:
            p["targets"] = targets
        else:
            p["target"] = targets[0]
        _optimize(draw, p, names)
    return p


GENERATED = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("networks", [dense_networks, conv_networks], ids=["dense", "conv"])
def test_generated_networks_match_pytorch(networks):
    @GENERATED
    @given(networks())
    def check(p):
        try:
            check_against_torch(p)
        except NnsolveError as exc:  # the one refusal a generated file may meet: a saturated sigmoid under BCE
            assert "strictly between 0 and 1" in str(exc), exc

    check()


@pytest.mark.parametrize("p", [
    # a softmax inside the network (the generated ones put it last, before cross-entropy), trained by Adam
    dict(batch=[[0.5, -1, 2], [1, 0, 0.3]], orientation="out_in",
         layers=[{"type": "dense", "weights": [[1, -1, 0.5], [2, 1, 0]], "bias": [0.1, 0], "activation": "softmax"},
                 {"type": "dense", "weights": [[1, 2]], "bias": [0]}],
         loss={"type": "squared_error", "half": True, "reduction": "mean"}, targets=[[1], [0]],
         optimizer={"type": "adam", "learning_rate": 0.1}, iterations=2),
    # softmax over an image's channels, cell by cell
    dict(input=[[[1, 2], [3, 4]], [[0, 1], [1, 0]]], layers=[{"type": "activation", "function": "softmax"},
                                                             {"type": "flatten"}],
         loss={"type": "squared_error"}, target=[0, 0, 0, 0, 1, 1, 1, 1]),
    # Keras weights, a one-hot and a class index in one batch, L2, Nesterov
    dict(batch=[[1, 2, 3], [3, 1, 0]], orientation="in_out",
         layers=[{"type": "dense", "weights": [[1, 0], [0, 1], [1, 1]], "bias": False},
                 {"type": "activation", "function": "softmax"}],
         loss={"type": "cross_entropy", "reduction": "sum", "l2": 0.1}, targets=[[0, 1], 0],
         optimizer={"type": "nesterov", "learning_rate": 0.1, "momentum": 0.9}, iterations=3),
], ids=["softmax-inside", "softmax-channels", "keras-l2-nesterov"])
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_hand_networks_match_pytorch(p):
    check_against_torch(p)


def test_dropout_matches_torch_dropout_with_its_own_mask():
    torch.manual_seed(3)
    x = torch.tensor([[0.5, -1.0, 2.0, 1.5, -0.5, 3.0]], dtype=DT)
    kept = F.dropout(torch.ones_like(x), p=0.5, training=True)  # the mask torch draws, scaled by 2
    torch.manual_seed(3)
    expected = F.dropout(x, p=0.5, training=True)
    mask = [int(v != 0) for v in kept[0]]
    solution = solve(network(input=x[0].tolist(), layers=[{"type": "dropout", "rate": 0.5, "mask": mask}]))
    assert close(solution.answer, expected[0])
    unscaled = solution.answers["a1_unscaled"]
    assert close(unscaled.value, (x * kept / 2)[0]) and unscaled.reading


# ---------------------------------------------------------------------------------------------
# The other examples, by hand

def test_conv_relu_pool_example():
    solution = solve_file(PROBLEMS / "network/conv-relu-pool.yaml")
    # top-left window: 1 + 0 − 2 + 0 + 0 − 3 + 2 + 0 − 0 − 1 (bias) = −3 → ReLU 0
    assert solution.answers["a1"].value == [[-3, -1, 1], [-2, 1, 0], [-1, 1, -1]]
    assert solution.answers["a2"].value == [[0, 0, 1], [0, 1, 0], [0, 1, 0]]
    assert solution.answer == [[1, 1], [1, 1]]
    # L = Σ(1 − t)² = 1 + 0 + 1 + 1; ∂L/∂a3 = 2(a3 − t) = [[2, 0], [−2, 2]]. The four windows' maxima
    # (first on a tie) are cells (2,2), (1,3), (2,2), (2,2): (2,2) collects 2 − 2 + 2 = 2, (1,3) 0.
    assert solution.answers["loss"].value == 3
    assert solution.answers["grad_a2"].value == [[0, 0, 0], [0, 2, 0], [0, 0, 0]]
    # ReLU passes it (z = 1 > 0); ∂L/∂W[i, j] = 2·x[1 + i, 1 + j]: the 3×3 window below x[2, 2]
    image = [[1, 0, 2, 1, 0], [0, 1, 3, 1, 1], [2, 1, 0, 0, 2], [1, 3, 1, 2, 0], [0, 1, 2, 1, 1]]
    assert solution.answers["grad_W1"].value == [[2 * image[1 + i][1 + j] for j in range(3)] for i in range(3)]
    assert solution.answers["grad_b1"].value == [2]
    spread = next(v for v in variants(load_text((PROBLEMS / "network/conv-relu-pool.yaml").read_text()).spec)
                  if "spread the max-pool gradient" in v.mistake)
    # each window's gradient ÷ 4 to each of its cells, summed where windows overlap
    q = Fraction(1, 2)
    assert spread.answers["grad_a2"] == [[q, q, 0], [0, q, q], [-q, 0, q]]


def test_batch_norm_example():
    solution = solve_file(PROBLEMS / "network/batch-norm.yaml")
    # feature 1: μ = 4, σ² = (9 + 1 + 1 + 9)/4 = 5; feature 2: μ = 4, σ² = 4, √4 = 2 exactly.
    out = solution.answer
    assert [row[1] for row in out] == [0, 0, 2, 2]  # γ = 1, β = 1: (2 − 4)/2 + 1 = 0, (6 − 4)/2 + 1 = 2
    assert out[0][0] == pytest.approx(2 * (1 - 4) / math.sqrt(5), rel=1e-12)
    unbiased = next(v for v in variants(load_text((PROBLEMS / "network/batch-norm.yaml").read_text()).spec)
                    if "unbiased variance" in v.mistake)
    assert unbiased.answers["a1"][0][0] == pytest.approx(2 * (1 - 4) / math.sqrt(20 / 3), rel=1e-12)


def test_softmax_cross_entropy_example():
    solution = solve_file(PROBLEMS / "network/softmax-cross-entropy.yaml")
    z = [0.5 - 1.0, 0.2 + 0.2 + 0.1, -0.3 + 0.8 + 0.2]
    assert solution.answers["a1"].value == [Fraction(-1, 2), Fraction(1, 2), Fraction(7, 10)]
    e = [math.exp(v) for v in z]
    p = [v / sum(e) for v in e]
    assert solution.answers["a2"].value == pytest.approx(p, rel=1e-12)
    assert solution.answer == pytest.approx(-math.log(p[2]), rel=1e-12)
    assert solution.answers["grad_a1"].value == pytest.approx([p[0], p[1], p[2] - 1], rel=1e-12)
    wrong = next(v for v in variants(load_text((PROBLEMS / "network/softmax-cross-entropy.yaml").read_text()).spec)
                 if "one-hot" in v.mistake)
    assert wrong.answers["grad_a1"] == pytest.approx(p, rel=1e-12)


def test_transposed_convolution_example():
    solution = solve_file(PROBLEMS / "network/transposed-convolution.yaml")
    k = [[1, 0], [2, -1]]
    # each input cell x[r][c] adds x[r][c]·k at rows 2r, 2r + 1 and columns 2c, 2c + 1
    expected = [[[[1, 2], [3, 4]][r // 2][c // 2] * k[r % 2][c % 2] for c in range(4)] for r in range(4)]
    assert solution.answer == expected


def test_multiclass_hinge_example():
    solution = solve_file(PROBLEMS / "network/multiclass-hinge.yaml")
    # CS231n: max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1) = 2.9; 0; 6.3 + 6.6 = 12.9; mean 5.27
    assert solution.answer == Fraction(29 + 0 + 129, 30)
    assert solution.choice.key == "b"
    assert solution.answers["loss_over_classes"].value == Fraction(29 + 129, 90)  # PyTorch divides by 3
    counted = next(v for v in variants(load_text((PROBLEMS / "network/multiclass-hinge.yaml").read_text()).spec)
                   if "correct class" in v.mistake)
    assert counted.answers["loss"] == solution.answer + 1  # Δ = 1 more per sample


# ---------------------------------------------------------------------------------------------
# Mistakes, on an exact network worked by hand

EXACT = dict(input=[1, 2], orientation="out_in",
             layers=[{"type": "dense", "weights": [[1, -1], [2, 1]], "bias": [0, -1], "activation": "relu"},
                     {"type": "dense", "weights": [[1, 2]], "bias": [0]}],
             loss={"type": "squared_error"}, target=[1], ask="grad_W1")
# z1 = [−1, 3], a1 = [0, 3], ŷ = 6, L = 25, ∂L/∂ŷ = 10, ∂L/∂W2 = [[0, 30]], ∂L/∂a1 = [10, 20],
# ReLU′ = [0, 1], δ1 = [0, 20], ∂L/∂W1 = δ1·xᵀ = [[0, 0], [20, 40]].


def test_exact_network_by_hand():
    solution = solve(network(**EXACT))
    got = {n: solution.answers[n].value for n in ("z1", "a1", "a2", "loss", "grad_W2", "grad_a1", "grad_W1")}
    assert got == {"z1": [-1, 3], "a1": [0, 3], "a2": [6], "loss": 25, "grad_W2": [[0, 30]], "grad_a1": [10, 20],
                   "grad_W1": [[0, 0], [20, 40]]}
    assert solution.answers["grad_W1_half"].value == [[0, 0], [10, 20]]  # the ½ reading halves every gradient


@pytest.mark.parametrize("mistake,name,value", [
    ("left out the activation's derivative", "grad_W1", [[10, 20], [20, 40]]),  # δ1 = [10, 20]
    ("pre-activation z instead of its activation a", "grad_W2", [[-10, 30]]),  # 10·z1
    ("used ½(ŷ − y)²", "grad_W2", [[0, 15]]),
    ("learning rate sign error", None, None),  # no optimizer: not offered
])
def test_exact_network_mistakes(mistake, name, value):
    found = [v for v in variants(network(**EXACT)) if mistake in v.mistake]
    if name is None:
        assert not found
        return
    assert len(found) == 1 and found[0].answers[name] == value


def test_w_for_w_transposed():
    # Only the square W1 can be used untransposed: ∂L/∂x = W1·δ1 = [−20, 20] instead of W1ᵀ·δ1 = [40, 20].
    found = [v for v in variants(network(**EXACT)) if "W instead of Wᵀ" in v.mistake]
    assert solve(network(**EXACT)).answers["grad_x"].value == [40, 20]
    assert len(found) == 1 and found[0].answers["grad_x"] == [-20, 20]
    # Reading the weights in × out does not fit W2 (1 × 2 on 2 inputs): no such mistake is offered.
    assert not [v for v in variants(network(**EXACT)) if "other way round" in v.mistake]


def test_grading_names_the_mistake(tmp_path):
    from nnsolve.grade import grade
    from nnsolve.loader import load

    text = (PROBLEMS / "network/mlp-2-2-2.yaml").read_text()
    # W2 under the reading without ½ (the gradient doubled): a student who dropped the ½
    wrong = solve_file(PROBLEMS / "network/mlp-2-2-2.yaml").answers["W2_no_half"].value
    path = tmp_path / "answer.yaml"
    path.write_text(text + f"submitted: {{answer: {json.dumps(wrong)}}}\n")
    result = grade(load(str(path)))
    assert not result.correct
    assert any("left out the ½" in d for d in result.diagnosis), result.diagnosis


# ---------------------------------------------------------------------------------------------
# Exactness and its limit

def test_exact_fractions_become_floats_past_the_digit_cap():
    from nnsolve import limits

    spec = network(input=["1/3", "2/7"], orientation="out_in",
                   layers=[{"type": "dense", "weights": [["1/3", "1/7"]], "bias": ["1/11"]}],
                   loss={"type": "squared_error"}, target=["1/13"], optimizer={"type": "gd", "learning_rate": "1/3"},
                   iterations=40)
    solution = solve(spec)
    assert any("MAX_NETWORK_DIGITS" in a for a in solution.assumptions)
    assert isinstance(solution.answer[0][0], float)
    early = solution.answers["W1_iter1"].value[0][0]
    assert isinstance(early, Fraction) and len(str(early)) <= 2 * limits.MAX_NETWORK_DIGITS + 1
    # the floats carry on the exact iterations: the same as torch's float64 run
    history = torch_train({"input": [1 / 3, 2 / 7], "orientation": "out_in",
                           "layers": [{"type": "dense", "weights": [[1 / 3, 1 / 7]], "bias": [1 / 11]}],
                           "loss": {"type": "squared_error"}, "target": [1 / 13],
                           "optimizer": {"type": "gd", "learning_rate": 1 / 3}, "iterations": 40}, ["W1", "b1"])
    assert close(solution.answer, history[-1]["W1"])


def test_work_beyond_the_cap_is_refused_naming_it():
    spec = network(batch=[[1] * 100] * 20, orientation="out_in",
                   layers=[{"type": "dense", "weights": [[1] * 100] * 100, "bias": False}],
                   loss={"type": "squared_error"}, targets=[[0] * 100] * 20)
    with pytest.raises(NnsolveError, match="MAX_NETWORK_WORK"):
        solve(spec)


def test_the_work_cap_counts_each_trained_value_s_updates():
    # Updates are worked value by value: Adam's costs some 55 multiply-accumulates of a pass. A 40 × 40
    # layer's 1,600 weights × 3 Adam iterations are 264,000 units of updates alone, past the 200,000 cap,
    # while its pass (3 × (1,600 MACs + 40 values) + 1,600 + 1,000 per layer, ≈ 7,500 an iteration) is not.
    p = dict(input=[1] * 40, orientation="out_in", layers=[{"type": "dense", "weights": [[1] * 40] * 40, "bias": False}],
             loss={"type": "squared_error"}, target=[0] * 40)
    assert solve(network(**p, optimizer={"type": "gd", "learning_rate": 0.1}, iterations=3)).answer is not None
    with pytest.raises(NnsolveError, match="55 per trained value for adam's update.*MAX_NETWORK_WORK"):
        solve(network(**p, optimizer={"type": "adam", "learning_rate": 0.1}, iterations=3))


def test_a_diverging_run_is_one_line_at_the_iteration_that_overflows():
    p = dict(input=[1, 2], orientation="out_in",
             layers=[{"type": "dense", "weights": [[1, 1], [1, 1]], "bias": False},
                     {"type": "dense", "weights": [[1, 1]], "bias": False}],
             loss={"type": "squared_error"}, target=[1], optimizer={"type": "gd", "learning_rate": 0.5}, iterations=8)
    # torch's float64 run of the same network: the first iteration whose loss is inf
    w1, w2 = torch.ones(2, 2, dtype=DT, requires_grad=True), torch.ones(1, 2, dtype=DT, requires_grad=True)
    opt, x, first = torch.optim.SGD([w1, w2], lr=0.5), torch.tensor([1.0, 2.0], dtype=DT), None
    for t in range(1, 9):
        opt.zero_grad()
        loss = ((w2 @ (w1 @ x) - 1) ** 2).mean()
        if first is None and not torch.isfinite(loss):
            first = t
        loss.backward()
        opt.step()
    with pytest.raises(SolveError) as info:
        solve(network(**p))
    assert info.value.field == "iterations"
    assert str(info.value).startswith(f"iterations: iteration {first} overflows a float")
    with pytest.raises(SolveError, match="the forward and backward pass overflows") as info:
        solve(network(input=[1e300], orientation="out_in", layers=[{"type": "dense", "weights": [[1e300]], "bias": False}],
                      loss={"type": "squared_error"}, target=[1]))
    assert info.value.field == "layers"


def test_every_scalar_step_of_the_examples_evaluates_to_its_value():
    for path in sorted((PROBLEMS / "network").glob("*.yaml")):
        for step in solve_file(path).steps:
            if step.substitution is not None and isinstance(step.value, (int, Fraction, float)) \
                    and _scalar(step.substitution):
                assert float(evaluate(step.substitution)) == pytest.approx(float(step.value), rel=1e-12), \
                    (path.name, step.title)


# ---------------------------------------------------------------------------------------------
# From the command line: every format, grade and key

NETWORK_FILES = sorted((PROBLEMS / "network").glob("*.yaml"))


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "latex", "html"])
def test_every_example_runs_in_every_format(capsys, fmt):
    from tests.test_hostile import run_in_process

    for path in NETWORK_FILES:
        code, out, err = run_in_process(capsys, "run", str(path), "--format", fmt)
        assert code == 0 and not err, (path.name, err)
        if fmt == "json":
            data = json.loads(out)
            assert data["topic"] == "network" and data["answer"] is not None
        if fmt == "latex":
            assert "\\begin" in out and "′" not in out  # derivatives are f' in LaTeX
        if fmt == "html":
            assert out.startswith("<!DOCTYPE html>") and "Traceback" not in out


def test_grade_and_key_take_network_problems(capsys, tmp_path):
    from tests.test_hostile import run_in_process

    answered = tmp_path / "answered.yaml"
    answered.write_text((PROBLEMS / "network/multiclass-hinge.yaml").read_text() + "submitted: {answer: 6.2667}\n")
    code, out, err = run_in_process(capsys, "grade", str(answered), "--format", "json")
    assert code == 0, err
    grade = json.loads(out)["files"][0]["grade"]
    assert grade["correct"] is False
    assert any("counted the correct class" in d for d in grade["diagnosis"])
    code, out, err = run_in_process(capsys, "key", str(PROBLEMS / "network"), "-o", str(tmp_path / "key.md"))
    assert code == 0, err
    key = (tmp_path / "key.md").read_text()
    titles = [load_text(path.read_text()).spec.title for path in NETWORK_FILES]
    assert all(title in key for title in titles), titles


def test_shape_error_from_the_command_line(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    bad = tmp_path / "p.yaml"
    bad.write_text("topic: network\ninput: [1, 2, 3]\norientation: in_out\nlayers:\n"
                   "  - {type: dense, weights: [[1, 2], [3, 4]], bias: false}\n")
    result = subprocess.run([sys.executable, "-m", "nnsolve", "run", str(bad)], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"{bad}:5: layers[0].weights (Layer 1): dense: the weights are 2 × 2, read in × out "
                             f"(Keras), but the layer's input has 3 values: they must be 3 × 2\n")
