"""The layers issue 14 adds (point 4), each checked against the torch module it stands for:
output shapes by a forward pass on a tiny tensor, parameters by numel, MACs by forward hooks in
nnsolve's convention (weights × positions); values and gradients of the weightless ones and of
relu6 / hardswish by autograd. Keras' counts (trainable / non-trainable) from its documented rules.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from nnsolve.errors import NnsolveError, SolveError
from nnsolve.layers import Activation, GlobalMaxPool, MaxPool, Permute, Reshape, Upsample, ZeroPadding2d
from nnsolve.layers import tensor as T
from nnsolve.layers.activation import apply, slope
from nnsolve.layers.base import Context, Site
from nnsolve.loader import load_text
from nnsolve.solution import Table
from nnsolve.solve import solve

torch.set_num_threads(1)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def solve_arch(input_shape, layers, **extra):
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": list(input_shape), "layers": layers, **extra},
                          sort_keys=False)
    return solve(load_text(text, file="test.yaml").spec)


def rows(solution):
    table = next(b for b in solution.blocks if isinstance(b, Table))
    return [(tuple(r[1]), r[2], r[-1]) for r in table.rows[:-1]]


def written(t: torch.Tensor, channels_last: bool = True) -> tuple[int, ...]:
    """A torch output (batch first, channels second) as cnn_architecture writes it: channels last."""
    shape = tuple(t.shape[1:])
    return (*shape[1:], shape[0]) if channels_last and len(shape) >= 2 else shape


def torch_row(module, x, channels_last=True):
    macs = []

    def hook(m, inputs, output):
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            k = 1
            for n in m.kernel_size:
                k *= n
            macs.append(output.numel() * m.in_channels // m.groups * k)
        elif isinstance(m, nn.Linear):
            macs.append(output.numel() // m.out_features * m.in_features * m.out_features)

    for m in module.modules():
        m.register_forward_hook(hook)
    with torch.no_grad():
        y = module.eval()(x)
    return written(y, channels_last), sum(p.numel() for p in module.parameters()), sum(macs)


def check_one(input_shape, layer, module, x, channels_last=True):
    """nnsolve's one row against torch's; both refuse, or both agree."""
    try:
        want = torch_row(module, x, channels_last)
    except RuntimeError:
        with pytest.raises(NnsolveError):
            solve_arch(input_shape, [layer])
        return
    assert rows(solve_arch(input_shape, [layer])) == [want]


# ---------------------------------------------------------------------------------------------
# Convolutions in 1-D and 3-D

@SETTINGS
@given(length=st.integers(1, 12), c=st.integers(1, 4), f=st.integers(1, 4), k=st.integers(1, 4),
       s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2), groups=st.sampled_from([1, 2]),
       bias=st.booleans(), same=st.booleans())
def test_conv1d_against_torch(length, c, f, k, s, p, d, groups, bias, same):
    c, f = c * groups, f * groups
    padding = "same" if same else p
    if same:
        s = 1  # torch: padding='same' needs stride 1 (where TensorFlow's rule agrees)
    layer = {"type": "conv1d", "filters": f, "kernel": k, "stride": s, "padding": padding, "dilation": d,
             "groups": groups, "bias": bias}
    module = nn.Conv1d(c, f, k, s, padding, d, groups, bias)
    check_one([length, c], layer, module, torch.zeros(1, c, length))  # a sequence: steps × channels


@SETTINGS
@given(size=st.lists(st.integers(1, 6), min_size=3, max_size=3), c=st.integers(1, 3), f=st.integers(1, 3),
       k=st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=3, max_size=3)),
       s=st.integers(1, 2), p=st.integers(0, 1), bias=st.booleans())
def test_conv3d_against_torch(size, c, f, k, s, p, bias):
    layer = {"type": "conv3d", "filters": f, "kernel": k, "stride": s, "padding": p, "bias": bias}
    module = nn.Conv3d(c, f, tuple(k) if isinstance(k, list) else k, s, p, bias=bias)
    check_one([*size, c], layer, module, torch.zeros(1, c, *size))


def test_a_1d_or_3d_kernel_too_large_names_its_axis():
    # the window check is the 2-D one's (convolution.Window.fits): a dilated kernel of 3 spans 2·2 + 1 = 5
    with pytest.raises(SolveError) as info:
        solve_arch([4, 2], [{"type": "conv1d", "filters": 3, "kernel": 3, "dilation": 2}])
    assert info.value.field == "layers[0].kernel"
    assert str(info.value).endswith("conv1d: the kernel spans 5 along the length but its padded input is only 4 "
                                    "(4 + 0 + 0); nothing to slide it over")
    with pytest.raises(SolveError, match="spans 3 along the depth but its padded input is only 2 "):
        solve_arch([2, 4, 4, 1], [{"type": "conv3d", "filters": 1, "kernel": 3}])


# ---------------------------------------------------------------------------------------------
# Pooling: ceil mode, global max, adaptive

@SETTINGS
@given(h=st.integers(1, 9), w=st.integers(1, 9), c=st.integers(1, 2), k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), kind=st.sampled_from(["max_pool", "avg_pool"]), ceil=st.booleans())
def test_pooling_ceil_mode_against_torch(h, w, c, k, s, p, kind, ceil):
    p = min(p, k // 2)  # torch: padding at most half the window
    layer = {"type": kind, "window": k, "stride": s, "padding": p, "ceil_mode": ceil}
    module = (nn.MaxPool2d if kind == "max_pool" else nn.AvgPool2d)(k, s, p, ceil_mode=ceil)
    check_one([h, w, c], layer, module, torch.zeros(1, c, h, w))


@SETTINGS
@given(h=st.integers(1, 9), w=st.integers(1, 9), c=st.integers(1, 3),
       out=st.one_of(st.integers(1, 10), st.lists(st.integers(1, 10), min_size=2, max_size=2)),
       kind=st.sampled_from(["adaptive_avg_pool", "adaptive_max_pool"]))
def test_adaptive_pooling_against_torch(h, w, c, out, kind):
    size = tuple(out) if isinstance(out, list) else out
    module = (nn.AdaptiveAvgPool2d if kind == "adaptive_avg_pool" else nn.AdaptiveMaxPool2d)(size)
    check_one([h, w, c], {"type": kind, "size": out}, module, torch.zeros(1, c, h, w))


def test_global_max_pool_against_torch():
    check_one([5, 7, 3], {"type": "global_max_pool"}, nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten()),
              torch.zeros(1, 3, 5, 7))


# ---------------------------------------------------------------------------------------------
# Upsampling, zero padding, reshape, permute, dense on a tensor

@SETTINGS
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 3), mode=st.sampled_from(["nearest", "bilinear"]),
       scale=st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
       size=st.one_of(st.none(), st.lists(st.integers(1, 12), min_size=2, max_size=2)))
def test_upsample_against_torch(h, w, c, mode, scale, size):
    if size is not None:
        layer, module = {"type": "upsample", "mode": mode, "size": size}, nn.Upsample(size=tuple(size), mode=mode)
    else:
        factor = tuple(float(v) for v in scale) if isinstance(scale, list) else float(scale)
        layer, module = {"type": "upsample", "mode": mode, "scale": scale}, nn.Upsample(scale_factor=factor, mode=mode)
    check_one([h, w, c], layer, module, torch.zeros(1, c, h, w))


@SETTINGS
@given(h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 3), sides=st.lists(st.integers(0, 3), min_size=4,
                                                                                      max_size=4))
def test_zero_padding2d_against_torch(h, w, c, sides):
    t, b, l, r = sides
    layer = {"type": "zero_padding2d", "padding": [[t, b], [l, r]]}
    check_one([h, w, c], layer, nn.ZeroPad2d((l, r, t, b)), torch.zeros(1, c, h, w))


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), units=st.integers(1, 5), bias=st.booleans())
def test_dense_on_a_tensor_against_torch(shape, units, bias):
    """Keras' Dense (and nn.Linear on a channels-last tensor): the last written axis, at every position."""
    shape = shape if len(shape) != 2 else [*shape, 2]
    module = nn.Linear(shape[-1], units, bias=bias)
    want = torch_row(module, torch.zeros(1, *shape), channels_last=False)
    got = rows(solve_arch(shape, [{"type": "dense", "units": units, "bias": bias}]))
    assert got == [want]


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=3, max_size=3), data=st.data())
def test_reshape_and_permute_against_torch(shape, data):
    """Written shapes (H × W × C) reshaped and permuted as a channels-last torch tensor is."""
    x = torch.zeros(1, *shape)
    dims = data.draw(st.permutations([1, 2, 3]))
    assert rows(solve_arch(shape, [{"type": "permute", "dims": dims}]))[0][0] == tuple(x.permute(0, *dims).shape[1:])
    n = shape[0] * shape[1] * shape[2]
    target = data.draw(st.sampled_from([[n], [-1, shape[2]], [shape[0] * shape[1], -1, 1], [1, 1, -1]]))
    assert rows(solve_arch(shape, [{"type": "reshape", "shape": target}]))[0][0] == \
        tuple(x.reshape(1, *target).shape[1:])


