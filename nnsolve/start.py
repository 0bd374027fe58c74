"""The entry point. ``nnsolve run FILE... [--format F]`` starts without typer; every other
command line goes to the typer app (nnsolve.cli), which also gives the usage errors and help.

Starting typer costs a cold ``run`` about a sixth of its time (its import, then a pydantic
validator built for each of the command's parameters), more than validating the file does.
So the plain form of the commonest command is read here, and ``run``'s work lives here
too, for both ways in.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

# pydantic looks for plugins in every installed package's metadata the first time it builds a
# validator (~20 ms, and again in each --jobs worker, which inherits this environment).
# nnsolve uses none; a user who wants theirs sets the variable, and it is left as they set it.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

FORMATS = ("text", "json", "markdown", "latex", "html")  # nnsolve.render.Format's values


def plain_run(args: list[str]) -> tuple[list[str], str] | None:
    """``(files, format)`` when ``args`` is ``run FILE... [--format F | -f F | --format=F]`` with
    nothing else; None for anything typer should read (other options, --help, a bad format)."""
    if not args or args[0] != "run":
        return None
    files, fmt, rest = [], "text", iter(args[1:])
    for arg in rest:
        if arg in ("--format", "-f"):
            arg = next(rest, None)
            if arg not in FORMATS:
                return None
            fmt = arg
        elif arg.startswith("--format="):
            fmt = arg.partition("=")[2]
            if fmt not in FORMATS:
                return None
        elif arg.startswith("-") or not arg:
            return None
        else:
            files.append(str(Path(arg)))  # as typer's Path parameter reads it
    return (files, fmt) if files else None


def run_files(files: list[str], fmt, standalone: bool = False, plot: str | None = None) -> int:
    """``nnsolve run``: solve each file and print its solution in ``fmt`` (a render.Format);
    the exit code (a file that cannot be solved is reported on stderr, the others still run)."""
    from .errors import NnsolveError
    from .loader import load
    from .render import Format, render, terminal_width
    from .render.safe import visible
    from .solve import solve_file
    from .topics import topic_module

    if standalone and fmt is not Format.latex:
        raise NnsolveError(f"--standalone applies to --format latex, not {fmt.value}")
    if (standalone or plot is not None) and len(files) > 1:
        raise NnsolveError(f"{'--standalone' if standalone else '--plot'} takes one problem file "
                           f"(for several, an answer key: nnsolve key FILE... -o key.tex)")
    if plot is not None:
        from .files import output_path

        output_path(plot, [files[0]], "figure")
        problem = load(files[0])
        if not getattr(topic_module(problem.spec.topic), "FIGURES", False):
            from .topics import TOPICS

            drawn = ", ".join(t for t in TOPICS if getattr(topic_module(t), "FIGURES", False))
            raise NnsolveError(f"--plot: a {problem.spec.topic} problem has no figure to draw "
                               f"({drawn} problems do)", file=problem.file)
    options: dict = {}
    if fmt is Format.text:
        options = {"color": sys.stdout.isatty(), "width": terminal_width(100)}
    if fmt is Format.latex:
        options["standalone"] = standalone
    several, failed, shown, objects, held = len(files) > 1, None, 0, [], []
    # Solutions stream to a terminal, showing the progress themselves; when they are held (JSON,
    # or stdout is a file) a slow batch shows a bar on stderr, and they are written after it.
    hold = several and sys.stderr.isatty() and (fmt is Format.json or not sys.stdout.isatty())
    with _progress(len(files), hold) if several else contextlib.nullcontext(lambda: None) as advance:
        for file in files:
            try:
                problem, solution = solve_file(file)
            except NnsolveError as exc:
                sys.stderr.write(exc.located(file=file).report())
                failed = exc
                continue
            finally:
                advance()
            text = render(solution, fmt, **options)
            if fmt is Format.json:
                objects.append(text)  # printed together: one object, or a list of them
                continue
            header = f"==> {visible(file, one_line=True)} <==\n" if several and fmt is Format.text else ""
            held.append(("\n" if shown else "") + header + text)
            if not hold:
                sys.stdout.write(held.pop())
            shown += 1
    sys.stdout.write("".join(held))
    if objects:
        sys.stdout.write((_json_list(objects) if several else objects[0]) + "\n")
    if failed is not None:
        return failed.exit_code
    if plot is not None:
        from .plot import write_png

        try:
            write_png(solution.figures, plot)
        except NnsolveError as exc:
            raise problem.locate(exc) from None
        except OSError as exc:
            raise NnsolveError(f"cannot write the figure to {plot}: {exc.strerror or exc}") from None
    return 0


def _progress(total: int, enabled: bool):
    """render.report's progress bar over several files (one file imports nothing more for it)."""
    from .render.report import progress

    return progress(total, enabled=enabled, label="solving")


def _json_list(documents: list[str]) -> str:
    """Several ``run --format json`` objects as one JSON list, each as it prints alone."""
    return "[\n" + ",\n".join(documents) + "\n]"


def main() -> None:
    """Entry point: ``run``'s plain form here, the rest through nnsolve.cli, under one error policy."""
    plain = plain_run(sys.argv[1:])
    if plain is None:
        from .cli import main as typer_main

        typer_main()
        return

    def run() -> int:
        from .render import Format

        files, fmt = plain
        return run_files(files, Format(fmt)) or None

    guarded(run)


def guarded(command) -> None:
    """Call ``command`` (it returns an exit code, or None for a plain 0): nnsolve's own errors become one line on stderr
    and an exit code; anything else is a bug and keeps its traceback."""
    from .errors import NnsolveError

    try:
        code = command()
    except NnsolveError as exc:  # every error of the file, one line each
        sys.stderr.write(f"nnsolve: {exc}\n" if exc.file is None else exc.report())
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM where a command handles it (nnsolve.workers)
        code = getattr(exc, "exit_code", 130)
        sys.stderr.write(f"nnsolve: {'terminated' if code == 143 else 'interrupted'}\n")
        sys.exit(code)
    except BrokenPipeError:  # `nnsolve run x | head`: the reader left; nothing more to say
        sys.stderr.close()
        sys.exit(1)
    if code is not None:
        sys.exit(code)
