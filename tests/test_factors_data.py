"""Loaders of the pretraining data, on the real shared files (Last.fm 2k, the MSD fragments)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.training import data, msd

REPO = Path(__file__).resolve().parent.parent
LASTFM = REPO.parent / "shared" / "data" / "lastfm-2k"
MSD = REPO.parent / "shared" / "data" / "msd-fragments"
TRIPLETS = MSD / "taste_profile_fragment.txt"
METADATA = MSD / "msd_subset_song_data.csv"


@pytest.fixture(scope="module")
def lastfm() -> data.Interactions:
    return data.load_lastfm2k(LASTFM)


def _raw_rows(path: Path, header: bool = True) -> list[list[str]]:
    lines = path.read_text().splitlines()[1 if header else 0 :]
    return [line.split("\t") for line in lines if line.strip()]


def test_lastfm2k_matrix_matches_the_file(lastfm):
    rows = _raw_rows(LASTFM / "user_artists.dat")
    assert lastfm.matrix.nnz == len(rows) == 74334
    assert lastfm.n_users == len({r[0] for r in rows})
    assert lastfm.n_items == len({r[1] for r in rows})
    assert lastfm.matrix.dtype == np.float32
    assert lastfm.matrix.sum() == pytest.approx(sum(float(r[2]) for r in rows), rel=1e-6)
    # Spot-check individual cells, ids and names (first row of the file, and a non-ASCII name).
    u, a, w = rows[0]
    row = int(np.flatnonzero(lastfm.user_ids == u)[0])
    col = int(np.flatnonzero(lastfm.item_ids == a)[0])
    assert lastfm.matrix[row, col] == float(w)
    names = data.read_artist_names(LASTFM)
    assert lastfm.names[col] == names[a]
    assert "Beyoncé" in set(lastfm.names) and "Sigur Rós" in set(lastfm.names)
    assert "Cantador" in lastfm.licence and "non-commercial" in lastfm.licence


def test_artist_tags_decode_latin1_and_count_applications():
    tags = data.load_artist_tags(LASTFM)
    tag_names = {}
    for raw in (LASTFM / "tags.dat").read_bytes().decode("latin-1").splitlines()[1:]:
        tid, name = raw.split("\t")[:2]
        tag_names[tid] = name
    rows = _raw_rows(LASTFM / "user_taggedartists.dat")
    assert sum(sum(d.values()) for d in tags.values()) == sum(1 for r in rows if r[2] in tag_names)
    a = rows[0][1]
    expected = sum(1 for r in rows if r[1] == a and tag_names.get(r[2]) == tag_names[rows[0][2]])
    assert tags[a][tag_names[rows[0][2]]] == expected
    assert not any("\r" in t for d in tags.values() for t in d)


def test_tag_rows_only_count_the_given_users(lastfm):
    everyone = data.load_tag_rows(LASTFM, lastfm.item_ids, users=None, min_artists=5)
    some = data.load_tag_rows(LASTFM, lastfm.item_ids, users=set(lastfm.user_ids[:100]), min_artists=5)
    assert everyone.shape[1] == some.shape[1] == lastfm.n_items
    assert some.sum() < everyone.sum() and everyone.shape[0] > 100
    assert (np.diff(everyone.indptr) >= 5).all()


def test_bytes_literals_are_decoded():
    assert msd.bytes_literal("b'Rapha\\xc3\\xabl'") == "Raphaël"
    assert msd.bytes_literal('b"It\'s"') == "It's"
    assert msd.bytes_literal("plain") == "plain"
    meta = msd.read_msd_metadata(METADATA)
    assert len(meta) == 10000
    song = meta["SOGSMXL12A81C23D88"]
    assert song.artist == "Raphaël" and song.title == "Je Sais Que La Terre Est Plate"
    assert song.artist_mbid == "c43bb0d6-94d7-410f-80fb-e5a243b18d23"


def test_taste_triplets_stream_in_blocks_with_the_same_result():
    rows = _raw_rows(TRIPLETS, header=False)  # the Taste Profile has no header line
    whole = msd.read_taste_triplets(TRIPLETS)
    blocks = msd.read_taste_triplets(TRIPLETS, block_lines=500)  # ~85 blocks
    for x, y in zip(whole[:3], blocks[:3], strict=True):
        np.testing.assert_array_equal(x, y)
    assert whole[3] == blocks[3] and whole[4] == blocks[4]
    u, s, c, users, songs = whole
    assert len(c) == len(rows) == 42739 and len(users) == 1630 and len(songs) == 9071
    assert u.dtype == np.int32 and s.dtype == np.int32
    assert users[u[0]] == rows[0][0] and songs[s[-1]] == rows[-1][1] and c[-1] == float(rows[-1][2])


def test_msd_song_and_artist_levels():
    songs = msd.load_msd(TRIPLETS, METADATA, level="song")
    assert songs.n_items == 9071 and songs.matrix.nnz == 42739 and songs.level == "song"
    assert songs.extra["songs_with_metadata"] == 160
    named = [n for n in songs.names if " - " in n]
    assert len(named) == 160
    artists = msd.load_msd(TRIPLETS, METADATA, level="artist")
    assert artists.level == "artist" and 0 < artists.n_items <= 160
    assert artists.matrix.sum() == pytest.approx(
        sum(songs.matrix[:, j].sum() for j in range(songs.n_items) if " - " in songs.names[j])
    )
    assert "Million Song Dataset" in songs.licence
