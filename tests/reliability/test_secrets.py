"""A planted key appears in no artefact: session, panels, login box, errors, reprs, DEBUG logs,
the store, exported reports and an executed notebook saved with its widget state."""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import uuid
from pathlib import Path

import ipywidgets
import nbformat
import pytest
from nbclient import NotebookClient

import phota_widgets as pw
from phota_widgets.local import LocalServer
from phota_widgets.widgets import LoginBox, Studio

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = [
    "import phota_widgets as pw\nfrom phota_widgets.widgets import Studio, LoginBox",
    "session = pw.Session(output_dir='nb-runs')\nresult = session.generate('a quiet harbour')\n"
    "result",
    "Studio(session)",
    "box = LoginBox(session)\nbox",
    "try:\n    pw.Session(api_key='wrong', base_url=session.backend, output_dir='x')"
    ".generate('x')\nexcept pw.PhotaError as exc:\n    print(repr(exc), exc)",
    "session.history.to_dataframe() if hasattr(session.history, 'to_dataframe') else None",
]


def _forms(key: str) -> list[bytes]:
    """The key as it could be written: plain, base64, hex."""
    raw = key.encode()
    return [raw, base64.b64encode(raw), raw.hex().encode()]


def _leaks(folder: Path, key: str) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path} holds {form[:6]!r}..." for form in _forms(key) if form in data]
    return found


@pytest.mark.timeout(300)
def test_a_planted_key_is_in_no_artefact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"sk-planted-{uuid.uuid4().hex}"
    artefacts = tmp_path / "artefacts"
    artefacts.mkdir()
    log_file = artefacts / "debug.log"
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with LocalServer(api_key=key) as server:
            store_dir = tmp_path / "store"
            with pw.Session(api_key=key, base_url=server.base_url, output_dir=store_dir) as s:
                result = s.generate("a red boat", num_output_images=2)
                texts = [repr(s), repr(s.client), repr(s.aclient), repr(result), repr(server)]
                texts.append(result._repr_html_())
                for bad in (
                    lambda: s.generate(""),
                    lambda: s.run("generate", prompt="x", surprise=1),
                ):
                    with pytest.raises(pw.PhotaError) as info:
                        bad()
                    texts += [str(info.value), repr(info.value)]
                with pw.Session(
                    api_key="wrong", base_url=server.base_url, output_dir=store_dir
                ) as w:
                    with pytest.raises(pw.AuthenticationError) as denied:
                        w.generate("x")
                    texts += [str(denied.value), repr(denied.value)]
                studio = Studio(s)
                box = LoginBox(s, base_url=server.base_url)  # loopback only
                box.key.value = key
                box.submit_button.click()  # the key is read, then cleared from the state
                assert box.checking is not None and box.checking.result(timeout=30) is True
                texts.append(repr(studio))
                state = ipywidgets.Widget.get_manager_state(drop_defaults=False)
                (artefacts / "widget-state.json").write_text(json.dumps(state, default=str))
                s.store.to_dataframe().to_csv(artefacts / "history.csv")
                (artefacts / "texts.txt").write_text("\n".join(texts))
            # the notebook: real-API code path, key from the environment
            monkeypatch.setenv("PHOTA_API_KEY", key)
            monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
            monkeypatch.setenv("PYTHONPATH", str(ROOT))
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(src) for src in NOTEBOOK]
            NotebookClient(
                nb,
                timeout=120,
                kernel_name="python3",
                store_widget_state=True,
                resources={"metadata": {"path": str(artefacts)}},
            ).execute()
            saved = artefacts / "executed.ipynb"
            nbformat.write(nb, saved)
            assert "application/vnd.jupyter.widget-state+json" in json.dumps(nb.metadata)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    assert log_file.stat().st_size > 0 and os.listdir(store_dir)
    leaks = _leaks(tmp_path, key)
    assert not leaks, leaks


@pytest.mark.timeout(300)
def test_planted_keys_are_in_no_score_artefact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scores, failures, the report, the CSV, JUnit, reprs and DEBUG logs of a sweep with a
    model-graded rubric hold neither the Phota key nor the model endpoint's key."""
    from fakes.openai_fake import OpenAIFake

    from phota_widgets.experiments.scoring import resolve_checks
    from phota_widgets.experiments.scoring.gate import gate

    key = f"sk-planted-{uuid.uuid4().hex}"
    model_key = f"sk-model-{uuid.uuid4().hex}"
    monkeypatch.setenv("PLANTED_MODEL_KEY", model_key)
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    out = tmp_path / "out"
    try:
        with (
            LocalServer(api_key=key) as server,
            OpenAIFake(api_key=model_key, script=["not json at all", 500, 500, 500]) as fake,
            pw.Session(api_key=key, base_url=server.base_url, output_dir=tmp_path / "s") as s,
        ):
            checks = resolve_checks(
                [
                    "aspect_ratio",
                    {"max_cost": 0.01},
                    {
                        "vlm_rubric": {
                            "rubric": "a {animal}",
                            "model": "gpt-4o-mini",
                            "base_url": fake.base_url,
                            "api_key_env": "PLANTED_MODEL_KEY",
                            "max_retries": 2,
                        }
                    },
                ]
            )
            res = s.sweep(
                "generate", ["a {animal}"], vars={"animal": ["owl", "fox", "elk"]},
                progress=False, checks=checks,
            )  # fmt: skip
            assert fake.count >= 3  # the model was asked (and some answers failed)
            texts = [repr(c) for c in checks] + [str(f) for f in res.failures()]
            texts.append(repr(res.failures()))
            res.to_csv(out / "outputs.csv")
            res.export_html(out / "report.html")
            assert gate(res, sys.stdout, junit=str(out / "junit.xml")) == 100
            (out / "texts.txt").write_text("\n".join(texts))
            (out / "printed.txt").write_text(capsys.readouterr().out)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    assert (out / "junit.xml").is_file() and log_file.stat().st_size > 0
    leaks = _leaks(tmp_path, key) + _leaks(tmp_path, model_key)
    assert not leaks, leaks
