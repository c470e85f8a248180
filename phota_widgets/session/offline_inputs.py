"""Inputs the offline stand-in server cannot take, refused before anything is sent.

The embedded server has no internet: a photo given as a public link (``https://...``) cannot be
downloaded there, so the run would only fail on arrival. It is refused here instead, in the
words other bad inputs get ("not sent, nothing was spent"). Links on this machine (loopback)
go through: the server decides which of them it serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from phota_widgets.api.errors import InvalidRequestError
from phota_widgets.api.images import is_url

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def refuse_internet_links(params: Mapping[str, Any], fields: Iterable[str]) -> None:
    """Refuse image parameters that are links off this machine (for the offline server).

    Args:
        params: the request's parameters.
        fields: the names of its image parameters.

    Raises:
        InvalidRequestError: an image is a link the offline server cannot download.
    """
    for name in fields:
        value = params.get(name)
        for image in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(image, str) and is_url(image) and not _on_this_machine(image):
                host = urlsplit(image).hostname or image[:60]
                raise InvalidRequestError(
                    f"{name}: the offline stand-in server has no internet, so it cannot "
                    f"download the photo at {host}. Choose the file or upload the photo "
                    "instead (or enter a Phota API key to use links)."
                )


def _on_this_machine(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
