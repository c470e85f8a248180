"""Messages for people using the app: a hint to call code becomes the button that does it.

The session and the experiments speak to programmers (``session.resume()`` collects a kept
run); someone in the Studio (Voila) has no cell to type that in, so the panels name the button.
"""

from __future__ import annotations

import re

BUTTON_FOR_CODE: tuple[tuple[str, str], ...] = (
    (
        r"(?:Collect \(or )?session\.a?resume\(\)\)?",
        "the Collect button (in the panel or in History)",
    ),
    (r"(?:res|result|sweep)\.leaderboard\(\)", "the Leaderboard button"),
    (r"pw\.login\(session\)", "the key box at the top"),
    (r"(?:res|result|sweep)\.review\(\)", "the Review button"),
    (r"(?:res|result|sweep)\.export_html\([^)]*\)", "the Export button"),
)
"""Code a message may name -> what a person clicks instead."""
_PATTERNS = [(re.compile(code), button) for code, button in BUTTON_FOR_CODE]


def for_people(text: str) -> str:
    """``text`` with every hint to call code replaced by the button that does it."""
    for pattern, button in _PATTERNS:
        text = pattern.sub(button, text)
    return text
