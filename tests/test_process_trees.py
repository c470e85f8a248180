"""The shared helper that stops what a test started, when Ctrl-C and SIGTERM are ignored."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil
from process_trees import sigint_as_default, stop_tree, tree_of

# A parent that ignores Ctrl-C, with a child that ignores Ctrl-C and SIGTERM (a stuck kernel).
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time\\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
    "print('child ready', flush=True)\\n"
    "time.sleep(600)"])
time.sleep(600)
"""


def _wait_for_tree(proc: subprocess.Popen[bytes], size: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 60
    while len(tree := tree_of(proc.pid)) < size:
        assert time.monotonic() < deadline, "the child processes did not start"
        time.sleep(0.05)
    return tree


def test_a_tree_that_ignores_ctrl_c_and_sigterm_is_stopped() -> None:
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN])
    tree = _wait_for_tree(proc, 2)
    started = time.monotonic()
    code = stop_tree(proc, signal.SIGINT, polite_seconds=1.0)
    assert code is not None and code != 0  # ended by a signal, not by itself
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in tree)
    assert time.monotonic() - started < 60


def test_an_orphaned_child_seen_earlier_is_stopped_too() -> None:
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN])
    tree = _wait_for_tree(proc, 2)
    proc.kill()  # the parent is gone at once: its child lives on, orphaned
    proc.wait(timeout=30)
    assert tree[1].is_running()
    stop_tree(proc, None, known=tree)
    assert not tree[1].is_running() or tree[1].status() == psutil.STATUS_ZOMBIE


def test_ctrl_c_is_given_back_to_a_child_when_this_process_ignores_it() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under a background shell
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(600)"],
            stdout=subprocess.PIPE,
            preexec_fn=sigint_as_default,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
    started = time.monotonic()
    code = stop_tree(proc, signal.SIGINT, polite_seconds=60.0)
    assert code == -signal.SIGINT  # KeyboardInterrupt: Ctrl-C itself ended it
    assert time.monotonic() - started < 30
