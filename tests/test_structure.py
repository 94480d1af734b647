"""The shape of the code: the core never imports a front end, and no modules import each other in a circle.

Read from the source files (every import counts, including those inside functions),
so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rolecall_support import REPO_ROOT

PACKAGES = {"cli": "rolecall", "bot": "rolecall.bot", "adapters": "rolecall.adapters"}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((REPO_ROOT / folder).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found[name] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            submodules = {f"{base}.{alias.name}" for alias in node.names} & known
            targets.update(submodules or {base})  # `from . import x` imports the module x, not the package
    return {t for t in targets if t in known and t != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_core_imports_no_front_end_and_no_command_line():
    graph = _graph()
    upward = {(m, t) for m, ts in graph.items() if m.startswith("rolecall.bot") for t in ts
              if not t.startswith("rolecall.bot")}
    assert upward == set()


def test_no_modules_import_each_other_in_a_circle():
    assert _cycle(_graph()) is None


def test_the_core_imports_no_chat_platform():
    platform = {"slack_bolt", "slack_sdk", "discord", "aiohttp"}
    for path in (REPO_ROOT / "bot").glob("*.py"):
        imported = {n.split(".")[0] for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    for n in ([a.name for a in node.names] if isinstance(node, ast.Import)
                              else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])}
        assert not imported & platform, path.name
