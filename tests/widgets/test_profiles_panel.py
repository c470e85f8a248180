"""ProfilesPanel: train from files or URLs, watch status to READY, confirm before delete, filter.

The panel writes its widgets on the UI thread: a test waits for ``last_task`` (its background
work awaits its own widget updates) or ``settle()`` before reading them.
"""

from __future__ import annotations

import io
import json
import shutil
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
from PIL import Image
from upload_helpers import browser_chooses, browser_sends

import phota_widgets as pw
from phota_widgets.api.models import ProfileStatus
from phota_widgets.local.profiles import TrainingDurations
from phota_widgets.widgets.profiles import ProfilesPanel

KEY = "sk-planted-SECRET-1234567890"
DATA = Path(__file__).parent.parent / "data"
PHOTOS = sorted(DATA.glob("*.jpg"))


@pytest.fixture(scope="module")
def server() -> Iterator[pw.LocalServer]:
    srv = pw.LocalServer(api_key=KEY, training=TrainingDurations(0.2, 0.2, 0.4))
    yield srv.start()
    srv.stop()


@pytest.fixture
def local_session(server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """A session on the embedded server itself (``is_local``: trains from local files)."""
    s = pw.Session(output_dir=tmp_path / "local", local_server=server)
    yield s
    s.close()  # stops the server; the next fixture starts it again


@pytest.fixture
def remote_session(server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """The real-API code path (a planted key and a base_url): trains from public URLs only."""
    server.start()
    s = pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "remote")
    yield s
    s.close()


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


def requests_sent(session: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every HTTP request the session's client sends from now on."""
    sent: list[str] = []
    transport = session.aclient.transport
    request = transport.request

    async def recording(method: str, path: str, **kwargs: Any) -> Any:
        sent.append(f"{method} {path}")
        return await request(method, path, **kwargs)

    monkeypatch.setattr(transport, "request", recording)
    return sent


def listed(session: Any) -> set[str]:
    return {p.profile_id for p in session.client.profiles.list()}


def html_text(widget: ipywidgets.Widget) -> str:
    """Every HTML value inside a widget tree."""
    text = widget.value if isinstance(widget, ipywidgets.HTML) else ""
    return text + "".join(html_text(c) for c in getattr(widget, "children", ()))


def upload(panel: ProfilesPanel, paths: list[Path]) -> None:
    """What a browser upload does: a new choice, each file sent in parts."""
    browser_chooses(panel.upload, len(paths))
    for path in paths:
        browser_sends(panel.upload, path.name, path.read_bytes())


def test_create_from_local_files_watch_and_delete(
    local_session: Any, tmp_path: Path, settle: Callable[[], None]
) -> None:
    panel = ProfilesPanel(local_session)
    panel.last_task.result(timeout=10)
    assert panel.poll_interval == 2.0
    panel.poll_interval = 0.1
    assert "also trains from photos you upload" in html_text(panel)
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in PHOTOS[:3]:
        shutil.copy(photo, folder / photo.name)
    (folder / "notes.txt").write_text("not a photo")
    upload(panel, PHOTOS[:2])
    panel.folder.value = str(folder)
    panel.tier.value = "fast"
    settle()
    assert "fast: 5–10 images" in panel.tier_rule.value
    panel.tag.value = "family"
    local_session.profiles()  # fill the session's cache: create must drop it
    generate = pw.GeneratePanel(local_session)  # another tab's profile picker
    panel.create_button.click()
    profile_id = panel.last_task.result(timeout=20)
    offered = lambda: [v for _, v in generate.prompt_box.picker.options]  # noqa: E731
    assert eventually(lambda: profile_id in offered())  # told of the new profile, no reload
    assert isinstance(profile_id, str) and profile_id in panel.rows
    assert profile_id in {p.profile_id for p in local_session.profiles()}  # cache was dropped
    assert panel.upload.files == () and panel.folder.value == "" and panel.error.value == ""
    row = panel.rows[profile_id]
    assert eventually(lambda: row.state is ProfileStatus.READY and bool(row.picture.value))
    assert "READY" in row.info.value and "family" in row.info.value
    picture = Image.open(io.BytesIO(row.picture.value))
    assert picture.format == "JPEG" and max(picture.size) <= 96

    task = panel.last_task
    row.delete_button.click()  # first click only asks
    settle()
    assert row.confirm_box.layout.display == "flex" and row.delete_button.disabled
    time.sleep(0.2)
    assert panel.last_task is task and profile_id in listed(local_session)
    row.cancel_button.click()
    settle()
    assert row.confirm_box.layout.display == "none" and profile_id in listed(local_session)
    row.delete_button.click()
    row.confirm_button.click()
    assert panel.last_task is not task
    assert panel.last_task.result(timeout=10) is True
    assert profile_id not in panel.rows and profile_id not in listed(local_session)
    assert profile_id not in {p.profile_id for p in local_session.profiles()}
    assert row not in panel.table.children
    panel.close()


def test_create_clears_only_the_sources_left_as_they_were_sent(
    local_session: Any, tmp_path: Path
) -> None:
    panel = ProfilesPanel(local_session)
    panel.last_task.result(timeout=10)
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in PHOTOS[:3]:
        shutil.copy(photo, folder / photo.name)
    upload(panel, PHOTOS[:2])
    panel.folder.value = str(folder)
    panel.tier.value = "fast"
    future = panel.create()
    panel.folder.value = "/the/next/folder"  # typed while the first profile is sent
    profile_id = future.result(timeout=20)
    assert isinstance(profile_id, str), panel.error.value
    assert panel.folder.value == "/the/next/folder"  # not wiped: it was not sent
    assert panel.upload.files == ()  # sent and unchanged: cleared
    upload(panel, PHOTOS[:5])
    future = panel.create()  # a bad folder now: refused, nothing cleared
    upload(panel, PHOTOS[:1])  # a new choice meanwhile
    assert future.result(timeout=20) is None
    assert "does not exist" in panel.error.value
    assert len(panel.upload.files) == 1 and panel.folder.value == "/the/next/folder"
    panel.close()


def test_a_login_lays_the_panel_out_for_the_real_api(
    server: pw.LocalServer, tmp_path: Path
) -> None:
    with pw.LocalServer(training=TrainingDurations(0.0, 0.0, 0.0)) as stand_in:
        session = pw.Session(output_dir=tmp_path / "s", local_server=stand_in)
        try:
            mine = session.client.profiles.add((PHOTOS + PHOTOS)[:5], training_tier="fast")
            panel = ProfilesPanel(session)
            panel.last_task.result(timeout=10)
            assert mine in panel.rows and "also trains from photos you upload" in html_text(panel)
            server.start()
            session.use_key(KEY, server.base_url)  # what LoginBox does
            remote = lambda: "public image URLs" in html_text(panel)  # noqa: E731
            assert eventually(remote)
            assert eventually(lambda: mine not in panel.rows)  # the stand-in's profile left
            assert panel.upload not in _descendants(panel)
        finally:
            session.close()


def refused_create(session: Any, monkeypatch: pytest.MonkeyPatch, urls: list[str]) -> Any:
    """Fill the create form with ``urls`` (fast tier), click Create, and check nothing was sent."""
    panel = ProfilesPanel(session)
    panel.last_task.result(timeout=10)
    before = listed(session)
    sent = requests_sent(session, monkeypatch)
    panel.tier.value = "fast"
    panel.urls.value = "\n".join(urls) + "\n\n"
    panel.create_button.click()
    assert panel.last_task.result(timeout=10) is None
    assert "Not sent" in panel.error.value
    assert not [r for r in sent if r.startswith("POST")]  # refused before sending anything
    assert listed(session) == before
    return panel


def test_wrong_image_count_refused_before_sending(
    remote_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = [f"https://example.com/{i}.jpg" for i in range(3)]
    panel = refused_create(remote_session, monkeypatch, urls)
    assert panel.poll_interval == 15.0
    assert "Phota trains profiles from public image URLs" in html_text(panel)
    assert panel.upload not in _descendants(panel)  # local files only on the local server
    assert "A fast profile is trained from 5 to 10 photos of one person; 3 were given." in (
        panel.error.value
    )
    assert "training_tier" not in panel.error.value.lower()  # a sentence, not a field name
    assert "no profile created" in panel.status.value and not panel.create_button.disabled
    panel.close()


def test_local_files_refused_by_the_real_api_path(
    remote_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [str(p) for p in (PHOTOS + PHOTOS)[:5]]
    panel = refused_create(remote_session, monkeypatch, paths)
    assert "image_urls[0]" in panel.error.value
    assert "public http(s) image URLs" in panel.error.value
    panel.close()


def test_server_refusal_is_shown(local_session: Any) -> None:
    panel = ProfilesPanel(local_session)
    panel.last_task.result(timeout=10)
    panel.tier.value = "fast"
    panel.urls.value = "\n".join(str(p) for p in (PHOTOS + PHOTOS)[:5])
    panel.tag.value = "x" * 200  # over 128 characters: the wire model refuses it
    panel.create_button.click()
    assert panel.last_task.result(timeout=10) is None
    assert "Not sent" in panel.error.value and "tag" in panel.error.value
    assert not panel.create_button.disabled
    panel.close()


def test_tag_filter(local_session: Any) -> None:
    alpha, beta = f"alpha-{uuid.uuid4().hex[:6]}", f"beta-{uuid.uuid4().hex[:6]}"
    images = (PHOTOS + PHOTOS)[:5]
    a = local_session.client.profiles.add(images, training_tier="fast", tag=alpha)
    b = local_session.client.profiles.add(images, training_tier="fast", tag=beta)
    panel = ProfilesPanel(local_session)
    panel.last_task.result(timeout=10)
    assert {a, b} <= set(panel.rows)
    panel.tag_filter.value = alpha
    panel.last_task.result(timeout=10)
    assert list(panel.rows) == [a]
    assert alpha in panel.status.value
    panel.tag_filter.value = "no-such-tag"
    panel.last_task.result(timeout=10)
    assert panel.rows == {} and "No profiles" in html_text(panel.table)
    panel.refresh_button.click()
    panel.last_task.result(timeout=10)
    assert panel.rows == {}
    panel.tag_filter.value = ""
    panel.last_task.result(timeout=10)
    assert {a, b} <= set(panel.rows)
    panel.close()


def test_polling_stops_when_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = TrainingDurations(30.0, 30.0, 30.0)  # still VALIDATING for the whole test
    with (
        pw.LocalServer(api_key=KEY, training=slow) as srv,
        pw.Session(api_key=KEY, base_url=srv.base_url, output_dir=tmp_path) as s,
    ):
        with pw.PhotaClient(KEY, srv.base_url, inline_training_images=True) as trainer:
            pid = trainer.profiles.add((PHOTOS + PHOTOS)[:5], training_tier="fast")
        calls: list[str] = []
        status = s.aclient.profiles.status

        async def counting(profile_id: str) -> Any:
            calls.append(profile_id)
            return await status(profile_id)

        monkeypatch.setattr(s.aclient.profiles, "status", counting)
        panel = ProfilesPanel(s)
        panel.poll_interval = 0.05
        panel.last_task.result(timeout=10)
        assert eventually(lambda: len(calls) >= 3, timeout=5)  # it polls while training
        assert calls[0] == pid and panel.rows[pid].state is ProfileStatus.VALIDATING
        panel.close()
        time.sleep(0.15)
        seen = len(calls)
        time.sleep(0.3)
        assert len(calls) == seen


def test_one_thread_writes_the_panel(local_session: Any, writers: Callable[..., Any]) -> None:
    panel = ProfilesPanel(local_session)
    panel.poll_interval = 0.05
    panel.last_task.result(timeout=10)
    seen = writers(panel.status, panel.error, panel.table, panel.create_button, panel.tier_rule)
    panel.tier.value = "fast"
    panel.urls.value = str(PHOTOS[0])
    assert panel.create().result(timeout=10) is None  # refused: one image
    assert "1 was given" in panel.error.value
    upload(panel, (PHOTOS + PHOTOS)[:5])
    profile_id = panel.create().result(timeout=20)
    assert profile_id in panel.rows and panel.upload.files == ()
    row = panel.rows[profile_id]
    assert eventually(lambda: bool(row.picture.value))
    row.ask()
    row.dismiss().result(timeout=10)
    assert panel.delete(profile_id).result(timeout=10) is True
    assert seen.single().startswith("phota-widgets-ui")


def test_no_widget_holds_the_key(remote_session: Any) -> None:
    panel = ProfilesPanel(remote_session)
    panel.last_task.result(timeout=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        widgets = list(ipywidgets.Widget.widgets.values())
    assert panel.create_button in widgets
    for widget in widgets:
        assert KEY not in json.dumps(widget.get_state(), default=str)
    for cls, name in (
        (panel.create_button, "phota-profile-create"),
        (panel.tag_filter, "phota-profile-tag-filter"),
        (panel.tier, "phota-profile-tier"),
    ):
        assert name in cls._dom_classes
    panel.close()


def _descendants(widget: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    out = []
    for child in getattr(widget, "children", ()):
        out += [child, *_descendants(child)]
    return out
