"""Sequence and attention layers (issue 14, points 1 and 2), each checked against the torch module
it stands for: parameters by numel, output shapes by a forward pass on a tiny tensor, MACs in
nnsolve's convention by an independent count (a recurrent layer's weight matrices × steps;
torch's FlopCounterMode for attention, FLOPs = 2 · MACs). Keras' counts from its documented
formulas, worked by hand. BERT-base and GPT-2 small as torch modules built here count exactly as
the examples do (transformers is not installed: the modules are built from nn.Embedding,
nn.LayerNorm, nn.TransformerEncoderLayer, nn.Linear).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from nnsolve.errors import NnsolveError
from nnsolve.loader import load, load_text
from nnsolve.solution import Table
from nnsolve.solve import solve

torch.set_num_threads(1)
ARCH = Path(__file__).resolve().parent.parent / "problems" / "arch"  # absolute: other tests change the directory
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def solve_arch(input_shape, layers, **extra):
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": list(input_shape), "layers": layers, **extra},
                          sort_keys=False)
    return solve(load_text(text, file="test.yaml").spec)


def total(solution) -> tuple[tuple[int, ...], int, int]:
    """(output shape, parameters, MACs) of the whole network, from the table."""
    table = next(b for b in solution.blocks if isinstance(b, Table))
    return tuple(table.rows[-2][1]), table.rows[-1][2], table.rows[-1][-1]


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def flop_macs(module: nn.Module, *args, **kwargs) -> int:
    # the math kernel of scaled_dot_product_attention is made of matrix products the counter sees
    # (CPU's fused kernel it does not count)
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        module(*args, **kwargs)
    return counter.get_total_flops() // 2


# ---------------------------------------------------------------------------------------------
# Recurrent layers against nn.RNN / nn.LSTM / nn.GRU (PyTorch's two biases per gate)

TORCH_RNN = {"simple_rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@SETTINGS
@given(kind=st.sampled_from(sorted(TORCH_RNN)), steps=st.integers(1, 5), features=st.integers(1, 6),
       units=st.integers(1, 6), num_layers=st.integers(1, 3), bidirectional=st.booleans(),
       return_sequences=st.booleans(), bias=st.booleans())
def test_recurrent_layers_against_torch(kind, steps, features, units, num_layers, bidirectional, return_sequences,
                                        bias):
    module = TORCH_RNN[kind](features, units, num_layers=num_layers, bidirectional=bidirectional, bias=bias,
                             batch_first=True)
    x = torch.zeros(1, steps, features)
    out, _ = module(x)
    if not return_sequences:
        out = out[:, -1]
    layer = {"type": kind, "units": units, "num_layers": num_layers, "return_sequences": return_sequences,
             "bias": bias}
    if bidirectional:
        layer = {"type": "bidirectional", "layer": layer}
    shape, params, macs = total(solve_arch([steps, features], [layer], convention="pytorch"))
    assert shape == tuple(out.shape[1:])
    assert params == numel(module)
    # nnsolve's convention: every weight matrix (input and recurrent) multiplies once per step
    assert macs == steps * sum(p.numel() for name, p in module.named_parameters() if name.startswith("weight"))


def test_bidirectional_sum_halves_the_output_not_the_parameters():
    concat = solve_arch([10, 8], [{"type": "bidirectional", "layer": {"type": "lstm", "units": 4}}])
    summed = solve_arch([10, 8], [{"type": "bidirectional", "merge": "sum", "layer": {"type": "lstm", "units": 4}}])
    assert total(concat)[0] == (8,) and total(summed)[0] == (4,)
    assert total(concat)[1] == total(summed)[1] == 2 * 4 * (4 * (8 + 4) + 4)


# Keras' documented counts, worked by hand: units·(x + units) weights per gate, one bias per gate
# (a GRU with reset_after=True, Keras' default, has a second recurrent bias).
KERAS = [
    ({"type": "lstm", "units": 64}, 32, 24_832),  # 4·(64·(32 + 64) + 64)
    ({"type": "gru", "units": 64}, 32, 18_816),  # 3·(64·(32 + 64) + 2·64)
    ({"type": "gru", "units": 64, "reset_after": False}, 32, 18_624),  # 3·(64·(32 + 64) + 64)
    ({"type": "simple_rnn", "units": 32}, 10, 1_376),  # 32·(10 + 32) + 32
    ({"type": "bidirectional", "layer": {"type": "lstm", "units": 10}}, 5, 1_280),  # 2·4·(10·15 + 10)
]


@pytest.mark.parametrize("layer, features, params", KERAS)
def test_keras_counts(layer, features, params):
    assert total(solve_arch([7, features], [layer]))[1] == params


def test_the_other_convention_is_another_reading():
    keras = solve_arch([7, 32], [{"type": "lstm", "units": 64}])
    assert keras.answers["total_params"].value == 24_832
    assert keras.answers["total_params_pytorch"].value == 4 * (64 * 96 + 2 * 64)
    assert "keras way" in " ".join(keras.assumptions)
    torch_way = solve_arch([7, 32], [{"type": "lstm", "units": 64}], convention="pytorch")
    assert torch_way.answers["total_params"].value == 25_088
    assert torch_way.answers["total_params_keras"].value == 24_832


def test_a_layer_may_name_its_own_convention():
    solution = solve_arch([7, 32], [{"type": "lstm", "units": 64, "return_sequences": True},
                                    {"type": "lstm", "units": 64, "convention": "pytorch"}])
    assert solution.answers["total_params"].value == 24_832 + 4 * (64 * 128 + 2 * 64)


def test_gru_reset_after_agrees_in_both_conventions():
    solution = solve_arch([7, 32], [{"type": "gru", "units": 64}])
    assert "total_params_pytorch" not in solution.answers


def test_a_recurrent_layer_needs_a_sequence():
    with pytest.raises(NnsolveError, match=r"lstm: needs a sequence \(steps × features\) input"):
        solve_arch([28, 28, 1], [{"type": "lstm", "units": 4}])


# ---------------------------------------------------------------------------------------------
# Embedding, layer norm, attention

@SETTINGS
@given(length=st.integers(1, 6), vocabulary=st.integers(1, 50), dimension=st.integers(1, 8))
def test_embedding_against_torch(length, vocabulary, dimension):
    module = nn.Embedding(vocabulary, dimension)
    out = module(torch.zeros(1, length, dtype=torch.long))
    shape, params, macs = total(solve_arch([length], [{"type": "embedding", "vocabulary": vocabulary,
                                                        "dimension": dimension}]))
    assert (shape, params, macs) == (tuple(out.shape[1:]), numel(module), 0)


def test_embedding_positions_must_cover_the_sequence():
    with pytest.raises(NnsolveError, match="the sequence has 10 tokens but only 8 positions"):
        solve_arch([10], [{"type": "embedding", "vocabulary": 5, "dimension": 4, "positions": 8}])


@SETTINGS
@given(steps=st.integers(1, 5), features=st.integers(2, 8))
def test_layer_norm_on_a_sequence_against_torch(steps, features):
    module = nn.LayerNorm(features)
    shape, params, _ = total(solve_arch([steps, features], [{"type": "layer_norm"}]))
    assert shape == tuple(module(torch.zeros(1, steps, features)).shape[1:])
    assert params == numel(module)


@SETTINGS
@given(steps=st.integers(1, 5), heads=st.integers(1, 3), head_size=st.integers(1, 3), bias=st.booleans())
def test_multi_head_attention_against_torch(steps, heads, head_size, bias):
    d = heads * head_size
    module = nn.MultiheadAttention(d, heads, bias=bias, batch_first=True)
    x = torch.zeros(1, steps, d)
    out, _ = module(x, x, x, need_weights=False)
    shape, params, macs = total(solve_arch([steps, d], [{"type": "multi_head_attention", "heads": heads,
                                                         "bias": bias}]))
    assert shape == tuple(out.shape[1:])
    assert params == numel(module)
    assert macs == flop_macs(module, x, x, x, need_weights=False)


def test_keras_multi_head_attention_with_its_own_key_size():
    # Keras MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5) on 4 features, by its formula:
    # query and key 4·2·3 + 2·3 each, value 4·2·5 + 2·5, output 2·5·4 + 4
    solution = solve_arch([6, 4], [{"type": "multi_head_attention", "heads": 2, "key_dimension": 3,
                                    "value_dimension": 5}])
    assert total(solution)[1] == 2 * (24 + 6) + (40 + 10) + (40 + 4)


@SETTINGS
@given(steps=st.integers(1, 4), heads=st.integers(1, 3), head_size=st.integers(1, 3),
       feed_forward=st.integers(1, 8), norm_first=st.booleans(), blocks=st.integers(1, 2))
def test_transformer_block_against_torch(steps, heads, head_size, feed_forward, norm_first, blocks):
    d = heads * head_size
    module = nn.Sequential(*(nn.TransformerEncoderLayer(d, heads, feed_forward, dropout=0.0, batch_first=True,
                                                        norm_first=norm_first) for _ in range(blocks)))
    module.train()  # the fused inference path hides its matrix products from the flop counter
    x = torch.zeros(1, steps, d)
    shape, params, macs = total(solve_arch([steps, d], [{
        "type": "transformer_block", "heads": heads, "feed_forward": feed_forward,
        "norm": "pre" if norm_first else "post", "blocks": blocks}]))
    assert shape == tuple(module(x).shape[1:])
    assert params == numel(module)
    assert macs == flop_macs(module, x)


# ---------------------------------------------------------------------------------------------
# BERT-base and GPT-2 small, built as torch modules

class Bert(nn.Module):
    """Hugging Face's BertModel, parameter for parameter: embeddings, 12 post-norm blocks, pooler."""

    def __init__(self, vocabulary=30522, d=768, positions=512, types=2, heads=12, ff=3072, blocks=12):
        super().__init__()
        self.words, self.positions, self.types = (nn.Embedding(vocabulary, d), nn.Embedding(positions, d),
                                                  nn.Embedding(types, d))
        self.norm = nn.LayerNorm(d)
        self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(d, heads, ff, batch_first=True)
                                    for _ in range(blocks))
        self.pooler = nn.Linear(d, d)


