"""The documents a teacher hands out: an exam paper, an answer key (full or compact), as LaTeX,
PDF, Markdown or HTML, with the header of an ``exam.yaml`` and figures drawn beside them.

``shuffled`` permutes a problem's options by a seed, the same way for ``paper``, ``key`` and
``grade`` (given the same ``--seed``), so the letters on the paper are the letters graded.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from functools import partial
from pathlib import Path

from pydantic import Field, StrictBool, StrictInt

from .errors import NnsolveError
from .spec import Strict

from .grade import EXAM_FILE  # noqa: E402  (the header of a folder's documents; never read as a problem)

KINDS = {".tex": "latex", ".pdf": "pdf", ".md": "markdown", ".html": "html"}


class Exam(Strict):
    """What heads a paper and a key: ``exam.yaml`` beside the problems."""

    title: str = Field(default="Exam", max_length=500, description="the exam's title, e.g. Midterm")
    course: str | None = Field(default=None, max_length=500, description="the course, e.g. CS 4375 Neural Networks")
    date: str | None = Field(default=None, max_length=200, description="the date as it is to be printed")
    instructions: str | None = Field(default=None, max_length=20_000,
                                     description="instructions for the paper (Markdown subset, as questions)")
    page_breaks: StrictBool = Field(default=False, description="start every question on a new page")
    space: StrictInt = Field(default=0, ge=0, le=100, description="lines of room for working under each question "
                                                                    "on the paper")


def read_exam(paths: list[str]) -> Exam:
    """The ``exam.yaml`` of the folder named first (or of the first file's folder), or the defaults."""
    if not paths:
        return Exam()
    first = paths[0]
    folder = first if os.path.isdir(first) else os.path.dirname(first) or "."
    path = os.path.join(folder, EXAM_FILE)
    if not os.path.lexists(path):
        return Exam()
    # the rule for every file read from a folder (nnsolve.grade.collect_paths): a link must stay inside
    # it; read_text then refuses a folder, a FIFO or a device
    from .errors import ProblemFileError
    from .files import inside

    if os.path.islink(path) and not inside(path, os.path.realpath(folder)):
        raise ProblemFileError(f"is a symbolic link to a file outside {folder}; not followed "
                               f"(copy the exam's header into the folder)", file=path)
    return load_exam(path)


def load_exam(path: str) -> Exam:
    """An ``exam.yaml`` read and validated, its mistakes as a problem file's are (FILE:LINE: field)."""
    from pydantic import ValidationError

    from .loader import parse, read_text, validation_error

    data, doc = parse(read_text(path), file=path)
    try:
        return Exam.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, doc, path, Exam) from None


def header(exam: Exam, title: str | None, course: str | None, paper: bool):
    """The header of a paper (with its instructions) or of a key, --title and --course first."""
    from .render.page import Header

    named = "title" in exam.model_fields_set
    name = title or (exam.title if paper else f"{exam.title}: answer key" if named else "Answer key")
    return Header(name, course or exam.course, exam.date, exam.instructions if paper else None)


def shuffled(spec, seed: int, name: str):
    """``spec`` with its options' values permuted (the keys keep their order), the same for one
    seed and one problem (its id, else its file's name ``name``)."""
    if not spec.choices or len(spec.choices) < 2:
        return spec
    keys = list(spec.choices)
    values = [spec.choices[k] for k in keys]
    random.Random(f"{seed}:{spec.id or name}").shuffle(values)
    return spec.model_copy(update={"choices": dict(zip(keys, values))})


def shuffled_problem(problem, seed: int | None):
    if seed is None:
        return problem
    return replace(problem, spec=shuffled(problem.spec, seed, os.path.basename(problem.file)))


def paper_entries(files: list[str], seed: int | None = None, kind: str | None = None, jobs: int = 1,
                  timeout: float | None = None):
    """The questions of a paper: loaded (and shuffled), solved only where an option names several
    answers (their labels come from the solution). Returns (entries, left_out).

    Each file inside its error boundary (``paper_entry``); with ``timeout`` or ``jobs`` > 1 in
    worker processes, as ``nnsolve.key.build_key`` does."""
    work = partial(paper_entry, seed=seed, kind=kind)
    if timeout or (jobs > 1 and len(files) > 1):
        from .workers import run_each

        outcomes = run_each(work, files, jobs=max(1, min(jobs, len(files))), timeout=timeout,
                            fault=lambda file, stopped: f"{file}: {stopped.reason('reading')}")
    else:
        outcomes = map(work, files)
    entries, left_out = [], []
    for outcome in outcomes:
        (left_out if isinstance(outcome, str) else entries).append(outcome)
    return entries, left_out


