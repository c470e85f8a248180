"""One team member's process: run the shared sweep against a shared store, print the outcome.

Usage: python sweep_worker.py BASE_URL OUTPUT_DIR [HOSTNAME]
The store's settings come from PHOTA_STORE_INDEX / PHOTA_STORE_FILES / PHOTA_STORE_OPTIONS and
the key from PHOTA_API_KEY, as a team would set them. HOSTNAME makes this process look like
another machine (so its claims are taken over only when their lease runs out).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

PROMPTS = [f"a lighthouse in fog, study {i}" for i in range(8)]


def main() -> None:
    if len(sys.argv) > 3:
        name = sys.argv[3]
        socket.gethostname = lambda: name  # type: ignore[assignment]
    import logging

    import phota_widgets as pw

    logging.basicConfig(format="%(created).3f %(message)s")  # stderr: shown when a test fails
    logging.getLogger("phota_widgets").setLevel(logging.INFO)

    with pw.Session(base_url=sys.argv[1], output_dir=sys.argv[2], max_concurrency=2) as s:
        print("started", flush=True)
        go = os.environ.get("PHOTA_TEST_GO")
        while go and not Path(go).exists():  # start together with the other process
            time.sleep(0.05)
        result = s.sweep("generate", prompts=PROMPTS, aspect_ratio="4:3", progress=False)
        cells = {c.info.key: c.run.run_id if c.run else None for c in result.cells}
        print(json.dumps({"counts": result.counts(), "cells": cells}), flush=True)


if __name__ == "__main__":
    main()
