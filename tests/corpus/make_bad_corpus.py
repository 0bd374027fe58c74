"""Write tests/corpus/bad/: malformed and hostile problem files, and EXPECTED.tsv.

Run deliberately (`.venv/bin/python tests/corpus/make_bad_corpus.py`) when a case is added;
the files it writes are committed. Each case states, by hand, the line and field its error
must name: the line is found in the text the case writes, never taken from nnsolve's output.
EXPECTED.tsv columns: file, what stderr must start with after the file name, a phrase the
message must contain. Files too big or binary to commit are made in tests/test_hostile.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from nnsolve.errors import field_text  # noqa: E402  (how an error line shows a field: layers[0].kernel (Layer 1))

HERE = Path(__file__).resolve().parent / "bad"

CNN = """\
topic: cnn_architecture
input: [64, 64, 3]
layers:
  - {type: conv2d, filters: 16, kernel: 7, stride: 1, padding: 0}
  - {type: max_pool, window: 2}
  - {type: flatten}
  - {type: dense, units: 16}
  - {type: dense, units: 10}
ask: total_params
"""

CONV_VALUES = """\
topic: conv_values
input:
  - [10, 10, 0, 5]
  - [0, 20, 0, 0]
  - [0, 20, 20, 0]
  - [10, 0, 20, 0]
kernel:
  - [1, 0, -1]
  - [2, 0, -2]
  - [1, 0, 1]
bias: 3
padding: 1
stride: 1
activation: leaky_relu
alpha: 0.001
"""

CONV_COST = """\
topic: conv_cost
input: [16, 16, 3]
out_channels: 64
kernel: 5
stride: 1
padding: 0
images: 100
ask: improvement_factor
"""

OPTIMIZER = """\
topic: optimizer_steps
weights: [0.5, 0.2]
bias: 0.1
activation: sigmoid
samples:
  - {x: [2, 5], y: 0.5}
loss: {type: squared_error, half: false, reduction: mean}
trained: [w1, w2]
optimizer:
  type: momentum
  learning_rate: 0.1
  momentum: 0.5
  velocity: {w1: 0, w2: 0}
iterations: 2
ask: w2
"""

SVM = """\
topic: svm
points:
  - {x: [-2, 7], y: -1, support: true}
  - {x: [4, 4], y: 1, support: true}
  - {x: [-1, 9], y: -1, support: false}
test_samples:
  - [-2, 3]
kernel: linear
bias: 0.47
ask: class
"""

BACKPROP = """\
topic: backprop
node: sigmoid
downstream:
  - {weight: 0.25, upstream: 0.5}
  - {weight: -0.20, upstream: 0.4}
ask: output_gradient
"""

BACKPROP_GRAPH = """\
topic: backprop
expression: "sigmoid(w1 * x1 + w2 * x2 + b)"
values: {w1: 0.5, x1: 2, w2: 0.2, x2: 5, b: 0.1}
ask: w2
"""

FUNCTION = """\
topic: function
objective: "x**3 - 3*x*y + y**2"
start: {x: 1, y: 2}
optimizer: {type: gd, learning_rate: 0.1}
iterations: 3
stationary_points: true
"""

AVERAGE = """\
topic: moving_average
sequence: [40, 49, 45]
beta: 0.9
bias_correction: true
"""

DETECTION = """\
topic: detection
format: corners
boxes:
  - [1, 1, 4, 4]
  - [2, 2, 5, 5]
"""

METRICS = """\
topic: classification_metrics
classes: [cat, dog, bird]
y_true: [cat, cat, dog, bird]
y_pred: [cat, dog, dog, bird]
ask: f1_macro
"""

NETWORK = """\
topic: network
input: [0.05, 0.10]
orientation: out_in
layers:
  - {type: dense, weights: [[0.15, 0.20], [0.25, 0.30]], bias: [0.35, 0.35], activation: sigmoid}
  - {type: dense, weights: [[0.40, 0.45], [0.50, 0.55]], bias: [0.60, 0.60], activation: sigmoid}
loss: {type: squared_error, half: true, reduction: sum}
target: [0.01, 0.99]
optimizer: {type: gd, learning_rate: 0.5}
iterations: 1
ask: W2
"""

NETWORK_CONV = """\
topic: network
input:
  - [1, 0, 2, 1]
  - [0, 1, 3, 1]
  - [2, 1, 0, 0]
layers:
  - {type: conv2d, weights: [[1, 0], [0, -1]], bias: 0, padding: 0}
  - {type: dropout, rate: 0.5, mask: [[1, 0, 1], [0, 1, 1]]}
  - {type: max_pool, window: 2}
ask: a3
"""

CASES: list[tuple[str, str, str, str]] = []  # (file, text, expected prefix, phrase)


def case(name: str, text: str, prefix: str, phrase: str = "") -> None:
    """``prefix`` states the field as the file's lists count (from 0); it is shown as an error line shows it."""
    prefix = re.sub(r"^(:\d+: )(\S+):", lambda m: f"{m.group(1)}{field_text(m.group(2))}:", prefix)
    CASES.append((name, text, prefix, phrase))


def sub(base: str, old: str, new: str) -> tuple[str, int]:
    """``base`` with its one ``old`` replaced by ``new``, and the line ``old`` was on."""
    assert base.count(old) == 1, old
    return base.replace(old, new), base[: base.index(old)].count("\n") + 1


def bad(name: str, base: str, old: str, new: str, field: str, phrase: str = "") -> None:
    """A case that changes one field; its error names that field on that field's line."""
    text, line = sub(base, old, new)
    case(name, text, f":{line}: {field}:", phrase)


def add(name: str, base: str, line: str, field: str, phrase: str = "") -> None:
    """A case that adds one line at the end; its error names that field on the new line."""
    case(name, base + line + "\n", f":{base.count(chr(10)) + 1}: {field}:", phrase)


