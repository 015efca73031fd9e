"""Matching library artists to bundle items: normalisation cases, real files re-tagged with real
Last.fm artist names (spelled the way taggers spell them), the real corpus, and ``match-report``."""

from __future__ import annotations

import json
import shutil

import pytest
from mutagen.oggvorbis import OggVorbis

from main import main
from player.library import scan
from player.store import Store
from recommender.factors.bundle_file import load_bundle
from recommender.factors.match import candidate_names, match_library, normalise_artist, split_credit


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Beatles", "Beatles"),
        ("Beatles, The", "the beatles"),
        ("Beyoncé", "BEYONCE"),
        ("Sigur Rós", "sigur ros"),
        ("Mötley Crüe", "Motley Crue"),
        ("Simon & Garfunkel", "Simon and Garfunkel"),
        ("AC/DC", "ACDC"),
        ("Guns N' Roses", "Guns n Roses"),
        ("Jay-Z feat. Alicia Keys", "Jay-Z"),
        ("Rihanna ft. Drake", "Rihanna"),
        ("Eminem (featuring Dido)", "Eminem"),
        ("Björk", "Bjork"),
        ("Hans Zimmer (composer)", "Hans Zimmer"),
        ("Composer: Hans Zimmer", "Hans Zimmer"),
    ],
)
def test_same_key(a, b):
    assert normalise_artist(a) == normalise_artist(b) is not None


@pytest.mark.parametrize(
    "name", ["Various Artists", "VA", "various", "Unknown Artist", "Original Soundtrack", "", None]
)
def test_placeholders_are_not_artists(name):
    assert normalise_artist(name) is None


def test_distinct_artists_stay_distinct():
    assert normalise_artist("The The") == "the"  # the band keeps a key
    assert normalise_artist("!!!")  # punctuation-only names still get a key
    assert normalise_artist("Muse") != normalise_artist("Mus")
    assert normalise_artist("東方神起") == "東方神起"


def test_credits_split_into_single_names():
    assert split_credit("Jay-Z feat. Alicia Keys") == ["Jay-Z", "Alicia Keys"]
    assert split_credit("Hans Zimmer & Lisa Gerrard") == ["Hans Zimmer", "Lisa Gerrard"]
    assert split_credit("Howard Shore; London Philharmonic") == ["Howard Shore", "London Philharmonic"]
    assert candidate_names("Various Artists", "Hans Zimmer")[:2] == ["Various Artists", "Hans Zimmer"]


TAGS = [  # (artist, album artist, musicbrainz artist id)
    ("radiohead", None, None),
    ("The Beatles", None, None),
    ("Beyonce feat. Jay-Z", None, None),
    ("Various Artists", "Hans Zimmer", None),
    ("Hans Zimmer & Lisa Gerrard", None, None),
    ("Sigur Ros", None, None),
    ("Some Local Band Nobody Knows", None, None),
    ("Radiohead (live bootleg)", None, "A74B1B7F-71A5-4011-9441-D0B5E4122711"),
]
MBID_ARTIST = "Radiohead (live bootleg)"


@pytest.fixture
def retagged(corpus_dir, tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    files = sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[: len(TAGS)]
    for n, (src, (artist, album_artist, mbid)) in enumerate(zip(files, TAGS, strict=True)):
        target = folder / f"{n:02d}.ogg"
        shutil.copy(src, target)
        tags = OggVorbis(target)
        tags["artist"] = artist
        if album_artist:
            tags["albumartist"] = album_artist
        if mbid:
            tags["musicbrainz_artistid"] = mbid
        tags.save()
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [folder])
    return db


def test_match_library_on_retagged_files(retagged):
    bundle = load_bundle()
    with Store.open(retagged) as store:
        m = match_library(store, bundle)
    got = {a: str(bundle.names[i]) for a, i in m.artist_to_item.items()}
    assert got["radiohead"] == "Radiohead"
    assert got["The Beatles"] == "The Beatles"
    assert got["Beyonce feat. Jay-Z"] == "Beyoncé"
    assert got["Hans Zimmer"] == "Hans Zimmer"  # "Various Artists" falls back to the album artist
    assert got["Hans Zimmer & Lisa Gerrard"] == "Hans Zimmer"  # first name of a joint credit
    assert m.how["Hans Zimmer & Lisa Gerrard"] == "credit"
    assert got["Sigur Ros"] == "Sigur Rós"
    # The Last.fm bundle has no MusicBrainz ids, so the bootleg credit stays unknown here.
    assert m.unmatched == ["Some Local Band Nobody Knows", MBID_ARTIST]
    assert len(m.track_item) == len(TAGS) - 2 and len(m.track_artist) == len(TAGS)


