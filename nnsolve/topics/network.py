"""Network: the values, loss, gradients and updates of a small network whose weights are given.

The file gives the input (one sample, or a batch), the layers with their parameters written
out, optionally a loss with its targets, and optionally an optimizer. The solution works the
forward pass layer by layer, the loss, the backward pass layer by layer (each layer's δ and
its parameters' gradients by the chain rule), then each update, as a model answer on paper.
Every layer is the layer library's (nnsolve.layers): its values, gradients and steps are
defined there once. Values stay exact (ints and fractions) through linear layers, ReLU,
pooling and given masks; exp, logarithms and square roots make floats.

Notation: layer i's output is aᵢ; a layer with an ``activation:`` has zᵢ = its linear part and
aᵢ = f(zᵢ). Its parameters are Wᵢ, bᵢ (dense, convolution), γᵢ, βᵢ (normalization), αᵢ (PReLU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import Field, StrictInt, model_validator

from .. import limits, optim
from ..compare import agree
from ..errors import LimitError, SolveError
from ..expr import Expr, Raw, dot, num, partial, sym
from ..layers import (Activation, AvgPool, BatchNorm, Context, Conv2d, ConvTranspose2d, Dense, Dropout, Flatten,
                      GlobalAvgPool, GlobalMaxPool, LayerNorm, MaxPool, Permute, Reshape, Site, Upsample,
                      ZeroPadding2d)
from ..layers import tensor as T
from ..layers.base import Shape, shape_text, shown, size
from ..layers.loss import CrossEntropy, Loss, MulticlassHinge, SquaredError
from ..layers.tensor import Matrix, Tensor3, Vector, np
from ..numbers import Number, Real, number_text, plain, simplify
from ..solution import Answer, Given, Solution, Step, Table, Variant
from ..spec import ByTag, FieldError, ProblemBase

TOPIC = "network"
SUMMARY = "forward pass, loss, backpropagation and updates of a small network with its weights given"
EXAMPLE = "problems/network/mlp-2-2-2.yaml"

SHOWN_ITERATIONS = 3  # iterations worked out step by step; the tables list every iteration
STAGE_WORK = 1_000  # what one layer's pass costs besides its arithmetic, in multiplications (measured)
# What updating one parameter value costs, in the same units (measured: µs per value updated ÷ µs per
# multiply-accumulate of a pass): the updates are worked value by value, Adam's at some 85 µs each.
UPDATE_WORK = {"gd": 5, "momentum": 12, "nesterov": 16, "rmsprop": 22, "adam": 55}
ANSWERED_ITERATIONS = 10  # parameters after each of the first iterations are answers (W1_iter2, …)

Layer = Annotated[
    Union[Dense, Conv2d, ConvTranspose2d, MaxPool, AvgPool, GlobalAvgPool, BatchNorm, LayerNorm, Dropout,
          Activation, Flatten,
          GlobalMaxPool, ZeroPadding2d, Upsample, Reshape, Permute],
    ByTag("type"),  # a discriminated union whose members' validators are built when a file uses them
]
Sample = Union[Vector, Matrix, Tensor3]
Target = Union[StrictInt, Real, Vector, Matrix, Tensor3]

_HAS_WEIGHTS = (Dense, Conv2d, ConvTranspose2d)


class Spec(ProblemBase):
    """An input (or a batch), layers with their parameters, and optionally a loss and an optimizer."""

    topic: Literal["network"] = Field(description="network: the values, gradients and updates of a network")
    input: Sample | None = Field(default=None, description="one sample: a vector, a matrix (one channel) or "
                                                           "channels × rows × columns")
    batch: Annotated[list[Sample], Field(min_length=1, max_length=limits.MAX_SAMPLES)] | None = Field(
        default=None, description="several samples, each as 'input' would be")
    orientation: Literal["out_in", "in_out"] | None = Field(
        default=None, description="how dense weights are written: out_in (PyTorch, z = W·x + b) or in_out "
                                  "(Keras, z = x·W + b); required with a dense layer")
    layers: Annotated[list[Layer], Field(max_length=limits.MAX_NETWORK_LAYERS)] = Field(
        description="the layers in order; none when the input is already the scores a loss takes")
    loss: Loss | None = Field(default=None, description="squared_error, binary_cross_entropy, cross_entropy or "
                                                        "multiclass_hinge, with its options")
    target: Target | None = Field(default=None, description="the target of the one sample: values, or a class "
                                                            "index (from 0) or one-hot vector")
    targets: Annotated[list[Target], Field(min_length=1)] | None = Field(
        default=None, description="one target per sample of the batch")
    optimizer: optim.Optimizer | None = Field(default=None, description="gd, momentum, nesterov, rmsprop or adam, "
                                                                            "with its hyperparameters")
    iterations: Annotated[StrictInt, Field(ge=1, le=limits.MAX_ITERATIONS)] = Field(
        default=1, description="updates with the optimizer")
    trained: Annotated[list[str], Field(min_length=1)] | None = Field(
        default=None, description="the parameters updated, e.g. [W1, W2] (default all)")
    ask: str | None = Field(default=None, max_length=40, description="the answer asked for: output, loss, a2, z1, "
                                                                     "grad_W1, grad_x, W2 (after the updates), …")

    @model_validator(mode="after")
    def _consistent(self) -> "Spec":
        if (self.input is None) == (self.batch is None):
            raise FieldError("input" if self.batch is None else "batch",
                             "give either 'input' (one sample) or 'batch' (a list of samples)")
        field = "batch" if self.batch is not None else "input"
        try:
            T.rectangular(self.batch if self.batch is not None else self.input, field)
        except ValueError as exc:
            raise FieldError(field, str(exc).removeprefix(f"{field}: ")) from None
        for i, layer in enumerate(self.layers):
            if layer.inputs is not None:  # a chain: branches are cnn_architecture's
                raise FieldError(f"layers[{i}].inputs", "the network topic is a chain of layers, each taking the "
                                                        "previous one's output; leave 'inputs' out")
        if self.orientation is None and any(isinstance(l, Dense) for l in self.layers):
            raise FieldError("orientation", "say how the dense weights are written: out_in (PyTorch: one row per "
                                            "unit, z = W·x + b) or in_out (Keras: one column per unit, z = x·W + b)")
        if isinstance(self.target, list):
            T.rectangular(self.target, "target")
        if self.targets is not None and all(isinstance(t, list) for t in self.targets):
            T.rectangular(self.targets, "targets")  # class indices may sit beside one-hot rows
        given = self.target if self.batch is None else self.targets
        other = self.targets if self.batch is None else self.target
        if other is not None:
            raise FieldError("target" if self.batch is not None else "targets",
                             "a batch takes 'targets' (one per sample); one 'input' takes 'target'")
        if self.loss is not None and given is None:
            raise FieldError("loss", f"needs '{'targets' if self.batch is not None else 'target'}'")
        if self.loss is None and given is not None:
            raise FieldError("target" if self.batch is None else "targets", "needs a 'loss' to compare it with")
        if self.optimizer is not None:
            if self.loss is None:
                raise FieldError("optimizer", "needs a 'loss' to minimise")
            if getattr(self.optimizer, "velocity", None):
                raise FieldError("optimizer.velocity", "a network's velocities start at 0")
        elif self.iterations != 1 or self.trained is not None:
            raise FieldError("iterations" if self.trained is None else "trained", "needs an 'optimizer'")
        names = parameter_names(self)
        for i, name in enumerate(self.trained or []):
            if name not in names:
                raise FieldError(f"trained[{i}]", f"unknown parameter {name!r}; the parameters are "
                                                  f"{', '.join(names) or 'none'}")
        if self.trained is not None and len(set(self.trained)) != len(self.trained):
            raise FieldError("trained", "list each parameter once")
        if self.optimizer is not None and not names:
            raise FieldError("optimizer", "this network has no parameters to update")
        return self


# ---------------------------------------------------------------------------------------------
# The network as stages: a layer, or the activation fused into a dense or convolution layer

@dataclass(frozen=True)
class _Stage:
    layer: Any
    number: int  # the layer's number, counting from 1
    field: str  # where errors point: layers[i]
    output: str  # the answer name of its output: z1 or a1
    names: dict  # parameter key → answer name: {"W": "W1", "b": "b1"}


def _stages(spec: Spec) -> list[_Stage]:
    stages = []
    for i, layer in enumerate(spec.layers, start=1):
        fused = layer.fused() if hasattr(layer, "fused") else None
        linear_names = {k: f"{k}{i}" for k in ("W", "b", "gamma", "beta")}
        stages.append(_Stage(layer, i, f"layers[{i - 1}]", f"z{i}" if fused else f"a{i}",
                             {**linear_names, "alpha": f"alpha{i}"}))
        if fused is not None:
            stages.append(_Stage(fused, i, f"layers[{i - 1}]", f"a{i}", {"alpha": f"alpha{i}"}))
    return stages


def parameter_names(spec: Spec) -> list[str]:
    """The learnable parameters, in layer order (from the layer kinds alone: no values needed)."""
    names = []
    for i, layer in enumerate(spec.layers, start=1):
        if isinstance(layer, _HAS_WEIGHTS):
            names.append(f"W{i}")
            if layer.has_bias:
                names.append(f"b{i}")
        elif isinstance(layer, (BatchNorm, LayerNorm)):
            names += [f"gamma{i}", f"beta{i}"]
        if (getattr(layer, "function", None) or getattr(layer, "activation", None)) == "prelu":
            names.append(f"alpha{i}")
    return names


def _symbol(name: str) -> Expr:
    """x, a₂, z₁, W₃, γ₂ from an answer name."""
    if name == "x":
        return sym("x")
    base = name.rstrip("0123456789")
    return sym(f"{base}_{name[len(base):]}")


@dataclass
class _Net:
    """What the walk works out once: stages, their sites, shapes and parameters."""

    stages: list[_Stage]
    sites: list[Site]
    shapes: list[Shape]  # each stage's output shape
    params: dict[str, np.ndarray]  # every parameter's initial value, by answer name
    ctx: Context
    x: np.ndarray
    targets: np.ndarray | None
    softmax_with_loss: bool  # the last stage is a softmax that cross-entropy takes together


def _sample_array(value, batched: bool) -> np.ndarray:
    a = T.tensor(value)
    if not batched:
        a = a[None]
    return a[:, None] if a.ndim == 3 else a  # a matrix per sample is an image of one channel


def _build(spec: Spec, mistakes: frozenset = frozenset()) -> _Net:
    batched = spec.batch is not None
    x = _sample_array(spec.batch if batched else spec.input, batched)
    if x.size > limits.MAX_NETWORK_CELLS:
        raise LimitError(f"the input has {x.size:,} values; nnsolve's cap MAX_NETWORK_CELLS is "
                         f"{limits.MAX_NETWORK_CELLS:,}", field="batch" if batched else "input")
    ctx = Context(spec.orientation or "out_in", mistakes, batched, x.shape[0])
    stages = _stages(spec)
    shape, sites, shapes, params = x.shape[1:], [], [], {}
    previous = "x"
    work = 0
    for stage in stages:
        site = Site(str(stage.number), stage.field, number=stage.number, x=_symbol(previous),
                    y=_symbol(stage.output))
        count = stage.layer.count(shape, site=site)
        cells = x.shape[0] * max(size(count.shape), count.scratch)
        if cells > limits.MAX_NETWORK_CELLS:
            raise LimitError(f"{stage.layer.kind}: its values need {cells:,} cells at once (batch × "
                             f"{shape_text(count.shape)}, or its padded input); nnsolve's cap MAX_NETWORK_CELLS is "
                             f"{limits.MAX_NETWORK_CELLS:,}", field=stage.field)
        for key, value in stage.layer.parameters(shape, site=site, ctx=ctx).items():
            params[stage.names[key]] = value
        work += x.shape[0] * (count.macs + size(count.shape))
        sites.append(site)
        shapes.append(count.shape)
        shape, previous = count.shape, stage.output
    updates, per_update = 0, ""
    if spec.optimizer is not None:
        cost = UPDATE_WORK[spec.optimizer.type]
        updates = cost * sum(params[n].size for n in (spec.trained or params) if n in params)
        per_update = f" + {cost} per trained value for {spec.optimizer.type}'s update"
    work = spec.iterations * (3 * work + sum(p.size for p in params.values()) + updates + STAGE_WORK * len(stages))
    if work > limits.MAX_NETWORK_WORK:
        raise LimitError(f"the iterations need about {work:,} units of work (iterations × (3 × the batch's "
                         f"multiply-accumulates and values + parameters + {STAGE_WORK:,} per layer{per_update})); "
                         f"nnsolve's cap MAX_NETWORK_WORK is {limits.MAX_NETWORK_WORK:,}",
                         field="iterations" if spec.iterations > 1 else "layers")
    last = stages[-1].layer if stages else None
    softmax_with_loss = isinstance(spec.loss, CrossEntropy) and isinstance(last, Activation) \
        and last.function == "softmax"
    net = _Net(stages, sites, shapes, params, ctx, x, None, softmax_with_loss)
    if spec.loss is not None:
        scores = np.empty((x.shape[0], *shape), dtype=object)  # only the shape matters here
        net.targets = spec.loss.targets(spec.targets if batched else spec.target, scores, ctx)
    return net


# ---------------------------------------------------------------------------------------------
# One pass forward and back, and the iterations

@dataclass
class _Pass:
    traces: list
    loss: Number | None = None
    data_loss: Number | None = None
    penalty: Number | None = None
    loss_input: np.ndarray | None = None  # what the loss took: the output, or the logits before a softmax
    loss_grad: np.ndarray | None = None  # ∂L/∂(loss input)
    grad_out: list = field(default_factory=list)  # ∂L/∂(stage output), None where not worked out
    grad_in: np.ndarray | None = None  # ∂L/∂x
    layer_grads: list = field(default_factory=list)  # per stage: Grads
    grads: dict = field(default_factory=dict)  # ∂L/∂parameter, by answer name (the L2 term included)


@dataclass
class _Iteration:
    t: int
    before: dict  # parameters before the update
    point: dict  # where the gradient is taken (Nesterov's look-ahead point)
    run: _Pass
    after: dict
    state_before: dict
    state_after: dict


@dataclass(frozen=True)
class _Setup:
    """The knobs a mistake or another reading turns (none for the right working)."""

    mistakes: frozenset = frozenset()
    knobs: optim.Knobs = optim.RIGHT
    pre_activation: bool = False  # the mistake: a weight gradient taken with the previous layer's z, not a


def _bounded(a: np.ndarray, notes: list[str], where: str) -> np.ndarray:
    """``a`` as floats once its exact numbers outgrow MAX_NETWORK_DIGITS (noted once)."""
    if T.digits(a) <= limits.MAX_NETWORK_DIGITS:
        return a
    if not notes:
        notes.append(where)
    return T.from_float(T.as_float(a))


def _forward_backward(spec: Spec, net: _Net, params: dict, setup: _Setup, notes: list, t: int = 1) -> _Pass:
    ctx = net.ctx
    x, traces = net.x, []
    for stage in net.stages:
        own = {k: params[n] for k, n in stage.names.items() if n in params}
        trace = stage.layer.forward(x, own, ctx=ctx)
        trace.y = _bounded(trace.y, notes, f"layer {stage.number}'s output in iteration {t}")
        traces.append(trace)
        x = trace.y
    run = _Pass(traces)
    if spec.loss is None:
        return run
    loss = spec.loss
    last = len(net.stages) - (1 if net.softmax_with_loss else 0)
    run.loss_input = traces[last - 1].y if last > 0 else net.x
    run.data_loss = loss.value(run.loss_input, net.targets, ctx)
    k = loss.l2_factor()
    weights = [n for n in params if n.startswith("W")]
    run.penalty = simplify(k * sum(T.exact_sum(params[n] * params[n])[()] for n in weights)) if k else 0
    run.loss = simplify(run.data_loss + run.penalty)
    g = _bounded(loss.gradient(run.loss_input, net.targets, ctx), notes, f"the loss's gradient in iteration {t}")
    run.loss_grad = g
    run.grad_out = [None] * len(net.stages)
    run.layer_grads = [None] * len(net.stages)
    for i in range(last - 1, -1, -1):
        stage, trace = net.stages[i], traces[i]
        run.grad_out[i] = g
        if setup.pre_activation and i > 0 and isinstance(net.stages[i - 1].layer, Activation) \
                and isinstance(stage.layer, _HAS_WEIGHTS):
            trace = replace(trace, x=traces[i - 1].x)  # the activation's input z instead of its output a
        grads = stage.layer.backward(trace, g, ctx=ctx)
        run.layer_grads[i] = grads
        for key, value in grads.params.items():
            run.grads[stage.names[key]] = value
        g = _bounded(grads.x, notes, f"the gradient at layer {stage.number}'s input in iteration {t}")
    run.grad_in = g
    for n in weights:
        if k:
            run.grads[n] = T.simplified(run.grads[n] + params[n] * simplify(2 * k))
    return run


def _trained(spec: Spec) -> list[str]:
    return list(spec.trained) if spec.trained is not None else parameter_names(spec)


def _run(spec: Spec, setup: _Setup = _Setup(), prefix_steps: bool = False) -> tuple[_Net, list[_Iteration], list]:
    """The whole computation: every iteration's pass and update. Returns the network, the
    iterations (one pass and no update without an optimizer) and a note on exactness."""
    net = _build(spec, setup.mistakes)
    notes: list[str] = []
    params = dict(net.params)
    opt = spec.optimizer
    trained = _trained(spec) if opt is not None else []
    state = {n: optim.initial_state_each(opt, params[n]) for n in trained}
    history = []
    for t in range(1, spec.iterations + 1):
        point = dict(params)
        for n in trained:
            point[n] = optim.lookahead_each(opt, params[n], state[n])
        before_state = dict(state)
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is found below and said in one line
                run = _forward_backward(spec, net, point, setup, notes, t)
                after = dict(params)
                for n in trained:
                    new, state[n] = optim.update_each(opt, t, params[n], run.grads[n], state[n], setup.knobs)
                    exact = T.simplified(new)
                    after[n] = _bounded(exact, notes, f"{n} after iteration {t}")
                    if after[n] is not exact:  # past the digit cap: its optimizer state goes on in floats too
                        state[n] = tuple(T.from_float(T.as_float(s)) for s in state[n])
            finite = _finite(run, after)
        except OverflowError:  # an exact value past the digit cap and beyond a float's range too
            finite = False
        if not finite:
            where = f"iteration {t}" if opt is not None else \
                "the forward pass" if spec.loss is None else "the forward and backward pass"
            why = ": the updates diverge; a smaller learning rate or fewer iterations stay finite" if t > 1 else ""
            raise SolveError(f"{where} overflows a float (beyond ±1.8e308, where PyTorch's float64 gives inf or "
                             f"nan){why}", field="iterations" if t > 1 else "layers")
        history.append(_Iteration(t, params, point, run, after, before_state, dict(state)))
        params = after
    return net, history, notes


def _finite(run: _Pass, params: dict) -> bool:
    """Whether every value of a pass (outputs, loss, gradients) and every parameter after it is finite."""
    tensors = [trace.y for trace in run.traces] + list(run.grads.values()) + list(params.values())
    tensors += [a for a in (run.grad_in, run.loss_grad) if a is not None]
    if isinstance(run.loss, float) and not math.isfinite(run.loss):
        return False
    return all(not isinstance(v, float) or math.isfinite(v) for a in tensors for v in np.asarray(a).flat)


# ---------------------------------------------------------------------------------------------
# Answers

def _written(net: _Net, name: str, value: np.ndarray):
    """A parameter (or its gradient) as an answer holds it: as the file writes it, PReLU's α a number."""
    return value[0] if name.startswith("alpha") else _shown_param(net, name, value).tolist()


