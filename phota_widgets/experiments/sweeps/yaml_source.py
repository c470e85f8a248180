"""Reading an experiment file safely: bounded in size, depth and alias expansion, strict in shape.

A file is read with a size cap, must be UTF-8 text without NUL bytes, and is scanned event by
event (no document built yet) so that a YAML alias bomb or a deeply nested list is refused
before it costs memory or recursion. Only then is the document composed, its keys checked for
duplicates and the line of every field noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1_000_000
"""An experiment file larger than this is refused (1 MB: far beyond any hand-written sweep)."""
MAX_DEPTH = 32
"""Deepest nesting of lists and mappings a file may have."""
MAX_VALUES = 100_000
"""Most values a file may stand for once its YAML aliases are expanded."""


class SourceError(ValueError):
    """A file that cannot be read as an experiment; ``line`` and ``field`` say where, if known."""

    def __init__(self, message: str, line: int | None = None, field: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.field = field


class _Loader(yaml.SafeLoader):
    """Safe YAML without base-60 integers, so ``16:9`` stays the text ``"16:9"``."""


_INT = "tag:yaml.org,2002:int"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


@dataclass
class Source:
    """A parsed experiment file: its data and the 1-based line of every field and list item."""

    data: Any
    marks: dict[tuple[Any, ...], int]


def read_text(path: Path) -> str:
    """The file's text, read with a size cap; bad UTF-8 and NUL bytes refused with their line.

    Raises:
        SourceError: too large, not UTF-8, or holding a NUL byte.
        OSError: the file cannot be read.
    """
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise SourceError(
            "the file holds a NUL byte: an experiment file is text (YAML), not binary data",
            _line_at(data, nul),
        )
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(
            f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB: an experiment file is "
            "a short YAML text (long prompt lists belong in a CSV: prompts: {csv: FILE})"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            _line_at(data, exc.start),
        ) from None


def parse(text: str) -> Source:
    """Parse YAML text within the bounds, refusing duplicate keys.

    Raises:
        SourceError: too deep, too many values once aliases are expanded, or a duplicate key.
        yaml.YAMLError: not valid YAML.
    """
    _check_bounds(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return Source(data, _marks(node) if node is not None else {})


def _check_bounds(text: str) -> None:
    """Walk the YAML events once: depth and the size the aliases expand to, never built."""
    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []
    total = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            total += sizes.get(str(event.anchor), 1)
        elif isinstance(event, yaml.ScalarEvent):
            total += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            total += 1
            open_nodes.append((event.anchor, total - 1))
            if len(open_nodes) > MAX_DEPTH:
                raise SourceError(
                    f"lists and mappings nest deeper than {MAX_DEPTH} levels",
                    _line(event),
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, start = open_nodes.pop()
            if anchor is not None:
                sizes[anchor] = total - start
        if total > MAX_VALUES:
            raise SourceError(
                f"the file stands for more than {MAX_VALUES:,} values once its YAML aliases "
                "(*name) are expanded; write the values out or use a CSV",
                _line(event),
            )


def _marks(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """The 1-based line of every field and list item; a key given twice is refused."""
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                if key.value in seen:
                    where = ".".join(map(str, (*path, key.value)))
                    raise SourceError(
                        f"{key.value!r} is given twice (lines {seen[key.value]} and {line}); "
                        "keep one",
                        line,
                        where,
                    )
                seen[key.value] = line
            where_key = (*path, key.value)
            found[where_key] = line
            for sub, sub_line in _marks(value, where_key).items():
                if sub != where_key:
                    found[sub] = sub_line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.update(_marks(item, (*path, index)))
    return found


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return None if mark is None else mark.line + 1


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
