"""Playlists and smart playlists on the real corpus: persisted order and edits, M3U8/XSPF round trips
with missing entries reported, smart rules equal to a hand-written filter, and clear messages for bad
input (unknown tag, empty rule, unreadable playlist file)."""

from __future__ import annotations

import os
import shutil
import time
import unicodedata
from pathlib import Path

import pytest

from main import main
from player.playlist_files import (
    NothingMatched,
    PlaylistFileError,
    export_playlist,
    import_playlist,
    read_playlist_file,
)
from player.store import Store
from player.store.analysis import load_analysis_matrix, load_descriptors
from player.store.playlists import (
    PlaylistError,
    add_tracks,
    create_playlist,
    delete_playlist,
    find_playlist,
    list_playlists,
    move_entries,
    playlist_track_ids,
    playlist_tracks,
    remove_entries,
    rename_playlist,
)
from player.store.plays import close_play, start_play
from player.store.ratings import BAN, banned_track_ids, rate_artist, rate_track
from player.store.smart import (
    SmartRuleError,
    count_smart,
    describe_rules,
    parse_condition,
    smart_track_ids,
    tag_vocabulary,
    validate_rules,
)
from player.store.tracks import get_track, iter_tracks


@pytest.fixture
def analyzed_copy(analyzed_corpus_db: Path, tmp_path: Path):
    target = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, target)
    with Store.open(target) as store:
        yield store


def _ids(store: Store, fragment: str, n: int) -> list[int]:
    return [t["id"] for t in iter_tracks(store) if fragment in t["path"]][:n]


def test_playlist_edits_persist(copy_corpus_store: Store):
    store = copy_corpus_store
    a, b, c, d = _ids(store, "wesnoth", 4)
    pid = create_playlist(store, "Evening")
    with pytest.raises(PlaylistError, match="already exists"):
        create_playlist(store, " evening ")
    add_tracks(store, pid, [a, b, c])
    add_tracks(store, pid, [d], position=1)
    assert playlist_track_ids(store, pid) == [a, d, b, c]
    entries = playlist_tracks(store, pid)
    move_entries(store, pid, [entries[3]["entry_id"]], 0)  # drag the last to the top
    assert playlist_track_ids(store, pid) == [c, a, d, b]
    remove_entries(store, pid, [playlist_tracks(store, pid)[1]["entry_id"]])
    rename_playlist(store, pid, "Late evening")
    path = store.path
    store.close()
    with Store.open(path) as again:  # persisted
        found = find_playlist(again, "LATE EVENING")
        assert found and found["tracks"] == 3 and playlist_track_ids(again, found["id"]) == [c, d, b]
        delete_playlist(again, found["id"])
        assert list_playlists(again) == []


def test_m3u8_round_trip_keeps_order_and_reports_missing(copy_corpus_store: Store, tmp_path: Path):
    store = copy_corpus_store
    order = _ids(store, "wesnoth", 3) + _ids(store, "fretsonfire", 2)
    order = [order[4], order[0], order[3], order[1], order[2]]  # not library order
    pid = create_playlist(store, "Mix")
    add_tracks(store, pid, order)
    out = tmp_path / "lists" / "mix.m3u8"
    assert export_playlist(store, pid, out) == 5
    text = out.read_text(encoding="utf-8")
    assert text.startswith("#EXTM3U") and "#EXTINF:" in text
    assert not any(line.startswith("/") for line in text.splitlines())  # relative paths
    result = import_playlist(store, out)
    assert (
        result.name == "Mix (2)"  # the name the file gives itself (#PLAYLIST), taken: "(2)"
        and result.missing == []
        and playlist_track_ids(store, result.playlist_id) == order
    )
    # Absolute paths, plus entries that cannot be found: reported, the rest kept in order.
    export_playlist(store, pid, out, relative=False)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert all(line.startswith(("#", "/")) for line in lines)
    lines.insert(2, "gone/no_such_song.ogg")  # before an #EXTINF line: no name to be found by
    lines.append("https://example.org/stream.ogg")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_playlist(store, out, name="Mix")
    assert result.name == "Mix (3)"
    assert result.missing == ["gone/no_such_song.ogg", "https://example.org/stream.ogg"]
    assert playlist_track_ids(store, result.playlist_id) == order


