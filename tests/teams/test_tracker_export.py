"""A sweep exported to a real ``mlflow server`` and read back with MlflowClient."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from teams_services import Service

import phota_widgets as pw
from phota_widgets.local.server import LocalServer

pytestmark = pytest.mark.timeout(600)  # real services and processes: slow on a busy machine
KEY = "mlflow-key-0123456789"


def test_export_matches_the_sweep_and_exporting_again_updates(
    tmp_path: Path,
    mlflow_server: Service,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with (
        LocalServer(api_key=KEY) as server,
        pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "runs") as s,
    ):
        sweep = s.sweep(
            "generate",
            prompts=["a red kite", "a green kite"],
            aspect_ratio=["1:1", "16:9"],
            progress=False,
        )
        ids = {
            (o.cell.info.prompt, o.cell.info.settings["aspect_ratio"]): o.output_id
            for o in sweep.outputs()
        }
        square, wide = ids[("a red kite", "1:1")], ids[("a red kite", "16:9")]
        sweep.judge(square, wide, "a", judge="ana")
        sweep.rate(square, 4, judge="ana")
        green_square, green_wide = ids[("a green kite", "1:1")], ids[("a green kite", "16:9")]
        sweep.judge(green_square, green_wide, "both_bad", judge="ana")

        # telemetry off during the call (and only then); MLflow's console lines quiet
        for name in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK"):
            monkeypatch.delenv(name, raising=False)
        seen: list[tuple[str | None, str | None]] = []
        log_batch = MlflowClient.log_batch

        def watched(self: MlflowClient, *args: Any, **kwargs: Any) -> Any:
            seen.append(
                (os.environ.get("MLFLOW_DISABLE_TELEMETRY"), os.environ.get("DO_NOT_TRACK"))
            )
            return log_batch(self, *args, **kwargs)

        monkeypatch.setattr(MlflowClient, "log_batch", watched)
        capfd.readouterr()
        parent_id = sweep.to_mlflow(mlflow_server.url, experiment="kites")
        assert seen and set(seen) == {("true", "true")}
        assert "DO_NOT_TRACK" not in os.environ and "MLFLOW_DISABLE_TELEMETRY" not in os.environ
        printed = capfd.readouterr()
        assert "View run" not in printed.out + printed.err and mlflow_server.url not in printed.out
        client = MlflowClient(mlflow_server.url)
        experiment = client.get_experiment_by_name("kites")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id])
        assert len(runs) == 1 + len(sweep.cells)
        parent = client.get_run(parent_id)
        assert parent.data.params["swept.aspect_ratio"] == '["1:1", "16:9"]'
        assert parent.data.metrics["cells"] == 4 and parent.data.metrics["succeeded"] == 4
        assert parent.data.metrics["cost_usd"] == sweep.cost
        parent_files = {f.path for f in client.list_artifacts(parent_id)}
        assert {"leaderboard.csv", "report.html", "preferences"} <= parent_files
        # the preference rows travel with the images they name
        prefs = Path(client.download_artifacts(parent_id, "preferences", str(tmp_path / "p")))
        rows = [json.loads(line) for line in (prefs / "preferences.jsonl").read_text().splitlines()]
        named = {r[k] for r in rows for k in ("image_0", "image_1")}
        assert named and all((prefs / name).is_file() for name in named)
        board = Path(client.download_artifacts(parent_id, "leaderboard.csv", str(tmp_path)))
        assert "aspect_ratio=1:1" in board.read_text()

        children = {r.data.tags["phota.cell_key"]: r for r in runs if r.info.run_id != parent_id}
        assert set(children) == {c.info.key for c in sweep.cells}
        for cell in sweep.cells:
            child = children[cell.info.key]
            assert child.data.tags["mlflow.parentRunId"] == parent_id
            assert child.info.status == "FINISHED"
            assert child.data.params["prompt"] == cell.info.prompt
            assert child.data.metrics["cost_usd"] == cell.run.cost  # type: ignore[union-attr]
            assert KEY not in repr(child.data.params) and "api_key" not in child.data.params
            names = {Path(f.path).name for f in client.list_artifacts(child.info.run_id, "outputs")}
            assert names == {f"{o.sha256}.{o.output_format}" for o in cell.outputs}
        square_cell = sweep.output(square).cell.info.key
        assert children[square_cell].data.metrics["stars"] == 4
        assert children[square_cell].data.metrics["win_rate"] == 1.0
        green_cell = sweep.output(green_square).cell.info.key
        assert children[green_cell].data.metrics["win_rate"] == 0.5  # both bad: half each way
        first_output = sweep.output(square).record
        fetched = Path(
            client.download_artifacts(
                children[square_cell].info.run_id,
                f"outputs/{first_output.sha256}.{first_output.output_format}",
                str(tmp_path / "back"),
            )
        )
        assert hashlib.sha256(fetched.read_bytes()).hexdigest() == first_output.sha256

        sweep.rate(square, 2, judge="bo")  # a colleague rates; export again
        assert sweep.to_mlflow(mlflow_server.url, experiment="kites") == parent_id
        again = client.search_runs([experiment.experiment_id])
        assert len(again) == len(runs)  # updated, not duplicated
        now = {r.data.tags["phota.cell_key"]: r for r in again if r.info.run_id != parent_id}
        updated = now[square_cell]
        assert updated.data.metrics["stars"] == 3
        assert updated.data.tags["mlflow.parentRunId"] == parent_id
        # values replaced, not appended: one point per metric, on every run
        for run in again:
            for name in run.data.metrics:
                assert len(client.get_metric_history(run.info.run_id, name)) == 1, name
        unchanged = sweep.output(wide).cell.info.key
        assert now[unchanged].info.run_id == children[unchanged].info.run_id  # kept as it was
        names = {Path(f.path).name for f in client.list_artifacts(updated.info.run_id, "outputs")}
        assert names == {f"{o.sha256}.{o.output_format}" for o in sweep.output(square).cell.outputs}

        capfd.readouterr()
        sweep.to_mlflow(mlflow_server.url, experiment="kites", verbose=True)
        assert "View run" in "".join(capfd.readouterr())  # MLflow's lines, when asked for