def test_reshape_that_does_not_fit():
    with pytest.raises(SolveError, match=r"reshape: its input 2 × 3 × 4 has 24 values, which 5 × -1 cannot hold"):
        solve_arch([2, 3, 4], [{"type": "reshape", "shape": [5, -1]}])


# ---------------------------------------------------------------------------------------------
# Normalization without γ and β; group norm; frozen layers

@pytest.mark.parametrize("c,groups,affine", [(4, 2, True), (6, 3, False), (8, 8, True), (3, 1, True)])
def test_group_norm_against_torch(c, groups, affine):
    check_one([4, 4, c], {"type": "group_norm", "groups": groups, "affine": affine},
              nn.GroupNorm(groups, c, affine=affine), torch.zeros(1, c, 4, 4))


def test_group_norm_groups_must_divide_the_channels():
    with pytest.raises(SolveError, match="group_norm: 4 groups do not divide the 6 channels"):
        solve_arch([4, 4, 6], [{"type": "group_norm", "groups": 4}])


def test_batch_norm_without_gamma_and_beta():
    # nn.BatchNorm2d(16, affine=False): no parameters; its running mean and variance are 2 · 16 buffers,
    # which Keras' summary counts as non-trainable.
    module = nn.BatchNorm2d(16, affine=False)
    solution = solve_arch([8, 8, 16], [{"type": "batch_norm", "affine": False}])
    assert solution.answers["total_params"].value == sum(p.numel() for p in module.parameters()) == 0
    assert solution.answers["non_trainable_params"].value == module.running_mean.numel() * 2 == 32