def test_xspf_round_trip_relative_and_absolute(copy_corpus_store: Store, tmp_path: Path):
    store = copy_corpus_store
    order = list(reversed(_ids(store, "hyperrogue", 4)))
    pid = create_playlist(store, "Rogue")
    add_tracks(store, pid, order)
    for relative in (True, False):
        out = tmp_path / f"rogue-{relative}.xspf"
        export_playlist(store, pid, out, relative=relative)
        entries = read_playlist_file(out)
        assert len(entries) == 4 and entries[0].location.startswith("file://") is (not relative)
        result = import_playlist(store, out)
        assert result.missing == [] and playlist_track_ids(store, result.playlist_id) == order
        # Named by its <title> (what the export wrote), not its file name (found in a walk of the app).
        assert result.name == f"Rogue ({2 if relative else 3})"


def test_unreadable_playlist_files_get_a_clear_message(tmp_store: Store, tmp_path: Path, capsys):
    bad_xml = tmp_path / "broken.xspf"
    bad_xml.write_text("<playlist><trackList><track>", encoding="utf-8")
    with pytest.raises(PlaylistFileError, match="not a valid XSPF"):
        read_playlist_file(bad_xml)
    binary = tmp_path / "noise.m3u8"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(PlaylistFileError, match="not valid UTF-8"):
        read_playlist_file(binary)
    bomb = tmp_path / "bomb.xspf"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><playlist/>', encoding="utf-8")
    with pytest.raises(PlaylistFileError, match="document type"):
        read_playlist_file(bomb)
    with pytest.raises(PlaylistFileError, match="unknown playlist format"):
        read_playlist_file(tmp_path / "list.txt")
    db = str(tmp_store.path)
    assert main(["playlist", "import", str(tmp_path / "absent.m3u8"), "--db", db]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["playlist", "import", str(bad_xml), "--db", db]) == 2
    assert "not a valid XSPF" in capsys.readouterr().err


def _played(store: Store, track_id: int, outcome: str, at: float) -> None:
    play_id = start_play(store, track_id, "test", duration=100.0, started_at=at)
    close_play(store, play_id, outcome=outcome, seconds_listened=100.0, ended_at=at + 100)


def test_smart_playlist_equals_a_hand_checked_filter(analyzed_copy: Store):
    store = analyzed_copy
    tags = tag_vocabulary()
    ids, _emb, probs = load_analysis_matrix(store)
    desc = load_descriptors(store)
    ambient = probs[:, tags.index("ambient")]
    now = time.time()
    # Play history: some of the matching tracks were played, at different times.
    by_hand = [
        int(t)
        for t, p in zip(ids.tolist(), ambient.tolist(), strict=True)
        if p > 0.1 and (desc[t]["tempo"] or 1e9) < 120
    ]
    assert len(by_hand) > 5, "the corpus should have calm ambient tracks"
    for i, t in enumerate(by_hand[:4]):
        _played(store, t, "completed", now - 86400 * (10 - i))
    banned = by_hand[-1]
    rate_track(store, banned, BAN)
    rules = {
        "match": "all",
        "conditions": [
            {"field": "ambient", "op": ">", "value": 0.1},
            {"field": "tempo", "op": "<", "value": 120},
        ],
        "limit": 25,
        "sort": "last_played",
    }
    got = smart_track_ids(store, rules)
    expected_set = [t for t in by_hand if t != banned]
    last = {t: (now - 86400 * (10 - i)) if i < 4 else None for i, t in enumerate(by_hand)}
    # Least recently played first: never played (by id) before played ones (oldest first).
    expected = sorted(expected_set, key=lambda t: (last[t] is not None, last[t] or 0.0, t))[:25]
    assert got == expected
    assert count_smart(store, rules) == len(expected)
    # OR over text fields, nested with a number, against a filter over the tracks.
    rules = {
        "match": "any",
        "conditions": [
            {"field": "genre", "op": "contains", "value": "metal"},
            {
                "match": "all",
                "conditions": [
                    {"field": "path", "op": "contains", "value": "hyperrogue"},
                    {"field": "duration", "op": ">=", "value": 120},
                ],
            },
        ],
    }
    hand = {
        t["id"]
        for t in iter_tracks(store)
        if "metal" in (t["genre"] or "").casefold()
        or ("hyperrogue" in t["path"] and (t["duration"] or 0) >= 120)
    }
    assert hand and set(smart_track_ids(store, rules)) == hand - {banned}
    rate_artist(store, "muldjord", BAN)
    chosen = set(smart_track_ids(store, rules))
    assert chosen and not any("fretsonfire" in t["path"] for t in iter_tracks(store) if t["id"] in chosen)
    # "not within" includes tracks never played; "within" only the recent ones.
    recent = {"conditions": [{"field": "last_played", "op": "within", "value": 8.5}]}
    assert set(smart_track_ids(store, recent)) == set(by_hand[2:4])
    stale = {"conditions": [{"field": "last_played", "op": "not within", "value": 8.5}]}
    assert set(smart_track_ids(store, stale)) == {t["id"] for t in iter_tracks(store)} - banned_track_ids(
        store
    ) - set(by_hand[2:4])


