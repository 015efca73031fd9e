"""Database faults: each gives one clear sentence and a non-zero exit, and never a changed file."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hostile_helpers import assert_clean_failure, encore

PAGE = 4096


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tracks_root_page(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tracks'").fetchone()[0]
    finally:
        conn.close()


def _damage(db: Path, how: str) -> None:
    data = bytearray(db.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 3 + 100]
    elif how == "random":
        data = bytearray(os.urandom(len(data)))
    elif how == "header":
        data[:16] = b"Not SQLite here\0"
    elif how == "garbage-page":
        page = _tracks_root_page(db)
        data[(page - 1) * PAGE : page * PAGE] = os.urandom(PAGE)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncated", "random", "header", "garbage-page"])
def test_a_damaged_database_is_reported_and_left_alone(hostile_copy, hostile_lib, how):
    _damage(hostile_copy, how)
    before = _digest(hostile_copy)
    commands = [("scan", str(hostile_lib.root)), ("radio", "Mallory")]
    if how != "garbage-page":  # stats reads no track row when there are no plays
        commands.append(("stats",))
    for args in commands:
        result = encore(*args, "--db", str(hostile_copy))
        assert_clean_failure(result, str(hostile_copy), "damaged", ".recover")
    assert _digest(hostile_copy) == before
    assert not (hostile_copy.parent / "encore.db-journal").exists()


def test_a_newer_schema_is_refused(hostile_copy):
    conn = sqlite3.connect(hostile_copy)
    conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")
    conn.commit()
    conn.close()
    assert_clean_failure(encore("stats", "--db", str(hostile_copy)), "schema version 99", "upgrade Encore")


def test_encore_home_pointing_at_a_file(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    result = encore("stats", env={"ENCORE_HOME": str(home)})
    assert_clean_failure(result, "is a file, not a folder", "ENCORE_HOME")
    assert home.read_text() == "not a folder"


def test_an_empty_db_path(tmp_path):
    assert_clean_failure(encore("stats", "--db", "", cwd=tmp_path), "empty")
    assert list(tmp_path.iterdir()) == []


def _unprivileged() -> list[str]:
    """Run as root would ignore file modes: drop the override capabilities (CI runs as root)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_on_write(hostile_copy, hostile_lib, tmp_path, what):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.ogg").write_bytes(hostile_lib.good[0].read_bytes())
    before = _digest(hostile_copy)
    target = hostile_copy if what == "file" else hostile_copy.parent
    mode = target.stat().st_mode
    target.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        result = encore("scan", str(extra), "--db", str(hostile_copy), prefix=_unprivileged())
    finally:
        target.chmod(mode)
    assert_clean_failure(result, "read-only")
    assert _digest(hostile_copy) == before
