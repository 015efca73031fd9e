"""Exported playlists import back entry for entry: file names with line breaks, control characters,
accents in NFD, names that look like comments or web addresses, and tags that try to add a path line
of their own or break the XML."""

from __future__ import annotations

import os
import shutil

import pytest
from hostile_helpers import assert_clean_failure, encore

from player.library import scan
from player.playlist_files import export_playlist, import_playlist, read_playlist_file
from player.store import Store
from player.store.playlists import add_tracks, create_playlist, playlist_track_ids

NAMES = [
    b"new\nline.ogg",
    b"carriage\rreturn.ogg",
    b"esc\x1b]0;owned\x07\x1b[2J.ogg",
    b"#not a comment.ogg",
    b" leading space.ogg",
    b"trailing space .ogg",
    b"100%25 pure%.ogg",
    b"ab:c.ogg",
    b"~tilde.ogg",
    "Bjo\u0308rk NFD.ogg".encode(),
    b"line\xe2\x80\xa8separator.ogg",
    b"plain.ogg",
]
TAGS = [
    {"title": "Inject\n/etc/passwd", "artist": "Mallory\r\n#EXTINF:1,x"},
    {"title": "Bell\x07 and \x1b[2J clear", "artist": "Ctrl\x01\x02\x1f"},
    {"title": "Nul\x00 byte", "album": "Form\x0cfeed\x0b"},
]


@pytest.fixture
def tricky_playlist(hostile_lib, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    paths = []
    for i, name in enumerate(NAMES):
        target = os.path.join(os.fsencode(music), name)
        shutil.copyfile(hostile_lib.good[i % len(hostile_lib.good)], target)
        if i < len(TAGS):
            import mutagen

            audio = mutagen.File(target)
            for key, value in TAGS[i].items():
                audio[key] = value
            audio.save()
        paths.append(os.fsdecode(target))
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [music], workers=1)
        ids = []
        for path in paths:
            row = store.conn.execute("SELECT id FROM tracks WHERE path = ?", (path,)).fetchone()
            assert row is not None, path
            ids.append(int(row[0]))
        playlist = create_playlist(store, "Tricky\n#EXTINF:1,x\x1b[2J")
        add_tracks(store, playlist, ids)
    return db, playlist, ids


@pytest.mark.parametrize("suffix", [".m3u8", ".xspf"])
@pytest.mark.parametrize("relative", [True, False])
def test_every_entry_round_trips(tricky_playlist, tmp_path, suffix, relative):
    db, playlist, ids = tricky_playlist
    out = tmp_path / "lists" / f"exported{suffix}"
    with Store.open(db) as store:
        assert export_playlist(store, playlist, out, relative=relative) == len(ids)
        assert len(read_playlist_file(out)) == len(ids)  # no tag added an entry; the XML is well-formed
        result = import_playlist(store, out, "Back", scan_new=False)
        assert result.missing == [] and result.scanned == 0, result
        assert playlist_track_ids(store, result.playlist_id) == ids


def test_the_cli_imports_its_own_export(tricky_playlist, tmp_path):
    db, playlist, ids = tricky_playlist
    for suffix in (".m3u8", ".xspf"):
        out = tmp_path / f"cli{suffix}"
        assert_clean_failure(encore("playlist", "export", str(playlist), str(out), "--db", str(db)), code=0)
        result = encore("playlist", "import", str(out), "--name", f"Again{suffix}", "--db", str(db))
        assert_clean_failure(result, f"Imported {len(ids)} track(s)", code=0)