# --- files that are not problems at all ----------------------------------------------------
case("empty.yaml", "", ": is empty", "topic")
case("only-comments.yaml", "# nothing here\n# at all\n", ": is empty", "topic")
case("whitespace.yaml", "   \n\n  \n", ": is empty", "topic")
case("scalar.yaml", "just some text\n", ":1: a problem file must be a mapping", "")
case("list.yaml", "- topic: cnn_architecture\n", ":1: a problem file must be a mapping", "")
case("null-document.yaml", "~\n", ":1: a problem file must be a mapping", "")
case("two-documents.yaml", "topic: svm\n---\ntopic: svm\n", ":2: more than one YAML document", "")

# --- YAML syntax -----------------------------------------------------------------------------
case("unclosed-flow.yaml", "topic: cnn_architecture\ninput: [64, 64, 3\nlayers: []\n", ":", "invalid YAML")
case("unclosed-quote.yaml", 'topic: "cnn_architecture\ninput: [1]\n', ":", "invalid YAML")
case("bad-indent.yaml", "topic: svm\n  points: 3\n bias: 1\n", ":", "invalid YAML")
case("tab-indent.yaml", "topic: svm\npoints:\n\t- {x: [1], y: 1}\n", ":3: invalid YAML at column 1: a tab character", "use spaces")
case("tab-indent-key.yaml", CNN.replace("ask: total_params", "\task: total_params"), ":9: invalid YAML at column 1: a tab", "")
case("colon-in-key.yaml", "topic: svm\nfoo: bar: baz\n", ":2: invalid YAML", "")
case("stray-bracket.yaml", "]topic: svm\n", ":1: invalid YAML", "")
case("control-char.yaml", "topic: svm\ntitle: \"bell\x07\"\n", ":2: invalid YAML", "control characters")
case("bad-escape.yaml", 'topic: svm\ntitle: "\\q"\n', ":2: invalid YAML", "escape")
case("lone-surrogate-escape.yaml", 'topic: "\\ud800"\n', ":1: invalid YAML", "")
case("directive-twice.yaml", "%YAML 1.1\n%YAML 1.1\n---\ntopic: svm\n", ":", "invalid YAML")
case("duplicate-top-key.yaml", CNN + "input: [1, 1, 1]\n", ":10: input: duplicate key 'input'", "")
case("duplicate-nested-key.yaml", CNN.replace("window: 2}", "window: 2, window: 3}"),
     ":5: layers[1].window: duplicate key 'window'", "")
case("duplicate-topic.yaml", "topic: svm\ntopic: conv_cost\n", ":2: topic: duplicate key 'topic'", "")
case("duplicate-quoted-key.yaml", "topic: svm\n\"topic\": svm\n", ":2: topic: duplicate key", "")
case("key-is-list.yaml", "topic: svm\n? [a, b]\n: 1\n", ":2: a key must be a plain name", "")
case("key-is-mapping.yaml", "topic: svm\n? {a: 1}\n: 1\n", ":2: a key must be a plain name", "")

# --- YAML features that build objects or share nodes -------------------------------------------
case("python-object.yaml", "topic: !!python/object/apply:os.system ['echo pwned']\n",
     ":1: topic: the YAML tag", "not allowed")
case("python-name.yaml", "topic: svm\ntitle: !!python/name:os.system\n", ":2: title: the YAML tag", "not allowed")
case("python-module.yaml", "topic: svm\ntitle: !!python/module:os\n", ":2: title: the YAML tag", "")
case("python-tuple.yaml", "topic: svm\ntitle: !!python/tuple [1, 2]\n", ":2: title: the YAML tag", "")
case("python-bytes.yaml", "topic: svm\ntitle: !!python/bytes aGk=\n", ":2: title: the YAML tag", "")
case("binary-tag.yaml", "topic: svm\ntitle: !!binary aGk=\n", ":2: title: the YAML tag", "")
case("set-tag.yaml", "!!set {topic, svm}\n", ":1: the YAML tag", "")
case("omap-tag.yaml", "topic: svm\npoints: !!omap [a: 1]\n", ":2: points: the YAML tag", "")
case("local-tag.yaml", "topic: svm\nbias: !custom 3\n", ":2: bias: the YAML tag", "")
case("str-tag.yaml", "topic: !!str svm\n", ":1: topic: the YAML tag", "")
case("anchor.yaml", "topic: svm\nbias: &b 1\n", ":2: bias: YAML anchors", "")
case("alias.yaml", "topic: svm\nkernel: linear\nbias: *b\n", ":3: bias: YAML aliases", "")
case("billion-laughs.yaml",
     "topic: svm\n"
     'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
     "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
     "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
     "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
     "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", ":2: a: YAML anchors", "")
case("merge-key.yaml", "topic: svm\nbase: {bias: 1}\nmore: {<<: {bias: 2}}\n", ":3: more: merge keys", "")
case("merge-key-top.yaml", "<<: {topic: svm}\n", ":1: merge keys", "")
case("deep-flow-lists.yaml", "topic: svm\nbias: " + "[" * 40 + "]" * 40 + "\n",
     ":2: bias" + "[0]" * 31 + ": nested more than 32 levels deep", "MAX_YAML_DEPTH")
case("deep-block-maps.yaml", "topic: svm\n" + "".join("  " * i + f"k{i}:\n" for i in range(40)) + "  " * 40 + "1\n",
     ":34: " + ".".join(f"k{i}" for i in range(32)) + ": nested more than 32", "MAX_YAML_DEPTH")
case("deep-flow-maps.yaml", "topic: svm\nx: " + "{a: " * 50 + "1" + "}" * 50 + "\n",
     ":2: x" + ".a" * 31 + ": nested more than 32", "MAX_YAML_DEPTH")

