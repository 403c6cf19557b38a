"""Import directions: the engine never imports the FHIR package; the interfaces and the
CDS Hooks service do; and
neither ``import secondline`` nor assessing a case file loads fhir.resources."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "secondline"
#: the modules that may import secondline._fhir: the interfaces, the CDS Hooks service
#: (which answers in FHIR's terms), the package itself, and the cohort (it reads FHIR
#: Bulk Data patient by patient with the same reader)
INTERFACES = {"_cli.py", "_web", "_cds_hooks", "_cohort"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _outside_interfaces() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py")
            if p.relative_to(PACKAGE).parts[0] not in INTERFACES | {"_fhir"}]


def test_only_the_interfaces_import_the_fhir_package() -> None:
    checked = _outside_interfaces()
    assert any(p.name == "_engine.py" for p in checked)
    offenders = [str(p.relative_to(PACKAGE)) for p in checked
                 if any(m == "secondline._fhir" or m.startswith("secondline._fhir.")
                        for m in _imports(p))]
    assert offenders == []


def test_the_interfaces_do_import_it() -> None:
    assert any(m.startswith("secondline._fhir") for m in _imports(PACKAGE / "_cli.py"))
    assert any(m.startswith("secondline._fhir") for m in _imports(PACKAGE / "_web" / "api.py"))
    assert any(m.startswith("secondline._fhir")
               for m in _imports(PACKAGE / "_cohort" / "_fhir_bulk.py"))


def test_the_fhir_package_imports_no_interface() -> None:
    for path in (PACKAGE / "_fhir").glob("*.py"):
        assert not any(m.startswith(("secondline._web", "secondline._cli"))
                       for m in _imports(path)), path.name


def test_fhir_resources_is_imported_only_inside_functions() -> None:
    for path in (PACKAGE / "_fhir").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = {getattr(n, "module", None) or n.names[0].name for n in top}
        assert not any(str(name).startswith("fhir") for name in names), path.name


def test_neither_import_nor_a_case_file_loads_fhir_resources() -> None:
    code = (
        "import sys\n"
        "import secondline\n"
        "assert 'fhir.resources' not in sys.modules, 'import secondline'\n"
        "from secondline._cli import main\n"
        "assert main(['assess', 'examples/hcl-late-relapse.yaml', '--json']) == 0\n"
        "assert not any(m.startswith('fhir.') for m in sys.modules), 'assess'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PACKAGE.parents[1])
    assert done.returncode == 0, done.stderr
