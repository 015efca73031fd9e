"""Listening history from elsewhere (``encore import-history``): real-format files of each source, read
by content, streamed, stored idempotently in a real SQLite file, forgotten, and folded into the taste."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from main import main
from player.history import read as history_read
from player.history.formats import Listen, outcome
from player.history.read import HistoryFormatError, open_history
from player.store import Store
from player.store.listens import elsewhere_counts, list_imports, listen_total
from recommender.factors.bundle_file import load_bundle
from recommender.taste.history import import_history

LB_ARRAY = [
    {
        "listened_at": 1700000000,
        "track_metadata": {
            "artist_name": "Portishead",
            "track_name": "Glory Box",
            "release_name": "Dummy",
            "additional_info": {
                "duration_ms": 301000,
                "artist_mbids": ["8f6bd1e4-fbe1-4f50-aa9b-94c450ec0f11"],
                "recording_mbid": "d3a53dc6-6e5a-4bd4-9e8e-3bd6e2bd2e0b",
            },
        },
    },
    # No release_name, no additional_info: still a listen.
    {"listened_at": 1700000400, "track_metadata": {"artist_name": "Björk", "track_name": "Jóga"}},
    {
        "listened_at": 1700000800,
        "track_metadata": {"artist_name": "Massive Attack", "track_name": "Teardrop"},
    },
]

SPOTIFY = [
    {
        "ts": "2023-11-14T22:13:20Z",
        "ms_played": 5000,
        "master_metadata_track_name": "Karmacoma",
        "master_metadata_album_artist_name": "Massive Attack",
        "master_metadata_album_album_name": "Protection",
        "spotify_track_uri": "spotify:track:1",
        "reason_start": "clickrow",
        "reason_end": "fwdbtn",
        "shuffle": False,
        "skipped": True,
    },
    # A removed track: every metadata field null.
    {
        "ts": "2023-11-14T22:20:20Z",
        "ms_played": 240000,
        "master_metadata_track_name": None,
        "master_metadata_album_artist_name": None,
        "master_metadata_album_album_name": None,
        "spotify_track_uri": None,
        "reason_end": "trackdone",
    },
    {
        "ts": "2023-11-14T22:30:20Z",
        "ms_played": 1000,
        "episode_name": "Ep",
        "spotify_episode_uri": "spotify:episode:1",
    },
    {
        "ts": "2023-11-14T22:31:20Z",
        "ms_played": 1000,
        "audiobook_title": "A book",
        "audiobook_uri": "spotify:show:1",
    },
    {
        "ts": "2023-11-14T22:40:20Z",
        "ms_played": 200000,
        "master_metadata_track_name": "Angel",
        "master_metadata_album_artist_name": "Massive Attack",
        "reason_end": "trackdone",
        "skipped": None,
    },
    {
        "ts": "2023-11-14T22:50:20Z",
        "ms_played": 90000,
        "master_metadata_track_name": "Hunter",
        "master_metadata_album_artist_name": "Björk",
        "reason_end": "endplay",
        "skipped": False,
    },
]

LASTFM_CSV = (
    "\ufeffuts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
    '1700001000,"14 Nov 2023 22:30",Radiohead,,OK Computer,,"Paranoid Android, live",\n'
    '1700001400,"14 Nov 2023 22:36",Radiohead,,OK Computer,,"Karma Police",\n'
)


def _write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "encore.db") as s:
        yield s


def test_each_source_is_recognised_from_its_content_whatever_the_name(tmp_path):
    lb = _write(tmp_path, "a.txt", LB_ARRAY)
    jsonl = _write(tmp_path, "b.txt", "\n".join(json.dumps(e) for e in LB_ARRAY) + "\n")
    sp = _write(tmp_path, "c.txt", SPOTIFY)
    short = _write(
        tmp_path,
        "d.txt",
        [
            {
                "endTime": "2023-11-14 22:40",
                "artistName": "Air",
                "trackName": "La femme d'argent",
                "msPlayed": 300000,
            }
        ],
    )
    lf = _write(tmp_path, "e.txt", LASTFM_CSV)
    headerless = _write(tmp_path, "f.txt", 'Air,Moon Safari,"Sexy Boy",14 Nov 2023 22:30\n')
    kinds = [open_history(p)[0].kind for p in (lb, jsonl, sp, short, lf, headerless)]
    assert kinds == ["listenbrainz", "listenbrainz-jsonl", "spotify", "spotify-short", "lastfm", "lastfm"]
    rows = list(open_history(lf)[0].entries())
    assert [r.title for r in rows] == ["Paranoid Android, live", "Karma Police"]  # BOM, a comma in a title
    assert rows[0].listened_at == 1700001000.0
    (row,) = list(open_history(headerless)[0].entries())
    assert (row.artist, row.album, row.title) == ("Air", "Moon Safari", "Sexy Boy")


def test_a_file_in_no_format_gets_one_sentence_naming_the_formats(tmp_path):
    junk = _write(tmp_path, "notes.json", {"hello": "world"})
    with pytest.raises(HistoryFormatError, match="ListenBrainz.*Spotify.*Last.fm"):
        open_history(junk)


def test_spotify_outcomes_follow_the_documented_rules():
    base = dict(source="spotify", listened_at=1.0, artist="A", title="T")
    assert outcome(Listen(**base, ms_played=5000, reason_end="fwdbtn", skipped=True), None) == "skipped"
    assert outcome(Listen(**base, ms_played=60000, reason_end="trackdone"), None) == "completed"
    assert outcome(Listen(**base, ms_played=5000, reason_end="fwdbtn"), None) == "skipped"
    assert outcome(Listen(**base, ms_played=280000, reason_end="endplay"), 300.0) == "completed"
    assert outcome(Listen(**base, ms_played=90000, reason_end="endplay"), 300.0) == "stopped"
    assert outcome(Listen(**base, ms_played=4000), None) == "skipped"  # the short export, 4 s
    # No length known (a track in neither the export nor the library): 4 minutes is a scrobble.
    assert outcome(Listen(**base, ms_played=305000), None) == "completed"
    assert outcome(Listen(**base, ms_played=90000, reason_end="endplay"), None) == "stopped"
    lb = Listen("listenbrainz", 1.0, "A", "T")
    assert outcome(lb, None) == "completed"  # a scrobble needed half the track or 4 minutes


def test_import_is_idempotent_counts_what_it_leaves_out_and_reports(store, tmp_path):
    bundle = load_bundle()
    sp = _write(tmp_path, "Streaming_History_Audio_2023.json", SPOTIFY)
    report = import_history(store, sp, bundle)
    assert report["listens_read"] == 3 and report["listens_kept"] == 3
    assert report["left_out"] == {"no_artist": 1, "podcast": 1, "audiobook": 1}
    assert report["outcomes"] == {"skipped": 1, "completed": 1, "stopped": 1}
    assert report["catalogue_share"] == 1.0 and report["artists"] == 2
    again = import_history(store, sp, bundle)
    assert again["listens_kept"] == 0 and again["duplicates"] == 3 and again["import_id"] is None
    assert listen_total(store) == 3 and len(list_imports(store)) == 1
    # A later export that overlaps: only the new stream is added.
    later = [*SPOTIFY, {**SPOTIFY[-1], "ts": "2023-11-15T08:00:00Z"}]
    overlap = import_history(store, _write(tmp_path, "later.json", later), bundle)
    assert overlap["listens_kept"] == 1 and overlap["duplicates"] == 3
    assert listen_total(store) == 4


def test_a_cut_off_file_imports_nothing_and_says_why(store, tmp_path, monkeypatch):
    monkeypatch.setattr(history_read, "CHUNK", 64)  # entries span many chunks
    text = json.dumps(SPOTIFY * 50)
    cut = _write(tmp_path, "Streaming_History_Audio_2024.json", text[: len(text) * 2 // 3])
    with pytest.raises(HistoryFormatError, match="cut off .* nothing was imported"):
        import_history(store, cut, load_bundle())
    assert listen_total(store) == 0 and list_imports(store) == []
    whole = import_history(store, _write(tmp_path, "whole.json", text), load_bundle())
    assert whole["listens_read"] == 150 and whole["listens_kept"] == 3  # the same three streams


def test_a_spotify_zip_is_opened_and_other_files_in_it_ignored(store, tmp_path):
    path = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "Spotify Extended Streaming History/Streaming_History_Audio_2023.json", json.dumps(SPOTIFY)
        )
        z.writestr("Spotify Extended Streaming History/Userdata.json", json.dumps({"username": "x"}))
        z.writestr("ReadMeFirst.pdf", b"%PDF-1.4")
    parts = open_history(path)
    assert [p.kind for p in parts] == ["spotify"]
    assert import_history(store, path, load_bundle())["listens_kept"] == 3


def test_cli_imports_lists_and_forgets_and_the_taste_follows(tmp_path, capsys):
    db = str(tmp_path / "encore.db")
    lb = _write(tmp_path, "listens.json", LB_ARRAY)
    lf = _write(tmp_path, "scrobbles.csv", LASTFM_CSV)
    assert main(["--db", db, "import-history", str(lb), str(lf)]) == 0
    out = capsys.readouterr().out
    assert "3 listens read, 3 kept" in out and "2 listens read, 2 kept" in out
    assert main(["--db", db, "recommend", "--n", "20", "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    names = [r["artist"] for r in recs["discoveries"]]
    assert names and not {"Portishead", "Massive Attack", "Radiohead"} & set(names)  # known, not new
    assert recs["in_library"] == []  # nothing of it is in the (empty) library
    assert main(["--db", db, "history", "--json"]) == 0
    imports = json.loads(capsys.readouterr().out)
    assert [i["source"] for i in imports] == ["listenbrainz", "lastfm"]
    assert main(["--db", db, "history", "forget", str(imports[0]["id"])]) == 0
    assert "3 listens removed" in capsys.readouterr().out
    with Store.open(db) as store:
        assert listen_total(store) == 2
    assert main(["--db", db, "history", "forget", "999"]) == 2
    assert main(["--db", db, "import-history", str(_write(tmp_path, "x.json", {"a": 1}))]) == 1
    assert "it reads a ListenBrainz export" in capsys.readouterr().err


def test_listens_of_library_tracks_are_matched_and_counted_apart(copy_corpus_store, tmp_path):
    from player.store.plays import outcome_counts
    from player.store.tracks import find_track, set_missing

    store = copy_corpus_store
    track = find_track(store, "Weight of Revenge")
    set_missing(store, [track["id"]])  # on a drive unplugged: still the song listened to
    entries = [
        {
            "listened_at": 1700000000 + 600 * k,
            "track_metadata": {"artist_name": track["artist"].upper(), "track_name": track["title"]},
        }
        for k in range(37)
    ]
    report = import_history(store, _write(tmp_path, "lb.json", entries), load_bundle())
    assert report["library_share"] == 1.0
    assert elsewhere_counts(store) == {track["id"]: 37}
    assert outcome_counts(store)["total"] == 0  # Encore's own plays are untouched
    # Beside Encore's plays (completions) only completed listens count: a skip on Spotify is no play.
    streams = [
        {
            "ts": f"2023-11-14T2{k}:00:00Z",
            "ms_played": ms,
            "master_metadata_track_name": track["title"],
            "master_metadata_album_artist_name": track["artist"],
            "reason_end": end,
            "skipped": end == "fwdbtn",
        }
        for k, (ms, end) in enumerate([(5000, "fwdbtn"), (200000, "trackdone"), (3000, "fwdbtn")])
    ]
    report = import_history(
        store, _write(tmp_path, "Streaming_History_Audio_2023.json", streams), load_bundle()
    )
    assert report["outcomes"] == {"skipped": 2, "completed": 1}
    assert elsewhere_counts(store) == {track["id"]: 38}


def test_reasons_say_where_the_history_comes_from(tmp_path, capsys):
    db = str(tmp_path / "encore.db")
    streams = [
        {
            "ts": f"2024-0{1 + k % 9}-1{k % 10}T20:00:00Z",
            "ms_played": 250000,
            "master_metadata_track_name": f"Track {k}",
            "master_metadata_album_artist_name": "Portishead",
            "reason_end": "trackdone",
        }
        for k in range(12)
    ]
    assert main(["--db", db, "import-history", str(_write(tmp_path, "s.json", streams))]) == 0
    capsys.readouterr()
    assert main(["--db", db, "recommend", "--n", "5", "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)["discoveries"]
    assert recs[0]["reason"] == "fans of Portishead, which you played 12 times on Spotify"
