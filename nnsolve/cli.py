"""The command line: each command loads, solves and renders — the work lives elsewhere."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .errors import NnsolveError
from .export import ExportFormat
from .limits import MAX_VARY_COUNT
from .render import Format, ReportFormat

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Worked solutions and grading for neural-network exam problems.\n\n"
         "Example:  nnsolve run problems/seed/s03-cnn-params.yaml",
)
FILES_HELP = "Problem files, or folders searched recursively for *.yaml and *.yml."
TIMEOUT = 60  # seconds one file of grade, key or paper may take by default (--timeout)
TIMEOUT_HELP = "Stop a file that takes longer than this and report it (0: no limit)."


class _Argument(typer.core.TyperArgument):
    """An argument shown as ``PATH...``, without typer's ``{path}`` and ``<list[Path]>``."""

    def display_type(self, ctx) -> str:
        return ""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"


class _Command(typer.core.TyperCommand):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, typer.core.TyperArgument):
                param.__class__ = _Argument


def command(**kwargs):
    """``app.command`` with help text free of type noise."""
    return app.command(cls=_Command, **kwargs)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nnsolve {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Worked solutions and grading for neural-network exam problems."""


@command()
def run(
    files: List[Path] = typer.Argument(..., metavar="FILE", help="Problem files (YAML).", show_default=False),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    standalone: bool = typer.Option(False, "--standalone", help="With --format latex: a complete document."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="PNG", help="Also draw the solution's figure to "
                                        "this PNG file (needs the 'experiments' extra)."),
) -> None:
    """Solve problems and print their worked solutions.

    Several files are solved one after another (--format json: a list); a file that cannot be
    solved is reported on stderr and the others are still solved (exit code 2).

    \b
    Example:  nnsolve run problems/seed/s03-cnn-params.yaml --format json
    Example:  nnsolve run problems/seed/s01-vanishing-gradient.yaml --plot s01.png
    """
    from .start import run_files

    code = run_files([str(file) for file in files], fmt, standalone, None if plot is None else str(plot))
    if code:
        raise typer.Exit(code)


@command()
def topics(topic: Optional[str] = typer.Argument(None, metavar="TOPIC", help="A topic: its fields and an example.",
                                                 show_default=False)) -> None:
    """List the topics nnsolve solves; with a TOPIC, its fields (types, defaults, what each means) and an example.

    \b
    Example:  nnsolve topics
    Example:  nnsolve topics cnn_architecture
    """
    from .render import terminal_width
    from .topics import MODULES

    if topic is not None:
        from .authoring import reference

        sys.stdout.write(reference(_known_topic(topic), width=terminal_width(100)))
        return
    import textwrap

    name_width = max(len(m.TOPIC) for m in MODULES)
    for m in MODULES:
        typer.echo(textwrap.fill(f"{m.TOPIC:<{name_width}}  {m.SUMMARY}  (e.g. {m.EXAMPLE})", terminal_width(100),
                                 subsequent_indent=" " * (name_width + 2), break_long_words=False,
                                 break_on_hyphens=False))


def _known_topic(topic: str) -> str:
    from .topics import TOPICS
    from .vocabulary import VALUES, suggest

    if topic in TOPICS:
        return topic
    close = suggest(topic, list(TOPICS), VALUES)
    hint = f"did you mean '{close}'? " if close else ""
    raise NnsolveError(f"unknown topic {topic!r}; {hint}the topics are {', '.join(TOPICS)}")


@command()
def new(
    topic: str = typer.Argument(..., metavar="TOPIC", help="The problem's topic (see nnsolve topics).",
                                show_default=False),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE",
                                          help="Write the template to this file (it must not exist yet).",
                                          show_default=False),
) -> None:
    """Start a problem: a template with every field of the topic, each explained, valid as written.

    \b
    Example:  nnsolve new cnn_architecture -o my-cnn.yaml
    """
    from .authoring import template
    from .files import write_atomically

    text = template(_known_topic(topic))
    if output is None:
        sys.stdout.write(text)
        return
    if output.exists():
        raise NnsolveError(f"{output} exists already; choose another name (nnsolve new does not overwrite)")
    try:
        write_atomically(str(output), text)
    except OSError as exc:
        raise NnsolveError(f"cannot write {output}: {exc.strerror or exc}") from None
    # "a new": reads right before every topic name ("a optimizer_steps problem" did not)
    sys.stderr.write(f"wrote {output}: a new {topic} problem to edit; then: nnsolve check {output}\n")


@command()
def check(
    paths: List[Path] = typer.Argument(..., metavar="PATH", help=FILES_HELP, show_default=False),
    solve: bool = typer.Option(False, "--solve", help="Also solve each valid problem: finds what only solving "
                                                      "shows (a layer that cannot apply); slower."),
) -> None:
    """Check problem files without solving them: every error of every file, one line each.

    Exit code 0 when every file is valid, 1 when some are not, 2 when there is nothing to check.
    It runs as a pre-commit hook (.pre-commit-hooks.yaml: id nnsolve-check).

    \b
    Example:  nnsolve check problems/
    """
    from .documents import load_exam
    from .grade import EXAM_FILE, collect_paths
    from .loader import load
    from .render.report import progress
    from .solve import solve_file

    files = collect_paths(str(p) for p in paths)
    if not files:
        raise NnsolveError(f"no problem files (*.yaml, *.yml) in {', '.join(str(p) for p in paths)}")
    invalid = 0
    with progress(len(files), enabled=sys.stderr.isatty(), label="checking") as advance:
        for file in files:
            try:
                if os.path.basename(file) == EXAM_FILE:
                    load_exam(file)  # a header named (as pre-commit names every staged file): checked as one
                else:
                    solve_file(file) if solve else load(file)
            except NnsolveError as exc:
                invalid += 1
                sys.stdout.write(exc.located(file=file).report())
            advance()
    files_text = f"{len(files)} file{'s' if len(files) > 1 else ''}"
    sys.stderr.write(f"{files_text} checked: {f'{invalid} invalid' if invalid else 'all valid'}\n")
    raise typer.Exit(1 if invalid else 0)


@command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the problem-file format, for editors and validators.

    \b
    Example:  nnsolve schema > nnsolve.schema.json
    """
    import json

    from .schema import problem_schema

    typer.echo(json.dumps(problem_schema(), indent=2, ensure_ascii=False))


class Attempts(str, Enum):
    """Which of a student's attempts in an LMS download counts (nnsolve.classroom.ATTEMPTS)."""

    highest = "highest"
    first = "first"
    last = "last"


@command()
def grade(
    paths: List[Path] = typer.Argument(..., metavar="PATH", help=FILES_HELP, show_default=False),
    fmt: ReportFormat = typer.Option(ReportFormat.table, "--format", "-f", help="Report format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE",
                                          help="Write the report to this file (atomically).", show_default=False),
    jobs: int = typer.Option(1, "--jobs", "-j", min=0, metavar="N", help="Grade in N processes (0: one per CPU); with --answers, "
                                                                        "solve the exam's problems in N."),
    shuffle: bool = typer.Option(False, "--shuffle-options", help="The paper's options were shuffled with --seed."),
    seed: int = typer.Option(0, "--seed", min=0, metavar="N", help="The seed of --shuffle-options."),
    timeout: float = typer.Option(TIMEOUT, "--timeout", min=0, metavar="SECONDS", help=TIMEOUT_HELP),
    answers: Optional[Path] = typer.Option(None, "--answers", metavar="TABLE", show_default=False,
                                           help="A class's answers (.csv, .json, .yaml): grade every student on the exam."),
    gradebook: Optional[Path] = typer.Option(None, "--gradebook", metavar="FILE", show_default=False,
                                             help="With --answers: write the gradebook (.csv or .json)."),
    items: Optional[Path] = typer.Option(None, "--items", metavar="FILE", show_default=False,
                                         help="With --answers: write the item analysis (.csv, .json or .md)."),
    feedback: Optional[Path] = typer.Option(None, "--feedback", metavar="DIR", show_default=False,
                                            help="With --answers: write a feedback page per student (Markdown and HTML)."),
    hints: bool = typer.Option(False, "--hints", help="Feedback names the mistake without the right answer."),
    bom: bool = typer.Option(False, "--bom", help="Start the CSV gradebook with a BOM (Excel then reads UTF-8)."),
    question_map: List[str] = typer.Option([], "--map", metavar="KEY=ID", show_default=False,
                                           help="With a Moodle or Canvas download: its question KEY (Moodle's "
                                                "Response N, Canvas's question id) is the exam's question ID "
                                                "(default: by order)."),
    attempts: Attempts = typer.Option(Attempts.highest, "--attempts",
                                      help="With a Moodle or Canvas download: which of a student's attempts counts."),
) -> None:
    """Grade answered problems: solve each, compare with its 'submitted' answer, award marks, name mistakes.

    With --answers, the problems are an exam and the table holds every student's answers.

    Exit code 0 when every file was graded, 1 when some files were invalid or took too long (each error
    is also a line on stderr), 2 when a path does not exist or there is nothing to grade, 130 on Ctrl-C
    and 143 on SIGTERM (the report so far is written).

    \b
    Example:  nnsolve grade problems/seed --format markdown -o grades.md
              nnsolve grade problems/class --answers problems/class/answers.csv --gradebook grades.csv
    """
    import os

    if answers is not None:
        if output is not None or fmt is not ReportFormat.table:
            raise NnsolveError("with --answers, write the reports with --gradebook, --items and --feedback "
                               "(not --output or --format)")
        _grade_class(paths, answers, gradebook, items, feedback, hints, bom, _question_map(question_map),
                     jobs or os.cpu_count() or 1, timeout, attempts.value)
    elif gradebook or items or feedback or question_map:
        raise NnsolveError("--gradebook, --items, --feedback and --map need --answers (a table of the class's answers)")
    import shutil
    import tempfile

    from .grade import collect_paths, grade_paths
    from functools import partial

    from .render import terminal_width
    from .files import AtomicFile, output_path
    from .render.report import TABLE_WIDTH, ReportWriter, progress, report_row
    from .workers import Terminated, sigterm_interrupts

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise NnsolveError(f"no such file or folder: {', '.join(missing)}")
    files = collect_paths(str(p) for p in paths)
    if not files:
        raise NnsolveError(f"no problem files (*.yaml, *.yml) in {', '.join(str(p) for p in paths)}")
    if output is not None:
        output_path(output, files, "report")

    def cannot_write(exc: OSError) -> NnsolveError:
        return NnsolveError(f"cannot write the report to {output}: {exc.strerror or exc}")

    # The report is written as results come (memory stays flat over a long batch): into a
    # temporary file that replaces OUTPUT at the end, or a spool copied to stdout at the end.
    try:
        target = AtomicFile(str(output)) if output is not None else None
    except OSError as exc:
        raise cannot_write(exc) from None
    sink = target.file if target else tempfile.SpooledTemporaryFile(1 << 22, "w+", encoding="utf-8", newline="")
    interrupted: KeyboardInterrupt | None = None
    try:
        writer = ReportWriter(fmt, sink, color=output is None and fmt is ReportFormat.table and sys.stdout.isatty(),
                              width=terminal_width(TABLE_WIDTH) if output is None else None, errors=sys.stderr)
        try:
            with sigterm_interrupts(), progress(len(files), enabled=sys.stderr.isatty()) as advance:
                for row in grade_paths(files, jobs or os.cpu_count() or 1, then=partial(report_row, fmt),
                                       shuffle=seed if shuffle else None, timeout=timeout):
                    writer.add_row(row)
                    advance()
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): the rows so far are the report
            interrupted = exc
        with sigterm_interrupts():  # a second SIGTERM while the report is written still leaves no temporary
            writer.finish(found=len(files), interrupted=interrupted is not None)
            if target is not None:
                target.commit()
    except BaseException as exc:
        if target is not None:
            target.discard()
        if isinstance(exc, OSError):
            raise cannot_write(exc) from None
        raise
    if target is None:
        sink.seek(0)
        shutil.copyfileobj(sink, sys.stdout)
        sink.close()
    tally = writer.tally
    if interrupted is not None:
        terminated = isinstance(interrupted, Terminated)
        sys.stderr.write(f"nnsolve: {'terminated' if terminated else 'interrupted'}; "
                         f"graded {tally.files} of {len(files)} files\n")
        raise typer.Exit(Terminated.exit_code if terminated else 130)
    raise typer.Exit(1 if tally.invalid else 0)


