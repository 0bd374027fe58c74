"""Where nnsolve reads and writes: paths it will not read, and output written atomically.

Reading: ``nnsolve.grade.collect_paths`` searches the folders a command names; a folder it
cannot read, or a symbolic link in it that leads outside it, becomes a ``Refused`` path, which
the loader reports as that file's one-line error: a batch names it instead of skipping it.

Writing: ``output_path`` checks an ``-o`` before any work (a device, a FIFO, a socket, a folder
or one of the input files is refused); ``AtomicFile`` and ``write_atomically`` write beside the
target and rename, so a reader never sees half a file and a failure leaves the old one.
"""

from __future__ import annotations

import contextlib
import os
import stat
from typing import Iterable

from .errors import NnsolveError

# ---------------------------------------------------------------------------------------------
# Reading


class Refused(str):
    """A path ``collect_paths`` found but will not read; ``reason`` says why (the loader's error).

    It is the path itself (a ``str``), so it sorts, prints and travels to a worker process as
    one; reading it raises ``ProblemFileError(reason)``.
    """

    reason: str

    def __new__(cls, path: str, reason: str) -> "Refused":
        self = super().__new__(cls, path)
        self.reason = reason
        return self

    def __reduce__(self):
        return Refused, (str(self), self.reason)


def inside(link: str, root: str) -> bool:
    """Whether ``link`` leads to a place inside the folder ``root`` (a real path)."""
    return os.path.commonpath([os.path.realpath(link), root]) == root


def kind_unread(path: str) -> str | None:
    """What ``path`` is when it is not a file to read: "folder", or "special" for a device, a FIFO or
    a socket (checked before it is opened: opening a FIFO blocks, a device never ends); None for a
    regular file or a missing path (opening it then says what is wrong)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(mode):
        return "folder"
    return None if stat.S_ISREG(mode) else "special"


# ---------------------------------------------------------------------------------------------
# Writing


def output_path(path, inputs: Iterable[str] = (), what: str = "output") -> str:
    """``path`` (an ``-o``) if nnsolve may replace it, else NnsolveError (exit code 2) saying why.

    Refused: a folder, anything but a regular file (a device such as /dev/null, a FIFO, a
    socket: a rename would replace the node itself), and any of ``inputs`` (the problem files
    being read, compared as files: a link or another spelling of the same file is caught).
    """
    path = str(path)
    try:
        target = os.stat(path)
    except FileNotFoundError:
        return path  # a new file (a missing folder is reported when it is written)
    except OSError as exc:
        raise NnsolveError(f"cannot write the {what} to {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(target.st_mode):
        raise NnsolveError(f"cannot write the {what} to {path}: it is a folder; name a file in it")
    if not stat.S_ISREG(target.st_mode):
        raise NnsolveError(f"cannot write the {what} to {path}: it is not a regular file "
                           f"(a device, a FIFO or a socket); name a file")
    for file in inputs:
        with contextlib.suppress(OSError):
            read = os.stat(file)
            if (read.st_dev, read.st_ino) == (target.st_dev, target.st_ino):
                same = "" if os.path.normpath(file) == os.path.normpath(path) else f" ({file})"
                raise NnsolveError(f"cannot write the {what} to {path}: it is one of the problem files "
                                   f"being read{same}; name another file")
    return path


def write_atomically(path: str, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` all at once: a temporary file beside it, then a rename.

    A reader never sees half a report, and a failure leaves any earlier file untouched.
    """
    target = AtomicFile(path)
    try:
        if isinstance(text, bytes):
            target.file.buffer.write(text)
        else:
            target.file.write(text)
    except BaseException:
        target.discard()
        raise
    target.commit()


class AtomicFile:
    """A text file written beside ``path`` (``.file``) that replaces it only on ``commit()``.

    Until then ``path`` is untouched; ``discard()``, or a failed commit, leaves no temporary.
    A ``path`` that is a folder or not a regular file is refused (``output_path``) before
    anything is written.
    """

    def __init__(self, path: str) -> None:
        import tempfile

        self.path = output_path(path)
        directory = os.path.dirname(os.path.abspath(path))
        fd, self.temporary = tempfile.mkstemp(prefix=".nnsolve-", suffix=".tmp", dir=directory)
        try:
            os.chmod(self.temporary, _mode(path))
            self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)
            raise

    def commit(self) -> None:
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temporary, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.temporary)


def _mode(path: str) -> int:
    """The permissions the report gets: the replaced file's, or what the umask allows."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
