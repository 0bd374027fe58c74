"""sympy for the topics that differentiate symbolically: built from the walked grammar, shown as ``Expr``.

sympy objects are made only from the nodes ``nnsolve.expression`` walks (names become
``Symbol``s, numbers ``Rational``s, operators sympy's arithmetic): text from a file never reaches
sympy's parser. Derivatives come back as ``nnsolve.expr`` trees, which the renderers show and
``nnsolve.expr.evaluate`` computes, exactly where the operations are exact (``at``). ``derive``
gives an objective's f, ∇f and Hessian once, as both (``Calculus``), within the caps on their size.

sympy is imported inside these functions, never at module level: a topic pays its ~0.35 s
import only when a file names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from . import limits
from .errors import SolveError
from .expr import Call, Expr, Num, Op, Partial, Sym, call, mul, num, partial, substitute, sym
from .expression import Node, input_names, parse_expression, symbol_name
from .numbers import Number, bounded, message_number, simplify

# The grammar's functions sympy differentiates here; relu and max have no derivative at 0.
SMOOTH = {"sigmoid", "tanh", "exp", "log", "sqrt", "sin", "cos"}


@lru_cache(maxsize=1)
def _sigmoid():
    """sympy has no logistic function: σ with σ′ = σ(1 − σ), kept as σ(·) rather than 1/(1 + e⁻ˣ)."""
    import sympy

    class sigmoid(sympy.Function):  # noqa: N801 (sympy names functions in lower case)
        def fdiff(self, argindex=1):
            s = sigmoid(self.args[0])
            return s * (1 - s)

    return sigmoid


def to_sympy(nodes: list[Node], field: str):
    """The sympy expression of a walked expression, and its symbols by name (real-valued)."""
    import sympy

    functions = {"tanh": sympy.tanh, "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
                 "sin": sympy.sin, "cos": sympy.cos, "sigmoid": _sigmoid()}
    symbols = {n.name: sympy.Symbol(n.name, real=True) for n in nodes if n.op == "input"}
    built: list = []
    for node in nodes:
        a = [built[i] for i in node.args]
        op = node.op
        if op == "input":
            built.append(symbols[node.name])
        elif op == "const":
            value = Fraction(node.value)
            built.append(sympy.Rational(value.numerator, value.denominator))
        elif op == "+":
            built.append(a[0] + a[1])
        elif op == "-":
            built.append(a[0] - a[1])
        elif op == "*":
            built.append(a[0] * a[1])
        elif op == "/":
            built.append(a[0] / a[1])
        elif op == "^":
            built.append(a[0] ** a[1])
        elif op == "neg":
            built.append(-a[0])
        elif op in functions:
            built.append(functions[op](a[0]))
        else:
            raise SolveError(f"{op} is not differentiable everywhere; use backprop's graph form for it "
                             f"(here: {', '.join(sorted(SMOOTH))})", field=field)
        if built[-1].has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise SolveError(f"{node.source or 'a constant part'} divides by zero", field=field)
    return built[-1], symbols


def to_expr(e, field: str) -> Expr:
    """A sympy expression as an ``Expr``, in sympy's printing order (3x² − 6x, not −6x + 3x²)."""
    import sympy

    if isinstance(e, sympy.Integer):
        return num(int(e))
    if isinstance(e, sympy.Rational):
        return num(Fraction(int(e.p), int(e.q)))
    if e is sympy.E:
        return call("exp", 1)
    if isinstance(e, sympy.Symbol):
        return sym(symbol_name(e.name))
    if isinstance(e, sympy.Add):
        if len(e.args) > limits.MAX_SUM_TERMS:  # a sum is a chain of binary operators: its depth is its length
            raise SolveError(f"a derivative has a sum of {len(e.args)} terms, more than MAX_SUM_TERMS = "
                             f"{limits.MAX_SUM_TERMS} (nnsolve's cap)", field=field)
        terms = e.as_ordered_terms()
        positive = next((t for t in terms if not t.could_extract_minus_sign()), None)
        if positive is not None and terms[0] is not positive:  # 3y² − 3x rather than −(3x) + 3y²
            terms.remove(positive)
            terms.insert(0, positive)
        out = to_expr(terms[0], field)
        for term in terms[1:]:
            out = out - to_expr(-term, field) if term.could_extract_minus_sign() else out + to_expr(term, field)
        return out
    if isinstance(e, sympy.Mul) and e.could_extract_minus_sign():
        return -to_expr(-e, field)
    if isinstance(e, (sympy.Mul, sympy.Pow)):
        numerator, denominator = sympy.fraction(e)
        if denominator != 1:
            return to_expr(numerator, field) / to_expr(denominator, field)
        if isinstance(e, sympy.Pow):
            base, exponent = e.as_base_exp()
            if exponent == sympy.S.Half:
                return call("sqrt", to_expr(base, field))
            return Op("^", (to_expr(base, field), to_expr(exponent, field)))
        coefficient, rest = e.as_coeff_Mul()
        factors = ([coefficient] if coefficient != 1 else []) + list(rest.as_ordered_factors())
        return mul(*[to_expr(f, field) for f in factors])
    names = {sympy.exp: "exp", sympy.log: "ln", sympy.sin: "sin", sympy.cos: "cos", sympy.tanh: "tanh",
             sympy.Abs: "abs", sympy.sign: "sign", _sigmoid(): "sigma"}
    if e.func in names:
        return Call(names[e.func], tuple(to_expr(a, field) for a in e.args))
    raise SolveError(f"nnsolve cannot show {type(e).__name__} in a worked step", field=field)


