"""Where a run store lives, from arguments or the team's environment, and who is judging."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INDEX_ENV = "PHOTA_STORE_INDEX"
FILES_ENV = "PHOTA_STORE_FILES"
OPTIONS_ENV = "PHOTA_STORE_OPTIONS"
JUDGE_ENV = "PHOTA_JUDGE"


@dataclass(frozen=True)
class StoreLocation:
    """The three settings of a run store: index URL, files URL and fsspec options."""

    index_url: str | None = None
    files_url: str | None = None
    storage_options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        index_url: str | None = None,
        files_url: str | os.PathLike[str] | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ) -> StoreLocation:
        """Arguments first, then the environment, else a local folder.

        The environment: ``PHOTA_STORE_INDEX``, ``PHOTA_STORE_FILES`` and
        ``PHOTA_STORE_OPTIONS`` (the storage options as a JSON object).

        Raises:
            ValueError: if ``PHOTA_STORE_OPTIONS`` is not a JSON object.
        """
        index = index_url or os.environ.get(INDEX_ENV) or None
        files = os.fspath(files_url) if files_url else os.environ.get(FILES_ENV) or None
        options = storage_options
        if options is None:
            options = parse_options(os.environ.get(OPTIONS_ENV, ""), OPTIONS_ENV)
        return cls(index, files, dict(options))


def parse_options(text: str, where: str) -> dict[str, Any]:
    """Storage options from a JSON object, or ``@FILE`` naming a file holding one (empty: none).

    A file keeps credentials off the command line (which every user of the machine can see).

    Raises:
        ValueError: naming ``where`` (and the file) when the text is not a JSON object.
    """
    if not text.strip():
        return {}
    if text.startswith("@"):
        source = Path(text[1:]).expanduser()
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ValueError(f"{where}: cannot read the options file {source} ({reason})") from None
        where = f"{where} (file {source})"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} must be a JSON object of storage options: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(
            f"{where} must be a JSON object of storage options, not a {type(value).__name__}"
        )
    return value


def default_judge() -> str:
    """Who is picking and rating: ``PHOTA_JUDGE``, else the login name."""
    named = os.environ.get(JUDGE_ENV, "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"
