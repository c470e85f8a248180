"""The History tab's report: every run shown, each with all its images, settings and outcome.

One self-contained HTML page (thumbnails inlined, no script): per run its prompt, when, status,
cost and time, the settings it was sent with (inputs counted, never a key), every output with the
picked ones framed and labelled, and for a failed run the error it ended with. Runs made by the
embedded offline server are named as such, at the top of the page and on each run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from phota_widgets.api.provenance import ImageSettings
from phota_widgets.api.thumbnails import data_uri
from phota_widgets.display import HTMLView, offline_banner

if TYPE_CHECKING:
    from phota_widgets.store import OutputRecord, RunRecord, RunStore

REPORT_THUMB_PX = 256
"""Side of each image in the report (thumbnails, never the full images)."""

PICKED_BORDER = "3px solid #2e7d32"


def history_report(store: RunStore, records: Sequence[RunRecord], title: str = "") -> HTMLView:
    """The runs as one report (see the module's description)."""
    heading = title or f"phota-widgets: {len(records)} runs"
    offline = [
        r for r in records if ImageSettings.of_call(r.endpoint, {}, backend=r.backend).server
    ]
    parts = [f"<h2>{escape(heading)}</h2>"]
    if offline:
        parts.append(
            offline_banner(f"{len(offline)} of these {len(records)} runs and their images")
        )
    if not records:
        parts.append('<div class="phota-empty" style="color:#777">No runs.</div>')
    parts += [_run_section(store, record) for record in records]
    return HTMLView("\n".join(parts), heading)


def _run_section(store: RunStore, record: RunRecord) -> str:
    settings = ImageSettings.of_call(record.endpoint, record.params, backend=record.backend)
    when = datetime.fromtimestamp(record.created_at).strftime("%Y-%m-%d %H:%M:%S")
    facts = [record.endpoint, record.status, when, f"run {record.run_id}"]
    if record.cost is not None:
        facts.append(f"~${record.cost:.2f}")
    if record.elapsed is not None:
        facts.append(f"{record.elapsed:.1f}s")
    if settings.server:
        facts.append(settings.server)
    prompt = settings.prompt or "(no prompt)"
    body = [
        f'<h3 style="margin:0 0 4px">{escape(prompt)}</h3>',
        f'<div style="color:#555">{escape(" · ".join(facts))}</div>',
        _settings_table(settings),
    ]
    if record.status == "failed":
        body.append(
            '<div class="phota-run-error" style="color:#b00020;margin:6px 0">'
            f"<b>Failed:</b> {escape(record.error or 'no reason was recorded')}</div>"
        )
    elif record.note:
        body.append(f'<div style="color:#555;margin:6px 0">{escape(record.note)}</div>')
    if record.outputs:
        figures = "".join(_figure(store, output) for output in record.outputs)
        body.append(f'<div style="display:flex;flex-wrap:wrap;gap:8px">{figures}</div>')
    elif record.status != "failed":
        body.append('<div style="color:#777">No images.</div>')
    classes = f"phota-report-run phota-run-{escape(record.status)}"
    return (
        f'<section class="{classes}" style="border-top:1px solid #ddd;padding:10px 0">'
        f"{''.join(body)}</section>"
    )


def _settings_table(settings: ImageSettings) -> str:
    rows: list[tuple[str, Any]] = [(k, v) for k, v in settings.params.items() if k != "prompt"]
    if settings.inputs:
        rows.append(("input images", settings.inputs))
    if not rows:
        return ""
    cells = "".join(
        f'<tr><td style="color:#555;padding-right:12px">{escape(k.replace("_", " "))}</td>'
        f"<td>{escape(str(v))}</td></tr>"
        for k, v in rows
    )
    return f'<table class="phota-run-settings" style="margin:6px 0">{cells}</table>'


def _figure(store: RunStore, output: OutputRecord) -> str:
    try:
        src = data_uri(store.thumbnail(output, max_px=REPORT_THUMB_PX))
        image = f'<img src="{src}" style="max-width:{REPORT_THUMB_PX}px;height:auto"/>'
    except OSError:
        image = '<div style="color:#b00020">image missing from the run store</div>'
    picked = " · picked" if output.picked else ""
    border = PICKED_BORDER if output.picked else "3px solid transparent"
    classes = "phota-report-image" + (" phota-picked" if output.picked else "")
    return (
        f'<figure class="{classes}" style="margin:0;border:{border};padding:2px">{image}'
        f"<figcaption><small>#{output.index} · {output.width}×{output.height}{picked}"
        "</small></figcaption></figure>"
    )
