"""Tensors of exact numbers: numpy object arrays whose cells are ``int``, ``Fraction`` or ``float``.

A cell is exact (an int or a Fraction) until a transcendental function (exp, a square root,
erf) makes it a float; nothing is rounded. Elementwise work runs in numpy's object loops.
The heavy work, the sums of products of a convolution or a matrix product, goes through
``bilinear``: an exact operand is scaled to integers over one common denominator, the
products are summed as Python integers (fast, and still exact), and the result is divided
back once per cell; any float operand makes it a float64 computation instead.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Annotated, Callable, Union

from pydantic import Field, PlainValidator

from ..numbers import Number, Real, simplify, to_exact


class _Numpy:
    """numpy, imported on first use: counting shapes (cnn_architecture) never needs it, and
    importing it would double that topic's start-up. After the first use its names are this
    object's own, so ``np.einsum`` costs a plain attribute lookup."""

    def __getattr__(self, name: str):
        import numpy

        self.__dict__.update(vars(numpy))
        return getattr(numpy, name)


np = _Numpy()


_ufuncs: dict = {}


def _simplify(a):
    ufunc = _ufuncs.get("simplify")
    if ufunc is None:
        ufunc = _ufuncs["simplify"] = np.frompyfunc(simplify, 1, 1)
    return ufunc(a)


def tensor(values) -> np.ndarray:
    """An object array from nested lists (or a number) of ints, Fractions and floats."""
    out = np.empty(np.shape(values), dtype=object)
    out[...] = values
    return out


