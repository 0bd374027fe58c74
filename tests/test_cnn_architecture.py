"""cnn_architecture: hand-worked tables, and generated architectures checked against PyTorch.

Expected values below are worked out by hand in the comments (or come from the issue text);
the generated cases compare shapes, parameter counts and per-layer MACs with torch.nn modules
built from the same spec. Nothing here is copied from nnsolve's own output.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from nnsolve.errors import SolveError
from nnsolve.expr import evaluate
from nnsolve.loader import load_text
from nnsolve.solution import Table
from nnsolve.solve import solve, variants
from tests.conftest import PROBLEMS, ROOT
from tests.helpers import solve_file


def spec_of(input_shape, layers, **extra):
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": list(input_shape), "layers": layers, **extra},
                          sort_keys=False)
    return load_text(text, file="test.yaml").spec


def solve_arch(input_shape, layers, **extra):
    return solve(spec_of(input_shape, layers, **extra))


# ---------------------------------------------------------------------------------------------
# Worked by hand

CASES = [
    # s03: conv (7·7·3 + 1)·16 = 2,368; 64 − 7 + 1 = 58, pooled 29; 29·29·16 = 13,456;
    # 13,456·16 + 16 = 215,312; 16·10 + 10 = 170; total 217,850 (option d).
    ("seed/s03-cnn-params.yaml", {"total_params": 217_850, "flatten_size": 13_456}, "d"),
    # s09: 16 − 3 + 1 = 14, pooled 7; 7·7·16 = 784; 3 classes (option b).
    ("seed/s09-cnn-shapes.yaml", {"flatten_size": 784, "output_size": 3}, "b"),
    # LeNet-5: (25 + 1)·6 = 156; (150 + 1)·16 = 2,416; 5·5·16 = 400; 400·120 + 120 = 48,120;
    # 120·84 + 84 = 10,164; 84·10 + 10 = 850; total 61,706.
    ("cnn/lenet5.yaml", {"total_params": 61_706, "flatten_size": 400, "output_size": 10}, None),
    # VGG block on 32×32×64: (9·64 + 1)·128 = 73,856; (9·128 + 1)·128 = 147,584; pool → 16×16×128.
    ("cnn/vgg-block.yaml", {"total_params": 221_440, "output_shape": (16, 16, 128)}, None),
    # MobileNet block on 112×112×32: depthwise 3·3·32 = 288, BN 64; pointwise 32·64 = 2,048, BN 128.
    ("cnn/mobilenet-block.yaml", {"total_params": 2_528, "output_shape": (112, 112, 64),
                                  "total_macs": 112 * 112 * 32 * 9 + 112 * 112 * 64 * 32}, None),
    ("arch/vgg16.yaml", {"total_params": 138_357_544, "output_size": 1000}, None),  # from the issue
    ("arch/resnet50.yaml", {"total_params": 25_557_032, "output_size": 1000}, None),  # from the issue
]


@pytest.mark.parametrize("path,expected,choice", CASES, ids=[c[0] for c in CASES])
def test_problem_files(path, expected, choice):
    solution = solve_file(PROBLEMS / path)
    for name, value in expected.items():
        assert solution.answers[name].value == value, name
    if choice is not None:
        assert solution.choice.key == choice and solution.choice.exact


INLINE = [
    # Stride and padding: ⌊(32 + 2·2 − 5)/2⌋ + 1 = 16; (5·5·3 + 1)·8 = 608.
    ([32, 32, 3], [{"type": "conv2d", "filters": 8, "kernel": 5, "stride": 2, "padding": 2}],
     {"output_shape": (16, 16, 8), "total_params": 608}),
    # Padding as a pair (height 1, width 0): 10 + 2 − 3 + 1 = 10, 10 − 3 + 1 = 8.
    ([10, 10, 1], [{"type": "conv2d", "filters": 2, "kernel": 3, "padding": [1, 0]}], {"output_shape": (10, 8, 2)}),
    # 'same' with stride 2 (TensorFlow): ⌈7/2⌉ = 4, whatever the kernel.
    ([7, 7, 1], [{"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2, "padding": "same"}],
     {"output_shape": (4, 4, 4)}),
    ([8, 5, 1], [{"type": "conv2d", "filters": 1, "kernel": 4, "stride": 3, "padding": "same"}],
     {"output_shape": (3, 2, 1)}),
    # 'same' with an even kernel at stride 1 keeps the size (padding 1 before, 2 after).
    ([6, 6, 2], [{"type": "conv2d", "filters": 3, "kernel": 4, "padding": "same"}], {"output_shape": (6, 6, 3)}),
    # Dilation 2 makes a 3×3 kernel span 5: 10 − 5 + 1 = 6 and 12 − 5 + 1 = 8 (the width too).
    ([10, 12, 1], [{"type": "conv2d", "filters": 1, "kernel": 3, "dilation": 2}], {"output_shape": (6, 8, 1)}),
    # Groups: 3·3·(4/2)·8 + 8 = 152 parameters; MACs 8·8·8·(3·3·2) = 9,216.
    ([8, 8, 4], [{"type": "conv2d", "filters": 8, "kernel": 3, "padding": 1, "groups": 2}],
     {"total_params": 152, "total_macs": 9_216}),
    # Depthwise, multiplier 2, no bias: 3·3·1·8 = 72; 6·6 outputs per channel.
    ([8, 8, 4], [{"type": "depthwise_conv2d", "kernel": 3, "multiplier": 2, "bias": False}],
     {"total_params": 72, "output_shape": (6, 6, 8)}),
    # Pooling with stride and padding: ⌊(9 + 2 − 3)/2⌋ + 1 = 5.
    ([9, 9, 2], [{"type": "max_pool", "window": 3, "stride": 2, "padding": 1}], {"output_shape": (5, 5, 2)}),
    # Batch norm 2·6 = 12; global average pooling → 6; dense without bias 6·10 = 60.
    ([4, 4, 6], [{"type": "batch_norm"}, {"type": "global_avg_pool"}, {"type": "dense", "units": 10, "bias": False}],
     {"total_params": 72, "output_shape": (10,)}),
    # s07's regular convolution: 12·12·64·(5·5·3) = 691,200 MACs per image.
    ([16, 16, 3], [{"type": "conv2d", "filters": 64, "kernel": 5}], {"total_macs": 691_200}),
    # Identity residual block: 2·(3·3·4·4) + 2·(2·4) = 304; the shape is kept.
    ([8, 8, 4], [{"type": "residual", "layers": [
        {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "bias": False}, {"type": "batch_norm"},
        {"type": "activation", "function": "relu"},
        {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "bias": False}, {"type": "batch_norm"}]}],
     {"total_params": 304, "output_shape": (8, 8, 4)}),
    # Projection shortcut 1×1 stride 2: main 3·3·4·8 + 8 = 296, shortcut 4·8 + 8 = 40; 8×8 → 4×4.
    ([8, 8, 4], [{"type": "residual", "layers": [{"type": "conv2d", "filters": 8, "kernel": 3, "stride": 2,
                                                  "padding": "same"}],
                  "shortcut": [{"type": "conv2d", "filters": 8, "kernel": 1, "stride": 2}]}],
     {"total_params": 336, "output_shape": (4, 4, 8)}),
    # Dense-only network on [features]: 4·3 + 3 = 15.
    ([4], [{"type": "dense", "units": 3}], {"total_params": 15, "output_size": 3}),
]


@pytest.mark.parametrize("input_shape,layers,expected", INLINE)
def test_inline_architectures(input_shape, layers, expected):
    solution = solve_arch(input_shape, layers)
    for name, value in expected.items():
        assert solution.answers[name].value == value, name


def test_shape_after_a_layer():
    # 28 − 5 + 1 = 24, pooled to 12.
    solution = solve_arch([28, 28, 1], [{"type": "conv2d", "filters": 6, "kernel": 5},
                                        {"type": "max_pool", "window": 2}, {"type": "flatten"}],
                          ask="shape_after", layer=2)
    assert solution.answer == (12, 12, 6)


@pytest.mark.parametrize("path", ["seed/s03-cnn-params.yaml", "cnn/lenet5.yaml", "cnn/mobilenet-block.yaml",
                                  "arch/resnet50.yaml"])
def test_every_substitution_equals_its_value(path):
    for step in solve_file(PROBLEMS / path).steps:
        if step.substitution is not None:
            assert evaluate(step.substitution) == step.value, step.title


def test_resnet50_worked_solution_stays_short():
    # One summary step per residual block, not one per inner layer.
    assert len(solve_file(PROBLEMS / "arch/resnet50.yaml").steps) < 40


# ---------------------------------------------------------------------------------------------
# Errors: each names the layer field

ERRORS = [
    ([5, 5, 1], [{"type": "conv2d", "filters": 1, "kernel": 7}], "layers[0].kernel", "spans 7 pixels"),
    ([4, 4, 1], [{"type": "conv2d", "filters": 1, "kernel": 3, "dilation": 2}], "layers[0].kernel", "spans 5"),
    ([3, 3, 1], [{"type": "max_pool", "window": 2}, {"type": "max_pool", "window": 2}], "layers[1].window", "spans 2"),
    ([8, 8, 3], [{"type": "conv2d", "filters": 4, "kernel": 3, "groups": 2}], "layers[0].groups", "must divide"),
    ([8, 8, 4], [{"type": "conv2d", "filters": 6, "kernel": 3, "groups": 4}], "layers[0].groups", "must divide"),
    ([8, 8, 2], [{"type": "max_pool", "window": 2, "padding": 2}], "layers[0].padding", "more than half"),
    ([8, 8, 2], [{"type": "conv2d", "filters": 3, "kernel": 3, "padding": 1},
                 {"type": "residual", "layers": [{"type": "conv2d", "filters": 3, "kernel": 3}]}],
     "layers[1]", "identity shortcut"),
    ([8, 8, 2], [{"type": "residual", "layers": [{"type": "conv2d", "filters": 4, "kernel": 1}],
                  "shortcut": [{"type": "conv2d", "filters": 4, "kernel": 1, "stride": 2}]}],
     "layers[0]", "8 × 8 × 4 but the shortcut gives 4 × 4 × 4"),
    ([8, 8, 2], [{"type": "residual", "layers": [{"type": "flatten"}, {"type": "conv2d", "filters": 1, "kernel": 1}]}],
     "layers[0].layers[1]", "needs a height × width × channels input"),
    ([8], [{"type": "global_avg_pool"}], "layers[0]", "needs a height × width × channels input"),
]


@pytest.mark.parametrize("input_shape,layers,field,message", ERRORS)
def test_errors_name_the_layer_field(input_shape, layers, field, message):
    with pytest.raises(SolveError) as info:
        solve_arch(input_shape, layers)
    assert info.value.field == field
    assert message in info.value.message


def test_cli_error_message(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("topic: cnn_architecture\ninput: [5, 5, 1]\nlayers:\n"
                   "  - {type: conv2d, filters: 1, kernel: 7}\n")
    result = subprocess.run([sys.executable, "-m", "nnsolve", "run", str(bad)], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"{bad}:4: layers[0].kernel (Layer 1): conv2d: the kernel spans 7 pixels but its padded "
                             f"input is only 5 (5 + 0 + 0); nothing to slide it over\n")


# ---------------------------------------------------------------------------------------------
# Common mistakes: each variant reproduces the number it claims

S03_LAYERS = [{"type": "conv2d", "filters": 16, "kernel": 7}, {"type": "max_pool", "window": 2},
              {"type": "flatten"}, {"type": "dense", "units": 16}, {"type": "dense", "units": 10}]

VARIANTS = [
    # weights only: 7·7·3·16 + 13,456·16 + 16·10 = 2,352 + 215,296 + 160.
    ([64, 64, 3], S03_LAYERS, "forgot the biases", 217_808),
    # no pooling: 58·58·16 = 53,824; 53,824·16 + 16 = 861,200; + 2,368 + 170.
    ([64, 64, 3], S03_LAYERS, "forgot the pooling", 863_738),
    # 'same': 64 → pooled 32; 32·32·16·16 + 16 = 262,160; + 2,368 + 170.
    ([64, 64, 3], S03_LAYERS, "used 'same' padding", 264_698),
    # K·K·F: 7·7·16 + 16 = 800; + 215,312 + 170 = 216,282 (s03's option c).
    ([64, 64, 3], S03_LAYERS, "left the input channels out", 216_282),
    # the hidden layer's 16 biases on the output layer: 217,850 − 10 + 16.
    ([64, 64, 3], S03_LAYERS, "added the previous layer's 16 biases", 217_856),
    # 'same' read as no padding: 10 − 3 + 1 = 8; 8·8·2 = 128; (9 + 1)·2 = 20; 128·3 + 3 = 387.
    ([10, 10, 1], [{"type": "conv2d", "filters": 2, "kernel": 3, "padding": "same"}, {"type": "flatten"},
                   {"type": "dense", "units": 3}], "used no padding", 407),
    # running statistics counted: BN 4·8 = 32 instead of 16; conv (9·3 + 1)·8 = 224.
    ([6, 6, 3], [{"type": "conv2d", "filters": 8, "kernel": 3}, {"type": "batch_norm"}],
     "counted batch normalization's running", 256),
    # biases forgotten inside a residual block too: 2·(3·3·4·4) = 288.
    ([8, 8, 4], [{"type": "residual", "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": 1},
                                                 {"type": "conv2d", "filters": 4, "kernel": 3, "padding": 1}]}],
     "forgot the biases", 288),
]


@pytest.mark.parametrize("input_shape,layers,mistake,total", VARIANTS)
def test_variant_reproduces_its_number(input_shape, layers, mistake, total):
    found = [v for v in variants(spec_of(input_shape, layers)) if v.mistake.startswith(mistake)]
    assert len(found) == 1, [v.mistake for v in variants(spec_of(input_shape, layers))]
    assert found[0].answers["total_params"] == total


def test_variants_only_when_they_change_the_answer():
    # No bias, no pooling, no padding, one input channel: nothing to get wrong that way.
    spec = spec_of([6, 6, 1], [{"type": "conv2d", "filters": 2, "kernel": 1, "bias": False}])
    assert variants(spec) == []


# ---------------------------------------------------------------------------------------------
# The oracle: torch.nn modules built from the same spec

torch.set_num_threads(1)  # tiny tensors: threads only contend on a shared 2-core machine

def _tf_same(size, k, s, d=1):
    """TensorFlow's 'same' padding on one axis (tf.nn docs): (before, after)."""
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class Unit(nn.Sequential):
    """The torch modules for one spec layer, so that a hook sees one output per layer."""


