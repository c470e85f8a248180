"""What every benchmark shares: figures, interleaved medians, sample photos, the model server."""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TWELVE_MP = (4000, 3000)
TWENTY_FOUR_MP = (6000, 4000)


@dataclass(frozen=True)
class Config:
    """How much work a run does.

    Attributes:
        quick: the CI mode: fewer repeats and smaller workloads (the figures are rougher).
        repeats: interleaved repeats per measurement (their median is reported).
        processing: the model server's seconds per job (the real API's are seconds).
        latency: the model server's network seconds per API request (tens of ms).
    """

    quick: bool
    repeats: int
    processing: float
    latency: float

    @classmethod
    def make(cls, quick: bool) -> Config:
        """The quick (CI) or the full configuration."""
        if quick:
            return cls(quick=True, repeats=3, processing=0.8, latency=0.02)
        return cls(quick=False, repeats=7, processing=1.0, latency=0.03)


@dataclass
class Figure:
    """One row of the table: a value, the reference measured in the same run, and the target.

    ``ok`` is whether the target is met (None: informative only, no target).
    """

    name: str
    value: float
    reference: float
    unit: str
    target: str
    ok: bool | None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Value over reference."""
        return self.value / self.reference if self.reference else float("nan")

    @property
    def verdict(self) -> str:
        """ok, MISSED, or - (no target)."""
        return {True: "ok", False: "MISSED", None: "-"}[self.ok]

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-able data."""
        return {**asdict(self), "ratio": self.ratio, "verdict": self.verdict}


def skipped(name: str, target: str, why: str) -> Figure:
    """A row for a figure that could not be measured in this run (with the reason)."""
    return Figure(name, float("nan"), float("nan"), "", target, None, note=f"not measured: {why}")


def interleaved(
    calls: dict[str, Callable[[], object]], repeats: int, warmup: bool = True
) -> dict[str, float]:
    """Median seconds of each call, the calls taking turns (so load hits them alike)."""
    if warmup:
        for call in calls.values():
            call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def photo_bytes(name: str, size: tuple[int, int], quality: int = 90) -> bytes:
    """A sample photo resized to ``size``, as camera JPEG bytes."""
    img = Image.open(DATA / name).convert("RGB").resize(size, Image.Resampling.BICUBIC)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality)
    return out.getvalue()


@contextmanager
def model_server(config: Config, **extra: Any) -> Iterator[Any]:
    """The embedded server in its own process, modelling the real API's timings."""
    from phota_widgets.local import ServerProcess

    options = {"latency": config.latency, "processing": config.processing, **extra}
    with ServerProcess(**options).start(wait=True) as server:
        yield server


def memory_mb(pid: int | str = "self") -> tuple[float, float]:
    """(peak, current) resident memory of a process in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def table(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table (benchmarks/RESULTS.md keeps the last full run's)."""
    rows = [
        "| figure | value | reference | ratio | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        if f.value != f.value:  # NaN: not measured
            rows.append(f"| {f.name} | - | - | - | {f.target} | {f.note} |")
            continue
        verdict = f.verdict + (f" ({f.note})" if f.note else "")
        rows.append(
            f"| {f.name} | {_fmt(f.value, f.unit)} | {_fmt(f.reference, f.unit)} "
            f"| {f.ratio:.2f}x | {f.target} | {verdict} |"
        )
    return "\n".join(rows)


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        if value < 0.01:
            return f"{value * 1000:.2f} ms"
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit in ("MB", "kB"):
        return f"{value:.0f} {unit}"
    return f"{value:.3g} {unit}".strip()