def paper_entry(file: str, seed: int | None = None, kind: str | None = None):
    """One file's question on the paper (an Entry), or the line that says why it is left out:
    load, solve where needed, and (with ``kind``) its part of the paper, made once."""
    from .given import given
    from .loader import load
    from .render.page import Entry
    from .solution import Solution
    from .solve import solve

    try:
        problem = shuffled_problem(load(file), seed)
        spec = problem.spec
        if spec.choices and any(isinstance(v, dict) for v in spec.choices.values()):
            try:
                solution = solve(spec)
            except NnsolveError as exc:
                raise problem.locate(exc) from None
        else:
            solution = Solution(topic=spec.topic, answers={}, primary="", title=spec.title, question=spec.question,
                                options=spec.choices, given=given(spec))
        entry = Entry(solution, spec.marks)
        if kind is not None:
            from .render.page import Header, paper_page

            _translate(paper_page([entry], Header("")), kind)
    except NnsolveError as exc:
        return str(exc.located(file=file))
    except Exception as exc:  # a bug in nnsolve: this file is left out, the paper is still written
        return f"{file}: internal error (a bug in nnsolve): {type(exc).__name__}: {exc}"
    return entry


def check_entry(kind: str, answers_only: bool, entry) -> None:
    """Make one key entry's part of the document (its row of the summary table and its worked
    solution) as ``kind`` (``KINDS``' values) writes it, without figures: a value that cannot be
    shown then fails for its own file (nnsolve.key.build_key), not for the whole key."""
    from .render.page import Header, key_page

    _translate(key_page([entry], Header(""), answers_only=answers_only, figures=False), kind)


def _translate(page, kind: str) -> None:
    if kind == "markdown":
        from .render.markdown import page_markdown

        page_markdown(page)
    elif kind == "html":
        from .render.html import page_html

        page_html(page)
    else:
        from .render.latex import page_latex

        page_latex(page)


class FigureFiles:
    """Writes each figure of a LaTeX document beside it (``key-fig-1.pdf`` …); None when matplotlib is missing."""

    def __init__(self, stem: Path) -> None:
        self.stem = stem
        self.written: list[Path] = []

    def __call__(self, figure) -> str | None:
        from .plot import drawn

        try:
            data = drawn(figure, "pdf")
        except ImportError:
            return None
        path = self.stem.with_name(f"{self.stem.name}-fig-{len(self.written) + 1}.pdf")
        from .files import write_atomically

        write_atomically(str(path), data)
        self.written.append(path)
        return path.name


def write_document(page, output: Path, pdf: bool = False) -> list[str]:
    """Write a page to ``output`` (its suffix names the format; .pdf compiles LaTeX); returns the files."""
    from .files import write_atomically

    kind = KINDS[output.suffix.lower()]
    if kind == "markdown":
        from .render.markdown import page_markdown

        write_atomically(str(output), page_markdown(page))
        return [str(output)]
    if kind == "html":
        from .render.html import page_html

        write_atomically(str(output), page_html(page))
        return [str(output)]
    from .render.latex import page_latex

    tex_path = output.with_suffix(".tex")
    figures = FigureFiles(tex_path.with_suffix(""))
    tex = page_latex(page, figures=figures)
    written = [*map(str, figures.written)]
    if kind == "latex":
        write_atomically(str(output), tex)
        written.append(str(output))
    if kind == "pdf" or pdf:
        from .key import compile_pdf

        compile_pdf(tex, str(output.with_suffix(".pdf")), files=figures.written)
        written.append(str(output.with_suffix(".pdf")))
        if kind == "pdf":
            for path in figures.written:
                path.unlink(missing_ok=True)
            written = [w for w in written if not w.endswith(".pdf") or w == str(output.with_suffix(".pdf"))]
    return written
