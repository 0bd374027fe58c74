"""A small expression tree, so that a step holds maths rather than pre-formatted text.

Solvers build formulas with Python operators::

    K, C, F = sym("K"), sym("C_in"), sym("F")
    formula = (K * K * C + 1) * F
    substitution = (num(7) * num(7) * num(3) + 1) * num(16)

Renderers (``nnsolve.render.math``) turn a tree into plain text or LaTeX; ``evaluate``
computes a substituted tree, which the tests use to check that every step's substitution
really equals its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .numbers import Number, Value, sigmoid, simplify


class Expr:
    """Base class: arithmetic operators build bigger expressions."""

    def __add__(self, other: object) -> "Expr":
        return Op("+", (self, wrap(other)))

    def __radd__(self, other: object) -> "Expr":
        return Op("+", (wrap(other), self))

    def __sub__(self, other: object) -> "Expr":
        return Op("-", (self, wrap(other)))

    def __rsub__(self, other: object) -> "Expr":
        return Op("-", (wrap(other), self))

    def __mul__(self, other: object) -> "Expr":
        return Op("*", (self, wrap(other)))

    def __rmul__(self, other: object) -> "Expr":
        return Op("*", (wrap(other), self))

    def __truediv__(self, other: object) -> "Expr":
        return Op("/", (self, wrap(other)))

    def __rtruediv__(self, other: object) -> "Expr":
        return Op("/", (wrap(other), self))

    def __pow__(self, other: object) -> "Expr":
        return Op("^", (self, wrap(other)))

    def __neg__(self) -> "Expr":
        return Op("neg", (self,))


@dataclass(frozen=True, eq=True)
class Sym(Expr):
    """A named quantity. ``name`` is plain text (``w_2``, ``y_hat``); the renderers typeset it."""

    name: str


@dataclass(frozen=True, eq=True)
class Num(Expr):
    """A number, vector or matrix substituted into a formula."""

    value: Value


@dataclass(frozen=True, eq=True)
class Op(Expr):
    """An operator: ``+ - * / ^``, ``neg`` (unary minus), ``dot`` (·, shown explicitly) or ``=``."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=True)
class Call(Expr):
    """A function applied to arguments: floor, ceil, max, min, sigma, exp, tanh, sqrt, abs, relu, ..."""

    fn: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=True)
class Raw(Expr):
    """An escape hatch for notation the tree does not model (a Σ over an index, a set)."""

    text: str
    latex: str


@dataclass(frozen=True, eq=True)
class Partial(Expr):
    """A derivative ∂top/∂bottom (``\\frac{\\partial top}{\\partial bottom}`` in LaTeX); with
    ``then``, the second derivative ∂²top/∂bottom∂then (∂²top/∂bottom² when then is bottom)."""

    top: Expr
    bottom: Expr
    then: Expr | None = None