class Gpt2(nn.Module):
    """Hugging Face's GPT2Model: token and position embeddings, 12 pre-norm blocks, ln_f; its LM
    head is tied to the token embedding, so it adds no parameter."""

    def __init__(self, vocabulary=50257, d=768, positions=1024, heads=12, ff=3072, blocks=12):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocabulary, d), nn.Embedding(positions, d)
        self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(d, heads, ff, batch_first=True, norm_first=True)
                                    for _ in range(blocks))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocabulary, bias=False)
        self.head.weight = self.wte.weight  # tied: module.parameters() yields it once


@pytest.mark.parametrize("path, module, published", [
    ("bert-base.yaml", Bert, 109_482_240),
    ("gpt2-small.yaml", Gpt2, 124_439_808),
])
def test_bert_and_gpt2_count_as_their_torch_modules(path, module, published):
    solution = solve(load(str(ARCH / path)).spec)
    assert solution.answers["total_params"].value == numel(module()) == published


def test_the_sequence_examples():
    assert solve(load(str(ARCH / "lstm-text-classifier.yaml")).spec).answers["total_params"].value == \
        10_000 * 32 + 4 * (64 * (32 + 64) + 64) + 65
    gru = solve(load(str(ARCH / "gru-keras-vs-pytorch.yaml")).spec)
    assert gru.answers["total_params"].value == 3 * (64 * 96 + 64)
    assert gru.answers["total_params_pytorch"].value == numel(nn.GRU(32, 64))


