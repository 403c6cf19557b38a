"""The public surface: ``secondline`` exports exactly these names; every submodule is private."""

from __future__ import annotations

import importlib
import pkgutil

import secondline

EXPORTED = [
    "Assessment",
    "Case",
    "CaseError",
    "Knowledge",
    "KnowledgeError",
    "SecondlineError",
    "__version__",
    "assess",
    "case_json_schema",
    "check_knowledge",
    "load_knowledge",
    "parse_case",
    "read_case",
]


def test_all_is_pinned_and_sorted() -> None:
    assert sorted(secondline.__all__) == EXPORTED
    assert list(secondline.__all__) == EXPORTED
    assert len(set(secondline.__all__)) == len(secondline.__all__)


def test_every_exported_name_is_importable() -> None:
    module = importlib.import_module("secondline")
    for name in EXPORTED:
        assert getattr(module, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from secondline import *", namespace)
    assert set(EXPORTED) - {"__version__"} <= set(namespace)


def test_error_tree() -> None:
    assert issubclass(secondline.CaseError, secondline.SecondlineError)
    assert issubclass(secondline.KnowledgeError, secondline.SecondlineError)
    assert issubclass(secondline.SecondlineError, Exception)


def test_version_is_a_string() -> None:
    assert isinstance(secondline.__version__, str)
    assert secondline.__version__.count(".") >= 1


def test_the_only_public_submodule_is_the_web_entry_point() -> None:
    found = [
        info.name
        for info in pkgutil.walk_packages(secondline.__path__, prefix="secondline.")
    ]
    assert found, "the package has submodules"
    public = [
        name for name in found
        if not any(part.startswith("_") for part in name.split(".")[1:])
    ]
    assert public == ["secondline.web"]


def test_the_web_entry_point_exports_only_the_app_factory() -> None:
    import secondline.web

    assert secondline.web.__all__ == ["create_app"]
