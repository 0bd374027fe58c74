"""The expression grammar problem files write formulas in, e.g. ``sigmoid(w1*x1 + w2*x2 + b)``.

One grammar for every topic that reads a formula (``backprop``'s graph, ``function``'s
objective). The text is parsed with Python's ``ast`` and walked against an allow-list: names,
numbers (read exactly: ``0.1`` is 1/10), ``+ - * / **``, unary minus and the functions in
``FUNCTIONS``. Nothing is compiled or evaluated by Python; the walk gives a list of ``Node``s in
evaluation order, from which a topic computes numbers (backprop) or builds sympy objects
(``nnsolve.symbolic``).

Growth is bounded before anything is computed: the text by ``MAX_EXPRESSION_CHARS``, the nodes
by ``MAX_GRAPH_NODES``, and powers by ``MAX_POWER``: a constant exponent, and the product of
the exponents of nested powers (``(x**8)**8`` is x⁶⁴), are at most that, so that no legal
formula asks for a number with millions of digits.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from . import limits
from .numbers import Number, to_exact

FUNCTIONS = {"sigmoid": 1, "tanh": 1, "relu": 1, "exp": 1, "log": 1, "sqrt": 1, "sin": 1, "cos": 1,
             "max": 2}  # name → arguments
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}


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
    _check_powers(nodes)
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
        if not NAME.match(name) or name in FUNCTIONS:
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
            raise _refuse("calling " + (repr(node.func.id) if isinstance(node.func, ast.Name) else _describe(node.func)))
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
             ast.IfExp: "if/else", ast.NamedExpr: "':='", ast.JoinedStr: "an f-string", ast.Tuple: "a tuple (a, b)",
             ast.List: "a list [a, b]", ast.Set: "a set {a, b}", ast.Dict: "a dict {a: b}", ast.Starred: "*a",
             ast.Call: "a call's result"}
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.UnaryOp):
        return f"the operator {type(node.op).__name__}"
    return type(node).__name__


def constant_exponent(nodes: list[Node], node: Node) -> Number | None:
    """The exponent of a power node when the file writes it as a number (``x**3``, ``x**-2``), else None."""
    exponent = nodes[node.args[1]]
    if exponent.op == "const":
        return exponent.value
    if exponent.op == "neg" and nodes[exponent.args[0]].op == "const":
        return -nodes[exponent.args[0]].value
    return None


def _check_powers(nodes: list[Node]) -> None:
    """Refuse a constant exponent beyond MAX_POWER, and nested powers whose exponents multiply beyond it."""
    tower = [1] * len(nodes)  # the product of the constant exponents of the powers inside each node
    cap = limits.MAX_POWER
    for i, node in enumerate(nodes):
        inner = max((tower[a] for a in node.args), default=1)
        if node.op == "^":
            k = constant_exponent(nodes, node)
            if k is not None and abs(k) > cap:
                raise ValueError(f"the exponent {k} is too large (at most MAX_POWER = {cap}, nnsolve's cap)")
            inner = tower[node.args[0]] * max(1, abs(k) if k is not None else 1)
            if inner > cap:
                raise ValueError(f"the nested powers in {node.source or 'the expression'} multiply to an exponent "
                                 f"of {inner}, too large (at most MAX_POWER = {cap}, nnsolve's cap)")
        tower[i] = inner


def input_names(nodes: list[Node]) -> list[str]:
    """The inputs' names, in the order the expression first uses them."""
    return [n.name for n in nodes if n.op == "input"]


@lru_cache(maxsize=1024)
def symbol_name(label: str) -> str:
    """A name as a symbol with a subscript: n3 → n_3 (shown n₃), x1 → x_1; others as they are."""
    m = re.match(r"^([A-Za-z]+)_?(\d+)$", label)
    return f"{m.group(1)}_{m.group(2)}" if m else label
