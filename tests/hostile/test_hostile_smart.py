"""Smart playlists too big to run are refused before they are saved, and stored rules that cannot be used
(nested 400 deep, not JSON, a limit of 1e400) flag their own playlist without breaking the others."""

from __future__ import annotations

import json
import sqlite3
import time

from hostile_helpers import assert_clean_failure, encore

from player.store import Store
from player.store.playlists import create_playlist, list_playlists
from player.store.smart import MAX_CONDITIONS


def test_a_rule_set_past_the_cap_is_refused_and_nothing_is_saved(tmp_path):
    db = tmp_path / "encore.db"
    Store.open(db).close()
    rules = [arg for _ in range(1100) for arg in ("--rule", "plays >= 0")]
    result = encore("smart", "create", "Many", *rules, "--db", str(db))
    assert_clean_failure(result, f"at most {MAX_CONDITIONS} conditions", code=2)
    listing = encore("playlist", "list", "--db", str(db))
    assert_clean_failure(listing, "No playlists yet", code=0)
    fits = [arg for _ in range(MAX_CONDITIONS) for arg in ("--rule", "plays >= 0")]
    assert_clean_failure(encore("smart", "create", "Fits", *fits, "--db", str(db)), "Fits", code=0)
    assert_clean_failure(encore("smart", "show", "Fits", "--db", str(db)), "0 tracks", code=0)


def _deep(depth: int) -> dict:
    rules: dict = {"field": "plays", "op": ">=", "value": 0}
    for _ in range(depth):
        rules = {"match": "all", "conditions": [rules]}
    return rules


def test_unusable_stored_rules_flag_only_their_own_playlist(tmp_path):
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        create_playlist(
            store, "Good", {"match": "all", "conditions": [{"field": "plays", "op": ">=", "value": 0}]}
        )
    bad = {
        "Deep": json.dumps(_deep(400)),
        "Garbled": '{"match": "all", "conditions": [',
        "Huge limit": '{"match": "all", "conditions": [{"field": "plays", "op": ">=", "value": 0}],'
        ' "limit": 1e400}',
    }
    conn = sqlite3.connect(db)  # written as an older version or a hand edit would leave them
    with conn:
        for name, text in bad.items():
            conn.execute(
                "INSERT INTO playlists (name, rules, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (name, text, time.time(), time.time()),
            )
    conn.close()
    with Store.open(db) as store:
        rows = {r["name"]: r for r in list_playlists(store)}
    assert rows["Good"]["problem"] is None and rows["Good"]["rules"]
    assert all(rows[n]["problem"] and rows[n]["rules"] is None for n in bad), rows

    listing = encore("playlist", "list", "--db", str(db))
    assert_clean_failure(listing, "Good  (0 tracks, smart)", code=0)
    for name in bad:
        assert f"{name}  (smart, unusable rules:" in listing.stdout, listing.stdout
    assert_clean_failure(encore("playlist", "list", "--json", "--db", str(db)), '"problem"', code=0)
    assert_clean_failure(encore("smart", "show", "Deep", "--db", str(db)), "nest at most 8 deep")
    assert_clean_failure(encore("smart", "show", "Garbled", "--db", str(db)), "not valid JSON")
    assert_clean_failure(encore("playlist", "show", "Huge limit", "--db", str(db)), "whole number")
    out = tmp_path / "out.m3u8"
    assert_clean_failure(
        encore("playlist", "export", "Deep", str(out), "--db", str(db)), "unusable rules", code=2
    )
    assert_clean_failure(encore("smart", "show", "Good", "--db", str(db)), "0 tracks", code=0)
    fixed = encore("smart", "edit", "Deep", "--rule", "plays >= 1", "--db", str(db))
    assert_clean_failure(fixed, "Deep", code=0)
