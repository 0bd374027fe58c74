"""Stationary points of a function (∇f = 0), solved exactly by sympy where it can, and classified.

∇f = 0 is solved when, after clearing denominators and dropping factors that are never zero
(eˣ, constants), it is a system of polynomial equations whose Bézout bound (the product of
their degrees) is at most MAX_STATIONARY_SOLUTIONS: one variable by sympy's ``real_roots``
(every real root, exactly), several through a lex Gröbner basis in shape position, factor by
factor of its last polynomial where it is not (``_by_components``), or else by ``sympy.solve``,
whose answer is trusted only when it has as many distinct solutions as the system (counted
from a Gröbner basis of its radical); a system with a curve of solutions is reported as such. Anything else is said plainly, never
guessed at.

Each real stationary point is classified by the signs of the Hessian's eigenvalues, counted
exactly with Descartes' rule of signs on det(H − λI) (every root real, H being symmetric) at a
point where the Hessian is rational (a rational point, or one such as x = 3√2/4 where 12x² is 27/2),
and to 50 digits (mpmath) otherwise:
all positive, a minimum; all negative, a maximum; both, a saddle point; otherwise the test is
inconclusive. One variable: the first derivative that does not vanish there decides (even
order: a minimum or maximum by its sign; odd: an inflection point).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from itertools import product
from typing import Iterator

from . import limits
from .expr import Expr, num, partial, sym
from .expression import symbol_name
from .numbers import Number
from .solution import Answer, Step, Variant
from .symbolic import Calculus, at, point_text, second, to_expr

MINIMUM, MAXIMUM, SADDLE, INFLECTION, INCONCLUSIVE = (
    "minimum", "maximum", "saddle point", "inflection point", "inconclusive")
HIGHEST_DERIVATIVE = 8  # one variable: derivatives tried when f″ vanishes at a stationary point


@dataclass
class Found:
    blocks: list = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Point:
    exact: tuple  # sympy numbers, one per variable
    values: tuple[Number, ...]  # int/Fraction when rational, else float
    kind: str
    reason: str
    hessian: list[list[Number]]
    first_entry: Number  # H₁₁ (f″ for one variable)


# ---------------------------------------------------------------------------------------------
# Solving ∇f = 0

def _equations(calc: Calculus):
    """The gradient's numerators without factors that are never zero: polynomials, or None (and why not)."""
    import sympy

    symbols = [sympy.Symbol(n, real=True) for n in calc.names]
    equations = []
    for g in calc.gradient:
        numerator, _ = sympy.fraction(sympy.together(g))
        kept = [f for f in sympy.Mul.make_args(sympy.factor_terms(numerator))
                if not (f.is_number and f != 0) and not isinstance(f, sympy.exp)
                and not (isinstance(f, sympy.Pow) and isinstance(f.base, sympy.exp))]
        equation = sympy.Mul(*kept)
        if equation == 0:
            continue  # ∂f/∂x vanishes everywhere
        try:
            equations.append(sympy.Poly(equation, *symbols))
        except sympy.PolynomialError:
            return None, symbols, ("∇f = 0 is not a polynomial system (after clearing denominators and "
                                   "dropping exponential factors); nnsolve solves only those exactly")
    bound = 1
    for p in equations:
        bound *= max(p.total_degree(), 1)
    if bound > limits.MAX_STATIONARY_SOLUTIONS:
        return None, symbols, (f"∇f = 0 may have up to {bound} solutions (the product of its degrees), more than "
                               f"MAX_STATIONARY_SOLUTIONS = {limits.MAX_STATIONARY_SOLUTIONS} (nnsolve's cap)")
    return equations, symbols, None


def _distinct_solutions(polys, symbols) -> int | None:
    """How many distinct complex solutions the system has, or None when it has infinitely many.

    Seidenberg: adding the squarefree part of each variable's eliminant makes the ideal radical;
    its standard monomials (those no leading monomial divides) count the distinct solutions.
    """
    import sympy

    exprs = [p.as_expr() for p in polys]
    basis = sympy.groebner(exprs, *symbols, order="grevlex")
    if list(basis.exprs) == [1]:
        return 0
    if not basis.is_zero_dimensional:
        return None
    radical = list(exprs)
    for s in symbols:
        order = [t for t in symbols if t != s] + [s]
        eliminant = next(g for g in sympy.groebner(exprs, *order, order="lex").exprs if g.free_symbols <= {s})
        radical.append(sympy.sqf_part(eliminant))
    leading = [p.monoms(order="grevlex")[0] for p in sympy.groebner(radical, *symbols, order="grevlex").polys]
    bounds = [min(m[i] for m in leading if sum(m) == m[i]) for i in range(len(symbols))]
    return sum(1 for e in product(*(range(b) for b in bounds))
               if not any(all(ei >= mi for ei, mi in zip(e, m)) for m in leading))