class Residual(nn.Module):
    def __init__(self, main, shortcut):
        super().__init__()
        self.main, self.shortcut = main, shortcut

    def forward(self, x):
        a, b = self.main(x), self.shortcut(x)
        if a.shape != b.shape:
            raise RuntimeError("residual shapes differ")
        return a + b


def _padded(layer, x, window, stride, dilation):
    """Torch's own padding where it has one; TensorFlow's 'same' as explicit zero padding where
    torch has none (convolution with stride > 1, pooling)."""
    pad = layer.get("padding", 0)
    torch_has_same = stride == (1, 1) and "conv" in layer["type"]
    if pad == "same" and not torch_has_same:
        (t, b), (l, r) = (_tf_same(x.shape[2 + a], window[a], stride[a], dilation[a]) for a in (0, 1))
        return [nn.ZeroPad2d((l, r, t, b))], 0
    if pad == "valid":
        return [], 0
    return [], pad if pad == "same" else _pair(pad)


def torch_layers(layers, x):
    """Build torch modules for ``layers`` one at a time (each knows its input from ``x``)."""
    units = []
    for layer in layers:
        kind = layer["type"]
        if kind == "residual":
            main = torch_layers(layer["layers"], x)
            short = torch_layers(layer["shortcut"], x) if layer.get("shortcut") else nn.Identity()
            module = Residual(main, short)
        elif kind in ("conv2d", "depthwise_conv2d"):
            c = x.shape[1]
            k, s, d = _pair(layer["kernel"]), _pair(layer.get("stride", 1)), _pair(layer.get("dilation", 1))
            groups = c if kind == "depthwise_conv2d" else layer.get("groups", 1)
            out = c * layer.get("multiplier", 1) if kind == "depthwise_conv2d" else layer["filters"]
            pre, pad = _padded(layer, x, k, s, d)
            module = Unit(*pre, nn.Conv2d(c, out, k, s, pad, d, groups, bias=layer.get("bias", True)))
        elif kind in ("max_pool", "avg_pool"):
            k = _pair(layer["window"])
            s = _pair(layer.get("stride") or layer["window"])
            pre, pad = _padded(layer, x, k, s, (1, 1))
            pool = nn.MaxPool2d(k, s, pad) if kind == "max_pool" else nn.AvgPool2d(k, s, pad)
            module = Unit(*pre, pool)
        elif kind == "global_avg_pool":
            if x.dim() != 4:
                raise RuntimeError("global pooling needs an image")
            module = Unit(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        elif kind == "flatten":
            module = Unit(nn.Flatten())
        elif kind == "dense":
            if x.dim() != 2:
                raise RuntimeError("dense needs a vector")  # torch would apply it to the last axis
            module = Unit(nn.Linear(x.shape[1], layer["units"], bias=layer.get("bias", True)))
        elif kind == "batch_norm":
            module = Unit(nn.BatchNorm2d(x.shape[1]) if x.dim() == 4 else nn.BatchNorm1d(x.shape[1]))
        else:
            module = Unit(nn.Dropout(), nn.ReLU()) if kind == "dropout" else Unit(nn.Identity())
        module.eval()
        x = module(x)
        units.append(module)
    return nn.Sequential(*units)


def torch_rows(input_shape, layers, device="cpu"):
    """(shape, own params, MACs) per layer in nnsolve's table order, and the total parameters."""
    shape = (1, input_shape[2], input_shape[0], input_shape[1]) if len(input_shape) == 3 else (1, input_shape[0])
    with torch.device(device), torch.no_grad():  # meta: shapes without arithmetic
        x = torch.zeros(shape)
        model = torch_layers(layers, x).eval()
        rows = []

        def hook(module, inputs, output):
            if isinstance(module, Residual):
                params, macs = 0, 0
            else:
                params = sum(p.numel() for p in module.parameters())
                macs = 0
                for m in module.modules():
                    if isinstance(m, nn.Conv2d):
                        macs += output.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                    elif isinstance(m, nn.Linear):
                        macs += m.in_features * m.out_features
            hwc = tuple(output.shape[1:]) if output.dim() == 2 else (*output.shape[2:], output.shape[1])
            rows.append((hwc, params, macs))

        for m in model.modules():
            if isinstance(m, (Unit, Residual)):
                m.register_forward_hook(hook)
        model(x)
    return rows, sum(p.numel() for p in model.parameters())


def nnsolve_rows(solution):
    table = next(b for b in solution.blocks if isinstance(b, Table))
    return [(tuple(r[1]), r[2], r[3]) for r in table.rows[:-1]]


# Small random architectures. Most are valid; the rest must be refused by nnsolve and by torch alike.

pairs = lambda lo, hi: st.one_of(st.integers(lo, hi), st.lists(st.integers(lo, hi), min_size=2, max_size=2))
paddings = st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=2, max_size=2),
                     st.sampled_from(["same", "same", "valid"]))


