"""cnn_architecture as a graph: named layers, ``inputs:``, concatenate, add, several inputs and
outputs, weight sharing; checked against torch modules built from the same graph (parameters by
numel, shapes by a forward pass, MACs by forward hooks), and hand-worked module counts.
"""

from __future__ import annotations

import math
import time

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from nnsolve.errors import NnsolveError, SolveError
from nnsolve.loader import load_text
from nnsolve.solution import Table
from nnsolve.solve import solve
from tests.conftest import PROBLEMS
from tests.helpers import solve_file

torch.set_num_threads(1)


def solve_graph(layers, **extra):
    text = yaml.safe_dump({"topic": "cnn_architecture", "layers": layers, **extra}, sort_keys=False)
    return solve(load_text(text, file="test.yaml").spec)


# ---------------------------------------------------------------------------------------------
# The published modules, worked by hand

MODULES = [
    # Inception 3a: 1×1 (192·64 + 64 = 12,352); 1×1 96 (18,528) → 3×3 128 (9·96·128 + 128 = 110,720);
    # 1×1 16 (3,088) → 5×5 32 (25·16·32 + 32 = 12,832); pool → 1×1 32 (6,176): 163,696; 64+128+32+32 = 256.
    ("arch/inception.yaml", 163_696, (28, 28, 256)),
    # Fire2: squeeze 96·16 + 16 = 1,552; expand 16·64 + 64 = 1,088 and 9·16·64 + 64 = 9,280: 11,920
    # (the SqueezeNet paper's table); 64 + 64 = 128 channels.
    ("arch/squeezenet-fire.yaml", 11_920, (55, 55, 128)),
    # DenseNet-BC block, k = 32: layer j on 64 + 32(j − 1) channels: BN 2C, 1×1 128C, BN 256, 3×3 9·128·32 = 36,864.
    # C = 64, 96, 128: 3·(256 + 36,864) + (2 + 128)·(64 + 96 + 128) = 111,360 + 37,440 = 148,800; 64 + 96 = 160.
    ("arch/densenet-block.yaml", 148_800, (56, 56, 160)),
    # Siamese: conv 9·8 + 8 = 80; dense 1,352·32 + 32 = 43,296 (13·13·8 = 1,352); score 64 + 1 = 65 — the
    # shared encoder counted once: 43,441.
    ("arch/siamese.yaml", 43_441, (1,)),
]


@pytest.mark.parametrize("path,params,shape", MODULES)
def test_published_modules(path, params, shape):
    solution = solve_file(PROBLEMS / path)
    assert solution.answers["total_params"].value == params
    assert tuple(solution.answers["output_shape"].value) == shape


def test_shared_weights_count_once_and_their_macs_twice():
    solution = solve_file(PROBLEMS / "arch/siamese.yaml")
    # MACs: conv 26·26·8·9 = 48,672 and dense 1,352·32 = 43,264, each twice; score 64.
    assert solution.answers["total_macs"].value == 2 * (48_672 + 43_264) + 64
    assert solution.answers["output_shape_2"].value == (32,) == solution.answers["output_shape_3"].value