@dataclass(frozen=True, eq=True)
class Vector(Expr):
    """Expressions side by side in brackets, as one quantity: the point (x, y)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, eq=True)
class Index(Expr):
    """A cell of a tensor: ``base[i, j]``, indices counted from 1 as on paper (a₂[1, 3]); an
    index may be a letter a sum runs over (W₁[1, i])."""

    base: Expr
    indices: tuple[int | str, ...]


def index(base: Expr | str, *indices: int | str) -> Index:
    """``base[indices]`` (a name is a symbol): ``index("a_2", 1, 3)`` is a₂[1, 3]."""
    return Index(sym(base) if isinstance(base, str) else base, tuple(indices))


@dataclass(frozen=True, eq=True)
class Sum(Expr):
    """Σ over an index letter of a body: Σᵢ W[1, i]·x[i]."""

    over: str
    body: Expr


def total(over: str, body: object) -> Sum:
    """Σ_over body."""
    return Sum(over, wrap(body))


def wrap(x: object) -> Expr:
    if isinstance(x, Expr):
        return x
    return Num(x)  # type: ignore[arg-type]


def sym(name: str) -> Sym:
    return Sym(name)


def partial(top: Expr | str, bottom: Expr | str, then: Expr | str | None = None) -> Partial:
    """∂top/∂bottom, or ∂²top/∂bottom∂then; a name is a symbol (``partial("L", "w_2")`` is ∂L/∂w₂,
    ``partial("f", "x", "x")`` is ∂²f/∂x²)."""
    def as_expr(e):
        return sym(e) if isinstance(e, str) else e

    return Partial(as_expr(top), as_expr(bottom), None if then is None else as_expr(then))


def vector(*items: object) -> Vector:
    """(a, b, …); a name is a symbol."""
    return Vector(tuple(sym(i) if isinstance(i, str) else wrap(i) for i in items))


def num(value: Value) -> Num:
    return Num(value)


def call(fn: str, *args: object) -> Call:
    return Call(fn, tuple(wrap(a) for a in args))


def add(*terms: object) -> Expr:
    """A sum of any number of terms, kept flat (a + b + c, not (a + b) + c)."""
    items = tuple(wrap(t) for t in terms)
    if len(items) == 1:
        return items[0]
    return Op("+", items)


def mul(*factors: object) -> Expr:
    """A product of any number of factors, kept flat."""
    items = tuple(wrap(f) for f in factors)
    if len(items) == 1:
        return items[0]
    return Op("*", items)


def dot(*factors: object) -> Expr:
    """A product shown with an explicit multiplication sign between every factor (3 · 64 · 25)."""
    items = tuple(wrap(f) for f in factors)
    if len(items) == 1:
        return items[0]
    return Op("dot", items)


_FUNCTIONS = {
    "floor": lambda x: math.floor(x),
    "ceil": lambda x: math.ceil(x),
    "max": max,
    "min": min,
    "abs": abs,
    "sigma": sigmoid,
    "exp": lambda x: math.exp(x),
    "ln": lambda x: math.log(x),
    "tanh": lambda x: math.tanh(x),
    "sqrt": lambda x: math.sqrt(x),
    "sin": lambda x: math.sin(x),
    "cos": lambda x: math.cos(x),
    "sign": lambda x: (x > 0) - (x < 0),
    "relu": lambda x: max(x, 0),
}


def substitute(expr: Expr, values: dict[str, Value]) -> Expr:
    """``expr`` with every symbol named in ``values`` replaced by its number (the substitution of a step).

    Products become explicit (``dot``): 3x² with x = 3 reads 3 · 3², never 33².
    """
    if isinstance(expr, Sym):
        return Num(values[expr.name]) if expr.name in values else expr
    if isinstance(expr, Op):
        return Op("dot" if expr.op == "*" else expr.op, tuple(substitute(a, values) for a in expr.args))
    if isinstance(expr, Call):
        return Call(expr.fn, tuple(substitute(a, values) for a in expr.args))
    if isinstance(expr, Vector):
        return Vector(tuple(substitute(a, values) for a in expr.items))
    return expr  # a number, a Partial or a Raw has no symbol to replace


def _outgrows(a: Fraction, b: int) -> bool:
    """True when aᵇ exactly would surely have more than MAX_EXACT_DIGITS digits (x**x at x = 2, three
    times nested, is 2^65536 and then 2^(2^65536)): that power is taken in floats, and overflows there."""
    from .numbers import _EXACT_BITS

    return max(a.numerator.bit_length() - 1, a.denominator.bit_length() - 1) * abs(b) > _EXACT_BITS


def evaluate(expr: Expr) -> Number:
    """Compute a fully substituted expression exactly where the operations are exact."""
    if isinstance(expr, Num):
        if isinstance(expr.value, (int, Fraction, float)) and not isinstance(expr.value, bool):
            return expr.value
        raise TypeError(f"cannot evaluate a non-scalar {expr.value!r}")
    if isinstance(expr, Op):
        vals = [evaluate(a) for a in expr.args]
        if expr.op == "+":
            return simplify(sum(vals[1:], vals[0]))
        if expr.op in ("*", "dot"):
            out = vals[0]
            for v in vals[1:]:
                out = out * v
            return simplify(out)
        if expr.op == "-":
            return simplify(vals[0] - vals[1])
        if expr.op == "neg":
            return -vals[0]
        if expr.op == "/":
            a, b = vals
            if isinstance(a, int) and isinstance(b, int):
                return simplify(Fraction(a, b))
            return a / b
        if expr.op == "^":
            a, b = vals
            if isinstance(b, int) and not isinstance(a, float) and not _outgrows(Fraction(a), b):
                return simplify(Fraction(a) ** b)  # exact, also for a negative power of an int
            return float(a) ** b if isinstance(b, int) else float(a) ** float(b)
        raise TypeError(f"cannot evaluate operator {expr.op!r}")
    if isinstance(expr, Call):
        fn = _FUNCTIONS.get(expr.fn)
        if fn is None:
            raise TypeError(f"cannot evaluate function {expr.fn!r}")
        return fn(*[evaluate(a) for a in expr.args])
    raise TypeError(f"cannot evaluate {expr!r}")
