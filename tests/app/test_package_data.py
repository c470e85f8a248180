"""A plain (non-editable) install carries what ``phota-widgets studio`` and the notebooks need: the
Studio notebook and the sample photos are in the wheel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
pytestmark = pytest.mark.binder  # builds a wheel in isolation, as pip does for a plain install


def _tracked_copy(dest: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def test_the_wheel_ships_the_studio_notebook_and_the_samples(tmp_path: Path) -> None:
    source = _tracked_copy(tmp_path / "src")  # what a clone has, nothing left over from work
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("phota_widgets-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        notebook = json.loads(archive.read("phota_widgets/app/studio.ipynb"))
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        ]
    for sample in ("astronaut", "chelsea", "coffee", "rocket"):
        assert f"phota_widgets/data/{sample}.jpg" in names
    assert notebook["cells"][0]["cell_type"] == "markdown"
    plain = {r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in requires}
    assert {"voila", "ipykernel", "pandas", "jupyterlab", "psutil"} <= plain  # a plain install
