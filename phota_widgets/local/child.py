"""The embedded server's own process: ``python -m phota_widgets.local.child``.

It reads its settings (one JSON line, the key among them) from standard input, serves on the
listening socket its parent handed over (so requests queue there while it starts), writes
``{"port": N}`` as one line to standard output once it answers, then reads standard input until
it ends.
Its parent holds the other end of that pipe: when the parent closes it, exits or is killed (even
with SIGKILL), the pipe ends and this process stops its server and exits. It is never orphaned.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any


def serve(settings: dict[str, Any]) -> None:
    """Serve until standard input ends."""
    from phota_widgets.local.faults import Faults
    from phota_widgets.local.limits import Limits
    from phota_widgets.local.profiles import TrainingDurations
    from phota_widgets.local.server import LocalServer

    training = settings.get("training")
    limits = settings.get("limits")
    server = LocalServer(
        api_key=settings["api_key"],
        faults=Faults(latency=float(settings.get("latency", 0.0))),
        data_dir=settings.get("data_dir"),
        training=TrainingDurations(**training) if training else None,
        queue_delay=float(settings.get("queue_delay", 0.0)),
        processing=float(settings.get("processing", 0.0)),
        limits=Limits(**limits) if limits else None,
    )
    server.start(socket.socket(fileno=int(settings["fd"])))
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may fill the pipe the parent stopped reading
    try:
        out.write(json.dumps({"port": server.port}) + "\n")
        out.flush()
    except BrokenPipeError:  # the parent is gone already
        server.stop()
        return
    try:
        while sys.stdin.buffer.read(65536):
            pass  # the parent never writes more; this returns b"" when it is gone
    finally:
        server.stop()


def main() -> None:
    """Entry point: settings from the first line of standard input."""
    line = sys.stdin.buffer.readline()
    if not line:
        return
    serve(json.loads(line))


if __name__ == "__main__":
    main()