def degree(e: Expr) -> int:
    """A bound on how many times an exact input's digits multiply when ``e`` is computed exactly."""
    if isinstance(e, Num):
        return 0
    if isinstance(e, Sym):
        return 1
    if isinstance(e, Op):
        parts = [degree(a) for a in e.args]
        if e.op in ("+", "-", "neg"):
            return max(parts)
        if e.op == "^":
            exponent = e.args[1]
            if isinstance(exponent, Num) and not isinstance(exponent.value, float):
                return parts[0] * max(1, abs(int(exponent.value)))
            return parts[0] * 64  # a symbolic exponent: at most MAX_POWER at run time
        return sum(parts)
    if isinstance(e, Call):
        return max((degree(a) for a in e.args), default=0)  # a transcendental result is a float
    return 1


# ---------------------------------------------------------------------------------------------
# An objective's derivatives, and their values at a point

@dataclass(frozen=True)
class Calculus:
    """f, ∇f and the Hessian of an objective, as sympy objects and as ``Expr`` trees (with their degrees)."""

    names: tuple[str, ...]
    f: object  # sympy
    gradient: tuple  # sympy, one per variable
    hessian: tuple  # sympy, rows
    f_expr: Expr
    gradient_expr: tuple[Expr, ...]
    hessian_expr: tuple[tuple[Expr, ...], ...]
    sizes: tuple[int, int, int]  # nodes of f, of the gradient and of the Hessian: the work of one evaluation


@lru_cache(maxsize=32)
def derive(objective: str) -> Calculus:
    """sympy's f, ∇f and Hessian of an objective (cached: grading asks for them with every variant)."""
    import sympy

    nodes = parse_expression(objective)
    f, symbols = to_sympy(nodes, "objective")
    names = tuple(input_names(nodes))
    gradient = tuple(sympy.diff(f, symbols[n]) for n in names)
    gradient_size = _refuse_large(gradient, "objective")
    hessian = tuple(tuple(sympy.diff(g, symbols[n]) for n in names) for g in gradient)
    sizes = (_refuse_large((f,), "objective"), gradient_size,
             _refuse_large(gradient + sum(hessian, ()), "objective") - gradient_size)
    gradient_expr = tuple(to_expr(g, "objective") for g in gradient)
    hessian_expr = tuple(tuple(to_expr(h, "objective") for h in row) for row in hessian)
    return Calculus(names, f, gradient, hessian, to_expr(f, "objective"), gradient_expr, hessian_expr, sizes)


def _refuse_large(derivatives: tuple, field: str) -> int:
    """The nodes of sympy's derivatives, counted without recursion; a SolveError beyond MAX_DERIVATIVE_NODES."""
    import sympy

    cap = limits.MAX_DERIVATIVE_NODES
    size = 0
    for d in derivatives:
        for _ in sympy.preorder_traversal(d):
            size += 1
            if size > cap:
                raise SolveError(f"its derivatives have more than MAX_DERIVATIVE_NODES = {cap:,} terms and factors "
                                 "(nnsolve's cap)", field=field)
    return size


def _digits(x: Number) -> int:
    if isinstance(x, float):
        return 0
    q = Fraction(x)
    return 1 + max(q.numerator.bit_length(), q.denominator.bit_length()) * 30103 // 100000


def at(e: Expr, point: dict[str, Number], what: str) -> tuple[Expr, Number]:
    """``e`` at ``point``: its substitution and value, exact unless the exact value would outgrow
    MAX_EXACT_DIGITS (then the point is taken as floats). ``what`` names e in an error."""
    from .expr import evaluate

    values = {symbol_name(n): v for n, v in point.items()}
    if max((_digits(v) for v in values.values()), default=0) * max(degree(e), 1) > limits.MAX_EXACT_DIGITS:
        values = {k: float(v) for k, v in values.items()}
    substitution = substitute(e, values)
    where = point_text(point)
    try:
        value = evaluate(substitution)
        if isinstance(value, complex):
            raise ValueError
        return substitution, bounded(simplify(value))
    except ZeroDivisionError:
        raise SolveError(f"{what} divides by zero at {where}", field="start") from None
    except OverflowError:
        raise SolveError(f"{what} overflows at {where}", field="start") from None
    except (ValueError, TypeError):
        raise SolveError(f"{what} is not a real number at {where} (a logarithm, root or power outside its domain)",
                         field="start") from None


def second(a: str, b: str) -> Partial:
    """∂²f/∂a∂b (∂²f/∂a² on the diagonal) of two of the objective's variables."""
    return partial("f", symbol_name(a), symbol_name(b))


def second_text(a: str, b: str) -> str:
    """∂²f/∂a∂b as a title names it, with the variables as the file writes them (∂²f/∂x1²)."""
    return f"∂²f/∂{a}²" if a == b else f"∂²f/∂{a}∂{b}"


def point_text(point: dict[str, Number]) -> str:
    """x = 1, y = 2/3 ≈ 0.66667: a point as titles, notes and error messages name it (a long number rounded)."""
    return ", ".join(f"{n} = {message_number(v)}" for n, v in point.items())
