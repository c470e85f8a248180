"""Tests for phota_widgets.store.RunStore."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image

from phota_widgets import store as store_mod
from phota_widgets.api.thumbnails import thumbnail_jpeg
from phota_widgets.store import OutputRecord, RunStore


def make_image(color: tuple[int, int, int] = (200, 30, 30), fmt: str = "JPEG") -> bytes:
    """A small in-memory test image (64 x 48)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, format=fmt)
    return buf.getvalue()


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    s = RunStore(tmp_path / "runs")
    yield s
    s.close()


def test_creates_layout(tmp_path: Path) -> None:
    with RunStore(tmp_path / "r") as s:
        assert s.root == (tmp_path / "r").resolve()
        for name in ("runs.sqlite3", "images", "thumbs", "inputs"):
            assert (s.root / name).exists(), name
        assert len(s) == 0


def test_round_trip(store: RunStore) -> None:
    params = {"prompt": "A [[p1]] headshot", "num_output_images": 2, "profile_ids": ["p1"]}
    run_id = store.start_run("generate", params, backend="local")
    jpg, png = make_image(), make_image((0, 90, 200), "PNG")
    out0 = store.add_output(run_id, 0, jpg, "jpg")
    out1 = store.add_output(run_id, 1, png, "png")
    store.finish_run(
        run_id,
        status="succeeded",
        request_id="req-1",
        elapsed=1.5,
        cost=0.08,
        known_subjects={"p1": 1},
    )
    run = store.get(run_id)
    assert run.run_id == run_id
    assert run.endpoint == "generate"
    assert run.params == params
    assert run.prompt == "A [[p1]] headshot"
    assert run.status == "succeeded"
    assert run.backend == "local"
    assert (run.request_id, run.elapsed, run.cost) == ("req-1", 1.5, 0.08)
    assert run.known_subjects == {"p1": 1}
    assert run.error is None and run.note is None
    assert abs(run.created_at - time.time()) < 60
    assert run.outputs == (out0, out1)
    assert (out0.width, out0.height, out0.output_format) == (64, 48, "jpg")
    assert out1.output_format == "png"
    assert out0.path.is_absolute()
    assert out0.path.read_bytes() == jpg
    assert out0.sha256 == hashlib.sha256(jpg).hexdigest()
    assert out0.path == store.root / "images" / out0.sha256[:2] / f"{out0.sha256}.jpg"
    assert len(store) == 1


def test_content_addressing(store: RunStore) -> None:
    data = make_image()
    a = store.start_run("generate", {"prompt": "a"})
    b = store.start_run("generate", {"prompt": "b"})
    oa = store.add_output(a, 0, data, "jpeg")
    ob = store.add_output(b, 3, data, "jpg")
    assert oa.path == ob.path and oa.output_format == "jpg"
    assert len(all_files(store.root / "images")) == 1
    assert store.get(a).outputs == (oa,)
    assert store.get(b).outputs[0].index == 3
    mtime = oa.path.stat().st_mtime_ns
    time.sleep(0.01)
    store.add_output(a, 1, data, "jpg")  # same bytes again: not rewritten
    assert oa.path.stat().st_mtime_ns == mtime


