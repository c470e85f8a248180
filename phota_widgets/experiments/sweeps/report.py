"""A sweep as static HTML: the labelled grid, and the self-contained report around it.

Rows are prompts (or inputs), columns are variants (the swept settings and vars that vary); the
fixed settings are said once above. Every output of a cell is in its grid square, as an inlined
JPEG thumbnail, never the full image, so a report of 100 outputs stays a few megabytes at most.

The grid fits the page's width: the columns share it equally, a square's images sit side by
side (up to ``PER_ROW`` in a row) and shrink with it, and a click on an image enlarges it (a
click again shrinks it: a hidden checkbox and one small style sheet, no script). No scripts and
no network: it opens the same in any browser. The report adds the leaderboard overall and, when
more than one thing is swept, one per swept setting or var (``leaderboard(by=...)``).
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from phota_widgets.api.provenance import server_label
from phota_widgets.api.thumbnails import data_uri
from phota_widgets.display import offline_banner
from phota_widgets.experiments.review.report import output_extras, review_boards_html
from phota_widgets.experiments.scoring.report_parts import badge_html, rates_html
from phota_widgets.files import atomic_write

if TYPE_CHECKING:
    from phota_widgets.display import HTMLView
    from phota_widgets.experiments.sweeps.cells import SweepCell
    from phota_widgets.experiments.sweeps.result import SweepResult

PROMPT_CHARS = 160
REPORT_PX = 512
"""Longest side of a report's thumbnails: shown small in the grid, this size when clicked."""
PER_ROW = 4
"""Most images side by side in one grid square (more wrap onto the next line)."""
LABEL_PX = 150
"""Width of the row labels (prompts and inputs)."""
_CELL = "border:1px solid #ddd;padding:4px;vertical-align:top;overflow-wrap:anywhere"
ZOOM_CSS = (
    ".phota-zoom{display:block;margin:0;cursor:zoom-in}"
    ".phota-zoom input{display:none}"
    ".phota-zoom img{display:block;width:100%;height:auto}"
    ".phota-zoom input:checked+img{position:fixed;z-index:1000;top:4vh;left:4vw;width:92vw;"
    "height:92vh;max-width:none;object-fit:contain;background:rgba(20,20,20,.92);"
    "cursor:zoom-out;border:0}"
)
"""Click to enlarge without a script: a checked box shows its image over the page."""
_STATUS_COLOURS = {"failed": "#b00020", "pending": "#777", "submitted": "#8a6d00"}


def grid_html(result: SweepResult, max_px: int = 192) -> str:
    """The grid as an HTML table (class ``phota-sweep-grid``) as wide as the page, no wider."""
    variants = result.variants
    rows: dict[tuple[str | None, str | None], dict[str, list[SweepCell]]] = {}
    for cell in result.cells:
        row = rows.setdefault((cell.info.template, cell.info.input), {})
        row.setdefault(cell.info.variant, []).append(cell)
    per_row = min(
        PER_ROW,
        max(
            (_shown(cells) for by_variant in rows.values() for cells in by_variant.values()),
            default=1,
        ),
    )
    head = "".join(
        f'<th style="{_CELL}">{"<br/>".join(escape(p) for p in v.split(" · "))}</th>'
        for v in variants
    )
    body = []
    for (template, source), by_variant in rows.items():
        label = _row_label(template, source)
        squares = "".join(
            f'<td style="{_CELL}">{_square(result, by_variant.get(v, []), max_px, per_row)}</td>'
            for v in variants
        )
        body.append(f'<tr><th style="{_CELL};text-align:left">{label}</th>{squares}</tr>')
    fixed = ", ".join(f"{escape(k)}={escape(v)}" for k, v in result.fixed.items())
    fixed_html = f'<div style="margin:4px 0;font-size:13px">Fixed: {fixed}</div>' if fixed else ""
    return (
        f'<div class="phota-sweep-grid" style="max-width:100%"><style>{ZOOM_CSS}</style>'
        f"{fixed_html}"
        '<table style="border-collapse:collapse;font-size:12px;width:100%;table-layout:fixed">'
        f'<colgroup><col style="width:{LABEL_PX}px"/></colgroup>'
        f'<thead><tr><th style="{_CELL}"></th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _shown(cells: list[SweepCell]) -> int:
    """How many things a grid square shows: each output, or a line for a cell without any."""
    return sum(len(c.outputs) if c.run is not None and c.outputs else 1 for c in cells)


def _row_label(template: str | None, source: str | None) -> str:
    parts = []
    if template is not None:
        text = template if len(template) <= PROMPT_CHARS else template[: PROMPT_CHARS - 1] + "…"
        parts.append(escape(text))
    if source is not None:
        parts.append(f'<span style="color:#555">input {escape(source)}</span>')
    return "<br/>".join(parts) or "(no prompt)"


def _square(result: SweepResult, cells: list[SweepCell], max_px: int, per_row: int) -> str:
    """Every output of the cells of one grid square, side by side, and the state of cells
    without outputs."""
    from phota_widgets.experiments.sweeps.cells import output_id

    width = f"calc({100 / per_row:.4f}% - 4px)"
    parts = []
    for cell in cells:
        if cell.run is not None and cell.outputs:
            for record in cell.outputs:
                oid = output_id(cell.run.run_id, record.index)
                thumb = data_uri(result.session.store.thumbnail(record, max_px))
                star = " ★ picked" if record.picked else ""
                caption = f"#{cell.info.repeat + 1}.{record.index + 1}{star}"
                border = "3px solid #1a73e8" if record.picked else "1px solid #eee"
                parts.append(
                    f'<figure class="phota-sweep-output" data-output-id="{escape(oid)}" '
                    f'title="{escape(oid)}" style="margin:2px;display:inline-block;'
                    f'vertical-align:top;text-align:center;width:{width};max-width:{max_px}px">'
                    f'<label class="phota-zoom"><input type="checkbox"/>'
                    f'<img src="{thumb}" alt="{escape(oid)}" style="border:{border};'
                    f'box-sizing:border-box"/></label>'
                    f'<figcaption style="font-size:10px">{escape(caption)}</figcaption>'
                    f"{badge_html(result, oid)}{output_extras(result, oid, max_px)}</figure>"
                )
            continue
        status = cell.status
        text = f"#{cell.info.repeat + 1} {status}"
        if cell.error:
            text += f": {cell.error}"
        colour = _STATUS_COLOURS.get(status, "#555")
        parts.append(
            f'<div class="phota-sweep-{escape(status)}" style="color:{colour};font-size:11px;'
            f'display:inline-block;vertical-align:top;width:{width}">{escape(text)}</div>'
        )
    return "".join(parts)


def summary_rows(result: SweepResult) -> list[tuple[str, str]]:
    """The totals of a sweep as (label, value) rows."""
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.counts().items()))
    rows = [
        ("sweep", result.sweep_id + (f" ({result.name})" if result.name else "")),
        ("endpoint", result.endpoint),
        ("cells", f"{len(result.cells)} ({counts})"),
        ("calls", str(result.calls)),
        ("images", str(result.images)),
        ("cost", f"${result.cost:.2f} (estimated)"),
        ("time", f"{result.seconds:.1f} s of calls"),
        ("picked", str(len(result.picks))),
    ]
    rows += [(f"axis {k}", ", ".join(v)) for k, v in result.axes.items()]
    rows += [(f"fixed {k}", v) for k, v in result.fixed.items()]
    return rows


