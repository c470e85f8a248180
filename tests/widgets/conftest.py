"""Fixtures of the widget tests: one embedded server per module, a fresh Session per test.

Sessions use the real-API code path (``api_key`` + ``base_url``) with a planted key, so the
tests can search every widget's state for it.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
import traitlets

import phota_widgets as pw
from phota_widgets.local import TrainingDurations
from phota_widgets.widgets._common import ui_executor

KEY = "sk-planted-SECRET-1234567890"
DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def server() -> Iterator[pw.LocalServer]:
    """One embedded server for the module; profiles train at once."""
    with pw.LocalServer(api_key=KEY, training=TrainingDurations(0.0, 0.0, 0.0)) as srv:
        yield srv


@pytest.fixture(scope="module")
def slow_server() -> Iterator[pw.LocalServer]:
    """An embedded server that answers every request after 2 s (for Cancel)."""
    with pw.LocalServer(api_key=KEY, faults=pw.Faults(latency=2.0)) as srv:
        yield srv


def _session(srv: pw.LocalServer, folder: Path) -> Any:
    return pw.Session(api_key=KEY, base_url=srv.base_url, output_dir=folder)


@pytest.fixture
def session(server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """A Session on the module's server, storing runs under tmp_path."""
    s = _session(server, tmp_path / "runs")
    yield s
    s.close()


@pytest.fixture
def slow_session(slow_server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """A Session whose every request takes 2 s."""
    s = _session(slow_server, tmp_path / "slow-runs")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _close_widgets() -> Iterator[None]:
    """Each test starts without the previous tests' widgets."""
    yield
    ipywidgets.Widget.close_all()


@pytest.fixture
def data() -> Path:
    """The folder of sample photos."""
    return DATA


def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture
def eventually() -> Callable[..., bool]:
    """``eventually(check, timeout=5.0)``: poll ``check`` until it holds or time runs out."""
    return _eventually


def _settle(timeout: float = 10.0) -> None:
    ui_executor().submit(lambda: None).result(timeout)


@pytest.fixture
def settle() -> Callable[..., None]:
    """``settle(timeout=10.0)``: wait until the UI thread has made every widget update queued so
    far (a click's updates are queued before the click returns)."""
    return _settle


def tree(*widgets: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    """The widgets, everything inside them, and their layouts."""
    found: list[ipywidgets.Widget] = []
    for widget in widgets:
        found.append(widget)
        layout = getattr(widget, "layout", None)
        if isinstance(layout, ipywidgets.Widget):
            found.append(layout)
        found += tree(*getattr(widget, "children", ()))
    return found


class Writers:
    """Records which thread writes each trait of some widgets (and of the children they get)."""

    def __init__(self) -> None:
        self.threads: dict[str, set[str]] = defaultdict(set)
        self._watched: set[int] = set()

    def watch(self, widgets: Iterable[ipywidgets.Widget]) -> Writers:
        for widget in widgets:
            if id(widget) in self._watched:
                continue
            self._watched.add(id(widget))
            name = f"{type(widget).__name__}#{len(self._watched)}"
            widget.observe(lambda change, n=name: self._record(n, change), names=traitlets.All)
        return self

    def _record(self, name: str, change: Any) -> None:
        self.threads[f"{name}.{change['name']}"].add(threading.current_thread().name)
        if change["name"] == "children":  # new rows, cells, thumbnails: watched from now on
            self.watch(tree(*change["new"]))

    def single(self, *, clicked: tuple[str, ...] = ()) -> str:
        """The one thread that wrote every watched trait (fails naming the traits if not).

        Args:
            clicked: widget types whose ``value`` the test sets as a person would (not counted).
        """
        written = {
            k: v for k, v in self.threads.items() if not k.endswith(".value") or
            k.split("#")[0] not in clicked
        }  # fmt: skip
        assert written, "nothing was written"
        counts: dict[str, int] = defaultdict(int)
        for threads in written.values():
            for thread in threads:
                counts[thread] += 1
        main = max(counts, key=counts.__getitem__)
        others = {k: v for k, v in written.items() if v != {main}}
        assert not others, f"written by threads other than {main}: {others}"
        return main


@pytest.fixture
def writers() -> Callable[..., Writers]:
    """``writers(*widgets)``: start recording the writer threads of these widgets' trees."""
    return lambda *widgets: Writers().watch(tree(*widgets))