def _question_map(given: list[str]) -> dict[str, str]:
    """``--map 1=s03,2=s05`` (or the option repeated) as {"1": "s03", "2": "s05"}."""
    mapping: dict[str, str] = {}
    for pair in (p for g in given for p in g.split(",") if p.strip()):
        key, sep, qid = (x.strip() for x in pair.partition("="))
        if not sep or not key or not qid:
            raise NnsolveError(f"--map {pair!r}: write KEY=ID, such as --map 1=s03 (Moodle's Response 1 is s03)")
        key = str(int(key)) if key.isdigit() else key
        if key in mapping:
            raise NnsolveError(f"--map: {key} is mapped twice ({mapping[key]} and {qid})")
        mapping[key] = qid
    return mapping


def _grade_class(paths, answers: Path, gradebook, items, feedback, hints: bool, bom: bool,
                 question_map: dict[str, str], jobs: int, timeout: float, attempts: str) -> None:
    """``grade --answers``: grade the class, print the summary, write the reports asked for."""
    from .answers import read_answers
    from .classroom import grade_class, item_analysis
    from .files import output_path, write_atomically
    from .render import classbook, terminal_width
    from .workers import Terminated, sigterm_interrupts

    writers = {"gradebook": {".csv": lambda r, i: classbook.gradebook_csv(r, bom), ".json": lambda r, i: classbook.gradebook_json(r)},
               "items": {".csv": lambda r, i: classbook.items_csv(i), ".json": lambda r, i: classbook.items_json(i),
                         ".md": lambda r, i: classbook.items_markdown(i)}}
    outputs = []
    for what, path in (("gradebook", gradebook), ("items", items)):
        if path is not None:
            if path.suffix.lower() not in writers[what]:
                raise NnsolveError(f"--{what} {path}: name a {' or '.join(writers[what])} file")
            folder = path.parent
            if not folder.is_dir():  # said before the grading, not after it
                raise NnsolveError(f"cannot write the {what} to {path}: there is no folder {folder}")
            outputs.append((what, output_path(path, [str(answers)], what), writers[what][path.suffix.lower()]))
    table = read_answers(str(answers))
    try:
        with sigterm_interrupts():
            result = grade_class([str(p) for p in paths], table, question_map, jobs, timeout, attempts)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the workers are stopped; no report is half written
        terminated = isinstance(exc, Terminated)
        sys.stderr.write(f"nnsolve: {'terminated' if terminated else 'interrupted'}; no report was written\n")
        raise typer.Exit(Terminated.exit_code if terminated else 130) from None
    for error in (*result.problem_errors, *result.table_errors):
        sys.stderr.write(f"{error.line_text()}\n")
    analysis = item_analysis(result)
    what, path = "feedback", feedback
    written = []
    try:
        for what, path, write in outputs:
            write_atomically(path, write(result, analysis))
            written.append(f"{path} ({'the item analysis' if what == 'items' else 'the gradebook'})")
        what, path = "feedback", feedback
        if feedback is not None:
            feedback.mkdir(parents=True, exist_ok=True)
            pages = classbook.feedback_pages(result, hints)
            for name, page in pages:
                path = feedback / name
                write_atomically(str(path), page)
            written.append(f"{feedback}/ ({len(pages) // 2} students' feedback, .md and .html)")
    except OSError as exc:  # the file's own name, not its temporary's
        raise NnsolveError(f"cannot write the {what} to {path}: {exc.strerror or exc}") from None
    typer.echo(classbook.summary_text(result, analysis, terminal_width(80)), nl=False)
    if written:
        from .render.safe import visible

        sys.stderr.write(visible(f"wrote {', '.join(written)}", one_line=True) + "\n")
    raise typer.Exit(1 if result.problem_errors or result.table_errors else 0)


