"""A local OpenAI-compatible chat endpoint for model-judge tests (FastAPI on 127.0.0.1).

``mode`` scripts its answers: ``"brighter"`` names the brighter image (a consistent judge),
``"left"`` always says left (a judge that only follows the position), ``"malformed"`` answers
prose with no JSON, ``"fenced"`` wraps the brighter answer in a code fence and chatter. It
checks the bearer key, counts requests and reports usage (100 tokens in, 10 out per request).
"""

from __future__ import annotations

import base64
import io
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException, Request
from PIL import Image, ImageStat

PROMPT_TOKENS = 100
COMPLETION_TOKENS = 10


def _brightness(url: str) -> float:
    data = base64.b64decode(url.split(",", 1)[1])
    return float(ImageStat.Stat(Image.open(io.BytesIO(data)).convert("L")).mean[0])


class JudgeFake:
    """The fake endpoint, served on a thread; ``base_url`` ends in ``/v1``."""

    def __init__(self, key: str, mode: str = "brighter") -> None:
        self.key = key
        self.mode = mode
        self.requests = 0
        self.seen_texts: list[str] = []
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._complete)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> JudgeFake:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake judge endpoint did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)

    async def _complete(self, request: Request) -> dict[str, Any]:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            raise HTTPException(status_code=401, detail="bad key")
        body = await request.json()
        self.requests += 1
        parts = body["messages"][-1]["content"]
        images = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
        self.seen_texts += [p["text"] for p in parts if p.get("type") == "text"]
        if len(images) != 2:
            raise HTTPException(status_code=400, detail="two images expected")
        if self.mode == "left":
            text = '{"winner": "left", "reason": "it is on the left"}'
        elif self.mode == "malformed":
            text = "Honestly, the left one looks nicer to me."
        else:
            side = "left" if _brightness(images[0]) >= _brightness(images[1]) else "right"
            text = f'{{"winner": "{side}", "reason": "brighter"}}'
            if self.mode == "fenced":
                text = f"Sure! Here is my verdict:\n```json\n{text}\n```\nHope it helps."
        return {
            "id": f"chatcmpl-{self.requests}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": text}}
            ],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                      "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS},
        }  # fmt: skip
