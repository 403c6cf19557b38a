"""What the interfaces call: a case from a file or a body that is either a case (YAML or
JSON) or a FHIR R4 Bundle.

A JSON object with a ``resourceType`` is FHIR: a Bundle is read as a case; any other
resource is refused by name. Anything else is a case file, read as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from secondline._case import Case
from secondline._fhir.output import Reading
from secondline._parse import parse_text, read_text


def looks_like_fhir(text: str) -> bool:
    """Cheap first look: JSON whose text names a resourceType."""
    return text.lstrip().startswith("{") and '"resourceType"' in text


def is_fhir(data: Any) -> bool:
    return isinstance(data, dict) and "resourceType" in data


def case_from_text(
    text: str, name: str, as_of: dt.date | None = None
) -> tuple[Case, Reading | None]:
    """The case, and the Reading when the text was a Bundle (None for a case file)."""
    if looks_like_fhir(text):
        from secondline._fhir.bundle import BundleError, load_json

        try:
            data = load_json(text, name)
        except BundleError:
            data = None  # not JSON after all: read as a case file, which says where it breaks
        if is_fhir(data):
            return case_from_data(data, as_of)
    return parse_text(text, name, as_of), None


def case_from_data(data: Any, as_of: dt.date | None = None) -> tuple[Case, Reading]:
    from secondline._fhir.read import read_bundle

    reading = read_bundle(data, as_of)
    return reading.case, reading


def case_from_source(source: str, as_of: dt.date | None = None) -> tuple[Case, Reading | None]:
    """A path (or ``-`` for standard input) holding a case file or a Bundle."""
    text, name = read_text(source)
    return case_from_text(text, name, as_of)