@lru_cache(maxsize=1024)
def _approx(v):
    """An exact coordinate to _DIGITS + 10 digits, once: evaluating a polynomial in an implicit root
    (CRootOf) is most of the work of Himmelblau's nine points, and the sort, the floats shown and the
    classification all ask for it."""
    import sympy

    roots = v.atoms(sympy.CRootOf)
    if roots:  # each root once, with guard digits, then the polynomial in it as a number
        v = v.xreplace({r: _approx_root(r) for r in roots})
    return sympy.N(v, _DIGITS + 10)


@lru_cache(maxsize=256)
def _approx_root(root):
    """An implicit root to _DIGITS + 20 digits (guard digits for the polynomial evaluated at it)."""
    return root.evalf(_DIGITS + 20)


def _real(v) -> bool:
    import sympy

    if v.is_real is not None:
        return bool(v.is_real)
    return abs(complex(_approx(v)).imag) < 1e-20


def solve_gradient(calc: Calculus) -> tuple[list[tuple] | None, str | None]:
    """The real solutions of ∇f = 0 as tuples of sympy numbers, or None and the reason they are not given."""
    import sympy

    polys, symbols, why = _equations(calc)
    if polys is None:
        return None, why
    if not polys:
        return None, "∇f vanishes everywhere: every point is stationary"
    if len(symbols) == 1:
        return [(r,) for r in sorted(set(sympy.real_roots(polys[0])), key=float)], None
    exprs = [p.as_expr() for p in polys]
    basis = sympy.groebner(exprs, *symbols, order="lex")
    if list(basis.exprs) == [1]:
        return [], None
    if not basis.is_zero_dimensional:
        return None, "∇f = 0 holds along a whole curve or surface, not at isolated points"
    shaped = _shape(list(basis.exprs), symbols)
    if shaped is None:
        shaped = _by_components(exprs, symbols, basis)
    if shaped is not None:
        points = shaped
    else:
        count = _distinct_solutions(exprs, symbols)
        plain = [sympy.Symbol(f"s{i}") for i in range(len(symbols))]  # complex: sympy then returns every solution
        found = sympy.solve([e.subs(dict(zip(symbols, plain))) for e in exprs], plain, dict=True)
        complete = {tuple(sol[s] for s in plain) for sol in found
                    if all(s in sol and not sol[s].free_symbols for s in plain)}
        if len(complete) != count:
            return None, f"sympy found {len(complete)} of the {count} solutions of ∇f = 0 exactly"
        points = [p for p in complete if all(_real(v) for v in p)]
    return sorted(points, key=lambda p: tuple(float(sympy.re(_approx(v))) for v in p)), None


def _shape(basis: list, symbols: list) -> list[tuple] | None:
    """Every real solution when the lex Gröbner basis is in shape position, else None.

    Shape position: xᵢ = pᵢ(xₙ) for i < n and q(xₙ) = 0, so the real roots of q (sympy's
    real_roots: all of them, exactly) give every real solution.
    """
    import sympy

    last = symbols[-1]
    if len(basis) != len(symbols) or not basis[-1].free_symbols <= {last}:
        return None
    for g, x in zip(basis, symbols[:-1]):
        if not g.free_symbols <= {x, last} or sympy.degree(g, x) != 1:
            return None
    solved = []  # xᵢ = −c₀/c₁ from g = c₁(xₙ)·xᵢ + c₀(xₙ)
    for g, x in zip(basis, symbols[:-1]):
        c1, c0 = sympy.Poly(g, x).all_coeffs()
        if c1.free_symbols:
            return None  # c₁ depends on xₙ: not quite shape position
        solved.append(-c0 / c1)
    points = []
    for r in sorted(set(sympy.real_roots(sympy.Poly(basis[-1], last))), key=float):
        implicit = r.has(sympy.CRootOf)  # expanding powers of an implicit root only makes them longer
        others = [p.subs(last, r) if implicit else sympy.expand(p.subs(last, r)) for p in solved]
        points.append((*others, r))
    return points