def _summary_table(result: SweepResult) -> str:
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:12px">{escape(k)}</th>'
        f"<td>{escape(v)}</td></tr>"
        for k, v in summary_rows(result)
    )
    return f'<table class="phota-sweep-summary" style="font-size:13px">{cells}</table>'


def _skipped_html(result: SweepResult) -> str:
    if not result.skipped:
        return ""
    items = "".join(
        "<li>"
        + escape(" · ".join(f"{k}={v}" for k, v in s["settings"].items()))
        + f": {escape(s['reason'])} ({int(s['cells'])} cells)</li>"
        for s in result.skipped
    )
    return f'<div class="phota-sweep-skipped">Skipped, never sent:<ul>{items}</ul></div>'


def grid_view(result: SweepResult, max_px: int = 192) -> HTMLView:
    """The notebook view: title, totals line, grid."""
    from phota_widgets.display import HTMLView

    title = f"Sweep {result.sweep_id}" + (f": {result.name}" if result.name else "")
    line = (
        f"{result.endpoint} · {len(result.cells)} cells · {result.images} images · "
        f"${result.cost:.2f} · {len(result.picks)} picked"
    )
    html = (
        f'<div class="phota-sweep"><div style="font-weight:600">{escape(title)}</div>'
        f'<div style="font-size:12px;color:#555">{escape(line)}</div>'
        f"{grid_html(result, max_px)}{_skipped_html(result)}</div>"
    )
    return HTMLView(html, title)


def _leaderboards(result: SweepResult) -> str:
    """The leaderboard of the variants, then (more than one axis) one per swept axis, then one
    per criterion judged."""
    return review_boards_html(result)


def report_html(result: SweepResult, max_px: int = REPORT_PX) -> str:
    """The whole report page: header, totals, settings, skipped combinations, grid."""
    title = f"Sweep {result.sweep_id}" + (f": {result.name}" if result.name else "")
    made = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{escape(title)}</title></head>\n"
        '<body style="font-family:system-ui,sans-serif;margin:16px">\n'
        f'<h1 style="font-size:20px">{escape(title)}</h1>\n'
        f'<p style="color:#555;font-size:12px">phota-widgets sweep report, made {made}</p>\n'
        f"{offline_notice(result)}\n"
        f"{_summary_table(result)}\n{_skipped_html(result)}\n{grid_html(result, max_px)}\n"
        f"{rates_html(result)}\n{_leaderboards(result)}\n</body></html>\n"
    )


def offline_notice(result: SweepResult) -> str:
    """The banner naming the offline server, when it answered any of the sweep's calls."""
    runs = [cell.run for cell in result.cells if cell.run is not None]
    offline = [run for run in runs if server_label(run.backend)]
    if not offline:
        return ""
    return offline_banner(f"{len(offline)} of the {len(runs)} calls and their images")


def write_report(result: SweepResult, path: Path, max_px: int = REPORT_PX) -> Path:
    """Write the report atomically (folders created) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, report_html(result, max_px).encode("utf-8"))
    return path
