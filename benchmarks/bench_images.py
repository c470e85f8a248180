"""Image work: upload preparation, thumbnails, the embedded edit, and each endpoint at 12 MP.

References are plain Pillow doing the least the same job needs (read a header; decode, resize
and encode), measured in the same run.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

from PIL import Image

import phota_widgets as pw
from benchmarks.harness import (
    TWELVE_MP,
    TWENTY_FOUR_MP,
    Config,
    Figure,
    interleaved,
    model_server,
    photo_bytes,
)


def pillow_resave(data: bytes, long_side: int) -> Callable[[], bytes]:
    """Plain Pillow: decode (drafted), fit the long side, encode as JPEG."""

    def work() -> bytes:
        opened = Image.open(io.BytesIO(data))
        opened.draft("RGB", (long_side, long_side))
        img = opened.convert("RGB")
        img.thumbnail((long_side, long_side), Image.Resampling.BICUBIC)
        if max(img.size) < long_side:
            scale = long_side / max(img.size)
            img = img.resize((round(img.width * scale), round(img.height * scale)))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=90)
        return out.getvalue()

    return work


def run(config: Config) -> list[Figure]:
    """Upload preparation, thumbnails, edit speed, server speed per endpoint."""
    from phota_widgets.api.images import to_wire
    from phota_widgets.api.thumbnails import thumbnail_jpeg

    twelve = photo_bytes("coffee.jpg", TWELVE_MP)
    style = photo_bytes("rocket.jpg", TWELVE_MP)
    big = photo_bytes("chelsea.jpg", TWENTY_FOUR_MP)
    repeats = config.repeats
    times = interleaved(
        {
            "prep24": lambda: to_wire(big),
            "pillow24": pillow_resave(big, 4096),
            "prep12": lambda: to_wire(twelve),
            "header12": lambda: Image.open(io.BytesIO(twelve)).size,
            "thumb": lambda: thumbnail_jpeg(twelve),
            "pillow_thumb": pillow_resave(twelve, 512),
        },
        repeats,
    )
    figures = [
        Figure(
            "upload preparation of a 24 MP JPEG vs Pillow decode+fit+encode",
            times["prep24"], times["pillow24"], "s", "<= 1.5x",
            times["prep24"] <= 1.5 * times["pillow24"],
        ),
        Figure(
            "upload preparation of an unchanged 12 MP JPEG vs reading its header",
            times["prep12"], times["header12"], "s", "<= 3x",
            times["prep12"] <= 3 * times["header12"],
        ),
        Figure(
            "thumbnail of a 12 MP JPEG vs plain Pillow",
            times["thumb"], times["pillow_thumb"], "s", "<= 1.2x",
            times["thumb"] <= 1.2 * times["pillow_thumb"],
        ),
    ]  # fmt: skip
    figures.append(_edit_in_process(twelve, repeats))
    figures.extend(_endpoints(config, twelve, style))
    return figures


def _edit_in_process(photo: bytes, repeats: int) -> Figure:
    """The embedded server's edit path (decode, steps, encode) without HTTP."""
    from phota_widgets.api.models import EditRequest
    from phota_widgets.local import render
    from phota_widgets.local.profiles import ProfileRegistry, TrainingDurations

    registry = ProfileRegistry(TrainingDurations())
    request = EditRequest(
        prompt="make it warmer and brighter with more contrast",
        images=[base64.b64encode(photo).decode()],
        resolution="4K",
    )

    def edit() -> None:
        render.render(request, [render.decode(photo, "image", 4096)], registry)

    times = interleaved({"edit": edit, "pillow": pillow_resave(photo, 4096)}, repeats)
    return Figure(
        "embedded edit, 12 MP photo to 4K output (in process) vs Pillow decode+fit+encode",
        times["edit"], times["pillow"], "s", "< 0.6 s", times["edit"] < 0.6,
    )  # fmt: skip


def _endpoints(config: Config, photo: bytes, style: bytes) -> list[Figure]:
    """Each endpoint over HTTP against the server process (no modelled latency or processing)."""
    bare = Config(config.quick, config.repeats, processing=0.0, latency=0.0)
    with (
        model_server(bare) as server,
        pw.PhotaClient(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        calls = {
            "enhance": lambda: client.enhance(photo),
            "remix": lambda: client.remix(photo, style),
            "edit": lambda: client.edit("warmer and brighter", photo, resolution="4K"),
            "generate": lambda: client.generate("a red barn", resolution="4K"),
        }
        references = {
            "enhance": pillow_resave(photo, 2048),
            "remix": pillow_resave(photo, 2048),
            "edit": pillow_resave(photo, 4096),
            "generate": pillow_resave(photo, 4096),
        }
        measured = interleaved(
            {**calls, **{f"ref-{k}": v for k, v in references.items()}}, max(2, config.repeats // 2)
        )
    what = {"enhance": "12 MP", "remix": "12 MP", "edit": "12 MP to 4K", "generate": "4K"}
    targets = {"enhance": 1.0, "remix": 1.0, "edit": 1.0, "generate": 2.0}
    return [
        Figure(
            f"server {name} at {what[name]} over HTTP vs Pillow decode+fit+encode",
            measured[name], measured[f"ref-{name}"], "s", f"< {targets[name]:g} s",
            measured[name] < targets[name],
        )
        for name in calls
    ]  # fmt: skip
