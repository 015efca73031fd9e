"""What a database or file-system fault means for the user, in one sentence (CLI and app alike).

``explain(exc, db_path)`` turns a ``StoreError``, ``sqlite3.Error`` or ``OSError`` into the message
shown instead of a traceback; it never suggests anything that would overwrite a damaged database.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from player.store.core import StoreError, damaged_message


def is_full_disk(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def is_damaged(exc: BaseException) -> bool:
    """Whether ``exc`` says the database file itself is damaged (not merely unwritable or busy)."""
    if not isinstance(exc, sqlite3.Error):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    return name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text or "not a database" in text


def full_disk_message(db_path: Path | str) -> str:
    return f"the disk holding {db_path} is full: free some space; what was already stored is intact"


def explain(exc: BaseException, db_path: Path | str | None) -> str | None:
    """The user-facing sentence for ``exc``, or None if it is not a database/file fault."""
    where = str(db_path) if db_path is not None else "the database"
    if isinstance(exc, StoreError):
        return str(exc)
    if is_full_disk(exc):
        return full_disk_message(where)
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc)
        if name.startswith("SQLITE_READONLY") or "readonly" in text:
            return (
                f"cannot write to {where}: the file or its folder is read-only "
                "(check its permissions, or pass --db with a writable path)"
            )
        if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text or "not a database" in text:
            return damaged_message(where, text)
        if name.startswith("SQLITE_BUSY") or "locked" in text:
            return f"{where} is busy: another program holds it locked; try again in a moment"
        if name.startswith("SQLITE_CANTOPEN"):
            return f"cannot open {where}: check that its folder exists and is writable"
        if name.startswith("SQLITE_IOERR"):
            return f"cannot read or write {where} ({text}): the disk or file system reported an error"
        return f"database error in {where}: {text}"
    if isinstance(exc, OSError):
        target = exc.filename if exc.filename is not None else where
        reason = exc.strerror or str(exc)
        return f"{reason}: {os.fsdecode(target) if isinstance(target, bytes) else target}"
    return None
