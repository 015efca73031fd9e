"""Crafted playlist files (issue 27, items 10 and 16), imported through the real CLI in a child process
with its address space capped, so a bug that comes back shows as a MemoryError or a hang, not a swapping
machine.

- 10: an XSPF document type declaration is refused whatever the file's encoding (UTF-16) and wherever it
  stands (after a 5 KB comment): no entity is ever expanded, no external DTD named.
- 16: a ``.m3u8`` symlink to ``/dev/zero`` or ``/dev/urandom``, a FIFO, a 4 GB sparse file and a
  million-line file are each refused with a clear message, quickly, without creating a playlist; a
  large playlist is exported and shown with memory that does not follow its length.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys

import pytest
from hostile_helpers import REPO, assert_clean_failure, encore

from player.playlist_files import PlaylistFileError, read_playlist_file
from player.playlist_read import MAX_ENTRIES

AS_LIMIT = 1536 * 2**20  # the CLI importing a playlist needs a few hundred MB of address space


STREAM_AS_LIMIT = 384 * 2**20  # export and show of 300 000 entries: 28 MB resident streamed, 720 MB before


def _capped(limit: int = AS_LIMIT) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _stream_capped() -> None:
    _capped(STREAM_AS_LIMIT)


def _import(db, path, timeout: float = 60):
    return encore("playlist", "import", str(path), "--db", str(db), timeout=timeout, preexec_fn=_capped)


def _playlists(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM playlists")]


# --- item 10: document type declarations ------------------------------------------------------------

INJECTED = '<!DOCTYPE playlist [<!ENTITY x "injected/by/an/entity.ogg">]>'
BODY = '<playlist xmlns="http://xspf.org/ns/0/" version="1"><trackList><track><location>&x;</location></track></trackList></playlist>'
LAUGHS = (
    '<!DOCTYPE playlist [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>"
)


@pytest.mark.parametrize(
    "name, data",
    [
        ("utf16.xspf", ('<?xml version="1.0" encoding="UTF-16"?>' + INJECTED + BODY).encode("utf-16")),
        ("utf16be.xspf", ('<?xml version="1.0" encoding="UTF-16"?>' + INJECTED + BODY).encode("utf-16")[2:]),
        ("late.xspf", ("<!--" + "x" * 5000 + "-->" + INJECTED + BODY).encode()),
        (
            "external.xspf",
            ("<!--" + "x" * 5000 + '--><!DOCTYPE playlist SYSTEM "file:///etc/passwd">' + BODY).encode(),
        ),
        ("laughs16.xspf", (LAUGHS + BODY.replace("&x;", "&j;")).encode("utf-16")),
    ],
)
def test_a_dtd_is_refused_in_any_encoding_and_position(name, data, tmp_path):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PlaylistFileError, match="document type declaration"):
        read_playlist_file(path)


def test_the_cli_refuses_a_utf16_dtd_and_creates_nothing(hostile_copy, tmp_path):
    path = tmp_path / "bomb.xspf"
    path.write_bytes((LAUGHS + BODY.replace("&x;", "&j;")).encode("utf-16"))
    before = _playlists(hostile_copy)
    assert_clean_failure(_import(hostile_copy, path), "document type declaration", code=2)
    assert _playlists(hostile_copy) == before


# --- item 16: special, huge and endless files ---------------------------------------------------------


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "fifo"])
def test_a_playlist_that_is_no_regular_file_is_refused_at_once(target, hostile_copy, tmp_path):
    if target == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)
    link = tmp_path / "endless.m3u8"
    link.symlink_to(target)
    before = _playlists(hostile_copy)
    assert_clean_failure(_import(hostile_copy, link), "cannot read", "not a regular file", code=2)
    assert _playlists(hostile_copy) == before


def test_a_sparse_4_gb_playlist_is_refused_by_its_size(hostile_copy, tmp_path):
    path = tmp_path / "sparse.m3u8"
    with open(path, "wb") as fh:
        fh.truncate(4 * 2**30)
    assert_clean_failure(_import(hostile_copy, path), "larger than the 64 MiB allowed", code=2)
    assert _playlists(hostile_copy) == []


def test_a_million_line_playlist_is_refused_whole(hostile_lib, hostile_copy, tmp_path):
    path = tmp_path / "million.m3u8"
    good = [str(p) for p in hostile_lib.good]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("#EXTM3U\n")
        for i in range(1_000_000):
            fh.write(good[i % len(good)] + "\n")
    assert 20 * 2**20 < path.stat().st_size < 64 * 2**20  # under the size cap: the entry cap refuses it
    result = _import(hostile_copy, path, timeout=120)
    assert_clean_failure(result, f"more than {MAX_ENTRIES} entries", "nothing was imported", code=2)
    assert _playlists(hostile_copy) == []


def test_a_large_playlist_is_exported_and_shown_in_bounded_memory(hostile_lib, hostile_copy, tmp_path):
    """``export`` and ``show`` stream the entries (for a million entries they needed 3.2 and 1.9 GB): in
    384 MiB of address space, a playlist of 300 000 entries (put in the database directly, as no import
    takes that many) is written and listed whole."""
    from player.store import Store
    from player.store.playlists import create_playlist
    from player.store.tracks import get_track_by_path

    n = 300_000
    with Store.open(hostile_copy) as store:
        ids = [int(get_track_by_path(store, str(p))["id"]) for p in hostile_lib.good]
        pid = create_playlist(store, "Huge")
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO playlist_entries (playlist_id, position, track_id) VALUES (?, ?, ?)",
                ((pid, i, ids[i % len(ids)]) for i in range(n)),
            )
        store.checkpoint()
    out = tmp_path / "huge.m3u8"
    result = encore(
        "playlist",
        "export",
        "Huge",
        str(out),
        "--db",
        str(hostile_copy),
        timeout=300,
        preexec_fn=_stream_capped,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    with open(out, encoding="utf-8") as fh:
        assert sum(1 for line in fh if not line.startswith("#")) == n
    for extra in ([], ["--json"]):
        shown = tmp_path / "shown.txt"
        with open(shown, "wb") as fh:
            done = subprocess.run(
                [
                    sys.executable,
                    str(REPO / "main.py"),
                    "playlist",
                    "show",
                    "Huge",
                    *extra,
                    "--db",
                    str(hostile_copy),
                ],
                stdout=fh,
                stderr=subprocess.PIPE,
                timeout=300,
                preexec_fn=_stream_capped,
                cwd=REPO,
            )
        assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
        with open(shown, encoding="utf-8") as fh:
            if extra:
                assert len(json.load(fh)["tracks"]) == n
            else:
                assert fh.readline().strip() == f"Huge: {n} tracks" and sum(1 for _ in fh) == n
