"""Backpropagation: the gradient at a node with several downstream branches, or through a small graph.

Two forms of problem:

- a node (sigmoid, tanh, ReLU, linear) whose output a feeds downstream nodes through weights
  wᵢ, with the upstream gradients UPᵢ given: ∂L/∂a = Σᵢ wᵢ·UPᵢ, and, when the node's input z
  (or its output) is known, ∂L/∂z = ∂L/∂a · f′(z);
- a computational graph written as an expression over named inputs, e.g.
  ``sigmoid(w1*x1 + w2*x2 + b)``, with the forward value, the local derivative (as a formula
  and its number) and the gradient at every node; optionally some inputs are parameters, updated
  by an optimizer (``nnsolve.optim``) for a number of iterations, the expression being the loss.

The expression is written in nnsolve's one expression grammar (``nnsolve.expression``): parsed
with Python's ``ast`` against an allow-list, never evaluated by Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Iterator, Literal

from pydantic import Field, StrictInt, field_validator, model_validator

from .. import limits, optim
from ..errors import SolveError
from ..expr import Expr, Partial, add, call, dot, num, partial, sym
from ..expression import Node, input_names, parse_expression, symbol_name
from ..graph import Pass, apply, backward, depends_on, forward, run_pass
from ..numbers import Number, Real, bounded, number_text, sigmoid, simplify, tanh
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import FieldError, ProblemBase, Strict

TOPIC = "backprop"
SUMMARY = "gradients by backpropagation: a node with several downstream branches, or a small graph (and its updates)"
EXAMPLE = "problems/seed/s12-sigmoid-node.yaml"

SHOWN_ITERATIONS = 3  # iterations of an update worked node by node; the table lists every iteration


class Downstream(Strict):
    """One branch out of the node: the weight it is multiplied by and the gradient arriving there."""

    weight: Real = Field(description="the weight the node's output is multiplied by on this branch")
    upstream: Real = Field(description="the gradient ∂L/∂(branch) arriving from downstream")


class Spec(ProblemBase):
    """Either ``node`` + ``downstream`` (a node's fan-out) or ``expression`` + ``values`` (a graph)."""

    topic: Literal["backprop"] = Field(description="backprop: a gradient by the chain rule")
    node: Literal["sigmoid", "tanh", "relu", "linear"] | None = Field(
        default=None, description="the node's function, with downstream (instead of expression)")
    downstream: Annotated[list[Downstream], Field(min_length=1, max_length=limits.MAX_GRAPH_NODES)] | None = Field(
        default=None, description="the branches the node's output feeds, each {weight, upstream}")
    input: Real | None = Field(default=None, description="the node's input z, when known")
    output: Real | None = Field(default=None, description="the node's output a, when known (sigmoid, tanh)")
    expression: str | None = Field(default=None, max_length=limits.MAX_EXPRESSION_CHARS,
                                   description='a graph over named inputs, e.g. "sigmoid(w1*x1 + w2*x2 + b)" '
                                               '(instead of node)')
    values: dict[str, Real] = Field(default_factory=dict, description="the value of every input of the expression")
    upstream: Real = Field(default=1, description="the gradient arriving at the expression's output")
    parameters: list[str] | None = Field(
        default=None, max_length=limits.MAX_GRAPH_NODES,
        description="graph form: the inputs updated as parameters (the expression is the loss), e.g. [w5]")
    optimizer: optim.Optimizer | None = Field(default=None, description="with parameters: the update rule")
    iterations: Annotated[StrictInt, Field(ge=1, le=limits.MAX_ITERATIONS)] | None = Field(
        default=None, description="with parameters: how many updates (default 1)")
    ask: str | None = Field(default=None, description="node form: output_gradient or input_gradient; graph form: "
                                                      "output, an input's name (its gradient) or any answer's name")

    @field_validator("expression")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_expression(value)
        return value

    @model_validator(mode="after")
    def _one_form(self) -> "Spec":
        if (self.expression is None) == (self.node is None):
            raise FieldError("expression" if self.expression is not None else "node",
                             "give either 'node' with 'downstream' or 'expression' with 'values'")
        if self.node is not None:
            if self.downstream is None:
                raise ValueError("node: needs 'downstream', a list of {weight, upstream}")
            if self.output is not None and self.node not in ("sigmoid", "tanh"):
                raise ValueError("output: the local derivative from the output is defined here for sigmoid "
                                 "and tanh; give 'input' instead")
            if self.ask not in (None, "output_gradient", "input_gradient"):
                raise ValueError("ask: must be output_gradient or input_gradient for a node")
            if self.ask == "input_gradient" and self.input is None and self.output is None:
                raise ValueError("ask: input_gradient needs the node's 'input' (or 'output')")
            for name in ("parameters", "optimizer", "iterations"):
                if getattr(self, name) is not None:
                    raise FieldError(name, "parameters, optimizer and iterations belong to the graph form "
                                           "(an expression)")
            return self
        names = input_names(parse_expression(self.expression))
        missing = [n for n in names if n not in self.values]
        if missing:
            raise ValueError(f"values: no value for {', '.join(missing)}")
        extra = [n for n in self.values if n not in names]
        if extra:
            raise ValueError(f"values: {', '.join(extra)} does not appear in the expression")
        return self


def _check_graph(spec: Spec, names: list[str]) -> None:
    """What the field types cannot say about an update and ``ask``: each a SolveError naming its field."""
    updating = spec.parameters is not None or spec.optimizer is not None or spec.iterations is not None
    if updating:
        if spec.parameters is None:
            raise SolveError("an update needs 'parameters': the inputs it changes, e.g. [w5]", field="optimizer")
        if spec.optimizer is None:
            raise SolveError("needs an 'optimizer', e.g. {type: gd, learning_rate: 0.5}", field="parameters")
        for i, name in enumerate(spec.parameters):
            if name not in names:
                raise SolveError(f"{name!r} is not an input of the expression; the inputs are {', '.join(names)}",
                                 field=f"parameters[{i}]")
        if not spec.parameters or len(set(spec.parameters)) != len(spec.parameters):
            raise SolveError("list each parameter once, and at least one", field="parameters")
        for name in getattr(spec.optimizer, "velocity", {}):
            if name not in spec.parameters:
                raise SolveError(f"{name!r} is not one of the parameters {', '.join(spec.parameters)}",
                                 field="optimizer.velocity")
        work = _iterations(spec) * len(parse_expression(spec.expression))
        if work > limits.MAX_UPDATE_WORK:
            raise SolveError(f"iterations × graph nodes is {work:,}, more than MAX_UPDATE_WORK = "
                             f"{limits.MAX_UPDATE_WORK:,} (nnsolve's cap)", field="iterations")
    if spec.ask is not None and spec.ask not in _answer_names(spec, names):
        params = spec.parameters or []
        raise SolveError("must be output, an input's name (its gradient)" +
                         (f", output_updated, or a parameter's updated value ({params[0]}_updated, "
                          f"{params[0]}_iter1, …)" if params else "") +
                         f"; the inputs are {', '.join(names)}", field="ask")


def _iterations(spec: Spec) -> int:
    return spec.iterations or 1


def _answer_names(spec: Spec, names: list[str]) -> set[str]:
    out = {"output", *names, *(f"grad_{n}" for n in names)}
    if spec.parameters:
        out.add("output_updated")
        for p in spec.parameters:
            out |= {f"{p}_updated", *(f"{p}_iter{t}" for t in range(1, _iterations(spec) + 1))}
    return out


# ---------------------------------------------------------------------------------------------
# Updates: chosen inputs are parameters, moved by an optimizer against the gradient of the output

@dataclass
class _Iteration:
    t: int
    before: dict[str, Number]  # the inputs before the update
    passed: Pass  # at the look-ahead point for Nesterov, else at ``before``
    state_before: dict[str, tuple]
    state_after: dict[str, tuple]
    after: dict[str, Number]


def _train(spec: Spec, nodes: list[Node], mistake: str | None = None, drop: tuple[int, int] | None = None,
           knobs: optim.Knobs = optim.RIGHT) -> list[_Iteration]:
    opt, params = spec.optimizer, spec.parameters
    index = {n.name: i for i, n in enumerate(nodes) if n.op == "input"}
    values: dict[str, Number] = dict(spec.values)
    state = {p: optim.initial_state(opt, p) for p in params}
    history = []
    for t in range(1, _iterations(spec) + 1):
        point = dict(values)
        for p in params:
            point[p] = optim.lookahead(opt, values[p], state[p])
        try:
            passed = run_pass(nodes, point, spec.upstream, mistake, drop)
            after, new_state = dict(values), {}
            for p in params:
                after[p], new_state[p] = optim.update(opt, t, values[p], passed.back.grads[index[p]], state[p], knobs)
                after[p] = bounded(after[p])
        except SolveError as exc:
            raise SolveError(f"iteration {t}: {exc.message}", field=exc.field) from None
        except OverflowError:
            raise SolveError(f"iteration {t}: the update overflows", field="optimizer") from None
        history.append(_Iteration(t, values, passed, state, new_state, after))
        values, state = after, new_state
    return history


# ---------------------------------------------------------------------------------------------
# The worked solutions

def _grad_sym(label: str) -> Partial:
    return partial("f", symbol_name(label))


def _pass_steps(nodes: list[Node], passed: Pass, upstream: Number, prefix: str = "",
                towards: list[str] | None = None) -> list[Step]:
    """Forward values, then backward: at each node the local derivatives into it, then its gradient.

    ``towards``: the backward pass is shown only on the paths to these inputs (the parameters).
    """
    vals, back = passed.vals, passed.back
    steps = [Step(f"{prefix}Forward: {node.label}", lhs=sym(symbol_name(node.label)), formula=apply(nodes, i),
                  substitution=apply(nodes, i, vals), value=vals[i])
             for i, node in enumerate(nodes) if node.op not in ("input", "const")]
    root = nodes[-1]
    steps.append(Step(f"{prefix}Gradient arriving at the output", lhs=_grad_sym(root.label or "f"),
                      value=upstream, note="given" if upstream != 1 else "f is this node itself, so its derivative is 1"))
    for index in range(len(nodes) - 2, -1, -1):
        node = nodes[index]
        if node.op == "const" or towards is not None and not depends_on(nodes, index, towards):
            continue
        uses = back.contributions[index]
        for parent, position, _, _ in uses:
            local = back.locals[parent][position]
            repeated = nodes[parent].args.count(index) > 1
            steps.append(Step(f"{prefix}Local derivative of {nodes[parent].label} with respect to {node.label}"
                              + (f" (argument {position + 1})" if repeated else ""),
                              lhs=partial(symbol_name(nodes[parent].label), symbol_name(node.label)),
                              formula=local.formula, substitution=local.substitution, value=local.value,
                              note=local.note))
        terms_f = [dot(_grad_sym(nodes[p].label), partial(symbol_name(nodes[p].label), symbol_name(node.label)))
                   for p, _, _, _ in uses]
        terms_v = [dot(num(up), num(local)) for _, _, up, local in uses]
        steps.append(Step(f"{prefix}Backward: gradient at {node.label}", lhs=_grad_sym(node.label),
                          formula=add(*terms_f), substitution=add(*terms_v), value=back.grads[index],
                          note=f"{len(uses)} branches, summed" if len(uses) > 1 else None))
    return steps


def _kind(nodes: list[Node], i: int) -> str | Expr:
    op = nodes[i].op
    return "input" if op == "input" else "constant" if op == "const" else apply(nodes, i)


def _node_table(nodes: list[Node], passed: Pass, title: str) -> Table:
    rows = tuple((n.label if n.op != "const" else "const", _kind(nodes, i), passed.vals[i],
                  passed.back.grads[i] if n.op != "const" else None) for i, n in enumerate(nodes))
    return Table(title, ("Node", "Computes", "Value", "Gradient"), rows)


def _update_blocks(spec: Spec, nodes: list[Node], history: list[_Iteration]) -> list:
    opt, index = spec.optimizer, {n.name: i for i, n in enumerate(nodes) if n.op == "input"}
    blocks: list = []
    for it in history[:SHOWN_ITERATIONS]:
        label = f"Iteration {it.t}"
        if it.t > 1:
            blocks += _pass_steps(nodes, it.passed, spec.upstream, f"{label}: ", towards=spec.parameters)
        for p in spec.parameters:
            blocks += optim.update_steps(opt, it.t, label, p, sym(symbol_name(p)), p, it.before[p], it.after[p],
                                         it.passed.back.grads[index[p]], it.state_before[p], it.state_after[p])
    columns = ("Iteration", "f") + tuple(c for p in spec.parameters for c in (f"∂f/∂{p}", f"{p} after"))
    rows = tuple((it.t, it.passed.vals[-1], *(v for p in spec.parameters
                                              for v in (it.passed.back.grads[index[p]], it.after[p])))
                 for it in history)
    blocks.append(Table("Iteration by iteration (f and its gradient before each update)", columns, rows))
    return blocks


def _solve_graph(spec: Spec) -> Solution:
    nodes = parse_expression(spec.expression)
    names = input_names(nodes)
    _check_graph(spec, names)
    updating = spec.parameters is not None
    history = _train(spec, nodes) if updating else []
    start = history[0].passed if updating else run_pass(nodes, dict(spec.values), spec.upstream)
    blocks: list = _pass_steps(nodes, start, spec.upstream, "Iteration 1: " if updating else "")
    blocks.append(_node_table(nodes, start, "Nodes (forward value and gradient)" +
                              (" at the start" if updating else "")))
    answers: dict[str, Answer] = {"output": Answer(start.vals[-1], "value of the expression")}
    for i, n in enumerate(nodes):
        if n.op == "input":
            answers[f"grad_{n.name}"] = Answer(start.back.grads[i], f"∂f/∂{n.name}")
    assumptions = [
        "Gradients are of the expression's output f"
        + (f", scaled by the given upstream gradient {number_text(spec.upstream)}." if spec.upstream != 1 else "."),
        "A node used by several others collects the sum of the gradients along every branch.",
    ]
    if updating:
        blocks += _update_blocks(spec, nodes, history)
        answers.update(_update_answers(spec, nodes, history))
        fixed = [n for n in names if n not in spec.parameters]
        assumptions += [f"The expression is the loss: the parameters {', '.join(spec.parameters)} move against "
                        "its gradient" + (f"; {', '.join(fixed)} stay fixed." if fixed else "."),
                        optim.describe(spec.optimizer, tuple(spec.parameters))]
        if _iterations(spec) > SHOWN_ITERATIONS:
            assumptions.append(f"Iterations 1–{SHOWN_ITERATIONS} are worked node by node; the table lists all "
                               f"{_iterations(spec)}.")
    passes = [start] + [it.passed for it in history]
    if any(n.op in ("sigmoid", "tanh", "exp", "log", "sqrt", "sin", "cos") for n in nodes) \
            or any(isinstance(v, float) for p in passes for v in p.vals) or optim.takes_roots(spec.optimizer):
        assumptions.append("exp, log, sigmoid, tanh, square roots, sin and cos are transcendental: those values "
                           "are floats, never rounded between steps and shown to 5 significant figures; an exact "
                           f"fraction longer than {limits.MAX_EXACT_DIGITS:,} digits is carried as a float too.")
    if any(n.op == "relu" for n in nodes):
        assumptions.append("ReLU′(0) is taken as 0, as PyTorch does.")
    if spec.ask is None:
        primary = f"{spec.parameters[0]}_updated" if updating else f"grad_{names[0]}"
    else:
        primary = spec.ask if spec.ask in answers else f"grad_{spec.ask}"
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=tuple(blocks),
                    assumptions=tuple(assumptions))