# --- the topic field -----------------------------------------------------------------------------
case("no-topic.yaml", "input: [1, 2, 3]\n", ":1: topic: is required but missing", "")
case("unknown-topic.yaml", "topic: quantum_chemistry\n", ":1: topic: unknown topic 'quantum_chemistry'", "expected one of")
case("topic-typo.yaml", CNN.replace("cnn_architecture", "cnn_architectur"), ":1: topic: unknown topic", "")
case("topic-number.yaml", "topic: 42\n", ":1: topic: unknown topic '42'", "")
case("topic-null.yaml", "topic: ~\n", ":1: topic:", "")
case("topic-list.yaml", "topic: [svm]\n", ":1: topic:", "")
case("topic-mapping.yaml", "topic: {name: svm}\n", ":1: topic:", "")
case("topic-case.yaml", "topic: SVM\n", ":1: topic: unknown topic 'SVM'", "")
case("topic-bom-only.yaml", "\ufefftopic: nothing\n", ":1: topic: unknown topic 'nothing'", "")

# --- fields every topic shares ---------------------------------------------------------------
add("common-marks-zero.yaml", SVM, "marks: 0", "marks", "positive")
add("common-marks-text.yaml", SVM, "marks: ten", "marks", "")
add("common-title-list.yaml", SVM, "title: [a, b]", "title", "text")
add("common-title-huge.yaml", SVM, "title: " + "x" * 600, "title", "longer than")
add("common-tolerance-negative.yaml", SVM, "tolerance: {relative: -0.1}",
    "tolerance.relative", "")
add("common-tolerance-unknown.yaml", SVM, "tolerance: {percent: 5}",
    "tolerance.percent", "unknown field")
add("common-tolerance-huge-exponent.yaml", SVM, "tolerance: {relative: 1e-999999999}",
    "tolerance.relative", "MAX_EXPONENT")
add("common-choices-list.yaml", SVM, "choices: [1, 2]", "choices", "mapping")
add("common-submitted-unknown.yaml", SVM, "submitted: {guess: 1}",
    "submitted.guess", "unknown field")

# --- numbers -------------------------------------------------------------------------------------
bad("number-nan.yaml", SVM, "bias: 0.47", "bias: .nan", "bias", "finite")
bad("number-inf.yaml", SVM, "bias: 0.47", "bias: .inf", "bias", "finite")
bad("number-neg-inf.yaml", SVM, "bias: 0.47", "bias: -.Inf", "bias", "finite")
bad("number-nan-string.yaml", SVM, "bias: 0.47", 'bias: "nan"', "bias", "")
bad("number-exponent-huge.yaml", SVM, "bias: 0.47", "bias: 1e999999999", "bias", "MAX_EXPONENT")
bad("number-exponent-tiny.yaml", SVM, "bias: 0.47", "bias: 1e-999999999", "bias", "MAX_EXPONENT")
bad("number-exponent-string.yaml", SVM, "bias: 0.47", 'bias: "1e999999999"', "bias", "MAX_EXPONENT")
bad("number-too-many-digits.yaml", SVM, "bias: 0.47", "bias: " + "9" * 100, "bias", "MAX_NUMBER_DIGITS")
bad("number-long-decimal.yaml", SVM, "bias: 0.47", "bias: 0." + "3" * 100, "bias", "MAX_NUMBER_DIGITS")
bad("number-expression.yaml", SVM, "bias: 0.47", 'bias: "__import__(\'os\').system(\'true\')"', "bias", "")
bad("number-arithmetic.yaml", SVM, "bias: 0.47", 'bias: "1+1"', "bias", "")
bad("number-divide-by-zero.yaml", SVM, "bias: 0.47", 'bias: "1/0"', "bias", "")
bad("number-sexagesimal.yaml", SVM, "bias: 0.47", "bias: 190:20:30.15", "bias", "")
bad("number-bool.yaml", SVM, "bias: 0.47", "bias: true", "bias", "")

# --- cnn_architecture ------------------------------------------------------------------------
bad("cnn-kernel-zero.yaml", CNN, "kernel: 7", "kernel: 0", "layers[0].kernel", "positive")
bad("cnn-kernel-negative.yaml", CNN, "kernel: 7", "kernel: -3", "layers[0].kernel", "positive")
bad("cnn-kernel-float.yaml", CNN, "kernel: 7", "kernel: 7.5", "layers[0].kernel", "integer")
bad("cnn-kernel-string.yaml", CNN, "kernel: 7", "kernel: seven", "layers[0].kernel", "")
bad("cnn-kernel-bool.yaml", CNN, "kernel: 7", "kernel: yes", "layers[0].kernel", "integer")
bad("cnn-kernel-larger-than-input.yaml", CNN, "kernel: 7", "kernel: 99", "layers[0].kernel", "spans 99")
bad("cnn-kernel-three-values.yaml", CNN, "kernel: 7", "kernel: [3, 3, 3]", "layers[0].kernel", "")
bad("cnn-filters-huge.yaml", CNN, "filters: 16", "filters: 1000000000", "layers[0].filters", "nnsolve's cap")
bad("cnn-input-zero.yaml", CNN, "input: [64, 64, 3]", "input: [0, 64, 3]", "input[0]", "positive")
bad("cnn-input-huge.yaml", CNN, "input: [64, 64, 3]", "input: [1000000000, 1000000000, 3]", "input[0]", "cap")
# Two numbers are a sequence (steps × features), which a conv2d cannot take: the error is the layer's.
case("cnn-input-two.yaml", sub(CNN, "input: [64, 64, 3]", "input: [64, 64]")[0],
     f":{sub(CNN, '  - {type: conv2d', '  - {type: conv2d')[1]}: layers[0]:", "needs a height × width × channels")
