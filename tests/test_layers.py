"""The arrows point down: the interfaces (command line, web) may import the store and
the cohort; the cohort may import the engine, the FHIR reader and the store (to read
it); the store imports the engine; and nothing imports a layer above it: neither the
store, the FHIR package nor the engine imports an interface or the cohort."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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


def _engine_modules() -> set[str]:
    """The engine level: the top-level ``secondline._*.py`` modules that are not
    interfaces (the package's own ``secondline`` import of them included)."""
    return {f"secondline.{p.stem}" for p in PACKAGE.glob("_*.py")
            if not _is(f"secondline.{p.stem}", INTERFACES) and p.name != "__main__.py"}


def _outside(path: Path, allowed: tuple[str, ...]) -> set[str]:
    """What a file imports of secondline beyond ``allowed`` (engine names imported from
    the package, ``from secondline import _yaml``, count as those modules)."""
    engine = _engine_modules()
    wrong = set()
    for module in imports(path):
        if not _is(module, ("secondline",)) or module in ("secondline",
                                                           "secondline.__version__"):
            continue
        if module in engine or _is(module, allowed) or any(
                module.startswith(e + ".") for e in engine):
            continue
        wrong.add(module)
    return wrong


@pytest.mark.parametrize(("package", "allowed", "least"), [
    ("_fhir", ("secondline._fhir",), 10),
    ("_cds_hooks", ("secondline._fhir", "secondline._cds_hooks"), 6),
    ("_store", ("secondline._store",), 8),
    ("_cohort", ("secondline._cohort", "secondline._fhir", "secondline._store"), 12),
])
def test_each_layer_imports_only_the_layers_below_it(package: str,
                                                     allowed: tuple[str, ...],
                                                     least: int) -> None:
    """_fhir: the engine only; _cds_hooks: the engine and _fhir; _store: the engine
    only; _cohort: the engine, _fhir (the reader) and _store (read only). The web layer
    and the command line may import anything."""
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert len(files) >= least
    for path in files:
        wrong = _outside(path, allowed)
        assert not wrong, f"{path.relative_to(PACKAGE)} imports {wrong}"


def test_the_layer_check_sees_a_cds_module_reaching_for_the_store(tmp_path: Path) -> None:
    path = tmp_path / "cds.py"
    path.write_text("from secondline._fhir.apply import apply\n"
                    "from secondline import _yaml\n"
                    "def f():\n    from secondline._store import Database\n"
                    "    import secondline._web.cds\n")
    assert _outside(path, ("secondline._fhir", "secondline._cds_hooks")) == {
        "secondline._store", "secondline._store.Database", "secondline._web.cds"}
