"""Search by sound and the path between two songs, on the real analysed corpus: "ambient" finds the
Wesnoth ambient tracks (tagged "Romantic Classical", never "ambient") over the metal ones; a path starts
at A, ends at B and every step is nearer than shuffle's median; the commands and their bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from main import main
from player.store import Store
from player.store.ratings import BAN, rate_artist
from player.store.tracks import find_track, iter_tracks
from recommender.shaping.mood import MoodError, MoodIndex, parse_mood, rank_by_mood
from recommender.shaping.path import PathSpace


@pytest.fixture(scope="module")
def analyzed(analyzed_corpus_db: Path):
    with Store.open(analyzed_corpus_db) as store:
        yield store


@pytest.fixture(scope="module")
def paths(analyzed) -> dict[int, str]:
    return {t["id"]: t["path"] for t in iter_tracks(analyzed)}


def test_ambient_finds_wesnoth_ambient_tracks_over_the_metal_ones(analyzed, paths):
    hits = rank_by_mood(analyzed, "ambient", n=len(paths))
    order = [paths[h.track_id] for h in hits]
    top = order[:10]
    assert sum("wesnoth" in p for p in top) >= 4 and not any("fretsonfire" in p for p in top)
    best_wesnoth = [i for i, p in enumerate(order) if "wesnoth" in p][:5]
    metal = [i for i, p in enumerate(order) if "fretsonfire" in p]
    assert metal and max(best_wesnoth) < min(metal)
    # Found by their audio: no genre tag of theirs says ambient.
    genres = {t["id"]: t["genre"] for t in iter_tracks(analyzed)}
    assert not any("ambient" in (genres[h.track_id] or "").casefold() for h in hits[:10])
    assert "ambient" in hits[0].why


def test_queries_map_onto_the_vocabulary(analyzed, paths):
    calm = parse_mood("calm piano")
    assert calm.weights["chillout"] > 0 and calm.weights["metal"] < 0 and not calm.unknown
    assert set(parse_mood("female vocal").weights) == {"female vocalists", "female vocalist"}
    assert parse_mood("Heavy Metal").weights == {"heavy metal": 1.0}  # a tag name beats its words
    fast = parse_mood("fast electronic")
    assert fast.weights["tempo"] > 0 and fast.weights["electronic"] > 0
    index = MoodIndex.from_store(analyzed)
    heavy = index.rank(parse_mood("heavy guitar"), n=3)
    assert all("fretsonfire" in paths[h.track_id] for h in heavy)
    with pytest.raises(MoodError, match="did you mean 'ambient'"):
        parse_mood("ambiant")
    with pytest.raises(MoodError, match="empty"):
        parse_mood("  ")


def test_mood_leaves_out_banned_and_cli(analyzed_corpus_db: Path, tmp_path: Path, capsys):
    import shutil

    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    with Store.open(db) as store:
        rate_artist(store, "Muldjord", BAN)
        hits = rank_by_mood(store, "heavy guitar", n=200)
        assert hits and not any(
            "fretsonfire" in t["path"] for t in iter_tracks(store) if t["id"] in {h.track_id for h in hits}
        )
    assert main(["mood", "female vocal", "--n", "3", "--json", "--db", str(db)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and all("female vocalist" in r["why"] for r in rows)
    assert main(["mood", "xyzzy plugh", "--db", str(db)]) == 2
    assert "no known sound" in capsys.readouterr().err
    assert main(["mood", "--tags", "--db", str(db)]) == 0
    assert "female vocalists" in capsys.readouterr().out


def test_path_goes_from_a_to_b_in_steps_nearer_than_shuffle(analyzed, paths):
    space = PathSpace.from_store(analyzed)
    vec = space.vectors.astype(np.float64)
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(space), size=(2000, 2))
    shuffle_median = float(np.median(1.0 - np.sum(vec[pairs[:, 0]] * vec[pairs[:, 1]], axis=1)))
    music = [t for t in space.track_ids.tolist() if paths[t] and (space.duration[space.row_of[t]] or 0) > 60]
    ends = [
        (next(t for t in music if "wesnoth" in paths[t]), next(t for t in music if "hyperrogue" in paths[t])),
        (next(t for t in music if "drascula" in paths[t]), next(t for t in music if "wesnoth" in paths[t])),
    ]
    for a, b in ends:
        steps = space.path(a, b, 12)
        ids = [s.track_id for s in steps]
        assert ids[0] == a and ids[-1] == b and len(ids) == 12 and len(set(ids)) == 12
        d = space.distances(ids)
        assert np.all(d < shuffle_median), (d, shuffle_median)
        rows = [space.row_of[t] for t in ids]
        for i in range(1, len(rows) - 1):  # no artist again within the spacing
            assert space._artist_ok(rows[:i], rows[i])
        assert all(s.why for s in steps) and "destination" in steps[-1].why


def test_path_and_evaluate_path_commands(analyzed_corpus_db: Path, capsys):
    db = str(analyzed_corpus_db)
    assert main(["path", "Chaos God", "Elf Land", "--n", "8", "--json", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 8 and rows[0]["title"] == "Chaos God" and rows[-1]["title"] == "Elf Land"
    assert main(["evaluate-path", "--pairs", "4", "--json", "--db", db]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["policies"]) == {"encore", "interpolation", "shuffle"}
    assert all(m["max_step"] >= m["mean_step"] > 0 for m in result["policies"].values())
    assert main(["path", "no such song anywhere", "Elf Land", "--db", db]) == 2
    assert "no track matches" in capsys.readouterr().err
    assert main(["path", "Elf Land", "elf land", "--db", db]) == 2
    err = capsys.readouterr().err
    assert "'Elf Land' and 'elf land' both find the same song (" in err and "Elf Land)" in err


def test_path_says_which_song_a_query_of_many_matches_took(analyzed_corpus_db: Path, capsys):
    """A walk ran ``encore path track wanderer``: "track" matches dozens of songs and the path silently
    started from one of them. The command says which it took and how many the words matched, on stderr
    (the JSON stays whole); a query naming one song says nothing more."""
    with Store.open(analyzed_corpus_db) as store:
        many = sum(
            1
            for t in iter_tracks(store)
            if "track" in " ".join(t[c] or "" for c in ("artist", "album", "title")).lower()
        )
    assert many > 1
    db = str(analyzed_corpus_db)
    assert main(["path", "track", "wanderer", "--n", "4", "--json", "--db", db]) == 0
    out, err = capsys.readouterr()
    first = json.loads(out)[0]
    assert err.strip() == (
        f"'track' matches {many} songs; taking {first['title']!r} by {first['artist']}: "
        "give more words to pick another"
    )
    assert "wanderer" not in err
    assert main(["path", "Elf Land", "wanderer", "--n", "4", "--db", db]) == 0
    assert capsys.readouterr().err == ""


def test_a_path_takes_as_many_steps_as_the_distance_asks_and_keeps_going_forward(analyzed_corpus_db: Path):
    """A walk found every path 12 tracks long, on a small library stepping back toward A (40 % of the
    way after 75 %). Left to itself a path is about one step per neighbour gap of the A-B distance:
    two near songs make a short path, two far ones a longer one; and no step goes back by more than a
    fifth of the way."""
    with Store.open(analyzed_corpus_db) as store:
        space = PathSpace.from_store(store)
    vec = space.vectors.astype(np.float64)
    music = np.flatnonzero(~(np.isfinite(space.duration) & (space.duration < 30)))
    sims = vec[music] @ vec[music].T
    np.fill_diagonal(sims, np.nan)
    near = np.unravel_index(np.nanargmax(sims), sims.shape)
    far = np.unravel_index(np.nanargmin(sims), sims.shape)
    ids = space.track_ids[music]
    short = space.auto_length(int(ids[near[0]]), int(ids[near[1]]))
    long = space.auto_length(int(ids[far[0]]), int(ids[far[1]]))
    assert short == 3 and short < long <= 12
    assert len(space.path(int(ids[far[0]]), int(ids[far[1]]), None)) == long
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, b = rng.choice(music, 2, replace=False)
        rows = [
            space.row_of[s.track_id]
            for s in space.path(int(space.track_ids[a]), int(space.track_ids[b]), None)
        ]
        to_a, to_b = 1 - vec[rows] @ vec[a], 1 - vec[rows] @ vec[b]
        share = to_a / np.maximum(to_a + to_b, 1e-9)
        assert np.diff(share).min() > -0.2, share.round(2)


def test_path_takes_an_analysed_copy_and_names_a_song_it_cannot_use(
    analyzed_corpus_db: Path, tmp_path, capsys
):
    """A walk ran ``encore path graveyard hell`` while the analysis was half done: of 18 copies of
    "Graveyard" the oldest, not analysed yet, was taken, and the command failed with "track 135 has no
    audio analysis". An analysed copy alike in name is taken first; an end with no analysed copy is
    named as a song."""
    import shutil

    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    with Store.open(db) as store:
        elf = find_track(store, "Elf Land")
        with store.transaction() as conn:  # a second copy of Elf Land, older, never analysed
            conn.execute(
                "INSERT INTO tracks (id, path, size, mtime, duration, artist, album, title, added_at, updated_at)"
                " VALUES (0, '/elsewhere/elf land.ogg', 1, 1, ?, ?, ?, ?, 1, 1)",
                (elf["duration"], elf["artist"], elf["album"], elf["title"]),
            )
        assert find_track(store, "Elf Land")["id"] == elf["id"]  # the analysed one, though newer
        chaos = find_track(store, "Chaos God")
        with store.transaction() as conn:
            conn.execute(  # both copies of it in the corpus
                "DELETE FROM analysis WHERE track_id IN (SELECT id FROM tracks WHERE title = 'Chaos God')"
            )
    assert main(["path", "Chaos God", "Elf Land", "--n", "6", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"{chaos['artist']} - Chaos God has no audio analysis yet (run `encore analyze`)" in err, err
    assert f"track {chaos['id']}" not in err