def test_torchinfo_lstm_net():
    """torchinfo's tests/test_output/lstm.out: LSTMNet, Embedding(20, 300) → LSTM(300, 512, num_layers=2)
    → Linear(512, 20) on 100 tokens: 3,784,580 params; its LSTM mult-adds 376,832,000 are the LSTM's
    parameters × steps (biases included), nnsolve's its weights × steps."""
    solution = solve_arch([100], [{"type": "embedding", "vocabulary": 20, "dimension": 300},
                                  {"type": "lstm", "units": 512, "num_layers": 2, "return_sequences": True},
                                  {"type": "dense", "units": 20}], convention="pytorch")
    table = next(b for b in solution.blocks if isinstance(b, Table))
    embedding, lstm, dense = table.rows[:3]
    assert solution.answers["total_params"].value == 3_784_580
    assert (tuple(lstm[1]), lstm[2]) == ((100, 512), 3_768_320)
    biases = 4 * 2048  # bias_ih_l0, bias_hh_l0, bias_ih_l1, bias_hh_l1
    assert lstm[-1] + 100 * biases == 376_832_000
    assert tuple(dense[1]) == (100, 20) and dense[2] == 10_260


def test_the_mistakes_of_a_recurrent_count():
    from nnsolve.loader import load_text as load_spec
    from nnsolve.topics.cnn_architecture import variants
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": [7, 32], "layers": [{"type": "lstm", "units": 64}]})
    found = {v.mistake: v.answers["total_params"] for v in variants(load_spec(text).spec)}
    assert found["counted one gate of the LSTM or GRU (each of its 4 or 3 gates has its own weights and biases)"] \
        == 64 * (32 + 64) + 64
    assert found["forgot the biases (counted weights only)"] == 4 * 64 * (32 + 64)


