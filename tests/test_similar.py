"""Fans also like, with the shipped factor bundle: in-library artists vs discoveries, artists placed by
their sound (the bridge), sound-alike tracks, and the ``similar`` command."""

from __future__ import annotations

import json
import shutil

import pytest
from mutagen.oggvorbis import OggVorbis

from main import main
from player.library import scan
from player.naming import is_untagged_artist
from player.store import Store
from player.store.tracks import iter_tracks
from recommender.factors.bundle_file import load_bundle
from recommender.factors.match import normalise_artist
from recommender.similar.index import SimilarIndex
from recommender.similar.support import shipped_neighbours

QUERY = "Radiohead"


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture
def tagged_library(bundle, corpus_dir, tmp_path):
    """Three real files re-tagged as the query artist's 1st and 2nd nearest bundle artists."""
    item = bundle.key_index[normalise_artist(QUERY)]
    neighbours = [str(bundle.names[i]) for i in shipped_neighbours(bundle, item, 2)]
    folder = tmp_path / "music"
    folder.mkdir()
    files = sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[:3]
    for n, (f, artist) in enumerate(zip(files, [neighbours[0], neighbours[0], neighbours[1]], strict=True)):
        target = folder / f"{n}.ogg"
        shutil.copy(f, target)
        tags = OggVorbis(target)
        tags["artist"] = artist
        tags["album"] = f"album {n}"
        tags.save()
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [folder])
    return db, neighbours


def test_in_library_and_discoveries(bundle, tagged_library):
    db, neighbours = tagged_library
    with Store.open(db) as store:
        index = SimilarIndex.from_store(store, bundle)
        tracks = {t["artist"]: [] for t in iter_tracks(store)}
        for t in iter_tracks(store):
            tracks[t["artist"]].append(t["id"])
    result = index.artist(QUERY, 20)
    assert result.known == "bundle" and len(result.artists) == 20
    item = bundle.key_index[normalise_artist(QUERY)]
    expected = [str(bundle.names[i]) for i in shipped_neighbours(bundle, item, 20)]
    assert [a.name for a in result.artists] == expected
    by_name = {a.name: a for a in result.artists}
    for name in neighbours:
        assert by_name[name].in_library and sorted(by_name[name].track_ids) == sorted(tracks[name])
        assert by_name[name].link is None
    for a in result.artists:
        if a.name not in neighbours:
            assert not a.in_library and not a.track_ids and a.link.startswith("https://www.last.fm/music/")
    scores = [a.score for a in result.artists]
    assert scores == sorted(scores, reverse=True)


