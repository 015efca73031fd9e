"""Opening the database: where it lives, WAL, foreign keys and migrations.

One ``Store`` wraps one SQLite connection (through sqlite-utils). A connection belongs to the
thread that opened it; background workers open their own ``Store`` on the same path, which WAL
makes safe (readers never block the writer).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from player.store import functions, process_owner
from player.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

DB_FILENAME = "encore.db"


class StoreError(RuntimeError):
    """The database cannot be opened or is newer than this version of Encore."""


def like_contains(text: str) -> str:
    """A ``LIKE ? ESCAPE '\\'`` pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


IN_CHUNK = 500
"""Values per ``IN (...)`` list of ``select_in``: far below SQLite's bound-parameter limit."""


def select_in(
    conn: sqlite3.Connection, sql: str, values: Sequence[Any], params: Sequence[Any] = ()
) -> list[tuple]:
    """The rows of ``sql`` for all of ``values``: ``{marks}`` in it stands for an ``IN`` list, filled chunk by
    chunk (after ``params``), the rows of each chunk after the previous one's."""
    out: list[tuple] = []
    for start in range(0, len(values), IN_CHUNK):
        part = list(values[start : start + IN_CHUNK])
        out += conn.execute(sql.format(marks=", ".join("?" * len(part))), (*params, *part)).fetchall()
    return out


def data_home() -> Path:
    """Encore's data folder: ``$ENCORE_HOME`` if set, else the platform's user data dir."""
    env = os.environ.get("ENCORE_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("encore", appauthor=False))


def default_db_path() -> Path:
    return data_home() / DB_FILENAME


class Store:
    """A migrated SQLite database. Use ``Store.open(path)``; close it or use it as a context."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._db: sqlite_utils.Database | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils' view of the connection, made on first use: importing sqlite-utils pulls in numpy
        (≈ 0.35 s), which the desktop app must not pay before its window shows."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Store:
        if path is not None and not os.fspath(path).strip():
            raise StoreError("the database path is empty: give --db a file name, or leave --db out")
        db_path = Path(path) if path is not None else default_db_path()
        if db_path.is_dir():
            raise StoreError(
                f"{db_path} is a folder; the database must be a file (e.g. {db_path / DB_FILENAME})"
            )
        for folder in (db_path.parent, *db_path.parent.parents):
            if folder.exists():
                if not folder.is_dir():
                    raise StoreError(
                        f"cannot create the database in {db_path.parent}: {folder} is a file, not a folder"
                        + (" (check $ENCORE_HOME)" if path is None and os.environ.get("ENCORE_HOME") else "")
                    )
                break
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (see ``transaction``).
            conn = sqlite3.connect(db_path, timeout=30.0, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {db_path}: {exc}") from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            functions.register(conn)
            store = cls(conn, db_path)
            store._migrate()
            try:
                store.build_deferred_indexes()
            except (
                sqlite3.OperationalError
            ) as exc:  # locked, say: queries work without them; the next open tries
                log.warning("could not build the indexes a scan left: %s", exc)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(_open_failure(db_path, exc)) from exc
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all (also on KeyboardInterrupt).

        Nested use joins the outer transaction.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")  # may fail too (a full disk): rolled back below
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it rolls back by itself after some
        errors, a full disk among them); a failing ROLLBACK never hides the error that caused it."""
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error as exc:
                log.warning("rollback failed: %s", exc)

    @property
    def schema_version(self) -> int:
        row = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if row is None:
            return 0
        version = self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        return int(version or 0)

    def _migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at REAL NOT NULL)"
        )
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this Encore ({SCHEMA_VERSION}); "
                "upgrade Encore to open it"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            # The schema change and the version bump commit together; the version is read again
            # under the write lock, so two processes opening a new database do not both migrate.
            with self.transaction() as conn:
                if self.schema_version >= version:
                    continue
                for statement in _statements(MIGRATIONS[version - 1]):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, time.time())
                )

    def build_deferred_indexes(self, mine: bool = False) -> int:
        """Build the indexes a first scan dropped (``player.store.bulk_load``) and left to whoever comes after:
        at every open, those of a scan whose process has ended (killed before its end); with ``mine``, those
        this process dropped (the scan, at its end). Returns how many were built."""
        try:
            owners = {owner for (owner,) in self.conn.execute("SELECT DISTINCT owner FROM deferred_indexes")}
        except sqlite3.OperationalError:  # opened before its schema-v13 migration
            return 0
        if not owners:
            return 0  # the usual case: one look-up at an empty table
        me = process_owner.this_process()
        ready = [o for o in owners if (o == me if mine else o != me and process_owner.is_gone(o))]
        if not ready:
            return 0
        built = 0
        with self.transaction() as conn:
            for name, sql in select_in(
                conn, "SELECT name, sql FROM deferred_indexes WHERE owner IN ({marks})", ready
            ):
                exists = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
                )
                if exists.fetchone() is None:
                    conn.execute(sql)
                    built += 1
                conn.execute("DELETE FROM deferred_indexes WHERE name = ?", (name,))
        return built

    def checkpoint(self) -> None:
        """Fold the WAL into the main file, so that the database is one self-contained file to copy."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def get_state(self, key: str, default: str | None = None) -> str | None:
        """A small persisted app setting or state value (queue position, window geometry...)."""
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def _open_failure(db_path: Path, exc: sqlite3.DatabaseError) -> str:
    """Why a database could not be opened, in words; a damaged one is never overwritten."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return f"cannot open {db_path} for writing: the file or its folder is read-only (check permissions)"
    if name == "SQLITE_FULL" or "disk is full" in text:
        return f"cannot open {db_path}: its disk is full (free some space)"
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        if _no_space_left(db_path):
            return f"cannot open {db_path}: its disk is full (free some space)"
        return f"cannot open {db_path}: the disk reported an I/O error ({text})"
    if name.startswith("SQLITE_BUSY") or "database is locked" in text:
        return (
            f"cannot open {db_path}: another program has held it locked for 30 s (another Encore?); try again"
        )
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return f"cannot open {db_path}: check that the file and its folder are readable and writable"
    return damaged_message(db_path, text)


def _no_space_left(db_path: Path) -> bool:
    try:
        st = os.statvfs(db_path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def damaged_message(db_path: Path | str, detail: str) -> str:
    """The message for a damaged database: where it is and how to recover, never overwriting it."""
    return (
        f"{db_path} is damaged or not a usable Encore database ({detail}). Encore has not changed it. To "
        f"start a new library, move it aside (mv '{db_path}' '{db_path}.damaged') and scan your music "
        f"again; to rescue its plays, try `sqlite3 '{db_path}' .recover | sqlite3 recovered.db`."
    )


def _statements(script: str) -> list[str]:
    """Split a migration script into single statements (``executescript`` would commit each one)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:80]}")
    return statements
