"""Through a real kernel (jupyter_client): responsiveness while a Session renders, and how much a
shown 4 x 4K result adds to a saved notebook.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import ROOT, Config, Figure

SETUP = """
import os
os.environ.pop("PHOTA_API_KEY", None)
import phota_widgets as pw
s = pw.Session(output_dir={folder!r})
s.generate("warm up")
"""
RENDER = (
    'fut = s.submit_run("generate", prompt="four red boats", num_output_images={count}, '
    'resolution="4K")'
)
TRIVIAL = "fut.done()"
IDLE_CELLS = 20


def _kernel_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PHOTA_API_KEY", None)
    return env


def _cell(client: Any, code: str) -> tuple[float, str]:
    """Round-trip seconds of one cell, and its result's text."""
    shown: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "execute_result":
            shown.append(msg["content"]["data"].get("text/plain", ""))

    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=300, output_hook=hook)
    took = time.perf_counter() - started
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {code!r}: {reply['content'].get('evalue')}")
    return took, "".join(shown)


def responsiveness(config: Config) -> Figure:
    """Worst trivial cell while the Session renders 4 x 4K, against the same cells when idle."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", env=_kernel_env())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _cell(client, SETUP.format(folder=tmp))
            _cell(client, "fut = None")
            idle = [_cell(client, "1 + 1")[0] for _ in range(IDLE_CELLS)]
            _cell(client, RENDER.format(count=4))
            busy: list[float] = []
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                took, text = _cell(client, TRIVIAL)
                busy.append(took)
                if text == "True":
                    break
                time.sleep(0.02)
            _cell(client, "fut.result(); s.close()")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    worst, idle_worst = max(busy), max(idle)
    return Figure(
        "worst trivial cell while the Session renders 4 x 4K (kernel) vs an idle kernel's worst",
        worst, idle_worst, "s", "< 50 ms", worst < 0.050,
        note=f"{len(busy)} cells, median {statistics.median(busy) * 1000:.0f} ms",
    )  # fmt: skip


NOTEBOOK_SETUP = """
import os
os.environ.pop("PHOTA_API_KEY", None)
import phota_widgets as pw
s = pw.Session(output_dir="runs")
r = s.generate("four red boats", num_output_images=4, resolution="4K", output_format="{fmt}")
"""
SHOW = [
    "r",
    "pw.show(r)",
    "panel = pw.GeneratePanel(s)\npanel.grid.show_result(r).result(timeout=120)\npanel",
]


def _saved_size(cells: list[str], folder: Path) -> int:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]  # type: ignore[no-untyped-call]
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(ROOT)
    try:
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(folder)}},
        ).execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    return len(json.dumps(nb).encode("utf-8"))


def notebook_growth(config: Config) -> Figure:
    """Bytes a shown 4 x 4K result (repr, pw.show, a panel's grid) adds to a saved notebook."""
    fmt = "jpg" if config.quick else "png"
    with tempfile.TemporaryDirectory() as tmp:
        setup = NOTEBOOK_SETUP.replace("{fmt}", fmt)
        base = _saved_size([setup], Path(tmp))
        shown = _saved_size([setup, *SHOW], Path(tmp))
    growth = (shown - base) / 1000
    return Figure(
        f"notebook growth showing a 4 x 4K {fmt} result three ways vs the notebook without",
        growth, base / 1000, "kB", "< 1000 kB", growth < 1000,
    )  # fmt: skip


def run(config: Config) -> list[Figure]:
    """Kernel responsiveness and notebook growth."""
    return [responsiveness(config), notebook_growth(config)]