def _update_answers(spec: Spec, nodes: list[Node], history: list[_Iteration]) -> dict[str, Answer]:
    n = len(history)
    final = history[-1]
    answers = {f"{p}_updated": Answer(final.after[p], f"{p} after {n} update{'s' if n > 1 else ''}")
               for p in spec.parameters}
    output = forward(nodes, final.after)[-1]
    answers["output_updated"] = Answer(output, f"value of the expression after {n} update{'s' if n > 1 else ''}")
    for it in history:
        for p in spec.parameters:
            answers[f"{p}_iter{it.t}"] = Answer(it.after[p], f"{p} after iteration {it.t}")
    if optim.is_nesterov(spec.optimizer):
        for p in spec.parameters:
            look = simplify(final.after[p] + spec.optimizer.momentum * final.state_after[p][0])
            answers[f"{p}_lookahead"] = Answer(look, f"{p} + m·v after {n} iterations",
                                               reading="PyTorch/Keras Nesterov (stores the look-ahead point)")
    return answers


def _node_local(spec: Spec) -> tuple[Number, Expr | None, Expr | None, str] | None:
    """f′ at the node: (value, formula, substitution, note), or None when neither input nor output is known."""
    a_sym = sym("a")
    if spec.output is not None and spec.node in ("sigmoid", "tanh"):
        a = spec.output
        if spec.node == "sigmoid":
            return simplify(a * (1 - a)), a_sym * (1 - a_sym), dot(num(a), 1 - num(a)), "σ′(z) = a(1 − a) with a = σ(z)"
        return simplify(1 - a * a), 1 - a_sym ** 2, 1 - num(a) ** 2, "tanh′(z) = 1 − a² with a = tanh(z)"
    if spec.input is None:
        return None
    z = spec.input
    if spec.node == "sigmoid":
        s = sigmoid(z)
        return s * (1 - s), call("sigma", sym("z")) * (1 - call("sigma", sym("z"))), \
            dot(call("sigma", num(z)), 1 - call("sigma", num(z))), "σ′(z) = σ(z)(1 − σ(z))"
    if spec.node == "tanh":
        t = tanh(z)
        return 1 - t * t, 1 - call("tanh", sym("z")) ** 2, 1 - call("tanh", num(z)) ** 2, "tanh′(z) = 1 − tanh²(z)"
    if spec.node == "relu":
        return (1 if z > 0 else 0), None, None, f"ReLU′(z) = {'1 because z > 0' if z > 0 else '0 because z ≤ 0'}"
    return 1, None, None, "a linear node passes the gradient through"


