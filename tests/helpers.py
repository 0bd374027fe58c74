"""Small helpers shared by the tests."""

from __future__ import annotations

import textwrap
from functools import lru_cache
from pathlib import Path

from nnsolve.loader import load, load_text
from nnsolve.solve import solve


def solve_yaml(text: str):
    """Load and solve a problem written inline in a test."""
    return solve(load_text(textwrap.dedent(text), file="test.yaml").spec)


def solve_file(path):
    return solve(load(str(path)).spec)


@lru_cache(maxsize=None)
def _solved(path: str):
    return solve_file(path)


def solved(path):
    """A shipped problem's solution, solved once per test session (the experiments train models
    for seconds): for tests that render or inspect it. Solutions are immutable."""
    return _solved(str(Path(path).resolve()))
def torch_optimizer(params, o: dict):
    """The torch.optim optimizer for an nnsolve ``optimizer:`` mapping (gd, momentum, nesterov, rmsprop, adam).

    nnsolve's defaults where the mapping leaves a field out; RMSprop's ρ is torch's ``alpha``. For
    Nesterov, torch keeps the look-ahead point p + m·v as the parameter (nnsolve's ``…_lookahead``).
    """
    import torch

    lr = float(o.get("learning_rate", {"rmsprop": 0.01, "adam": 0.001}.get(o["type"], 0)))
    if o["type"] == "gd":
        return torch.optim.SGD(params, lr=lr)
    if o["type"] in ("momentum", "nesterov"):
        m = float(o.get("momentum", 0.9))
        return torch.optim.SGD(params, lr=lr, momentum=m, nesterov=o["type"] == "nesterov" and m > 0)
    if o["type"] == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=float(o.get("rho", 0.9)), eps=float(o.get("epsilon", 1e-8)))
    return torch.optim.Adam(params, lr=lr, betas=(float(o.get("beta1", 0.9)), float(o.get("beta2", 0.999))),
                            eps=float(o.get("epsilon", 1e-8)))


def solve_located(text: str, file: str = "t.yaml"):
    """Load and solve ``text``, an error carrying its file and line, as the CLI reports it."""
    from nnsolve.errors import NnsolveError

    loaded = load_text(textwrap.dedent(text), file=file)
    try:
        return solve(loaded.spec)
    except NnsolveError as exc:
        raise loaded.locate(exc)
