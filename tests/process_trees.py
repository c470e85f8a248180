"""Stopping what a test started: a process and every process under it, whatever it ignores.

A suite started from a background shell runs with SIGINT ignored, and children inherit that: a
Studio or JupyterLab sent Ctrl-C then keeps running, with its kernels, after the test. So every
test that starts a server stops it with :func:`stop_tree`: the polite signal first, then SIGTERM
to the whole tree, then SIGKILL to whatever is left. :func:`sigint_as_default` gives a child the
default Ctrl-C back, for tests that check what Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Iterable
from typing import Any

import psutil

POLITE_SECONDS = 60.0
"""How long the first signal (Ctrl-C, usually) gets before SIGTERM."""
TERM_SECONDS = 15.0
"""How long SIGTERM gets before SIGKILL."""


def sigint_as_default() -> None:
    """``preexec_fn`` for Popen: the child takes Ctrl-C as usual even if this process ignores it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tree_of(pid: int) -> list[psutil.Process]:
    """The process and all its descendants now (empty once it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def stop_tree(
    proc: subprocess.Popen[Any],
    first: signal.Signals | None = signal.SIGINT,
    *,
    polite_seconds: float = POLITE_SECONDS,
    known: Iterable[psutil.Process] = (),
) -> int | None:
    """Stop ``proc`` and every process under it; returns ``proc``'s exit code.

    Args:
        proc: the process a test started.
        first: the signal it gets first (None: straight to SIGTERM for the whole tree).
        polite_seconds: how long ``first`` gets to end the process before SIGTERM.
        known: processes seen under it earlier (they may have lost their parent since).
    """
    tree = _merged(list(known), tree_of(proc.pid))
    if first is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=polite_seconds)
        tree = _merged(tree, tree_of(proc.pid))
    # psutil must not reap proc itself: Popen would lose its exit code
    rest = [p for p in tree if p.pid != proc.pid]
    if proc.poll() is not None:  # it ended: what it started gets the same time to follow
        _, rest = psutil.wait_procs(rest, timeout=TERM_SECONDS if first is not None else 0)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
        alive = _signal_all(rest, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=TERM_SECONDS)
        _, rest = psutil.wait_procs(alive, timeout=TERM_SECONDS)
        if proc.poll() is not None and not rest:
            break
    return proc.poll()


def _merged(first: list[psutil.Process], more: list[psutil.Process]) -> list[psutil.Process]:
    return first + [p for p in more if p not in first]


def _signal_all(processes: list[psutil.Process], sig: signal.Signals) -> list[psutil.Process]:
    """Send ``sig`` to each process still running; returns those it reached."""
    reached = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.send_signal(sig)
            reached.append(process)
    return reached
