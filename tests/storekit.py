"""What the store's tests share: example cases and actors."""

from __future__ import annotations

from pathlib import Path

from secondline import Case, read_case
from secondline._store import Actor

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

CLINICIAN = Actor("dr-jones", "clinician", None)
VIEWER = Actor("observer", "viewer", None)


def example(name: str) -> Case:
    return read_case(str(EXAMPLES / f"{name}.yaml"))
