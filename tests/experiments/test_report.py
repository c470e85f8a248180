"""The report and the grid: self-contained, every output shown and labelled, small, no secrets."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sweep_helpers import KEY

import phota_widgets as pw
from phota_widgets.experiments import SweepResult
from phota_widgets.local import LocalServer


class Figures(HTMLParser):
    """Collects every output figure (its id and image source) and every external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.outputs: dict[str, str] = {}
        self.external: list[str] = []
        self.headers: list[str] = []
        self._current: str | None = None
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "figure" and values.get("data-output-id"):
            self._current = values["data-output-id"]
        if tag == "img" and self._current is not None:
            self.outputs[self._current] = values.get("src") or ""
        for name in ("src", "href"):
            value = values.get(name) or ""
            if value and not value.startswith("data:"):
                self.external.append(value)
        self._in_th = tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._current = None
        if tag == "th":
            self._in_th = False

    def handle_data(self, data: str) -> None:
        if self._in_th and data.strip():
            self.headers.append(data.strip())


@pytest.fixture(scope="module")
def hundred(server: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SweepResult]:
    """A sweep of 25 cells x 4 images = 100 outputs."""
    folder = tmp_path_factory.mktemp("hundred")
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=folder) as s:
        result = s.sweep(
            "generate",
            prompts=[f"a kite over hill {i}" for i in range(5)],
            aspect_ratio=["1:1", "16:9", "9:16", "4:3", "3:4"],
            num_output_images=4,
            progress=False,
            confirm=True,  # $9 on the real-API code path: said yes in advance
        )
        yield result


def test_the_report_parses_and_shows_every_output_labelled(
    hundred: SweepResult, tmp_path: Path
) -> None:
    assert hundred.images == 100
    first = hundred.to_dataframe()["output_id"].iloc[0]
    hundred.pick(first)
    path = hundred.export_html(tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    parser = Figures()
    parser.feed(page)
    parser.close()
    ids = set(hundred.to_dataframe()["output_id"])
    assert set(parser.outputs) == ids and len(ids) == 100
    assert all(src.startswith("data:image/jpeg;base64,") for src in parser.outputs.values())
    assert parser.external == []  # no network: every image inlined
    for ratio in ("1:1", "16:9", "9:16", "4:3", "3:4"):
        assert f"aspect_ratio={ratio}" in parser.headers  # one column per value, in the header
    for prompt in (f"a kite over hill {i}" for i in range(5)):
        assert prompt in parser.headers  # one row per prompt
    assert "num_output_images=4" in page  # the fixed setting, said once above
    assert "★ picked" in page and page.count("★ picked") == 1
    for total in ("calls", "images", "cost", "time"):
        assert f">{total}</th>" in page
    assert KEY not in page


def test_a_hundred_output_report_is_small(hundred: SweepResult, tmp_path: Path) -> None:
    size = hundred.export_html(tmp_path / "r.html").stat().st_size
    assert size < 5_000_000, size
    shown = hundred.show()._repr_html_()
    assert len(shown) < 2_000_000 and shown.count("<img") == 100


def test_nothing_secret_reaches_the_store_or_the_table(hundred: SweepResult) -> None:
    root = hundred.session.store.root
    with sqlite3.connect(root / "runs.sqlite3") as db:
        dump = "\n".join(db.iterdump())
    assert "sweep_cells" in dump and KEY not in dump
    assert KEY not in hundred.to_dataframe().to_csv() and KEY not in repr(hundred)


def test_snippet_reproduces_the_call(hundred: SweepResult, server: LocalServer) -> None:
    row = hundred.to_dataframe().iloc[7]
    code = hundred.snippet(row["output_id"])
    record = hundred.session.store.get(row["run_id"])
    for name, value in record.params.items():
        assert f"    {name}={value!r}," in code
    assert f"result.images[{row['output_id'].split(':')[1]}]" in code
    namespace: dict[str, object] = {}
    session = pw.Session(
        api_key=KEY, base_url=server.base_url, output_dir=hundred.session.store.root
    )
    try:
        assert str(hundred.session.store.root) not in code  # no machine path
        assert f"s = pw.Session(output_dir={hundred.session.store.root.name!r})" in code
        exec(  # the snippet runs as written (its Session pointed at the test server)
            code.replace(f"pw.Session(output_dir={hundred.session.store.root.name!r})", "session"),
            {"session": session},
            namespace,
        )
        result = namespace["result"]
        assert isinstance(result, pw.Result) and len(result.images) == 4
        assert result.request["aspect_ratio"] == row["aspect_ratio"]
    finally:
        session.close()


def test_snippet_store_urls_never_carry_a_password() -> None:
    from phota_widgets.experiments.sweeps.table import _without_password

    assert _without_password("s3://key:s3cret@bucket/runs") == "s3://key:***@bucket/runs"
    assert _without_password("https://u:pw@host:8443/x") == "https://u:***@host:8443/x"
    assert _without_password("s3://bucket/runs") == "s3://bucket/runs"
