"""Import time against ``import ipywidgets``, and ``Session()`` start-up, in fresh interpreters."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

from benchmarks.harness import ROOT, Config, Figure

TIMED_IMPORT = (
    "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
)
TIMED_SESSION = """
import time, json
t = time.perf_counter()
import phota_widgets as pw
Session = pw.Session  # the session module loads here, not inside the timed call
imported = time.perf_counter() - t
t = time.perf_counter()
s = Session(output_dir={folder!r})
started = time.perf_counter() - t
t = time.perf_counter()
s.generate("first light")
first = time.perf_counter() - t
s.close()
print(json.dumps([imported, started, first]))
"""


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PHOTA_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout.strip().splitlines()[-1]


def run(config: Config) -> list[Figure]:
    """Import time ratio and Session start-up."""
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(config.repeats):
        ours.append(float(_python(TIMED_IMPORT.format(module="phota_widgets"))))
        theirs.append(float(_python(TIMED_IMPORT.format(module="ipywidgets"))))
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    starts: list[float] = []
    firsts: list[float] = []
    imports: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(config.repeats):
            imported, started, first = json.loads(
                _python(TIMED_SESSION.format(folder=f"{tmp}/s{i}"))
            )
            imports.append(imported)
            starts.append(started)
            firsts.append(first)
    start_s = statistics.median(starts)
    return [
        Figure(
            "import phota_widgets vs import ipywidgets",
            ours_s, theirs_s, "s", "<= 1.3x", ours_s <= 1.3 * theirs_s,
        ),
        Figure(
            "Session() start-up (embedded server in its own process) vs 1.5 s",
            start_s, 1.5, "s", "< 1.5 s", start_s < 1.5,
            note=f"importing Session first: {statistics.median(imports) * 1000:.0f} ms; "
            f"first generate after it: {statistics.median(firsts) * 1000:.0f} ms",
        ),
    ]  # fmt: skip
