"""The arrows point down: the interfaces (command line, web) may import the store and
the cohort; the cohort may import the engine, the FHIR reader and the store (to read
it); the store imports the engine; and nothing imports a layer above it: neither the
store, the FHIR package nor the engine imports an interface or the cohort."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "secondline"
INTERFACES = ("secondline._web", "secondline._cli", "secondline._store_cli",
              "secondline._store_text", "secondline._cohort_cli", "secondline._cds_hooks",
              "secondline.web", "secondline.__main__")
COHORT = "secondline._cohort"


def imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _is(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_store_imports_no_interface() -> None:
    files = sorted((PACKAGE / "_store").rglob("*.py"))
    assert len(files) >= 8
    for path in files:
        wrong = {m for m in imports(path) if _is(m, (*INTERFACES, COHORT))}
        assert not wrong, f"{path.relative_to(PACKAGE)} imports {wrong}"


def test_the_fhir_package_imports_no_interface_nor_the_store_nor_the_cohort() -> None:
    files = sorted((PACKAGE / "_fhir").rglob("*.py"))
    assert len(files) >= 8
    for path in files:
        wrong = {m for m in imports(path)
                 if _is(m, (*INTERFACES, COHORT, "secondline._store"))}
        assert not wrong, f"{path.relative_to(PACKAGE)} imports {wrong}"


def test_the_cohort_imports_only_the_engine_the_fhir_reader_and_the_store() -> None:
    files = sorted((PACKAGE / "_cohort").rglob("*.py"))
    assert len(files) >= 12
    allowed = ("secondline._fhir", "secondline._store", COHORT, "secondline.__version__")
    for path in files:
        for module in imports(path):
            if not _is(module, ("secondline",)) or module == "secondline":
                continue
            top = ".".join(module.split(".")[:2])
            engine_level = (PACKAGE / f"{top.split('.')[1]}.py").is_file()
            assert not _is(module, INTERFACES), f"{path.name} imports {module}"
            assert _is(module, allowed) or engine_level, f"{path.name} imports {module}"


def test_the_engine_imports_neither_the_store_nor_an_interface() -> None:
    engine = [p for p in sorted(PACKAGE.glob("_*.py"))
              if not _is(f"secondline.{p.stem}", INTERFACES) and p.name != "__main__.py"]
    assert any(p.name == "_engine.py" for p in engine)
    for path in engine:
        wrong = {m for m in imports(path)
                 if _is(m, (*INTERFACES, "secondline._store", COHORT))}
        assert not wrong, f"{path.name} imports {wrong}"
    for path in (PACKAGE / "_web").rglob("*.py"):  # the web answers one case at a time
        assert not {m for m in imports(path) if _is(m, (COHORT,))}, path.name


def test_the_checker_sees_an_import_made_inside_a_function(tmp_path: Path) -> None:
    """The check itself can fail: a deferred import of the web layer is caught."""
    path = tmp_path / "upward.py"
    path.write_text("def f():\n    from secondline._web.auth import COOKIE\n"
                    "    import secondline._cli\n")
    assert {m for m in imports(path) if _is(m, INTERFACES)} == {
        "secondline._web.auth", "secondline._web.auth.COOKIE", "secondline._cli"}
