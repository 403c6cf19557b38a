"""What the reader and the engine made of a record, remembered: a bounded LRU.

An EHR calls ``patient-view`` each time a chart is opened, with the same record, and
reading and assessing it is most of the cost of a call. What they give depends only on

* the resources gathered, their whole content in the order gathered;
* the call's ``fhirServer`` (it makes the resources' fullUrls, which references resolve
  against);
* the service id (the guidance setting);
* the day: with no date in the record, a case is judged as of today.

The key is a 128-bit BLAKE2b digest of exactly these, as canonical JSON (keys sorted).
It holds no patient id: two patients share an entry only if everything the answer is made
from is the same, and then the answer is the same. A changed record is a new key.

What is kept is the assessment and the lines of what was not read, never the cards: the
cards are built afresh for every call, so their uuids come from the call's own
``hookInstance``, the draft requests name the call's patient, and the override reasons
and the MDT link are the current ones. A record that cannot be read is not kept.

The bound is ``MAX_ENTRIES`` entries and ``MAX_BYTES`` bytes (each entry counted as the
size of its assessment's JSON); the least recently used go first. Each worker process
has its own; nothing of it is written anywhere or logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from secondline._assessment import Assessment

MAX_ENTRIES = 512
MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Outcome:
    """A record read and assessed (``result``), or one naming no disease secondline
    assesses (``result`` None, no cards)."""

    result: Assessment | None
    #: what of the record was not read, and why, as listed on the overview card
    not_read: tuple[str, ...]
    #: the bytes this entry is counted as
    size: int


def key(resources: list[dict[str, Any]], fhir_server: str | None, service_id: str,
        today: dt.date) -> bytes:
    """The digest of everything an outcome is made from (see the module's text)."""
    made = [service_id, fhir_server, today.isoformat(), resources]
    try:
        text = b"o" + orjson.dumps(made, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):  # a lone surrogate, an integer past 64 bits
        text = b"j" + json.dumps(made, sort_keys=True, separators=(",", ":"),
                                 ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=16).digest()


def outcome(result: Assessment | None, not_read: list[str]) -> Outcome:
    size = len(result.model_dump_json()) if result is not None else 0
    return Outcome(result, tuple(not_read), size + sum(len(line) for line in not_read))


class Memo:
    """A thread-safe LRU of outcomes by key, bounded in entries and in bytes."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._kept: OrderedDict[bytes, Outcome] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, digest: bytes) -> Outcome | None:
        with self._lock:
            found = self._kept.get(digest)
            if found is not None:
                self._kept.move_to_end(digest)
            return found

    def put(self, digest: bytes, value: Outcome) -> None:
        if value.size > self.max_bytes:
            return
        with self._lock:
            old = self._kept.pop(digest, None)
            if old is not None:
                self.bytes -= old.size
            self._kept[digest] = value
            self.bytes += value.size
            while len(self._kept) > self.max_entries or self.bytes > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self.bytes -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self.bytes = 0


#: this worker process's outcomes
MEMO = Memo()
