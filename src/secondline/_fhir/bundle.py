"""A FHIR R4 Bundle at the door: JSON read strictly, bounded, checked as FHIR R4.

Checks run in this order, so that each problem is named plainly: the JSON itself
(duplicate keys, numbers JSON does not allow), the shape secondline relies on (a Bundle
of a type it reads, at most ``MAX_ENTRIES`` entries, each with a resource of a known
type), then full FHIR validation with ``fhir.resources``' R4B models (the package's
default models are R5). fhir.resources does not check coded values, so the codes
relied on here (``Bundle.type``) are checked by hand. Every problem names its field,
e.g. ``entry[3].resource.birthDate``.

fhir.resources is imported on first use only: ``import secondline`` stays light.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from secondline._errors import CaseError
from secondline._parse import field_path
from secondline._parse import load_json as strict_json

#: more entries than any one person's case needs (a full mCODE record is a few hundred);
#: it bounds the work one Bundle can cause
MAX_ENTRIES = 2000
#: digests of resources already found valid, and how many are kept (then forgotten)
_VALID: dict[bytes, None] = {}
MAX_REMEMBERED = 20_000
#: the Bundle types secondline reads: a collection, a search result, a transaction
READ_TYPES = ("collection", "searchset", "transaction")
#: every Bundle.type FHIR R4 defines
BUNDLE_TYPES = (
    "document", "message", "transaction", "transaction-response", "batch", "batch-response",
    "history", "searchset", "collection",
)


class BundleError(CaseError):
    """The input is not a FHIR R4 Bundle secondline can read; each line names the field."""


def load_json(text: str, name: str = "bundle") -> Any:
    """JSON text as data, refusing duplicate keys and non-JSON numbers."""
    return strict_json(text, name, BundleError)


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource of the Bundle, with the name used for it in every message."""

    index: int
    resource: dict[str, Any]
    #: ``Observation/abc`` when the resource has an id, else its fullUrl, else its place
    label: str
    full_url: str | None

    @property
    def type(self) -> str:
        return str(self.resource["resourceType"])


@dataclass(frozen=True)
class Bundle:
    """A checked Bundle: its entries, and an index to resolve references."""

    type: str
    entries: list[Entry]
    data: dict[str, Any]
    by_reference: dict[str, Entry] = field(default_factory=dict)
    #: notes about the Bundle as a whole (a further page, an entry that deletes)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def of_type(self, *types: str) -> Iterator[Entry]:
        return (e for e in self.entries if e.type in types)

    def resolve(self, reference: str | None) -> Entry | None:
        """The entry a reference points to (by fullUrl, ``Type/id`` or a URL ending in
        ``Type/id``), or None when the Bundle does not hold it."""
        if not reference:
            return None
        found = self.by_reference.get(reference)
        if found is None and "/" in reference:
            found = self.by_reference.get("/".join(reference.rstrip("/").split("/")[-2:]))
        return found


def _label(index: int, resource: dict[str, Any], full_url: str | None) -> str:
    kind = resource.get("resourceType")
    if isinstance(resource.get("id"), str) and resource["id"]:
        return f"{kind}/{resource['id']}"
    return full_url or f"entry[{index}] ({kind})"


def _is_resource_type(name: str) -> bool:
    """Whether ``name`` is a FHIR resource type (not a data type such as Coding)."""
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.resource import Resource

    try:
        return issubclass(get_fhir_model_class(name), Resource)
    except ValueError:
        return False