DOCUMENT_HELP = "The file to write: .pdf, .tex (LaTeX), .md (Markdown) or .html (one self-contained page)."


def _document_header(paths, title, course, paper: bool):
    from .documents import header, read_exam

    exam = read_exam([str(p) for p in paths])
    return exam, header(exam, title, course, paper)


def _document_kind(output: Path, what: str) -> None:
    from .documents import KINDS

    if output.suffix.lower() not in KINDS:
        raise NnsolveError(f"{output}: {what} is written as .pdf, .tex (LaTeX), .md (Markdown) or .html")


def _document_outputs(output: Path, pdf: bool, files: list[str], what: str) -> None:
    """Refuse, before any work, an -o (or the PDF beside it) that nnsolve must not replace."""
    from .files import output_path

    output_path(output, files, what)
    if pdf or output.suffix.lower() == ".pdf":
        output_path(output.with_suffix(".pdf"), files, f"{what}'s PDF")


def _write(page, output: Path, pdf: bool, what: str) -> str:
    from .documents import write_document

    try:
        written = write_document(page, output, pdf=pdf)
    except OSError as exc:
        raise NnsolveError(f"cannot write the {what} to {output}: {exc.strerror or exc}") from None
    documents = [w for w in written if not w.rsplit("-fig-", 1)[-1][:-4].isdigit()]
    return " and ".join(documents)