class UNet(nn.Module):
    """The small U-Net of problems/arch/unet-small.yaml in plain torch.nn."""

    def __init__(self):
        super().__init__()
        block = lambda c_in, c: nn.Sequential(nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(),  # noqa: E731
                                              nn.Conv2d(c, c, 3, padding=1), nn.ReLU())
        self.enc1, self.enc2, self.mid = block(1, 16), block(16, 32), block(32, 64)
        self.up2, self.dec2 = nn.ConvTranspose2d(64, 32, 2, 2), block(64, 32)
        self.up1, self.dec1 = nn.ConvTranspose2d(32, 16, 2, 2), block(32, 16)
        self.out = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(nn.functional.max_pool2d(e1, 2))
        m = self.mid(nn.functional.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        return self.out(self.dec1(torch.cat([self.up1(d2), e1], 1)))


def test_unet_matches_pytorch():
    model = UNet()
    macs = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(lambda m, i, o: macs.append(o.numel() * m.in_channels * m.kernel_size[0] ** 2))
        elif isinstance(m, nn.ConvTranspose2d):
            m.register_forward_hook(lambda m, i, o: macs.append(i[0].numel() * m.out_channels * m.kernel_size[0] ** 2))
    with torch.no_grad():
        out = model(torch.zeros(1, 1, 64, 64))
    solution = solve_file(PROBLEMS / "arch/unet-small.yaml")
    assert solution.answers["total_params"].value == sum(p.numel() for p in model.parameters())
    assert solution.answers["total_macs"].value == sum(macs)
    assert tuple(solution.answers["output_shape"].value) == (*out.shape[2:], out.shape[1])


# ---------------------------------------------------------------------------------------------
# Generated graphs: each layer takes one or two earlier layers (or inputs); torch runs the same graph

class Graph(nn.Module):
    """Runs a list of (module or 'cat'/'add', the indices of what it takes) over named tensors."""

    def __init__(self, nodes):
        super().__init__()
        self.nodes = nodes
        self.mods = nn.ModuleList([m for m, _ in nodes if isinstance(m, nn.Module)])

    def forward(self, *xs):
        values = list(xs)
        for module, takes in self.nodes:
            ins = [values[k] for k in takes]
            if module == "cat":
                values.append(torch.cat(ins, 1))
            elif module == "add":
                values.append(torch.stack(ins).sum(0))
            else:
                values.append(module(*ins))
        return values


@st.composite
def graphs(draw):
    """(spec inputs, spec layers, torch nodes, number of inputs); the shapes stay square images."""
    n_inputs = draw(st.integers(1, 2))
    size = draw(st.integers(3, 6))
    channels = [draw(st.integers(1, 3)) for _ in range(n_inputs)]
    names = [f"x{k}" for k in range(n_inputs)]
    shapes = [(c, size, size) for c in channels]  # C × H × W of every value so far (inputs first)
    layers, nodes, shared = [], [], []
    for i in range(draw(st.integers(1, 8))):
        pick = st.integers(0, len(shapes) - 1)
        kind = draw(st.sampled_from(["conv", "conv", "cat", "add", "pool", "apply"]))
        if kind == "apply" and not shared:
            kind = "conv"
        if kind in ("cat", "add"):
            a, b = draw(pick), draw(pick)
            joined = [a, b]
            if kind == "add" and shapes[a] != shapes[b]:
                kind = "cat"  # mostly valid graphs; a mismatch is left to the cat below
            layer = {"type": "concatenate" if kind == "cat" else "add", "inputs": [names[a], names[b]]}
            ok = shapes[a][1:] == shapes[b][1:]
            if not ok:
                layers.append(layer)
                return [[s[1], s[2], s[0]] for s in shapes[:n_inputs]], layers, None, n_inputs
            shape = (shapes[a][0] + shapes[b][0], *shapes[a][1:]) if kind == "cat" else shapes[a]
            nodes.append((kind, joined))
        else:
            a = draw(pick)
            c = shapes[a][0]
            if kind == "apply":
                target, t_in = draw(st.sampled_from(shared))
                if t_in != c:
                    kind = "conv"
                else:
                    layer = {"type": "apply", "layer": target, "inputs": [names[a]]}
                    module = nodes[int(target[1:]) - n_inputs][0]
                    shape = (module.out_channels, shapes[a][1], shapes[a][2])
                    nodes.append((module, [a]))
            if kind == "conv":
                f, k = draw(st.integers(1, 3)), draw(st.sampled_from([1, 3]))
                layer = {"type": "conv2d", "filters": f, "kernel": k, "padding": k // 2, "inputs": [names[a]]}
                module = nn.Conv2d(c, f, k, padding=k // 2)
                nodes.append((module, [a]))
                shape = (f, *shapes[a][1:])
            elif kind == "pool":
                layer = {"type": "max_pool", "window": 2, "inputs": [names[a]]}
                if shapes[a][1] < 2:
                    layer = {"type": "batch_norm", "inputs": [names[a]]}
                    module = nn.BatchNorm2d(c)
                    shape = shapes[a]
                else:
                    module = nn.MaxPool2d(2)
                    shape = (c, shapes[a][1] // 2, shapes[a][2] // 2)
                nodes.append((module, [a]))
        name = f"n{len(shapes)}"
        layer["name"] = name
        if layer["type"] == "conv2d":
            shared.append((name, shapes[a][0]))
        layers.append(layer)
        names.append(name)
        shapes.append(shape)
    return [[s[1], s[2], s[0]] for s in shapes[:n_inputs]], layers, nodes, n_inputs


def macs_of(graph: Graph, xs) -> tuple[int, list]:
    macs = []

    def hook(m, inputs, output):
        macs.append(output.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1])

    for m in graph.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(hook)
    with torch.no_grad():
        values = graph.eval()(*xs)
    return sum(macs), values


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_generated_graphs_match_pytorch(case):
    inputs, layers, nodes, n_inputs = case
    spec_inputs = {f"x{k}": shape for k, shape in enumerate(inputs)}
    if nodes is None:  # a concatenation of different sizes
        with pytest.raises(SolveError, match="every axis but the joined one"):
            solve_graph(layers, inputs=spec_inputs)
        return
    outputs = [layer["name"] for layer in layers]
    solution = solve_graph(layers, inputs=spec_inputs, outputs=outputs)
    graph = Graph(nodes)
    xs = [torch.zeros(1, s[2], s[0], s[1]) for s in inputs]
    macs, values = macs_of(graph, xs)
    assert solution.answers["total_params"].value == sum(p.numel() for p in graph.parameters())
    assert solution.answers["total_macs"].value == macs
    shapes = [solution.answers["output_shape" if k == 1 else f"output_shape_{k}"].value
              for k in range(1, len(layers) + 1)]
    assert [tuple(s) for s in shapes] == [(*v.shape[2:], v.shape[1]) for v in values[n_inputs:]]


# ---------------------------------------------------------------------------------------------
# Mistakes in a graph: one line naming the layer and the shapes

conv = {"type": "conv2d", "filters": 4, "kernel": 3}

ERRORS = [
    ([{**conv, "name": "a", "inputs": ["c"]}, {**conv, "padding": 1, "name": "b"},
      {"type": "add", "name": "c", "inputs": ["b", "b"]}], "layers[0].inputs",
     "conv2d: its inputs form a cycle: 1 (a) → 2 (b) → 3 (c) → 1 (a)"),
    ([{**conv, "name": "a"}, {"type": "concatenate", "inputs": ["a", "input"]}], "layers[1].inputs",
     "concatenate: its inputs are 6 × 6 × 4, 8 × 8 × 3; every axis but the joined one (channels) must agree"),
    ([{**conv, "name": "a", "padding": 1}, {"type": "add", "inputs": ["a", "input"]}], "layers[1].inputs",
     "add: its inputs are 8 × 8 × 4, 8 × 8 × 3; they must have one shape to be added"),
    ([{**conv, "name": "a"}, {"type": "add", "inputs": ["a", "bogus"]}], "layers[1].inputs[1]",
     "add: 'bogus' names no layer or input here (the names are: input, a)"),
    ([{**conv, "name": "a"}, {**conv, "name": "a"}, {"type": "add", "inputs": ["a", "a"]}], "layers[2].inputs[0]",
     "add: 'a' names more than one layer (or input); give them different names"),
    ([{"type": "concatenate"}], "layers[0].inputs", "concatenate: joins two or more inputs; name them in 'inputs' "
                                                    "(it has 1)"),
    ([{**conv, "name": "a"}, {**conv, "inputs": ["a", "input"]}], "layers[1].inputs",
     "conv2d: takes one input, but its inputs are 6 × 6 × 4, 8 × 8 × 3; join them with a concatenate or add "
     "layer first"),
    ([{**conv, "name": "a"}, {"type": "apply", "layer": "a"}], "layers[1]",
     "apply: 'a' was built for an input of 8 × 8 × 3; its weights do not fit this input of 6 × 6 × 4"),
    ([{**conv, "name": "a"}, {"type": "apply", "layer": "input"}], "layers[1].layer",
     "apply: 'input' is an input, not a layer"),
    ([{**conv, "name": "a"}, {"type": "concatenate", "axis": 5, "inputs": ["a", "a"]}], "layers[1].axis", None),
]


@pytest.mark.parametrize("layers,field,message", ERRORS)
def test_graph_errors_name_the_layer_and_shapes(layers, field, message):
    with pytest.raises(NnsolveError) as caught:
        solve_graph(layers, input=[8, 8, 3])
    assert caught.value.field == field if isinstance(caught.value, SolveError) else field in str(caught.value)
    if message is not None:
        assert message in str(caught.value)


def test_several_inputs_need_named_inputs():
    with pytest.raises(SolveError, match=r"the network has 2 inputs \(a, b\); say which this layer takes"):
        solve_graph([conv], inputs={"a": [8, 8, 3], "b": [8, 8, 3]})


def test_unknown_output_name():
    with pytest.raises(SolveError, match="'z' names no layer"):
        solve_graph([{**conv, "name": "a"}], input=[8, 8, 3], outputs=["z"])


def test_concatenate_along_another_axis():
    # Height: 8 + 6 rows once the channels agree (4 and 4): axis 0 of H × W × C.
    layers = [{**conv, "name": "a", "filters": 3, "padding": [0, 1]},
              {"type": "concatenate", "axis": 0, "inputs": ["input", "a"]}]
    assert solve_graph(layers, input=[8, 8, 3]).answers["output_shape"].value == (14, 8, 3)


def test_a_thousand_layer_graph_solves_in_well_under_a_second():
    layers = []
    for i in range(500):
        previous = f"j{i - 1}" if i else "input"
        layers.append({"type": "conv2d", "name": f"c{i}", "filters": 4, "kernel": 3, "padding": 1,
                       "inputs": [previous]})
        layers.append({"type": "add", "name": f"j{i}", "inputs": [f"c{i}", previous if i else f"c{i}"]})
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": [16, 16, 4], "layers": layers, "ask": "total_macs"})
    spec = load_text(text).spec
    start = time.perf_counter()
    solution = solve(spec)
    assert time.perf_counter() - start < 1.0
    assert solution.answers["total_params"].value == 500 * (9 * 4 * 4 + 4)


# ---------------------------------------------------------------------------------------------
# Every worked substitution evaluates to the value it states

from nnsolve.expr import evaluate  # noqa: E402

NEW_LAYERS = [
    {"type": "conv3d", "filters": 2, "kernel": [1, 3, 3], "padding": [0, 1, 1], "inputs": ["volume"]},
    {"type": "conv1d", "filters": 3, "kernel": 4, "stride": 2, "padding": "same", "inputs": ["sequence"]},
    {"type": "dense", "units": 5},
    {"type": "upsample", "scale": [2, 3], "inputs": ["image"]},
    {"type": "max_pool", "window": 3, "stride": 2, "ceil_mode": True},
    {"type": "zero_padding2d", "padding": [[1, 0], [0, 2]]},
    {"type": "group_norm", "groups": 3},
    {"type": "adaptive_avg_pool", "size": [2, 3]},
    {"type": "permute", "dims": [3, 1, 2]},
    {"type": "reshape", "shape": [-1]},
]


@pytest.mark.parametrize("path", sorted(p.name for p in (PROBLEMS / "arch").glob("*.yaml")))
def test_every_substitution_equals_its_value(path):
    for ask in ("total_macs", "receptive_field", "peak_activation_bytes"):
        data = yaml.safe_load((PROBLEMS / "arch" / path).read_text())
        data["ask"] = ask
        try:
            solution = solve(load_text(yaml.safe_dump(data)).spec)
        except SolveError:  # no receptive field through a flatten or a transposed convolution
            continue
        for step in solution.steps:
            if step.substitution is not None:
                assert evaluate(step.substitution) == step.value, step.title


def test_new_layers_substitutions_equal_their_values():
    solution = solve_graph(NEW_LAYERS, inputs={"volume": [3, 6, 6, 2], "sequence": [9, 4], "image": [5, 4, 3]},
                           ask="total_macs", batch=2)
    for step in solution.steps:
        if step.substitution is not None:
            assert evaluate(step.substitution) == step.value, step.title


# ---------------------------------------------------------------------------------------------
# torchinfo's own expected outputs (TylerYep/torchinfo, tests/test_output), written as problems

def test_torchinfo_siamese_net():
    """siamese_net.out: one encoder applied to two 88×88 images (its layers shown "(recursive)"),
    |x1 − x2| and a 1-unit linear layer. Total params 2,251,585; "Total mult-adds (G): 1.06", which
    counts each application, plus a bias per output value (see the README): nnsolve's MACs and
    those bias terms must round to it."""
    encoder = [("c1", {"type": "conv2d", "filters": 64, "kernel": 10}), ("p1", {"type": "max_pool", "window": 2}),
               ("c2", {"type": "conv2d", "filters": 128, "kernel": 7}), ("p2", {"type": "max_pool", "window": 2}),
               ("c3", {"type": "conv2d", "filters": 128, "kernel": 4}), ("p3", {"type": "max_pool", "window": 2}),
               ("c4", {"type": "conv2d", "filters": 256, "kernel": 4}), ("p4", {"type": "max_pool", "window": 2}),
               ("f", {"type": "flatten"}), ("fc", {"type": "dense", "units": 4096})]
    layers = [{**layer, "name": name} for name, layer in encoder]
    layers[0]["inputs"] = ["x1"]
    for k, (name, layer) in enumerate(encoder):
        shared = {"type": "apply", "layer": name, "name": f"{name}'"} if "filters" in layer or "units" in layer \
            else {**layer, "name": f"{name}'"}
        if k == 0:
            shared["inputs"] = ["x2"]
        layers.append(shared)
    layers += [{"type": "subtract", "inputs": ["fc", "fc'"]}, {"type": "dense", "units": 1}]
    solution = solve_graph(layers, inputs={"x1": [88, 88, 1], "x2": [88, 88, 1]}, ask="total_macs")
    assert solution.answers["total_params"].value == 2_251_585
    table = next(b for b in solution.blocks if isinstance(b, Table))
    biases = sum(math.prod(r[1]) for r in table.rows[:-1] if r[3])  # one per output value of each conv/dense call
    assert round((solution.answers["total_macs"].value + biases) / 1e9, 2) == 1.06


def resnet18_layers(frozen_stages: int):
    """ResNet-18 (torchvision's BasicBlock) with the stem and the first ``frozen_stages`` stages frozen."""
    frozen = frozen_stages > 0
    layers = [{"type": "conv2d", "filters": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False,
               "trainable": not frozen}, {"type": "batch_norm", "trainable": not frozen},
              {"type": "activation", "function": "relu"}, {"type": "max_pool", "window": 3, "stride": 2, "padding": 1}]
    channels = 64
    for stage, width in enumerate([64, 128, 256, 512]):
        for block in range(2):
            stride = 2 if stage and not block else 1
            main = [{"type": "conv2d", "filters": width, "kernel": 3, "stride": stride, "padding": 1, "bias": False},
                    {"type": "batch_norm"}, {"type": "activation", "function": "relu"},
                    {"type": "conv2d", "filters": width, "kernel": 3, "padding": 1, "bias": False},
                    {"type": "batch_norm"}]
            residual = {"type": "residual", "layers": main, "trainable": stage >= frozen_stages}
            if stride != 1 or channels != width:
                residual["shortcut"] = [{"type": "conv2d", "filters": width, "kernel": 1, "stride": stride,
                                         "bias": False}, {"type": "batch_norm"}]
            layers += [residual, {"type": "activation", "function": "relu"}]
            channels = width
    return layers + [{"type": "global_avg_pool"}, {"type": "dense", "units": 1000}]


def test_torchinfo_frozen_layers():
    """frozen_layers.out: ResNet-18 on 64×64 with the stem, layer1 and layer2 frozen: Total params
    11,689,512, Trainable 11,006,440, Non-trainable 683,072 (PyTorch has no running statistics among
    its parameters: torchinfo's non-trainable are nnsolve's frozen); conv1's Mult-Adds 9,633,792."""
    solution = solve_graph(resnet18_layers(2), input=[64, 64, 3], ask="trainable_params")
    answers = solution.answers
    assert answers["total_params"].value == 11_689_512
    assert answers["trainable_params"].value == 11_006_440
    table = next(b for b in solution.blocks if isinstance(b, Table))
    assert table.columns[3] == "Frozen" and table.rows[-1][3] == 683_072
    assert table.rows[0][4] == 9_633_792


def test_variants_of_sharing_and_freezing():
    from nnsolve.solve import variants

    spec = load_text((PROBLEMS / "arch/siamese.yaml").read_text()).spec
    found = {v.mistake: v.answers for v in variants(spec)}
    # Counting the shared conv (80) and dense (43,296) again: 43,441 + 43,376.
    assert found["counted a shared layer's parameters again each time it is applied"]["total_params"] == 86_817
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": [4, 4, 1], "layers": [
        {"type": "conv2d", "filters": 2, "kernel": 3, "trainable": False}, {"type": "flatten"},
        {"type": "dense", "units": 1}]})
    found = {v.mistake: v.answers for v in variants(load_text(text).spec)}
    # conv 2·(9 + 1) = 20 frozen; dense 8 + 1 = 9: a total of 29, of which 9 without the frozen ones.
    assert found["left the frozen layers (trainable: false) out of the total parameters"] == {"total_params": 9}