def _by_components(exprs: list, symbols: list, basis=None) -> list[tuple] | None:
    """Every real solution, one irreducible factor q of the last variable's eliminant at a time, else None.

    A rational root of q (a linear factor) is substituted and the smaller system solved the same
    way; any other factor is added to the system, whose lex basis must then be in shape position.
    Exact work over the rationals: sympy's ``solve`` (the fallback) computes over algebraic
    expressions and took seconds on x⁴ + y⁴ + x²y + xy², whose eliminant is y³(4y + 3)(a quartic).
    """
    import sympy

    last = symbols[-1]
    if len(symbols) == 1:
        polys = [sympy.Poly(e, last) for e in exprs]
        common = polys[0]
        for q in polys[1:]:
            common = common.gcd(q)
        if common.is_zero:
            return None
        return [(r,) for r in sorted(set(sympy.real_roots(common)), key=float)] if common.degree() > 0 else []
    basis = basis or sympy.groebner(exprs, *symbols, order="lex")
    if list(basis.exprs) == [1]:
        return []
    eliminant = basis.exprs[-1]
    if not eliminant.free_symbols <= {last}:
        return None
    points = []
    for factor, _ in sympy.factor_list(eliminant, last)[1]:
        if sympy.degree(factor, last) == 1:
            c1, c0 = sympy.Poly(factor, last).all_coeffs()
            root = -c0 / c1
            rest = [r for r in (sympy.expand(e.subs(last, root)) for e in exprs) if r != 0]
            inner = _by_components(rest, symbols[:-1]) if rest else None
            if inner is None:
                return None
            points += [(*p, root) for p in inner]
        else:
            component = _shape(list(sympy.groebner([*exprs, factor], *symbols, order="lex").exprs), symbols)
            if component is None:
                return None
            points += component
    return points


# ---------------------------------------------------------------------------------------------
# Classification

def _number(v) -> Number:
    """A sympy number as an exact Fraction when rational, else its float."""
    import sympy

    if isinstance(v, sympy.Rational):
        q = Fraction(int(v.p), int(v.q))
        return q.numerator if q.denominator == 1 else q
    return float(sympy.re(_approx(v)))


_DIGITS = 50  # an irrational stationary point is classified numerically, to this many digits
_ZERO = 10 ** -30  # below this (relative to the largest entry), a numeric eigenvalue or derivative counts as zero


def _sign(v) -> int:
    """The sign of a sympy number: exact for a rational, else to _DIGITS digits."""
    import sympy

    if isinstance(v, sympy.Rational):
        return 1 if v > 0 else -1 if v < 0 else 0
    value = float(sympy.re(sympy.N(v, _DIGITS)))
    return 0 if abs(value) < _ZERO else 1 if value > 0 else -1


def _charpoly(a: list[list[Fraction]]) -> list[Fraction]:
    """det(λI − A), highest power first, exactly (Faddeev–LeVerrier)."""
    n = len(a)
    coefficients = [Fraction(1)]
    m = [[Fraction(0)] * n for _ in range(n)]
    for k in range(1, n + 1):
        am = [[sum(a[i][l] * m[l][j] for l in range(n)) for j in range(n)] for i in range(n)]
        m = [[am[i][j] + (coefficients[-1] if i == j else 0) for j in range(n)] for i in range(n)]
        coefficients.append(-sum(sum(a[i][l] * m[l][i] for l in range(n)) for i in range(n)) / k)
    return coefficients


def _eigen_signs(hessian: list[list[Number]], exact: bool) -> tuple[int, int, int]:
    """(positive, negative, zero) eigenvalues of a symmetric matrix.

    Exact: Descartes' rule of signs on the characteristic polynomial (all its roots are real);
    otherwise mpmath's symmetric eigensolver to _DIGITS digits.
    """
    if not exact:
        import mpmath

        with mpmath.workdps(_DIGITS):
            values = mpmath.eigsy(mpmath.matrix(hessian), eigvals_only=True)
            scale = max([abs(v) for v in values] + [mpmath.mpf(1)])
            signs = [0 if abs(v) < _ZERO * scale else 1 if v > 0 else -1 for v in values]
        return signs.count(1), signs.count(-1), signs.count(0)
    coefficients = [(c > 0) - (c < 0) for c in _charpoly([[Fraction(v) for v in row] for row in hessian])]
    zeros = 0
    while coefficients and coefficients[-1] == 0:
        coefficients.pop()
        zeros += 1

    def changes(signs: list[int]) -> int:
        signs = [s for s in signs if s]
        return sum(1 for a, b in zip(signs, signs[1:]) if a != b)

    degree = len(coefficients) - 1
    flipped = [s * (-1) ** (degree - i) for i, s in enumerate(coefficients)]  # p(−λ)
    return changes(coefficients), changes(flipped), zeros


