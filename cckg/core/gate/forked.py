"""Half of some CPU-bound work in a forked child process, half in the caller.

A validation run's queries hold the GIL, so threads do not help; a fork shares the run's
in-memory store copy-on-write, and only the results travel back (pickled, through a pipe).
The caller must not have other threads touching the data the work reads when it forks.
"""

from __future__ import annotations

import os
import pickle
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def usable() -> bool:
    """May this process fork a worker? Two CPUs, and no other Python thread (a server's
    request threads may hold locks that a fork would copy locked)."""
    return hasattr(os, "fork") and cores() > 1 and threading.active_count() == 1


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def split(items: Sequence[T], weight: Callable[[T], float]) -> tuple[list[T], list[T]]:
    """Two lists of about equal total weight (heaviest first, each to the lighter side)."""
    sides: tuple[list[T], list[T]] = ([], [])
    load = [0.0, 0.0]
    for item in sorted(items, key=weight, reverse=True):
        side = 0 if load[0] <= load[1] else 1
        sides[side].append(item)
        load[side] += weight(item)
    return sides


def in_two(mine: Sequence[T], theirs: Sequence[T], work: Callable[[T], list[R]]) -> list[R]:
    """``work`` over ``mine`` here and over ``theirs`` in a forked child, results joined."""
    if not theirs or not hasattr(os, "fork"):
        return [r for item in [*mine, *theirs] for r in work(item)]
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():  # Python 3.12 warns about forking with threads alive
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without any cleanup of the parent's state
        os.close(read_fd)
        code = 0
        try:
            payload = pickle.dumps((True, [r for item in theirs for r in work(item)]))
        except BaseException as e:  # noqa: BLE001 - every failure goes back to the parent
            payload, code = pickle.dumps((False, f"{type(e).__name__}: {e}")), 1
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(write_fd, view) :]
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        out = [r for item in mine for r in work(item)]
    finally:
        chunks = []
        with os.fdopen(read_fd, "rb") as pipe:
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        os.waitpid(pid, 0)
    try:
        ok, value = pickle.loads(b"".join(chunks))  # noqa: S301 - from our own child
    except Exception as e:
        raise RuntimeError("the validation worker process died") from e
    if not ok:
        raise RuntimeError(f"the validation worker process failed: {value}")
    return out + value
