"""Love and ban on the real corpus: stored through the migration, kept out of 100 radio picks, weighed in
the taste fold-in (a love above a completion, a ban above a skip), and the ``love``/``ban`` commands."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from mutagen.oggvorbis import OggVorbis

from main import main
from player.library import scan
from player.store import Store
from player.store.plays import close_play, start_play
from player.store.ratings import (
    BAN,
    LOVE,
    artist_rating,
    banned_track_ids,
    effective_rating,
    list_ratings,
    loved_track_ids,
    rate_artist,
    rate_track,
    track_rating,
    unrate_artist,
    unrate_track,
)
from player.store.tracks import iter_tracks


@pytest.fixture
def analyzed_copy(analyzed_corpus_db: Path, tmp_path: Path):
    target = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, target)
    with Store.open(target) as store:
        yield store


def _music(store: Store, fragment: str) -> list[dict]:
    return [t for t in iter_tracks(store) if fragment in t["path"] and (t["duration"] or 0) > 60]


def test_ratings_are_stored_and_folded_by_artist(copy_corpus_store: Store):
    store = copy_corpus_store
    muldjord = _music(store, "fretsonfire")
    wesnoth = _music(store, "wesnoth")
    assert muldjord and wesnoth
    rate_artist(store, "  MULDJORD ", BAN)  # any case and spacing: one artist
    rate_track(store, wesnoth[0]["id"], LOVE)
    rate_track(store, wesnoth[1]["id"], BAN)
    banned = banned_track_ids(store)
    assert {t["id"] for t in muldjord} <= banned and wesnoth[1]["id"] in banned
    assert wesnoth[0]["id"] not in banned and wesnoth[2]["id"] not in banned
    assert loved_track_ids(store) == {wesnoth[0]["id"]}
    assert effective_rating(store, muldjord[0]["id"]) == BAN and track_rating(store, muldjord[0]["id"]) == 0
    assert artist_rating(store, "muldjord") == BAN
    # A love of a track by a banned artist does not let it play.
    rate_track(store, muldjord[0]["id"], LOVE)
    assert effective_rating(store, muldjord[0]["id"]) == BAN
    kinds = {(r["kind"], r["rating"]) for r in list_ratings(store, BAN)}
    assert kinds == {("artist", BAN), ("track", BAN)}
    assert unrate_artist(store, "Muldjord") and not unrate_artist(store, "Muldjord")
    assert unrate_track(store, wesnoth[1]["id"])
    assert banned_track_ids(store) == set()
    with pytest.raises(ValueError):
        rate_track(store, wesnoth[0]["id"], 5)


def test_a_ban_keeps_a_track_and_an_artist_out_of_100_radio_picks(analyzed_copy: Store):
    from recommender.radio.load import load_library
    from recommender.radio.station import Station

    store = analyzed_copy
    seed = _music(store, "wesnoth")[0]["id"]
    library = load_library(store, taste=False)
    before = [Station(library, seed, rng=r).next() for r in range(3)]
    picks = Station(library, seed, rng=0)
    first = [picks.next() for _ in range(100)]
    target = before[0]  # a track the radio does choose from this seed
    target_artist = library.artist_name(library.row(target))
    other_artist = next(
        library.artist_name(library.row(t))
        for t in first
        if library.artist_name(library.row(t)) != target_artist
    )
    rate_track(store, target, BAN)
    rate_artist(store, other_artist, BAN)
    banned = banned_track_ids(store)
    assert target in banned and len(banned) > 1
    library = load_library(store, taste=False, keep=[seed])
    station = Station(library, seed, rng=0)
    played = [station.next() for _ in range(100)]
    assert len(played) == 100 and not banned & set(played)
    assert all(library.artist_name(library.row(t)) != other_artist for t in played)
    # A banned seed that the user picks explicitly still starts a station (``keep``); without it, it is out.
    rate_track(store, seed, BAN)
    assert seed not in set(load_library(store, taste=False).track_ids.tolist())
    assert seed in set(load_library(store, taste=False, keep=[seed]).track_ids.tolist())


@pytest.fixture
def known_artists(corpus_dir: Path, tmp_path: Path):
    """Four real corpus files tagged with artists the shipped bundle knows."""
    folder = tmp_path / "music"
    folder.mkdir()
    files = sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[:4]
    for n, (src, artist) in enumerate(
        zip(files, ["Radiohead", "Radiohead", "Metallica", "Metallica"], strict=True)
    ):
        target = folder / f"{n:02d}.ogg"
        shutil.copy(src, target)
        tags = OggVorbis(target)
        tags["artist"] = artist
        tags.save()
    store = Store.open(tmp_path / "encore.db")
    scan(store, [folder])
    yield store
    store.close()


def _play(store: Store, track_id: int, outcome: str) -> None:
    now = time.time()
    play_id = start_play(store, track_id, "test", duration=200.0, started_at=now - 300)
    close_play(store, play_id, outcome=outcome, seconds_listened=200.0, ended_at=now - 100)


def test_love_weighs_more_than_a_completion_and_ban_more_than_a_skip(known_artists: Store):
    from recommender.factors.bundle_file import load_bundle
    from recommender.taste.profile import Taste

    store = known_artists
    bundle = load_bundle()
    ids = {t["artist"]: [] for t in iter_tracks(store)}
    for t in iter_tracks(store):
        ids[t["artist"]].append(t["id"])

    def feedback():
        taste = Taste.from_store(store, bundle, audio=False)
        return taste.artist_feedback["Radiohead"], taste.artist_feedback["Metallica"]

    _play(store, ids["Radiohead"][0], "completed")
    _play(store, ids["Metallica"][0], "skipped")
    completed, skipped = feedback()
    unrated_pos, unrated_neg = completed.positive, skipped.negative
    assert unrated_pos > 0 and unrated_neg > 0
    # The same tracks, loved / banned instead of played: more weight than the play.
    store.conn.execute("DELETE FROM plays")
    rate_track(store, ids["Radiohead"][0], LOVE)
    rate_track(store, ids["Metallica"][0], BAN)
    loved, banned = feedback()
    assert loved.positive > unrated_pos and loved.preference == 1.0
    assert banned.negative > unrated_neg and banned.preference == 0.0
    assert loved.confidence > completed.confidence and banned.confidence > skipped.confidence
    # An artist ban outweighs plays: completions of a banned artist do not make it a preference.
    for _ in range(3):
        _play(store, ids["Metallica"][1], "completed")
    rate_artist(store, "metallica", BAN)
    assert feedback()[1].preference == 0.0


def test_love_ban_commands(copy_corpus_store: Store, capsys):
    db = str(copy_corpus_store.path)
    track = _music(copy_corpus_store, "wesnoth")[0]
    assert main(["love", str(track["id"]), "--db", db]) == 0
    assert "Loved:" in capsys.readouterr().out
    assert main(["ban", "--artist", "Muldjord", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Banned the artist Muldjord" in out and "tracks in your library" in out
    assert main(["bans", "--db", db]) == 0
    assert "artist  Muldjord" in capsys.readouterr().out
    assert main(["unban", "--artist", "muldjord", "--db", db]) == 0
    assert main(["bans", "--db", db]) == 0
    assert "No bans." in capsys.readouterr().out
    # Bad input gets a clear message and a non-zero status.
    assert main(["ban", "no such song anywhere", "--db", db]) == 2
    assert "no track matches" in capsys.readouterr().err
    assert main(["ban", "--db", db]) == 2
    assert "give either a TRACK or --artist" in capsys.readouterr().err
    assert main(["unban", str(track["id"]), "--db", db]) == 1
    assert "is not banned" in capsys.readouterr().err


def test_the_discover_mix_never_offers_a_banned_track_or_artist(analyzed_copy: Store):
    from recommender.for_you.lists import for_you
    from recommender.for_you.mix import discover_mix

    store = analyzed_copy
    first = discover_mix(store, for_you(store))
    assert len(first) > 5
    artist_of = {t["id"]: t["artist"] or t["album_artist"] for t in iter_tracks(store)}
    track = first[0]["track_id"]
    artist = next(a for e in first[1:] if (a := artist_of[e["track_id"]]) and a != artist_of[track])
    rate_track(store, track, BAN)
    rate_artist(store, artist, BAN)
    banned = banned_track_ids(store)
    stored = discover_mix(store)  # the stored mix, read after the bans
    assert stored and track not in {e["track_id"] for e in stored}
    assert not banned & {e["track_id"] for e in stored}
    fresh = discover_mix(store, for_you(store), refresh=True, rng=1)
    assert fresh and not banned & {e["track_id"] for e in fresh}


def test_sounds_like_leaves_banned_tracks_out(analyzed_corpus_db, tmp_path, capsys):
    import json
    import shutil

    from main import main

    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    args = ["--db", str(db), "sounds-like", "Weight of Revenge", "--n", "5", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)[0]
    assert main(["--db", str(db), "ban", str(first["track_id"])]) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert first["track_id"] not in [r["track_id"] for r in json.loads(capsys.readouterr().out)]