def zeros(shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(0)
    return out


def full(shape: tuple[int, ...], value: Number) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(value)
    return out


def simplified(a: np.ndarray) -> np.ndarray:
    """Every Fraction with denominator 1 made an int (so 3/1 shows, and compares, as 3)."""
    return _objects(_simplify(a)) if a.size else a


def _objects(result) -> np.ndarray:
    """A ufunc's result as an object array (a 0-d result comes back as a bare Python object)."""
    if isinstance(result, np.ndarray):
        return result.astype(object, copy=False)
    out = np.empty((), dtype=object)
    out[()] = result
    return out


def divided(a: np.ndarray, n: Number) -> np.ndarray:
    """a / n cell by cell, exactly (never Python's int / int, which is a float)."""
    return simplified(a * (Fraction(1, n) if isinstance(n, int) else 1 / n))


def reciprocal(v: Number) -> Number:
    """1/v, exact for an exact v."""
    return 1 / v if isinstance(v, float) else simplify(1 / Fraction(v))


def is_exact(a: np.ndarray) -> bool:
    return not any(type(v) is float for v in a.flat)


def as_float(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64)


def from_float(a: np.ndarray) -> np.ndarray:
    """A float64 array as an object array of Python floats."""
    return np.asarray(a, dtype=np.float64).astype(object)


def _scaled(a: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``a`` as (integers, d) with a = integers / d, or None if a cell is a float."""
    den = 1
    for v in a.flat:
        t = type(v)
        if t is float:
            return None
        if t is Fraction:
            den = math.lcm(den, v.denominator)
    if den == 1:
        return a, 1
    out = np.empty(a.shape, dtype=object)
    out.flat = [v * den if type(v) is int else v.numerator * (den // v.denominator) for v in a.flat]
    return out, den


def _unscaled(ints: np.ndarray, den: int) -> np.ndarray:
    if den == 1:
        return ints
    return simplified(_objects(np.frompyfunc(lambda n: Fraction(n, den), 1, 1)(ints)))


def bilinear(fn: Callable[[np.ndarray, np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``fn(a, b)`` for a function linear in each argument (a matrix product, an einsum), exactly.

    fn(A/p, B/q) = fn(A, B)/(p·q): the sums of products are of integers, divided once per cell.
    """
    sa, sb = _scaled(a), _scaled(b)
    if sa is None or sb is None:
        return from_float(fn(as_float(a), as_float(b)))
    (ia, pa), (ib, pb) = sa, sb
    return _unscaled(_objects(fn(ia, ib)), pa * pb)


def exact_sum(a: np.ndarray, axis=None, keepdims: bool = False) -> np.ndarray:
    """A sum over ``axis`` (all axes by default), exact: over common denominators, as ``bilinear``."""
    scaled = _scaled(a)
    if scaled is None:
        return from_float(np.sum(as_float(a), axis=axis, keepdims=keepdims))
    ints, den = scaled
    return _unscaled(_objects(np.sum(ints, axis=axis, keepdims=keepdims)), den)


def elementwise(fn: Callable, *arrays: np.ndarray) -> np.ndarray:
    """``fn`` applied cell by cell (broadcasting), the result an object array."""
    cells = np.broadcast(*arrays)
    out = np.empty(cells.shape, dtype=object)
    out.flat = [fn(*values) for values in cells] if len(arrays) > 1 else [fn(v) for v in arrays[0].flat]
    return out


def values(a: np.ndarray):
    """The nested lists of Python numbers a solution holds (a step's value, an answer)."""
    return a.tolist()


def digits(a: np.ndarray) -> int:
    """The most decimal digits an exact cell needs (numerator and denominator together); 0 for floats."""
    most = 0
    for v in a.flat:
        t = type(v)
        if t is int:
            bits = v.bit_length()
        elif t is Fraction:
            bits = v.numerator.bit_length() + v.denominator.bit_length()
        else:
            continue
        most = max(most, bits)
    return math.ceil(most * math.log10(2))


def sqrt(x: Number) -> Number:
    """√x, exact when x is the square of a rational (√(9/4) = 3/2), else a float."""
    if not isinstance(x, float) and x >= 0:
        f = Fraction(x)
        n, d = math.isqrt(f.numerator), math.isqrt(f.denominator)
        if n * n == f.numerator and d * d == f.denominator:
            return simplify(Fraction(n, d))
    return math.sqrt(x)


# ---------------------------------------------------------------------------------------------
# Field types for tensors written out in a problem file, and their check

Vector = Annotated[list[Real], Field(min_length=1)]
Matrix = Annotated[list[Vector], Field(min_length=1)]
Tensor3 = Annotated[list[Matrix], Field(min_length=1)]
Tensor4 = Annotated[list[Tensor3], Field(min_length=1)]


_NESTED = {1: list[Real], 2: list[list[Real]], 3: list[list[list[Real]]], 4: list[list[list[list[Real]]]]}
_DEPTH_WORDS = {1: "a list of numbers", 2: "a matrix (a list of rows)", 3: "a list of matrices",
                4: "a list of lists of matrices"}


def numbers(*depths: int):
    """A field of numbers nested ``depths`` lists deep (2: a matrix), each read exactly.

    One function validates it, so that a layer kind with several tensor fields costs little to
    build (cnn_architecture's start-up builds every layer kind); an error names the cell, e.g.
    ``[1][0]: must be a number such as 3, -0.25 or 7/15``.
    """
    def validate(value):
        depth, probe = 0, value
        while isinstance(probe, list) and probe:
            depth, probe = depth + 1, probe[0]
        if depth not in depths:
            raise ValueError("must be " + " or ".join(_DEPTH_WORDS[d] for d in depths))
        rectangular(value, "the values")
        return _exact(value, "")

    return Annotated[list, PlainValidator(validate, json_schema_input_type=Union[tuple(_NESTED[d] for d in depths)])]


def _exact(value, at: str):
    if isinstance(value, list):
        return [_exact(v, f"{at}[{i}]") for i, v in enumerate(value)]
    try:
        return to_exact(value)
    except ValueError as exc:
        raise ValueError(f"{at}: {exc}") from None


def rectangular(value, what: str = "the tensor") -> tuple[int, ...]:
    """The shape of nested lists, or ValueError when they are ragged (rows of different lengths)."""
    shape: list[int] = []
    level = [value]
    while level and isinstance(level[0], list):
        want = len(level[0])
        if any(not isinstance(item, list) or len(item) != want for item in level):
            raise ValueError(f"{what}: every row must have the same length (and every matrix the same "
                             f"number of rows, nested to the same depth)")
        shape.append(want)
        level = [inner for item in level for inner in item]
    if any(isinstance(item, list) for item in level):
        raise ValueError(f"{what}: every entry must be nested to the same depth")
    return tuple(shape)