def _classify_one_variable(calc: Calculus, x, exact: bool) -> tuple[str, str]:
    import sympy

    symbol = sympy.Symbol(calc.names[0], real=True)  # sympy's cache: the symbol the objective was built with
    at_x = x if exact else _approx(x)
    derivative = calc.hessian[0][0]
    for order in range(2, HIGHEST_DERIVATIVE + 1):
        s = _sign(derivative.subs(symbol, at_x))
        if s:
            name = "f″" if order == 2 else f"the derivative of order {order}"
            if order % 2:
                return INFLECTION, f"{name} is the first derivative that does not vanish, and its order is odd"
            kind = MINIMUM if s > 0 else MAXIMUM
            return kind, f"{name} {'> 0' if s > 0 else '< 0'}" + ("" if order == 2 else ", the first derivative "
                                                                  "that does not vanish (an even order)")
        derivative = sympy.diff(derivative, symbol)
    return INCONCLUSIVE, f"every derivative up to order {HIGHEST_DERIVATIVE} vanishes"


def _rational_at(h, symbols: list, point: tuple):
    """A second derivative at an irrational point, exactly, when it is rational there (12x² at
    x = 3√2/4 is 27/2), else None. Radicals only: an implicit root (CRootOf) is left to the digits."""
    import sympy

    if any(v.has(sympy.CRootOf) for v in point):
        return None
    value = sympy.expand(h.subs(dict(zip(symbols, point))))
    return value if isinstance(value, sympy.Rational) else None


def _classify(calc: Calculus, point: tuple) -> tuple[str, str, list[list[Number]]]:
    """The point's kind, the reason in words, and the Hessian there (exact wherever it is rational)."""
    import sympy

    symbols = [sympy.Symbol(n, real=True) for n in calc.names]
    rational_point = all(isinstance(v, sympy.Rational) for v in point)
    values = dict(zip(symbols, point if rational_point else [_approx(v) for v in point]))
    hessian = []
    for row in calc.hessian:
        exact_row = [h.subs(values) if rational_point else _rational_at(h, symbols, point) for h in row]
        hessian.append([e if e is not None else h.subs(values) for e, h in zip(exact_row, row)])
    exact = all(isinstance(h, sympy.Rational) for row in hessian for h in row)  # the signs then exactly, too
    matrix = [[_number(h) for h in row] for row in hessian]
    if len(symbols) == 1:
        return (*_classify_one_variable(calc, point[0], rational_point and exact), matrix)
    precise = matrix if exact else [[sympy.re(sympy.N(h, _DIGITS)) for h in row] for row in hessian]
    positive, negative, zero = _eigen_signs(precise, exact)
    counts = f"{positive} positive, {negative} negative" + (f", {zero} zero" if zero else "")
    how = "" if exact else f", computed to {_DIGITS} digits"
    if positive and negative:
        return SADDLE, f"the Hessian's eigenvalues have both signs ({counts}{how}): indefinite", matrix
    if zero:
        return (INCONCLUSIVE, f"the Hessian is singular ({counts} eigenvalues{how}): the second-derivative test "
                              "says nothing", matrix)
    if positive:
        return MINIMUM, f"the Hessian is positive definite (its {positive} eigenvalues are positive{how})", matrix
    return MAXIMUM, f"the Hessian is negative definite (its {negative} eigenvalues are negative{how})", matrix


@lru_cache(maxsize=32)
def points_of(calc: Calculus) -> tuple[list[Point] | None, str | None]:
    """The real stationary points, classified (cached: the solution and its variants both ask)."""
    solutions, why = solve_gradient(calc)
    if solutions is None:
        return None, why
    points = []
    for exact in solutions:
        kind, reason, matrix = _classify(calc, exact)
        points.append(Point(tuple(exact), tuple(_number(v) for v in exact), kind, reason, matrix, matrix[0][0]))
    return points, None