bad("cnn-input-five.yaml", CNN, "input: [64, 64, 3]", "input: [64, 64, 3, 1, 1]", "input", "")
bad("cnn-input-nan.yaml", CNN, "input: [64, 64, 3]", "input: [.nan, 64, 3]", "input[0]", "finite")
bad("cnn-unknown-layer-type.yaml", CNN, "type: flatten", "type: flaten", "layers[2].type", "unknown type 'flaten'")
bad("cnn-unknown-layer-field.yaml", CNN, "units: 16", "units: 16, unit: 3", "layers[3].unit", "did you mean 'units'")
add("cnn-unknown-top-field.yaml", CNN, "layer_count: 3", "layer_count", "unknown")
# padding {output: N} (issue 14): an output no padding reaches, a misspelt key, an output of 0.
bad("cnn-padding-output-unreachable.yaml", CNN, "padding: 0}", "padding: {output: 8}}",
    "layers[0].padding", "no padding gives an output height of 8: with none it is already 58")
bad("cnn-padding-output-misspelt.yaml", CNN, "padding: 0}", "padding: {outputs: 64}}", "layers[0].padding.outputs",
    "unknown field")
bad("cnn-padding-output-zero.yaml", CNN, "padding: 0}", "padding: {output: 0}}", "layers[0].padding.output", "positive")

# A graph of layers (issue 14): each mistake names the layer, and the shapes where they disagree.
GRAPH = """\
topic: cnn_architecture
input: [8, 8, 3]
layers:
  - {type: conv2d, name: a, filters: 4, kernel: 3, padding: 1}
  - {type: conv2d, name: b, filters: 4, kernel: 1, inputs: [input]}
  - {type: concatenate, name: c, inputs: [a, b]}
ask: total_params
"""
bad("graph-cycle.yaml", GRAPH, "name: a, filters", "name: a, inputs: [c], filters", "layers[0].inputs", "cycle")
bad("graph-unknown-input.yaml", GRAPH, "inputs: [a, b]", "inputs: [a, z]", "layers[2].inputs[1]",
    "'z' names no layer")
case("graph-concat-mismatch.yaml", sub(GRAPH, "padding: 1}", "padding: 0}")[0],  # the join's line, not the conv's
     f":{sub(GRAPH, '{type: concatenate', '{type: concatenate')[1]}: layers[2].inputs:", "6 × 6 × 4, 8 × 8 × 4")
case("graph-add-mismatch.yaml", sub(sub(GRAPH, "padding: 1}", "padding: 0}")[0], "type: concatenate", "type: add")[0],
     f":{sub(GRAPH, '{type: concatenate', '{type: concatenate')[1]}: layers[2].inputs:", "one shape")
bad("graph-own-input.yaml", GRAPH, "inputs: [a, b]", "inputs: [a, c]", "layers[2].inputs", "its own output")
bad("graph-apply-input.yaml", GRAPH, "{type: concatenate, name: c, inputs: [a, b]}", "{type: apply, layer: input}",
    "layers[2].layer", "an input, not a layer")
bad("graph-unknown-output.yaml", GRAPH, "ask: total_params", "outputs: [q]", "outputs[0]", "names no layer")
case("graph-input-and-inputs.yaml", sub(GRAPH, "input: [8, 8, 3]\n", "input: [8, 8, 3]\ninputs: {x: [8, 8, 3]}\n")[0],
     ":3: inputs:", "either 'input'")  # the line 'inputs:' adds
# Sequence layers (issue 14): a recurrent layer needs steps × features, an embedding enough positions.
SEQUENCE = """\
topic: cnn_architecture
input: [10, 4]
layers:
  - {type: lstm, units: 8}
ask: total_params
"""
case("arch-lstm-on-image.yaml", sub(SEQUENCE, "input: [10, 4]", "input: [28, 28, 1]")[0], ":4: layers[0]:",
     "needs a sequence")  # the layer's line, not the input's
case("arch-bidirectional-sum-stacked.yaml", sub(SEQUENCE, "  - {type: lstm, units: 8}", "  - type: bidirectional\n"
     "    merge: sum\n    layer: {type: gru, units: 8, num_layers: 2}")[0], ":5: layers[0].merge:", "ambiguous")
bad("arch-embedding-too-few-positions.yaml", SEQUENCE.replace("[10, 4]", "[10]"), "{type: lstm, units: 8}",
    "{type: embedding, vocabulary: 100, dimension: 8, positions: 4}", "layers[0].positions", "only 4 positions")
bad("cnn-layers-not-list.yaml", CNN, "layers:\n", "layers: 5\nold_layers:\n", "layers", "list")
bad("cnn-ask-unknown.yaml", CNN, "ask: total_params", "ask: everything", "ask", "")
case("cnn-shape-after-no-layer.yaml", CNN.replace("ask: total_params", "ask: shape_after"), ":9: ask: shape_after needs", "")
bad("cnn-stride-zero.yaml", CNN, "stride: 1", "stride: 0", "layers[0].stride", "positive")
bad("cnn-padding-negative.yaml", CNN, "padding: 0}", "padding: -1}", "layers[0].padding", "")
bad("cnn-padding-word.yaml", CNN, "padding: 0}", "padding: full}", "layers[0].padding", "")
bad("cnn-pool-window-too-big.yaml", CNN, "window: 2", "window: 500", "layers[1].window", "spans 500")
bad("cnn-dense-units-zero.yaml", CNN, "units: 10", "units: 0", "layers[4].units", "positive")
bad("cnn-conv-after-flatten.yaml", CNN, "{type: dense, units: 16}", "{type: conv2d, filters: 4, kernel: 3}",
    "layers[3]", "height × width × channels")
case("cnn-too-many-layers.yaml", CNN.replace("  - {type: dense, units: 10}\n", "  - {type: dense, units: 10}\n" * 1200),
     ":3: layers: has more than 1,000 items", "")
case("cnn-layer-is-string.yaml", CNN.replace("  - {type: flatten}", "  - flatten"), ":6: layers[2]:", "mapping")

