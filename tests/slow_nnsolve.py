"""`python tests/slow_nnsolve.py ARGS`: nnsolve's command line, where a problem titled "slow" takes
minutes to solve.

Every legal file now solves in well under 2 s (tests/test_bounds.py), but the worker tests need a
file that outlasts a timeout or a signal. Its solve spins (CPU time, as a real runaway's would);
workers are forked, so each inherits the patch. ``slowed`` patches a process in place.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

SLOW_TITLE = "slow"


def slowed(solve):
    """``solve``, except that a problem titled SLOW_TITLE spins for ten minutes first."""
    def slow_solve(spec):
        if spec.title == SLOW_TITLE:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                pass
        return solve(spec)

    return slow_solve


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nnsolve.cli import main
    from nnsolve.topics import optimizer_steps

    optimizer_steps.solve = slowed(optimizer_steps.solve)
    main()