SHUFFLE_HELP = "Shuffle each question's options with --seed (paper, key and grade agree for one seed)."


@command()
def key(
    paths: List[Path] = typer.Argument(..., metavar="PATH", help=FILES_HELP, show_default=False),
    output: Path = typer.Option(..., "--output", "-o", metavar="FILE", help=DOCUMENT_HELP, show_default=False),
    pdf: bool = typer.Option(False, "--pdf", help="With a .tex key: also compile it to a .pdf beside it (pdflatex)."),
    answers_only: bool = typer.Option(False, "--answers-only", help="Only the table of answers: question, answer, "
                                                                    "option, marks."),
    title: Optional[str] = typer.Option(None, "--title", metavar="TEXT",
                                         help="The title (else exam.yaml's, else 'Answer key')."),
    course: Optional[str] = typer.Option(None, "--course", metavar="TEXT", help="The course (else exam.yaml's)."),
    page_breaks: bool = typer.Option(False, "--page-breaks", help="Start every problem on a new page."),
    shuffle: bool = typer.Option(False, "--shuffle-options", help=SHUFFLE_HELP),
    seed: int = typer.Option(0, "--seed", min=0, metavar="N", help="The seed of --shuffle-options."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=0, metavar="N", help="Solve in N processes (0: one per CPU)."),
    timeout: float = typer.Option(TIMEOUT, "--timeout", min=0, metavar="SECONDS", help=TIMEOUT_HELP),
) -> None:
    """Write an answer key: every problem's question, given data, options, worked steps, boxed answer and option.

    The header comes from an exam.yaml in the folder (title, course, date), or --title and --course.
    Exit code 0 when every file is in the key, 1 when some were left out (each named on stderr: one
    that cannot be solved or shown, or that took longer than --timeout), 2 when there is nothing
    to put in it, 3 when a PDF finds no pdflatex or pdflatex fails.

    \b
    Example:  nnsolve key problems/seed -o key.pdf
    Example:  nnsolve key problems/seed -o answers.html --answers-only
    """
    import os
    from functools import partial

    from .documents import KINDS, check_entry
    from .grade import collect_paths
    from .key import build_key
    from .render.page import key_page
    from .render.report import progress
    from .workers import sigterm_interrupts

    _document_kind(output, "an answer key")
    if pdf and output.suffix.lower() != ".tex":
        raise NnsolveError("--pdf needs a LaTeX key: -o key.tex (or write -o key.pdf)")
    exam, head = _document_header(paths, title, course, paper=False)
    files = collect_paths(str(p) for p in paths)
    _document_outputs(output, pdf, files, "key")
    check = partial(check_entry, KINDS[output.suffix.lower()], answers_only)
    with sigterm_interrupts(), progress(len(files), enabled=sys.stderr.isatty(), label="solving") as advance:
        answer_key = build_key(files, then=advance, shuffle=seed if shuffle else None, check=check,
                               jobs=jobs or os.cpu_count() or 1, timeout=timeout)
    if not answer_key.entries and not answer_key.left_out:
        raise NnsolveError(f"no problem files (*.yaml, *.yml) in {', '.join(str(p) for p in paths)}")
    for line in answer_key.left_out:
        sys.stderr.write(f"{line}\n")
    page = key_page(answer_key.entries, head, answer_key.left_out, answers_only=answers_only,
                    page_breaks=page_breaks or exam.page_breaks)
    with sigterm_interrupts():  # SIGTERM while the key is written leaves no temporary file
        wrote = _write(page, output, pdf, "key")
    count = len(answer_key.entries)
    left = f"; {len(answer_key.left_out)} left out" if answer_key.left_out else ""
    sys.stderr.write(f"wrote {wrote}: {count} problem{'s' if count != 1 else ''}{left}\n")
    raise typer.Exit(1 if answer_key.left_out else 0)


