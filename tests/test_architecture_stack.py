"""Answers about a whole stack (issue 14, point 5): receptive field and effective stride (checked
against torch autograd: the input pixels one output's gradient reaches), the padding 'same' needs,
the memory of the feature maps and parameters, and a batch's MACs (worked by hand).
"""

from __future__ import annotations

import pytest
import torch
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

from nnsolve.errors import NnsolveError
from nnsolve.loader import load_text
from nnsolve.solution import Table
from nnsolve.solve import solve
from tests.conftest import PROBLEMS

torch.set_num_threads(1)


def solve_arch(input_shape, layers, **extra):
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": list(input_shape), "layers": layers, **extra},
                          sort_keys=False)
    return solve(load_text(text, file="test.yaml").spec)


# ---------------------------------------------------------------------------------------------
# Receptive field

def test_vgg16_receptive_fields():
    # The published values (e.g. Araujo et al., "Computing receptive fields of CNNs", Distill 2019):
    # conv5_3 (layer 29) sees 196 pixels with an effective stride of 16; pool5 (layer 31) 212 and 32.
    data = yaml.safe_load((PROBLEMS / "arch/vgg16.yaml").read_text())
    for layer, rf, jump in [(29, 196, 16), (31, 212, 32)]:
        data.update(ask="receptive_field", layer=layer)
        answers = solve(load_text(yaml.safe_dump(data)).spec).answers
        assert (answers["receptive_field"].value, answers["effective_stride"].value) == (rf, jump)


def test_the_table_shows_the_receptive_field_when_asked():
    solution = solve_arch([32, 32, 3], [{"type": "conv2d", "filters": 4, "kernel": [3, 5]},
                                        {"type": "max_pool", "window": 2}], ask="receptive_field")
    table = next(b for b in solution.blocks if isinstance(b, Table))
    assert table.columns[-2:] == ("RF", "Jump")
    # conv: 3 × 5, jump 1; pool: r + (2 − 1)·1 = 4 × 6, jump 2.
    assert [r[-2:] for r in table.rows[:-1]] == [("3 × 5", "1"), ("4 × 6", "2")]
    assert solution.answers["receptive_field"].value == (4, 6)


def test_receptive_field_of_a_flattened_output_asks_for_a_layer():
    with pytest.raises(NnsolveError, match="sees the whole input .* give 'layer: N'"):
        solve_arch([8, 8, 1], [{"type": "conv2d", "filters": 1, "kernel": 3}, {"type": "flatten"}],
                   ask="receptive_field")


@st.composite
def stacks(draw):
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        k, s = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        if draw(st.booleans()):
            layers.append({"type": "conv2d", "filters": 1, "kernel": k, "stride": s,
                           "dilation": draw(st.integers(1, 2)), "padding": draw(st.integers(0, 1))})
        else:
            layers.append({"type": "avg_pool", "window": k, "stride": s})
    return layers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_receptive_field_against_autograd(layers):
    """All-ones weights on an all-ones image: the gradient of one middle output reaches exactly the
    input pixels it sees (no cancellation); their extent is the receptive field, and the shift
    between two neighbouring outputs' regions the effective stride."""
    size = 48
    modules = [nn.Conv2d(1, 1, l["kernel"], l["stride"], l["padding"], l["dilation"], bias=False)
               if l["type"] == "conv2d" else nn.AvgPool2d(l["window"], l["stride"]) for l in layers]
    for m in modules:
        if isinstance(m, nn.Conv2d):
            nn.init.ones_(m.weight)
    model = nn.Sequential(*modules)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = model(x)
    n = y.shape[-1]
    assume(n >= 3)  # two neighbouring outputs, n // 2 and n // 2 + 1, inside the output
    rows = []
    for o in (n // 2, n // 2 + 1):
        x.grad = None
        y[0, 0, o, n // 2].backward(retain_graph=True)
        reached = x.grad[0, 0].abs().sum(dim=1).nonzero().flatten()
        rows.append((reached.min().item(), reached.max().item()))
    (first, last), (nxt, _) = rows
    if first == 0 or last == size - 1:  # clipped by the border: not the whole field
        return
    answers = solve_arch([size, size, 1], layers, ask="receptive_field").answers
    assert answers["receptive_field"].value == last - first + 1
    assert answers["effective_stride"].value == nxt - first


# ---------------------------------------------------------------------------------------------
# 'same' padding per side

def test_same_padding_per_side():
    # TensorFlow: out = ⌈7/2⌉ = 4; total = max((4 − 1)·2 + 4 − 7, 0) = 3 → 1 before, 2 after; the width
    # with kernel 3: max(3·2 + 3 − 7, 0) = 2 → 1 and 1.
    answers = solve_arch([7, 7, 1], [{"type": "conv2d", "filters": 1, "kernel": [4, 3], "stride": 2,
                                      "padding": "same"}]).answers
    assert answers["same_padding_layer_1"].value == (1, 2, 1, 1)


# ---------------------------------------------------------------------------------------------
# Memory and a batch

CHAIN = [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": 1}, {"type": "max_pool", "window": 2},
         {"type": "flatten"}, {"type": "dense", "units": 10}]


def test_memory_of_a_chain():
    # Input 8·8·3 = 192; conv 8·8·4 = 256; pool 4·4·4 = 64; flatten 64; dense 10.
    # Every map: 256 + 64 + 64 + 10 = 394 values. Peak: the input and the conv's output, 192 + 256 = 448.
    # float16, batch 2: 394·2·2 = 1,576 and 448·2·2 = 1,792 bytes; parameters (27 + 1)·4 + 640 + 10 = 762.
    answers = solve_arch([8, 8, 3], CHAIN, batch=2, dtype="float16", ask="peak_activation_bytes").answers
    assert answers["activations"].value == 394
    assert answers["activation_bytes"].value == 1_576
    assert answers["peak_activation_bytes"].value == 1_792
    assert answers["param_bytes"].value == 762 * 2
    assert answers["batch_macs"].value == 2 * (8 * 8 * 4 * 27 + 640)


def test_a_skip_connection_keeps_its_map_alive():
    # x (4·4·2 = 32) → a: conv 4·4·8 = 128 → b: conv 4·4·2 = 32 → add(b, x) = 32.
    # While b is made, x (kept for the add), a and b are alive: 32 + 128 + 32 = 192; then the add:
    # x + b + sum = 96 (a is freed once b is made).
    layers = [{"type": "conv2d", "name": "a", "filters": 8, "kernel": 1},
              {"type": "conv2d", "name": "b", "filters": 2, "kernel": 1},
              {"type": "add", "inputs": ["b", "input"]}]
    answers = solve_arch([4, 4, 2], layers, ask="peak_activation_bytes", dtype="int8").answers
    assert answers["peak_activation_bytes"].value == 192


def test_memory_answers_only_when_asked():
    assert "activation_bytes" not in solve_arch([8, 8, 3], CHAIN).answers


def test_unet_memory():
    # The peak is at the last concatenation: enc 1 (64·64·16 = 65,536, kept for the skip), up 1 (65,536)
    # and their concatenation (131,072) alive at once: 262,144 values; × 8 images × 2 bytes (float16).
    from tests.helpers import solve_file

    answers = solve_file(PROBLEMS / "arch/unet-small.yaml").answers
    assert answers["peak_activation_bytes"].value == 262_144 * 8 * 2
    assert answers["batch_macs"].value == 8 * answers["total_macs"].value