def _label(name: str, net: _Net) -> str:
    stage = next(s for s in net.stages if s.output == name)
    kind = "Pre-activation" if name.startswith("z") else "Output"
    return f"{kind} {name} of layer {stage.number} ({stage.layer.kind})"


def _answers(spec: Spec, net: _Net, history: list[_Iteration]) -> dict[str, tuple[Any, str]]:
    """name → (value, label) for everything a question may ask."""
    first = history[0].run
    ctx = net.ctx
    out: dict[str, tuple[Any, str]] = {} if net.stages else {"x": (shown(net.x, ctx), "The input x")}
    for stage, trace in zip(net.stages, first.traces):
        out[stage.output] = (shown(trace.y, ctx), _label(stage.output, net))
    if first.loss is not None:
        out["loss"] = (first.loss, "Loss" + (" (with the L2 penalty)" if first.penalty else ""))
        if first.penalty:
            out["data_loss"] = (first.data_loss, "Loss before the L2 penalty")
        out["grad_x"] = (shown(first.grad_in, ctx), "∂L/∂x, the gradient of the input")
        for i, stage in enumerate(net.stages):
            if first.grad_out[i] is not None:
                out[f"grad_{stage.output}"] = (shown(first.grad_out[i], ctx), f"∂L/∂{stage.output}")
        if net.softmax_with_loss and len(net.stages) > 1:
            logits = net.stages[-2].output
            out[f"grad_{logits}"] = (shown(first.loss_grad, ctx), f"∂L/∂{logits} (the logits)")
        for name, value in first.grads.items():
            out[f"grad_{name}"] = (_written(net, name, value), f"∂L/∂{name}")
    if spec.optimizer is not None:
        n = spec.iterations
        for name in _trained(spec):
            out[name] = (_written(net, name, history[-1].after[name]),
                         f"{name} after {n} update{'s' if n > 1 else ''}")
            for it in history[:ANSWERED_ITERATIONS] if n > 1 else ():
                out[f"{name}_iter{it.t}"] = (_written(net, name, it.after[name]), f"{name} after iteration {it.t}")
        for it in history[:ANSWERED_ITERATIONS] if n > 1 else ():
            out[f"loss_iter{it.t}"] = (it.run.loss, f"Loss at iteration {it.t} (before its update)")
    return out


