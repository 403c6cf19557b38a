"""The compiled cache of the knowledge.

Reading, parsing and validating the ~30 YAML files takes most of the start-up of a command
such as ``secondline assess``, so the validated models are kept on disk, keyed by a hash
of every file's bytes and of the code and versions that read them. Any doubt about a cache
file (missing, corrupt, not private, another key) means it is not used and the files are
read as usual; nothing here raises.

Safety of the pickled cache: pickle can run code while it loads, so a cache file is only
read from a directory and a file that belong to this user and that no one else may read or
write (the file checked on the open descriptor, not following links; a directory that fails
the check is neither read nor written); its SHA-256 must match, which catches truncated or
damaged files; and it is loaded by an unpickler that builds only secondline's own pydantic
models and dates, refusing any other global (``os.system``, say), so even a forged file
could not run code. An HMAC would add nothing: its key would have to live beside the
cache, writable by the same user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

import pydantic
import pydantic_core
import yaml
from pydantic import BaseModel

from secondline._checks import Files

#: bump when the cached layout changes
_CACHE_FORMAT = b"secondline-knowledge-cache 1\n"
#: cache files kept; older ones (earlier knowledge or versions) are removed
_CACHE_KEEP = 8


def _code() -> bytes | None:
    """A hash of the modules that read, validate and compile the knowledge (every
    top-level module of the package; the subpackages — web, FHIR, store, cohort — never
    build the cached knowledge): the version number alone does not change while code is
    worked on. None (no cache) if they cannot be read as files."""
    digest = hashlib.sha256()
    try:
        paths = sorted(Path(__file__).parent.glob("*.py"))
        for path in paths:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.digest() if paths else None


#: taken as the modules are imported, so that it describes the code that is running
_CODE = _code()


def cache_key(files: Files) -> bytes | None:
    """The cache key of a knowledge base: None if a file could not be read."""
    from secondline import __version__

    contents = {name: data for name, data in files.data.items() if data is not None}
    if len(contents) != len(files.data) or _CODE is None:
        return None
    digest = hashlib.sha256(_CACHE_FORMAT)
    for part in (__version__, sys.version, pydantic.VERSION, pydantic_core.__version__,
                 yaml.__version__):
        digest.update(part.encode() + b"\0")
    digest.update(_CODE)
    for name, data in sorted(contents.items()):
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    return digest.digest()


def cache_dir() -> Path | None:
    """``$SECONDLINE_CACHE_DIR``, else ``$XDG_CACHE_HOME/secondline``, else
    ``~/.cache/secondline``; None where files cannot be checked as the user's own."""
    if not hasattr(os, "getuid"):
        return None
    given = os.environ.get("SECONDLINE_CACHE_DIR")
    if given:
        return Path(given)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    try:
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    except RuntimeError:  # no home directory
        return None
    return base / "secondline"


def _private(st: os.stat_result, kind: int) -> bool:
    """Of this kind, this user's, and no one else may read or write it."""
    return (stat.S_IFMT(st.st_mode) == kind and st.st_uid == os.getuid()
            and not st.st_mode & 0o077)


def _cache_file(key: bytes) -> Path | None:
    directory = cache_dir()
    return None if directory is None else directory / f"knowledge-{key.hex()}.pickle"


class _Unpickler(pickle.Unpickler):
    """Builds only secondline's pydantic models (from modules already imported) and dates."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("datetime", "date"):
            return dt.date
        found = getattr(sys.modules.get(module), name, None) if module.startswith(
            "secondline.") else None
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
        raise pickle.UnpicklingError(f"'{module}.{name}' has no place in a knowledge cache")


def read_cache(key: bytes) -> object | None:
    """What was cached under ``key``, or None."""
    path = _cache_file(key)
    try:
        if path is None or not _private(os.lstat(path.parent), stat.S_IFDIR):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        with open(fd, "rb") as file:
            if not _private(os.fstat(file.fileno()), stat.S_IFREG):
                return None
            blob = file.read()
        head = len(_CACHE_FORMAT)
        payload = blob[head + 64:]
        if (blob[:head] != _CACHE_FORMAT or blob[head:head + 32] != key
                or blob[head + 32:head + 64] != hashlib.sha256(payload).digest()):
            return None
        found: object = _Unpickler(io.BytesIO(payload)).load()
        return found
    except Exception:  # any failure: no cache, the files are read instead
        return None


def write_cache(key: bytes, value: object) -> None:
    """Keep ``value`` under ``key``: in a private directory, written to a temporary file
    and renamed, so a reader sees the whole file or none."""
    path = _cache_file(key)
    if path is None:
        return
    try:
        # ~/.cache too is made private if it is missing, as the XDG specification asks
        path.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            path.parent.mkdir(mode=0o700)  # a directory made before is checked below
        if not _private(os.lstat(path.parent), stat.S_IFDIR):
            return
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        blob = _CACHE_FORMAT + key + hashlib.sha256(payload).digest() + payload
        fd, temporary = tempfile.mkstemp(prefix=".knowledge-", suffix=".tmp", dir=path.parent)
        try:
            with open(fd, "wb") as file:
                file.write(blob)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        kept = sorted(path.parent.glob("knowledge-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-_CACHE_KEEP]:
            old.unlink()
    except Exception:  # a cache that cannot be written is only slower
        return