@command()
def paper(
    paths: List[Path] = typer.Argument(..., metavar="PATH", help=FILES_HELP, show_default=False),
    output: Path = typer.Option(..., "--output", "-o", metavar="FILE", help=DOCUMENT_HELP, show_default=False),
    title: Optional[str] = typer.Option(None, "--title", metavar="TEXT",
                                         help="The title (else exam.yaml's, else 'Exam')."),
    course: Optional[str] = typer.Option(None, "--course", metavar="TEXT", help="The course (else exam.yaml's)."),
    space: Optional[int] = typer.Option(None, "--space", min=0, max=100, metavar="LINES",
                                        help="Room for working under each question, in lines (else exam.yaml's)."),
    page_breaks: bool = typer.Option(False, "--page-breaks", help="Start every question on a new page."),
    shuffle: bool = typer.Option(False, "--shuffle-options", help=SHUFFLE_HELP),
    seed: int = typer.Option(0, "--seed", min=0, metavar="N", help="The seed of --shuffle-options."),
    timeout: float = typer.Option(TIMEOUT, "--timeout", min=0, metavar="SECONDS", help=TIMEOUT_HELP),
) -> None:
    """Write an exam paper: the questions, their given data and options, numbered, with marks, and no answers.

    Exit code 0 when every file is on the paper, 1 when some were left out, 2 when there is nothing to print.

    \b
    Example:  nnsolve paper problems/seed -o exam.pdf --space 6
    Example:  nnsolve paper problems/seed -o exam.html --shuffle-options --seed 7
    """
    from .documents import KINDS, paper_entries
    from .workers import sigterm_interrupts
    from .grade import collect_paths
    from .render.page import paper_page

    _document_kind(output, "a paper")
    exam, head = _document_header(paths, title, course, paper=True)
    files = collect_paths(str(p) for p in paths)
    _document_outputs(output, False, files, "paper")
    with sigterm_interrupts():
        entries, left_out = paper_entries(files, seed if shuffle else None, kind=KINDS[output.suffix.lower()],
                                          timeout=timeout)
    if not entries and not left_out:
        raise NnsolveError(f"no problem files (*.yaml, *.yml) in {', '.join(str(p) for p in paths)}")
    for line in left_out:
        sys.stderr.write(f"{line}\n")
    if shuffle:
        from dataclasses import replace as _replace

        head = _replace(head, instructions=((head.instructions or "") + f"\n\nOptions shuffled with seed {seed}.")
                        .strip())
    page = paper_page(entries, head, space=exam.space if space is None else space,
                      page_breaks=page_breaks or exam.page_breaks)
    with sigterm_interrupts():  # SIGTERM while the paper is written leaves no temporary file
        wrote = _write(page, output, False, "paper")
    left = f"; {len(left_out)} left out" if left_out else ""
    sys.stderr.write(f"wrote {wrote}: {len(entries)} question{'s' if len(entries) != 1 else ''}{left}\n")
    raise typer.Exit(1 if left_out else 0)


