"""The store: WAL, migrations that run at open, refusal of newer schemas and of non-databases,
atomic transactions, and a scan killed midway that leaves a consistent database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from player.library import scan
from player.store import Store, StoreError
from player.store.schema import MIGRATIONS, SCHEMA_VERSION
from player.store.tracks import count_tracks

REPO = Path(__file__).resolve().parent.parent


def test_new_database_is_wal_with_foreign_keys(tmp_store: Store) -> None:
    assert tmp_store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert tmp_store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert tmp_store.schema_version == SCHEMA_VERSION
    with pytest.raises(sqlite3.IntegrityError):  # foreign keys are enforced
        tmp_store.conn.execute(
            "INSERT INTO plays (track_id, session_id, started_at, updated_at) VALUES (999, 's', 1, 1)"
        )


def test_old_database_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at REAL NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1, 0)")
    conn.execute("INSERT INTO tracks (path, size, mtime, added_at, updated_at) VALUES ('/a.ogg', 1, 1, 1, 1)")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert count_tracks(store) == 1  # data kept
        assert store.conn.execute("SELECT COUNT(*) FROM track_stats").fetchone()[0] == 0


def test_the_change_counter_moves_with_the_library_and_not_with_plays(tmp_path: Path) -> None:
    """The start-up caches are keyed by ``library_changes``: every write to tracks or analyses must move
    it (whoever writes), plays and ratings must not, and two databases never share an id."""
    with Store.open(tmp_path / "a.db") as store, Store.open(tmp_path / "b.db") as other:
        conn = store.conn

        def counter() -> tuple[str, int]:
            return conn.execute("SELECT uid, n FROM library_changes").fetchone()

        assert counter()[0] != other.conn.execute("SELECT uid FROM library_changes").fetchone()[0]
        writes = [
            "INSERT INTO tracks (id, path, size, mtime, added_at, updated_at) VALUES (1, '/a.ogg', 1, 1, 1, 1)",
            "UPDATE tracks SET title = 'x' WHERE id = 1",
            "INSERT INTO analysis (track_id, model_version, embedding, tags, analyzed_at) VALUES (1, 'm', x'', x'', 1)",
            "UPDATE analysis SET tempo = 90 WHERE track_id = 1",
            "DELETE FROM analysis",
        ]
        for sql in writes:
            before = counter()
            with store.transaction():
                conn.execute(sql)
            assert counter()[1] > before[1], sql
            assert counter()[0] == before[0]
        before = counter()
        with store.transaction():
            conn.execute(
                "INSERT INTO plays (track_id, session_id, started_at, updated_at) VALUES (1, 's', 1, 1)"
            )
            conn.execute("UPDATE plays SET outcome = 'completed'")
        assert counter() == before
        # Nor ratings (schema v8): the radio's cache names the banned tracks in its key, and ``similar``
        # applies bans per query, so a love or a ban must not throw away the arrays of the whole library.
        for sql in (
            "INSERT INTO track_ratings (track_id, rating, rated_at) VALUES (1, -1, 1)",
            "UPDATE track_ratings SET rating = 1",
            "DELETE FROM track_ratings",
            "INSERT INTO artist_ratings (artist_key, artist, rating, rated_at) VALUES ('a', 'A', -1, 1)",
            "UPDATE artist_ratings SET rating = 1",
            "DELETE FROM artist_ratings",
        ):
            with store.transaction():
                conn.execute(sql)
            assert counter() == before, sql
        with store.transaction():
            conn.execute("DELETE FROM plays")
            conn.execute("DELETE FROM tracks")
        assert counter()[1] > before[1]


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with Store.open(path) as store:
        store.conn.execute("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 5,))
    with pytest.raises(StoreError, match="newer than this Encore"):
        Store.open(path)


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable Encore database"):
        Store.open(path)


def test_transaction_rolls_back_on_error(tmp_store: Store) -> None:
    with pytest.raises(RuntimeError), tmp_store.transaction() as conn:
        conn.execute("INSERT INTO state (key, value) VALUES ('a', '1')")
        raise RuntimeError("boom")
    assert tmp_store.get_state("a") is None
    tmp_store.set_state("a", "2")
    assert tmp_store.get_state("a") == "2"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_scan_killed_midway_leaves_a_consistent_database(
    corpus_files: list[Path], tmp_path: Path, sig: signal.Signals
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    copies = 40
    for i in range(copies):  # hard links: thousands of real files in no time
        for j, src in enumerate(corpus_files):
            os.link(src, lib / f"{i:03d}-{j:03d}{src.suffix}")
    total = copies * len(corpus_files)
    db = tmp_path / "encore.db"
    Store.open(db).close()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "scan", "--db", str(db), "--workers", "1", str(lib)],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    reader = sqlite3.connect(db, timeout=30)
    deadline = time.monotonic() + 120
    committed = 0
    while committed == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
        committed = reader.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
    os.killpg(proc.pid, sig)
    proc.wait(timeout=60)
    reader.close()

    with Store.open(db) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = count_tracks(store)
        assert 0 < kept < total, "the scan should have been stopped midway"
        assert kept % 500 == 0  # whole batches only: no half-written batch
        summary = scan(store, [lib])
        assert summary.unchanged == kept
        assert summary.added == total - kept
        assert count_tracks(store) == total


def test_library_folder_is_the_tracks_common_folder_below_home(tmp_store, tmp_path, monkeypatch):
    """What the first-run dialog suggests for a library scanned from the command line: the folder that
    holds every track, never the home folder (watching it would scan everything in it)."""
    from player.store.tracks import library_folder, upsert_tracks

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    assert library_folder(tmp_store) is None
    row = {"size": 1, "mtime": 0.0, "tags_from_path": 0}
    upsert_tracks(tmp_store, [{"path": str(home / "Music" / d / "1.ogg"), **row} for d in "ab"])
    assert library_folder(tmp_store) == str(home / "Music")
    upsert_tracks(tmp_store, [{"path": str(home / "Downloads" / "2.ogg"), **row}])
    assert library_folder(tmp_store) is None