def conv_layers(channels):
    conv = st.fixed_dictionaries(
        {"type": st.just("conv2d"), "filters": st.integers(1, 6), "kernel": pairs(1, 4)},
        optional={"stride": pairs(1, 3), "padding": paddings, "dilation": pairs(1, 2),
                  "groups": st.sampled_from([1, 1, 2, channels]), "bias": st.booleans()})
    depthwise = st.fixed_dictionaries(
        {"type": st.just("depthwise_conv2d"), "kernel": pairs(1, 3)},
        optional={"multiplier": st.integers(1, 2), "stride": pairs(1, 2), "padding": paddings,
                  "dilation": pairs(1, 2), "bias": st.booleans()})
    pool = st.fixed_dictionaries(
        {"type": st.sampled_from(["max_pool", "avg_pool"]), "window": pairs(1, 3)},
        optional={"stride": pairs(1, 3), "padding": st.one_of(st.integers(0, 1), st.sampled_from(["same", "valid"]))})
    plain = st.fixed_dictionaries({"type": st.sampled_from(["batch_norm", "dropout"])})
    return st.one_of(conv, conv, depthwise, pool, plain)


@st.composite
def residual_blocks(draw, channels):
    filters, stride = draw(st.integers(1, 6)), draw(st.integers(1, 2))
    main = [{"type": "conv2d", "filters": filters, "kernel": draw(st.sampled_from([1, 3])), "stride": stride,
             "padding": "same", "bias": False}, {"type": "batch_norm"}]
    block = {"type": "residual", "layers": main}
    if stride != 1 or filters != channels or draw(st.booleans()):
        block["shortcut"] = [{"type": "conv2d", "filters": filters, "kernel": 1, "stride": stride, "bias": False}]
    return block