def _node_sum(branches: list[Downstream]) -> Number:
    return simplify(sum(b.weight * b.upstream for b in branches))


def _solve_node(spec: Spec) -> Solution:
    branches = spec.downstream
    out_grad = _node_sum(branches)
    w = [sym(f"w_{i}") for i in range(1, len(branches) + 1)]
    up = [sym(f"UP_{i}") for i in range(1, len(branches) + 1)]
    d_a = partial("L", "a")
    blocks: list = [Step(f"Gradient at the output of the {spec.node} node", lhs=d_a,
                         formula=add(*[wi * ui for wi, ui in zip(w, up)]),
                         substitution=add(*[dot(num(b.weight), num(b.upstream)) for b in branches]),
                         value=out_grad,
                         note=f"the output a feeds {len(branches)} downstream node{'s' if len(branches) > 1 else ''}; "
                              "each contributes its weight times the gradient arriving there, and they add up")]
    answers = {"output_gradient": Answer(out_grad, f"gradient at the output of the {spec.node} node")}
    local = _node_local(spec)
    if local is not None:
        value, formula, substitution, note = local
        d_z = partial("L", "z")
        blocks.append(Step("Local derivative of the node", lhs=partial("a", "z"),
                           formula=formula, substitution=substitution, value=value, note=note))
        in_grad = simplify(out_grad * value)
        blocks.append(Step(f"Gradient at the input of the {spec.node} node", lhs=d_z,
                           formula=dot(d_a, partial("a", "z")),
                           substitution=dot(num(out_grad), num(value)), value=in_grad))
        answers["local_derivative"] = Answer(value, "local derivative ∂a/∂z")
        answers["input_gradient"] = Answer(in_grad, f"gradient at the input of the {spec.node} node")
    assumptions = ["The gradient at a node's output is the sum, over every branch it feeds, of the branch's "
                   "weight times the upstream gradient given for that branch; the node's own local derivative "
                   "applies only on the way to its input."]
    if local is not None and isinstance(local[0], float):
        assumptions.append("The sigmoid and tanh are transcendental: those values are floats, never rounded "
                           "between steps and shown to 5 significant figures.")
    return Solution(topic=TOPIC, answers=answers, primary=spec.ask or "output_gradient", blocks=tuple(blocks),
                    assumptions=tuple(assumptions))


