"""A computational graph's numbers: each operation's forward value and, beside it, its local derivative.

The graph is a walked expression (``nnsolve.expression``). ``forward`` computes every node's
value, exact until a transcendental function (or a fraction outgrowing MAX_EXACT_DIGITS) makes
it a float;
``local_derivatives`` gives ∂node/∂argument for each argument as a number and as the formula
and substitution that show it; ``backward`` collects the gradient of the output at every node,
summing over every use of a node. ``apply`` is a node's own formula, for the worked steps.
A ``mistake`` bends one rule the way students do (``backprop``'s variants).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction

from . import limits
from .errors import SolveError
from .expr import Expr, call, dot, num, sym
from .expression import Node, constant_exponent, symbol_name
from .numbers import Number, bounded, number_text, sigmoid, simplify


def forward(nodes: list[Node], values: dict[str, Number]) -> list[Number]:
    """The value of every node, exact until a transcendental function (or MAX_EXACT_DIGITS) makes it a float."""
    vals: list[Number] = []
    for node in nodes:
        if node.op == "input":
            vals.append(values[node.name])
            continue
        try:
            vals.append(bounded(_value(node, [vals[i] for i in node.args])))
        except OverflowError:
            raise SolveError(f"{node.label}: the value overflows (beyond a float's range)", field="expression") from None
    return vals


def _value(node: Node, a: list[Number]) -> Number:
    op = node.op
    if op == "const":
        return node.value
    if op == "+":
        return simplify(a[0] + a[1])
    if op == "-":
        return simplify(a[0] - a[1])
    if op == "*":
        return simplify(a[0] * a[1])
    if op == "/":
        if a[1] == 0:
            raise SolveError(f"{node.label}: division by zero", field="expression")
        return _div(a[0], a[1])
    if op == "^":
        return _power(a[0], a[1], node.label)
    if op == "neg":
        return -a[0]
    if op == "sigmoid":
        return sigmoid(a[0])
    if op == "tanh":
        return math.tanh(float(a[0]))
    if op == "relu":
        return a[0] if a[0] > 0 else 0
    if op == "exp":
        try:
            return math.exp(float(a[0]))
        except OverflowError:
            raise SolveError(f"{node.label}: exp({float(a[0]):g}) overflows", field="expression") from None
    if op == "log":
        if a[0] <= 0:
            raise SolveError(f"{node.label}: log of {float(a[0]):g}, which is not positive", field="expression")
        return math.log(float(a[0]))
    if op == "sqrt":
        if a[0] < 0:
            raise SolveError(f"{node.label}: the square root of {float(a[0]):g}, which is negative", field="expression")
        return math.sqrt(float(a[0]))
    if op == "sin":
        return math.sin(float(a[0]))
    if op == "cos":
        return math.cos(float(a[0]))
    return max(a[0], a[1])  # max


def _div(a: Number, b: Number) -> Number:
    """a / b, exact unless either is already a float."""
    if isinstance(a, float) or isinstance(b, float):
        return a / b
    return simplify(Fraction(a) / Fraction(b))


def _power(base: Number, exponent: Number, label: str) -> Number:
    if isinstance(exponent, int) and not isinstance(base, float):
        if base == 0 and exponent < 0:
            raise SolveError(f"{label}: 0 to a negative power", field="expression")
        if abs(exponent) > limits.MAX_POWER:
            raise SolveError(f"{label}: the exponent {exponent} is too large (at most MAX_POWER = "
                             f"{limits.MAX_POWER}, nnsolve's cap)", field="expression")
        return simplify(Fraction(base) ** exponent)
    if base <= 0 and not float(exponent).is_integer():
        raise SolveError(f"{label}: a non-positive base to a fractional power", field="expression")
    if abs(exponent) > limits.MAX_POWER:
        raise SolveError(f"{label}: the exponent {float(exponent):g} is too large (at most MAX_POWER = "
                         f"{limits.MAX_POWER}, nnsolve's cap)", field="expression")
    try:
        return float(base) ** float(exponent)
    except (OverflowError, ZeroDivisionError):
        raise SolveError(f"{label}: the power overflows", field="expression") from None


@dataclass(frozen=True)
class Local:
    """∂node/∂argument: its number, and the formula and substitution that show it (none for a constant rule)."""

    value: Number
    formula: Expr | None = None
    substitution: Expr | None = None
    note: str | None = None


def local_derivatives(nodes: list[Node], vals: list[Number], index: int, mistake: str | None = None) -> tuple[Local, ...]:
    """∂node/∂argᵢ for each argument. ``mistake`` bends one rule the way students do."""
    try:
        return tuple(replace(local, value=bounded(local.value)) for local in _rules(nodes, vals, index, mistake))
    except OverflowError:
        raise SolveError(f"{nodes[index].label}: its derivative overflows", field="expression") from None


def _rules(nodes: list[Node], vals: list[Number], index: int, mistake: str | None) -> tuple[Local, ...]:
    node = nodes[index]
    a = [vals[i] for i in node.args]
    s = [ref(nodes, i) for i in node.args]
    n, v = sym(symbol_name(node.label)), vals[index]
    op = node.op
    if op == "+":
        return Local(1), Local(1)
    if op == "-":
        return Local(1), Local(1 if mistake == "subtraction" else -1)
    if op == "*":  # ∂(a·b)/∂a = b: the other argument (its symbol, unless it is a constant)
        other = [None if nodes[i].op == "const" else e for i, e in zip(node.args, s)]
        return Local(a[1], other[1]), Local(a[0], other[0])
    if op == "/":
        return (Local(_div(1, a[1]), 1 / s[1], 1 / num(a[1])),
                Local(_div(-a[0], a[1] * a[1]), -s[0] / s[1] ** 2, -num(a[0]) / num(a[1]) ** 2))
    if op == "^":
        return _power_base(nodes, node, a, s), _power_exponent(nodes, node, a, s, n, v)
    if op == "neg":
        return (Local(-1),)
    if op in ("sigmoid", "tanh") and mistake == "activation":
        return (Local(1),)
    if op == "sigmoid":
        return (Local(v * (1 - v), n * (1 - n), dot(num(v), 1 - num(v)), "σ′(a) = σ(a)(1 − σ(a))"),)
    if op == "tanh":
        return (Local(1 - v * v, 1 - n ** 2, 1 - num(v) ** 2, "tanh′(a) = 1 − tanh²(a)"),)
    if op == "relu":
        return (Local(1 if a[0] > 0 else 0,
                       note=f"ReLU′(a) = {'1 because a > 0' if a[0] > 0 else '0 because a ≤ 0 (as PyTorch)'}"),)
    if op == "exp":
        return (Local(v, n, note="exp′(a) = exp(a), the node's own value"),)
    if op == "log":
        return (Local(_div(1, a[0]), 1 / s[0], 1 / num(a[0]), "log′(a) = 1/a"),)
    if op == "sqrt":
        if v == 0:
            raise SolveError(f"{node.label}: the derivative of √a is infinite at a = 0", field="expression")
        return (Local(1 / (2 * v), 1 / (2 * n), 1 / dot(2, num(v)), "(√a)′ = 1/(2√a)"),)
    if op == "sin":
        return (Local(math.cos(float(a[0])), call("cos", s[0]), call("cos", num(a[0])), "sin′ = cos"),)
    if op == "cos":
        return (Local(-math.sin(float(a[0])), -call("sin", s[0]), -call("sin", num(a[0])), "cos′ = −sin"),)
    # max: the gradient goes to the larger argument, half each on a tie (as PyTorch)
    if a[0] == a[1]:
        return (Local(Fraction(1, 2), note="a tie: half the gradient to each argument, as PyTorch"),) * 2
    first = a[0] > a[1]
    note = "the gradient goes to the larger argument"
    return Local(1 if first else 0, note=note), Local(0 if first else 1, note=note)


def _power_base(nodes: list[Node], node: Node, a: list[Number], s: list[Expr]) -> Local:
    """∂(aᵇ)/∂a = b·aᵇ⁻¹."""
    base, exponent = a
    if exponent == 0:
        return Local(0, note="a⁰ = 1 is constant")
    if base == 0 and exponent < 1:
        raise SolveError(f"{node.label}: the derivative of a^{number_text(exponent)} is infinite at a = 0",
                         field="expression")
    value = simplify(exponent * _power(base, exponent - 1, node.label))
    k = constant_exponent(nodes, node)
    if k == 1:
        return Local(value, note="a¹ = a")
    if k is not None:
        lower = num(simplify(k - 1))
        power, shown = (s[0], num(base)) if k - 1 == 1 else (s[0] ** lower, num(base) ** lower)
        return Local(value, num(k) * power, dot(num(k), shown), "(aᵏ)′ = k·aᵏ⁻¹")
    return Local(value, s[1] * s[0] ** (s[1] - 1), dot(num(exponent), num(base) ** (num(exponent) - 1)),
                  "∂(aᵇ)/∂a = b·aᵇ⁻¹")


def _power_exponent(nodes: list[Node], node: Node, a: list[Number], s: list[Expr], n: Expr, v: Number) -> Local:
    """∂(aᵇ)/∂b = aᵇ·ln a (zero when the exponent is a constant)."""
    if not _depends_on_input(nodes, node.args[1]):
        return Local(0)
    if a[0] <= 0:
        raise SolveError(f"{node.label}: ∂(a^b)/∂b = a^b·ln a needs a > 0", field="expression")
    return Local(v * math.log(float(a[0])), n * call("ln", s[0]), dot(num(v), call("ln", num(a[0]))),
                  "∂(aᵇ)/∂b = aᵇ·ln a")


def _depends_on_input(nodes: list[Node], index: int) -> bool:
    node = nodes[index]
    return node.op == "input" or any(_depends_on_input(nodes, i) for i in node.args)


def depends_on(nodes: list[Node], index: int, names: list[str]) -> bool:
    node = nodes[index]
    return node.name in names if node.op == "input" else any(depends_on(nodes, i, names) for i in node.args)


@dataclass
class Backward:
    grads: list[Number]
    locals: dict[int, tuple[Local, ...]]  # node index → its local derivatives, one per argument
    # contributions[i]: (parent index, argument position, upstream gradient, local derivative) for every use of node i
    contributions: list[list[tuple[int, Number, Number]]] = field(default_factory=list)


def backward(nodes: list[Node], vals: list[Number], upstream: Number, mistake: str | None = None,
              drop: tuple[int, int] | None = None) -> Backward:
    """Gradients of the output at every node. ``drop = (i, k)`` leaves out the k-th use of node i (a mistake)."""
    grads: list[Number] = [0] * len(nodes)
    contributions: list[list] = [[] for _ in nodes]
    local_of: dict[int, tuple[Local, ...]] = {}
    grads[-1] = upstream
    for index in range(len(nodes) - 1, -1, -1):
        node = nodes[index]
        if not node.args:
            continue
        local_of[index] = local_derivatives(nodes, vals, index, mistake)
        for position, (arg, local) in enumerate(zip(node.args, local_of[index])):
            k = len(contributions[arg])
            contributions[arg].append((index, position, grads[index], local.value))
            if drop != (arg, k):
                try:
                    grads[arg] = bounded(simplify(grads[arg] + grads[index] * local.value))
                except OverflowError:
                    raise SolveError(f"the gradient at {nodes[arg].label} overflows", field="expression") from None
    return Backward(grads, local_of, contributions)


@dataclass
class Pass:
    """One forward and backward pass at one point (the inputs' values)."""

    point: dict[str, Number]
    vals: list[Number]
    back: Backward


def run_pass(nodes: list[Node], point: dict[str, Number], upstream: Number, mistake: str | None = None,
          drop: tuple[int, int] | None = None) -> Pass:
    vals = forward(nodes, point)
    return Pass(point, vals, backward(nodes, vals, upstream, mistake, drop))


# ---------------------------------------------------------------------------------------------
# Formulas

_FN = {"sigmoid": "sigma", "tanh": "tanh", "relu": "relu", "exp": "exp", "log": "ln", "sqrt": "sqrt",
       "sin": "sin", "cos": "cos", "max": "max"}


def ref(nodes: list[Node], i: int, vals: list[Number] | None = None) -> Expr:
    """Node i in a formula: its symbol (n₃, x₁), or its number when ``vals`` are given or it is a constant."""
    node = nodes[i]
    if node.op == "const":
        return num(node.value)
    if vals is not None:
        return num(vals[i])
    return sym(symbol_name(node.label))


def apply(nodes: list[Node], i: int, vals: list[Number] | None = None) -> Expr:
    """Node i applied to its arguments' symbols (or, with ``vals``, their numbers)."""
    return _combine(nodes[i].op, [ref(nodes, a, vals) for a in nodes[i].args], dotted=vals is not None)


def formula(nodes: list[Node], i: int | None = None) -> Expr:
    """The whole expression (node i, default the output) as one formula over the inputs, as written:
    what a question gives. Its size is the text's, which MAX_EXPRESSION_CHARS bounds."""
    i = len(nodes) - 1 if i is None else i
    if nodes[i].op in ("input", "const"):
        return ref(nodes, i)
    return _combine(nodes[i].op, [formula(nodes, a) for a in nodes[i].args])


def _combine(op: str, args: list[Expr], dotted: bool = False) -> Expr:
    if op == "+":
        return args[0] + args[1]
    if op == "-":
        return args[0] - args[1]
    if op == "*":
        return dot(args[0], args[1]) if dotted else args[0] * args[1]
    if op == "/":
        return args[0] / args[1]
    if op == "^":
        return args[0] ** args[1]
    if op == "neg":
        return -args[0]
    return call(_FN[op], *args)
