"""What a stack of layers has besides each layer's counts (``cnn_architecture`` answers it): the
receptive field and effective stride of every layer, and the memory of the feature maps and
parameters.

Receptive field, per sliding axis, from the input (r = 1, j = 1): a layer that slides a window
spanning K_eff = D(K − 1) + 1 with stride S gives r_out = r_in + (K_eff − 1)·j_in and
j_out = j_in·S (j, the effective stride, is how far apart in the input two neighbouring outputs
look). Pointwise layers keep both; flatten and global pooling see the whole input; a join takes
the largest of its inputs'. Layers with no fixed window (transposed convolution, upsampling,
adaptive pooling, reshape) end the rule: later layers show "—".

Memory: every layer's output is a feature map of its values; a forward pass that frees each map
after its last use needs at most the peak of the maps alive at once (a layer's inputs and its
output; a skip connection keeps its map alive until the join); training keeps them all for the
backward pass (the total).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..expr import dot, sym
from ..solution import Answer, Step

DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}

Field = tuple[tuple[int, int], ...] | str | None  # (r, j) per sliding axis; "whole"; None: no rule


def input_field(shape: tuple[int, ...]) -> Field:
    """An input's own receptive field: one pixel (step, voxel) per sliding axis; none for a vector."""
    sliding = len(shape) - 1  # all but the channels (or a sequence's features)
    return ((1, 1),) * sliding if sliding else None


def seen(fields: list[Field], window) -> Field:
    """The receptive field of a layer's output from its inputs' and how it sees them (Count.window)."""
    if window == "unknown" or any(f is None for f in fields):
        return None
    if window == "whole":
        return "whole"
    if any(f == "whole" for f in fields):
        return "whole" if window is None else None
    if len({len(f) for f in fields}) != 1:  # type: ignore[arg-type]
        return None
    axes = len(fields[0])  # type: ignore[arg-type]
    widest = tuple((max(f[a][0] for f in fields), max(f[a][1] for f in fields)) for a in range(axes))  # type: ignore
    if window is None:
        return widest
    if len(window) != axes:
        return None
    return tuple((r + (span - 1) * j, j * s) for (r, j), (span, s) in zip(widest, window))


def field_text(field: Field, which: int = 0) -> str:
    """The receptive field (which = 0) or the effective stride (1) as the table shows it."""
    if field is None:
        return "—"
    if field == "whole":
        return "all"
    values = [axis[which] for axis in field]  # type: ignore[union-attr]
    return str(values[0]) if len(set(values)) == 1 else " × ".join(map(str, values))


def field_value(field: Field, which: int = 0):
    """The answer: one number when every axis agrees, else one per axis; None without a rule."""
    if field is None or field == "whole":
        return None
    values = [axis[which] for axis in field]  # type: ignore[union-attr]
    return values[0] if len(set(values)) == 1 else tuple(values)


@dataclass(frozen=True)
class Node:
    """A feature map in the order the forward pass makes it: its values, and the maps it is made from."""

    values: int
    inputs: tuple[int, ...] = ()


def peak_values(nodes: list[Node], outputs: set[int]) -> tuple[int, int]:
    """(the most values alive at once, the step where that happens) when each map is freed after
    its last use; the outputs live to the end."""
    last: dict[int, int] = {}
    for k, node in enumerate(nodes):
        for i in node.inputs:
            last[i] = k
    live = peak = at = 0
    for k, node in enumerate(nodes):
        live += node.values
        if live > peak:
            peak, at = live, k
        for i in set(node.inputs):
            if last[i] == k and i not in outputs:
                live -= nodes[i].values
        if k not in last and k not in outputs:
            live -= node.values  # a map nothing takes
    return peak, at


# ---------------------------------------------------------------------------------------------
# The answers, with their steps

FIELD_ASKS = ("receptive_field", "effective_stride")
MEMORY_ASKS = ("activations", "activation_bytes", "peak_activation_bytes", "param_bytes", "batch_macs")


def field_steps(field: Field, label: str) -> list[Step]:
    """The rule, then the output's receptive field and effective stride."""
    rule = Step("Receptive field and effective stride, layer by layer", lhs=sym("r_out"),
                formula=sym("r_in") + (sym("K_eff") - 1) * sym("j_in"),
                note="K_eff = D(K − 1) + 1 and j_out = j_in · S, from r = j = 1 at the input; pointwise layers "
                     "keep both; a join takes the largest (the table's RF and jump columns)")
    if field is None or field == "whole":
        what = "every input value" if field == "whole" else "no fixed window (a layer without a rule)"
        return [rule, Step(f"Receptive field of {label}", note=f"each output value sees {what}")]
    return [rule, Step(f"Receptive field of {label}", lhs=sym("r"), value=field_value(field)),
            Step(f"Effective stride of {label}", lhs=sym("j"), value=field_value(field, 1),
                 note="input pixels between the windows of neighbouring outputs")]


def field_answers(field: Field, label: str) -> dict[str, Answer]:
    if field is None or field == "whole":
        return {}
    return {"receptive_field": Answer(field_value(field), f"Receptive field of {label} (input pixels)"),
            "effective_stride": Answer(field_value(field, 1), f"Effective stride of {label}")}


def memory(values: list[int], nodes: list[Node], outputs: set[int], params: int, buffers: int, macs: int,
           batch: int, dtype: str, show: bool) -> tuple[list[Step], dict[str, Answer]]:
    """Activation counts and bytes for a batch, the peak of a forward pass, the parameters' bytes."""
    width = DTYPES[dtype]
    activations = sum(values)
    peak, _ = peak_values(nodes, outputs)
    answers = {
        "activations": Answer(activations, "Feature-map values of one forward pass (every layer's output, "
                                           "per image)"),
        "activation_bytes": Answer(activations * batch * width, f"Bytes of every feature map ({dtype}, batch "
                                                                f"{batch})"),
        "peak_activation_bytes": Answer(peak * batch * width, f"Peak bytes of feature maps alive at once "
                                                              f"({dtype}, batch {batch})"),
        "param_bytes": Answer(params * width, f"Bytes of the parameters ({dtype})"),
        "batch_macs": Answer(macs * batch, f"Multiply-accumulates for a batch of {batch}"),
    }
    if not show:
        return [], answers
    B, b, n = sym("B"), sym("b"), sym("n")
    steps = [
        Step("Feature-map values per image", lhs=n, value=activations,
             note="the sum of every layer's output size (the table's shapes); training keeps them all for the "
                  "backward pass"),
        Step("Bytes of every feature map", lhs=sym("bytes"), formula=dot(n, B, b),
             substitution=dot(activations, batch, width), value=activations * batch * width,
             note=f"B = batch, b = {width} bytes per {dtype} value"),
        Step("Peak of the feature maps alive at once (a forward pass)", lhs=sym("peak"),
             formula=dot(sym("n_live"), B, b), substitution=dot(peak, batch, width), value=peak * batch * width,
             note=f"at most {peak:,} values per image: each map is freed after its last use (the input too), "
                  f"a skip connection keeps its map until the join"),
        Step("Bytes of the parameters", lhs=sym("bytes"), formula=dot(sym("params"), b),
             substitution=dot(params, width), value=params * width,
             note=f"batch norm's running statistics add {buffers * width:,} bytes" if buffers else None),
    ]
    if batch != 1:
        steps.append(Step(f"Multiply-accumulates for a batch of {batch}", lhs=sym("MACs"), formula=dot(sym("MACs_1"), B),
                          substitution=dot(macs, batch), value=macs * batch))
    return steps, answers
