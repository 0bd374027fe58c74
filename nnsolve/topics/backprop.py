"""Backpropagation: the gradient at a node with several downstream branches, or through a small graph.

Two forms of problem:

- a node (sigmoid, tanh, ReLU, linear) whose output a feeds downstream nodes through weights
  wᵢ, with the upstream gradients UPᵢ given: ∂L/∂a = Σᵢ wᵢ·UPᵢ, and, when the node's input z
  (or its output) is known, ∂L/∂z = ∂L/∂a · f′(z);
- a computational graph written as an expression over named inputs, e.g.
  ``sigmoid(w1*x1 + w2*x2 + b)``, with the forward value and the gradient at every node.

The expression is parsed with Python's ``ast`` and checked against an allow-list (names,
numbers, + − * / **, unary minus, and the functions sigmoid, tanh, relu, exp, log, max); it is
never evaluated by Python.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Annotated, Iterator, Literal

from pydantic import Field, field_validator, model_validator

from .. import limits
from ..errors import SolveError
from ..expr import Expr, Partial, add, call, dot, num, partial, sym
from ..numbers import Number, Real, sigmoid, simplify, to_exact
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import FieldError, ProblemBase, Strict

TOPIC = "backprop"
SUMMARY = "gradients by backpropagation: a node with several downstream branches, or a small graph"
EXAMPLE = "problems/seed/s12-sigmoid-node.yaml"

FUNCTIONS = {"sigmoid": 1, "tanh": 1, "relu": 1, "exp": 1, "log": 1, "max": 2}  # name → arguments
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}


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
    ask: str | None = Field(default=None, description="node form: output_gradient or input_gradient; "
                                                      "graph form: an input's name (its gradient) or output")

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
            return self
        names = _input_names(parse_expression(self.expression))
        missing = [n for n in names if n not in self.values]
        if missing:
            raise ValueError(f"values: no value for {', '.join(missing)}")
        extra = [n for n in self.values if n not in names]
        if extra:
            raise ValueError(f"values: {', '.join(extra)} does not appear in the expression")
        if self.ask is not None and self.ask != "output" and self.ask not in names:
            raise ValueError(f"ask: must be 'output' or one of the inputs {', '.join(names)}")
        return self


# ---------------------------------------------------------------------------------------------
# The expression: an allow-list over Python's ast

@dataclass
class Node:
    """A node of the graph. Leaves are named inputs or constants; the rest apply ``op`` to ``args``."""

    op: str  # "input", "const", "+", "-", "*", "/", "^", "neg", or a function name
    args: tuple[int, ...] = ()  # indices of the argument nodes (always earlier in the list)
    name: str | None = None  # an input's name
    value: Number = 0
    label: str = ""
    source: str = ""  # the node's own text in the expression, as the file writes it


def _refuse(what: str) -> ValueError:
    return ValueError(f"{what} is not allowed in an expression; use names, numbers, + - * / **, "
                      f"unary minus and {', '.join(FUNCTIONS)}")


def parse_expression(text: str) -> list[Node]:
    """The graph of ``text`` in evaluation order (arguments before the node that uses them).

    Raises ValueError, with a message for the user, on anything outside the allow-list. Only
    ``ast.parse`` reads the text; nothing is compiled or evaluated.
    """
    if len(text) > limits.MAX_EXPRESSION_CHARS:
        raise ValueError(f"longer than MAX_EXPRESSION_CHARS = {limits.MAX_EXPRESSION_CHARS} characters (nnsolve's cap)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a valid expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError("nested too deeply") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > 4 * limits.MAX_GRAPH_NODES:  # ast nodes include operator and context markers
        raise ValueError(f"more than MAX_GRAPH_NODES = {limits.MAX_GRAPH_NODES} nodes (nnsolve's cap)")
    nodes: list[Node] = []
    inputs: dict[str, int] = {}
    _build(tree.body, text.strip(), nodes, inputs)
    if len(nodes) > limits.MAX_GRAPH_NODES:
        raise ValueError(f"more than MAX_GRAPH_NODES = {limits.MAX_GRAPH_NODES} nodes (nnsolve's cap)")
    k = 0
    for node in nodes:
        if node.op == "input":
            node.label = node.name
        elif node.op != "const":
            k += 1
            node.label = f"n{k}"
    return nodes


def _build(node: ast.AST, source: str, nodes: list[Node], inputs: dict[str, int]) -> int:
    if isinstance(node, ast.Name):
        name = node.id
        if not _NAME.match(name) or name in FUNCTIONS:
            raise _refuse(f"the name {name!r}")
        if name not in inputs:
            inputs[name] = len(nodes)
            nodes.append(Node("input", name=name))
        return inputs[name]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _refuse(f"the constant {node.value!r}")
        segment = ast.get_source_segment(source, node) or repr(node.value)
        try:
            value = to_exact(segment)
        except ValueError:
            value = to_exact(node.value)
        nodes.append(Node("const", value=value))
        return len(nodes) - 1
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _build(node.left, source, nodes, inputs)
        right = _build(node.right, source, nodes, inputs)
        nodes.append(Node(_BINARY[type(node.op)], (left, right), source=_segment(source, node)))
        return len(nodes) - 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _build(node.operand, source, nodes, inputs)
        if isinstance(node.op, ast.UAdd):
            return operand
        nodes.append(Node("neg", (operand,), source=_segment(source, node)))
        return len(nodes) - 1
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise _refuse("calling " + (repr(node.func.id) if isinstance(node.func, ast.Name) else "this"))
        fn = node.func.id
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args) or len(node.args) != FUNCTIONS[fn]:
            raise ValueError(f"{fn} takes {FUNCTIONS[fn]} argument{'s' if FUNCTIONS[fn] > 1 else ''}, "
                             f"written plainly")
        args = tuple(_build(a, source, nodes, inputs) for a in node.args)
        nodes.append(Node(fn, args, source=_segment(source, node)))
        return len(nodes) - 1
    raise _refuse(_describe(node))


def _segment(source: str, node: ast.AST) -> str:
    return " ".join((ast.get_source_segment(source, node) or "").split())


def _describe(node: ast.AST) -> str:
    kinds = {ast.Attribute: "an attribute (a.b)", ast.Subscript: "a subscript (a[i])", ast.Lambda: "a lambda",
             ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension", ast.SetComp: "a comprehension",
             ast.DictComp: "a comprehension", ast.Compare: "a comparison", ast.BoolOp: "and/or",
             ast.IfExp: "if/else", ast.NamedExpr: "':='"}
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.UnaryOp):
        return f"the operator {type(node.op).__name__}"
    return type(node).__name__


def _input_names(nodes: list[Node]) -> list[str]:
    return [n.name for n in nodes if n.op == "input"]


# ---------------------------------------------------------------------------------------------
# Forward and backward passes

def _forward(nodes: list[Node], values: dict[str, Number]) -> None:
    for node in nodes:
        a = [nodes[i].value for i in node.args]
        op = node.op
        if op == "input":
            node.value = values[node.name]
        elif op == "const":
            pass
        elif op == "+":
            node.value = simplify(a[0] + a[1])
        elif op == "-":
            node.value = simplify(a[0] - a[1])
        elif op == "*":
            node.value = simplify(a[0] * a[1])
        elif op == "/":
            if a[1] == 0:
                raise SolveError(f"{node.label}: division by zero", field="expression")
            node.value = _div(a[0], a[1])
        elif op == "^":
            node.value = _power(a[0], a[1], node.label)
        elif op == "neg":
            node.value = -a[0]
        elif op == "sigmoid":
            node.value = sigmoid(a[0])
        elif op == "tanh":
            node.value = math.tanh(float(a[0]))
        elif op == "relu":
            node.value = a[0] if a[0] > 0 else 0
        elif op == "exp":
            try:
                node.value = math.exp(float(a[0]))
            except OverflowError:
                raise SolveError(f"{node.label}: exp({float(a[0]):g}) overflows", field="expression") from None
        elif op == "log":
            if a[0] <= 0:
                raise SolveError(f"{node.label}: log of {float(a[0]):g}, which is not positive", field="expression")
            node.value = math.log(float(a[0]))
        elif op == "max":
            node.value = max(a[0], a[1])


def _div(a: Number, b: Number) -> Number:
    """a / b, exact unless either is already a float."""
    if isinstance(a, float) or isinstance(b, float):
        return a / b
    return simplify(Fraction(a) / Fraction(b))


def _power(base: Number, exponent: Number, label: str) -> Number:
    if isinstance(exponent, int) and not isinstance(base, float):
        if base == 0 and exponent < 0:
            raise SolveError(f"{label}: 0 to a negative power", field="expression")
        if abs(exponent) > 64:
            raise SolveError(f"{label}: the exponent {exponent} is too large for this solver", field="expression")
        return simplify(Fraction(base) ** exponent)
    if base <= 0 and not float(exponent).is_integer():
        raise SolveError(f"{label}: a non-positive base to a fractional power", field="expression")
    try:
        return float(base) ** float(exponent)
    except (OverflowError, ZeroDivisionError):
        raise SolveError(f"{label}: the power overflows", field="expression") from None


def _locals(nodes: list[Node], node: Node, mistake: str | None = None) -> tuple[Number, ...]:
    """∂node/∂argᵢ for each argument. ``mistake`` bends one rule the way students do."""
    a = [nodes[i].value for i in node.args]
    op = node.op
    if op == "+":
        return (1, 1)
    if op == "-":
        return (1, 1) if mistake == "subtraction" else (1, -1)
    if op == "*":
        return (a[1], a[0])
    if op == "/":
        return (_div(1, a[1]), _div(-a[0], a[1] ** 2))
    if op == "^":
        base, exponent = a
        d_base = simplify(exponent * _power(base, exponent - 1, node.label)) if base != 0 or exponent >= 1 else 0
        depends = _depends_on_input(nodes, node.args[1])
        if depends:
            if base <= 0:
                raise SolveError(f"{node.label}: ∂(a^b)/∂b = a^b·ln a needs a > 0", field="expression")
            d_exp = node.value * math.log(float(base))
        else:
            d_exp = 0
        return (d_base, d_exp)
    if op == "neg":
        return (-1,)
    if op in ("sigmoid", "tanh") and mistake == "activation":
        return (1,)
    if op == "sigmoid":
        return (node.value * (1 - node.value),)
    if op == "tanh":
        return (1 - node.value ** 2,)
    if op == "relu":
        return (1 if a[0] > 0 else 0,)
    if op == "exp":
        return (node.value,)
    if op == "log":
        return (_div(1, a[0]),)
    if op == "max":
        if a[0] == a[1]:
            return (Fraction(1, 2), Fraction(1, 2))
        return (1, 0) if a[0] > a[1] else (0, 1)
    return ()


def _depends_on_input(nodes: list[Node], index: int) -> bool:
    node = nodes[index]
    return node.op == "input" or any(_depends_on_input(nodes, i) for i in node.args)


@dataclass
class _Backward:
    grads: list[Number]
    # contributions[i]: (parent index, upstream gradient, local derivative) for every use of node i
    contributions: list[list[tuple[int, Number, Number]]] = field(default_factory=list)


def _backward(nodes: list[Node], upstream: Number, mistake: str | None = None) -> _Backward:
    grads: list[Number] = [0] * len(nodes)
    contributions: list[list] = [[] for _ in nodes]
    grads[-1] = upstream
    for index in range(len(nodes) - 1, -1, -1):
        node = nodes[index]
        if not node.args:
            continue
        for arg, local in zip(node.args, _locals(nodes, node, mistake)):
            contributions[arg].append((index, grads[index], local))
            grads[arg] = simplify(grads[arg] + grads[index] * local)
    return _Backward(grads, contributions)


# ---------------------------------------------------------------------------------------------
# The worked solutions

_FN = {"sigmoid": "sigma", "tanh": "tanh", "relu": "relu", "exp": "exp", "log": "ln", "max": "max"}
_RULES = {
    "+": "∂(a + b)/∂a = ∂(a + b)/∂b = 1",
    "-": "∂(a − b)/∂a = 1, ∂(a − b)/∂b = −1",
    "*": "∂(a·b)/∂a = b, ∂(a·b)/∂b = a",
    "/": "∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²",
    "^": "∂(aᵇ)/∂a = b·aᵇ⁻¹, ∂(aᵇ)/∂b = aᵇ·ln a",
    "neg": "∂(−a)/∂a = −1",
    "sigmoid": "σ′(x) = σ(x)(1 − σ(x))",
    "tanh": "tanh′(x) = 1 − tanh²(x)",
    "relu": "ReLU′(x) = 1 for x > 0, else 0",
    "exp": "exp′(x) = exp(x)",
    "log": "log′(x) = 1/x",
    "max": "the gradient goes to the larger argument (split equally on a tie, as PyTorch)",
}


def _ref(nodes: list[Node], i: int, values: bool) -> Expr:
    node = nodes[i]
    if node.op == "const" or values:
        return num(node.value)
    return sym(_sub(node.label))


def _sub(label: str) -> str:
    """n3 → n_3 (shown n₃); x1 → x_1; names without a trailing number are kept as they are."""
    m = re.match(r"^([A-Za-z]+)_?(\d+)$", label)
    return f"{m.group(1)}_{m.group(2)}" if m else label


def _apply(nodes: list[Node], node: Node, values: bool) -> Expr:
    args = [_ref(nodes, i, values) for i in node.args]
    op = node.op
    if op == "+":
        return args[0] + args[1]
    if op == "-":
        return args[0] - args[1]
    if op == "*":
        return dot(args[0], args[1]) if values else args[0] * args[1]
    if op == "/":
        return args[0] / args[1]
    if op == "^":
        return args[0] ** args[1]
    if op == "neg":
        return -args[0]
    return call(_FN[op], *args)


def _solve_graph(spec: Spec) -> Solution:
    nodes = parse_expression(spec.expression)
    _forward(nodes, spec.values)
    back = _backward(nodes, spec.upstream)
    blocks: list = []
    for node in nodes:
        if node.op in ("input", "const"):
            continue
        blocks.append(Step(f"Forward: {node.label}", lhs=sym(_sub(node.label)), formula=_apply(nodes, node, False),
                           substitution=_apply(nodes, node, True), value=node.value))
    root = nodes[-1]
    blocks.append(Step("Gradient arriving at the output", lhs=_grad_sym(root.label or "f"),
                       value=spec.upstream, note="given" if spec.upstream != 1 else "∂f/∂f = 1"))
    for index in range(len(nodes) - 2, -1, -1):
        node = nodes[index]
        if node.op == "const":
            continue
        uses = back.contributions[index]
        terms_f = [dot(_grad_sym(nodes[p].label), _local_sym(nodes[p].label, node.label)) for p, _, _ in uses]
        terms_v = [dot(num(up), num(local)) for _, up, local in uses]
        rules = sorted({_RULES[nodes[p].op] for p, _, _ in uses})
        blocks.append(Step(f"Backward: gradient at {node.label}", lhs=_grad_sym(node.label),
                           formula=add(*terms_f), substitution=add(*terms_v), value=back.grads[index],
                           note="; ".join(rules) + (f" ({len(uses)} branches, summed)" if len(uses) > 1 else "")))
    rows = tuple((n.label if n.op != "const" else "const", _kind(nodes, n), n.value,
                  back.grads[i] if n.op != "const" else None) for i, n in enumerate(nodes))
    blocks.append(Table("Nodes (forward value and gradient)", ("Node", "Computes", "Value", "Gradient"), rows))

    answers: dict[str, Answer] = {"output": Answer(root.value, "value of the expression")}
    for i, n in enumerate(nodes):
        if n.op == "input":
            answers[f"grad_{n.name}"] = Answer(back.grads[i], f"∂f/∂{n.name}")
    names = _input_names(nodes)
    ask = spec.ask or names[0]
    primary = "output" if ask == "output" else f"grad_{ask}"
    assumptions = [
        "Gradients are of the expression's output f"
        + (f", scaled by the given upstream gradient {_show(spec.upstream)}." if spec.upstream != 1 else "."),
        "A node used by several others collects the sum of the gradients along every branch.",
    ]
    if any(n.op in ("sigmoid", "tanh", "exp", "log") for n in nodes) or any(isinstance(n.value, float) for n in nodes):
        assumptions.append("exp, log, sigmoid and tanh are transcendental: those values are floats, never rounded "
                           "between steps and shown to 5 significant figures.")
    if any(n.op == "relu" for n in nodes):
        assumptions.append("ReLU′(0) is taken as 0, as PyTorch does.")
    return Solution(topic=TOPIC, answers=answers, primary=primary, blocks=tuple(blocks),
                    assumptions=tuple(assumptions))


def _kind(nodes: list[Node], node: Node) -> str | Expr:
    if node.op == "input":
        return "input"
    if node.op == "const":
        return "constant"
    return _apply(nodes, node, False)


def _grad_sym(label: str) -> Partial:
    return partial("f", _sub(label))


def _local_sym(parent: str, child: str) -> Partial:
    return partial(_sub(parent), _sub(child))


def _show(x: Number) -> str:
    from ..numbers import number_text

    return number_text(x)


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
        t = math.tanh(float(z))
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
    up = [sym(f"UP_{i}", rf"\mathrm{{UP}}_{{{i}}}") for i in range(1, len(branches) + 1)]
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
    yield from variant("sign error: the gradient with the wrong sign", -total)
    yield from variant("added the upstream gradients without their weights",
                       simplify(sum(b.upstream for b in branches)))


def _graph_variants(spec: Spec) -> Iterator[Variant]:
    nodes = parse_expression(spec.expression)
    _forward(nodes, spec.values)
    right = _backward(nodes, spec.upstream)
    names = {i: n.name for i, n in enumerate(nodes) if n.op == "input"}

    def answers_of(grads: list[Number]) -> dict[str, Number]:
        return {f"grad_{name}": grads[i] for i, name in names.items()}

    correct = answers_of(right.grads)
    # Dropping a branch: an input used more than once keeps only one use's contribution.
    for i, name in names.items():
        uses = right.contributions[i]
        if len(uses) < 2:
            continue
        for k, (parent, _, _) in enumerate(uses):
            kept = simplify(sum((up * local for j, (_, up, local) in enumerate(uses) if j != k), 0))
            grads = list(right.grads)
            grads[i] = kept
            yield Variant(f"dropped the branch from {name} into {nodes[parent].label} "
                          f"({nodes[parent].source}) instead of summing all {len(uses)} "
                          f"branches out of {name}", answers_of(grads))
    for mistake, text in (("subtraction", "sign error: took ∂(a − b)/∂b as +1 instead of −1"),
                          ("activation", "left out the local derivative of the sigmoid/tanh (treated it as 1)")):
        try:
            bent = answers_of(_backward(nodes, spec.upstream, mistake).grads)
        except SolveError:
            continue
        if bent != correct:
            yield Variant(text, bent)
    yield Variant("sign error: every gradient with the wrong sign", {k: -v for k, v in correct.items()})
