"""Running sweeps on the embedded server: recorded, labelled, resumed, retried, cancelled."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sweep_helpers import KEY, submits, wait_for

import phota_widgets as pw
from phota_widgets.experiments import CellOutcome, SweepResult
from phota_widgets.local import LocalServer


class Flaky:
    """A loopback image host that answers 404 until it is told to serve the photo."""

    def __init__(self, photo: bytes) -> None:
        self.serving = False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not outer.serving:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(photo)))
                self.end_headers()
                self.wfile.write(photo)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/photo.jpg"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def flaky(data_dir: Path) -> Iterator[Flaky]:
    host = Flaky((data_dir / "rocket.jpg").read_bytes())
    yield host
    host.close()


SWEEP = {
    "prompts": ["a {animal} at dusk", "a harbour"],
    "vars": {"animal": ["cat", "owl"]},
    "aspect_ratio": ["1:1", "16:9"],
    "base_model": ["nb2", "reve"],
    "resolution": ["1K", "2K"],
}


def test_a_sweep_runs_every_valid_cell_once_and_labels_every_output(
    session: pw.Session, server: LocalServer
) -> None:
    before = submits(server)
    plan = session.sweep("generate", dry_run=True, **SWEEP)  # type: ignore[arg-type]
    assert submits(server) == before and len(session.store) == 0  # planning sends nothing
    result = session.sweep("generate", progress=False, **SWEEP)  # type: ignore[arg-type]
    assert submits(server) - before == plan.calls == 18
    assert result.counts() == {"succeeded": 18} and result.sweep_id == plan.sweep_id
    frame = result.to_dataframe()
    assert list(frame.columns) == [
        "output_id", "cell", "prompt", "template", "aspect_ratio", "base_model", "resolution",
        "animal", "repeat", "path", "run_id", "request_id", "cost", "latency", "requests",
        "picked", "error", "variant", "input", "stars", "note", "changed_fraction",
    ]  # fmt: skip
    assert len(frame) == 18 and frame["output_id"].is_unique
    for row in frame.itertuples():
        record = session.store.get(row.run_id)
        assert row.output_id == f"{row.run_id}:0"
        assert record.params["prompt"] == row.prompt
        assert record.params["aspect_ratio"] == row.aspect_ratio
        assert record.params["base_model"] == row.base_model
        assert record.params["resolution"] == row.resolution
        assert Path(row.path).read_bytes() == record.outputs[0].path.read_bytes()
        if row.animal is not None and isinstance(row.animal, str):
            assert row.animal in row.prompt and f"animal={row.animal}" in row.variant
        assert row.variant.startswith(f"aspect_ratio={row.aspect_ratio} · base_model=")
        assert row.cost == pytest.approx(0.09) and row.error is None
    assert ("reve", "2K") not in set(zip(frame.base_model, frame.resolution, strict=True))
    assert result.cost == pytest.approx(18 * 0.09)
    # the same sweep again pays for nothing and reopens the same result
    again = session.sweep("generate", progress=False, **SWEEP)  # type: ignore[arg-type]
    assert submits(server) - before == 18
    assert again.to_dataframe()["output_id"].tolist() == frame["output_id"].tolist()
    listed = session.sweeps()
    assert [s.sweep_id for s in listed] == [plan.sweep_id] and listed[0].succeeded == 18


def test_repeats_and_multi_image_outputs_are_all_kept(
    session: pw.Session, server: LocalServer
) -> None:
    result = session.sweep(
        "generate", prompts=["a kite"], num_output_images=2, repeats=2, progress=False
    )
    frame = result.to_dataframe()
    assert len(frame) == 4 and sorted(frame["repeat"]) == [0, 0, 1, 1]
    assert sorted(o.split(":")[1] for o in frame["output_id"]) == ["0", "0", "1", "1"]
    assert frame["cost"].sum() == pytest.approx(4 * 0.09)


def test_budget_is_refused_before_any_request(session: pw.Session, server: LocalServer) -> None:
    before = submits(server)
    with pytest.raises(pw.BudgetExceededError, match=r"\$0\.36.*max_cost=\$0\.30"):
        session.sweep("generate", prompts=["a", "b"], aspect_ratio=["1:1", "4:3"], max_cost=0.3)
    with pytest.raises(pw.BudgetExceededError):
        session.submit_sweep(
            "generate", prompts=["a", "b"], aspect_ratio=["1:1", "4:3"], max_cost=0.3
        )
    assert submits(server) == before and len(session.store) == 0 and session.sweeps() == []


def test_failures_are_recorded_and_retried_alone(
    session: pw.Session, server: LocalServer, flaky: Flaky, data_dir: Path
) -> None:
    images = [data_dir / "chelsea.jpg", flaky.url]
    server.allow_image_host(flaky.url)  # the server fetches from no other host unless told
    before = submits(server)
    first = session.sweep("enhance", images=images, progress=False)
    assert submits(server) - before == 2
    assert first.counts() == {"failed": 1, "succeeded": 1}
    frame = first.to_dataframe()
    failed = frame[frame["error"].notna()]
    assert len(failed) == 1 and failed["output_id"].isna().all()
    assert "could not fetch" in failed["error"].iloc[0] and failed["input"].iloc[0] == flaky.url
    # run again: the failure stays failed, nothing is sent
    session.sweep("enhance", images=images, progress=False)
    assert submits(server) - before == 2
    # retry_failed sends the failed cell alone
    flaky.serving = True
    plan = session.sweep("enhance", images=images, retry_failed=True, dry_run=True)
    assert len(plan.to_run()) == 1 and plan.cost_to_run == pytest.approx(0.12)
    retried = session.sweep("enhance", images=images, retry_failed=True, progress=False)
    assert submits(server) - before == 3
    assert retried.counts() == {"succeeded": 2}
    assert retried.to_dataframe()["output_id"].notna().all()


def test_submit_sweep_returns_at_once_with_progress_and_result(
    session: pw.Session, server: LocalServer
) -> None:
    seen: list[CellOutcome] = []
    handle = session.submit_sweep(
        "generate",
        prompts=["a pier", "a dune"],
        aspect_ratio=["1:1", "3:4"],
        progress=False,
        on_cell=seen.append,
    )
    result = handle.result(timeout=120)
    assert isinstance(result, SweepResult) and handle.done()
    assert handle.progress.done == 4 and handle.progress.finished and handle.progress.cost > 0
    assert sorted(o.key for o in seen) == sorted(c.info.key for c in result.cells)
    assert all(o.run_id and o.error is None for o in seen)
    assert "4/4 done" in repr(handle)


def test_cancel_keeps_what_was_sent_and_the_rerun_completes_without_paying_twice(
    tmp_path: Path,
) -> None:
    with (
        LocalServer(api_key=KEY, faults=pw.Faults(latency=0.3)) as slow,
        pw.Session(
            api_key=KEY, base_url=slow.base_url, output_dir=tmp_path, max_concurrency=2
        ) as s,
    ):
        prompts = [f"a lantern {i}" for i in range(8)]
        handle = s.submit_sweep("generate", prompts=prompts, progress=False)
        wait_for(lambda: handle.progress.done >= 2, "two cells")
        handle.cancel()
        wait_for(lambda: handle.progress.finished, "the sweep to stop")
        partial = SweepResult.load(s, handle.sweep_id)
        done = partial.counts().get("succeeded", 0)
        assert 2 <= done < 8
        s.resume()  # collects what was accepted before the cancel
        accepted = submits(slow)
        final = s.sweep("generate", prompts=prompts, progress=False)
        assert final.counts() == {"succeeded": 8}
        assert submits(slow) == 8 and accepted <= 8


def test_picks_persist_in_the_store(session: pw.Session) -> None:
    result = session.sweep(
        "generate", prompts=["a bell"], aspect_ratio=["1:1", "16:9"], progress=False
    )
    first = result.to_dataframe()["output_id"].iloc[0]
    result.pick(first)
    assert result.picks == [first]
    reopened = SweepResult.load(session, result.sweep_id)
    assert reopened.picks == [first] and reopened.to_dataframe()["picked"].tolist() == [True, False]
    with pytest.raises(KeyError):
        result.pick("nope:0")


def test_the_progress_bar_counts_done_failed_and_cost(
    session: pw.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    session.sweep("generate", prompts=["a gate", "a wall"], progress=True)
    bar = capsys.readouterr().err
    assert "2/2" in bar and "done=2" in bar and "failed=0" in bar and "cost=$0.18" in bar


def test_edit_and_remix_sweep_their_inputs(
    session: pw.Session, server: LocalServer, data_dir: Path
) -> None:
    cat, rocket, coffee = (data_dir / n for n in ("chelsea.jpg", "rocket.jpg", "coffee.jpg"))
    before = submits(server)
    edits = session.sweep(
        "edit",
        prompts=["make it warmer", "black and white"],
        images=[cat, [rocket, coffee]],
        progress=False,
    )
    frame = edits.to_dataframe()
    assert len(frame) == 4 and frame["input"].nunique() == 2
    for row in frame.itertuples():
        sent = session.store.get(row.run_id).params["images"]
        assert "+".join(h.removeprefix("sha256:")[:12] for h in sent) == row.input
    remixes = session.sweep("remix", images=[cat], reference_image=[rocket, coffee], progress=False)
    assert remixes.counts() == {"succeeded": 2}
    assert remixes.settings == ["reference_image"] and len(remixes.variants) == 2
    assert submits(server) - before == 6
