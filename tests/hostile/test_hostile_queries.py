"""Queries and counts a user can type too big, and lookups that miss (issue 27 item 18, issue 26 item 11):
a 60 KB query gets a clear "at most 1,000 characters" instead of SQLite's "LIKE or GLOB pattern too
complex"; ``--n`` is bounded by a sane maximum and by what the library holds; a track the library lacks
is said to be missing, with the closest tracks, not "scan your music"; ``encore scan`` with no PATH
rescans the app's folders; ``stats`` ranks tracks by completed plays, not by attempts."""

from __future__ import annotations

import json
import unicodedata

from hostile_helpers import assert_clean_failure, encore

from player.store import Store
from player.store.plays import close_play, start_play, top_tracks
from player.store.tracks import count_tracks, iter_tracks

HUGE = "x" * 60_000


def test_huge_queries_get_a_clear_message(hostile_copy):
    db = ["--db", str(hostile_copy)]
    for args in (
        ("play", HUGE),
        ("radio", HUGE, "--no-analyze"),
        ("path", HUGE, "1"),
        ("sounds-like", HUGE),
    ):
        result = encore(*args, *db)
        assert_clean_failure(result, "60,000 characters long; at most 1,000", code=2)
        assert "too complex" not in result.stdout + result.stderr
    rule = ["--rule", f"title contains {HUGE}"]
    result = encore("smart", "preview", *rule, *db)
    assert_clean_failure(result, "at most 1,000", code=2)


def test_n_is_bounded_by_a_maximum_and_by_the_library(hostile_copy):
    db = ["--db", str(hostile_copy)]
    assert_clean_failure(encore("path", "1", "2", "--n", "500", *db), "between 2 and 100", code=2)
    with Store.open(hostile_copy) as store:
        held = count_tracks(store)
    result = encore("radio", "1", "--n", "1000", "--no-analyze", "--json", *db, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 0 < len(json.loads(result.stdout)) <= held


def test_a_track_not_in_the_library_is_said_so_with_the_closest(hostile_copy):
    db = ["--db", str(hostile_copy)]
    result = encore("radio", "Portishead - Glory Box", "--no-analyze", *db)
    assert_clean_failure(
        result, "no track matches 'Portishead - Glory Box': it is not in the library", code=2
    )
    assert "scan your music" not in result.stderr
    result = encore("radio", "Bjork - Glory Box", "--no-analyze", *db)
    assert result.returncode == 2 and "Traceback" not in result.stderr  # the tags are NFD: compare as NFC
    assert "is not in the library; closest: Björk - Jóga" in unicodedata.normalize("NFC", result.stderr)


def test_scan_without_a_path_rescans_the_app_folders(hostile_lib, tmp_path):
    db = tmp_path / "encore.db"
    assert_clean_failure(encore("scan", "--db", str(db)), "no music folders are set up yet", code=2)
    with Store.open(db) as store:
        from ui.settings import UiSettings

        settings = UiSettings.load(store)
        settings.folders = [str(hostile_lib.good[0].parent)]
        settings.save(store)
    result = encore("scan", "--db", str(db), "--workers", "1", timeout=180)
    assert result.returncode == 0, result.stderr
    assert f"rescanning {hostile_lib.good[0].parent}" in result.stdout
    with Store.open(db) as store:
        assert count_tracks(store) >= len(hostile_lib.good)


def test_stats_ranks_tracks_by_completed_plays(hostile_copy):
    with Store.open(hostile_copy) as store:
        skipped, liked = [int(t["id"]) for t in list(iter_tracks(store))[:2]]
        for track_id, outcome, times in ((skipped, "skipped", 5), (liked, "completed", 2)):
            for _ in range(times):
                play = start_play(store, track_id, "s", duration=60.0)
                close_play(store, play, outcome=outcome, position=1.0)
        assert [t["track_id"] for t in top_tracks(store, 2)] == [liked, skipped]
    result = encore("stats", "--db", str(hostile_copy))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("Top tracks:")[1].splitlines()
    assert "2 done" in lines[1], result.stdout


def test_help_lists_the_user_commands_and_the_developer_ones_apart():
    result = encore("--help")
    listed, _, epilog = result.stdout.partition("developer commands")
    assert result.returncode == 0 and epilog, result.stdout
    for command in ("scan", "play", "radio", "for-you", "path"):
        assert f"\n    {command} " in listed, result.stdout
    for command in ("pretrain", "evaluate-radio", "evaluate-similar", "match-report"):
        assert command not in listed and command in epilog, result.stdout
    assert encore("evaluate-path", "--help").returncode == 0  # still there, for those who build models
