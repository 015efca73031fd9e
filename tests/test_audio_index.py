"""AudioIndex semantics and the analysis store functions, on small real stores (no corpus needed)."""

from __future__ import annotations

import time

import numpy as np

from player.store.analysis import (
    MODEL_VERSION,
    analysis_counts,
    get_analysis,
    list_analysis_errors,
    load_analysis_matrix,
    load_descriptors,
    save_analyses,
    save_analysis_errors,
    tracks_to_analyze,
)
from player.store.tracks import get_track_by_path, upsert_tracks
from recommender.audio.index import AudioIndex, tag_names


def _add_tracks(store, n: int) -> list[int]:
    rows = [
        {
            "path": f"/music/t{i}.ogg",
            "size": 1,
            "mtime": 0.0,
            "duration": 100.0,
            "title": f"t{i}",
            "tags_from_path": 0,
        }
        for i in range(n)
    ]
    upsert_tracks(store, rows)
    return [get_track_by_path(store, f"/music/t{i}.ogg")["id"] for i in range(n)]


def _row(tid: int, vec) -> dict:
    return {
        "track_id": tid,
        "embedding": np.asarray(vec, np.float32),
        "tags": np.full(50, 0.1, np.float32),
        "tempo": 120.0,
        "loudness": -14.0,
        "brightness": 1500.0,
        "energy": 1.0,
        "windows": 4,
    }


def test_nearest_is_cosine_best_first_with_exclusions(tmp_store):
    ids = _add_tracks(tmp_store, 4)
    vecs = [[1, 0, 0], [0.9, 0.1, 0], [10, 5, 0], [0, 0, 1]]
    save_analyses(tmp_store, [_row(t, v) for t, v in zip(ids, vecs, strict=True)])
    index = AudioIndex.from_store(tmp_store)
    got = index.nearest(ids[0], 3)
    assert [t for t, _ in got] == [ids[1], ids[2], ids[3]]
    assert np.isclose(got[0][1], 0.9 / np.hypot(0.9, 0.1)) and np.isclose(got[2][1], 0.0)
    assert [t for t, _ in index.nearest(ids[0], 10, exclude=[ids[1]])] == [ids[2], ids[3]]
    assert index.nearest(np.array([0, 0, 2.0]), 1) == [(ids[3], 1.0)]
    assert ids[0] in index and 999 not in index and len(index) == 4 and index.dim == 3


def test_index_loads_lazily_and_only_current_versions(tmp_store):
    ids = _add_tracks(tmp_store, 3)
    index = AudioIndex.from_store(tmp_store)  # nothing read yet
    save_analyses(tmp_store, [_row(ids[0], [1, 0]), _row(ids[1], [0, 1])])
    save_analyses(tmp_store, [_row(ids[2], [1, 1])], model_version="an-old-model")
    assert sorted(index.track_ids.tolist()) == ids[:2]
    ids_m, emb, tags = load_analysis_matrix(tmp_store)
    assert emb.shape == (2, 2) and tags.shape == (2, 50) and tags.dtype == np.float32
    # The stale row counts as not analysed; so does a track whose file is newer than its analysis.
    assert [j.track_id for j in tracks_to_analyze(tmp_store)] == [ids[2]]
    assert get_analysis(tmp_store, ids[2]) is None
    assert get_analysis(tmp_store, ids[0])["tempo"] == 120.0
    assert load_descriptors(tmp_store, [ids[1]]) == {
        ids[1]: {"tempo": 120.0, "loudness": -14.0, "brightness": 1500.0, "energy": 1.0}
    }
    assert MODEL_VERSION.startswith("msd_musicnn-")


def test_errors_are_kept_until_success(tmp_store):
    ids = _add_tracks(tmp_store, 2)
    save_analysis_errors(tmp_store, [(ids[0], "decode: boom")])
    assert [j.track_id for j in tracks_to_analyze(tmp_store)] == [ids[1]]
    save_analyses(tmp_store, [_row(ids[0], [1.0])])
    assert list_analysis_errors(tmp_store) == []


def test_tag_names():
    names = tag_names()
    assert len(names) == 50 and "metal" in names and "instrumental" in names


def test_recently_played_then_recently_added_go_first(tmp_store):
    import time

    from player.store.plays import start_play

    first = _add_tracks(tmp_store, 2)  # same added_at: ties broken by id
    time.sleep(0.01)
    upsert_tracks(
        tmp_store,
        [{"path": "/music/later.ogg", "size": 1, "mtime": 0.0, "duration": 100.0, "tags_from_path": 0}],
    )
    later = get_track_by_path(tmp_store, "/music/later.ogg")["id"]
    start_play(tmp_store, first[1], "session", duration=100.0, started_at=time.time() + 100)
    assert [j.track_id for j in tracks_to_analyze(tmp_store)] == [first[1], later, first[0]]


def test_a_replaced_file_is_pending_again_for_counts_and_jobs_alike(tmp_store):
    """After a rescan sees a newer file, both its analysis and its recorded failure are stale: the
    track is pending in ``analysis_counts`` (what the app's progress shows) and in the job list."""
    ids = _add_tracks(tmp_store, 3)
    save_analyses(tmp_store, [_row(ids[0], [1.0]), _row(ids[1], [0.5])])
    save_analysis_errors(tmp_store, [(ids[2], "decode: boom")])
    assert analysis_counts(tmp_store) | {"patches": 0} == {
        "tracks": 3,
        "analyzed": 2,
        "failed": 1,
        "pending": 0,
        "patches": 0,
    }
    assert tracks_to_analyze(tmp_store) == []
    replaced = time.time() + 5  # the rescan saw files written after their analysis
    for tid in (ids[0], ids[2]):
        path = f"/music/t{ids.index(tid)}.ogg"
        upsert_tracks(tmp_store, [{"path": path, "size": 2, "mtime": replaced, "tags_from_path": 0}])
    counts = analysis_counts(tmp_store, now=replaced + 1)
    assert (counts["analyzed"], counts["failed"], counts["pending"]) == (1, 0, 2)
    jobs = tracks_to_analyze(tmp_store, now=replaced + 1)
    assert sorted(j.track_id for j in jobs) == sorted([ids[0], ids[2]])
