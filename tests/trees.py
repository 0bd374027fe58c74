"""Random expression trees for the tests of the expression grammar (backprop's graphs, function's objectives).

A tree is a tuple: ("name", "x"), ("const", 3), (unary, child) or (binary, left, right). It is
written as text for nnsolve (``text``) and built directly in torch for the oracle (``in_torch``),
so the two never share code.
"""

from __future__ import annotations

from hypothesis import strategies as st

UNARY_FUNCTIONS = ("sigmoid", "tanh", "relu", "exp", "sqrt", "sin", "cos")


def trees(names: list[str], unary: list[str], binary: list[str], max_leaves: int):
    """Trees over ``names`` and the constants 1–5; unary ops are functions, "neg" or "square"."""
    leaves = st.one_of(st.sampled_from(names).map(lambda n: ("name", n)),
                       st.integers(1, 5).map(lambda k: ("const", k)))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from(unary), inner),
        st.tuples(st.sampled_from(binary), inner, inner),
    ), max_leaves=max_leaves)


def text(t) -> str:
    kind = t[0]
    if kind in ("name", "const"):
        return str(t[1])
    if kind == "neg":
        return f"-({text(t[1])})"
    if kind == "square":
        return f"({text(t[1])})**2"
    if kind in UNARY_FUNCTIONS:
        return f"{kind}({text(t[1])})"
    if kind == "max":
        return f"max({text(t[1])}, {text(t[2])})"
    return f"({text(t[1])}) {kind} ({text(t[2])})"


def in_torch(t, env):
    """The tree as a torch float64 computation over ``env`` (name → tensor)."""
    import torch

    kind = t[0]
    if kind == "name":
        return env[t[1]]
    if kind == "const":
        return torch.tensor(float(t[1]), dtype=torch.float64)
    if kind == "neg":
        return -in_torch(t[1], env)
    if kind == "square":
        return in_torch(t[1], env) ** 2
    if kind in UNARY_FUNCTIONS:
        return getattr(torch, kind)(in_torch(t[1], env))
    a, b = in_torch(t[1], env), in_torch(t[2], env)
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
            "max": lambda: torch.maximum(a, b)}[kind]()


def names_in(t) -> set[str]:
    if t[0] == "name":
        return {t[1]}
    if t[0] == "const":
        return set()
    return set().union(*(names_in(c) for c in t[1:]))


def trained_in_torch(tree, env: dict, params: list[str], optimizer: dict, iterations: int) -> dict | None:
    """Each parameter after each of ``iterations`` torch.optim steps on the tree's value, or None when
    the value stops being finite (or grows past 10⁶) on the way, or when RMSprop or Adam meet a
    gradient below 10⁻⁹: g/√s normalizes its size away, so float noise where the exact gradient
    is 0 would become a full step in torch."""
    import torch

    from tests.helpers import torch_optimizer

    opt = torch_optimizer([env[p] for p in params], optimizer)
    history: dict[str, list[float]] = {p: [] for p in params}
    for _ in range(iterations):
        opt.zero_grad()
        out = in_torch(tree, env)
        if not torch.isfinite(out) or abs(float(out.detach())) > 1e6:
            return None
        out.backward()
        if any(not torch.isfinite(env[p].grad) for p in params):
            return None
        if optimizer["type"] in ("rmsprop", "adam") and any(0 < abs(float(env[p].grad)) < 1e-9 for p in params):
            return None
        opt.step()
        for p in params:
            history[p].append(float(env[p].detach()))
    return history
