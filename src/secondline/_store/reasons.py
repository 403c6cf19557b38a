"""Override reasons: the configurable list of Codings a departing decision must name."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from secondline import _yaml
from secondline._store.errors import InvalidInput

DEFAULT = Path(__file__).resolve().parent / "override-reasons.yaml"
ENV = "SECONDLINE_OVERRIDE_REASONS"


class Coding(BaseModel):
    """As CDS Hooks' ``overrideReasons``: a FHIR Coding whose display is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    system: str | None = Field(None, max_length=200)
    code: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._-]+$")
    display: str = Field(min_length=1, max_length=200)


class ReasonsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: list[Coding] = Field(min_length=1)


@functools.cache
def _load(path: Path) -> tuple[Coding, ...]:
    reasons = ReasonsFile.model_validate(_yaml.load(path.read_text(encoding="utf-8")))
    codes = [r.code for r in reasons.reasons]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{path}: a code is listed twice")
    return tuple(reasons.reasons)


def override_reasons() -> tuple[Coding, ...]:
    """The list in force: ``SECONDLINE_OVERRIDE_REASONS`` if set, else the packaged one."""
    return _load(Path(os.environ.get(ENV) or DEFAULT))


def reason_for(code: str, field: str = "reason") -> Coding:
    for reason in override_reasons():
        if reason.code == code:
            return reason
    codes = ", ".join(r.code for r in override_reasons())
    raise InvalidInput([f"{field}: {code[:80]!r} is not a known override reason "
                        f"(one of: {codes})"])
