"""Start-up and speed work must change no answer: the compiled knowledge cache, and the
output models built without validating again.

The cache is keyed by content, so an edited knowledge base is seen at once; anything
wrong with a cache file (damaged, forged, not private, unwritable) means the files are
read as usual. Every test here points the cache at its own temporary directory.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel

import secondline
from knowledge_files import read_yaml, write_yaml
from secondline import (
    Assessment,
    Case,
    _cache,
    _checks,
    _knowledge,
    assess,
    check_knowledge,
    load_knowledge,
    read_case,
)
from secondline._assessment import assessment_json
from secondline._cache import cache_dir, cache_key, read_cache
from secondline._checks import Files
from secondline._schema import Citation
from strategies import cases

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("SECONDLINE_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The roots whose YAML files were read and validated (not taken from the cache)."""
    roots: list[Path] = []
    parse = _knowledge._parse

    def counted(files: Files, problems: _checks.Problems) -> Any:
        roots.append(files.root)
        return parse(files, problems)

    monkeypatch.setattr(_knowledge, "_parse", counted)
    return roots


def _copy(root: Path, to: Path) -> Path:
    shutil.copytree(root, to)
    return to


def _cache_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("knowledge-*.pickle"))


def _same(one: secondline.Knowledge, other: secondline.Knowledge) -> None:
    assert [c.option for c in one.options] == [c.option for c in other.options]
    for name in ("sources", "drugs", "definitions", "rules", "leaflet", "symptoms", "settings",
                 "drug_names", "symptom_names"):
        assert getattr(one, name) == getattr(other, name), name


def test_the_suite_never_writes_to_the_users_cache() -> None:
    directory = cache_dir()
    assert directory is not None
    assert not directory.resolve().is_relative_to(Path.home() / ".cache")


def test_a_second_load_of_the_same_content_comes_from_the_cache(
    knowledge_copy: Path, cache: Path, parses: list[Path], tmp_path: Path
) -> None:
    first = load_knowledge(knowledge_copy)
    assert parses == [knowledge_copy]
    assert len(_cache_files(cache)) == 1
    again = _copy(knowledge_copy, tmp_path / "again")
    second = load_knowledge(again)
    assert parses == [knowledge_copy]  # not validated again
    assert second.root == again
    _same(first, second)


def test_the_cached_knowledge_gives_the_same_answers(
    knowledge_copy: Path, cache: Path, tmp_path: Path
) -> None:
    load_knowledge(knowledge_copy)
    cached = load_knowledge(_copy(knowledge_copy, tmp_path / "again"))
    checked, problems = check_knowledge(knowledge_copy)
    assert checked is not None
    assert problems == []
    for path in EXAMPLES:
        case = read_case(str(path))
        assert assessment_json(assess(case, cached)) == assessment_json(assess(case, checked))


def test_an_edited_copy_is_seen_at_once(knowledge_copy: Path, cache: Path) -> None:
    path = knowledge_copy / "options" / "cladribine.yaml"
    assert _name(load_knowledge(knowledge_copy), "cladribine") != "Cladribine (edited)"
    data = read_yaml(path)
    data["name"] = "Cladribine (edited)"
    write_yaml(path, data)
    assert _name(load_knowledge(knowledge_copy), "cladribine") == "Cladribine (edited)"
    assert len(_cache_files(cache)) == 2  # one per content


def _name(knowledge: secondline.Knowledge, option_id: str) -> str:
    return next(c.option.name for c in knowledge.options if c.option.id == option_id)


