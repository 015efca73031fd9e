"""For you rests what was just finished (issue 21, item 4), on real files re-tagged as artists the shipped
Last.fm bundle knows, with plays logged in a real SQLite file: the tracks (and the album) just played
through leave the lists and a new Discover mix, the under-played lead, and after the window
(``ForYouSettings.rest_days``) they come back; a mix that resting would leave too short falls back to
resting tracks, placed last."""

from __future__ import annotations

import shutil

import pytest
from mutagen.oggvorbis import OggVorbis

from player.library import scan
from player.store import Store
from player.store.feedback import track_credits
from player.store.plays import close_play, start_play
from recommender.factors.bundle_file import load_bundle
from recommender.for_you.items import ForYouSettings
from recommender.for_you.lists import NEVER_PLAYED, for_you
from recommender.for_you.mix import discover_mix

NOW = 1_790_000_000.0
DAY = 86400.0
ALBUMS = [
    ("Radiohead", "OK Computer", 4),
    ("Radiohead", "Kid A", 1),
    ("Björk", "Homogenic", 4),
    ("Portishead", "Dummy", 3),
    ("Massive Attack", "Mezzanine", 3),
    ("Sigur Rós", "Takk", 3),
    ("Air", "Moon Safari", 3),
    ("Tricky", "Maxinquaye", 3),
    ("Moby", "Play", 3),
]


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture
def library(corpus_dir, tmp_path):
    """27 real tracks (a minute or longer) tagged as nine albums; track ids by album."""
    folder = tmp_path / "music"
    folder.mkdir()
    files = [
        f
        for f in sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))
        if OggVorbis(f).info.length >= 60
    ]
    n = 0
    for artist, album, count in ALBUMS:
        for k in range(count):
            target = folder / f"{n:02d}.ogg"
            shutil.copy(files[n], target)
            tags = OggVorbis(target)
            tags.delete()  # the files' own album artist would make one album of them all
            tags["artist"], tags["album"], tags["tracknumber"] = artist, album, str(k + 1)
            tags.save()
            n += 1
    store = Store.open(tmp_path / "encore.db")
    scan(store, [folder])
    by_album: dict[str, list[int]] = {}
    album_of = {int(t): a for t, a in store.conn.execute("SELECT id, album FROM tracks")}
    for c in track_credits(store):
        by_album.setdefault(album_of[c.track_id], []).append(c.track_id)
    yield store, by_album
    store.close()


def _finish(store, track_ids, at):
    for t in track_ids:
        play_id = start_play(store, t, "test", duration=200.0, started_at=at)
        close_play(store, play_id, outcome="completed", seconds_listened=200.0, ended_at=at + 200.0)


def test_what_was_just_finished_rests_and_comes_back(bundle, library):
    store, by_album = library
    finished = set(by_album["OK Computer"]) | set(by_album["Homogenic"])
    _finish(store, sorted(finished), NOW - 2 * DAY)  # both artists' albums played through

    result = for_you(store, bundle, n=10, now=NOW)
    assert result.signal == "plays"
    listed = [t.track_ids[0] for t in result.tracks]
    assert listed and not finished & set(listed)
    assert {t.track_ids[0] for t in result.rested} == finished  # kept aside, ranked, for a short mix
    # The under-played lead: every track at the top is new to the user.
    assert all(t.plays == 0 and t.reason.startswith(NEVER_PLAYED) for t in result.tracks[:9])
    assert by_album["Kid A"][0] in listed  # Radiohead is not banned from the list, only what was heard
    albums = {a.name for a in result.albums}
    assert not albums & {"OK Computer", "Homogenic"} and "Dummy" in albums
    mix = discover_mix(store, result)
    assert len(mix) == len(listed) and not finished & {e["track_id"] for e in mix}

    # Past the window the favourites come back, behind what was never played of the same artist.
    later = NOW + (ForYouSettings().rest_days + 1) * DAY
    again = for_you(store, bundle, n=10, now=later)
    order = [t.track_ids[0] for t in again.tracks]
    assert finished <= set(order) and not again.rested
    assert "OK Computer" in {a.name for a in again.albums}
    kid_a = order.index(by_album["Kid A"][0])
    assert all(kid_a < order.index(t) for t in by_album["OK Computer"])
    fresh = discover_mix(store, again, refresh=True, rng=0)
    assert finished & {e["track_id"] for e in fresh}


def test_an_album_mostly_heard_rests_one_track_heard_does_not(bundle, library):
    store, by_album = library
    _finish(store, by_album["Dummy"][:2], NOW - DAY)  # 2 of 3: mostly heard
    _finish(store, by_album["Mezzanine"][:1], NOW - DAY)  # 1 of 3
    result = for_you(store, bundle, now=NOW)
    albums = {a.name: a for a in result.albums}
    assert "Dummy" not in albums
    assert albums["Mezzanine"].track_ids == sorted(by_album["Mezzanine"][1:])


def test_a_mix_too_short_because_of_resting_ends_with_resting_tracks(bundle, library):
    store, by_album = library
    fresh = set(by_album["Moon Safari"])
    rested = {t for album, ids in by_album.items() if album != "Moon Safari" for t in ids}
    _finish(store, sorted(rested), NOW - DAY)
    result = for_you(store, bundle, now=NOW)
    assert {t.track_ids[0] for t in result.tracks} == fresh
    mix = [e["track_id"] for e in discover_mix(store, result)]
    size = ForYouSettings().mix_min
    assert len(mix) == size and len(set(mix)) == size
    assert set(mix[: len(fresh)]) == fresh and set(mix[len(fresh) :]) <= rested
