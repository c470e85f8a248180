"""End to end over HTTP: enhance and remix of a 12-megapixel photo through the client and the
embedded server (encode, upload, image work, answer, decode). Target: under 1 s each.

    python benchmarks/bench_server.py
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

import phota_widgets as pw

TARGET_SECONDS = 1.0
SAMPLES = Path(__file__).parent.parent / "phota_widgets" / "data"


def twelve_megapixels(name: str) -> bytes:
    """A sample photo upscaled to 4000 x 3000, as a camera JPEG would be."""
    img = Image.open(SAMPLES / name).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def median_seconds(call: Callable[[], object], runs: int = 5) -> float:
    call()  # warm up connections and caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    photo, style = twelve_megapixels("coffee.jpg"), twelve_megapixels("rocket.jpg")
    with pw.LocalServer() as srv, pw.PhotaClient(api_key=srv.api_key, base_url=srv.base_url) as c:
        cases = {
            "enhance 12 MP over HTTP": lambda: c.enhance(photo).images[0].data,
            "remix 12 MP + 12 MP over HTTP": lambda: c.remix(photo, style).images[0].data,
        }
        ok = True
        for name, call in cases.items():
            seconds = median_seconds(call)
            verdict = "ok" if seconds < TARGET_SECONDS else "OVER TARGET"
            ok &= seconds < TARGET_SECONDS
            print(
                f"{name:32s} {seconds * 1000:7.0f} ms  (target < {TARGET_SECONDS:.0f} s) {verdict}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
