"""Speed of the embedded server's image work on a 12-megapixel photo.

Targets: enhance and remix of a 12 MP photo under 1 s each (on a 2-core machine), both
as a bare call on a decoded image and as the server's whole path (decode the JPEG bytes,
process, encode); generate at 1024 px under 0.3 s. Exits 1 when a target is missed.

Run: ``python benchmarks/bench_engine.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from phota_widgets.local import colour, engine, instructions, retouch, scene  # noqa: E402

DATA = ROOT / "tests" / "data"
SIZE_12MP = (4000, 3000)


def photo_12mp(name: str) -> tuple[Image.Image, bytes]:
    """A sample photo upscaled to 12 MP, decoded and as JPEG bytes (quality 92)."""
    img = Image.open(DATA / name).convert("RGB").resize(SIZE_12MP, Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return img, buf.getvalue()


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Run once to warm up, then `repeat` times; return (median, best) seconds."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case")
    args = parser.parse_args()

    img, data = photo_12mp("rocket.jpg")
    ref, ref_data = photo_12mp("coffee.jpg")
    edit = instructions.parse("brighter, warmer, more contrast, crop to 16:9, vignette")
    img_2k = engine.scale_to_long_side(img, 2048)

    def enhance_path() -> bytes:
        src = engine.decode_image(data, max_side=2048)
        return engine.encode(retouch.enhance(src), "jpg")

    def remix_path() -> bytes:
        src = engine.decode_image(data, max_side=2048)
        style = engine.decode_image(ref_data, max_side=512)
        return engine.encode(colour.remix(src, style), "jpg")

    cases: list[tuple[str, Callable[[], object], float | None]] = [
        ("decode 12 MP JPEG (full size)", lambda: engine.decode_image(data), None),
        (
            "decode 12 MP JPEG (max_side=2048)",
            lambda: engine.decode_image(data, max_side=2048),
            None,
        ),
        ("enhance 12 MP image -> 2K", lambda: retouch.enhance(img), 1.0),
        ("remix 12 MP image + 12 MP reference -> 2K", lambda: colour.remix(img, ref), 1.0),
        ("enhance path: decode + enhance + encode jpg", enhance_path, 1.0),
        ("remix path: decode x2 + remix + encode jpg", remix_path, 1.0),
        ("edit: 5 operations on a 2K image", lambda: instructions.apply(img_2k, edit), None),
        ("generate 1024 x 1024", lambda: scene.generate("a red car at sunset", (1024, 1024)), 0.3),
        ("generate 4096 x 4096", lambda: scene.generate("a red car at sunset", (4096, 4096)), None),
        ("encode 2K png", lambda: engine.encode(img_2k, "png"), None),
    ]
    failed = []
    print(f"{'case':48s} {'median':>9s} {'best':>9s}  target")
    for name, fn, target in cases:
        median, best = measure(fn, args.repeat)
        verdict = (
            "" if target is None else f"< {target:.2f} s " + ("ok" if median < target else "MISSED")
        )
        print(f"{name:48s} {median * 1000:7.0f}ms {best * 1000:7.0f}ms  {verdict}")
        if target is not None and median >= target:
            failed.append(name)
    if failed:
        print(f"targets missed: {', '.join(failed)}")
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