def test_atomic_write_leaves_no_temp_files(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = store.start_run("edit", {"prompt": "x"})
    store.add_output(run_id, 0, make_image(), "jpg")
    store.thumbnail(store.get(run_id).outputs[0], max_px=16)
    store.store_input(make_image((1, 2, 3)), ".jpg")
    names = [p.name for p in all_files(store.root)]
    assert not [n for n in names if n.startswith(".tmp-") or n.endswith(".part")]

    def boom(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError, match="disk gone"):
        store.add_output(run_id, 1, make_image((9, 9, 9)), "jpg")
    monkeypatch.undo()
    assert len(all_files(store.root / "images")) == 1  # neither final file nor temp file
    assert len(store.get(run_id).outputs) == 1


def test_reopen_keeps_runs_picks_notes(tmp_path: Path) -> None:
    root = tmp_path / "store"
    s = RunStore(root)
    run_id = s.start_run("enhance", {"prompt": None, "image": "sha256:" + "0" * 64})
    s.add_output(run_id, 0, make_image(), "jpg")
    s.set_pick(run_id, 0)
    s.set_note(run_id, "the good one")
    s.record_job(run_id, "job-9", "cr-9")
    s.close()
    s.close()  # idempotent

    with RunStore(root) as again:
        run = again.get(run_id)
        assert run.note == "the good one"
        assert run.outputs[0].picked
        assert [o.run_id for o in again.picks()] == [run_id]
        assert [r.run_id for r in again.pending_jobs()] == [run_id]
        assert len(again) == 1
        with again.engine.connect() as conn:
            user_version = conn.exec_driver_sql("PRAGMA user_version").scalar()
        assert user_version == store_mod.SCHEMA_VERSION
    with RunStore(root) as third:
        third.set_pick(run_id, 0, picked=False)
        third.set_note(run_id, None)
        assert third.picks() == []
        assert third.get(run_id).note is None


def test_newer_schema_refused(tmp_path: Path) -> None:
    RunStore(tmp_path).close()
    import sqlite3

    conn = sqlite3.connect(tmp_path / "runs.sqlite3")
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(RuntimeError, match="v99"):
        RunStore(tmp_path)


def test_filters(store: RunStore) -> None:
    ids = []
    for endpoint, prompt in [
        ("generate", "A Red Fox"),
        ("edit", "make it warmer"),
        ("generate", "a blue FOX at dawn"),
        ("remix", None),
    ]:
        ids.append(store.start_run(endpoint, {"prompt": prompt} if prompt else {}))
        time.sleep(0.002)
    store.finish_run(ids[0], status="failed", error="boom")
    store.finish_run(ids[2], status="succeeded")

    assert [r.run_id for r in store.runs()] == ids[::-1]
    assert [r.run_id for r in store.runs(endpoint="generate")] == [ids[2], ids[0]]
    assert [r.run_id for r in store.runs(prompt="fox")] == [ids[2], ids[0]]
    assert [r.run_id for r in store.runs(prompt="WARM")] == [ids[1]]
    assert [r.run_id for r in store.runs(status="failed")] == [ids[0]]
    assert store.get(ids[0]).error == "boom"
    assert [r.run_id for r in store.runs(status="running")] == [ids[3], ids[1]]
    assert [r.run_id for r in store.runs(limit=2)] == [ids[3], ids[2]]
    assert [r.run_id for r in store.runs(endpoint="generate", prompt="red", limit=5)] == [ids[0]]

    t1 = store.get(ids[1]).created_at
    t2 = store.get(ids[2]).created_at
    assert [r.run_id for r in store.runs(since=t1)] == [ids[3], ids[2], ids[1]]
    assert [r.run_id for r in store.runs(since=t1, until=t2)] == [ids[1]]
    t0 = store.get(ids[0]).created_at
    as_dt = datetime.fromtimestamp((t0 + t1) / 2, tz=timezone.utc)
    assert [r.run_id for r in store.runs(until=as_dt)] == [ids[0]]
    assert [r.run_id for r in store.runs(since=as_dt)] == [ids[3], ids[2], ids[1]]
    assert store.runs(since=time.time() + 100) == []


def test_pending_jobs(store: RunStore) -> None:
    a = store.start_run("generate", {"prompt": "a"})
    b = store.start_run("generate", {"prompt": "b"})
    assert store.pending_jobs() == []
    store.record_job(a, "job-a", "client-a")
    store.record_job(b, "job-b", None)
    pending = store.pending_jobs()
    assert [r.run_id for r in pending] == [a, b]
    assert (pending[0].status, pending[0].job_id, pending[0].client_request_id) == (
        "submitted",
        "job-a",
        "client-a",
    )
    store.finish_run(a, status="succeeded", request_id="r")
    assert [r.run_id for r in store.pending_jobs()] == [b]
    assert store.get(a).job_id == "job-a"  # kept after finishing


def test_thumbnail_jpeg_sized_and_cached(store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = store.start_run("generate", {"prompt": "t"})
    out = store.add_output(run_id, 0, make_image((10, 200, 10), "PNG"), "png")
    calls = []

    def counting(image: bytes, max_px: int = 512, quality: int = 80) -> bytes:
        calls.append(max_px)
        return thumbnail_jpeg(image, max_px=max_px, quality=quality)

    monkeypatch.setattr("phota_widgets.store.outputs.thumbnail_jpeg", counting)
    first = store.thumbnail(out, max_px=32)
    cached = store.root / "thumbs" / f"{out.sha256}_32.jpg"
    mtime = cached.stat().st_mtime_ns
    second = store.thumbnail(out, max_px=32)
    assert first == second
    assert calls == [32]
    assert cached.stat().st_mtime_ns == mtime
    with Image.open(io.BytesIO(first)) as img:
        assert img.format == "JPEG"
        assert max(img.size) <= 32
    store.thumbnail(out, max_px=16)
    assert calls == [32, 16]


def test_to_dataframe(store: RunStore) -> None:
    pd = pytest.importorskip("pandas")
    a = store.start_run("generate", {"prompt": "one", "aspect_ratio": "1:1"}, backend="local")
    store.add_output(a, 0, make_image(), "jpg")
    store.add_output(a, 1, make_image((0, 0, 0)), "jpg")
    store.set_pick(a, 1)
    store.finish_run(a, status="succeeded", cost=0.1, elapsed=2.0, request_id="rq")
    b = store.start_run("enhance", {"image": "sha256:abc"})
    df = store.to_dataframe()
    expected = [
        "run_id", "created_at", "endpoint", "prompt", "status", "n_outputs", "picks", "cost",
        "elapsed", "requests", "request_id", "job_id", "backend", "error",
    ]  # fmt: skip
    assert list(df.columns[: len(expected)]) == expected
    assert {"param_prompt", "param_aspect_ratio", "param_image"} <= set(df.columns)
    assert list(df["run_id"]) == [b, a]
    row = df.set_index("run_id").loc[a]
    assert (row["n_outputs"], row["picks"], row["cost"], row["status"]) == (2, 1, 0.1, "succeeded")
    assert row["param_aspect_ratio"] == "1:1"
    assert pd.api.types.is_datetime64_any_dtype(df["created_at"])
    assert len(store.to_dataframe([store.get(b)])) == 1
    empty = store.to_dataframe([])
    assert list(empty.columns) == expected and len(empty) == 0


def test_scrubbing_keeps_secrets_out(store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-PLANTED-" + "7" * 24
    env_key = "env-KEY-" + "3" * 20
    monkeypatch.setenv("PHOTA_API_KEY", env_key)
    with pytest.raises(ValueError, match=r"params\['images'\]\[0\]"):
        store.start_run("edit", {"prompt": "x", "images": [b"\xff\xd8raw"]})
    with pytest.raises(ValueError, match="bytes"):
        store.start_run("edit", {"nested": {"data": bytearray(b"abc")}})
    assert len(store) == 0

    long_b64 = "A" * 5000
    params = {
        "prompt": f"hello {env_key} world",
        "api_key": secret,
        "X-API-Key": secret,
        "headers": {"Authorization": f"Bearer {secret}", "accept": "json"},
        "webhook": [{"secret": secret, "password": secret, "access_token": secret, "url": "u"}],
        "images": [long_b64, "sha256:" + "a" * 64],
        "ok": ("tuple", 1, 2.5, True, None),
    }
    run_id = store.start_run("edit", params)
    store.finish_run(run_id, status="failed", error=f"bad key {env_key}")
    stored = store.get(run_id).params
    assert stored == {
        "prompt": "hello <redacted> world",
        "headers": {"accept": "json"},
        "webhook": [{"url": "u"}],
        "images": ["<omitted 5000 chars>", "sha256:" + "a" * 64],
        "ok": ["tuple", 1, 2.5, True, None],
    }
    assert store.get(run_id).error == "bad key <redacted>"
    json.dumps(stored)
    store.close()
    for path in all_files(store.root):
        blob = path.read_bytes()
        for planted in (secret, env_key, long_b64):
            assert planted.encode() not in blob, f"{planted[:12]} leaked into {path}"


def test_non_json_params_refused(store: RunStore) -> None:
    with pytest.raises(ValueError, match=r"params\['obj'\] is a object"):
        store.start_run("generate", {"obj": object()})


def test_concurrent_writes(store: RunStore) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(20):
                run_id = store.start_run("generate", {"prompt": f"t{n}-{i}"})
                store.add_output(run_id, 0, make_image((n, i, 0)), "png")
                store.finish_run(run_id, status="succeeded", cost=0.01)
        except BaseException as exc:  # pragma: no cover - only on failure
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store) == 80
    runs = store.runs(status="succeeded")
    assert len(runs) == 80
    assert all(len(r.outputs) == 1 and r.outputs[0].path.exists() for r in runs)
    assert len({r.prompt for r in runs}) == 80


def test_unknown_run_id_raises_key_error(store: RunStore) -> None:
    missing = "nope12345678"
    for call in (
        lambda: store.get(missing),
        lambda: store.record_job(missing, "j", None),
        lambda: store.add_output(missing, 0, make_image(), "jpg"),
        lambda: store.finish_run(missing, status="failed"),
        lambda: store.set_pick(missing, 0),
        lambda: store.set_note(missing, "n"),
    ):
        with pytest.raises(KeyError, match=missing):
            call()
    run_id = store.start_run("generate", {"prompt": "p"})
    with pytest.raises(KeyError, match="no output 5"):
        store.set_pick(run_id, 5)


def test_bad_status_and_format(store: RunStore) -> None:
    with pytest.raises(ValueError, match="status"):
        store.start_run("generate", {}, status="done")  # type: ignore[arg-type]
    run_id = store.start_run("generate", {})
    with pytest.raises(ValueError, match="format"):
        store.add_output(run_id, 0, make_image(), "../x")


def test_inputs_content_addressed(store: RunStore) -> None:
    data = make_image((5, 5, 5))
    sha = store.store_input(data, ".JPG")
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.store_input(data, "png") == sha  # same bytes: one file
    path = store.input_path(sha)
    assert path is not None and path.read_bytes() == data and path.suffix == ".jpg"
    assert store.input_path("sha256:" + sha) == path
    assert len(all_files(store.root / "inputs")) == 1
    assert store.input_path("f" * 64) is None
    with pytest.raises(ValueError):
        store.input_path("../../etc/passwd")


def test_unreadable_output_is_kept(store: RunStore) -> None:
    run_id = store.start_run("generate", {})
    out = store.add_output(run_id, 0, b"not an image", "png")
    assert (out.width, out.height) == (0, 0)
    assert out.path.read_bytes() == b"not an image"


def test_output_record_is_frozen(store: RunStore) -> None:
    run_id = store.start_run("generate", {})
    out = store.add_output(run_id, 0, make_image(), "jpg")
    assert isinstance(out, OutputRecord)
    with pytest.raises(AttributeError):
        out.picked = True  # type: ignore[misc]
    assert os.fspath(out.path).endswith(".jpg")


def test_a_run_finishes_with_its_outputs_in_one_write(store: RunStore) -> None:
    run_id = store.start_run("generate", {"prompt": "p", "num_output_images": 2})
    kept = store.add_output(run_id, 0, make_image(), "jpg")  # one kept as it arrived
    store.set_pick(run_id, 0)
    png = make_image((0, 90, 200), "PNG")
    store.finish_run(
        run_id, status="succeeded", cost=0.08, outputs=[(0, kept.path.read_bytes(), "jpeg"),
                                                        (1, png, "png")]
    )  # fmt: skip
    record = store.get(run_id)
    assert record.status == "succeeded" and record.cost == 0.08
    assert [(o.index, o.output_format, o.picked) for o in record.outputs] == [
        (0, "jpg", True),  # the same output again: its pick kept
        (1, "png", False),
    ]
    assert record.outputs[1].path.read_bytes() == png
    assert (record.outputs[1].width, record.outputs[1].height) == (64, 48)
    assert store.to_dataframe().loc[0, "n_outputs"] == 2


def test_a_finish_with_outputs_refused_leaves_the_run_as_it_was(store: RunStore) -> None:
    missing = "nope12345678"
    with pytest.raises(KeyError, match=missing):
        store.finish_run(missing, status="succeeded", outputs=[(0, make_image(), "jpg")])
    run_id = store.start_run("generate", {"prompt": "p"}, status="submitted")
    with pytest.raises(ValueError, match="format"):
        store.finish_run(run_id, status="succeeded", outputs=[(0, make_image(), "../x")])
    record = store.get(run_id)
    assert record.status == "submitted" and not record.outputs