def _asked(spec: Spec) -> str:
    if spec.ask == "output":  # the last layer's output
        return f"a{len(spec.layers)}" if spec.layers else "x"
    if spec.ask is not None:
        return spec.ask
    if spec.optimizer is not None:
        return _trained(spec)[0]
    return "loss" if spec.loss is not None else f"a{len(spec.layers)}"


def _values(spec: Spec, setup: _Setup = _Setup()) -> dict | None:
    """Every answer's value under ``setup`` (None when the setup cannot be computed)."""
    try:
        net, history, _ = _run(spec, setup)
    except (SolveError, ZeroDivisionError, OverflowError, ValueError):
        return None
    return {name: value for name, (value, _) in _answers(spec, net, history).items()}


# ---------------------------------------------------------------------------------------------
# The worked solution

def _once(steps: list) -> list:
    """The steps without repeats (a definition every sigmoid layer states is stated once)."""
    out: list = []
    for step in steps:
        if step.value is None and step in out:
            continue
        out.append(step)
    return out


def _forward_steps(net: _Net, run: _Pass, prefix: str) -> list:
    steps = []
    for stage, site, trace in zip(net.stages, net.sites, run.traces):
        steps += stage.layer.forward_steps(trace, site=replace(site, prefix=prefix), ctx=net.ctx)
    return _once(steps)


