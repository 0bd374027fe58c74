"""nnsolve: worked solutions and grading for neural-network exam problems.

The Python API, imported on first use so that ``import nnsolve`` stays light:

- ``nnsolve.load(source)``: a problem from a path, a mapping, or YAML text;
- ``nnsolve.solve(problem)``: its worked solution (a ``Solution``, which shows itself in
  Jupyter and rich);
- ``nnsolve.grade(problem, submitted=None)``: the grade of its submitted answer.

See nnsolve/api.py and README.md ("Python API").
"""

__version__ = "0.1.0"
__all__ = ["load", "solve", "grade", "Problem", "Solution", "__version__"]


def __getattr__(name: str):
    # nnsolve.solve and nnsolve.grade are the modules of those names, which are callable
    # (each calls the API function): the import system binds a submodule to its package name.
    if name == "solve":
        from .solve import solve as _  # noqa: F401 (importing the submodule binds it here)

        return globals()["solve"]
    if name == "grade":
        from .grade import grade as _  # noqa: F401,F811

        return globals()["grade"]
    if name in ("load", "Problem", "Solution"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