def test_match_library_uses_musicbrainz_ids_when_both_sides_have_them(retagged):
    bundle = load_bundle()
    import dataclasses

    import numpy as np

    item = bundle.key_index["radiohead"]
    mbids = np.array(bundle.mbids, dtype=object)
    mbids[item] = "a74b1b7f-71a5-4011-9441-d0b5e4122711"
    with_ids = dataclasses.replace(bundle, mbids=mbids.astype(str))
    with_ids.__dict__.pop("mbid_index", None)
    with Store.open(retagged) as store:
        m = match_library(store, with_ids)
    assert m.artist_to_item[MBID_ARTIST] == item and m.how[MBID_ARTIST] == "mbid"


def test_match_report_on_the_real_corpus(corpus_store, corpus_db_path, capsys):
    assert main(["match-report", "--db", str(corpus_db_path), "--json", "--limit", "-1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tracks"] > 150 and report["artists"] > 5
    # Game-music composers are not Last.fm 2k artists: that is what the audio bridge is for.
    assert report["unmatched_total"] == report["artists"] - report["artists_matched"]
    assert {r["artist"] for r in report["unmatched"]} >= {"Muldjord"}
    assert main(["match-report", "--db", str(corpus_db_path)]) == 0
    assert "unmatched artists by plays" in capsys.readouterr().out


def test_match_report_text(retagged, capsys):
    assert main(["match-report", "--db", str(retagged)]) == 0
    out = capsys.readouterr().out
    assert f"tracks:  {len(TAGS) - 2} of {len(TAGS)} matched" in out
    assert "Some Local Band Nobody Knows" in out


def test_a_match_read_from_arrays_answers_as_its_dicts(monkeypatch):
    """``LibraryMatch.of_arrays`` (the radio cache's match, read on demand) gives what the dicts give:
    by binary search, then by a dict once a caller walks many tracks, and as dicts again when asked."""
    import numpy as np

    from recommender.factors.match import LibraryMatch
    from recommender.factors.track_artists import TrackArtists

    rng = np.random.default_rng(3)
    names = ["Alpha", "Beta", "Gamma", "Delta"]
    tracks = np.arange(1, 400, 3)
    local = rng.integers(0, len(names), len(tracks))
    plain = {int(t): names[j] for t, j in zip(tracks.tolist(), local.tolist(), strict=True)}
    groups = {a: [t for t, b in plain.items() if b == a] for a in names}
    monkeypatch.setattr(TrackArtists, "SEARCHES", 50)
    lazy = LibraryMatch.of_arrays(names, tracks[::-1].copy(), local[::-1].copy())  # any order given
    asked = list(range(0, 420))
    assert [lazy.track_artist.get(t) for t in asked] == [plain.get(t) for t in asked]  # past 50: a dict
    assert dict(lazy.track_artist.items()) == plain and len(lazy.track_artist) == len(plain)
    assert {
        a: lazy.artist_tracks[a] for a in lazy.artist_tracks
    } == groups and "Omega" not in lazy.artist_tracks
    names_, tracks_, local_ = lazy.arrays()
    assert names_ == names and tracks_.tolist() == sorted(plain)
    assert [names[j] for j in local_.tolist()] == [plain[t] for t in sorted(plain)]


def _as_dicts(match) -> dict:
    return {
        "track_artist": dict(match.track_artist.items()),
        "artist_tracks": {a: list(match.artist_tracks[a]) for a in match.artist_tracks},
        "artist_to_item": match.artist_to_item,
        "how": match.how,
        "unmatched": match.unmatched,
    }


@pytest.mark.parametrize("cut", [1, 5, 9, 12])
def test_a_match_plus_new_tracks_is_the_match_of_them_all(cut):
    """``LibraryMatch.plus`` (the radio cache's match given a new album's tracks) gives what matching
    every track at once gives: new tracks of known artists under their first spelling, new artists
    after the old ones, an old unmatched artist matched by a new credit, joint credits and
    placeholders, from a plain match and from one read from arrays."""
    import dataclasses

    import numpy as np

    from recommender.factors.match import LibraryMatch, match_rows

    bundle = load_bundle()
    known = str(bundle.names[int(bundle.key_index["radiohead"])])
    mbids = np.array(bundle.mbids, dtype=object)
    mbids[int(bundle.key_index["bjork"])] = "0000-bjork"
    bundle = dataclasses.replace(bundle, mbids=mbids.astype(str))
    rows = [
        (3, "Some Local Band", None, None, None),
        (4, known, None, None, None),
        (7, "Unknown Artist", None, None, None),  # a placeholder: no artist
        (8, "Bjørk Tribute Nobody Knows", None, None, None),
        (11, "RADIOHEAD", None, None, None),  # another spelling of a known artist
        (12, "some local band", "Some Local Band", None, None),
        (15, "Bjørk Tribute Nobody Knows", None, "0000-bjork", None),  # its item found by the new credit
        (16, "Jay-Z feat. Alicia Keys", None, None, None),
        (20, None, "An Album Artist Only", None, None),
        (21, "Brand New Local", None, None, None),
        (30, known, "Various Artists", None, None),
        (31, "Brand New Local", None, None, None),
    ]
    whole = match_rows(rows, bundle)
    old = match_rows(rows[:cut], bundle)
    names, tracks, local = old.arrays()
    from_arrays = LibraryMatch.of_arrays(names, tracks, local)
    from_arrays.artist_to_item, from_arrays.how = dict(old.artist_to_item), dict(old.how)
    assert whole.keys is not None and len(whole.keys) == len(whole.artist_tracks)
    for base in (old, from_arrays):
        grown = base.plus(rows[cut:], bundle)
        assert _as_dicts(grown) == _as_dicts(whole)
        # The spellings' keys are carried on (made only when a new spelling needed them).
        assert grown.keys == whole.keys if base.keys is not None else grown.keys in (None, whole.keys)


def _match_row_by_row(rows, bundle):
    """The matching in its plainest form: one track at a time, every name normalised (the reference)."""
    from recommender.factors.match import LibraryMatch, _local_artist

    result = LibraryMatch()
    key_of_local: dict = {}
    local_of: dict = {}
    tried: set = set()
    for track_id, artist, album_artist, mb_artist, mb_album_artist in rows:
        pair = (artist, album_artist)
        if pair not in local_of:
            local = _local_artist(artist, album_artist)
            if local is not None:
                local = key_of_local.setdefault(normalise_artist(local), local)
            local_of[pair] = local
        local = local_of[pair]
        if local is None:
            continue
        result.track_artist[track_id] = local
        result.artist_tracks.setdefault(local, []).append(track_id)
        credit = (local, artist, album_artist, mb_artist, mb_album_artist)
        if local in result.artist_to_item or credit in tried:
            continue
        item = how = None
        for mbid in (mb_artist, mb_album_artist):
            if mbid and mbid.strip().lower() in bundle.mbid_index:
                item, how = bundle.mbid_index[mbid.strip().lower()], "mbid"
                break
        if item is None:
            for n, name in enumerate(candidate_names(artist, album_artist)):
                k = normalise_artist(name)
                if k is not None and k in bundle.key_index:
                    item, how = bundle.key_index[k], ("name" if n == 0 or name == local else "credit")
                    break
        if item is not None:
            result.artist_to_item[local] = int(item)
            result.how[local] = how
        else:
            tried.add(credit)
    result.unmatched = [a for a in result.artist_tracks if a not in result.artist_to_item]
    return result


@pytest.mark.parametrize("seed", range(4))
def test_the_match_is_what_matching_one_track_at_a_time_gives(seed):
    """``match_rows`` (names normalised only when a new spelling needs them, the MusicBrainz index read on
    the first id, a match grown by ``plus``) gives what the plainest matching gives: spellings,
    placeholders, joint credits, ids that match late, whole or in parts."""
    import dataclasses
    import random

    import numpy as np

    from recommender.factors.match import match_rows

    bundle = load_bundle()
    mbids = np.array(bundle.mbids, dtype=object)
    mbids[int(bundle.key_index["bjork"])] = "0000-bjork"
    bundle = dataclasses.replace(bundle, mbids=mbids.astype(str))
    rng = random.Random(seed)
    known = [str(bundle.names[i]) for i in np.argsort(-bundle.popularity)[:12]]
    artists = [*known, known[0].upper(), f"  {known[1]}", "Unknown Artist", None, "", "Local Band", "local band",
               "Jay-Z feat. Alicia Keys", "Some Tribute", "Various Artists"]  # fmt: skip
    rows = []
    for track_id in range(1, 700):
        mb = "0000-bjork" if rng.random() < 0.05 else rng.choice([None, "", "not-an-id"])
        rows.append((track_id, rng.choice(artists), rng.choice([None, None, *artists]), mb, None))
    expected = _match_row_by_row(rows, bundle)
    got = match_rows(rows, bundle)
    assert _as_dicts(got) == _as_dicts(expected)
    assert list(got.artist_tracks) == list(expected.artist_tracks)  # the same order of artists
    assert match_rows(iter(rows), bundle).artist_to_item == expected.artist_to_item  # any iterable
    cut = rng.randrange(1, len(rows))
    assert _as_dicts(match_rows(rows[:cut], bundle).plus(rows[cut:], bundle)) == _as_dicts(expected)
    assert _as_dicts(match_rows([], bundle)) == _as_dicts(_match_row_by_row([], bundle))