@st.composite
def architectures(draw):
    input_shape = [draw(st.integers(4, 12)), draw(st.integers(4, 12)), draw(st.integers(1, 4))]
    layers = [draw(st.one_of(conv_layers(input_shape[2]), residual_blocks(input_shape[2])))
              for _ in range(draw(st.integers(1, 4)))]
    tail = draw(st.sampled_from(["none", "flatten", "global_avg_pool"]))
    if tail != "none":
        layers.append({"type": tail})
        for _ in range(draw(st.integers(0, 2))):
            layers.append({"type": "dense", "units": draw(st.integers(1, 8)), "bias": draw(st.booleans())})
            if draw(st.booleans()):
                layers.append({"type": "batch_norm"})
    return input_shape, layers


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(architectures())
def test_generated_architectures_match_pytorch(arch):
    input_shape, layers = arch
    try:
        solution = solve_arch(input_shape, layers)
    except SolveError:
        with pytest.raises((RuntimeError, ValueError)):
            torch_rows(input_shape, layers)
        return
    rows, total = torch_rows(input_shape, layers)
    assert nnsolve_rows(solution) == rows
    assert solution.answers["total_params"].value == total
    assert solution.answers["total_macs"].value == sum(r[2] for r in rows)


def vgg16():
    """VGG-16 (configuration D) in plain torch.nn, as torchvision writes it."""
    layers, c = [], 3
    for n, f in [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]:
        for _ in range(n):
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU()]
            c = f
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000))


