"""The padding per side that a given output size needs (issue 14, point 5): ``padding: {output: N}``
on a convolution or pooling layer, answered as ``padding_layer_N`` (``ask: padding``). Checked
against torch: the padding found gives that output in nn.Conv2d (or, when no symmetric whole
padding does, F.pad then conv2d), and by brute force that no smaller or symmetric one does.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from nnsolve.errors import NnsolveError
from nnsolve.expr import evaluate
from nnsolve.loader import load_text
from nnsolve.solve import solve

torch.set_num_threads(1)


def solve_arch(input_shape, layers, **extra):
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": list(input_shape), "layers": layers, **extra},
                          sort_keys=False)
    return solve(load_text(text, file="test.yaml").spec)


def conv(kernel, output, **options):
    return {"type": "conv2d", "filters": 2, "kernel": kernel, "padding": {"output": output}, **options}


# What an exam asks, worked by hand: P_total = (O − 1)·S + D(K − 1) + 1 − H.
ROWS = [
    # 5×5, stride 1, keep 32: (32 − 1)·1 + 5 − 32 = 4, 2 per side.
    ([32, 32, 3], conv(5, 32), 2),
    # 5×5, stride 2, 32 → 16: (16 − 1)·2 + 5 − 32 = 3, odd, but ⌈3/2⌉ = 2 per side gives ⌊(32 + 4 − 5)/2⌋ + 1 = 16.
    ([32, 32, 3], conv(5, 16, stride=2), 2),
    # 3×3 dilated 2 (span 5), keep 28: 27 + 5 − 28 = 4, 2 per side.
    ([28, 28, 1], conv(3, 28, dilation=2), 2),
    # 7×7 stride 2 from 224 to 112 (ResNet's stem): 111·2 + 7 − 224 = 5, ⌈5/2⌉ = 3 per side (torchvision's 3).
    ([224, 224, 3], conv(7, 112, stride=2), 3),
    # 1×5 kernel, keep 10 × 10: rows need none, columns 2 per side.
    ([10, 10, 1], conv([1, 5], 10), (0, 2)),
    # 4×4, stride 1, keep 16: 15 + 4 − 16 = 3, odd with S = 1: no symmetric padding; 1 before, 2 after.
    ([16, 16, 1], conv(4, 16), (1, 2, 1, 2)),
    # 3×3 max pooling, stride 2, 112 → 56: 55·2 + 3 − 112 = 1, ⌈1/2⌉ = 1 per side (ResNet's max pool).
    ([112, 112, 64], {"type": "max_pool", "window": 3, "stride": 2, "padding": {"output": 56}}, 1),
]


@pytest.mark.parametrize("shape, layer, expected", ROWS)
def test_padding_per_side_worked_by_hand(shape, layer, expected):
    solution = solve_arch(shape, [layer], ask="padding")
    assert solution.answers["padding_layer_1"].value == expected
    assert solution.answers["output_shape"].value[:2] == tuple(pad_output(layer["padding"]["output"]))
    for step in solution.steps:
        if step.substitution is not None:
            assert evaluate(step.substitution) == step.value, step.title
    uneven = isinstance(expected, tuple) and len(expected) == 4
    assert any("no whole padding per side" in w for w in solution.warnings) == uneven


def pad_output(output):
    return (output, output) if isinstance(output, int) else tuple(output)


def test_ask_padding_names_its_layer():
    layers = [conv(3, 8), conv(3, 8)]
    with pytest.raises(NnsolveError, match="layers 1, 2 ask for theirs: give 'layer: N'"):
        solve_arch([8, 8, 1], layers, ask="padding")
    assert solve_arch([8, 8, 1], layers, ask="padding", layer=2).answers["padding_layer_2"].value == 1
    with pytest.raises(NnsolveError, match=r"give one layer 'padding: \{output: N\}'"):
        solve_arch([8, 8, 1], [{"type": "conv2d", "filters": 1, "kernel": 3}], ask="padding")


def test_an_output_no_padding_reaches_is_one_line():
    with pytest.raises(NnsolveError) as caught:
        solve_arch([32, 32, 3], [conv(5, 10, stride=2)])
    assert str(caught.value) == ("layers[0].padding (Layer 1): conv2d: no padding gives an output height of 10: "
                                 "with none it is already 14")


def test_pooling_padding_over_half_the_window_is_refused():
    # 2×2 pooling of 8 → 6 needs (6 − 1)·2 + 2 − 8 = 4 zeros, 2 per side: more than half the window.
    with pytest.raises(NnsolveError, match="more than half the window 2, which PyTorch refuses"):
        solve_arch([8, 8, 1], [{"type": "max_pool", "window": 2, "padding": {"output": 6}}])


@st.composite
def cases(draw):
    size = draw(st.integers(3, 20))
    kernel = draw(st.integers(1, min(size, 7)))
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2)) if kernel > 1 and size >= 2 * kernel - 1 else 1
    span = dilation * (kernel - 1) + 1
    valid = (size - span) // stride + 1
    output = draw(st.integers(valid, valid + 6))
    return size, kernel, stride, dilation, output


def torch_out(size, kernel, stride, dilation, pad):
    """The height torch's conv2d gives with (before, after) zeros on both axes."""
    x = F.pad(torch.zeros(1, 1, size, size), (pad[0], pad[1], pad[0], pad[1]))
    return F.conv2d(x, torch.zeros(1, 1, kernel, kernel), stride=stride, dilation=dilation).shape[-1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_padding_found_gives_the_output_in_torch(case):
    size, kernel, stride, dilation, output = case
    solution = solve_arch([size, size, 1], [conv(kernel, output, stride=stride, dilation=dilation)],
                          ask="padding")
    found = solution.answers["padding_layer_1"].value
    symmetric = [p for p in range(0, output * stride + kernel * dilation)
                 if torch_out(size, kernel, stride, dilation, (p, p)) == output]
    if isinstance(found, int):
        layer = nn.Conv2d(1, 1, kernel, stride=stride, dilation=dilation, padding=found)
        assert layer(torch.zeros(1, 1, size, size)).shape[-2:] == (output, output)
        assert found == symmetric[0]  # the least symmetric padding
    else:
        before, after = found[:2]
        assert after == before + 1 and not symmetric  # uneven only when no symmetric padding exists
        assert torch_out(size, kernel, stride, dilation, (before, after)) == output
        assert torch_out(size, kernel, stride, dilation, (before, after - 1)) == output - 1  # and the least
    assert solution.answers["output_shape"].value == (output, output, 2)
    for step in solution.steps:
        if step.substitution is not None:
            assert evaluate(step.substitution) == step.value, step.title


@settings(max_examples=25, deadline=None)
@given(st.integers(4, 20), st.integers(2, 4), st.integers(1, 3), st.integers(0, 2))
def test_pooling_padding_matches_torch(size, window, stride, extra):
    valid = (size - window) // stride + 1
    layer = {"type": "avg_pool", "window": window, "stride": stride, "padding": {"output": valid + extra}}
    try:
        found = solve_arch([size, size, 1], [layer], ask="padding").answers["padding_layer_1"].value
    except NnsolveError as error:
        assert "more than half the window" in str(error)
        return
    if isinstance(found, int):
        pool = nn.AvgPool2d(window, stride=stride, padding=found)
        assert pool(torch.zeros(1, 1, size, size)).shape[-1] == valid + extra
    else:
        x = F.pad(torch.zeros(1, 1, size, size), (found[0], found[1], found[2], found[3]))
        assert F.avg_pool2d(x, window, stride=stride).shape[-1] == valid + extra


def test_variants_give_the_total_and_the_size_keeping_padding():
    from nnsolve.solve import variants

    text = yaml.safe_dump({"topic": "cnn_architecture", "input": [32, 32, 3], "ask": "padding",
                           "layers": [conv(5, 16, stride=2)]})
    found = {v.mistake: v.answers for v in variants(load_text(text).spec)}
    # Right: 2 per side. Both sides together: 4. ⌊(5 − 1)/2⌋ = 2 is right here: no variant.
    assert found["gave the zeros of both sides together instead of the padding per side"] == {"padding_layer_1": 4}
    assert not any("keeps the size" in m for m in found)
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": [32, 32, 3], "ask": "padding",
                           "layers": [conv(3, 34)]})
    found = {v.mistake: v.answers for v in variants(load_text(text).spec)}
    # 3×3 from 32 to 34: (34 − 1) + 3 − 32 = 4, 2 per side; the size-keeping answer is 1.
    assert found["used ⌊(K − 1)/2⌋, the padding that keeps the size at stride 1, for another output or stride"] \
        == {"padding_layer_1": 1}
