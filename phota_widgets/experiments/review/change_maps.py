"""Change maps of a sweep's edit, enhance and remix outputs: what changed from the input.

Computed on thumbnails (the output's cached in the run store, the input's in memory) and kept in
small caches, so a grid of many outputs decodes each full image at most once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from phota_widgets.api.thumbnails import thumbnail_jpeg
from phota_widgets.experiments.review.changes import change_map_jpeg, changed_fraction

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.cells import SweepOutput
    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = [
    "CHANGE_ENDPOINTS",
    "change_picture",
    "change_sources",
    "changed_fraction_of",
    "find_output",
    "input_path",
]

T = TypeVar("T")

CHANGE_ENDPOINTS = frozenset({"edit", "enhance", "remix"})
"""Endpoints whose outputs start from an input image (and so get a change map)."""
_INPUT_PARAM = {"edit": "images", "enhance": "image", "remix": "input_image"}


_INDEXES: weakref.WeakKeyDictionary[SweepResult, tuple[int, dict[str, SweepOutput]]] = (
    weakref.WeakKeyDictionary()
)


def find_output(result: SweepResult, output_id: str) -> SweepOutput:
    """``result.output(output_id)`` through an index kept while the sweep's cells stay the same.

    Raises:
        KeyError: the sweep has no such output.
    """
    cached = _INDEXES.get(result)
    if cached is None or cached[0] != id(result.cells):
        cached = (id(result.cells), {o.output_id: o for o in result.outputs()})
        _INDEXES[result] = cached
    found = cached[1].get(output_id)
    return found if found is not None else result.output(output_id)


def input_path(result: SweepResult, output_id: str) -> Path | None:
    """The stored input image an edit, enhance or remix output started from (else None)."""
    run = find_output(result, output_id).cell.run
    if run is None or run.endpoint not in CHANGE_ENDPOINTS:
        return None
    value: Any = run.params.get(_INPUT_PARAM[run.endpoint])
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.startswith("sha256:"):
        return None
    return result.session.store.input_path(value)


@lru_cache(maxsize=256)
def _input_thumbnail(path: Path) -> bytes:
    """A JPEG thumbnail of an input (a sweep shares few inputs among many outputs)."""
    return thumbnail_jpeg(path.read_bytes())


def change_sources(result: SweepResult, output_id: str) -> tuple[bytes, bytes] | None:
    """Thumbnails of an edit/enhance/remix output and of its input (None for other outputs).

    Change maps are computed on these: the output's thumbnail is cached in the run store, the
    input's in memory, so a grid of many outputs decodes each full image at most once.
    """
    before = input_path(result, output_id)
    out = find_output(result, output_id)
    if before is None or not out.path.is_file():
        return None
    return result.session.store.thumbnail(out.record), _input_thumbnail(before)


_FRACTIONS: dict[tuple[str, str], float] = {}
_PICTURES: dict[tuple[str, str], bytes] = {}
_CACHE_SIZE = 4096


def _remember(cache: dict[tuple[str, str], T], key: tuple[str, str], make: Callable[[], T]) -> T:
    if key not in cache:
        if len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


def _change_key(result: SweepResult, output_id: str) -> tuple[str, str]:
    out = find_output(result, output_id)
    return (out.record.sha256, str(input_path(result, output_id)))


def changed_fraction_of(result: SweepResult, output_id: str) -> float:
    """How much of an edit/enhance/remix output changed from its input (NaN for others)."""
    sources = change_sources(result, output_id)
    if sources is None:
        return float("nan")
    return _remember(_FRACTIONS, _change_key(result, output_id), lambda: changed_fraction(*sources))


def change_picture(result: SweepResult, output_id: str) -> bytes | None:
    """The change map of an edit/enhance/remix output as a JPEG (None for other outputs)."""
    sources = change_sources(result, output_id)
    if sources is None:
        return None
    return _remember(
        _PICTURES, _change_key(result, output_id), lambda: change_map_jpeg(*sources, quality=75)
    )