# ---------------------------------------------------------------------------------------------
# The worked steps, the answers and the mistakes

def stationary_blocks(calc: Calculus) -> Found:
    from .errors import SolveError

    found = Found()
    names = calc.names
    for n, g in zip(names, calc.gradient_expr):
        found.blocks.append(Step(f"Stationary points: ∂f/∂{n} = 0", lhs=partial("f", symbol_name(n)), formula=g, value=0))
    points, why = points_of(calc)
    if points is None:
        raise SolveError(f"the stationary points are not given: {why}", field="stationary_points")
    one = len(names) == 1
    for k, p in enumerate(points, start=1):
        where = point_text(dict(zip(names, p.values)))
        for n, exact, value in zip(names, p.exact, p.values):
            if isinstance(value, float):  # an irrational coordinate: its exact form, where it has one
                try:
                    formula: Expr | None = to_expr(exact, "stationary_points")
                except SolveError:
                    formula = None
                found.blocks.append(Step(f"Stationary point {k}: {n}", lhs=sym(symbol_name(n)), formula=formula,
                                         value=value, note="exactly" if formula is not None else "a root sympy keeps implicit"))
        rational = not any(isinstance(v, float) for v in p.values)
        if one:
            f2 = calc.hessian_expr[0][0]
            substitution = at(f2, dict(zip(names, p.values)), "f″")[0] if rational else None
            found.blocks.append(Step(f"Stationary point {k} ({where}): second derivative", lhs=second(names[0], names[0]),
                                     formula=f2, substitution=substitution, value=p.first_entry,
                                     note=f"{p.reason}: {_article(p.kind)}"))
        else:
            found.blocks.append(Step(f"Stationary point {k} ({where}): the Hessian", lhs=sym("H"), value=p.hessian))
            found.blocks.append(Step(f"Stationary point {k}: classification", lhs=sym("kind"), value=p.kind,
                                     note=p.reason + (_two_by_two(names, p.hessian) if len(names) == 2 else "")))
    found.answers["stationary_points"] = Answer(
        [p.values[0] for p in points] if one else [list(p.values) for p in points],
        "the stationary points" + ("" if one else f" ({', '.join(names)})"))
    found.answers["classification"] = Answer([p.kind for p in points], "their kinds, in the same order")
    found.assumptions.append(
        "Stationary points solve ∇f = 0 exactly (sympy); each is classified by the signs of the Hessian's "
        "eigenvalues, counted exactly by Descartes' rule of signs on det(H − λI)." if not one else
        "Stationary points solve f′ = 0 exactly (sympy's real_roots finds every real root); each is classified by "
        "the first derivative of order ≥ 2 that does not vanish there.")
    if not points:
        found.warnings.append("f has no stationary point (∇f = 0 has no real solution)")
    return found


def _article(kind: str) -> str:
    return {MINIMUM: "a local minimum", MAXIMUM: "a local maximum", SADDLE: "a saddle point",
            INFLECTION: "an inflection point, neither a minimum nor a maximum", INCONCLUSIVE: "inconclusive"}[kind]


def _two_by_two(names: tuple[str, ...], h: list[list[Number]]) -> str:
    from .numbers import number_text, simplify

    a, b = names
    d = simplify(h[0][0] * h[1][1] - h[0][1] * h[1][0])
    return (f"; equivalently D = f_{a}{a}·f_{b}{b} − f_{a}{b}² = {number_text(d, unicode_minus=True)}"
            + (f" with f_{a}{a} = {number_text(h[0][0], unicode_minus=True)}" if d > 0 else ""))


def classification_variants(calc: Calculus) -> Iterator[Variant]:
    """Two variables or more: judging by H₁₁ alone (f_xx), without the determinant, calls a saddle a minimum."""
    if len(calc.names) < 2:
        return
    points, _ = points_of(calc)
    if not points:
        return
    bent = [MINIMUM if p.first_entry > 0 else MAXIMUM if p.first_entry < 0 else INCONCLUSIVE for p in points]
    if bent != [p.kind for p in points]:
        yield Variant("classified each point by the sign of f_xx alone, without det H (a saddle is neither)",
                      {"classification": bent})
