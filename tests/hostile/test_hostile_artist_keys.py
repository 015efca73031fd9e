"""Artist love and ban match names by one key (NFKC + casefold): an NFD-tagged track is banned with its
NFC-tagged twin, NFC and NFD ratings are one rating, a name typed without accents finds the artist, and
keys stored by an older version are re-keyed when the database is opened."""

from __future__ import annotations

import shutil
import sqlite3
import unicodedata

import mutagen
from hostile_helpers import assert_clean_failure, encore

from player.library import scan
from player.store import Store
from player.store.ratings import banned_track_ids, loved_track_ids

NFC = unicodedata.normalize("NFC", "Björk")
NFD = unicodedata.normalize("NFD", "Björk")


def _two_bjorks(hostile_lib, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    for name, artist, src in (("nfc.ogg", NFC, hostile_lib.good[0]), ("nfd.ogg", NFD, hostile_lib.good[1])):
        shutil.copy(src, music / name)
        audio = mutagen.File(music / name)
        audio["artist"] = artist
        audio.save()
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [music], workers=1)
        ids = {int(r[0]) for r in store.conn.execute("SELECT id FROM tracks")}
    assert len(ids) == 2
    return db, ids


def test_one_ban_covers_nfc_and_nfd_tags_and_one_rating_is_kept(hostile_lib, tmp_path):
    db, ids = _two_bjorks(hostile_lib, tmp_path)
    assert_clean_failure(encore("ban", "--artist", NFC, "--db", str(db)), "(2 tracks", code=0)
    with Store.open(db) as store:
        assert banned_track_ids(store) == ids
    assert_clean_failure(encore("love", "--artist", NFD, "--db", str(db)), "(2 tracks", code=0)
    with Store.open(db) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM artist_ratings").fetchone()[0] == 1
        assert loved_track_ids(store) == ids and not banned_track_ids(store)


def test_a_name_typed_without_accents_finds_the_artist(hostile_lib, tmp_path):
    db, ids = _two_bjorks(hostile_lib, tmp_path)
    result = encore("love", "--artist", "BJORK", "--db", str(db))
    assert_clean_failure(result, "Loved the artist Björk (2 tracks", code=0)
    with Store.open(db) as store:
        assert loved_track_ids(store) == ids
    assert_clean_failure(encore("unlove", "--artist", "bjork", "--db", str(db)), "Unloved", code=0)
    with Store.open(db) as store:
        assert not loved_track_ids(store)


def test_keys_stored_by_an_older_version_are_rekeyed(hostile_lib, tmp_path):
    db, ids = _two_bjorks(hostile_lib, tmp_path)
    Store.open(db).close()
    conn = sqlite3.connect(db)
    with conn:  # the database as version 6 left it: one key per spelling, casefolded only
        conn.execute("DELETE FROM schema_version WHERE version > 6")
        conn.executemany(
            "INSERT INTO artist_ratings (artist_key, artist, rating, rated_at) VALUES (?, ?, ?, ?)",
            [(NFC.casefold(), NFC, 1, 100.0), (NFD.casefold(), NFD, -1, 200.0), ("ﬁre", "ﬁre", 1, 50.0)],
        )
    conn.close()
    with Store.open(db) as store:
        rows = sorted(store.conn.execute("SELECT artist_key, rating FROM artist_ratings"))
        assert rows == [("björk", -1), ("fire", 1)]  # the newest rating of the two spellings stays
        assert banned_track_ids(store) == ids
