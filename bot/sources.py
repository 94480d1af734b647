"""The references answers rest on: the seed articles and named public works, from `sources.yaml`.

An entry's `source` names one of these by id (the seed articles also by their
file name, which is what older team files use); replies show the title, never
an id or a file name. Errors name file, line and reason, like the entries'.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .yaml_nodes import KnowledgeError, compose_file, fields_of, is_sequence, node_line, scalar

if TYPE_CHECKING:
    import yaml

FILE_NAME = "sources.yaml"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    author: str | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        """How a reply names it: the title, with its author and address when known."""
        text = f"{self.title} by {self.author}" if self.author else self.title
        return f"{text} ({self.url})" if self.url else text


def load_sources(paths: list[Path]) -> dict[str, Source]:
    """Every source by id and by seed file name; a later file may add sources, not redefine one."""
    found: dict[str, Source] = {}
    for path in paths:
        root = compose_file(path)
        if root is None:
            continue
        if not is_sequence(root):
            raise KnowledgeError(str(path), node_line(root), "the sources file must be a list of sources")
        for node in root.value:
            source, names = _source(str(path), node)
            for name in (source.id, *names):
                if name in found:
                    raise KnowledgeError(str(path), node_line(node), f"source '{name}' is defined twice")
                found[name] = source
    return found


def _source(name: str, node: yaml.Node) -> tuple[Source, list[str]]:
    fields = fields_of(name, node, ("id", "title"), ("author", "url", "files"), what="source", shape="id and title")
    files = fields.get("files")
    if files is not None and not is_sequence(files):
        raise KnowledgeError(name, node_line(files), "'files' must be a list of file names")
    optional = {k: scalar(name, fields[k], k) for k in ("author", "url") if k in fields}
    source = Source(scalar(name, fields["id"], "id"), scalar(name, fields["title"], "title"), **optional)
    return source, [scalar(name, f, "file") for f in (files.value if files is not None else [])]
