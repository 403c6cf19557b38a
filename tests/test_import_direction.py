"""Layers import downwards only: the per-case engine never imports the cohort package,
and the cohort package never imports the web application or the command line."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "secondline"
#: the interfaces over the engine: they may import anything below them
INTERFACES = {"_cli.py", "_cohort_cli.py", "__main__.py", "web.py"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _touches(names: set[str], package: str) -> list[str]:
    return sorted(n for n in names if n == package or n.startswith(package + "."))


def test_the_engine_never_imports_the_cohort() -> None:
    engine = [p for p in PACKAGE.glob("*.py") if p.name not in INTERFACES]
    assert len(engine) > 20
    for path in engine:
        assert not _touches(_imports(path), "secondline._cohort"), path.name
    for path in (PACKAGE / "_web").rglob("*.py"):
        assert not _touches(_imports(path), "secondline._cohort"), path.name


def test_the_cohort_never_imports_the_web_or_the_command_line() -> None:
    modules = list((PACKAGE / "_cohort").glob("*.py"))
    assert len(modules) >= 8
    for path in modules:
        names = _imports(path)
        for below in ("secondline._web", "secondline.web", "secondline._cli",
                      "secondline._cohort_cli"):
            assert not _touches(names, below), (path.name, below)
