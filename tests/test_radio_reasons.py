"""Radio reasons on the real analysed corpus name what ranked each pick: the seed or the finished
session track it sounds like (with the audio tags they share), the log artists behind its taste score,
and "new to you" for a track never played."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import numpy as np
import pytest

from player.store import Store
from player.store.plays import close_play, start_play
from player.store.tracks import iter_tracks
from recommender.radio.load import load_library
from recommender.radio.station import PlayEvent, RadioSettings, Station
from recommender.reasons import NEVER_PLAYED

NOW = 1_790_000_000.0


@pytest.fixture
def played(analyzed_corpus_db, tmp_path):
    """The analysed corpus with a week of plays: three wesnoth tracks finished, three times each."""
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    store = Store.open(db)
    tracks = [t for t in iter_tracks(store) if "wesnoth" in t["path"] and (t["duration"] or 0) > 60]
    liked = tracks[:3]
    for d in range(3):
        for t in liked:
            at = NOW - (d + 2) * 86400.0
            pid = start_play(store, int(t["id"]), "test", duration=200.0, started_at=at)
            close_play(store, pid, outcome="completed", seconds_listened=200.0, ended_at=at + 200.0)
    yield store, liked
    store.close()


def test_taste_terms_add_up_to_the_taste_score(played):
    store, liked = played
    lib = load_library(store, now=NOW)
    basis = lib.taste_basis
    assert basis is not None and lib.taste is not None
    liked_artists = {t["artist"] for t in liked}
    assert liked_artists & set(basis.artists)
    rows = np.flatnonzero(lib.has_factors)
    v = lib.raw_factors[rows].astype(np.float64)
    # The fold-in is linear in its evidence: the named artists' terms are the score, exactly.
    np.testing.assert_allclose((basis.rows @ v.T).sum(axis=0), v @ lib.taste, rtol=1e-3, atol=1e-4)


def test_radio_reasons_name_the_seed_the_session_and_the_log(played):
    store, liked = played
    lib = load_library(store, now=NOW)
    titles = {int(t): str(lib.titles[i]) for i, t in enumerate(lib.track_ids)}
    seed = int(liked[0]["id"])
    # Taste at full weight from the first plays, so it decides some picks and its reasons show up. (The
    # weight was 6 while every corpus artist sat near Radiohead; since the files' genre words place the
    # Wesnoth composers together, the default weight decides some picks, and 6 decides every one.)
    settings = replace(RadioSettings(), taste_full_after=1)
    station = Station(lib, seed, settings, rng=0, now=NOW)
    finished = [titles[seed]]
    same_artist: list[str] = []  # the seed's artist's own tracks: their reasons
    played_ids = {int(t["id"]) for t in liked}
    seen_kinds = set()
    for _ in range(15):
        item = station.next_item()
        why = item.why
        assert why and why != "from your library"
        m = re.match(r"sounds like \u201c(.+?)\u201d, (the seed|which you finished just now)", why)
        if m:
            seen_kinds.add(m.group(2))
            if m.group(2) == "the seed":
                assert m.group(1) == titles[seed], why
            else:
                assert m.group(1) in finished[1:], why
        if why.startswith("fits your taste: "):
            seen_kinds.add("taste")
            named = re.findall(r"(?:sound of|fans of) (.+?)(?:,| in your library)", why)
            assert named, why
            for name in named[0].replace(" and ", ", ").split(", "):
                assert name in lib.taste_basis.artists, why  # a library artist with evidence
        assert (NEVER_PLAYED in why) == (item.track_id not in played_ids), why
        assert not re.search(r"fans of (.+) like \1\b|(.+) is close to \2\b", why), why  # no artist by itself
        if lib.artist_name(lib.row(item.track_id)) == lib.artist_name(lib.row(seed)):
            same_artist.append(why)
        station.observe(PlayEvent(item.track_id, "completed"))
        finished.append(titles[item.track_id])
    assert {"the seed", "taste"} <= seen_kinds or {"which you finished just now", "taste"} <= seen_kinds, (
        seen_kinds
    )


@pytest.mark.parametrize("seed", range(4))
def test_distinctive_tags_are_a_stable_sorts_first_three(seed):
    """``distinctive_tags`` (argmax passes) gives what a stable sort of every row gave: ties to the lower
    tag, nothing at or below the mean, NaN never, rows without audio all -1."""
    from recommender.radio.inputs import distinctive_tags

    rng = np.random.default_rng(seed)
    tags = rng.choice(np.linspace(0, 1, 7, dtype=np.float32), size=(400, 50))  # many exact ties
    tags[5, :] = 0.5  # one value throughout
    tags[6, [3, 9]] = np.nan
    tags[7, :] = np.nan
    has = rng.random(400) > 0.1
    mean = np.full(50, 0.4, dtype=np.float32)
    mean[0] = np.nan if seed == 3 else 0.4
    lift = tags - mean
    top = np.argsort(-lift, axis=1, kind="stable")[:, :3]
    expected = np.where(np.take_along_axis(lift, top, 1) > 0, top, -1)
    expected[~has] = -1
    assert distinctive_tags(tags, has, mean).tolist() == expected.tolist()
    # A row whose other tags are all NaN keeps its one tag once (argmax repeats itself on what is left).
    one = np.array([[0.9, np.nan, np.nan], [0.1, 0.2, 0.9]], dtype=np.float32)
    assert distinctive_tags(one, None, np.zeros(3, np.float32)).tolist() == [[0, -1, -1], [2, 1, 0]]


def test_a_track_by_the_seeds_artist_is_not_said_to_be_close_to_itself():
    """Found in a walk of the app: "NeonCorridor is close to NeonCorridor". A library of factors alone (no
    audio, so the factor term gives every reason): the seed's artist's own tracks get a reason of their own."""
    from recommender.radio.library import RadioLibrary

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(3, 16))
    artists = [a for a in ("Alpha", "Beta", "Gamma") for _ in range(10)]
    factors = np.array([centres[i // 10] + 0.05 * rng.normal(size=16) for i in range(30)])
    lib = RadioLibrary.build(list(range(1, 31)), artists, factors=factors, factor_source=np.full(30, 1))
    station = Station(lib, 1, RadioSettings(), rng=0, now=NOW)
    own = []
    for _ in range(12):
        item = station.next_item()
        assert not re.search(r"fans of (.+) like \1\b|(.+) is close to \2\b", item.why), item.why
        if item.track_id <= 10:
            own.append(item.why)
        station.observe(PlayEvent(item.track_id, "completed"))
    assert any(w.startswith("more of Alpha, as the seed") for w in own), own