@command()
def vary(
    file: Path = typer.Argument(..., metavar="FILE", help="A problem file with a 'vary' section.", show_default=False),
    count: int = typer.Option(10, "--count", "-n", metavar="N",
                              help=f"How many variants to write (at most {MAX_VARY_COUNT})."),
    seed: int = typer.Option(0, "--seed", "-s", min=0, metavar="S", help="The seed: the same seed writes the same files."),
    output: Path = typer.Option(..., "--output", "-o", metavar="DIR",
                                help="The folder to write the variants to (made if missing).", show_default=False),
) -> None:
    """Write variants of a problem (--count of them), each with its own numbers and options from real mistakes.

    Example:  nnsolve vary problems/vary/s03-cnn-params.yaml --count 30 --seed 1 -o s03-variants
    """
    from .loader import load
    from .files import output_path, write_atomically
    from .render.safe import visible
    from .vary import make_variants, unshown_fields

    problem = load(str(file))
    made = make_variants(problem, count, seed)
    for warning in unshown_fields(problem):
        sys.stderr.write(f"{warning.line_text()}\n")
    for variant in made:
        output_path(output / variant.name, [str(file)], "variant")
    try:
        output.mkdir(parents=True, exist_ok=True)
        for variant in made:
            write_atomically(str(output / variant.name), variant.text)
            typer.echo(visible(str(output / variant.name), one_line=True))  # named after the input file
    except OSError as exc:
        raise NnsolveError(f"cannot write the variants to {output}: {exc.strerror or exc}") from None