class Bottleneck(nn.Module):
    def __init__(self, c_in, width, stride):
        super().__init__()
        out = 4 * width
        self.main = nn.Sequential(nn.Conv2d(c_in, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out))
        self.shortcut = nn.Identity() if stride == 1 and c_in == out else nn.Sequential(
            nn.Conv2d(c_in, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        return torch.relu(self.main(x) + self.shortcut(x))


def resnet50():
    """ResNet-50 (v1.5, as torchvision: stride on the 3×3 convolution) in plain torch.nn."""
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    c = 64
    for blocks, width, stride in [(3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)]:
        for b in range(blocks):
            layers.append(Bottleneck(c, width, stride if b == 0 else 1))
            c = 4 * width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000))


def params_and_macs(model, input_shape):
    """Parameters and multiply-accumulates of a torch model, counted with forward hooks on meta tensors."""
    macs = []

    def hook(m, inputs, output):
        if isinstance(m, nn.Conv2d):
            macs.append(output.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1])
        else:
            macs.append(m.in_features * m.out_features)

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, *input_shape, device="meta"))
    return sum(p.numel() for p in model.parameters()), sum(macs)


@pytest.mark.parametrize("path,build,params,giga_macs", [("arch/vgg16.yaml", vgg16, 138_357_544, 15.5),
                                                         ("arch/resnet50.yaml", resnet50, 25_557_032, 4.1)])