def test_rules_are_data_and_bad_rules_get_clear_messages(tmp_store: Store, capsys):
    assert parse_condition("female vocalists >= 0.5") == {
        "field": "female vocalists",
        "op": ">=",
        "value": 0.5,
    }
    assert parse_condition("artist is not Muldjord") == {
        "field": "artist",
        "op": "is not",
        "value": "Muldjord",
    }
    assert parse_condition("last played not within 30 days")["op"] == "not within"
    # A value that looks like SQL is only ever a bound parameter.
    rules = validate_rules({"conditions": [parse_condition("title contains '); DROP TABLE tracks; --")]})
    assert smart_track_ids(tmp_store, rules) == [] and tmp_store.conn.execute("SELECT COUNT(*) FROM tracks")
    assert "title contains" in describe_rules(rules)
    with pytest.raises(SmartRuleError, match="did you mean 'ambient'"):
        parse_condition("ambiant > 0.3")
    with pytest.raises(SmartRuleError, match="rule is empty"):
        validate_rules({"match": "all", "conditions": []})
    with pytest.raises(SmartRuleError, match="has no value"):
        parse_condition("artist is ")
    with pytest.raises(SmartRuleError, match="needs a number"):
        parse_condition("tempo < fast")
    with pytest.raises(SmartRuleError, match="does not apply to genre"):
        validate_rules({"conditions": [{"field": "genre", "op": ">", "value": 3}]})
    with pytest.raises(SmartRuleError, match="between 0 and 1"):
        parse_condition("metal > 30")
    db = str(tmp_store.path)
    assert main(["smart", "preview", "--rule", "ambiant > 0.3", "--db", db]) == 2
    assert "unknown field 'ambiant'" in capsys.readouterr().err
    assert main(["smart", "create", "Nothing", "--db", db]) == 2
    assert "rule is empty" in capsys.readouterr().err
    assert find_playlist(tmp_store, "Nothing") is None


