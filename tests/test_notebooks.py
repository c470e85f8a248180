"""Every notebook runs top to bottom in a real kernel, and its saved outputs hold no key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from phota_widgets.local import LocalServer

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
PLANTED_KEY = "sk-planted-SECRET-1234567890"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_clean_and_leaks_no_key(
    path: Path, tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real-API code path with a planted key, served by the embedded server.
    monkeypatch.setenv("PHOTA_API_KEY", PLANTED_KEY)
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    work = tmp_path / path.name
    shutil.copy(path, work)
    nb = nbformat.read(work, as_version=4)
    NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    text = json.dumps(nb)
    assert PLANTED_KEY not in text
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert len(text) < 3_000_000, f"executed notebook is {len(text) / 1e6:.1f} MB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_are_clean(path: Path) -> None:
    nb = json.loads(path.read_text())
    assert "widgets" not in nb.get("metadata", {})
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
