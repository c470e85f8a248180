"""``vlm_rubric``: a vision-language model grades each output against a rubric, 0 to 1.

The image (downscaled to ``max_px``, JPEG), the filled prompt and the rubric (its ``{var}``
placeholders filled from the cell's vars) go to any OpenAI-compatible chat-completions endpoint
that takes images (OpenAI, Gemini's OpenAI-compatible endpoint, vLLM, Ollama, LM Studio) with
the ``openai`` package, at temperature 0. The model answers JSON ``{"score": 0-1, "reason":
"..."}``, read leniently (code fences, text around the JSON, or a bare ``score: 0.8``); the
check passes when the score is at least ``threshold``. 429 and 5xx answers are retried by the
client (``max_retries``). Tokens and cost are kept with each score. The key is read from the
environment variable ``api_key_env`` when a request is made, and never stored or shown.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import threading
from collections.abc import Mapping
from typing import Any

from phota_widgets.experiments.scoring.base import BaseScorer, Score, ScoredOutput, open_rgb
from phota_widgets.redact import redact

PRICES_PER_MILLION = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
}
"""Known models' (input, output) prices in US dollars per million tokens; others: no cost
unless ``input_price``/``output_price`` are given."""

INSTRUCTIONS = (
    "You grade one generated image against a rubric. Reply with JSON only: "
    '{"score": <number from 0 to 1>, "reason": "<one short sentence>"}. '
    "1 means the image fully meets the rubric, 0 that it does not at all."
)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BARE_SCORE = re.compile(r"""["']?score["']?\s*[:=]\s*([-+]?\d*\.?\d+)""", re.IGNORECASE)


class VlmRubric(BaseScorer):
    """A model-graded rubric (see the module's docstring)."""

    kind = "vlm_rubric"
    waits_on_network = True

    def __init__(
        self,
        name: str | None = None,
        *,
        rubric: str,
        model: str,
        threshold: float = 0.7,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        max_px: int = 512,
        max_retries: int = 3,
        timeout: float = 60.0,
        input_price: float | None = None,
        output_price: float | None = None,
    ) -> None:
        if not str(rubric).strip():
            raise ValueError("vlm_rubric: the rubric is empty")
        if not str(model).strip():
            raise ValueError("vlm_rubric: name the model (model: gpt-4o-mini, ...)")
        if not 0 <= threshold <= 1:
            raise ValueError(f"vlm_rubric: threshold is from 0 to 1, got {threshold}")
        if not 64 <= max_px <= 4096:
            raise ValueError(f"vlm_rubric: max_px is from 64 to 4096, got {max_px}")
        if base_url is None and not os.environ.get(api_key_env):
            raise ValueError(
                f"vlm_rubric: the environment variable {api_key_env} (api_key_env) is not set; "
                "set it to the endpoint's key, or give base_url for a local server"
            )
        super().__init__(
            name,
            rubric=rubric,
            model=model,
            threshold=float(threshold),
            base_url=base_url,
            max_px=int(max_px),
        )
        self.api_key_env = api_key_env
        self.max_retries = int(max_retries)
        self.timeout = float(timeout)
        self.prices = (
            (input_price, output_price)
            if input_price is not None and output_price is not None
            else PRICES_PER_MILLION.get(model)
        )
        self._client: Any = None
        self._lock = threading.Lock()

    def filled_rubric(self, output: ScoredOutput) -> str:
        """The rubric with the cell's vars filled in (unknown placeholders stay as written)."""
        rubric = str(self.params["rubric"])
        return _PLACEHOLDER.sub(lambda m: str(output.vars.get(m.group(1), m.group(0))), rubric)

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"rubric": self.filled_rubric(output), "prompt": output.prompt}

    def client(self) -> Any:
        """The OpenAI client (made once; the key read from the environment now)."""
        with self._lock:
            if self._client is None:
                from openai import OpenAI

                key = os.environ.get(self.api_key_env) or "not-needed"
                self._client = OpenAI(
                    api_key=key,
                    base_url=self.params["base_url"],
                    max_retries=self.max_retries,
                    timeout=self.timeout,
                )
            return self._client

    def score(self, output: ScoredOutput) -> Score:
        import openai

        rubric = self.filled_rubric(output)
        text = f"Prompt the image was made from: {output.prompt or '(none)'}\nRubric: {rubric}"
        image = _jpeg_data_url(output, self.params["max_px"])
        try:
            answer = self.client().chat.completions.create(
                model=self.params["model"],
                temperature=0,
                messages=[
                    {"role": "system", "content": INSTRUCTIONS},
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": text},
                            {"type": "image_url", "image_url": {"url": image}},
                        ],
                    },
                ],
            )
        except openai.APIError as exc:
            return Score(None, False, redact(f"model call failed: {_short(exc)}") or "", error=True)
        tokens, cost = self._usage(answer)
        content = answer.choices[0].message.content if answer.choices else None
        parsed = parse_answer(content or "")
        if parsed is None:
            shown = (content or "").strip()[:120]
            return Score(
                None, False, f"unreadable model answer: {shown!r}", tokens, cost, error=True
            )
        value, reason = parsed
        ok = value >= self.params["threshold"]
        return Score(value, ok, reason, tokens, cost)

    def _usage(self, answer: Any) -> tuple[int | None, float | None]:
        usage = getattr(answer, "usage", None)
        if usage is None:
            return None, None
        tokens = int(getattr(usage, "total_tokens", 0) or 0)
        if self.prices is None:
            return tokens, None
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = (prompt * self.prices[0] + completion * self.prices[1]) / 1_000_000
        return tokens, round(cost, 8)


def parse_answer(content: str) -> tuple[float, str] | None:
    """``(score, reason)`` from a model's answer, or None when no score from 0 to 1 is found."""
    text = content.strip()
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    candidates = [text]
    found = re.search(r"\{.*\}", text, re.DOTALL)
    if found:
        candidates.append(found.group(0))
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except (ValueError, TypeError):
            continue
        if isinstance(data, dict) and "score" in data:
            value = _number(data.get("score"))
            if value is not None:
                return value, str(data.get("reason") or "")
    bare = _BARE_SCORE.search(text)
    if bare:
        value = _number(bare.group(1))
        if value is not None:
            return value, ""
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 1 else None


def _jpeg_data_url(output: ScoredOutput, max_px: int) -> str:
    buffer = io.BytesIO()
    open_rgb(output.path, max_px).save(buffer, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    message = getattr(exc, "message", None) or str(exc)
    return f"{status} {message}"[:200] if status else str(message)[:200]
