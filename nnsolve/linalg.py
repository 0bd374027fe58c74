"""Exact linear algebra: square systems solved in rationals (the SVM's margin equations, Newton's step).

Hand-written Gaussian elimination over ``Fraction``, not sympy's exact solvers: the systems are
small (at most a few dozen unknowns), where elimination is as fast as sympy's ``DomainMatrix``,
and importing sympy would add about 0.35 s to the start of every problem that solves one
(measured for seed s11: 0.41 s → 0.78 s; README, "sympy where it is the right tool").
"""

from __future__ import annotations

from fractions import Fraction

from .numbers import Number, simplify


def is_zero(x: Number, tolerance: float = 1e-7) -> bool:
    """Exact for rationals; a float is zero within ``tolerance`` (floats come from RBF kernels, fits, roots)."""
    return x == 0 if not isinstance(x, float) else abs(x) < tolerance


def solve_square(matrix: list[list[Number]], rhs: list[Number], tolerance: float = 1e-7) -> list[Number] | None:
    """x with matrix·x = rhs, exact for ints and Fractions; None when the matrix is singular.

    Partial pivoting (the largest pivot in each column); a float pivot within ``tolerance`` of
    zero counts as singular.
    """
    n = len(rhs)
    a = [[Fraction(v) if not isinstance(v, float) else v for v in row] + [r] for row, r in zip(matrix, rhs)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if is_zero(a[pivot][col], tolerance):
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[r][col] != 0:
                factor = a[r][col] / a[col][col]
                a[r] = [v - factor * p for v, p in zip(a[r], a[col])]
    return [simplify(a[i][n] / a[i][i]) for i in range(n)]