def test_the_key_covers_every_file_the_version_and_python(
    knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = cache_key(Files.read(knowledge_copy))
    path = knowledge_copy / "drugs.yaml"
    path.write_bytes(path.read_bytes() + b"\n")
    edited = cache_key(Files.read(knowledge_copy))
    assert edited not in (None, key)
    option = knowledge_copy / "options" / "cladribine.yaml"
    option.rename(option.with_name("cladribine-2.yaml"))
    renamed = cache_key(Files.read(knowledge_copy))
    assert renamed not in (None, key, edited)
    monkeypatch.setattr(secondline, "__version__", "0.0.0-other")
    assert cache_key(Files.read(knowledge_copy)) != renamed
    monkeypatch.undo()
    monkeypatch.setattr(sys, "version", "3.99.0 (another build)")
    assert cache_key(Files.read(knowledge_copy)) != renamed


def test_a_broken_knowledge_base_is_never_cached(knowledge_copy: Path, cache: Path) -> None:
    (knowledge_copy / "drugs.yaml").write_text("drugs: [", encoding="utf-8")
    with pytest.raises(secondline.KnowledgeError):
        load_knowledge(knowledge_copy)
    assert _cache_files(cache) == []


def _damage(how: str, file: Path) -> None:
    blob = file.read_bytes()
    if how == "truncated":
        file.write_bytes(blob[: len(blob) // 2])
    elif how == "a byte changed":
        file.write_bytes(blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:])
    elif how == "empty":
        file.write_bytes(b"")
    elif how == "garbage":
        file.write_bytes(os.urandom(4096))
    elif how == "another key":
        head = len(_cache._CACHE_FORMAT)
        file.write_bytes(blob[:head] + bytes(32) + blob[head + 32:])
    elif how == "a directory":
        file.unlink()
        file.mkdir()
    elif how == "a link":
        file.rename(file.with_name("elsewhere"))
        file.symlink_to(file.with_name("elsewhere"))
    elif how == "writable by others":
        file.chmod(0o666)


@pytest.mark.parametrize(
    "how",
    ["truncated", "a byte changed", "empty", "garbage", "another key", "a directory",
     "a link", "writable by others"],
)
def test_a_damaged_or_unsafe_cache_file_falls_back_to_the_files(
    how: str, knowledge_copy: Path, cache: Path, parses: list[Path], tmp_path: Path
) -> None:
    first = load_knowledge(knowledge_copy)
    [file] = _cache_files(cache)
    _damage(how, file)
    again = _copy(knowledge_copy, tmp_path / "again")
    _same(first, load_knowledge(again))
    assert parses == [knowledge_copy, again]  # the files were read again


def test_a_cache_directory_others_can_use_is_left_alone(
    knowledge_copy: Path, cache: Path, parses: list[Path], tmp_path: Path
) -> None:
    load_knowledge(knowledge_copy)
    cache.chmod(0o775)
    again = _copy(knowledge_copy, tmp_path / "again")
    load_knowledge(again)  # a good file there is not trusted ...
    assert parses == [knowledge_copy, again]
    for file in _cache_files(cache):
        file.unlink()
    load_knowledge(_copy(knowledge_copy, tmp_path / "third"))
    assert _cache_files(cache) == []  # ... and none is written


_RAN: list[str] = []


def _record() -> None:
    _RAN.append("code ran")


class _Forged:
    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return _record, ()


def test_a_forged_cache_file_cannot_run_code(knowledge_copy: Path, cache: Path) -> None:
    key = cache_key(Files.read(knowledge_copy))
    assert key is not None
    payload = pickle.dumps(_Forged())
    cache.mkdir(mode=0o700)
    file = cache / f"knowledge-{key.hex()}.pickle"
    file.write_bytes(_cache._CACHE_FORMAT + key + hashlib.sha256(payload).digest() + payload)
    file.chmod(0o600)
    assert read_cache(key) is None
    assert load_knowledge(knowledge_copy).options
    assert _RAN == []


def test_the_cache_is_private_and_written_whole(
    knowledge_copy: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed: list[tuple[Path, Path]] = []
    replace = os.replace

    def spy(source: Any, target: Any) -> None:
        renamed.append((Path(source), Path(target)))
        replace(source, target)

    monkeypatch.setattr(os, "replace", spy)
    load_knowledge(knowledge_copy)
    [file] = _cache_files(cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert file.stat().st_uid == os.getuid()
    [(temporary, target)] = renamed
    assert target == file
    assert temporary.parent == cache
    assert temporary != file
    assert sorted(cache.iterdir()) == [file]  # no temporary file left behind


def test_a_cache_that_cannot_be_written_is_only_slower(
    knowledge_copy: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def fail(source: Any, target: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    assert load_knowledge(knowledge_copy).options
    assert list(cache.iterdir()) == []  # neither the file nor its temporary remains
    monkeypatch.undo()
    monkeypatch.setenv("SECONDLINE_CACHE_DIR", str(knowledge_copy / "sources.yaml" / "x"))
    assert load_knowledge(_copy(knowledge_copy, tmp_path / "again")).options


def test_the_cache_directory_follows_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SECONDLINE_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "secondline"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as XDG says
    assert cache_dir() == tmp_path / "home" / ".cache" / "secondline"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "secondline"


def _validated(value: Any) -> Any:
    """The value rebuilt through pydantic's strict validation, model by model."""
    if isinstance(value, BaseModel) and not isinstance(value, Citation):
        fields = {name: _validated(getattr(value, name)) for name in type(value).model_fields}
        return type(value).model_validate(fields, strict=True)
    if isinstance(value, list):
        return [_validated(item) for item in value]
    return value


def _same_as_validated(result: Assessment) -> None:
    rebuilt = _validated(result)
    assert rebuilt == result
    assert assessment_json(rebuilt) == assessment_json(result)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_built_assessments_are_what_validation_gives(path: Path) -> None:
    _same_as_validated(assess(read_case(str(path))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_built_assessments_are_what_validation_gives_for_any_case(case: Case) -> None:
    _same_as_validated(assess(case))