def test_similar_cli_json(tagged_library, capsys):
    db, neighbours = tagged_library
    assert main(["similar", QUERY, "--n", "5", "--json", "--db", str(db)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["artists"]) == 5
    first = out["artists"][0]
    assert first["name"] == neighbours[0] and first["in_library"] and len(first["tracks"]) == 2
    assert all(t["path"] for t in first["tracks"])
    assert main(["similar", "zzz no such artist qqq", "--db", str(db)]) == 2


def test_unknown_artist_placed_by_its_sound(bundle, analyzed_corpus_db, capsys):
    """Muldjord (death metal from the corpus) is not in the Last.fm data: the bridge places it from its
    audio tags, it gets neighbours, and its sound-alikes are other corpus tracks."""
    with Store.open(analyzed_corpus_db) as store:
        index = SimilarIndex.from_store(store, bundle)
        muldjord = {t["id"] for t in iter_tracks(store) if t["artist"] == "Muldjord"}
    assert normalise_artist("Muldjord") not in bundle.key_index
    result = index.artist("muldjord", 10, 5)
    assert result.known == "audio" and result.artist == "Muldjord"
    assert len(result.artists) == 10 and all(a.name != "Muldjord" for a in result.artists)
    assert len(result.sounds_like) == 5 and not {s.track_id for s in result.sounds_like} & muldjord
    # Other corpus artists the bundle does not know are placed by sound too, and can be neighbours.
    assert len(index.pred_names) > 3
    # For the playing track: the other Muldjord songs (and their guitar stems) sound most like it.
    argv = ["similar", "--track", "Muldjord - Chaos God", "--n", "3", "--tracks", "3", "--json"]
    assert main([*argv, "--db", str(analyzed_corpus_db)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["artist"] == "Muldjord" and len(out["artists"]) == 3
    assert [s["artist"] for s in out["sounds_like"]] == ["Muldjord"] * 3
    # Untagged groups ("Unknown artist (hyperrogue)") are placed by sound but never offered as artists.
    untagged = [a for a in index.pred_names if is_untagged_artist(a)]
    assert untagged
    for artist in index.artist_tracks:
        offered = [a.name for a in index.artist(artist, 200, 0).artists]
        assert offered and not any(is_untagged_artist(a) for a in offered), artist


def test_bans_leave_artists_and_tracks_out(bundle, tagged_library):
    """Issue 21 item 5: a banned artist, in the library or a discovery, is no neighbour (banned by name,
    or every one of its tracks banned); a track banned on its own leaves its artist's track list. The
    bans are read per query: the index itself (cached on disk and in the panel) is the same."""
    from player.store.ratings import BAN, rate_artist, rate_track
    from recommender.taste.bans import Bans

    db, neighbours = tagged_library
    item = bundle.key_index[normalise_artist(QUERY)]
    expected = [str(bundle.names[i]) for i in shipped_neighbours(bundle, item, 30)]
    with Store.open(db) as store:
        index = SimilarIndex.from_store(store, bundle)
        tracks: dict[str, list[int]] = {}
        for t in iter_tracks(store):
            tracks.setdefault(t["artist"], []).append(t["id"])
        assert [a.name for a in index.artist(QUERY, 20, bans=Bans.from_store(store)).artists] == expected[:20]
        kept, gone = tracks[neighbours[0]]
        rate_track(store, gone, BAN)  # one of the two tracks of the nearest library artist
        rate_track(store, tracks[neighbours[1]][0], BAN)  # the only track of the other one
        tracks_only = Bans.from_store(store)
        discovery = next(n for n in expected if n not in neighbours)
        rate_artist(store, neighbours[0], BAN)
        rate_artist(store, discovery.upper(), BAN)  # any spelling of the listening data's name
        bans = Bans.from_store(store)

    result = index.artist(QUERY, 20, bans=tracks_only)
    by_name = {a.name: a for a in result.artists}
    assert neighbours[1] not in by_name and by_name[neighbours[0]].track_ids == [kept]
    assert [a.name for a in result.artists] == [n for n in expected if n != neighbours[1]][:20]

    result = index.artist(QUERY, 20, bans=bans)
    names = [a.name for a in result.artists]
    assert len(names) == 20 and not {neighbours[0], neighbours[1], discovery} & set(names)
    assert names == [n for n in expected if n not in (neighbours[0], neighbours[1], discovery)][:20]
    playing = index.track(kept, neighbours[0], 20, 0, bans)  # the playing track's artist may be banned
    assert len(playing.artists) == 20
    assert not {neighbours[1], discovery} & {a.name for a in playing.artists}
    assert [a.name for a in index.artist(QUERY, 20).artists] == expected[:20]  # no bans: all of them


def test_banned_tracks_and_artists_do_not_sound_alike(bundle, analyzed_corpus_db, tmp_path):
    from player.store.ratings import BAN, rate_artist, rate_track
    from recommender.taste.bans import Bans

    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    with Store.open(db) as store:
        index = SimilarIndex.from_store(store, bundle)
        artist_of = {t["id"]: t["artist"] or t["album_artist"] for t in iter_tracks(store)}
        wesnoth = next(t["id"] for t in iter_tracks(store) if "wesnoth" in t["path"] and t["duration"] > 60)
        before = [s.track_id for s in index.track(wesnoth, artist_of[wesnoth], 0, 8, Bans()).sounds_like]
        assert len(before) == 8
        rate_track(store, before[0], BAN)
        rate_track(store, before[1], BAN)
        other = next(artist_of[t] for t in before[2:] if artist_of[t] and artist_of[t] != artist_of[wesnoth])
        rate_artist(store, other, BAN)
        bans = Bans.from_store(store)
    after = [s.track_id for s in index.track(wesnoth, artist_of[wesnoth], 0, 8, bans).sounds_like]
    assert len(after) == 8 and not set(after) & bans.track_ids
    assert not {before[0], before[1]} & set(after) and other not in {artist_of[t] for t in after}
    assert [t for t in before if t not in bans.track_ids] == after[
        : len([t for t in before if t not in bans.track_ids])
    ]


def test_sound_alikes_are_found_whatever_the_order_of_the_audio_rows(bundle, analyzed_corpus_db):
    """``SimilarIndex.audio_rows``: a binary search when the tracks ascend (as the radio's library gives
    them), a dict otherwise; both give the same sound-alikes, bans and unknown ids left out."""
    import numpy as np

    from recommender.taste.bans import Bans

    with Store.open(analyzed_corpus_db) as store:
        index = SimilarIndex.from_store(store, bundle)
    ids, audio, ok = index.audio_ids, index.audio, index.audio_ok
    assert len(ids) > 20 and bool((np.diff(ids) > 0).all())
    order = np.random.default_rng(0).permutation(len(ids))
    shuffled = SimilarIndex(bundle, {}, {}, audio_ids=ids[order], prepared=(audio[order], ok[order]))
    asked = [int(ids[5]), 10**12, int(ids[0]), int(ids[-1])]
    assert index.audio_rows(asked).tolist() == [5, 0, len(ids) - 1]
    assert shuffled.audio_ids[shuffled.audio_rows(asked)].tolist() == [int(ids[5]), int(ids[0]), int(ids[-1])]
    bans = Bans(track_ids=frozenset({int(ids[7]), int(ids[9])}))
    for track in (int(ids[3]), int(ids[len(ids) // 2])):
        got = [s.track_id for s in index.track(track, None, 0, 8, bans).sounds_like]
        assert got == [s.track_id for s in shuffled.track(track, None, 0, 8, bans).sounds_like]
        assert len(got) == 8 and not {int(ids[7]), int(ids[9]), track} & set(got)
