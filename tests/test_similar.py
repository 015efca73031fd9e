"""Fans also like, with the shipped factor bundle: in-library artists vs discoveries, artists placed by
their sound (the bridge), sound-alike tracks, and the ``similar`` command."""

from __future__ import annotations

import json
import shutil

import pytest
from mutagen.oggvorbis import OggVorbis

from main import main
from player.library import scan
from player.store import Store
from player.store.tracks import iter_tracks
from recommender.factors.bundle import load_bundle
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