# --- conv_values -----------------------------------------------------------------------------
add("conv-values-unknown-field.yaml", CONV_VALUES, "kernel_note: x", "kernel_note", "unknown")
case("conv-values-ragged.yaml", CONV_VALUES.replace("  - [0, 20, 0, 0]", "  - [0, 20, 0]"), ":2: input:", "same length")
case("conv-values-empty-row.yaml", CONV_VALUES.replace("  - [0, 20, 0, 0]", "  - []"), ":", "input")
bad("conv-values-nan.yaml", CONV_VALUES, "[10, 10, 0, 5]", "[10, .nan, 0, 5]", "input[0][1]", "finite")
bad("conv-values-text-cell.yaml", CONV_VALUES, "[10, 10, 0, 5]", "[10, ten, 0, 5]", "input[0][1]", "number")
bad("conv-values-stride-zero.yaml", CONV_VALUES, "stride: 1", "stride: 0", "stride", "positive")
bad("conv-values-padding-negative.yaml", CONV_VALUES, "padding: 1", "padding: -2", "padding", "")
bad("conv-values-padding-huge.yaml", CONV_VALUES, "padding: 1", "padding: 1000000000", "padding", "cap")
bad("conv-values-activation-unknown.yaml", CONV_VALUES, "activation: leaky_relu", "activation: swish", "activation", "")
bad("conv-values-alpha-text.yaml", CONV_VALUES, "alpha: 0.001", "alpha: small", "alpha", "number")
bad("conv-values-huge-exponent.yaml", CONV_VALUES, "bias: 3", "bias: 1e400000", "bias", "MAX_EXPONENT")
case("conv-values-kernel-bigger-than-input.yaml",
     "topic: conv_values\ninput:\n  - [1, 2]\n  - [3, 4]\nkernel:\n  - [1, 0, 1]\n  - [0, 1, 0]\n  - [1, 0, 1]\n",
     ":", "kernel")
case("conv-values-no-input.yaml", "topic: conv_values\nkernel: [[1]]\n", ":1: input: is required but missing", "")

# --- conv_cost -------------------------------------------------------------------------------
bad("conv-cost-images-billions.yaml", CONV_COST, "images: 100", "images: 100000000000", "images", "cap")
bad("conv-cost-images-zero.yaml", CONV_COST, "images: 100", "images: 0", "images", "")
bad("conv-cost-images-float.yaml", CONV_COST, "images: 100", "images: 1.5", "images", "integer")
bad("conv-cost-kernel-larger.yaml", CONV_COST, "kernel: 5", "kernel: 17", "kernel", "")
bad("conv-cost-input-huge.yaml", CONV_COST, "input: [16, 16, 3]", "input: [1000000000, 1000000000, 3]", "input[0]", "cap")
bad("conv-cost-input-short.yaml", CONV_COST, "input: [16, 16, 3]", "input: [16, 16]", "input", "")
bad("conv-cost-out-channels-negative.yaml", CONV_COST, "out_channels: 64", "out_channels: -64", "out_channels", "")
bad("conv-cost-ask-unknown.yaml", CONV_COST, "ask: improvement_factor", "ask: speed", "ask", "")
bad("conv-cost-unknown-field.yaml", CONV_COST, "stride: 1", "strides: 1", "strides", "did you mean 'stride'")

# --- optimizer_steps -------------------------------------------------------------------------
bad("optimizer-iterations-billions.yaml", OPTIMIZER, "iterations: 2", "iterations: 1000000000", "iterations", "cap")
bad("optimizer-iterations-zero.yaml", OPTIMIZER, "iterations: 2", "iterations: 0", "iterations", "")
bad("optimizer-iterations-negative.yaml", OPTIMIZER, "iterations: 2", "iterations: -5", "iterations", "")
bad("optimizer-iterations-float.yaml", OPTIMIZER, "iterations: 2", "iterations: 2.5", "iterations", "integer")
bad("optimizer-lr-nan.yaml", OPTIMIZER, "learning_rate: 0.1", "learning_rate: .nan", "optimizer.learning_rate", "finite")
bad("optimizer-lr-text.yaml", OPTIMIZER, "learning_rate: 0.1", "learning_rate: fast", "optimizer.learning_rate", "")
bad("optimizer-type-unknown.yaml", OPTIMIZER, "type: momentum", "type: lbfgs", "optimizer.type", "")
bad("optimizer-weights-empty.yaml", OPTIMIZER, "weights: [0.5, 0.2]", "weights: []", "weights", "")
bad("optimizer-sample-text.yaml", OPTIMIZER, "{x: [2, 5], y: 0.5}", "{x: [2, five], y: 0.5}", "samples[0].x[1]", "")
bad("optimizer-loss-unknown.yaml", OPTIMIZER, "type: squared_error", "type: hinge", "loss.type", "")
case("optimizer-missing.yaml", OPTIMIZER.split("optimizer:")[0] + "iterations: 2\n",
     ":1: optimizer: is required but missing", "")
case("optimizer-work-cap.yaml",
     "topic: optimizer_steps\nweights: [" + ", ".join(["0.1"] * 100) + "]\nsamples:\n  - {x: ["
     + ", ".join(["1"] * 100) + "], y: 1}\noptimizer: {type: gd, learning_rate: 0.1}\niterations: 10000\n",
     ":6: iterations: ", "MAX_OPTIMIZER_WORK")

# --- svm -------------------------------------------------------------------------------------
case("svm-one-point.yaml", SVM.replace("  - {x: [4, 4], y: 1, support: true}\n  - {x: [-1, 9], y: -1, support: false}\n", ""),
     ":2: points: needs at least 2", "")
