"""A small pool of worker processes for a batch, where no file can stop the others.

``run_each(work, items, ...)`` applies ``work`` to every item in worker processes and yields
the results in the items' order. Unlike ``concurrent.futures``, a file costs only itself:

- a worker that takes longer than ``timeout`` seconds over one item is killed and replaced,
  and that item's result is ``fault(item, Stopped(seconds=timeout))``;
- a worker that dies (a signal such as the out-of-memory killer's SIGKILL, or an exit) costs
  only the item it was working on: ``fault(item, Stopped(signal=9))``; the items sent to it
  after that one go to another worker;
- workers die with their parent (Linux: ``PR_SET_PDEATHSIG``; elsewhere a thread that
  watches the parent's pid), ignore Ctrl-C (the parent handles it, then kills them: no wait
  for a stuck file), and take SIGTERM's default action.

Memory stays flat: items are taken from ``items`` only as workers are free, a few at a time,
and at most ``window`` results wait for an earlier, slower one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator

PARENT_POLL = 1.0  # seconds between a worker's checks that its parent lives, where prctl is missing
STOP_GRACE = 1.0  # seconds a finished worker has to exit before it is killed


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the work done so far is kept (exit code 143)."""

    exit_code = 143


@contextlib.contextmanager
def sigterm_interrupts():
    """Within this block SIGTERM raises ``Terminated`` (a KeyboardInterrupt) in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass(frozen=True)
class Stopped:
    """Why an item has no result of its own: it overran the time budget, its worker died, or
    ``work`` raised (a bug)."""

    seconds: float | None = None  # the budget it overran
    signal: int | None = None  # the signal that killed its worker
    exit_code: int | None = None  # its worker's exit code, when it exited
    error: str | None = None  # what ``work`` raised

    def reason(self, doing: str) -> str:
        """One line for the report: ``doing`` is what the worker was doing (``grading``)."""
        if self.seconds is not None:
            return f"took longer than {self.seconds:g} s and was stopped (--timeout)"
        if self.signal is not None:
            try:
                name = f", {signal.Signals(self.signal).name}"
            except ValueError:
                name = ""
            return f"the worker {doing} it died (signal {self.signal}{name})"
        if self.exit_code is not None:
            return f"the worker {doing} it exited (exit code {self.exit_code})"
        return f"internal error (a bug in nnsolve): {self.error}"


def run_each(work: Callable[[Any], Any], items: Iterable, *, jobs: int, fault: Callable[[Any, Stopped], Any],
             timeout: float | None = None, initializer: Callable[[], None] | None = None,
             chunk: int = 1, window: int | None = None) -> Iterator:
    """``work(item)`` for every item, in ``jobs`` worker processes; yields results in order.

    ``work``, ``initializer`` and the results must be picklable where processes are spawned
    (they are forked on Linux). ``fault(item, stopped)`` is called in the parent for an item
    that gave no result. ``chunk``: items sent to a worker at a time (fewer messages on a
    fast batch); ``timeout`` (seconds, None or 0 for none) applies to each item on its own.
    On KeyboardInterrupt the workers are killed, the results already made are yielded (those
    after a missing one too), and the interrupt is raised again.
    """
    pool = _Pool(work, initializer, max(1, jobs), timeout or None)
    window = window or max(4 * jobs * chunk, 16)
    fresh = enumerate(items)
    exhausted = False
    waiting: deque = deque()  # (index, item) taken but not sent: beyond the window, or sent to a worker
    # that was stopped before it reached them
    done: dict[int, Any] = {}
    next_out = 0
    try:
        while True:
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            # Hand out work: to each worker with at most half a chunk left, up to the window.
            for worker in pool.ready_for_more(chunk, more=bool(waiting) or not exhausted):
                batch = []
                while len(batch) < chunk - len(worker.inflight):
                    if waiting and waiting[0][0] < next_out + window:
                        batch.append(waiting.popleft())
                    elif not waiting and not exhausted:
                        index_item = next(fresh, None)
                        if index_item is None:
                            exhausted = True
                            break
                        if index_item[0] >= next_out + window:
                            waiting.append(index_item)  # taken, but beyond the window: sent later
                            break
                        batch.append(index_item)
                    else:
                        break
                if batch:
                    pool.send(worker, batch)
            if not pool.busy():
                if waiting or not exhausted:
                    continue  # only the window held work back; the loop sends it now
                break
            for index, item, outcome in pool.collect():
                done[index] = fault(item, outcome) if isinstance(outcome, Stopped) else outcome
            for worker, lost in pool.casualties:
                waiting.extendleft(reversed(lost))
            pool.casualties.clear()
            if waiting:
                waiting = deque(sorted(waiting, key=lambda pair: pair[0]))
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM while an earlier file is still at work: the later ones already done
        # are kept (in order, that one left out) before the interrupt goes on.
        pool.close()
        for index in sorted(done):
            yield done.pop(index)
        raise
    finally:
        pool.close()


class _Worker:
    __slots__ = ("process", "conn", "inflight", "deadline")

    def __init__(self, process, conn) -> None:
        self.process = process
        self.conn = conn
        self.inflight: deque = deque()  # (index, item) sent and not yet answered, oldest first
        self.deadline: float | None = None  # when the oldest one overruns


class _Pool:
    def __init__(self, work, initializer, jobs: int, timeout: float | None) -> None:
        self.work, self.initializer, self.jobs, self.timeout = work, initializer, jobs, timeout
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods and sys.platform == "linux" else None)
        self.workers: list[_Worker] = []
        self.casualties: list[tuple[_Worker, list]] = []  # workers stopped, with the items they had not begun

    def _start(self) -> _Worker:
        ours, theirs = self.context.Pipe(duplex=True)
        process = self.context.Process(target=_serve, args=(theirs, self.work, self.initializer, os.getpid()),
                                       daemon=True, name="nnsolve-worker")
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        self.workers.append(worker)
        return worker

    def ready_for_more(self, chunk: int, more: bool) -> list[_Worker]:
        for worker in [w for w in self.workers if not w.inflight and not w.process.is_alive()]:
            self.workers.remove(worker)  # died while idle (killed from outside): it cost nothing
            worker.conn.close()
        if more:
            while len(self.workers) < self.jobs:
                self._start()
        return [w for w in self.workers if len(w.inflight) <= chunk // 2]

    def send(self, worker: _Worker, batch: list) -> None:
        if not worker.inflight and self.timeout is not None:
            worker.deadline = time.monotonic() + self.timeout
        worker.inflight.extend(batch)
        try:
            worker.conn.send(batch)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died: collect() finds out from its sentinel and reports the first of them

    def busy(self) -> bool:
        return any(w.inflight for w in self.workers)

    def collect(self) -> Iterator[tuple[int, Any, Any]]:
        """Wait for a result, a death or a deadline; yields (index, item, result or Stopped)."""
        busy = [w for w in self.workers if w.inflight]
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], wait_for))
        for worker in busy:
            if worker.conn in ready:
                yield from self._answers(worker)
            if not worker.inflight:
                worker.deadline = None
                continue
            if worker.process.sentinel in ready:  # it died (its sentinel is waited on with its pipe)
                yield from self._answers(worker)  # what it sent before it died
                if worker.inflight:
                    worker.process.join()
                    code = worker.process.exitcode
                    stopped = Stopped(signal=-code) if code is not None and code < 0 else Stopped(exit_code=code)
                    yield self._stop(worker, stopped)
            elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                yield self._stop(worker, Stopped(seconds=self.timeout))

    def _answers(self, worker: _Worker) -> Iterator[tuple[int, Any, Any]]:
        try:
            while worker.inflight and worker.conn.poll():
                index, outcome = worker.conn.recv()
                expected, item = worker.inflight.popleft()
                assert index == expected, (index, expected)
                if self.timeout is not None:
                    worker.deadline = time.monotonic() + self.timeout
                yield index, item, outcome
        except (EOFError, OSError):
            return  # it died mid-message: its sentinel tells how

    def _stop(self, worker: _Worker, stopped: Stopped) -> tuple[int, Any, Stopped]:
        """Kill the worker, give up its current item, and keep its others for another worker."""
        _kill(worker)
        self.workers.remove(worker)
        index, item = worker.inflight.popleft()
        self.casualties.append((worker, list(worker.inflight)))
        return index, item, stopped

    def close(self) -> None:
        """Stop every worker: an idle one is told to exit, a busy one (Ctrl-C) is killed."""
        for worker in self.workers:
            if worker.inflight:
                _kill(worker)
            else:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        end = time.monotonic() + STOP_GRACE
        for worker in self.workers:
            worker.process.join(max(0.0, end - time.monotonic()))
            if worker.process.exitcode is None:
                _kill(worker)
            worker.conn.close()
        self.workers.clear()


def _kill(worker: _Worker) -> None:
    with contextlib.suppress(OSError):
        worker.process.kill()
    worker.process.join()


# ---------------------------------------------------------------------------------------------
# In the worker


def _serve(conn, work, initializer, parent: int) -> None:
    """A worker's loop: receive a list of (index, item), send back (index, result) for each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    _die_with_parent(parent)
    if initializer is not None:
        initializer()
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        for index, item in batch:
            try:
                outcome = work(item)
            except Exception as exc:
                outcome = Stopped(error=f"{type(exc).__name__}: {exc}")
            try:
                conn.send((index, outcome))
            except (BrokenPipeError, ConnectionResetError):
                return
            except Exception as exc:  # a result that cannot be pickled
                conn.send((index, Stopped(error=f"{type(exc).__name__}: {exc}")))


def _die_with_parent(parent: int) -> None:
    """Make this process exit when ``parent`` does, so that no worker outlives a killed batch."""
    if not _set_parent_death_signal():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the signal was set
        os._exit(1)


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(1)