def _loss_steps(spec: Spec, net: _Net, run: _Pass, prefix: str) -> list:
    last = len(net.stages) - (1 if net.softmax_with_loss else 0)
    out = _symbol(net.stages[last - 1].output if last > 0 else "x")
    steps = spec.loss.steps(run.loss_input, net.targets, run.data_loss, run.loss_grad, out=out, prefix=prefix,
                            softmax_shown=net.softmax_with_loss)
    if run.penalty:
        k = spec.loss.l2_factor()
        weights = [n for n in run.grads if n.startswith("W")]
        steps.insert(-1, Step(f"{prefix}L2 penalty", lhs=sym("R"),
                              formula=dot(num(k), Raw("Σ w² over every weight", r"\sum w^2")),
                              value=run.penalty, note=f"over {', '.join(weights)}; biases are not penalised"))
        steps.insert(-1, Step(f"{prefix}Loss with the penalty", lhs=sym("L"), formula=sym("L_data") + sym("R"),
                              substitution=num(run.data_loss) + num(run.penalty), value=run.loss))
    return steps


def _backward_steps(spec: Spec, net: _Net, run: _Pass, prefix: str) -> list:
    steps = []
    last = len(net.stages) - (1 if net.softmax_with_loss else 0)
    for i in range(last - 1, -1, -1):
        stage, site = net.stages[i], replace(net.sites[i], prefix=prefix)
        steps += stage.layer.backward_steps(run.traces[i], run.grad_out[i], run.layer_grads[i], site=site,
                                            ctx=net.ctx)
    steps = _once(steps)
    k = spec.loss.l2_factor()
    for name in (n for n in run.grads if n.startswith("W") and k):
        steps.append(Step(f"{prefix}L2 term of {name}'s gradient", lhs=partial("L", _symbol(name)),
                          formula=partial("L_data", _symbol(name)) + dot(num(simplify(2 * k)), _symbol(name)),
                          value=_written(net, name, run.grads[name])))
    return steps