def solve(spec: Spec) -> Solution:
    return _solve_node(spec) if spec.node is not None else _solve_graph(spec)


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    yield from (_node_variants(spec) if spec.node is not None else _graph_variants(spec))


def _node_variants(spec: Spec) -> Iterator[Variant]:
    branches = spec.downstream
    total = _node_sum(branches)
    local = _node_local(spec)
    seen = {total}

    def variant(mistake: str, out_grad: Number, with_input: bool = True) -> Iterator[Variant]:
        if out_grad in seen:
            return
        seen.add(out_grad)
        answers = {"output_gradient": out_grad}
        if local is not None and with_input:
            answers["input_gradient"] = simplify(out_grad * local[0])
        yield Variant(mistake, answers)

    if len(branches) > 1:
        for i in range(len(branches)):
            kept = [b for j, b in enumerate(branches) if j != i]
            yield from variant(f"dropped the branch through w{i + 1} (summed only the other "
                               f"{'branch' if len(kept) == 1 else 'branches'})", _node_sum(kept))
    if local is not None:
        yield from variant(f"multiplied by the local {spec.node} derivative although only the gradient at the "
                           "node's output is asked", simplify(total * local[0]), with_input=False)
        yield Variant("gave ∂L/∂a, the gradient at the node's output, for ∂L/∂z at its input, which is "
                      "∂L/∂a · ∂a/∂z (times the local derivative)", {"input_gradient": total})
    yield from variant("sign error: the gradient with the wrong sign", -total)
    yield from variant("added the upstream gradients without their weights",
                       simplify(sum(b.upstream for b in branches)))


