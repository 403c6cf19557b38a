"""Reading and writing knowledge files in tests, and a copy of the knowledge to break."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from secondline._knowledge import KNOWLEDGE_DIR


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """The whole knowledge base, copied where a test may break it."""
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root
