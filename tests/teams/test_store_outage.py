"""A PostgreSQL restart in the middle of a sweep is ridden out: every cell once, none aborted.

The index server is stopped (``pg_ctl -m fast``: every connection cut) while the sweep is
running and started again a moment later; the sweep, which used to abort within 2 s, waits for
it (a bounded wait) and finishes with each cell paid exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from teams_services import Postgres, port_open

import phota_widgets as pw
from phota_widgets.local.server import LocalServer

pytestmark = pytest.mark.timeout(600)
KEY = "outage-key-0123456789"
CELLS = 12


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A cluster of this test's own: stopping it disturbs no other test."""
    server = Postgres()
    yield server
    server.stop()


def _restart(pg: Postgres) -> None:
    data = str(pg.folder / "data")
    # fast: every connection cut (the test cluster runs without fsync, so a crash would also
    # lose commits, which no real server configured for durability does)
    pg._run("pg_ctl", "-D", data, "-m", "fast", "stop")
    deadline = time.monotonic() + 60
    while port_open(pg.port):
        assert time.monotonic() < deadline, "PostgreSQL did not stop"
        time.sleep(0.05)
    options = f"-p {pg.port} -k {pg.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg._run("pg_ctl", "-D", data, "-o", options, "-l", str(pg.log), "-w", "start")


def test_a_sweep_rides_out_a_postgres_restart(own_postgres: Postgres, tmp_path: Path) -> None:
    index = own_postgres.new_database()
    with (
        LocalServer(api_key=KEY, latency=0.5) as server,
        pw.Session(
            api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "runs", index_url=index
        ) as session,
    ):
        handle = session.submit_sweep(
            "generate",
            prompts=[f"a kite number {n}" for n in range(CELLS)],
            progress=False,
        )
        deadline = time.monotonic() + 120
        while handle.progress.done < 2:
            assert time.monotonic() < deadline, "the sweep did not start"
            time.sleep(0.05)
        _restart(own_postgres)
        result = handle.result(timeout=300)
        assert result.counts() == {"succeeded": CELLS}
        assert len(server.state.jobs._jobs) == CELLS  # each cell paid once
