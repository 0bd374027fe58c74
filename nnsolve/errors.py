"""The errors nnsolve reports to its user. Anything else that escapes is a bug."""

from __future__ import annotations


import re

from . import limits
from .numbers import bounded_message


_LAYER_PATH = re.compile(r"^(?:(?:layers|shortcut)\[\d+\](?:\.|$))+")


def field_text(field: str) -> str:
    """A field path as the user reads it: list positions count from 0, as in the file's lists and in
    ``vary`` paths (``input[0]`` is the first number), and a layer also gets the number the
    solution gives it: ``layers[4].kernel (Layer 5)``, ``layers[2].shortcut[0] (Layer 3.s1)``."""
    match = _LAYER_PATH.match(field)
    if not match:
        return field
    label = []
    for kind, index in re.findall(r"(layers|shortcut)\[(\d+)\]", match.group(0)):
        label.append(("s" if kind == "shortcut" else "") + str(int(index) + 1))
    return f"{field} (Layer {'.'.join(label)})"


class NnsolveError(Exception):
    """A problem nnsolve reports as one line on stderr, with a non-zero exit code.

    ``field`` is the dotted path in the file, with list positions from 0 (``layers[2].kernel``);
    ``field_text`` adds the layer's number as the solution counts it. ``more`` holds further errors found in the same file, in file
    order (a file's errors are reported all at once); ``kind`` is pydantic's error type, when
    the error came from validation.
    """

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None, kind: str | None = None) -> None:
        message = bounded_message(message)  # no error line carries an exact number's thousand digits
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        self.kind = kind
        self.more: tuple[NnsolveError, ...] = ()

    def located(self, *, file: str | None = None) -> "NnsolveError":
        """Return this error (and those in ``more``) with the file name filled in, if it was missing."""
        for error in (self, *self.more):
            if file is not None and error.file is None:
                error.file = file
        return self

    def line_text(self) -> str:
        """``FILE:LINE: field: message``, leaving out what is not known; on one line, with every
        character that would act on a terminal (ESC, C1 controls, bidi overrides, a newline in a
        file's name) shown as ``[U+XXXX]`` (nnsolve.render.safe)."""
        from .render.safe import visible

        where = []
        if self.file is not None:
            where.append(self.file)
        if self.line is not None:
            where.append(str(self.line))
        prefix = ":".join(where)
        body = f"{field_text(self.field)}: {self.message}" if self.field else self.message
        return visible(f"{prefix}: {body}" if prefix else body, one_line=True)

    def lines(self, cap: int = limits.MAX_ERRORS_SHOWN) -> list[str]:
        """Every error of the file, one line each: at most ``cap``, then a line counting the rest."""
        errors = (self, *self.more)
        out = [error.line_text() for error in errors[:cap]]
        if len(errors) > cap:
            rest = len(errors) - cap
            from .render.safe import visible

            where = visible(self.file, one_line=True) + ": " if self.file else ""
            out.append(f"{where}… and {rest} more error{'s' if rest > 1 else ''}")
        return out

    def report(self) -> str:
        """What a command prints for this error: ``lines()``, each ending in a newline."""
        return "".join(f"{line}\n" for line in self.lines())

    def __str__(self) -> str:
        """One line (the first error), with the count of the others: for reports that give a file one line."""
        if not self.more:
            return self.line_text()
        return f"{self.line_text()} (and {len(self.more)} more error{'s' if len(self.more) > 1 else ''})"


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
