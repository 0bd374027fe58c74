"""Loading problem files: safe YAML, exact numbers, and one clear error with file, line and field."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nnsolve.errors import NnsolveError
from nnsolve.loader import load_text, parse

S03 = """\
topic: cnn_architecture
input: [64, 64, 3]
layers:
  - {type: conv2d, filters: 16, kernel: 7}
  - {type: max_pool, window: 2}
  - {type: flatten}
  - {type: dense, units: 16}
"""


@pytest.mark.parametrize(
    "text,expected",
    [
        (S03.replace("kernel: 7", "kernel: 0"), "p.yaml:4: layers[0].kernel (Layer 1): must be a positive integer"),
        (S03.replace("kernel: 7", "kernel: 7.5"), "p.yaml:4: layers[0].kernel (Layer 1): must be an integer"),
        (S03.replace("kernel: 7", "kernel: true"), "p.yaml:4: layers[0].kernel (Layer 1): must be an integer"),
        (S03.replace("units: 16", "units: 16, unit: 3"), "p.yaml:7: layers[3].unit (Layer 4): unknown field; did you mean 'units'?"),
        (S03.replace("topic: cnn_architecture", "topic: cnn"),
         "p.yaml:1: topic: unknown topic 'cnn'; expected one of"),
        (S03 + "input: [1, 1, 1]\n", "p.yaml:8: input: duplicate key 'input'"),
        (S03.replace("type: flatten", "type: flaten"), "p.yaml:6: layers[2].type (Layer 3): unknown type 'flaten'"),
        ("topic: [unclosed\n", "p.yaml:1: invalid YAML at column 8: the list opened with '[' here is never closed"),
        ("", "p.yaml: is empty"),
        ("- 1\n- 2\n", "p.yaml:1: a problem file must be a mapping"),
        ("x: !!python/object/apply:os.system ['true']\n", "p.yaml:1: x: the YAML tag"),
        ("a: &x 1\nb: *x\n", "p.yaml:1: a: YAML anchors"),
        ("topic: cnn_architecture\ninput: .nan\n", "p.yaml:2: input: must be a finite number"),
    ],
)
def test_error_messages(text, expected):
    with pytest.raises(NnsolveError) as info:
        load_text(text, file="p.yaml")
    assert str(info.value).startswith(expected), str(info.value)


def test_decimals_are_read_exactly():
    data, _ = parse("alpha: 0.001\nw: -0.20\n")
    assert data == {"alpha": Fraction(1, 1000), "w": Fraction(-1, 5)}


@pytest.mark.parametrize("text,value", [("1e-3", Fraction(1, 1000)), ("7/15", Fraction(7, 15)), (0.1, Fraction(1, 10)),
                                        ("-2.50", Fraction(-5, 2)), (3, 3)])
def test_real_numbers_are_exact(text, value):
    from nnsolve.numbers import to_exact

    assert to_exact(text) == value


@pytest.mark.parametrize("text", ["1+1", "__import__('os')", "nan", "inf", "1/0", "", "1" * 100, True])
def test_real_numbers_refuse_anything_else(text):
    from nnsolve.numbers import to_exact

    with pytest.raises(ValueError):
        to_exact(text)


def test_line_numbers_of_fields():
    problem = load_text(S03, file="p.yaml")
    assert problem.lines["layers[3].units"] == 7
    assert problem.lines["input"] == 2


def _lines(text: str) -> list[str]:
    with pytest.raises(NnsolveError) as info:
        load_text(text, file="p.yaml")
    return info.value.lines()


def test_every_error_of_a_file_at_once_in_file_order_counting_as_the_solution_does():
    text = ("topic: cnn_architecture\ninput: [64, 64, 3]\nlayers:\n"
            "  - {type: conv2d, filters: 0, kernel: 7}\n  - {type: max_pool, window: 2}\n"
            "  - {type: flatten}\n  - {type: dense, units: 16, unit: 3}\n  - {type: dense, units: -1}\n")
    assert _lines(text) == [
        "p.yaml:4: layers[0].filters (Layer 1): must be a positive integer",
        "p.yaml:7: layers[3].unit (Layer 4): unknown field; did you mean 'units'?",
        "p.yaml:8: layers[4].units (Layer 5): must be a positive integer",
    ]


def test_errors_beyond_the_cap_are_counted():
    from nnsolve.limits import MAX_ERRORS_SHOWN

    text = "topic: svm\npoints: [{x: [1], y: 1}, {x: [2], y: -1}]\n" + "".join(f"extra{i}: 1\n" for i in range(30))
    lines = _lines(text)
    assert len(lines) == MAX_ERRORS_SHOWN + 1
    assert lines[0].startswith("p.yaml:3: extra0: unknown field")
    assert lines[-1] == f"p.yaml: … and {30 - MAX_ERRORS_SHOWN} more errors"


@pytest.mark.parametrize("text,expected", [
    # model-level errors on the line of the field they are about
    (S03 + "ask: shape_after\n", "p.yaml:8: ask: shape_after needs 'layer', a layer number from 1 to 4"),
    (S03 + "ask: shape_after\nlayer: 9\n", "p.yaml:9: layer: shape_after needs 'layer', a layer number from 1 to 4"),
    ("topic: optimizer_steps\nweights: [1, 2]\nsamples:\n  - {x: [1, 2, 3], y: 1}\n"
     "optimizer: {type: gd, learning_rate: 0.1}\niterations: 1\n",
     "p.yaml:4: samples[0].x: has 3 inputs but there are 2 weights"),
    ("topic: optimizer_steps\nweights: [1]\nsamples: [{x: [1], y: 1}]\n"
     "optimizer: {type: gd, learning_rate: -0.1}\niterations: 1\n",
     "p.yaml:4: optimizer.learning_rate: must be positive"),
    ("topic: backprop\nexpression: x*y\nvalues:\n  x: 1\n  y: 2\n  z: 3\n",
     "p.yaml:3: values: z does not appear in the expression"),
])
def test_model_level_errors_name_their_field_and_line(text, expected):
    assert _lines(text) == [expected]


@pytest.mark.parametrize("text,expected", [
    ("topic: svm\npoints: [1, 2\n",
     "p.yaml:2: invalid YAML at column 9: the list opened with '[' here is never closed with ']'"),
    ("topic: svm\ntitle: 'unclosed\n", "p.yaml:2: invalid YAML at column 8: the quote that opens here is never closed"),
    ("topic: svm\n  points: 3\n", "p.yaml:2: invalid YAML at column 9: a 'key:' where a value was expected"),
    ("topic: svm\npoints:\n  - x: [1]\n   y: 1\n", "p.yaml:4: invalid YAML at column 4: this line does not line up"),
    ("topic: svm\n\tpoints: 3\n", "p.yaml:2: invalid YAML at column 1: a tab character cannot indent YAML; use spaces"),
])
def test_yaml_syntax_errors_in_plain_words_with_line_and_column(text, expected):
    (line,) = _lines(text)
    assert line.startswith(expected), line


CONV = "topic: cnn_architecture\ninput: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 4, kernel: 3, %s}\n"
DENSE = "topic: cnn_architecture\ninput: [8]\nlayers:\n  - {type: dense, units: 4, %s}\n"
ADAM = ("topic: optimizer_steps\nweights: [1]\nsamples: [{x: [1], y: 1}]\niterations: 1\n"
        "optimizer: {type: adam, %s}\n")


@pytest.mark.parametrize("text,expected", [
    (CONV % "kernel_size: 3", "layers[0].kernel_size (Layer 1): unknown field; did you mean 'kernel'?"),
    (CONV % "strides: 2", "layers[0].strides (Layer 1): unknown field; did you mean 'stride'?"),
    (CONV % "out_channels: 8", "layers[0].out_channels (Layer 1): unknown field; did you mean 'filters'?"),
    (CONV % "in_channels: 1", "layers[0].in_channels (Layer 1): unknown field; not needed: the input channels come from"),
    (CONV.replace("conv2d, filters: 4, kernel: 3", "max_pool") % "pool_size: 2",
     "layers[0].pool_size (Layer 1): unknown field; did you mean 'window'?"),
    (DENSE % "neurons: 4", "layers[0].neurons (Layer 1): unknown field; did you mean 'units'?"),
    (DENSE % "in_features: 8", "layers[0].in_features (Layer 1): unknown field; not needed: a dense layer's inputs"),
    (ADAM % "lr: 0.1", "optimizer.lr: unknown field; did you mean 'learning_rate'?"),
    (ADAM % "eps: 0.1", "optimizer.eps: unknown field; did you mean 'epsilon'?"),
    (ADAM % "betas: [0.9, 0.99]", "optimizer.betas: unknown field; write beta1 and beta2 separately"),
    (ADAM.replace("type: adam", "type: Adam") % "beta1: 0.9",
     "optimizer.type: unknown type 'Adam'; expected one of 'gd', 'momentum', 'nesterov', 'rmsprop', 'adam'; "
     "did you mean 'adam'?"),
    (ADAM.replace("iterations: 1", "iterations: 1\nactivation: ReLU") % "beta1: 0.9",
     "activation: must be one of 'sigmoid', 'tanh', 'relu' or 'linear'; did you mean 'relu'?"),
    ("topic: SVM\n", "topic: unknown topic 'SVM'; expected one of"),
    (CONV.replace("conv2d", "MaxPooling2D") % "padding: 0", "layers[0].type (Layer 1): unknown type 'MaxPooling2D'"),
])
def test_did_you_mean_from_the_names_users_bring(text, expected):
    assert expected in _lines(text)[0]


def test_case_and_library_names_of_values_are_hinted():
    assert _lines("topic: SVM\n")[0].endswith("did you mean 'svm'?")
    assert _lines(CONV.replace("conv2d", "MaxPooling2D") % "padding: 0")[0].endswith("did you mean 'max_pool'?")
    assert _lines(CONV.replace("conv2d", "Conv2D") % "padding: 0")[0].endswith("did you mean 'conv2d'?")


def test_a_misspelt_field_is_not_also_reported_missing():
    assert _lines(DENSE.replace("units: 4, ", "") % "neurons: 4") == [
        "p.yaml:4: layers[0].neurons (Layer 1): unknown field; did you mean 'units'?"]


def test_one_member_of_a_plain_union_speaks_for_it():
    # input is a matrix or a tensor: the matrix reading fits best, so only its error is given
    text = "topic: conv_values\ninput: [[1, x], [3, 4]]\nkernel: [[1]]\n"
    assert _lines(text) == ["p.yaml:2: input[0][1]: must be a number such as 3, -0.25 or 7/15"]


@pytest.mark.parametrize("padding,expected", [
    ("Same", "must be an integer, a list, 'same' or 'valid'; did you mean 'same'?"),
    ("VALID", "must be an integer, a list, 'same' or 'valid'; did you mean 'valid'?"),
    ("full", "must be an integer, a list, 'same' or 'valid'"),
    ("[1, 2, 3]", "has more than 2 items"),  # a list: the pair's complaint, not "must be an integer"
    ("[1, -2]", None),  # one error, at the item
])
def test_a_value_of_no_kind_a_union_takes_is_told_every_kind(padding, expected):
    lines = _lines(CONV % f"padding: {padding}")
    if expected is None:
        assert lines == ["p.yaml:4: layers[0].padding[1] (Layer 1): must be at least 0"]
    else:
        assert lines == [f"p.yaml:4: layers[0].padding (Layer 1): {expected}"]


def test_a_misspelt_field_of_padding_asked_for_is_hinted():
    # padding {output: N} is an alternative chosen by a callable discriminator: its fields are known there too
    assert _lines(CONV % "padding: {outpt: 3}") == [
        "p.yaml:4: layers[0].padding.outpt (Layer 1): unknown field; did you mean 'output'?"]


@pytest.mark.parametrize("field,expected", [
    ("lr: 0.1", "lr: unknown field here; did you mean 'optimizer.learning_rate'?"),  # Keras' lr, one level up
    ("momentum: 0.9", "momentum: unknown field here; did you mean 'optimizer.momentum'?"),
    ("beta1: 0.9", "beta1: unknown field here; did you mean 'optimizer.beta1'?"),
    ("b: 1", "b: unknown field; did you mean 'bias'?"),  # a name of this level wins
])
def test_a_field_of_the_mapping_beside_it_is_hinted_with_its_path(field, expected):
    lines = _lines(ADAM.replace("optimizer:", f"{field}\noptimizer:") % "beta2: 0.99")
    assert lines == [f"p.yaml:5: {expected}"]


# --- a tagged union validated by the member its tag names (nnsolve.spec.ByTag) ----------------

LAYER_VALUES = [
    {"type": "conv2d", "filters": 4, "kernel": 3},
    {"type": "conv2d", "filters": 0, "kernel": 3, "stride": "two", "colour": 1},
    {"type": "dense"},
    {"type": "convolution"},
    {"filters": 4},
    {"type": 3},
    "conv2d",
    None,
    [{"type": "flatten"}],
    {"type": "residual", "layers": [{"type": "dense", "units": 2}, {"type": "max_pool", "window": "x"}],
     "shortcut": [{"type": "nope"}]},
    {"type": "apply", "layer": ""},
]


@pytest.mark.parametrize("topic", ["cnn_architecture", "network"])
@pytest.mark.parametrize("value", LAYER_VALUES)
def test_a_layer_is_validated_as_the_discriminated_union_validates_it(topic, value):
    import typing

    from pydantic import Field, TypeAdapter, ValidationError

    from nnsolve.topics import topic_module

    Layer = topic_module(topic).Layer

    members = typing.get_args(Layer)[0]
    by_tag, union = TypeAdapter(list[Layer]), TypeAdapter(list[typing.Annotated[members, Field(discriminator="type")]])

    def outcome(adapter):
        try:
            return adapter.validate_python([value])
        except ValidationError as exc:
            return [{k: str(v) if k == "ctx" else v for k, v in err.items()} for err in exc.errors(include_url=False)]

    assert outcome(by_tag) == outcome(union)


def test_loading_a_cnn_file_builds_only_the_layer_kinds_it_uses():
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("from nnsolve.loader import load; import nnsolve.layers as L\n"
            "load('problems/seed/s03-cnn-params.yaml')\n"
            "print(sorted(n for n in L.__all__ if getattr(getattr(L, n), '__pydantic_complete__', False)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.split("\n")[0] == "['Conv2d', 'Dense', 'Flatten', 'MaxPool']"
