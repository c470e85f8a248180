"""A chat model behind an OpenAI-compatible endpoint, asked for JSON (model judge, rubrics).

The key is read from the environment variable named by ``api_key_env`` when the client is made
and handed to the ``openai`` client alone: it is never kept in this object's fields, its repr,
an error message or the store. Retries (429, 5xx, dropped connections) are the ``openai``
client's own. Answers are parsed leniently: the first JSON object in the text, also inside a
code fence or after prose.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai import OpenAI

__all__ = ["ModelAnswer", "ModelClient", "parse_json_object"]

_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in a model's text (fences and prose around it allowed), else None."""
    match = _OBJECT.search(text or "")
    while match is not None:
        candidate = match.group(0)
        try:
            found = json.loads(candidate)
        except json.JSONDecodeError:
            end = candidate.rfind("}", 0, len(candidate) - 1)
            if end <= 0:
                return None
            match = _OBJECT.search(candidate[: end + 1])
            continue
        return found if isinstance(found, dict) else None
    return None


@dataclass(frozen=True)
class ModelAnswer:
    """One answer: the parsed JSON object (None when malformed), its text, tokens and cost."""

    data: dict[str, Any] | None
    text: str
    tokens_in: int
    tokens_out: int
    cost: float | None


class ModelClient:
    """One model at one OpenAI-compatible endpoint.

    Args:
        model: the model's name at the endpoint.
        base_url: the endpoint (None: OpenAI's).
        api_key_env: the environment variable holding the key.
        prices: US dollars per million input and output tokens (None: cost unknown).
        max_retries: the ``openai`` client's retries.
        timeout: seconds per request.

    Raises:
        ValueError: no model name, or the environment variable is not set.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        prices: tuple[float, float] | None = None,
        max_retries: int = 2,
        timeout: float = 60.0,
    ) -> None:
        from openai import OpenAI

        if not model.strip():
            raise ValueError("name the judge's model (model='gpt-4o-mini', say)")
        key = os.environ.get(api_key_env, "")
        if not key:
            raise ValueError(
                f"set the environment variable {api_key_env} to the model endpoint's key "
                "(the key is read from there, never passed or stored)"
            )
        self.model = model
        self.base_url = base_url
        self.prices = prices
        self.api_key_env = api_key_env
        self._client: OpenAI = OpenAI(
            api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout
        )

    def ask_json(self, content: list[dict[str, Any]], system: str) -> ModelAnswer:
        """Send one chat request (system text, then the user's content parts); parse JSON.

        Raises:
            PermissionError: the endpoint refused the key (401/403), in words.
        """
        from openai import AuthenticationError, PermissionDeniedError

        try:
            reply = self._client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": content},  # type: ignore[misc,list-item]
                ],
                temperature=0,
            )
        except (AuthenticationError, PermissionDeniedError) as exc:
            raise PermissionError(
                f"the model endpoint {self.base_url or 'api.openai.com'} refused the key in "
                f"${self.api_key_env} (HTTP {exc.status_code}): check that variable"
            ) from None
        text = (reply.choices[0].message.content or "") if reply.choices else ""
        usage = reply.usage
        tokens_in = int(usage.prompt_tokens) if usage else 0
        tokens_out = int(usage.completion_tokens) if usage else 0
        cost = None
        if self.prices is not None:
            cost = (tokens_in * self.prices[0] + tokens_out * self.prices[1]) / 1_000_000
        return ModelAnswer(parse_json_object(text), text, tokens_in, tokens_out, cost)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __repr__(self) -> str:
        return f"ModelClient({self.model!r}, base_url={self.base_url!r})"
