"""Reading the knowledge base's YAML with line numbers, and the one error type that names file, line and reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The C loader is several times faster; the pure-Python one where libyaml is missing."""


@dataclass(frozen=True)
class KnowledgeError(Exception):
    """A knowledge-base problem, located precisely enough to fix in an editor."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def compose_file(path: Path) -> yaml.Node | None:
    """A YAML file's node tree (which keeps line numbers); unreadable or invalid files raise KnowledgeError."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(name, 0, f"cannot read file: {exc}") from None
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise KnowledgeError(name, line, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None


def node_line(node: yaml.Node) -> int:
    """The 1-based line a YAML node starts on, for error messages."""
    return node.start_mark.line + 1


def scalar(name: str, node: yaml.Node, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise KnowledgeError(name, node_line(node), f"'{key}' must be a non-empty text")
    return str(node.value).strip()
