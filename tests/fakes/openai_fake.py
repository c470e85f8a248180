"""A local OpenAI-compatible chat-completions server for tests (loopback only).

It counts requests, keeps what was sent, and answers from a script: each scripted answer is
the text of the model's reply, or an HTTP status (``429``, ``500``) to fail that request with.
When the script runs out it answers ``default``. ``answer_for`` picks a reply from the request
instead (e.g. by the rubric text), for tests whose order of requests is not fixed. ``delay``
holds each answer that long; ``max_in_flight`` is the most requests it held at once.

    with OpenAIFake(script=['{"score": 0.9, "reason": "fine"}', 429]) as fake:
        ... base_url=fake.base_url ...
        assert fake.count == 2
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

Answer = str | int
"""The model's reply text, or an HTTP status code to fail the request with."""


class OpenAIFake:
    """The fake endpoint, served by uvicorn on a thread (``with OpenAIFake() as fake``)."""

    def __init__(
        self,
        script: Iterable[Answer] = (),
        *,
        default: Answer = '{"score": 0.9, "reason": "meets the rubric"}',
        answer_for: Callable[[dict[str, Any]], Answer] | None = None,
        api_key: str | None = None,
        delay: float = 0.0,
    ) -> None:
        self.script: deque[Answer] = deque(script)
        self.default = default
        self.answer_for = answer_for
        self.api_key = api_key
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    @property
    def count(self) -> int:
        """Requests received so far (failed ones included)."""
        with self._lock:
            return len(self.requests)

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give an OpenAI client (``http://127.0.0.1:<port>/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _next(self, body: dict[str, Any]) -> Answer:
        with self._lock:
            self.requests.append(body)
            if self.script:
                return self.script.popleft()
        return self.answer_for(body) if self.answer_for is not None else self.default

    def app(self) -> FastAPI:
        """The FastAPI app: ``POST /v1/chat/completions``."""
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            with self._lock:
                self.headers.append(dict(request.headers))
            wanted = f"Bearer {self.api_key}"
            if self.api_key is not None and request.headers.get("authorization") != wanted:
                with self._lock:
                    self.requests.append(body)
                return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
            answer = self._next(body)
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay)  # a model takes its time: answers overlap
            finally:
                with self._lock:
                    self.in_flight -= 1
            if isinstance(answer, int):
                error = {"error": {"message": f"scripted {answer}", "type": "server_error"}}
                return JSONResponse(error, status_code=answer, headers={"retry-after-ms": "10"})
            return JSONResponse(
                {
                    "id": f"chatcmpl-{len(self.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                }
            )

        return app

    def start(self) -> OpenAIFake:
        """Serve on 127.0.0.1, a free port; return once it accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(), log_level="warning", http="h11", loop="asyncio", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="openai-fake", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the OpenAI fake failed to start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> OpenAIFake:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
