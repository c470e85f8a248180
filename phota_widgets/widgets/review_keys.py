"""The review pair with real key events: an anywidget showing the two images judged.

Keys pressed anywhere in the review panel (``1`` left, ``2`` right, ``3`` tie, ``4`` both bad,
``0`` skip, ``n`` next, and with criteria a letter per criterion that makes it the active one
for ``1``-``4``) reach the kernel as custom messages; clicking the panel gives it the
keyboard, and it says when it has lost it. Images travel as JPEG thumbnails in binary messages,
never as widget traits (so never in a saved notebook), and the next pair's are sent ahead: the
browser shows it the moment ``n`` (after a verdict) or ``0`` is pressed, and the kernel's answer
confirms it. The front end is anywidget ESM: no extension to build (JupyterLab, Notebook 7, Voila,
VS Code).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

KEYS: dict[str, str] = {
    "1": "left",
    "2": "right",
    "3": "tie",
    "4": "both_bad",
    "0": "skip",
    "n": "next",
}
"""Each key and the action it takes."""
PAIR_PX = 512
"""Longest side of an image sent to the browser (a JPEG thumbnail, never the full image)."""


class ReviewKeys(anywidget.AnyWidget):
    """The two images of a review pair, and the keyboard of the panel around it.

    Attributes:
        shown: the ids of the images shown, left then right (empty: none).
        upcoming: the ids of the pair that comes after a verdict's ``n`` or a skip.
        answered: the pair shown was judged (``n`` moves on; verdicts are ignored).
        done: no pair is left.
        key_map: each key and its action (the browser sends the key; the kernel maps it).
        criteria: with criteria, each one's ``name``, ``key`` and ``answer`` so far (shown
            above the pair, the active one marked).
        active: index of the criterion the keys 1-4 answer (-1: none).
        pressed: the actions received from the browser, in order.
        sent: how many images went to the browser (each once per view).
    """

    _esm = Path(__file__).with_name("review_keys.js")
    shown = traitlets.List(traitlets.Unicode()).tag(sync=True)
    upcoming = traitlets.List(traitlets.Unicode()).tag(sync=True)
    answered = traitlets.Bool(False).tag(sync=True)
    done = traitlets.Bool(False).tag(sync=True)
    key_map = traitlets.Dict(default_value=KEYS).tag(sync=True)
    criteria = traitlets.List(traitlets.Dict()).tag(sync=True)
    active = traitlets.Int(-1).tag(sync=True)
    max_px = traitlets.Int(PAIR_PX).tag(sync=True)
    max_height = traitlets.Unicode("60vh").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("phota-review-keys")
        self.pressed: list[str] = []
        self.sent = 0
        self._keys: dict[str, str] = dict(KEYS)  # the kernel's own: never what a browser sets
        self._images: dict[str, bytes] = {}
        self._on_action: list[Callable[[str], object]] = []
        self.on_msg(self._on_message)

    def on_action(self, callback: Callable[[str], object]) -> None:
        """Call ``callback(action)`` for each known key pressed in the browser."""
        self._on_action.append(callback)

    def show(
        self,
        shown: Mapping[str, bytes],
        upcoming: Mapping[str, bytes],
        *,
        answered: bool = False,
    ) -> None:
        """Show a pair (ids to JPEG bytes, left first) and send the next one ahead.

        Only images the browser does not hold yet travel; the traits change after them, so
        the browser has the pictures when it is told to show them.
        """
        if len(shown) not in (0, 2) or len(upcoming) not in (0, 2):
            raise ValueError("a review pair is two images (or none)")
        held = set(self.shown) | set(self.upcoming)
        self._images = {**shown, **upcoming}
        self._send_images({k: v for k, v in self._images.items() if k not in held})
        self._update(shown=list(shown), upcoming=list(upcoming), answered=answered, done=False)

    def add_keys(self, keys: Mapping[str, str]) -> None:
        """More keys and their actions (a letter per criterion), beside :data:`KEYS`."""
        self._keys = {**KEYS, **keys}
        self.key_map = dict(self._keys)

    def set_criteria(self, criteria: list[dict[str, str]], active: int) -> None:
        """Show the criteria's answers so far and which one the keys 1-4 answer."""
        self._update(criteria=criteria, active=active)

    def finish(self) -> None:
        """No pair is left: show nothing."""
        self._images = {}
        self._update(shown=[], upcoming=[], answered=False, done=True)

    def settled(self) -> None:
        """Tell the browser the kernel has answered a key (what it shows is now the truth)."""
        self.send({"type": "settled"})

    def _update(self, **values: Any) -> None:
        with self.hold_sync():
            for name, value in values.items():
                setattr(self, name, value)

    def _send_images(self, images: Mapping[str, bytes]) -> None:
        if images:
            ids: Sequence[str] = list(images)
            self.send({"type": "images", "ids": ids}, [images[i] for i in ids])
            self.sent += len(ids)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "ready":  # a new view: it holds nothing yet
            self._send_images(self._images)
        elif content.get("type") == "key":
            action = self._keys.get(str(content.get("key", "")).lower())
            if action is not None:
                self.pressed.append(action)
                for callback in self._on_action:
                    callback(action)