def test_layer_norm_on_an_image_says_how_it_reads_it():
    solution = solve_arch([4, 4, 3], [{"type": "layer_norm"}])
    assert total(solution)[1] == numel(nn.LayerNorm([3, 4, 4]))
    assert any("Keras' LayerNormalization (axis −1) has 2C" in a for a in solution.assumptions)


def test_the_other_convention_is_a_known_mistake_when_grading():
    from nnsolve.loader import load_text as load_spec
    from nnsolve.topics.cnn_architecture import variants
    text = yaml.safe_dump({"topic": "cnn_architecture", "input": [7, 32], "layers": [{"type": "lstm", "units": 64}]})
    found = {v.mistake: v.answers["total_params"] for v in variants(load_spec(text).spec)}
    assert found["counted the recurrent layers' biases the pytorch way (two vectors per gate) where the question "
                 "counts them the keras way"] == numel(nn.LSTM(32, 64))


@SETTINGS
@given(length=st.integers(1, 5), vocabulary=st.integers(2, 30), dimension=st.integers(1, 6),
       stack=st.lists(st.tuples(st.sampled_from(sorted(TORCH_RNN)), st.integers(1, 5), st.booleans()),
                      min_size=1, max_size=3),
       last_sequences=st.booleans(), units=st.integers(1, 4))
def test_generated_sequence_stacks_against_torch(length, vocabulary, dimension, stack, last_sequences, units):
    """embedding → recurrent layers (each but the last returning its sequence) → dense, in both."""
    modules, layers = [nn.Embedding(vocabulary, dimension)], [
        {"type": "embedding", "vocabulary": vocabulary, "dimension": dimension}]
    x = modules[0](torch.zeros(1, length, dtype=torch.long))
    for k, (kind, hidden, both) in enumerate(stack):
        module = TORCH_RNN[kind](x.shape[-1], hidden, bidirectional=both, batch_first=True)
        modules.append(module)
        x, _ = module(x)
        keep = k < len(stack) - 1 or last_sequences
        layer = {"type": kind, "units": hidden, "return_sequences": keep}
        layers.append({"type": "bidirectional", "layer": layer} if both else layer)
        if not keep:
            x = x[:, -1]
    modules.append(nn.Linear(x.shape[-1], units))
    x = modules[-1](x)
    layers.append({"type": "dense", "units": units})
    shape, params, _ = total(solve_arch([length], layers, convention="pytorch"))
    assert shape == tuple(x.shape[1:])
    assert params == sum(numel(m) for m in modules)


def test_gpt2_with_its_tied_lm_head():
    solution = solve(load(str(ARCH / "gpt2-small-lm-head.yaml")).spec)
    assert solution.answers["total_params"].value == numel(Gpt2()) == 124_439_808
    untied = Gpt2()
    untied.head = nn.Linear(768, 50257, bias=False)
    data = yaml.safe_load((ARCH / "gpt2-small-lm-head.yaml").read_text())
    data["layers"][-1]["tied"] = False
    assert solve(load_text(yaml.safe_dump(data)).spec).answers["total_params"].value == numel(untied)


@SETTINGS
@given(steps=st.integers(1, 4), d=st.integers(1, 5), vocabulary=st.integers(1, 9), bias=st.booleans())
def test_an_untied_lm_head_against_torch(steps, d, vocabulary, bias):
    module = nn.Linear(d, vocabulary, bias=bias)
    x = torch.zeros(1, steps, d)
    shape, params, macs = total(solve_arch([steps, d], [{"type": "lm_head", "vocabulary": vocabulary, "tied": False,
                                                         "bias": bias}]))
    assert (shape, params, macs) == (tuple(module(x).shape[1:]), numel(module), flop_macs(module, x))