def _update_steps(spec: Spec, net: _Net, it: _Iteration, prefix: str) -> list:
    steps = []
    for name in _trained(spec):
        steps += optim.update_steps(spec.optimizer, it.t, f"Iteration {it.t}", name,
                                    _symbol(name), name, _shown_param(net, name, it.before[name]),
                                    _shown_param(net, name, it.after[name]), _shown_param(net, name, it.run.grads[name]),
                                    tuple(_shown_param(net, name, s) for s in it.state_before[name]),
                                    tuple(_shown_param(net, name, s) for s in it.state_after[name]))
    return steps


def _shown_param(net: _Net, name: str, value: np.ndarray) -> np.ndarray:
    """A parameter in the layout its file writes it (Keras' in × out, a matrix for one filter)."""
    stage = next(s for s in net.stages if name in s.names.values())
    key = next(k for k, n in stage.names.items() if n == name)
    return stage.layer.written(key, value, net.ctx)


TABLE_ROWS = 40  # rows of an iteration's table: one per parameter value, as a hand-worked table


def _iteration_table(spec: Spec, net: _Net, it: _Iteration, several: bool) -> Table:
    rows: list[tuple] = []
    for name in _trained(spec):
        before, grad, after = (np.asarray(_shown_param(net, name, v), dtype=object)
                               for v in (it.before[name], it.run.grads[name], it.after[name]))
        for at in np.ndindex(before.shape):
            if len(rows) == TABLE_ROWS:
                rows.append(("…", None, None, None))
                break
            cell = f"{name}[{', '.join(str(i + 1) for i in at)}]" if before.shape else name
            rows.append((cell, before[at], grad[at], after[at]))
        if len(rows) > TABLE_ROWS:
            break
    title = f"Iteration {it.t}" if several else "The update"
    return Table(f"{title}: the loss before it is {number_text(it.run.loss)}",
                 ("Parameter", "Before", "∂L/∂p", "After"), tuple(rows))


