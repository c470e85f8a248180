"""A sweep exported to a real ``mlflow server`` and read back with MlflowClient."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from mlflow import MlflowClient
from teams_services import Service

import phota_widgets as pw
from phota_widgets.local.server import LocalServer

pytestmark = pytest.mark.timeout(600)  # real services and processes: slow on a busy machine
KEY = "mlflow-key-0123456789"


def test_export_matches_the_sweep_and_exporting_again_updates(
    tmp_path: Path, mlflow_server: Service
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

        parent_id = sweep.to_mlflow(mlflow_server.url, experiment="kites")
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
        updated = client.get_run(children[square_cell].info.run_id)
        assert updated.data.metrics["stars"] == 3
