"""An answer key: many problem files solved into one document, and compiled to PDF on request.

``build_key`` loads and solves every problem file under the given paths (found as ``grade``
finds them); a file that cannot be loaded or solved is left out with its one-line error (the
CLI prints those and exits 1). Rendering is in ``nnsolve.render.latex`` / ``.markdown``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from .errors import NnsolveError, ToolError
from .solution import Solution

PDFLATEX_TIMEOUT = 180  # seconds per pdflatex run
TEXLIVE_HINT = ("install TeX Live (Debian: apt-get install --no-install-recommends "
                "texlive-latex-base texlive-latex-recommended)")


@dataclass(frozen=True)
class KeyEntry:
    """One solved problem in the key, with the file it came from."""

    source: str
    solution: Solution
    marks: object = None


@dataclass
class Key:
    entries: list[KeyEntry] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # one error line per file that failed


def build_key(paths: list[str], then: Callable[[], object] | None = None, shuffle: int | None = None,
              check: Callable[[KeyEntry], object] | None = None, jobs: int = 1,
              timeout: float | None = None) -> Key:
    """Load and solve every problem file; failures become ``left_out`` lines, not exceptions.

    ``then`` is called after each file (a progress bar's step); ``shuffle`` the seed the paper's
    options were shuffled with (nnsolve.documents); ``check(entry)`` makes the file's part of the
    document (nnsolve.documents.check_entry), so that a value that cannot be shown leaves out
    that file, not the key. With ``timeout`` (seconds) or ``jobs`` > 1 the files are solved in
    worker processes (nnsolve.workers): a file over the time budget, or whose worker dies, is
    left out with its line too.
    """
    from .grade import collect_paths

    files = collect_paths(paths)
    work = partial(key_entry, shuffle=shuffle, check=check)
    if timeout or (jobs > 1 and len(files) > 1):
        from .workers import run_each

        outcomes = run_each(work, files, jobs=max(1, min(jobs, len(files))), timeout=timeout, fault=_stopped)
    else:
        outcomes = map(work, files)
    key = Key()
    for outcome in outcomes:
        if isinstance(outcome, KeyEntry):
            key.entries.append(outcome)
        else:
            key.left_out.append(outcome)
        if then is not None:
            then()
    return key


def key_entry(file: str, shuffle: int | None = None, check: Callable[[KeyEntry], object] | None = None
              ) -> KeyEntry | str:
    """One file's entry in the key, or the one line that says why it is left out: every stage
    (load, solve, its part of the document) inside the file's error boundary."""
    from .documents import shuffled_problem
    from .loader import load
    from .solve import solve

    problem = None
    try:
        problem = shuffled_problem(load(file), shuffle)
        entry = KeyEntry(file, solve(problem.spec), problem.spec.marks)
        if check is not None:
            check(entry)
    except NnsolveError as exc:
        if problem is not None:
            problem.locate(exc)
        return str(exc.located(file=file))
    except Exception as exc:  # a bug in nnsolve (a number too long to show, say): this file's, not the key's
        return f"{file}: internal error (a bug in nnsolve): {type(exc).__name__}: {exc}"
    return entry


def _stopped(file: str, stopped) -> str:
    return f"{file}: {stopped.reason('solving')}"


def find_pdflatex() -> str | None:
    return shutil.which("pdflatex")


def compile_pdf(tex: str, pdf_path: str, timeout: int = PDFLATEX_TIMEOUT, files=()) -> None:
    """Compile a LaTeX document with pdflatex (twice, in a scratch directory) into ``pdf_path``.

    The scratch directory sits beside ``pdf_path`` so that the finished PDF is moved into place
    with one rename (a reader never sees half a PDF). Raises ToolError when pdflatex is missing,
    times out, or stops on an error; the message quotes the first LaTeX error and its line.
    ``files`` (figures the document includes) are copied into the scratch directory.
    """
    pdflatex = find_pdflatex()
    if pdflatex is None:
        raise ToolError(f"pdflatex not found: {TEXLIVE_HINT}, or leave out --pdf")
    directory = os.path.dirname(os.path.abspath(pdf_path))
    with tempfile.TemporaryDirectory(prefix=".nnsolve-key-", dir=directory) as tmp:
        (Path(tmp) / "key.tex").write_text(tex, encoding="utf-8")
        for file in files:
            shutil.copyfile(file, Path(tmp) / Path(file).name)
        command = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "key.tex"]
        for _ in range(2):  # the second run settles longtable widths
            try:
                result = subprocess.run(command, cwd=tmp, capture_output=True, timeout=timeout,
                                        stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise ToolError(f"pdflatex took longer than {timeout} s and was stopped") from None
            if result.returncode != 0:
                log = (Path(tmp) / "key.log")
                text = log.read_text(errors="replace") if log.exists() else result.stdout.decode(errors="replace")
                raise ToolError(f"pdflatex failed: {first_latex_error(text)}")
        os.chmod(Path(tmp) / "key.pdf", 0o644)
        os.replace(Path(tmp) / "key.pdf", pdf_path)


def first_latex_error(log: str) -> str:
    """The first ``! ...`` error of a LaTeX log with the line it names, as one line."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("! "):
            where = next((l.split(" ", 1)[0] for l in lines[i + 1:i + 12] if l.startswith("l.")), "")
            return f"{line[2:].strip()}" + (f" (key.tex {where})" if where else "")
    return "see the pdflatex log (no error line found)"
