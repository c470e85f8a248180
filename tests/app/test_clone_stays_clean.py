"""What the toolkit writes when run from a clone is ignored by git (issue 18.7)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
WRITTEN = [
    "phota-runs/runs.sqlite3",
    "notebooks/phota-runs/images/ab/abcd.jpg",
    "phota-studio/studio.ipynb",
    "phota-studio/.studio-server/voila.json",
    "phota-demo/report.html",
    "phota-exports/generate_0.jpg",
]


@pytest.mark.parametrize("path", WRITTEN)
def test_what_a_run_writes_is_ignored_by_git(path: str) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False
    )
    assert checked.returncode == 0, f"{path} would show up in git status"
