"""One naming of untagged music, the same in every view (issue 26 item 3): no folder stands for an
artist, titles from file names are cleaned ("track19" -> "Track 19") where they are stored, a title tag
with several values gives the one the file is named after, untagged groups are never ranked as artists,
and a database an older version scanned is renamed when it is opened (schema 9)."""

from __future__ import annotations

import shutil
import sqlite3

from player.library import scan
from player.naming import choose_title, file_title, is_untagged_artist
from player.store import Store
from player.store.schema import SCHEMA_VERSION
from player.store.tracks import find_track, iter_tracks
from player.tags import guess_from_path

DRASCULA = "drascula-music/scummvm/drascula/audio"
HYPERROGUE = "hyperrogue-music/hyperrogue/music"


def test_untagged_files_are_named_without_folder_artists():
    root = "/srv/corpus"
    guess = guess_from_path(f"{root}/{DRASCULA}/track19.ogg", root)
    assert (guess["artist"], guess["album"], guess["title"], guess["track_number"]) == (
        "Unknown Artist",
        "drascula",
        "Track 19",
        19,
    )
    guess = guess_from_path(f"{root}/wesnoth-1.16-music/games/wesnoth/1.16/data/core/music/silence.ogg", root)
    assert guess["artist"] == "Unknown Artist" and guess["album"] == "wesnoth"
    assert (
        file_title("track_05") == file_title("Track 5") == "Track 5"
        and file_title("Trackless") == "Trackless"
    )
    assert choose_title(["Living Caves", "Crossroads", "Desert"], "/m/hr3-crossroads.ogg") == "Crossroads"
    assert choose_title(["Part One", "Part Two"], "/m/medley.ogg") == "Part One / Part Two"


def test_untagged_groups_are_told_from_artists():
    for name in ("Unknown artist (games)", "Unknown Artist", "", None):
        assert is_untagged_artist(name)
    assert not is_untagged_artist("Unknown Mortal Orchestra") and not is_untagged_artist("Björk")


def test_scan_names_the_corpus_as_every_view_shows_it(corpus_dir, tmp_path):
    music = tmp_path / "music"
    shutil.copytree(corpus_dir / DRASCULA, music / "scummvm" / "drascula" / "audio")
    shutil.copytree(corpus_dir / HYPERROGUE, music / "hyperrogue" / "music", ignore=_only("hr3-*"))
    with Store.open(tmp_path / "encore.db") as store:
        scan(store, [music], workers=1)
        tracks = {t["path"].rsplit("/", 1)[1]: t for t in iter_tracks(store)}
        assert tracks["track19.ogg"]["title"] == "Track 19" and tracks["track19.ogg"]["track_number"] == 19
        assert {t["artist"] for n, t in tracks.items() if n.startswith("track")} == {
            "Unknown artist (drascula)"
        }
        titles = {n: t["title"] for n, t in tracks.items() if n.startswith("hr3-")}
        assert titles["hr3-crossroads.ogg"] == "Crossroads" and titles["hr3-rlyeh.ogg"] == "R'Lyeh"
        assert len(set(titles.values())) == len(titles)  # no longer eight "Living Caves"
        assert find_track(store, "drascula track 19")["title"] == "Track 19"  # the CLI names it alike


def test_an_older_database_is_renamed_when_opened(corpus_dir, tmp_path):
    music = tmp_path / "music"
    shutil.copytree(corpus_dir / DRASCULA, music / "scummvm" / "drascula" / "audio", ignore=_only("track1*"))
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [music], workers=1)
        count = len(list(iter_tracks(store)))
    conn = sqlite3.connect(db)
    with conn:  # as version 7 left it: the folder above the album for the artist, the raw file name
        conn.execute("DELETE FROM schema_version WHERE version > 7")
        conn.execute(
            "UPDATE tracks SET artist = 'scummvm', title = replace(lower(title), ' ', ''), track_number = NULL"
        )
    conn.close()
    with Store.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.conn.execute("SELECT artist, title, track_number, mtime FROM tracks").fetchall()
        assert {r[0] for r in rows} == {"Unknown artist (drascula)"}
        assert all(r[1] == f"Track {r[2]}" for r in rows) and all(r[3] == 0 for r in rows)
        summary = scan(store, [music], workers=1)  # re-reads them: their tags are current again
        assert summary.unchanged == 0 and len(list(iter_tracks(store))) == count
        assert all(r[0] > 0 for r in store.conn.execute("SELECT mtime FROM tracks"))


def _only(pattern: str):
    import fnmatch

    def ignore(_folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n.endswith(".ogg") and not fnmatch.fnmatch(n, pattern)]

    return ignore
