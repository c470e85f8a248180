"""The store thread: a session's run-store writes are made off its loop, in order, never dropped."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.local import LocalServer
from phota_widgets.session.store_writer import StoreWriter
from tests.conftest import PLANTED_KEY

WRITES = ("start_run", "record_submission", "record_job", "add_output", "finish_run")


def test_calls_are_made_in_order_on_one_thread_of_their_own() -> None:
    writer = StoreWriter()
    done: list[tuple[int, str]] = []

    def note(i: int) -> int:
        time.sleep(0.002 if i % 2 else 0.0)  # an uneven pace must not reorder them
        done.append((i, threading.current_thread().name))
        return i * i

    async def main() -> list[int]:
        return list(await asyncio.gather(*(writer.call(note, i) for i in range(20))))

    try:
        assert asyncio.run(main()) == [i * i for i in range(20)]
    finally:
        writer.close()
    assert [i for i, _ in done] == list(range(20))
    threads = {name for _, name in done}
    assert len(threads) == 1 and threads.pop().startswith("phota-store")


def test_a_cancel_waits_for_the_call_and_never_drops_it() -> None:
    writer = StoreWriter()
    gate = threading.Event()
    landed: list[str] = []

    def slow(name: str) -> None:
        gate.wait(10)
        landed.append(name)

    async def main() -> None:
        first = asyncio.ensure_future(writer.call(slow, "first"))
        queued = asyncio.ensure_future(writer.call(landed.append, "queued behind it"))
        await asyncio.sleep(0.05)
        queued.cancel()  # cancelled while still waiting its turn on the thread
        first.cancel()
        await asyncio.sleep(0.05)
        assert not queued.done() and not first.done()  # they wait for their calls to land
        gate.set()
        for task in (first, queued):
            with pytest.raises(asyncio.CancelledError):
                await task

    try:
        asyncio.run(main())
    finally:
        writer.close()
    assert landed == ["first", "queued behind it"]


def test_a_calls_error_is_raised_to_the_caller() -> None:
    writer = StoreWriter()

    def fails() -> None:
        raise KeyError("unknown run id 'x'")

    try:
        with pytest.raises(KeyError, match="unknown run id"):
            asyncio.run(writer.call(fails))
    finally:
        writer.close()


def _spy(store: Any, name: str, threads: dict[str, set[str]]) -> None:
    real: Callable[..., Any] = getattr(store, name)

    def spied(*args: Any, **kwargs: Any) -> Any:
        threads.setdefault(name, set()).add(threading.current_thread().name)
        return real(*args, **kwargs)

    setattr(store, name, spied)


def test_a_sessions_run_writes_the_store_off_its_loop(server: LocalServer, tmp_path: Path) -> None:
    threads: dict[str, set[str]] = {}
    with pw.Session(  # one at a time: the runs behind the first wait for its slot
        api_key=PLANTED_KEY, base_url=server.base_url, output_dir=tmp_path, max_concurrency=1
    ) as s:
        for name in WRITES:
            _spy(s.store, name, threads)
        futures = [  # two outputs a call: each is kept as it arrives (add_output)
            s.submit_run("generate", prompt=f"boat {i}", num_output_images=2) for i in range(3)
        ]
        results = [f.result(timeout=120) for f in futures]
        records = [s.store.get(r.run_id or "") for r in results]
    assert all(r.status == "succeeded" and len(r.outputs) == 2 for r in records)
    assert set(threads) == set(WRITES)
    for name, seen in threads.items():
        assert seen and all(t.startswith("phota-store") for t in seen), (name, seen)


def test_a_sweep_links_its_cells_before_sending_them(server: LocalServer, tmp_path: Path) -> None:
    linked_at_submit: list[int] = []
    with pw.Session(api_key=PLANTED_KEY, base_url=server.base_url, output_dir=tmp_path) as s:
        real_submit = s.aclient.submit

        async def submit(endpoint: str, **params: Any) -> Any:
            (row,) = s.store.execute("SELECT COUNT(*) FROM sweep_cells WHERE run_id IS NOT NULL")
            linked_at_submit.append(int(row[0]))
            return await real_submit(endpoint, **params)

        s.aclient.submit = submit  # type: ignore[method-assign]
        result = s.sweep("generate", prompts=["a fox", "an owl", "a hen"], progress=False)
        linked = s.store.execute("SELECT run_id FROM sweep_cells WHERE run_id IS NOT NULL")
        assert {r.status for r in s.store.runs_by_id([run for (run,) in linked])} == {"succeeded"}
    assert len(linked) == 3 and len(result.cells) == 3
    # every submit found its own cell (and those before it) already linked on disk
    assert len(linked_at_submit) == 3
    assert all(count >= i + 1 for i, count in enumerate(sorted(linked_at_submit)))