bad("svm-label-two.yaml", SVM, "{x: [4, 4], y: 1,", "{x: [4, 4], y: 2,", "points[1].y", "")
bad("svm-support-text.yaml", SVM, "y: 1, support: true", "y: 1, support: maybe", "points[1].support", "")
case("svm-kernel-unknown.yaml", SVM.replace("kernel: linear", "kernel: sigmoid_kernel"), ":8: kernel", "sigmoid_kernel")
bad("svm-feature-mismatch.yaml", SVM, "  - [-2, 3]", "  - [-2, 3, 4]", "test_samples[0]", "features")
bad("svm-x-empty.yaml", SVM, "{x: [4, 4], y: 1,", "{x: [], y: 1,", "points[1].x", "")
bad("svm-poly-degree-huge.yaml", SVM, "kernel: linear", "kernel: {type: polynomial, degree: 1000000000}",
    "kernel.degree", "")

# --- backprop ------------------------------------------------------------------------------
bad("backprop-node-unknown.yaml", BACKPROP, "node: sigmoid", "node: softplus", "node", "")
bad("backprop-downstream-empty.yaml", BACKPROP, "downstream:\n  - {weight: 0.25, upstream: 0.5}\n"
    "  - {weight: -0.20, upstream: 0.4}\n", "downstream: []\n", "downstream", "")
bad("backprop-weight-nan.yaml", BACKPROP, "weight: 0.25", "weight: .nan", "downstream[0].weight", "finite")
bad("backprop-expression-eval.yaml", BACKPROP_GRAPH, '"sigmoid(w1 * x1 + w2 * x2 + b)"',
    '"__import__(\'os\').system(\'echo pwned\')"', "expression", "")
bad("backprop-expression-lambda.yaml", BACKPROP_GRAPH, '"sigmoid(w1 * x1 + w2 * x2 + b)"',
    '"(lambda: 1)()"', "expression", "")
bad("backprop-expression-attribute.yaml", BACKPROP_GRAPH, '"sigmoid(w1 * x1 + w2 * x2 + b)"',
    '"x1.__class__"', "expression", "")
case("backprop-values-unused.yaml", BACKPROP_GRAPH.replace("b: 0.1}", "b: 0.1, p: 99999999999}"),
     ":3: values: p does not appear", "")
bad("backprop-expression-syntax.yaml", BACKPROP_GRAPH, '"sigmoid(w1 * x1 + w2 * x2 + b)"',
    '"sigmoid(w1 *"', "expression", "")
bad("backprop-expression-deep.yaml", BACKPROP_GRAPH, '"sigmoid(w1 * x1 + w2 * x2 + b)"',
    '"' + "(" * 400 + "x1" + ")" * 400 + '"', "expression", "")
bad("backprop-expression-long.yaml", BACKPROP_GRAPH, '"sigmoid(w1 * x1 + w2 * x2 + b)"',
    '"' + "+".join(["x1"] * 600) + '"', "expression", "longer than")
case("backprop-expression-power.yaml",
     'topic: backprop\nexpression: "x1 ** 99999999999"\nvalues: {x1: 2}\nask: x1\n', ":2: expression:", "too large")
case("backprop-exp-overflow.yaml",
     'topic: backprop\nexpression: "exp(x1)"\nvalues: {x1: 1e6}\nask: x1\n', ":2: expression:", "overflow")

# A vary section (nnsolve vary): its fields must exist, its paths and the question's placeholders
# are parsed, never evaluated.
case("vary-field-unknown.yaml", CNN + "vary:\n  layers[0].filter: {values: [8]}\n",
     ":11: vary.layers[0].filter:", "did you mean layers[0].filters?")
case("vary-path-eval.yaml", CNN + "vary:\n  __import__('os').system('id'): {values: [1]}\n",
     ":11: vary.__import__('os').system('id'):", "is not a field path")
case("vary-matrix-huge.yaml", CNN + "vary:\n  input: {shape: [100000, 100000], min: 0, max: 1}\n",
     ":11: vary.input:", "MAX_TENSOR_CELLS")
case("vary-placeholder-unknown.yaml", "question: A {input[9]} image\n" + CNN + "vary:\n  input[0]: {values: [8]}\n",
     ":1: question:", "names no field")
case("vary-placeholder-attribute.yaml",
     "question: \"{input.__class__.__mro__} {input[0]!r:>{99999999}}\"\n" + CNN + "vary:\n  input[0]: {values: [8]}\n",
     ":1: question:", "names no field")
bad("backprop-expression-power-tower.yaml", BACKPROP_GRAPH, '"sigmoid(w1 * x1 + w2 * x2 + b)"',
    '"((x1**64)**64)**64 + w1*w2*x2*b"', "expression", "MAX_POWER")
add("backprop-update-parameter-unknown.yaml", BACKPROP_GRAPH, "parameters: [w1, q]\noptimizer: {type: gd, learning_rate: 0.1}",
    "parameters[1]", "not an input")
case("backprop-update-work-cap.yaml", BACKPROP_GRAPH + "parameters: [w1]\noptimizer: {type: gd, learning_rate: 0.1}\n"
     "iterations: 9999\n", ":7: iterations:", "MAX_UPDATE_WORK")

# --- function --------------------------------------------------------------------------------
bad("function-objective-eval.yaml", FUNCTION, '"x**3 - 3*x*y + y**2"', '"__import__(\'os\').getcwd()"',
    "objective", "not allowed")
bad("function-objective-power-tower.yaml", FUNCTION, '"x**3 - 3*x*y + y**2"', '"((x**64)**64)**64 + y"',
    "objective", "MAX_POWER")
bad("function-objective-relu.yaml", FUNCTION, '"x**3 - 3*x*y + y**2"', '"relu(x) + y**2"', "objective",
    "not differentiable")
bad("function-start-missing.yaml", FUNCTION, "start: {x: 1, y: 2}", "start: {x: 1}", "start", "no start value for y")
bad("function-start-extra.yaml", FUNCTION, "start: {x: 1, y: 2}", "start: {x: 1, y: 2, z: 3}", "start.z",
    "does not appear")
case("function-newton-singular.yaml",  # H = [[6x, −3], [−3, 2]]: det H = 12x − 9 vanishes at x = 3/4
     'topic: function\nobjective: "x**3 - 3*x*y + y**2"\nstart: {x: 0.75, y: 2}\noptimizer: {type: newton}\n',
     ":4: optimizer:", "singular")
