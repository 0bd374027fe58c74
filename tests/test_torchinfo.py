"""The outside check of issue 14: torchinfo's own expected outputs (TylerYep/torchinfo,
tests/test_output/*.out), each model written as a problem file in tests/torchinfo/, solved, and
compared with the totals torchinfo prints: total params, trainable params and "Total mult-adds".

Count: torchinfo has 87 .out files. 54 are expressible with nnsolve's layers and all 54 agree on
total and trainable parameters and on the mult-adds wherever torchinfo prints a number it can see
(not partial_jit, whose scripted model hides its layers from torchinfo: "Total mult-adds: 0";
google.out holds two summaries, both checked: 55 summaries in all).
Four use a stand-in with the same shape and no parameters, so that the counts are the same
(autoencoder: upsample for MaxUnpool2d; too_many_relus: zero_padding2d for ReflectionPad2d;
cnn_module_list: MaxPool1d(1), the identity, left out; multiple_input_*: torch.cat along the
batch replaced by two outputs). The other 33 are not expressible: recurrent or transformer
models (lstm, lstm_half, lstm_custom_batch_size, pack_padded, hide_recursive_layers,
hide_recursive_layers_outside_loop, bert, flan_t5_small: another helper's part), whole detection
or compression models (fasterrcnn, compressai, tmva_net_column_totals), bare nn.Parameter tensors or
per-tensor freezing (custom_parameter, parameter_list, parameters_with_other_layers,
register_parameter, single_parameter_model, nested_leftover_params, input_size_possibilities,
pruned_adversary, mixed_trainable_parameters, trainable_column, pruning's masks), modules that
are counted but never called (module_dict), and models with no parameters or no layers, or
about torchinfo's own input handling (dict_parameters_1/2/3, dict_with_none_value,
dict_with_string_value, empty_module, empty_module_list, namedtuple, uninitialized_tensor, and
reusing_activation_layers: activations summarised with no input, 0 parameters, nothing to compare).

How the numbers are reconciled (the README's relation, from torchinfo's LayerInfo.calculate_macs):
torchinfo counts, for a whole batch, every parameter of a convolution once per output position
(for the weights that is nnsolve's MACs; for the bias one per output value), every parameter of a
linear layer once per position it is applied at (once for a vector), and any other layer's
parameters (batch norm's 2C, PReLU's α) once; all times the batch. nnsolve's table gives each
layer's output shape and parameters (an applied-again layer: the parameters of the layer it
shares), from which that number follows. Checked here on every case, and layer by layer against
the Mult-Adds column where torchinfo prints one.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from nnsolve.loader import load_text
from nnsolve.solution import Table
from nnsolve.solve import solve

MODELS = Path(__file__).parent / "torchinfo"
PER_POSITION = {"conv2d", "conv1d", "conv3d", "depthwise_conv2d", "conv_transpose2d", "dense"}

# (torchinfo's .out file, the problem file, changes to it, total params, trainable params,
#  "Total mult-adds" as printed: (unit, text), or None where torchinfo prints no number it can see)
CASES = [
    ("single_input", "single_input_net", {"batch": 2}, 21_840, 21_840, ("k", "975.20")),
    ("single_input_batch_dim", "single_input_net", {}, 21_840, 21_840, ("k", "487.60")),
    ("batch_size_optimization", "single_input_net", {}, 21_840, 21_840, ("k", "487.60")),
    ("return_dict", "single_input_net", {}, 21_840, 21_840, ("k", "487.60")),
    ("single_input_half", "single_input_net", {"batch": 2}, 21_840, 21_840, ("M", "0.98")),
    ("device", "single_input_net", {"batch": 5}, 21_840, 21_840, ("M", "2.44")),
    ("input_tensor", "single_input_net", {"batch": 5}, 21_840, 21_840, ("M", "2.44")),
    ("single_input_all_cols", "single_input_net", {"batch": 7}, 21_840, 21_840, ("M", "3.41")),
    ("string_result", "single_input_net", {"batch": 16}, 21_840, 21_840, ("M", "7.80")),
    ("row_settings", "single_input_net", {"batch": 16}, 21_840, 21_840, ("M", "7.80")),
    ("formatting_options", "single_input_net", {"batch": 16}, 21_840, 21_840, ("", "7,801,600")),
    ("basic_summary", "single_input_net", {}, 21_840, 21_840, None),  # no input given: no mult-adds
    ("partial_jit", "single_input_net", {"batch": 2}, 21_840, 21_840, None),  # scripted: "0"
    ("jit", "linear_model", {}, 33_153, 33_153, ("M", "2.12")),
    ("linear_model_half", "linear_model", {}, 33_153, 33_153, ("M", "2.12")),
    ("multiple_input_types", "multiple_input_net", {}, 31_120, 31_120, ("k", "31.12")),
    ("multiple_input_tensor_args", "multiple_input_net", {}, 31_120, 31_120, ("k", "31.12")),
    ("multiple_input_tensor_dict", "multiple_input_net", {}, 31_120, 31_120, ("k", "31.12")),
    ("multiple_input_tensor_list", "multiple_input_net", {}, 31_120, 31_120, ("k", "31.12")),
    ("dict_input", "multiple_input_net", {}, 31_120, 31_120, ("k", "31.12")),
    ("recursive", "recursive_net", {}, 36_928, 36_928, ("M", "173.71")),
    ("model_with_args", "recursive_net", {}, 36_928, 36_928, ("M", "173.71")),
    ("siamese_net", "siamese_net", {}, 2_251_585, 2_251_585, ("G", "1.06")),
    ("container", "container", {}, 150, 150, ("", "330")),
    ("too_many_linear", "reuse_linear", {}, 110, 110, ("", "880")),
    ("too_many_linear_plus_existing_hooks", "reuse_linear", {}, 110, 110, ("", "880")),
    ("too_many_relus", "reuse_relu", {}, 91, 91, ("k", "155.54")),
    ("shared_module_in_nested_list", "shared_module_in_nested_list", {}, 120, 120, ("", "120")),
    ("single_linear_layer", "linear_2_5", {}, 15, 15, ("", "15")),
    ("training_mode", "linear_2_5", {}, 15, 15, ("", "15")),
    ("single_layer_network_on_gpu", "linear_2_5", {}, 15, 15, ("M", "0.00")),
    ("single_layer_network_on_gpu_device", "linear_2_5", {}, 15, 15, ("M", "0.00")),
    ("groups", "groups", {}, 1_184, 1_184, ("M", "5.60")),
    ("linear", "linear_on_sequence", {}, 576, 576, ("k", "294.91")),
    ("cnn_module_list", "cnn_module_list", {}, 10, 10, ("", "100")),
    ("recursive_with_missing_layers", "recursive_with_missing_layers", {}, 4_235, 4_235, ("M", "135.04")),
    ("autoencoder", "autoencoder", {}, 883, 883, ("M", "3.62")),
    ("genotype", "genotype", {}, 4_592, 4_592, ("M", "8.95")),
    ("categorical_distribution_output", "linear_10_5", {}, 55, 55, ("", "55")),
    ("scalar_tensor_input_size", "linear_10_5", {}, 55, 55, ("", "55")),
    ("normal_distribution_output", "normal_output", {}, 110, 110, ("", "110")),
    ("highly_nested_dict_model", "highly_nested_dict_model", {}, 220, 220, ("", "220")),
    ("device_parallelism", "multi_device_model", {}, 165, 165, ("M", "0.00")),
    ("numpy_model", "numpy_model", {}, 12, 12, ("M", "0.00")),
    ("edgecase_input_output_model", "edgecase_input_output_model", {}, 4, 4, ("", "4")),
    ("tensor_kernel_size", "tensor_kernel_size", {}, 4, 4, ("", "64")),
    ("forward_pass_exception", "edge_case_model", {}, 260, 260, ("k", "149.76")),
    ("ascii_only", "resnet18", {}, 11_689_512, 11_689_512, ("M", "148.57")),
    ("resnet18_depth_consistency", "resnet18", {}, 11_689_512, 11_689_512, ("M", "148.57")),
    ("eval_order_doesnt_matter", "resnet18", {"input": [224, 224, 3]}, 11_689_512, 11_689_512, ("G", "1.81")),
    ("frozen_layers", "resnet18_frozen", {}, 11_689_512, 11_006_440, ("M", "148.57")),
    ("resnet50", "resnet50", {}, 25_557_032, 25_557_032, ("G", "8.18")),
    ("resnet152", "resnet152", {}, 60_192_808, 60_192_808, ("G", "11.51")),
    # google.out holds two summaries: training mode calls the auxiliary heads; eval mode does not,
    # and torchinfo still counts their 6,379,984 parameters (on its top row): 13,004,888 − 6,379,984.
    ("google (train)", "googlenet", {}, 13_004_888, 13_004_888, ("M", "392.46")),
    ("google (eval)", "googlenet_eval", {}, 6_624_904, 6_624_904, ("M", "384.08")),
]
UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}


def solved(model: str, changes: dict):
    data = yaml.safe_load((MODELS / f"{model}.yaml").read_text())
    data.update(changes)
    return solve(load_text(yaml.safe_dump(data, sort_keys=False), file=f"{model}.yaml").spec), data


def layer_types(layers, types=None) -> dict[str, str]:
    """Every named layer's type, inside residual blocks too (the table shows the name); a named
    apply: the name of the layer it shares."""
    types = {} if types is None else types
    for layer in layers:
        if layer.get("name"):
            types[layer["name"]] = layer["layer"] if layer["type"] == "apply" else layer["type"]
        for inner in ("layers", "shortcut"):
            layer_types(layer.get(inner) or [], types)
    return types


def torchinfo_rows(solution, data) -> list[tuple[str, int]]:
    """(label, torchinfo's mult-adds for one image) of every row of nnsolve's table."""
    table = next(b for b in solution.blocks if isinstance(b, Table))
    shape_at, params_at = table.columns.index("Output shape"), table.columns.index("Parameters")
    types = layer_types(data["layers"])
    params_of = {r[0].split(" ", 1)[1]: r[params_at] for r in table.rows[:-1]}
    rows = []
    for row in table.rows[:-1]:
        what = row[0].split(" ", 1)[1]
        shared = what.endswith(" (shared)")
        what = what.removesuffix(" (shared)")
        if shared and what in types and types[what] in params_of:
            what = types[what]  # a named apply: the layer it shares
        kind = types.get(what, what)
        params = params_of[what] if shared else row[params_at]
        positions = math.prod(row[shape_at][:-1])  # all but the channels (features): torchinfo's N·H·W, N·L
        rows.append((row[0], params * positions if kind in PER_POSITION else params))
    return rows


@pytest.mark.parametrize("out, model, changes, total, trainable, printed", CASES, ids=[c[0] for c in CASES])
def test_torchinfo_expected_output(out, model, changes, total, trainable, printed):
    solution, data = solved(model, changes)
    assert solution.answers["total_params"].value == total
    assert solution.answers["trainable_params"].value == trainable
    if printed is None:
        return
    unit, text = printed
    mult_adds = data.get("batch", 1) * sum(n for _, n in torchinfo_rows(solution, data))
    assert (f"{mult_adds:,}" if not unit else f"{mult_adds / UNITS[unit]:0.2f}") == text


# The Mult-Adds column, layer by layer, where torchinfo prints it.
COLUMNS = [
    ("single_input_all_cols", "single_input_net", {"batch": 7}, [1_048_320, 2_248_960, 112_350, 3_570]),
    ("single_input_batch_dim", "single_input_net", {}, [149_760, 321_280, 16_050, 510]),
    ("groups", "groups", {}, [5_602_688]),
    ("linear", "linear_on_sequence", {}, [294_912]),
]


@pytest.mark.parametrize("out, model, changes, column", COLUMNS, ids=[c[0] for c in COLUMNS])
def test_torchinfo_mult_adds_column(out, model, changes, column):
    solution, data = solved(model, changes)
    found = [data.get("batch", 1) * n for _, n in torchinfo_rows(solution, data) if n]
    assert found == column


def test_the_mult_adds_reconcile_with_nnsolves_macs():
    # SingleInputNet, one image: nnsolve's MACs are the weights' share: conv1 250·576 = 144,000,
    # conv2 5,000·64 = 320,000, fc1 16,000, fc2 500: 480,500; torchinfo adds a bias per output value
    # (10·576 + 20·64 = 7,040) and the linear biases (60): 487,600.
    solution, data = solved("single_input_net", {})
    assert solution.answers["total_macs"].value == 480_500
    assert sum(n for _, n in torchinfo_rows(solution, data)) == 487_600
