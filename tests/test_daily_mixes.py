"""Daily mixes (issue 24, item 3) on the real analysed corpus with a real listening log: clusters of
what the listener finishes, named by tags and artists, stable within a day and changed across days,
the dial's share of new finds, the time-of-day mix, and nothing banned."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from player.store import Store
from player.store import plays as plays_sql
from player.store.ratings import rate_artist
from player.store.tracks import get_track
from recommender.for_you.daily import NEW_SHARE, daily_mixes, time_of_day_mix
from recommender.radio.load import load_library

DAY = dt.date(2026, 11, 20)


def _at(day: dt.date, hour: int) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, 0).timestamp()


def _log(store: Store, track_ids: list[int], hour: int, times: int = 2) -> None:
    """Finished plays of these tracks at ``hour`` (local time) on the days before ``DAY``."""
    with store.transaction():
        for k in range(times):
            when = _at(DAY - dt.timedelta(days=3 + k), hour)
            for i, t in enumerate(track_ids):
                pid = plays_sql.start_play(store, t, f"s{k}", duration=200.0, started_at=when + 300 * i)
                plays_sql.close_play(
                    store, pid, outcome="completed", seconds_listened=200.0, ended_at=when + 300 * i + 200
                )


def _by(store: Store, artist: str) -> list[int]:
    rows = store.conn.execute("SELECT id FROM tracks WHERE artist = ? ORDER BY id", (artist,)).fetchall()
    return [int(r[0]) for r in rows]


@pytest.fixture(scope="module")
def db(analyzed_corpus_db, tmp_path_factory):
    target = tmp_path_factory.mktemp("daily") / "encore.db"
    shutil.copyfile(analyzed_corpus_db, target)
    with Store.open(target) as store:
        metal = _by(store, "Muldjord")[:6]
        scores = (
            _by(store, "Mattias Westlund")[:4]
            + _by(store, "Doug Kaufman")[:3]
            + _by(store, "Ryan Reilly")[:3]
        )
        electronic = _by(store, "NeonCorridor")[:5] + _by(store, "Brett Cornwall")[:4]
        assert len(metal) >= 4 and len(scores) >= 8 and len(electronic) >= 6
        _log(store, metal, hour=21)  # evenings
        _log(store, scores, hour=9)  # mornings
        _log(store, electronic, hour=14)
    return target


def test_mixes_are_corners_of_the_taste_named_by_tags_and_artists(db):
    with Store.open(db) as store:
        library = load_library(store)
        mixes = daily_mixes(store, library=library, day=DAY, now=_at(DAY, 10))
        assert 2 <= len(mixes) <= 6
        for i, mix in enumerate(mixes, 1):
            assert mix.name.startswith(f"Daily Mix {i}: ") and mix.artists and mix.tags
            assert all(a in mix.name for a in mix.artists) and all(t in mix.name for t in mix.tags)
            assert len(mix.track_ids) == len(set(mix.track_ids)) >= 8
            artists = [get_track(store, t)["artist"] for t in mix.track_ids]
            # No artist twice in a row, unless one artist holds more than half the mix.
            repeats = sum(a == b for a, b in zip(artists, artists[1:], strict=False))
            top = max(artists.count(a) for a in set(artists))
            assert repeats <= max(0, top - (len(artists) - top) - 1)
        # Muldjord's death metal and the Wesnoth scores do not share a mix.
        home = {}
        for k, mix in enumerate(mixes):
            for t in mix.track_ids:
                home.setdefault(get_track(store, t)["artist"], set()).add(k)
        assert not home.get("Muldjord", set()) & home.get("Mattias Westlund", set())


def test_stable_within_a_day_changed_across_days_and_by_refresh(db):
    with Store.open(db) as store:
        library = load_library(store)
        first = daily_mixes(store, library=library, day=DAY, now=_at(DAY, 10))
        again = daily_mixes(store, library=library, day=DAY, now=_at(DAY, 18))
        assert [m.track_ids for m in first] == [m.track_ids for m in again]
        tomorrow = daily_mixes(store, library=library, day=DAY + dt.timedelta(days=1), now=_at(DAY, 10))
        assert [m.track_ids for m in tomorrow] != [m.track_ids for m in first]
        refreshed = daily_mixes(store, library=library, day=DAY, refresh=1, now=_at(DAY, 10))
        assert [m.track_ids for m in refreshed] != [m.track_ids for m in first]


def test_the_dial_sets_the_share_of_new_finds(db):
    with Store.open(db) as store:
        library = load_library(store)
        shares = []
        for step in (-2, -1, 0, 1, 2):
            mixes = daily_mixes(store, library=library, day=DAY, dial=step, now=_at(DAY, 10))
            new = sum(round(m.new_share * len(m.track_ids)) for m in mixes)
            shares.append(new / sum(len(m.track_ids) for m in mixes))
        assert shares[0] == 0.0 and shares == sorted(shares) and shares[-1] > shares[2] > 0
        assert NEW_SHARE[2] > NEW_SHARE[0] > NEW_SHARE[-2]


def test_the_time_of_day_mix_follows_when_the_listener_plays_what(db):
    with Store.open(db) as store:
        library = load_library(store)
        evening = time_of_day_mix(store, library=library, now=_at(DAY, 20))
        morning = time_of_day_mix(store, library=library, now=_at(DAY, 8))
        assert evening is not None and morning is not None
        assert evening.name.startswith("Your evenings: ") and "Muldjord" in evening.artists
        assert morning.name.startswith("Your mornings: ") and "Muldjord" not in morning.artists
        fav = [
            get_track(store, t)["artist"]
            for t, w in zip(evening.track_ids, evening.whys, strict=True)
            if w.startswith("you play")
        ]
        assert set(fav) == {"Muldjord"}
        assert time_of_day_mix(store, library=library, now=_at(DAY, 3)) is None  # nothing played at night


def test_nothing_banned_is_offered(db, tmp_path):
    copy = tmp_path / "banned.db"
    shutil.copyfile(db, copy)
    with Store.open(copy) as store:
        rate_artist(store, "NeonCorridor", -1)
        mixes = daily_mixes(store, day=DAY, dial=2, now=_at(DAY, 10))
        assert mixes
        artists = {get_track(store, t)["artist"] for m in mixes for t in m.track_ids}
        assert "NeonCorridor" not in artists


def test_the_mix_command_refreshes_saves_prompts_and_exports_a_wishlist(db, tmp_path, capsys):
    import csv
    import json

    from main import main
    from player.store.playlists import find_playlist, playlist_tracks

    copy = tmp_path / "cli.db"
    shutil.copyfile(db, copy)
    assert main(["mix", "--json", "--db", str(copy)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first and all(m["name"].startswith("Daily Mix") and m["tracks"] for m in first)
    assert main(["mix", "--json", "--db", str(copy)]) == 0
    assert json.loads(capsys.readouterr().out) == first  # the same all day
    assert main(["mix", "--json", "--refresh", "--db", str(copy)]) == 0
    refreshed = json.loads(capsys.readouterr().out)
    assert [m["tracks"] for m in refreshed] != [m["tracks"] for m in first]
    assert main(["mix", "--json", "--db", str(copy)]) == 0
    assert json.loads(capsys.readouterr().out) == refreshed  # and the refreshed ones stay

    assert (
        main(["mix", "--prompt", "artist:(Muldjord) new", "--n", "5", "--save", "Metal", "--db", str(copy)])
        == 0
    )
    capsys.readouterr()
    with Store.open(copy) as store:
        saved = find_playlist(store, "Metal")
        assert saved is not None and len(playlist_tracks(store, saved["id"])) == 5

    wish = tmp_path / "wishlist.csv"
    assert main(["discover", "--n", "5", "--export", str(wish), "--db", str(copy)]) == 0
    rows = list(csv.reader(wish.open(encoding="utf-8")))
    assert rows[0] == ["artist", "why", "musicbrainz", "lastfm"] and len(rows) == 6
    assert all(r[2].startswith("https://musicbrainz.org/search?type=artist&query=") for r in rows[1:])
    fans = tmp_path / "fans.csv"
    assert main(["similar", "Muldjord", "--export", str(fans), "--db", str(copy)]) == 0
    fan_rows = list(csv.reader(fans.open(encoding="utf-8")))
    assert len(fan_rows) > 2 and all(r[1] == "fans of Muldjord also like it" for r in fan_rows[1:])
    links = tmp_path / "links.html"
    assert main(["discover", "--n", "3", "--export", str(links), "--db", str(copy)]) == 0
    assert links.read_text(encoding="utf-8").count('<li><a href="https://musicbrainz.org/') == 3
    # A name that promises another format is refused, and nothing is written (a walk got a CSV as .pdf).
    capsys.readouterr()
    assert main(["discover", "--n", "3", "--export", str(tmp_path / "wish.pdf"), "--db", str(copy)]) == 2
    assert "written as .csv, .txt or .html, not as .pdf" in capsys.readouterr().err
    assert not (tmp_path / "wish.pdf").exists()


def test_a_wishlist_cell_never_runs_as_a_formula(tmp_path):
    import csv

    from recommender.for_you.wishlist import write_wishlist

    out = tmp_path / "w.csv"
    write_wishlist(out, [{"artist": '=HYPERLINK("http://x")', "why": "+1"}])
    row = list(csv.reader(out.open(encoding="utf-8")))[1]
    assert row[0] == '\'=HYPERLINK("http://x")' and row[1] == "'+1"
