"""A first scan fills the tracks table without its secondary indexes and builds them at its end; whatever
stops it (an exception, a killed process), the indexes come back, the same as the schema made them, and
the rows are those a scan with its indexes in place writes. And it reads while it walks."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from player import library
from player.library import scan
from player.store import Store, bulk_load
from player.store.tracks import iter_tracks

REPO = Path(__file__).resolve().parent.parent
_TRACK_COLUMNS = ("path", "artist", "album_artist", "album", "title", "track_number", "duration", "format")


def _indexes(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(
            conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tracks' AND sql IS NOT NULL"
            )
        )


def _deferred(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT name, sql FROM deferred_indexes").fetchall()


def _rows(store: Store) -> list[tuple]:
    return sorted(tuple(t[c] for c in _TRACK_COLUMNS) for t in iter_tracks(store))


@pytest.fixture
def schema_indexes(tmp_path: Path) -> dict[str, str]:
    Store.open(tmp_path / "fresh.db").close()
    indexes = _indexes(tmp_path / "fresh.db")
    assert {"tracks_artist", "tracks_album", "tracks_added", "tracks_title"} <= set(indexes)
    return indexes


def test_a_first_scan_builds_the_indexes_after_its_rows(
    corpus_dir: Path, tmp_path: Path, schema_indexes: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped: list[bool] = []
    real_defer = bulk_load.defer_track_indexes
    monkeypatch.setattr(
        bulk_load, "defer_track_indexes", lambda store: dropped.append(real_defer(store)) or True
    )
    monkeypatch.setattr(library, "_DEFER_INDEXES_FROM", 10)  # the corpus's 181 files are enough here
    with Store.open(tmp_path / "bulk.db") as store:
        summary = scan(store, [corpus_dir], workers=2)
        bulk_rows = _rows(store)
    assert dropped == [True]
    assert summary.added == len(bulk_rows) > 150
    assert _indexes(tmp_path / "bulk.db") == schema_indexes
    assert _deferred(tmp_path / "bulk.db") == []

    monkeypatch.setattr(library, "_DEFER_INDEXES_FROM", 10**9)  # the same scan, indexes in place
    with Store.open(tmp_path / "indexed.db") as store:
        scan(store, [corpus_dir], workers=2)
        assert _rows(store) == bulk_rows
    assert dropped == [True]

    # A second scan finds the table filled: nothing is dropped again.
    monkeypatch.setattr(library, "_DEFER_INDEXES_FROM", 10)
    with Store.open(tmp_path / "bulk.db") as store:
        assert real_defer(store) is False
        plan = store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM tracks WHERE artist = ? COLLATE NOCASE", ("x",)
        ).fetchall()
    assert "tracks_artist" in str(plan)


def test_an_interrupted_first_scan_builds_the_indexes_before_it_stops(
    corpus_dir: Path, tmp_path: Path, schema_indexes: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "_DEFER_INDEXES_FROM", 10)
    monkeypatch.setattr(library, "_WRITE_BATCH", 20)  # some rows are committed before the stop

    def stop_half_way(done: int, total: int) -> None:
        if done >= 50:  # about a third of the corpus (the total is not known while the walk goes on)
            raise KeyboardInterrupt

    with Store.open(tmp_path / "cut.db") as store:
        with pytest.raises(KeyboardInterrupt):
            scan(store, [corpus_dir], progress=stop_half_way, workers=1)
        assert 0 < len(_rows(store))
    assert _indexes(tmp_path / "cut.db") == schema_indexes
    assert _deferred(tmp_path / "cut.db") == []


_KILLED_SCAN = """
import os, sys
from player.store import Store, bulk_load
store = Store.open(sys.argv[1])
assert bulk_load.defer_track_indexes(store)
assert not bulk_load.defer_track_indexes(store)  # a second scan at once leaves them to the first
store.conn.execute(
    "INSERT INTO tracks (path, size, mtime, added_at, updated_at, artist) VALUES ('/a.ogg', 1, 1, 1, 1, 'A')"
)
os._exit(0)  # killed before the end of its scan: nothing more runs
"""


def test_indexes_left_dropped_by_a_killed_scan_are_built_at_the_next_open(
    tmp_path: Path, schema_indexes: dict[str, str]
) -> None:
    db = tmp_path / "killed.db"
    Store.open(db).close()
    subprocess.run([sys.executable, "-c", _KILLED_SCAN, str(db)], check=True, cwd=REPO, timeout=120)
    # The SQL waits in the database, under the name of a process that has ended.
    assert set(_indexes(db)) == set()
    assert sorted(name for name, _ in _deferred(db)) == sorted(schema_indexes)

    with Store.open(db) as store:
        assert store.conn.execute("SELECT artist FROM tracks").fetchall() == [("A",)]
    assert _indexes(db) == schema_indexes
    assert _deferred(db) == []
    with Store.open(db) as store:
        assert store.build_deferred_indexes() == 0


def test_the_indexes_are_left_to_the_scan_while_it_runs(
    tmp_path: Path, schema_indexes: dict[str, str]
) -> None:
    """The app opens the database on other threads while its first scan runs (the library's rows, the
    side panels), and a command may too: none of them builds the indexes the scan left out, only the scan
    at its end."""
    db = tmp_path / "running.db"
    with Store.open(db) as scanning:
        assert bulk_load.defer_track_indexes(scanning)
        with Store.open(db) as other:  # another thread of the same process
            assert other.build_deferred_indexes() == 0
        code = "import sys; from player.store import Store; Store.open(sys.argv[1]).close()"
        subprocess.run([sys.executable, "-c", code, str(db)], check=True, cwd=REPO, timeout=120)
        assert set(_indexes(db)) == set()  # another process left them too
        assert scanning.build_deferred_indexes(mine=True) == len(schema_indexes)
    assert _indexes(db) == schema_indexes


def test_a_database_locked_past_the_wait_is_not_called_damaged(tmp_path: Path) -> None:
    """Opening needs the write lock where a killed scan left indexes to build (and to migrate): a database
    another program holds locked is said to be locked, never "damaged ... move it aside"."""
    from player.store.core import _open_failure

    message = _open_failure(tmp_path / "encore.db", sqlite3.OperationalError("database is locked"))
    assert "locked" in message and "damaged" not in message and "move it aside" not in message


def test_a_first_scan_reads_while_it_walks_and_a_rescan_walks_first(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into an empty library every file is new, so the files go to the readers as the walk finds them
    (the walk was a tenth of a first scan during which the readers waited); into a library that has
    tracks, the walk ends first, since a new file may be a vanished one moved."""
    from player import scan_plan

    events: list[str] = []
    real_walk, real_read = scan_plan.walk_files, library.read_many

    def walk_files(roots, result):
        yield from real_walk(roots, result)
        events.append("walked")

    def read_many(chunk):
        events.append("read")
        return real_read(chunk)

    monkeypatch.setattr(scan_plan, "walk_files", walk_files)
    monkeypatch.setattr(library, "read_many", read_many)
    for name in ("_DEFER_INDEXES_FROM", "_PARALLEL_THRESHOLD", "_READ_CHUNK"):
        monkeypatch.setattr(library, name, 10)
    with Store.open(tmp_path / "stream.db") as store:
        first = scan(store, [corpus_dir], workers=1)
        assert events.index("read") < events.index("walked") and events.count("read") > 10
        assert first.added == len(_rows(store)) > 150
        events.clear()
        (tmp_path / "more").mkdir()
        copy = tmp_path / "more" / "copy.ogg"
        copy.write_bytes(next(corpus_dir.rglob("*.ogg")).read_bytes())
        again = scan(store, [corpus_dir, tmp_path / "more"], workers=1)
        assert events == ["walked", "read"] and again.added == 1 and again.unchanged == first.added