case("function-stationary-curve.yaml", FUNCTION.replace('"x**3 - 3*x*y + y**2"', '"(x - y)**2"'),
     ":6: stationary_points:", "curve")
bad("function-iterations-huge.yaml", FUNCTION, "iterations: 3", "iterations: 100000000", "iterations", "at most")

# --- moving_average --------------------------------------------------------------------------
bad("average-beta-one.yaml", AVERAGE, "beta: 0.9", "beta: 1", "beta", "less than 1")
bad("average-sequence-empty.yaml", AVERAGE, "sequence: [40, 49, 45]", "sequence: []", "sequence", "at least 1")
bad("average-sequence-text.yaml", AVERAGE, "sequence: [40, 49, 45]", "sequence: [40, warm, 45]", "sequence[1]", "")
add("average-ask-beyond.yaml", AVERAGE, "ask: v_hat_4", "ask", "v_hat_<t>")
case("average-sequence-huge.yaml", AVERAGE.replace("[40, 49, 45]", "[" + ", ".join(["1"] * 1001) + "]"),
     ":2: sequence:", "MAX_SEQUENCE")

# --- detection -------------------------------------------------------------------------------
bad("detection-box-degenerate.yaml", DETECTION, "  - [2, 2, 5, 5]", "  - [2, 2, 2, 5]", "boxes[1]", "degenerate")
bad("detection-box-inverted.yaml", DETECTION, "  - [1, 1, 4, 4]", "  - [4, 4, 1, 1]", "boxes[0]", "degenerate")
bad("detection-box-three-numbers.yaml", DETECTION, "  - [2, 2, 5, 5]", "  - [2, 2, 5]", "boxes[1]", "at least 4")
bad("detection-format-unknown.yaml", DETECTION, "format: corners", "format: xywh", "format", "")
add("detection-scores-short.yaml", DETECTION, "scores: [0.9]", "scores", "1 scores for 2 boxes")
add("detection-threshold-above-one.yaml", DETECTION + "scores: [0.9, 0.8]\n", "iou_threshold: 2", "iou_threshold",
    "at most 1")
case("detection-grid-and-boxes.yaml", DETECTION + "grid: {cells: 7, boxes: 2, classes: 20}\n", ":3: boxes:",
     "either boxes")

# --- classification_metrics ------------------------------------------------------------------
bad("metrics-label-unknown.yaml", METRICS, "y_pred: [cat, dog, dog, bird]", "y_pred: [cat, dog, dgo, bird]",
    "y_pred[2]", "not one of the classes")
bad("metrics-lengths-differ.yaml", METRICS, "y_pred: [cat, dog, dog, bird]", "y_pred: [cat, dog]",
    "y_pred", "has 2 labels")
bad("metrics-label-markup.yaml", METRICS, "y_true: [cat, cat, dog, bird]", "y_true: [cat, '[bold]x', dog, bird]",
    "y_true[1]", "")
bad("metrics-count-negative.yaml", "topic: classification_metrics\nconfusion_matrix: [[3, 1], [2, 4]]\n",
    "[[3, 1], [2, 4]]", "[[3, -1], [2, 4]]", "confusion_matrix[0][1]", "at least 0")
bad("metrics-matrix-ragged.yaml", "topic: classification_metrics\nconfusion_matrix: [[3, 1], [2, 4]]\n",
    "[[3, 1], [2, 4]]", "[[3, 1], [2]]", "confusion_matrix[1]", "columns")


