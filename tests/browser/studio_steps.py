"""Steps through the Studio shared by its browser tests in Voila, JupyterLab and Notebook 7: make a
phone-sized photo, upload it into Enhance and run, read back what the kernel stored, and copy a
result's code (the PhotoUpload and CopyCode anywidgets)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from PIL import Image

from phota_widgets.store import RunStore

RUN = 180_000  # ms: a 4096 px enhance or a 10-photo profile on a busy machine


def noisy_photo(path: Path, width: int, height: int, noise: float, seed: int) -> Path:
    """A JPEG as large as a phone's: a colour gradient under grain (noise keeps it big)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    grain = rng.standard_normal((height, width), dtype=np.float32)
    grain *= noise
    pixels = np.empty((height, width, 3), np.uint8)  # one channel at a time: a quarter the memory
    for channel, ramp in enumerate(((x + y) / 2, x, 255 - y)):
        pixels[..., channel] = np.clip(grain + ramp, 0, 255)
    Image.fromarray(pixels).save(path, "JPEG", quality=85)
    return path


def wait_text(scope: Any, text: str | re.Pattern[str], timeout: int = RUN) -> None:
    """Wait until the scope shows ``text`` (widgets update one by one: never read one right after
    another changed); fail quoting what it shows instead."""
    try:
        scope.filter(has_text=text).wait_for(timeout=timeout)
    except Exception as exc:
        wanted = text if isinstance(text, str) else text.pattern
        raise AssertionError(f"{wanted!r} not shown; the panel says:\n"
                             f"{scope.inner_text()}") from exc  # fmt: skip


SWEEP_ENDED = re.compile(r"Finished|The sweep stopped|Cancelled after")


def sweep_finished(sweep: Any, app: Any, timeout: int = RUN) -> None:
    """Wait until the sweep panel's run has ended, and fail unless it finished: quoting the
    panel (its status and any error), the last lines the Studio ``app`` printed, its server's
    log (the kernels' own) and, when it never ended, its kernels' thread stacks (py-spy)."""
    status = sweep.locator(".phota-status")
    try:
        status.filter(has_text=SWEEP_ENDED).wait_for(timeout=timeout)
        ended = True
    except Exception:
        ended = False
    said_now = status.inner_text()
    if not ended or "Finished" not in said_now:
        shown = f"status: {said_now}\n{sweep.inner_text()}"
        said = "".join(app.log[-30:])
        server_log = app.folder / "voila.log"  # the kernels' stderr: their logs and tracebacks
        kernels = server_log.read_text(errors="replace")[-6000:] if server_log.exists() else ""
        verdict = "did not end" if not ended else "ended without finishing"
        stacks = "" if ended else kernel_stacks(app.pid)
        raise AssertionError(
            f"the sweep {verdict}; the panel says:\n{shown}\n-- the Studio printed:\n{said}"
            f"-- its server's log ends:\n{kernels}\n-- {stored_runs(app.folder)}{stacks}"
        )


def stored_runs(folder: Path) -> str:
    """What the Studio's run store holds (the kernel's side: did the page miss an update?)."""
    with RunStore(folder / "phota-runs") as store:
        runs = store.runs(limit=50)
    said = [f"{r.run_id} {r.status} {r.note or ''} {r.error or ''}" for r in runs]
    return f"{len(runs)} runs in the store:\n" + "\n".join(said)


def kernel_stacks(pid: int) -> str:
    """Every thread's stack in the processes under ``pid`` (py-spy), to see what hangs."""
    spy = shutil.which("py-spy")
    if spy is None:
        return "\n(py-spy is not installed: no stacks)"
    dumps = []
    for child in psutil.Process(pid).children(recursive=True):
        done = subprocess.run(
            [spy, "dump", "--pid", str(child.pid)], capture_output=True, text=True, timeout=60
        )
        dumps.append(f"\n-- stacks of {child.pid} ({' '.join(child.cmdline()[:3])}):\n"
                     f"{done.stdout}{done.stderr}")  # fmt: skip
    return "".join(dumps)


def upload_and_enhance(scope: Any, photo: Path) -> None:
    """Enhance tab: upload ``photo`` (the PhotoUpload anywidget), see it arrive, run, see done."""
    scope.get_by_role("tab", name="Enhance").click()
    enhance = scope.locator(".phota-enhance-panel")
    enhance.locator(".phota-upload input[type=file]").set_input_files(str(photo))
    enhance.locator(".phota-input-thumbs img").first.wait_for(timeout=RUN)
    wait_text(enhance.locator(".phota-upload-note"), "sent 1 image")
    assert enhance.locator(".phota-picker-message").inner_text().strip() == ""
    enhance.locator("button.phota-run").click()
    enhance.locator("img.phota-thumb").first.wait_for(timeout=RUN)
    enhance.locator(".phota-status").filter(has_text="done").wait_for(timeout=RUN)


def stored_input_sizes(runs: Path) -> list[tuple[int, int]]:
    """The (width, height) of every input image in the run store at ``runs``."""
    sizes = []
    for path in (runs / "inputs").rglob("*"):
        if path.is_file():
            with Image.open(io.BytesIO(path.read_bytes())) as img:
                sizes.append(img.size)
    return sizes


def generate_and_copy_code(scope: Any, prompt: str) -> None:
    """Generate tab: run ``prompt``, then "Copy code" (the CopyCode anywidget) in Python and
    cURL: each snippet shows, holds the prompt or the endpoint, and no key."""
    generate = scope.locator(".phota-studio .phota-generate-panel")
    generate.locator(".phota-prompt textarea").wait_for(timeout=RUN)
    assert not generate.locator(".phota-copy-code-python").is_visible()  # no result yet
    generate.locator(".phota-prompt textarea").fill(prompt)
    generate.locator("button.phota-run").click()
    generate.locator("img.phota-thumb").first.wait_for(timeout=RUN)

    generate.locator("button.phota-copy-code-python").click()
    code = generate.locator("pre.phota-copy-code-text")
    code.wait_for(timeout=RUN)
    text = code.inner_text()
    assert "pw.Session(" in text and prompt in text
    assert "PHOTA_API_KEY" in text
    note = generate.locator(".phota-copy-code-note").inner_text()
    assert note in ("copied", "select the code below and copy it")

    generate.locator("button.phota-copy-code-curl").click()
    code.filter(has_text="curl -sS").wait_for(timeout=RUN)
    curl = code.inner_text()
    assert "X-API-Key: $PHOTA_API_KEY" in curl and "/generate" in curl
    assert "local_" not in curl  # the stand-in's own key is never shown
