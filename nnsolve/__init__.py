"""nnsolve: worked solutions and grading for neural-network exam problems."""

__version__ = "0.1.0"
