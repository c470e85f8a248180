"""Driving a notebook the way a person does, in JupyterLab and Notebook 7 alike: put it on the
server, wait for its kernel, "Run All Cells" from the Run menu, shut its kernels down."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
from jupyter_servers import JupyterServer

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
"""The notebook shown (JupyterLab keeps the other tabs' panels, hidden)."""
ALL_RAN = """
panel => {
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}
"""
"""Every code cell of ``panel`` has run (a number in its prompt, no ``[*]`` or ``[ ]``)."""
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def notebook_of(*sources: str) -> dict[str, Any]:
    """An nbformat 4 notebook of one code cell per source, on the Python 3 kernel."""
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": source} for source in sources]  # fmt: skip
    return {"cells": cells, "metadata": {"kernelspec": KERNEL}, "nbformat": 4, "nbformat_minor": 5}


def put_notebook(server: JupyterServer, name: str, *sources: str) -> None:
    """Save a notebook of these code cells as ``name`` through the contents API."""
    body = {"type": "notebook", "format": "json", "content": notebook_of(*sources)}
    url = f"{server.base}/api/contents/{name}?token={server.token}"
    assert httpx.put(url, content=json.dumps(body), timeout=30).status_code in (200, 201)


def saved_cells(server: JupyterServer, name: str) -> list[tuple[str, str]]:
    """The (type, source) of each cell of notebook ``name`` as the server holds it."""
    url = f"{server.base}/api/contents/{name}?token={server.token}&content=1"
    content = httpx.get(url, timeout=30).json()["content"]
    return [(cell["cell_type"], _text(cell["source"])) for cell in content["cells"]]


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def kernel_ids(server: JupyterServer) -> list[str]:
    """The ids of the kernels running now."""
    kernels = httpx.get(f"{server.base}/api/kernels?token={server.token}", timeout=30).json()
    return [kernel["id"] for kernel in kernels]


def wait_for_idle_kernel(page: Any, server: JupyterServer, deadline_s: float = 120.0) -> None:
    """Wait until the notebook's kernel is idle on the server and its page knows it."""
    end = time.monotonic() + deadline_s
    url = f"{server.base}/api/sessions?token={server.token}"
    while not [s for s in httpx.get(url, timeout=30).json()
               if s["kernel"]["execution_state"] == "idle"]:  # fmt: skip
        assert time.monotonic() < end, "the notebook's kernel did not start"
        time.sleep(0.3)
    left_ms = max(1.0, end - time.monotonic()) * 1000
    page.locator(f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
        timeout=left_ms
    )


def run_all_cells(page: Any, deadline_ms: float = 180_000) -> Any:
    """Run > Run All Cells (not the command through JavaScript, which waits forever); returns the
    notebook panel once every code cell has run."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    panel = page.locator(PANEL)
    page.wait_for_function(ALL_RAN, arg=panel.element_handle(), timeout=deadline_ms)
    return panel


def shut_kernels_down(server: JupyterServer) -> None:
    """End every notebook session (and its kernel) on the server."""
    url = f"{server.base}/api/sessions"
    for session in httpx.get(f"{url}?token={server.token}", timeout=30).json():
        httpx.delete(f"{url}/{session['id']}?token={server.token}", timeout=30)