def test_frozen_layers_count_as_keras_summary_does():
    # Keras: Conv2D(8, 3) on 10×10×3 = (27 + 1)·8 = 224 frozen; BatchNormalization(8) = 16 trainable + 16
    # non-trainable (moving mean and variance); Dense(5) on 8·8·8 = 512: 2,565 trainable.
    layers = [{"type": "conv2d", "filters": 8, "kernel": 3, "trainable": False}, {"type": "batch_norm"},
              {"type": "flatten"}, {"type": "dense", "units": 5}]
    answers = solve_arch([10, 10, 3], layers).answers
    assert answers["total_params"].value == 224 + 16 + 2_565
    assert answers["trainable_params"].value == 16 + 2_565
    assert answers["non_trainable_params"].value == 224 + 16  # Keras' "Non-trainable params"
    # A frozen batch norm is non-trainable as a whole (Keras: all 4C).
    answers = solve_arch([10, 10, 3], [{"type": "batch_norm", "trainable": False}]).answers
    assert (answers["trainable_params"].value, answers["non_trainable_params"].value) == (0, 12)


def test_a_frozen_residual_block_freezes_every_layer_inside():
    block = {"type": "residual", "trainable": False,
             "layers": [{"type": "conv2d", "filters": 2, "kernel": 1, "bias": False}]}
    answers = solve_arch([4, 4, 2], [block, {"type": "flatten"}, {"type": "dense", "units": 1}]).answers
    assert answers["trainable_params"].value == 33  # 32 + 1; the 1×1 conv's 4 weights are frozen
    assert answers["total_params"].value == 37