@command()
def export(
    paths: List[Path] = typer.Argument(..., metavar="PATH", help=FILES_HELP, show_default=False),
    to: ExportFormat = typer.Option(..., "--to", metavar="FORMAT",
                                    help="moodle (Moodle XML), qti (a QTI 1.2 zip for Canvas) or gift.",
                                    show_default=False),
    output: Path = typer.Option(..., "--output", "-o", metavar="FILE", help="The file to write (atomically).",
                                show_default=False),
) -> None:
    """Write a quiz an LMS imports: options with the mistake behind each wrong one, the worked solution as feedback.

    The variants of one problem (nnsolve vary) share a category, or a question group in Canvas.
    Exit code 0 when every file is in the quiz, 1 when some were left out (each named on stderr),
    2 when there is nothing to export.

    Example:  nnsolve export s03-variants --to moodle -o s03.xml
    """
    from .export import render
    from .export.quiz import build_quiz
    from .files import output_path, write_atomically
    from .grade import collect_paths

    output_path(output, collect_paths(str(p) for p in paths), "quiz")
    quiz = build_quiz([str(p) for p in paths])
    for line in quiz.left_out:
        sys.stderr.write(f"{line}\n")
    if not quiz.questions:
        where = ", ".join(str(p) for p in paths)
        raise NnsolveError(f"nothing to export from {where}" if quiz.left_out
                           else f"no problem files (*.yaml, *.yml) in {where}")
    try:
        write_atomically(str(output), render(quiz, to, title=output.stem))
    except OSError as exc:
        raise NnsolveError(f"cannot write the quiz to {output}: {exc.strerror or exc}") from None
    categories = len(quiz.categories())
    typer.echo(f"{output}: {len(quiz.questions)} question{'s' if len(quiz.questions) != 1 else ''} "
               f"in {categories} categor{'ies' if categories != 1 else 'y'}")
    raise typer.Exit(1 if quiz.left_out else 0)


def main() -> None:
    """The typer app under nnsolve's error policy (nnsolve.start.guarded), with typer's own exits."""
    from .start import guarded

    guarded(_app)


def _app() -> int:
    try:
        return app(standalone_mode=False) or None  # a command's typer.Exit(code) comes back as its return value
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("nnsolve: aborted\n")
        return 130
    except typer.TyperException as exc:  # usage errors (typer's bundled click): usage line and message
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            sys.stderr.write(f"nnsolve: {exc.format_message()}\n")
        return getattr(exc, "exit_code", 2) or 2
