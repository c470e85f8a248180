"""How much a 4-image 4K result adds to a saved notebook (target: well under 1 MB).

Runs a notebook in a real kernel against the embedded server, twice: once only computing the
result, once also showing it every way a user would (the Result's repr, ``pw.show``, and a panel's
output grid), with widget state saved as JupyterLab would. Prints the growth; exits 1 over 1 MB.

    python benchmarks/bench_notebook_size.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TARGET_BYTES = 1_000_000

SETUP = """
import os
os.environ.pop("PHOTA_API_KEY", None)
import phota_widgets as pw
s = pw.Session(output_dir="runs")
r = s.generate("four red boats", num_output_images=4, resolution="4K", output_format="png")
assert all(max(img.size) == 4096 for img in r.images)
full_bytes = sum(len(img.data) for img in r.images)
"""

SHOW = [
    "r",
    "pw.show(r)",
    "panel = pw.GeneratePanel(s)\npanel.grid.show_result(r).result(timeout=60)\npanel",
]


def saved_size(cells: list[str], folder: Path) -> int:
    """Bytes of the notebook after running ``cells`` and saving it with widget state."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    return len(json.dumps(nb).encode("utf-8"))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = saved_size([SETUP], Path(tmp))
        shown = saved_size([SETUP, *SHOW], Path(tmp))
    growth = shown - base
    verdict = "ok" if growth < TARGET_BYTES else "OVER TARGET"
    print(f"notebook without display: {base / 1e3:8.1f} kB")
    print(f"with repr + show + panel: {shown / 1e3:8.1f} kB")
    print(
        f"growth for a 4 x 4K result: {growth / 1e3:8.1f} kB (target < {TARGET_BYTES / 1e3:.0f} kB)"
        f"  {verdict}"
    )
    return 0 if growth < TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