def expected_tsv() -> str:
    """The text of EXPECTED.tsv for the cases above."""
    names = [name for name, *_ in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    rows = []
    for name, _, prefix, phrase in CASES:
        assert "\t" not in prefix + phrase and "\n" not in prefix + phrase
        rows.append(f"{name}\t{prefix}\t{phrase}\n")
    return "file\tstderr after the file name starts with\tand contains\n" + "".join(rows)


# --- network: shapes that do not fit name the layer and both shapes; caps name themselves -----
bad("network-weights-wrong-shape.yaml", NETWORK, "[[0.40, 0.45], [0.50, 0.55]]", "[[0.40, 0.45, 0.1]]",
    "layers[1].weights", "the weights are 1 × 3, read out × in (PyTorch), but the layer's input has 2 values")
bad("network-bias-count.yaml", NETWORK, "bias: [0.60, 0.60]", "bias: [0.60, 0.60, 0.1]", "layers[1].bias",
    "3 bias values for 2 units")
bad("network-bias-missing.yaml", NETWORK, ", bias: [0.60, 0.60]", "", "layers[1].bias", "give the bias values")
# A missing field is reported on the problem's first line, naming it.
case("network-orientation-missing.yaml", sub(NETWORK, "orientation: out_in\n", "")[0], ":1: orientation:",
     "out_in (PyTorch")
case("network-target-missing.yaml", sub(NETWORK, "target: [0.01, 0.99]\n", "")[0], ":7: loss:", "needs 'target'")
bad("network-target-wrong-shape.yaml", NETWORK, "target: [0.01, 0.99]", "target: [0.01, 0.99, 1]", "target",
    "the target is 3 but the network's output is 2")
bad("network-iterations-huge.yaml", NETWORK, "iterations: 1", "iterations: 100000000", "iterations",
    "MAX_ITERATIONS")
bad("network-work-cap.yaml", NETWORK, "iterations: 1", "iterations: 10000", "iterations", "MAX_NETWORK_WORK")
bad("network-ask-unknown.yaml", NETWORK, "ask: W2", "ask: W7", "ask", "unknown answer 'W7'")
case("network-trained-unknown.yaml", sub(NETWORK, "iterations: 1", "iterations: 1\ntrained: [W1, W9]")[0],
     ":11: trained[1]:", "unknown parameter 'W9'")
bad("network-layer-type-unknown.yaml", NETWORK, "type: dense, weights: [[0.40", "type: denze, weights: [[0.40",
    "layers[1].type", "unknown type 'denze'")
case("network-velocity-given.yaml", sub(NETWORK, "{type: gd, learning_rate: 0.5}",
                                        "{type: momentum, learning_rate: 0.5, velocity: {W1: 1}}")[0],
     ":9: optimizer.velocity:", "start at 0")
bad("network-loss-unknown.yaml", NETWORK, "type: squared_error, half: true", "type: squared_eror, half: true",
    "loss.type", "unknown type 'squared_eror'")
case("network-class-out-of-range.yaml", sub(NETWORK, "target: [0.01, 0.99]", "target: 5")[0].replace(
    "type: squared_error, half: true, reduction: sum", "type: cross_entropy"), ":8: target:", "class 5 does not exist")
case("network-bce-saturated.yaml", "topic: network\ninput: [1]\norientation: out_in\nlayers:\n"
     "  - {type: dense, weights: [[400]], bias: 0, activation: sigmoid}\nloss: {type: binary_cross_entropy}\n"
     "target: [1]\n", ":6: loss:", "strictly between 0 and 1")
bad("network-conv-kernel-too-big.yaml", NETWORK_CONV, "weights: [[1, 0], [0, -1]]",
    "weights: [[1, 0, 1, 1, 1], [0, -1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]",
    "layers[0].weights", "spans 5 pixels but its padded input is only 3")
bad("network-conv-weights-channels.yaml", NETWORK_CONV, "weights: [[1, 0], [0, -1]]",
    "weights: [[[[1, 0], [0, -1]], [[1, 0], [0, -1]]]]", "layers[0].weights",
    "the weights are 1 × 2 × 2 × 2 (filters × channels × rows × columns) but the input is 1 × 3 × 4")
bad("network-mask-wrong-shape.yaml", NETWORK_CONV, "mask: [[1, 0, 1], [0, 1, 1]]", "mask: [[1, 0], [0, 1]]",
    "layers[1].mask", "the mask is 2 × 2 but the layer's input is 1 × 2 × 3")
bad("network-mask-not-bits.yaml", NETWORK_CONV, "mask: [[1, 0, 1], [0, 1, 1]]", "mask: [[1, 0, 2], [0, 1, 1]]",
    "layers[1].mask", "every entry must be 0 (dropped) or 1 (kept)")
bad("network-padding-huge.yaml", NETWORK_CONV, "bias: 0, padding: 0", "bias: 0, padding: 99999", "layers[0]",
    "MAX_NETWORK_CELLS")
case("network-input-ragged.yaml", sub(NETWORK_CONV, "  - [0, 1, 3, 1]\n", "  - [0, 1, 3]\n")[0], ":2: input:",
     "same length")
case("network-input-and-batch.yaml", NETWORK_CONV + "batch: [[1]]\n", ":11: batch:", "give either 'input'")


# --- tests/corpus/hostile/: legal problems whose text must reach no terminal, page or key raw -----
# What each output must neutralise is stated by hand in tests/test_hostile.py (not imported from
# nnsolve.render.safe). File names that git cannot hold on every system (ESC, a newline) are not
# committed: the tests copy escapes.yaml under ODD_NAME.

HOSTILE_HERE = HERE.parent / "hostile"
# ESC sequences (clear screen, an OSC 52 clipboard write, an OSC 8 link, a window title), a C1 CSI,
# DEL, bidi overrides, isolates and marks
ESCAPES = ("\x1b[2J \x1b]52;c;ZXZpbA==\x07 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1b]0;title\x07 "
           "\x9b31m \x7f \u202eevil\u2066 \u200f\u061c")
INJECTION = "<img src=x onerror=alert(1)> [bold]b[/bold] `tick`"  # HTML, rich markup, a code span
LATEX_ODD = "☃ \x7f \v \x1b[2J \u202e \\end{document} $x$ & % # { } ~ ^ _ <b>"  # what pdflatex chokes on
ODD_NAME = "na\x1b[31mme\u202e`|\n\n# x.yaml"  # ESC, a bidi override, a backtick, a pipe, a blank line


def _q(text: str) -> str:
    import json

    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar with the same escapes


def answered(text: str) -> str:
    """A legal, answered problem with ``text`` in every text slot: title, question, options, answer."""
    return f"""\
topic: cnn_architecture
title: {_q("T " + text)}
question: {_q("Q " + text)}
input: [8, 8, 1]
layers: [{{type: flatten}}, {{type: dense, units: 2}}]
ask: total_params
choices: {{a: 130, b: {_q("B " + text)}, c: [1, {_q(text)}]}}
submitted: {{choice: a, answer: {_q(text)}}}
"""


HOSTILE = {
    "escapes.yaml": answered(ESCAPES + " " + INJECTION),
    "field-escapes.yaml": f"topic: cnn_architecture\n{_q('field' + ESCAPES)}: 1\ninput: [8, 8, 1]\n"
                          "layers: [{type: flatten}]\n",  # an unknown field's name is echoed in its error
    "latex-odd.yaml": answered(LATEX_ODD),
}


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for old in HERE.glob("*.yaml"):
        old.unlink()
    table = expected_tsv()
    for name, text, _, _ in CASES:
        (HERE / name).write_bytes(text.encode("utf-8"))
    (HERE / "EXPECTED.tsv").write_text(table)
    print(f"{len(CASES)} cases in {HERE}")
    HOSTILE_HERE.mkdir(parents=True, exist_ok=True)
    for old in HOSTILE_HERE.glob("*.yaml"):
        old.unlink()
    for name, text in HOSTILE.items():
        (HOSTILE_HERE / name).write_bytes(text.encode("utf-8"))
    print(f"{len(HOSTILE)} files in {HOSTILE_HERE}")


if __name__ == "__main__":
    main()
