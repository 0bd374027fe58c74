"""Small, deterministic experiments that answer conceptual questions with numbers.

Each experiment is one module with:
- ``NAME``: the value of the problem file's ``experiment`` field; ``SUMMARY``: one line;
- ``ARMS``: the interventions (or claims) it can measure, each with a line saying what it is;
- ``CRITERION``: how the winning arm is chosen, in words;
- ``Setup``: its parameters (a pydantic model with ``experiment: Literal[NAME]``), all with defaults;
- ``run(setup) -> Outcome``: runs every arm with fixed seeds, in seconds on a CPU.

The ``experiment`` topic (nnsolve/topics/experiment.py) maps the question's options to arms
and names the option whose arm wins. Heavy libraries are imported inside ``run`` through
``need``, which names the extra to install when one is missing.
"""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import SolveError
from ..plot import Figure
from ..solution import Answer, Block


@dataclass(frozen=True)
class ArmResult:
    """What the experiment measured for one arm.

    ``score``: higher wins under the experiment's criterion; for a claim, 1 when the numbers
    support it and 0 when they refute it; ``None`` when this experiment cannot decide the arm.
    ``finding`` says in one sentence what the numbers show.
    """

    score: float | None
    finding: str


@dataclass(frozen=True)
class Outcome:
    arms: dict[str, ArmResult]
    blocks: tuple[Block, ...]
    answers: dict[str, Answer]
    primary: str  # the answer the question asks for when no options name arms
    figures: tuple[Figure, ...] = ()
    assumptions: tuple[str, ...] = field(default=())


def need(module: str, experiment: str, extra: str):
    """Import a heavy optional library, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = {"sklearn": "scikit-learn"}.get(module, module)
        raise SolveError(f"the {experiment} experiment needs {package}: "
                         f"pip install 'nnsolve[{extra}]'", field="experiment") from None


@contextmanager
def torch_session(torch, seed: int):
    """Run PyTorch code reproducibly: one thread, seeded, and the global state restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same reduction order every run (and far faster on a busy machine)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)


def claim(supported: bool, finding: str) -> ArmResult:
    return ArmResult(1.0 if supported else 0.0, finding)


from . import (activation_boundaries, activations, depthwise, optimizers, stride,  # noqa: E402
               svm_margin, vanishing_gradient)

EXPERIMENTS = (vanishing_gradient, activations, optimizers, depthwise, stride, svm_margin,
               activation_boundaries)
BY_NAME = {m.NAME: m for m in EXPERIMENTS}