def _summary_table(net: _Net) -> Table:
    rows = []
    for stage, shape in zip(net.stages, net.shapes):
        own = [n for k, n in stage.names.items() if n in net.params]
        rows.append((f"{stage.number} {stage.layer.kind}", stage.output, shape,
                     ", ".join(own) if own else "—"))
    return Table("Layers", ("Layer", "Output", "Shape (per sample)", "Parameters"), tuple(rows))


def solve(spec: Spec) -> Solution:
    net, history, notes = _run(spec)
    answers = _answers(spec, net, history)
    ask = _asked(spec)
    if ask not in answers:
        names = list(answers)
        raise SolveError(f"unknown answer {ask!r}; this network answers {', '.join(names[:24])}"
                         + (", …" if len(names) > 24 else ""), field="ask")
    several = spec.iterations > 1
    blocks: list = [_summary_table(net)] if net.stages else []
    for it in history[:SHOWN_ITERATIONS]:
        prefix = f"Iteration {it.t}: " if several else ""
        blocks += _forward_steps(net, it.run, prefix)
        if spec.loss is not None:
            blocks += _loss_steps(spec, net, it.run, prefix)
            blocks += _backward_steps(spec, net, it.run, prefix)
        if spec.optimizer is not None:
            blocks += _update_steps(spec, net, it, prefix)
            blocks.append(_iteration_table(spec, net, it, several))
    if several:
        rows = [(it.t, it.run.loss) for it in history]
        blocks.append(Table("Loss, iteration by iteration (before each update)", ("Iteration", "Loss"),
                            tuple(rows)))

    solution_answers = {name: Answer(value, label) for name, (value, label) in answers.items()}
    if optim.is_nesterov(spec.optimizer):
        last = history[-1]
        for name in _trained(spec):
            look = optim.lookahead_each(spec.optimizer, last.after[name], last.state_after[name])
            solution_answers[f"{name}_lookahead"] = Answer(
                _written(net, name, look), f"{name} + m·v after {spec.iterations} updates",
                reading="PyTorch/Keras Nesterov (stores the look-ahead point)")
    for suffix, reading, changed in _readings(spec):
        values = _values(changed)
        if values is not None and ask in values and not agree(values[ask], answers[ask][0], spec.tolerance):
            solution_answers[f"{ask}_{suffix}"] = Answer(values[ask], answers[ask][1], reading=reading)
    return Solution(topic=TOPIC, answers=solution_answers, primary=ask, blocks=tuple(blocks),
                    assumptions=tuple(_assumptions(spec, net, notes, _has_float(answers))))


def _assumptions(spec: Spec, net: _Net, notes: list[str], floats: bool) -> list[str]:
    out = []
    layers = spec.layers
    if any(isinstance(l, Dense) for l in layers):
        out.append("Dense weights are written out × in, one row per unit, as PyTorch (z = W·x + b)."
                   if spec.orientation == "out_in" else
                   "Dense weights are written in × out, one column per unit, as Keras (z = x·W + b).")
    if any(isinstance(l, (Conv2d, ConvTranspose2d)) for l in layers):
        out.append("Convolutions are cross-correlations (the kernel is not flipped), as PyTorch and TensorFlow "
                   "compute them; weights are filters × channels × rows × columns.")
    if any(isinstance(l, Flatten) for l in layers):
        out.append("Flatten takes channel 1 row by row, then channel 2, … (PyTorch's order; Keras flattens "
                   "rows × columns × channels and would order the vector differently).")
    if any(isinstance(l, BatchNorm) for l in layers):
        out.append("Batch norm without running statistics uses the batch's mean and biased variance (÷ m), as "
                   "PyTorch in training; with running_mean and running_var it uses those (evaluation); ε = "
                   + ", ".join(sorted({number_text(l.epsilon) for l in layers if isinstance(l, BatchNorm)})) + ".")
    if any(isinstance(l, (BatchNorm, LayerNorm)) and (l.gamma is None or l.beta is None) for l in layers):
        out.append("γ = 1 and β = 0 where the file gives none (PyTorch's initial values).")
    if any(isinstance(l, Dropout) and l.mask is not None for l in layers):
        out.append("Dropout keeps the values where the mask is 1 and scales them by 1/(1 − p) (inverted dropout, "
                   "as PyTorch and Keras)" if all(l.inverted for l in layers if isinstance(l, Dropout))
                   else "Dropout keeps the values where the mask is 1, unscaled (the original paper's form).")
    if any(isinstance(l, Dropout) and l.mask is None for l in layers):
        out.append("A dropout layer without a mask passes every value (evaluation mode).")
    if any(isinstance(l, AvgPool) for l in layers):
        out.append("Average pooling counts padding zeros in the average (PyTorch's count_include_pad=True).")
    if any(getattr(l, "function", None) == "softmax" or getattr(l, "activation", None) == "softmax"
           for l in layers):
        out.append("Softmax works along the features of a vector (the channels of an image).")
    if spec.loss is not None:
        out.append("Loss: " + spec.loss.describe(_loss_shape(net)) + ".")
        if isinstance(spec.loss, CrossEntropy) or isinstance(spec.loss, MulticlassHinge):
            out.append("A class index counts from 0, as PyTorch (class 0 is the first output).")
        if spec.loss.l2:
            out.append(f"L2 penalty {'½' if spec.loss.l2_half else ''}λ·Σw² with λ = {number_text(spec.loss.l2)} "
                       f"on the weights, not the biases.")
    if spec.optimizer is not None:
        out.append(optim.describe(spec.optimizer) + " Applied to every value of each trained parameter: "
                   + ", ".join(_trained(spec)) + ".")
        if spec.iterations > SHOWN_ITERATIONS:
            out.append(f"Iterations 1–{SHOWN_ITERATIONS} are worked step by step; the tables list all "
                       f"{spec.iterations}. Values and gradients asked for are those of iteration 1.")
        elif spec.iterations > 1:
            out.append("Values and gradients asked for (a2, grad_W1, …) are those of iteration 1.")
    if notes:
        out.append(f"Exact fractions are kept until they would need more than {limits.MAX_NETWORK_DIGITS} digits "
                   f"(nnsolve's cap MAX_NETWORK_DIGITS), then become floats: the first was {notes[0]}.")
    if floats:
        out.append("exp, logarithms and square roots make floats: those values are carried at full precision "
                   "and shown to 5 significant figures.")
    return out