def test_large_architectures_match_pytorch(path, build, params, giga_macs):
    solution = solve_file(PROBLEMS / path)
    with torch.device("meta"):  # shapes without arithmetic: no 15 G MACs on a shared machine
        model = build()
    torch_params, torch_macs = params_and_macs(model, (3, 224, 224))
    assert torch_params == params == solution.answers["total_params"].value
    assert solution.answers["total_macs"].value == torch_macs
    assert round(torch_macs / 1e9, 1) == giga_macs
    # Layer by layer too, against torch modules built from the problem file itself.
    data = yaml.safe_load((PROBLEMS / path).read_text())
    rows, total = torch_rows(data["input"], data["layers"], device="meta")
    assert nnsolve_rows(solution) == rows and total == params


def test_a_mistake_that_changes_nothing_is_not_a_variant():
    # Forgetting a 1×1 pooling with stride 1 gives the same network.
    spec = spec_of([6, 6, 1], [{"type": "conv2d", "filters": 2, "kernel": 1, "bias": False},
                               {"type": "max_pool", "window": 1}])
    assert variants(spec) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=st.integers(1, 6), w=st.integers(1, 6), groups=st.sampled_from([1, 2]), c=st.integers(1, 3),
       f=st.integers(1, 3), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), op=st.integers(0, 2),
       bias=st.booleans())
