"""Audio analysis on the real corpus: coverage, similarity that separates styles, plausible tags,
resumability, and bad files recorded without stopping the run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from main import main
from player.store import Store
from player.store.analysis import (
    analysis_counts,
    get_analysis,
    list_analysis_errors,
    load_analysis_matrix,
    load_descriptors,
    tracks_to_analyze,
)
from player.store.tracks import get_track, iter_tracks
from recommender.audio.analyze import AnalysisSettings, analyze_file, analyze_library
from recommender.audio.index import AudioIndex, tag_names

STYLES = {"wesnoth": "wesnoth-1.16-music/", "muldjord": "/muldjord/", "hyperrogue": "hyperrogue/music/"}


def _style(path: str) -> str | None:
    return next((s for s, frag in STYLES.items() if frag in path), None)


@pytest.fixture
def analyzed(analyzed_corpus_db: Path):
    """The corpus analysed once per session by tests/conftest.py (read-only)."""
    with Store.open(analyzed_corpus_db) as store:
        yield store


def _windows_used(store: Store) -> int:
    """Windows per long track in the shared analysed corpus (the fixture picks a CI setting)."""
    return max(get_analysis(store, t["id"])["windows"] for t in iter_tracks(store))


def test_every_corpus_track_is_analysed_with_sane_values(analyzed):
    counts = analysis_counts(analyzed)
    assert counts["analyzed"] == counts["tracks"] > 150 and counts["failed"] == counts["pending"] == 0
    ids, emb, tags = load_analysis_matrix(analyzed)
    assert emb.dtype == tags.dtype == np.float32 and ids.dtype == np.int64
    assert emb.shape == (len(ids), 200) and tags.shape == (len(ids), 50)
    assert np.isfinite(emb).all() and ((tags >= 0) & (tags <= 1)).all()
    desc = load_descriptors(analyzed)
    assert set(desc) == set(ids.tolist())
    windows = _windows_used(analyzed)
    for track in iter_tracks(analyzed):
        d = desc[track["id"]]
        row = get_analysis(analyzed, track["id"])
        if track["duration"] > 3.1 * (windows + 1):
            assert row["windows"] == windows
        else:  # short: analysed whole, as many patches as fit (a clip under 3 s is repeat-padded)
            assert 1 <= row["windows"] <= windows
        if track["duration"] > 20 and _style(track["path"]):
            assert 40 <= d["tempo"] <= 240
            assert -40 < d["loudness"] < 0
            assert 100 < d["brightness"] < 8000
            assert d["energy"] > 0
    # Death metal is louder and brighter than the orchestral soundtrack; silence has no tempo.
    by_style: dict[str, list[dict]] = {}
    for track in iter_tracks(analyzed):
        style = _style(track["path"])
        if style and "guitar.ogg" not in track["path"] and desc[track["id"]]["loudness"] is not None:
            by_style.setdefault(style, []).append(desc[track["id"]])

    def median(style: str, key: str) -> float:
        return float(np.median([d[key] for d in by_style[style]]))

    assert median("muldjord", "loudness") > median("wesnoth", "loudness") + 3
    assert median("muldjord", "brightness") > median("wesnoth", "brightness")
    assert median("muldjord", "energy") > median("wesnoth", "energy")
    silence = next(t for t in iter_tracks(analyzed) if t["path"].endswith("/silence.ogg"))
    assert desc[silence["id"]]["loudness"] is None and desc[silence["id"]]["tempo"] is None


def test_neighbours_come_from_the_same_soundtrack(analyzed):
    """Among the three contrasting soundtracks' music, a track's 5 nearest neighbours are mostly from its
    own soundtrack, and every soundtrack is closer to itself on average than to the other two."""
    index = AudioIndex.from_store(analyzed)
    paths = {t["id"]: t["path"] for t in iter_tracks(analyzed)}
    others = [tid for tid, p in paths.items() if _style(p) is None]  # drascula, hyperrogue sound effects
    members = {style: [tid for tid, p in paths.items() if _style(p) == style] for style in STYLES}
    precision = {}
    for style, queries in members.items():
        hits = [
            np.mean([_style(paths[n]) == style for n, _ in index.nearest(tid, 5, exclude=others)])
            for tid in queries
        ]
        precision[style] = float(np.mean(hits))
    print("style precision@5:", precision)
    assert min(precision.values()) >= 0.8 and np.mean(list(precision.values())) >= 0.85, precision
    vectors = {style: np.stack([index.vector(t) for t in ids]) for style, ids in members.items()}
    for style, v in vectors.items():
        within = (v @ v.T)[~np.eye(len(v), dtype=bool)].mean()
        for other, w in vectors.items():
            if other != style:
                assert within > (v @ w.T).mean() + 0.05, (style, other)


def test_top_tags_are_plausible_per_style(analyzed):
    ids, _, tags = load_analysis_matrix(analyzed)
    names = tag_names()
    paths = {t["id"]: t["path"] for t in iter_tracks(analyzed)}
    rows = {style: [i for i, tid in enumerate(ids) if _style(paths[int(tid)]) == style] for style in STYLES}

    def top(style: str, k: int) -> list[str]:
        return [names[i] for i in np.argsort(-tags[rows[style]].mean(axis=0))[:k]]

    print({style: top(style, 5) for style in STYLES})
    assert {"metal", "heavy metal"} & set(top("muldjord", 3))
    assert {"instrumental", "ambient", "beautiful", "soundtrack"} & set(top("wesnoth", 3))
    assert not {"metal", "heavy metal", "Hip-Hop", "punk"} & set(top("wesnoth", 10))
    metal = names.index("metal")
    assert tags[rows["muldjord"], metal].mean() > 5 * tags[rows["wesnoth"], metal].mean()


def test_second_run_has_nothing_to_do(analyzed_corpus_db, tmp_path):
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    with Store.open(db) as store:
        assert tracks_to_analyze(store) == []
        summary = analyze_library(store, settings=AnalysisSettings(workers=1), progress=False)
        assert summary.pending_before == summary.analyzed == summary.failed == 0


def test_sounds_like_cli_json(analyzed_corpus_db, capsys):
    with Store.open(analyzed_corpus_db) as store:
        seed = next(t for t in iter_tracks(store) if t["path"].endswith("chaos_god/song.ogg"))
    assert main(["sounds-like", seed["path"], "--n", "3", "--json", "--db", str(analyzed_corpus_db)]) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 3 and all({"path", "artist", "title", "score"} <= set(r) for r in results)
    assert seed["path"] not in [r["path"] for r in results]
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]
    assert all("/muldjord/" in r["path"] for r in results)
    assert main(["sounds-like", "no such song anywhere", "--db", str(analyzed_corpus_db)]) == 2


def test_file_outside_library_is_analysed_on_demand(analyzed, tmp_path):
    index = AudioIndex.from_store(analyzed)
    track = next(t for t in iter_tracks(analyzed) if t["path"].endswith("battle-epic.ogg"))
    outside = tmp_path / "copy.ogg"
    shutil.copyfile(track["path"], outside)
    windows = _windows_used(analyzed)
    result = analyze_file(str(outside), settings=AnalysisSettings(windows=windows))
    assert result.embedding.shape == (200,) and result.windows == windows
    best, score = index.nearest(result.embedding, 1)[0]
    assert best == track["id"] and score > 0.999


def test_bad_files_are_recorded_and_the_run_goes_on(corpus_dir, tmp_path, capsys):
    """A file corrupted or truncated after the scan ends in analysis_errors; the others are analysed."""
    from player.library import scan

    music = tmp_path / "music"
    music.mkdir()
    sources = sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[:4]
    for src in sources:
        shutil.copyfile(src, music / src.name)
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [music])
    corrupt, truncated = music / sources[0].name, music / sources[1].name
    data = corrupt.read_bytes()
    corrupt.write_bytes(
        data[:8000] + bytes(np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8))
    )
    truncated.write_bytes(truncated.read_bytes()[:60_000])

    assert main(["analyze", "--quiet", "--windows", "2", "--db", str(db)]) == 0
    assert "analysed 2 tracks, 2 failed" in capsys.readouterr().out
    with Store.open(db) as store:
        errors = {Path(e["path"]).name: e["message"] for e in list_analysis_errors(store)}
        assert set(errors) == {corrupt.name, truncated.name}
        assert "truncated" in errors[truncated.name]
        counts = analysis_counts(store)
        assert (counts["tracks"], counts["analyzed"], counts["failed"], counts["pending"]) == (4, 2, 2, 0)
        # Failed tracks are not retried by a plain rerun, only with --retry-errors.
        assert tracks_to_analyze(store) == []
        assert len(tracks_to_analyze(store, retry_errors=True)) == 2
        assert get_track(store, 1) is not None