def test_playlist_and_smart_commands(analyzed_copy: Store, tmp_path: Path, capsys):
    db = str(analyzed_copy.path)
    assert main(["playlist", "create", "Road trip", "--db", db]) == 0
    assert main(["playlist", "add", "Road trip", "Chaos God", "northerners", "--db", db]) == 0
    assert main(["playlist", "show", "road trip", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Road trip: 2 tracks" in out and "Chaos God" in out
    out_file = tmp_path / "trip.xspf"
    assert main(["playlist", "export", "Road trip", str(out_file), "--db", db]) == 0
    assert main(["playlist", "import", str(out_file), "--name", "Copy", "--db", db]) == 0
    assert "Imported 2 track(s)" in capsys.readouterr().out
    args = ["--rule", "ambient > 0.3", "--rule", "tempo < 100", "--sort", "last_played", "--limit", "25"]
    assert main(["smart", "create", "Calm", *args, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "ambient > 0.3 and tempo < 100" in out and "at most 25 tracks" in out
    assert main(["playlist", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Calm  (" in out and "smart" in out and "Road trip  (2 tracks)" in out
    assert main(["smart", "fields", "--db", db]) == 0
    assert "ambient" in capsys.readouterr().out


def test_a_playlist_from_windows_resolves_backslash_relative_paths(copy_corpus_store: Store, tmp_path: Path):
    store = copy_corpus_store
    ids = _ids(store, "wesnoth", 3)
    paths = [get_track(store, i)["path"] for i in ids]
    lists = tmp_path / "a" / "b"
    lists.mkdir(parents=True)
    links = [os.path.relpath(p, lists).replace("/", "\\") for p in paths]  # as Windows writes them
    assert all(link.startswith("..\\..\\") for link in links)
    out = lists / "win.m3u8"
    out.write_text("#EXTM3U\r\n" + "\r\n".join(links) + "\r\n", encoding="utf-8")
    result = import_playlist(store, out, scan_new=False)
    assert result.missing == [] and playlist_track_ids(store, result.playlist_id) == ids


def test_entries_from_another_machine_match_by_artist_and_title(copy_corpus_store: Store, tmp_path: Path):
    """Paths that name no file here fall back to "Artist - Title" (M3U) or creator and title (XSPF),
    compared by the key artists are rated by: case, NFC/NFD and spacing do not matter."""
    store = copy_corpus_store
    tracks = [get_track(store, i) for i in _ids(store, "wesnoth", 3)]
    assert all(t["artist"] and t["title"] for t in tracks)
    a, b, c = tracks
    nfd = unicodedata.normalize("NFD", b["title"].upper())
    m3u = tmp_path / "other.m3u8"
    m3u.write_text(
        "#EXTM3U\n"
        f"#EXTINF:100,{a['artist']} - {a['title']}\nC:\\Users\\me\\Music\\a.ogg\n"
        f"#EXTINF:100,{b['artist'].upper()}  -  {nfd}\n/home/someone/Music/b.ogg\n"
        "#EXTINF:100,Nobody Here - No Such Song\n/home/someone/Music/c.ogg\n"
        f"#EXTINF:100,{c['artist']} - {c['title']}\nhttps://radio.example/stream\n",  # a stream: not by name
        encoding="utf-8",
    )
    result = import_playlist(store, m3u)
    assert playlist_track_ids(store, result.playlist_id) == [a["id"], b["id"]]
    assert result.by_name == 2
    assert result.missing == ["/home/someone/Music/c.ogg", "https://radio.example/stream"]
    xspf = tmp_path / "other.xspf"
    xspf.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><playlist xmlns="http://xspf.org/ns/0/" version="1"><trackList>'
        f"<track><location>file:///nowhere/c.ogg</location><creator>{c['artist']}</creator>"
        f"<title>{c['title'].casefold()}</title></track></trackList></playlist>",
        encoding="utf-8",
    )
    result = import_playlist(store, xspf)
    assert playlist_track_ids(store, result.playlist_id) == [c["id"]] and result.missing == []


def test_nothing_matched_creates_no_playlist(copy_corpus_store: Store, tmp_path: Path, capsys):
    store = copy_corpus_store
    before = [p["name"] for p in list_playlists(store)]
    out = tmp_path / "nothing.m3u8"
    out.write_text("#EXTM3U\n#EXTINF:1,Nobody - Nothing\n/nowhere/x.ogg\n/nowhere/y.ogg\n", encoding="utf-8")
    with pytest.raises(NothingMatched, match="no playlist was created") as caught:
        import_playlist(store, out)
    assert caught.value.missing == ["/nowhere/x.ogg", "/nowhere/y.ogg"]
    assert [p["name"] for p in list_playlists(store)] == before
    # An empty file is an empty playlist (what exporting an empty playlist writes): it round-trips.
    empty = tmp_path / "empty.m3u8"
    empty.write_text("#EXTM3U\n", encoding="utf-8")
    made = import_playlist(store, empty)
    assert playlist_track_ids(store, made.playlist_id) == [] and made.missing == []
    delete_playlist(store, made.playlist_id)
    assert main(["playlist", "import", str(out), "--db", str(store.path)]) == 1
    captured = capsys.readouterr()
    assert "no playlist was created" in captured.err and "/nowhere/y.ogg" in captured.out
    assert [p["name"] for p in list_playlists(store)] == before