def _shape(data: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """Problems with the shape secondline relies on, and notes on entries it skips."""
    if not isinstance(data, dict):
        return ["bundle: must be a JSON object (a FHIR Bundle)"], []
    kind = data.get("resourceType")
    if kind != "Bundle":
        return [f"resourceType: secondline reads a FHIR Bundle; got {kind!r}"], []
    problems: list[str] = []
    notes: list[tuple[str, str]] = []
    bundle_type = data.get("type")
    if bundle_type not in BUNDLE_TYPES:
        problems.append(f"type: {bundle_type!r} is not a FHIR R4 Bundle type")
    elif bundle_type not in READ_TYPES:
        problems.append(f"type: secondline reads a collection, searchset or transaction "
                        f"Bundle; got {bundle_type!r}")
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        return [*problems, "entry: must be a list"], notes
    if len(entries) > MAX_ENTRIES:
        return [*problems, f"entry: {len(entries)} entries; secondline reads at most "
                f"{MAX_ENTRIES:,} (far more than one person's case needs)"], notes
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"entry[{i}]: must be an object")
            continue
        resource = entry.get("resource")
        request = entry.get("request")
        method = request.get("method") if isinstance(request, dict) else None
        if resource is None and bundle_type == "transaction" and method == "DELETE":
            notes.append((f"entry[{i}]", "a request to delete; nothing to read"))
            continue
        if resource is None:
            problems.append(f"entry[{i}]: has no resource")
        elif not isinstance(resource, dict):
            problems.append(f"entry[{i}].resource: must be an object")
        elif not isinstance(resource.get("resourceType"), str):
            problems.append(f"entry[{i}].resource.resourceType: required")
        elif not _is_resource_type(resource["resourceType"]):
            problems.append(f"entry[{i}].resource.resourceType: "
                            f"{resource['resourceType']!r} is not a FHIR R4 resource type")
    return problems, notes


def _plain(message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _digest(resource: dict[str, Any]) -> bytes:
    text = json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _remember(digest: bytes) -> None:
    if len(_VALID) >= MAX_REMEMBERED:
        _VALID.clear()
    _VALID[digest] = None


def _validate_one(model: Any, data: dict[str, Any], at: tuple[Any, ...]) -> list[str]:
    from pydantic import ValidationError

    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [f"{field_path(at + tuple(e['loc'])) or 'bundle'}: {_plain(str(e['msg']))}"
                for e in exc.errors()]
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        # fhir.resources raises these for shapes its validators do not expect (a
        # contained resource of an unknown type, say): still not valid FHIR R4
        return [f"bundle: not valid FHIR R4 ({exc.__class__.__name__}: {exc})"[:300]]
    return []


def _validate(data: dict[str, Any]) -> list[str]:
    """Full FHIR R4 validation; one line per problem, naming its field.

    The Bundle's own elements are validated, then each entry's resource with its R4B
    model, as validating the whole Bundle at once does. A resource found valid before
    (the same JSON, by a 128-bit digest) is not validated again: an EHR sends the same
    chart each time it is opened, and validation is most of the cost of reading it."""
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.bundle import Bundle as R4Bundle

    entries = data.get("entry", [])
    shell = {**data, "entry": [{k: v for k, v in e.items() if k != "resource"}
                               for e in entries]} if entries else data
    problems = _validate_one(R4Bundle, shell, ())
    for i, entry in enumerate(entries):
        resource = entry.get("resource")
        if resource is None:
            continue
        digest = _digest(resource)
        if digest in _VALID:
            continue
        found = _validate_one(get_fhir_model_class(resource["resourceType"]),
                              resource, ("entry", i, "resource"))
        if found:
            problems += found
        else:
            _remember(digest)
    return problems


def check_bundle(data: Any) -> Bundle:
    """A Bundle secondline can read, or BundleError naming every problem found."""
    problems, notes = _shape(data)
    if problems:
        raise BundleError(problems)
    problems = _validate(data)
    if problems:
        raise BundleError(problems)
    entries: list[Entry] = []
    by_reference: dict[str, Entry] = {}
    for i, raw in enumerate(data.get("entry", [])):
        resource = raw.get("resource")
        if resource is None:
            continue
        full_url = raw.get("fullUrl")
        entry = Entry(i, resource, _label(i, resource, full_url), full_url)
        entries.append(entry)
        if full_url:
            by_reference.setdefault(full_url, entry)
        if resource.get("id"):
            by_reference.setdefault(f"{entry.type}/{resource['id']}", entry)
    for link in data.get("link", []):
        if link.get("relation") == "next":
            notes.append(("Bundle.link", "the search result has a further page, not sent; "
                          "only this page was read"))
    return Bundle(str(data["type"]), entries, data, by_reference, notes)