# ---------------------------------------------------------------------------------------------
# Values: relu6 and hard swish beside torch's autograd (kinks included), and the weightless layers

POINTS = [-4, -3, Fraction(-5, 2), -1, 0, Fraction(1, 3), 3, Fraction(7, 2), 6, 7]


@pytest.mark.parametrize("function,torch_fn", [("relu6", nn.functional.relu6), ("hardswish", nn.functional.hardswish)])
@pytest.mark.parametrize("x", POINTS)
def test_relu6_and_hardswish_against_autograd(function, torch_fn, x):
    t = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    y = torch_fn(t)
    y.backward()
    assert apply(function, x) == pytest.approx(y.item()) and isinstance(apply(function, x), (int, Fraction))
    assert slope(function, x) == pytest.approx(t.grad.item())


def layer_against_torch(layer, x_values, torch_fn, shape):
    """Forward and backward of a layer on an exact tensor against ``torch_fn`` with autograd."""
    x = T.tensor(x_values)
    ctx = Context()
    layer.parameters(shape, site=Site("1", "layers[0]"), ctx=ctx)
    trace = layer.forward(x, {}, ctx=ctx)
    g = T.tensor((torch.arange(trace.y.size, dtype=torch.float64).reshape(trace.y.shape) % 5 - 2).tolist())
    grads = layer.backward(trace, g, ctx=ctx)
    tx = torch.tensor(T.as_float(x), requires_grad=True)
    ty = torch_fn(tx)
    ty.backward(torch.tensor(T.as_float(g)))
    assert T.as_float(trace.y).shape == tuple(ty.shape)
    assert T.as_float(trace.y).ravel().tolist() == pytest.approx(ty.detach().numpy().ravel().tolist())
    assert T.as_float(grads.x).ravel().tolist() == pytest.approx(tx.grad.numpy().ravel().tolist())


IMAGE = [[[[1, -2, 3, 0], [4, 4, -1, 2], [0, 5, 2, -3]], [[2, 1, 0, 1], [-1, 3, 3, 0], [1, 1, 2, 6]]]]  # 1×2×3×4


@pytest.mark.parametrize("layer,torch_fn", [
    (ZeroPadding2d(type="zero_padding2d", padding=[[1, 0], [2, 1]]), lambda t: nn.functional.pad(t, (2, 1, 1, 0))),
    (Upsample(type="upsample", scale=[2, 3]), lambda t: nn.functional.interpolate(t, scale_factor=(2, 3))),
    (Upsample(type="upsample", size=[5, 6]), lambda t: nn.functional.interpolate(t, size=(5, 6))),
    (GlobalMaxPool(type="global_max_pool"), lambda t: t.amax(dim=(2, 3))),
    (MaxPool(type="max_pool", window=2, ceil_mode=True), lambda t: nn.functional.max_pool2d(t, 2, ceil_mode=True)),
    (MaxPool(type="max_pool", window=3, stride=2, padding=1, ceil_mode=True),
     lambda t: nn.functional.max_pool2d(t, 3, 2, 1, ceil_mode=True)),
    (Reshape(type="reshape", shape=[4, -1]), lambda t: t.reshape(1, 4, -1)),
    (Permute(type="permute", dims=[3, 1, 2]), lambda t: t.permute(0, 3, 1, 2)),
    (Activation(type="activation", function="relu6"), nn.functional.relu6),
    (Activation(type="activation", function="hardswish"), nn.functional.hardswish),
])
def test_values_and_gradients_against_autograd(layer, torch_fn):
    layer_against_torch(layer, IMAGE, torch_fn, (2, 3, 4))
