"""The review pair's wire, as a browser sees it: what the kernel sends, and keys as the
ReviewKeys front end sends them (custom comm messages)."""

from __future__ import annotations

from typing import Any

from phota_widgets.widgets.review_keys import ReviewKeys


class Wire:
    """Records the custom messages (with their binary buffers) a ReviewKeys view sends."""

    def __init__(self, view: ReviewKeys) -> None:
        self.view = view
        self.messages: list[tuple[dict[str, Any], list[bytes]]] = []
        publish = view.comm.publish_msg

        def record(msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None,
                   **keys: Any) -> None:  # fmt: skip
            if isinstance(data, dict) and data.get("method") == "custom":
                self.messages.append((data["content"], [bytes(b) for b in buffers or []]))
            publish(msg_type, data=data, metadata=metadata, buffers=buffers, **keys)

        view.comm.publish_msg = record

    def press(self, key: str) -> None:
        """A key pressed in the panel: the message the front end sends for it."""
        self.browser({"type": "key", "key": key})

    def browser(self, content: dict[str, Any]) -> None:
        """A custom message from the front end, through the comm's message handler."""
        self.view._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                               "buffers": []})  # fmt: skip

    def images(self) -> dict[str, bytes]:
        """Every image the browser received so far, by id."""
        received: dict[str, bytes] = {}
        for content, buffers in self.messages:
            if content.get("type") == "images":
                received |= dict(zip(content["ids"], buffers, strict=True))
        return received

    def count(self, kind: str) -> int:
        """How many messages of this type were sent."""
        return sum(1 for content, _ in self.messages if content.get("type") == kind)
