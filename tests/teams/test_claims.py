"""Claims on shared work: one holder at a time, expiry and takeover, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.local.server import LocalServer
from phota_widgets.store import RunStore


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def stores(tmp_path: Path, index_url: str) -> Iterator[tuple[RunStore, RunStore]]:
    files = tmp_path / "files"
    a = RunStore(tmp_path / "a", index_url=index_url, files_url=files)
    b = RunStore(tmp_path / "b", index_url=index_url, files_url=files)
    yield a, b
    a.close()
    b.close()


def test_one_holder_until_done(stores: tuple[RunStore, RunStore]) -> None:
    a, b = stores
    assert a.leases.claim("cell/1", "alice", ttl=30)
    assert a.leases.claim("cell/1", "alice", ttl=30)  # already hers: renewed
    assert not b.leases.claim("cell/1", "bob", ttl=30)
    assert not b.leases.renew("cell/1", "bob")
    assert b.leases.renew("cell/1", "alice", ttl=30)
    held = b.leases.get("cell/1")
    assert held is not None and (held.holder, held.state, held.attempts) == ("alice", "held", 1)
    assert a.leases.attach("cell/1", "alice", "run-1")
    assert a.leases.finish("cell/1", "alice", "run-1")
    assert not b.leases.claim("cell/1", "bob", ttl=30)  # done: nobody runs it again
    done = b.leases.get("cell/1")
    assert done is not None and (done.state, done.run_id) == ("done", "run-1")
    assert not done.expired(time.time() + 3600)
    assert b.leases.get("cell/unknown") is None
    with pytest.raises(ValueError, match="more than 0 seconds"):
        a.leases.claim("cell/2", "alice", ttl=0)


def test_an_expired_claim_is_taken_over(stores: tuple[RunStore, RunStore]) -> None:
    a, b = stores
    assert a.leases.claim("cell/x", "alice", ttl=0.3)
    a.leases.attach("cell/x", "alice", "run-a")
    assert not b.leases.claim("cell/x", "bob", ttl=30)
    deadline = time.monotonic() + 10
    while not b.leases.claim("cell/x", "bob", ttl=30):
        assert time.monotonic() < deadline, "the expired claim was never taken over"
        time.sleep(0.1)
    taken = a.leases.get("cell/x")
    assert taken is not None and (taken.holder, taken.attempts, taken.run_id) == ("bob", 2, "run-a")
    assert not a.leases.renew("cell/x", "alice")  # alice lost it
    assert not a.leases.finish("cell/x", "alice", "run-late")
    assert b.leases.release("cell/x", "bob")
    assert a.leases.claim("cell/x", "alice", ttl=30)  # released: free at once
    assert [c.key for c in a.leases.under("cell/")] == ["cell/x"]
    assert a.leases.busy_runs("bob") == {"run-a": "alice"} and a.leases.busy_runs("alice") == {}


def test_a_gone_local_holder_is_taken_over_at_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    from phota_widgets.session.claimed import holder_gone, holder_id

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    gone = f"{holder_id().split(':')[0]}:{child.stdout.strip()}:abc"
    assert holder_gone(gone) and not holder_gone(holder_id())
    assert not holder_gone("elsewhere.example:1:abc")  # another machine: wait for its lease
    with RunStore(tmp_path) as store:
        assert store.leases.claim("cell/d", gone, ttl=600)
        assert not store.leases.claim("cell/d", "me", ttl=60)
        assert store.leases.claim("cell/d", "me", ttl=60, dead=gone)


def test_many_claimers_at_once_one_wins(stores: tuple[RunStore, RunStore]) -> None:
    a, b = stores
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def claimer(n: int) -> None:
        barrier.wait()
        store = a if n % 2 else b
        for key in range(10):
            if store.leases.claim(f"race/{key}", f"w{n}", ttl=60):
                winners.append(f"race/{key}")

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(winners) == sorted(f"race/{k}" for k in range(10))


def test_run_once_runs_shared_work_once_and_the_other_gets_its_result(
    tmp_path: Path, index_url: str
) -> None:
    files = tmp_path / "files"
    with (
        LocalServer(api_key="k", queue_delay=0.5) as server,
        pw.Session(
            api_key="k", base_url=server.base_url, output_dir=tmp_path / "a",
            index_url=index_url, files_url=files,
        ) as first,
        pw.Session(
            api_key="k", base_url=server.base_url, output_dir=tmp_path / "b",
            index_url=index_url, files_url=files,
        ) as second,
    ):  # fmt: skip
        futures = [
            s.loop.submit(s.arun_once("cell/fox", "generate", prompt="a fox"))
            for s in (first, second)
        ]
        results = [f.result(timeout=60) for f in futures]
        assert results[0].run_id == results[1].run_id
        assert [i.data for i in results[0].images] == [i.data for i in results[1].images]
        assert len(server.state.jobs._jobs) == 1  # one submit: paid once
        assert len(first.store.runs()) == 1
        again = second.run_once("cell/fox", "generate", prompt="a fox")
        assert again.run_id == results[0].run_id and len(server.state.jobs._jobs) == 1


def test_run_owners_are_taken_over_once(stores: tuple[RunStore, RunStore]) -> None:
    a, b = stores
    run_id = a.start_run("generate", {"prompt": "x"}, client_request_id="key-1", owner="dead")
    assert b.get(run_id).client_request_id == "key-1" and b.run_owner(run_id) == "dead"
    assert [(r.run_id, owner) for r, owner in b.unfinished_runs()] == [(run_id, "dead")]
    assert not b.claim_run(run_id, "bob", previous="someone-else")
    assert b.claim_run(run_id, "bob", previous="dead")
    assert not a.claim_run(run_id, "alice", previous="dead")  # bob was quicker
    loose = a.start_run("generate", {"prompt": "y"})
    assert a.run_owner(loose) is None
    assert a.claim_run(loose, "alice", previous=None) and not b.claim_run(
        loose, "bob", previous=None
    )
    a.finish_run(run_id, status="succeeded")
    assert [r.run_id for r, _ in a.unfinished_runs()] == [loose]


def test_a_taken_over_job_that_cannot_be_collected_now_is_not_paid_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Take-over of an accepted job whose collection drops: kept ``submitted``, never re-sent."""
    from phota_widgets.api.errors import ConnectionError as PhotaConnectionError
    from phota_widgets.session.claimed import CollectInterruptedError

    index_url, files = f"sqlite:///{tmp_path / 'shared.sqlite3'}", tmp_path / "files"
    with (
        LocalServer(api_key="k", queue_delay=1.0) as server,
        pw.Session(
            api_key="k", base_url=server.base_url, output_dir=tmp_path / "a",
            index_url=index_url, files_url=files,
        ) as first,
        pw.Session(
            api_key="k", base_url=server.base_url, output_dir=tmp_path / "b",
            index_url=index_url, files_url=files,
        ) as second,
    ):  # fmt: skip
        running = first.loop.submit(first.arun_once("cell/owl", "generate", prompt="an owl"))
        deadline = time.monotonic() + 60
        while (
            not (claim := first.store.leases.get("cell/owl"))
            or not claim.run_id
            or (first.store.get(claim.run_id).job_id is None)
        ):
            assert time.monotonic() < deadline, "the job was never accepted"
            time.sleep(0.05)
        running.cancel()  # the holder stops: its claim is released, its job kept
        while (claim := first.store.leases.get("cell/owl")) and not claim.expired():
            assert time.monotonic() < deadline, "the claim was never released"
            time.sleep(0.05)
        assert claim is not None and claim.run_id is not None
        assert first.store.get(claim.run_id).status == "submitted"

        async def dropped(*args: object, **kwargs: object) -> None:
            raise PhotaConnectionError("connection dropped")

        monkeypatch.setattr(second.aclient, "get_job", dropped)
        with pytest.raises(CollectInterruptedError, match="without paying twice"):
            second.run_once("cell/owl", "generate", prompt="an owl")
        assert second.store.get(claim.run_id).status == "submitted"
        assert len(server.state.jobs._jobs) == 1  # not sent again
        monkeypatch.undo()
        result = second.run_once("cell/owl", "generate", prompt="an owl")
        assert result.run_id == claim.run_id and result.images
        assert len(server.state.jobs._jobs) == 1
