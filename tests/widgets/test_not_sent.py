"""Failures told as they happened: a request that never left is "not sent", never "kept".

With a key and no network (a closed loopback port), nothing reaches a server, so nothing is
charged: the run ends failed as "not sent (nothing was charged): <why>", there is nothing to
collect, and running it again is safe.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.widgets.generate import GeneratePanel

KEY = "sk-planted-SECRET-1234567890"
NOT_SENT = "not sent (nothing was charged)"


@pytest.fixture
def closed_port_url() -> str:
    """An API root on a loopback port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/phota"


@pytest.fixture
def offline_session(closed_port_url: str, tmp_path: Path) -> Iterator[pw.Session]:
    with pw.Session(api_key=KEY, base_url=closed_port_url, output_dir=tmp_path) as session:
        yield session


def test_a_session_run_that_never_left_is_not_sent_and_not_kept(
    offline_session: pw.Session,
) -> None:
    with pytest.raises(pw.NotSentError) as raised:
        offline_session.generate("a lighthouse at night")
    assert str(raised.value).startswith(NOT_SENT) and "refused" in str(raised.value).lower()
    assert KEY not in str(raised.value)
    (run,) = offline_session.store.runs()
    assert run.status == "failed" and run.error is not None and run.error.startswith(NOT_SENT)
    assert offline_session.store.pending_jobs() == []  # nothing to collect, for ever or not
    assert offline_session.resume() == []
    history = offline_session.history.to_dataframe()
    assert history.loc[0, "status"] == "failed" and NOT_SENT in history.loc[0, "error"]


def test_a_sync_run_that_never_left_is_not_sent(closed_port_url: str, tmp_path: Path) -> None:
    with pw.Session(
        api_key=KEY, base_url=closed_port_url, output_dir=tmp_path, use_jobs=False
    ) as session:
        with pytest.raises(pw.NotSentError):
            session.generate("a lighthouse at noon")
        (run,) = session.store.runs()
        assert run.status == "failed" and run.error is not None and NOT_SENT in run.error


def test_the_run_button_says_not_sent_and_offers_nothing_to_collect(
    offline_session: pw.Session,
) -> None:
    panel = GeneratePanel(offline_session)
    panel.prompt.value = "a lighthouse in a storm"
    panel.run_button.click()
    assert panel.wait(timeout=60) is None
    assert escape(NOT_SENT) in panel.status.value
    assert "don't run it again" not in panel.status.value
    assert "kept" not in panel.status.value
    assert panel.collect_button.layout.display == "none"  # nothing was kept
    (run,) = offline_session.store.runs()
    assert run.status == "failed" and run.error is not None and run.error.startswith(NOT_SENT)
    panel.run_button.click()  # it can be run again: a second, honest "not sent"
    assert panel.wait(timeout=60) is None
    assert escape(NOT_SENT) in panel.status.value
    assert [r.status for r in offline_session.store.runs()] == ["failed", "failed"]