def _has_float(answers: dict) -> bool:
    """True when some answer holds a float (a value through exp, a logarithm or a root)."""
    pending = [value for value, _ in answers.values()]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, float):
            return True
    return False


def _loss_shape(net: _Net) -> np.ndarray:
    """An array of the loss input's shape (batch first), for describing the reduction."""
    last = len(net.stages) - (1 if net.softmax_with_loss else 0)
    shape = net.shapes[last - 1] if last > 0 else net.x.shape[1:]
    return np.empty((net.x.shape[0], *shape), dtype=object)


def _readings(spec: Spec) -> Iterator[tuple[str, str, Spec]]:
    """Other readings of the question: (answer suffix, what the reading is, the spec read that way)."""
    loss = spec.loss

    def with_loss(**change) -> Spec:
        return spec.model_copy(update={"loss": loss.model_copy(update=change)})

    if isinstance(loss, SquaredError):
        suffix, reading = ("no_half", "loss without the ½") if loss.half else ("half", "½(ŷ − y)² in the loss")
        yield suffix, reading, with_loss(half=not loss.half)
    if loss is not None and loss.l2:
        suffix, reading = (("l2_no_half", "L2 penalty λ·Σw² (no ½)") if loss.l2_half else
                           ("l2_half", "L2 penalty ½λ·Σw²"))
        yield suffix, reading, with_loss(l2_half=not loss.l2_half)
    if isinstance(loss, MulticlassHinge):
        suffix, reading = (("not_over_classes", "hinge not divided by the number of classes") if loss.over_classes
                           else ("over_classes", "hinge divided by the number of classes (PyTorch's "
                                                 "multi_margin_loss)"))
        yield suffix, reading, with_loss(over_classes=not loss.over_classes)
    dropouts = [l for l in spec.layers if isinstance(l, Dropout) and l.mask is not None]
    if dropouts:
        inverted = dropouts[0].inverted
        layers = [l.model_copy(update={"inverted": not inverted}) if isinstance(l, Dropout) else l
                  for l in spec.layers]
        suffix, reading = (("unscaled", "dropout without the 1/(1 − p) scaling") if inverted else
                           ("inverted", "inverted dropout: kept values scaled by 1/(1 − p)"))
        yield suffix, reading, spec.model_copy(update={"layers": layers})


_VALUES = ("weights", "bias", "gamma", "beta", "running_mean", "running_var", "mask")  # shown as tensors


def _matrices(label: str, value) -> list[Given]:
    """A written tensor as the key typesets it: a number or vector as is, then matrix by matrix."""
    depth, probe = 0, value
    while isinstance(probe, list):
        depth, probe = depth + 1, probe[0]
    if depth <= 2:
        return [Given(label, value)]
    out: list[Given] = []
    for i, inner in enumerate(value, start=1):
        out += _matrices(f"{label}[{i}]", inner)
    return out