def _graph_variants(spec: Spec) -> Iterator[Variant]:
    nodes = parse_expression(spec.expression)
    try:
        _check_graph(spec, input_names(nodes))
    except SolveError:
        return
    updating = spec.parameters is not None
    index = {n.name: i for i, n in enumerate(nodes) if n.op == "input"}

    def outcome(mistake: str | None = None, drop: tuple[int, int] | None = None,
                knobs: optim.Knobs = optim.RIGHT) -> dict[str, Number]:
        history = _train(spec, nodes, mistake, drop, knobs) if updating else []
        start = history[0].passed if updating else run_pass(nodes, dict(spec.values), spec.upstream, mistake, drop)
        answers = {f"grad_{name}": start.back.grads[i] for name, i in index.items()}
        for it in history:
            answers.update({f"{p}_iter{it.t}": it.after[p] for p in spec.parameters})
        if updating:
            answers.update({f"{p}_updated": history[-1].after[p] for p in spec.parameters})
        return answers

    try:
        correct = outcome()
    except SolveError:
        return
    right = run_pass(nodes, dict(spec.values), spec.upstream).back
    candidates: list[tuple[str, dict]] = []
    # Dropping a branch: an input used more than once keeps only some uses' contributions.
    for name, i in index.items():
        uses = right.contributions[i]
        if len(uses) < 2:
            continue
        for k, (parent, _, _, _) in enumerate(uses):
            candidates.append((f"dropped the branch from {name} into {nodes[parent].label} ({nodes[parent].source}) "
                               f"instead of summing all {len(uses)} branches out of {name}", {"drop": (i, k)}))
    candidates += [("sign error: took ∂(a − b)/∂b as +1 instead of −1", {"mistake": "subtraction"}),
                   ("left out the local derivative of the sigmoid/tanh (treated it as 1)", {"mistake": "activation"})]
    if updating and isinstance(spec.optimizer, optim.Momentum):
        candidates.append(("used v ← m·v + η·g then p ← p − η·v, applying the learning rate twice",
                           {"knobs": optim.Knobs(double_eta=True)}))
    if updating and isinstance(spec.optimizer, optim.Adam):
        candidates.append(("left out Adam's bias correction (used m and s instead of m̂ and ŝ)",
                           {"knobs": optim.Knobs(no_bias_correction=True)}))
    seen = [correct]
    for mistake, bend in candidates:
        try:
            bent = outcome(**bend)
        except SolveError:
            continue
        if bent not in seen:  # x*x: dropping either use gives the same numbers
            seen.append(bent)
            yield Variant(mistake, bent)
    try:
        uphill = outcome(knobs=optim.Knobs(uphill=True)) if updating else dict(correct)
    except SolveError:
        return
    uphill.update({k: -v for k, v in correct.items() if k.startswith("grad_")})
    yield Variant("sign error: every gradient with the wrong sign" + (", so the update goes uphill" if updating else ""),
                  uphill)


# ---------------------------------------------------------------------------------------------
# What the question gives

def given(spec: Spec) -> list:
    """Graph form: the expression as a formula, the value of every input, the upstream gradient,
    and what is updated how. Node form: its fields as the file states them."""
    from ..given import generic, optimizer, subscripted
    from ..graph import formula
    from ..solution import Given

    if spec.expression is None:
        return list(generic(spec))
    out: list = [Given("Expression f", formula(parse_expression(spec.expression)))]
    out += [Given(subscripted(name), value) for name, value in spec.values.items()]
    if spec.upstream != 1:
        out.append(Given("Gradient arriving at f", spec.upstream))
    if spec.parameters is not None:
        out.append(Given("Parameters updated", ", ".join(map(subscripted, spec.parameters))))
        out += optimizer(spec.optimizer)
        out.append(Given("Iterations", _iterations(spec)))
    return out
