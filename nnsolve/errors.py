"""The errors nnsolve reports to its user. Anything else that escapes is a bug."""

from __future__ import annotations


class NnsolveError(Exception):
    """A problem nnsolve reports as one line on stderr, with a non-zero exit code."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def located(self, *, file: str | None = None) -> "NnsolveError":
        """Return this error with the file name filled in, if it was missing."""
        if file is not None and self.file is None:
            self.file = file
        return self

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.line is not None:
            where.append(str(self.line))
        prefix = ":".join(where)
        body = f"{self.field}: {self.message}" if self.field else self.message
        return f"{prefix}: {body}" if prefix else body


class ProblemFileError(NnsolveError):
    """The problem file cannot be read or parsed as YAML."""


class SpecError(NnsolveError):
    """The problem file is valid YAML but does not describe a valid problem."""


class LimitError(SpecError):
    """The problem asks for more work or memory than nnsolve's documented caps allow."""


class SolveError(NnsolveError):
    """The problem is well-formed but cannot be solved as stated (e.g. a layer that cannot apply)."""


class ToolError(NnsolveError):
    """An outside tool nnsolve needs (pdflatex for ``key --pdf``) is missing or failed."""

    exit_code = 3