def test_conv_transpose2d_against_torch(h, w, groups, c, f, k, s, p, op, bias):
    """conv_transpose2d's output shape and parameters from nn.ConvTranspose2d itself; its MACs are
    every input value times every kernel weight it meets (C_in · K² · C_out / groups per input pixel)."""
    c, f = c * groups, f * groups
    if op >= s:
        op = s - 1  # torch: output padding must be smaller than the stride
    layer = {"type": "conv_transpose2d", "filters": f, "kernel": k, "stride": s, "padding": p,
             "output_padding": op, "groups": groups, "bias": bias}
    module = nn.ConvTranspose2d(c, f, k, s, p, op, groups=groups, bias=bias)
    try:  # torch says what the output is; an output of no pixels is an error in nnsolve
        with torch.no_grad():
            out = module(torch.zeros(1, c, h, w)).shape
    except RuntimeError:
        out = None
    if out is not None and 0 in out:
        out = None
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": [h, w, c], "layers": [layer], "ask": "total_params"})
    if out is None:
        with pytest.raises(SolveError):
            solve(load_text(text).spec)
        return
    solution = solve(load_text(text).spec)
    assert solution.answers["total_params"].value == sum(t.numel() for t in module.parameters())
    assert solution.answers["output_size"].value == out[1] * out[2] * out[3]
    assert solution.answers["total_macs"].value == h * w * c * k * k * f // groups
