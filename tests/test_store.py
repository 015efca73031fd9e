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
