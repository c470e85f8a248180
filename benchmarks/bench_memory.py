"""Peak memory producing many 4K images through a Session: the client's process and the embedded
server's process apart, and what each keeps afterwards.

Runs in a fresh interpreter (so the peak is this work's); the reference is the same process's
memory once the Session has started, before any run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from benchmarks.harness import ROOT, Config, Figure

SCRIPT = """
import gc, json, sys
sys.path.insert(0, {root!r})
from benchmarks.harness import memory_mb
import phota_widgets as pw
s = pw.Session(output_dir={folder!r}, max_concurrency=4, resume=False)
server = s.local_server
s.generate("warm up")
_, idle = memory_mb()
futures = [
    s.submit_run("generate", prompt=f"boats {{i}}", num_output_images=4, resolution="4K")
    for i in range({runs})
]
for f in futures:
    f.result(timeout=1800)
gc.collect()
client_peak, client_after = memory_mb()
server_peak, server_now = memory_mb(server.pid)
s.close()
print(json.dumps(dict(idle=idle, client_peak=client_peak, client_after=client_after,
                      server_peak=server_peak, server_now=server_now, server_alive=server.running)))
"""


def run(config: Config) -> list[Figure]:
    """Client and server peaks (and what each keeps) for 100 (quick: 8) 4K images."""
    runs = 2 if config.quick else 25  # four 4K images each
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("PHOTA_API_KEY", None)
        code = SCRIPT.format(root=str(ROOT), folder=tmp, runs=runs)
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=3600
        )
    if done.returncode:
        raise RuntimeError(done.stderr)
    m = json.loads(done.stdout.strip().splitlines()[-1])
    images = runs * 4
    return [
        Figure(
            f"kernel (client) process peak RSS producing {images} 4K images vs idle session",
            m["client_peak"], m["idle"], "MB", "< 300 MB", m["client_peak"] < 300,
            note=f"{m['client_after']:.0f} MB kept after",
        ),
        Figure(
            f"embedded server process peak RSS producing {images} 4K images vs idle client",
            m["server_peak"], m["idle"], "MB", "< 400 MB", m["server_peak"] < 400,
            note=f"{m['server_now']:.0f} MB at the end; all given back at close"
            if not m["server_alive"] else "STILL RUNNING after close",
        ),
    ]  # fmt: skip
