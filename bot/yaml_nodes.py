"""Reading the knowledge base's YAML with line numbers, and the one error type that names file, line and reason."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml
# PyYAML itself is imported where a file is parsed: a start that reads the index from its cache parses no YAML,
# and the import was a tenth of that start.


@dataclass(frozen=True)
class KnowledgeError(Exception):
    """A knowledge-base problem, located precisely enough to fix in an editor."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        """`file:line: reason`, or `file: reason` for a problem with the whole file."""
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class KnowledgeErrors(KnowledgeError):
    """Every problem found in one pass, so a file with three mistakes needs one run to show them all."""

    errors: tuple[KnowledgeError, ...] = ()

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


MAX_FILE_BYTES = 5_000_000
"""A knowledge file larger than this is refused: no hand-written knowledge is that big, a runaway file is."""


def read_text(path: Path) -> str:
    """A knowledge file's text. Only regular files of sane size are read: a FIFO would block for ever and a
    symlink to /dev/zero would read until memory ran out, so both are refused, naming the file."""
    name = str(path)
    try:
        with open(path, "rb", opener=_no_block) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise KnowledgeError(name, 0, "not a regular file (a FIFO, device or socket); knowledge files must be "
                                              "plain YAML files")
            if info.st_size > MAX_FILE_BYTES:
                raise KnowledgeError(name, 0, f"file is {info.st_size:,} bytes; knowledge files are at most "
                                              f"{MAX_FILE_BYTES:,}")
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise KnowledgeError(name, 0, f"cannot read file: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(name, 0, f"not UTF-8 text (byte {exc.start:,}); save the file as UTF-8") from None


def _no_block(path: str, flags: int) -> int:
    """Open without waiting for a FIFO's writer, so the regular-file check can run (and refuse it)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def compose_file(path: Path) -> yaml.Node | None:
    """A YAML file's node tree (which keeps line numbers); unreadable or invalid files raise KnowledgeError."""
    name = str(path)
    text = read_text(path)
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is several times faster
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise KnowledgeError(name, line, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None


def node_line(node: yaml.Node) -> int:
    """The 1-based line a YAML node starts on, for error messages."""
    return node.start_mark.line + 1


def is_sequence(node: yaml.Node | None) -> bool:
    import yaml

    return isinstance(node, yaml.SequenceNode)


def is_mapping(node: yaml.Node | None) -> bool:
    import yaml

    return isinstance(node, yaml.MappingNode)


def scalar(name: str, node: yaml.Node, key: str) -> str:
    import yaml

    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise KnowledgeError(name, node_line(node), f"'{key}' must be a non-empty text")
    return str(node.value).strip()


def fields_of(name: str, node: yaml.Node, required: Sequence[str], optional: Sequence[str] = (), *,
              what: str = "entry", shape: str = "") -> dict[str, yaml.Node]:
    """A mapping's values by key, checked the one way every knowledge file is: a mapping, no unknown or repeated
    key, nothing required missing; each problem with its file and line. `shape` says what the mapping must hold."""
    if not is_mapping(node):
        raise KnowledgeError(name, node_line(node), f"each {what} must be a mapping with {shape or ', '.join(required)}")
    allowed = (*required, *optional)
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in allowed:
            raise KnowledgeError(name, node_line(key_node), f"unknown key '{key}' (allowed: {', '.join(allowed)})")
        if key in fields:
            raise KnowledgeError(name, node_line(key_node), f"key '{key}' appears twice in one {what}")
        fields[key] = value_node
    for key in required:
        if key not in fields:
            raise KnowledgeError(name, node_line(node), f"{what} is missing '{key}'")
    return fields