def given(spec: Spec) -> list:
    """The input (matrix by matrix), each layer's settings and its written parameters, the loss and
    its targets, and the optimizer."""
    out: list = _matrices("Input x" if spec.batch is None else "Batch X (one sample per row)",
                          spec.input if spec.batch is None else spec.batch)
    if any(isinstance(l, Dense) for l in spec.layers):
        out.append(Given("Dense weights written", "out × in (PyTorch: one row per unit)"
                         if spec.orientation == "out_in" else "in × out (Keras: one column per unit)"))
    names = {"weights": "W", "bias": "b", "gamma": "γ", "beta": "β", "running_mean": "running mean",
             "running_var": "running variance", "mask": "mask"}
    for i, layer in enumerate(spec.layers, start=1):
        settings = [f"{name} {plain(getattr(layer, name))}" for name in type(layer).model_fields
                    if name in layer.model_fields_set and name not in (*_VALUES, "type", "name", "function")]
        out.append(Given(f"Layer {i}", ", ".join([layer.kind, *settings])))
        for name in _VALUES:
            value = getattr(layer, name, None)
            if name in layer.model_fields_set and value is not None and not isinstance(value, bool):
                out += _matrices(f"Layer {i}: {names[name]}{i if name in ('weights', 'bias') else ''}", value)
    if spec.loss is not None:
        options = [f"{name} {plain(getattr(spec.loss, name))}" for name in type(spec.loss).model_fields
                   if name in spec.loss.model_fields_set and name != "type"]
        out.append(Given("Loss", ", ".join([spec.loss.type, *options])))
        out += _matrices("Target y" if spec.batch is None else "Targets (one per sample)",
                         spec.target if spec.batch is None else spec.targets)
    if spec.optimizer is not None:
        o = spec.optimizer
        hyper = [f"{name} {plain(getattr(o, name))}" for name in type(o).model_fields if name != "type"]
        out.append(Given("Optimizer", ", ".join([o.type, *hyper])))
        out.append(Given("Iterations", spec.iterations))
        if spec.trained is not None:
            out.append(Given("Trained", ", ".join(spec.trained)))
    return out


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    """Mistakes students make on a forward and backward pass: each is the whole computation redone
    with that mistake, so a wrong value anywhere (a δ, a gradient, an update) can be traced to it."""
    right = _values(spec)
    if right is None:
        return
    kinds = {type(l) for l in spec.layers} | {Activation for l in spec.layers if getattr(l, "activation", None)}
    candidates: list[tuple[str, Spec, _Setup]] = []
    for kind in sorted(kinds, key=lambda k: k.__name__):
        for key, mistake in kind.MISTAKES.items():
            candidates.append((mistake, spec, _Setup(mistakes=frozenset({key}))))
    loss = spec.loss
    if loss is not None:
        for key, mistake in loss.MISTAKES.items():
            candidates.append((mistake, spec, _Setup(mistakes=frozenset({key}))))
        if isinstance(loss, SquaredError):
            candidates.append(("left out the ½ the question writes in the loss" if loss.half else
                               "used ½(ŷ − y)² although the question states the loss without ½",
                               spec.model_copy(update={"loss": loss.model_copy(update={"half": not loss.half})}),
                               _Setup()))
        other = "sum" if loss.reduction != "sum" else "mean"
        candidates.append((f"{'summed' if other == 'sum' else 'averaged'} the loss where the question "
                           f"{'averages' if other == 'sum' else 'sums'} it",
                           spec.model_copy(update={"loss": loss.model_copy(update={"reduction": other})}), _Setup()))
        candidates.append(("used the previous layer's pre-activation z instead of its activation a in the weight "
                           "gradient (δ·zᵀ for δ·aᵀ)", spec, _Setup(pre_activation=True)))
    if any(isinstance(l, Dense) for l in spec.layers) and spec.orientation is not None:
        flipped = "in_out" if spec.orientation == "out_in" else "out_in"
        candidates.append(("read the weight matrices the other way round (W for Wᵀ)",
                           spec.model_copy(update={"orientation": flipped}), _Setup()))
    if spec.optimizer is not None:
        if isinstance(spec.optimizer, optim.Momentum):
            candidates.append(("used v ← m·v + η·g with p ← p + v, so every step goes uphill", spec,
                               _Setup(knobs=optim.Knobs(uphill=True))))
            candidates.append(("used v ← m·v + η·g then p ← p − η·v, applying the learning rate twice", spec,
                               _Setup(knobs=optim.Knobs(double_eta=True))))
        else:
            candidates.append(("learning rate sign error: moved along +η·g instead of −η·g", spec,
                               _Setup(knobs=optim.Knobs(uphill=True))))
    seen: list[dict] = []
    for mistake, changed, setup in candidates:
        answers = _values(changed, setup)
        if answers is None:
            continue
        same = [n for n in answers if n in right and agree(right[n], answers[n], spec.tolerance)]
        if len(same) == len(answers) or any(answers == s for s in seen):
            continue  # changes nothing a student could submit
        seen.append(answers)
        yield Variant(mistake, answers)
    yield from _swapped_variants(right)


def _swapped_variants(right: dict) -> Iterator[Variant]:
    """A layer's value on the other side of its activation, given for the one asked: z for a
    (and a for z), ∂L/∂a for ∂L/∂z (and the reverse). Each names only the part it answers."""
    for k in range(1, len(right) + 1):
        a, z = f"a{k}", f"z{k}"
        if a not in right or z not in right:
            continue
        yield Variant(f"gave {z}, the value before the activation, for {a}, the activation applied to it "
                      f"({a} = f({z}))", {a: right[z]})
        yield Variant(f"gave {a}, the value after the activation, for {z}, the value before it", {z: right[a]})
        if f"grad_{a}" in right and f"grad_{z}" in right:
            yield Variant(f"gave ∂L/∂{z}, the gradient after the activation's derivative is applied, for ∂L/∂{a}, "
                          f"the gradient at the activation's output", {f"grad_{a}": right[f"grad_{z}"]})
            yield Variant(f"gave ∂L/∂{a}, the gradient at the activation's output, for ∂L/∂{z} = ∂L/∂{a} ⊙ f′({z}), "
                          f"which also multiplies by the activation's derivative", {f"grad_{z}": right[f"grad_{a}"]})
