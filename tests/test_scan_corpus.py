"""Scanning the real corpus: every track found, durations and tags as an independent reader sees them,
and incremental rescans (unchanged, changed, vanished, returned, moved)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from player.library import scan
from player.store import Store
from player.store.tracks import count_tracks, find_track, get_track_by_path, iter_tracks

REPO = Path(__file__).resolve().parent.parent


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "quiet", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def probe_tags(info: dict) -> dict[str, str]:
    tags: dict[str, str] = {}
    for source in [info.get("format", {}), *info.get("streams", [])]:
        for key, value in source.get("tags", {}).items():
            tags.setdefault(key.lower(), value)
    return tags


def test_corpus_scan_finds_every_track(corpus_store: Store, corpus_files: list[Path]) -> None:
    assert len(corpus_files) >= 170  # the four packages hold ~180 Ogg files
    paths = {t["path"] for t in iter_tracks(corpus_store)}
    assert paths == {str(p) for p in corpus_files}
    assert count_tracks(corpus_store) == len(corpus_files)


def test_durations_and_tags_agree_with_ffprobe(corpus_store: Store, corpus_files: list[Path]) -> None:
    # Every tagged wesnoth and muldjord file, plus a spread of the others.
    sample = [p for p in corpus_files if "wesnoth" in str(p) or "muldjord" in str(p)]
    sample += corpus_files[::15]
    checked_tags = 0
    for path in sample:
        track = get_track_by_path(corpus_store, str(path))
        assert track is not None, path
        info = ffprobe(path)
        assert track["duration"] == pytest.approx(float(info["format"]["duration"]), abs=0.05), path
        assert track["sample_rate"] == int(info["streams"][0]["sample_rate"])
        assert track["channels"] == int(info["streams"][0]["channels"])
        assert track["format"] == "oggvorbis"
        tags = probe_tags(info)
        if "title" in tags and "artist" in tags:
            assert track["title"] == tags["title"].strip()
            assert track["artist"] == tags["artist"].strip()
            assert not track["tags_from_path"]
            if "album" in tags:
                assert track["album"] == tags["album"].strip()
            if "genre" in tags:
                assert track["genre"] == tags["genre"].strip()
            if "album_artist" in tags:
                assert track["album_artist"] == tags["album_artist"].strip()
            if tags.get("track", "").isdigit() and int(tags["track"]) > 0:  # "0" means none
                assert track["track_number"] == int(tags["track"])
            checked_tags += 1
    assert checked_tags >= 45  # 41 wesnoth + 8 muldjord files are fully tagged


def test_known_tracks_have_their_real_metadata(corpus_store: Store) -> None:
    chaos = find_track(corpus_store, "Muldjord - Chaos God")
    assert chaos is not None
    assert chaos["genre"] == "Death Metal" and chaos["year"] == 2007
    wesnoth = [t for t in iter_tracks(corpus_store) if t["album"] == "The Battle for Wesnoth OST"]
    assert len(wesnoth) == 39  # two of the 41 files (return_to_wesnoth, silence) carry no album tag
    assert sum(t["album_artist"] == "Wesnoth Project" for t in wesnoth) >= 37


def test_untagged_files_get_names_from_folders(corpus_store: Store) -> None:
    drascula = [t for t in iter_tracks(corpus_store) if "/drascula-music/" in t["path"]]
    assert len(drascula) >= 30
    for track in drascula:
        assert track["tags_from_path"] == 1
        assert track["album"] == "drascula"  # "audio" is a generic folder name and is skipped
        number = int(Path(track["path"]).stem.removeprefix("track"))
        assert (track["title"], track["track_number"]) == (f"Track {number}", number)  # "track19": cleaned
        assert track["artist"] == "Unknown artist (drascula)"  # not "scummvm", the packaging folder


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=os.link)


def test_rescan_is_incremental(corpus_dir: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    _copy_tree(corpus_dir / "wesnoth-1.16-music", lib / "wesnoth")
    _copy_tree(corpus_dir / "fretsonfire-songs-muldjord", lib / "muldjord")
    with Store.open(tmp_path / "encore.db") as store:
        first = scan(store, [lib])
        assert first.added == 49 and first.errors == 0
        again = scan(store, [lib])
        assert (again.added, again.updated, again.unchanged, again.missing) == (0, 0, 49, 0)

        files = sorted((lib / "wesnoth").rglob("*.ogg"))
        # Changed file: new mtime -> read again, same id.
        changed = files[0]
        old = get_track_by_path(store, str(changed))
        data = changed.read_bytes()
        changed.unlink()  # a hard link into the corpus: rewrite a private copy, never touch the corpus
        changed.write_bytes(data)
        os.utime(changed, (old["mtime"] + 100, old["mtime"] + 100))
        summary = scan(store, [lib])
        assert (summary.updated, summary.unchanged) == (1, 48)
        assert get_track_by_path(store, str(changed))["id"] == old["id"]

        # Vanished file: flagged missing, never deleted; coming back clears the flag.
        gone = files[1]
        gone_id = get_track_by_path(store, str(gone))["id"]
        store.conn.execute(
            "INSERT INTO plays (track_id, session_id, started_at, updated_at) VALUES (?, 's', 1, 1)",
            (gone_id,),
        )
        hidden = tmp_path / "hidden.ogg"
        gone.rename(hidden)
        summary = scan(store, [lib])
        assert summary.missing == 1
        row = get_track_by_path(store, str(gone))
        assert row is not None and row["missing"] == 1
        assert count_tracks(store) == 48 and count_tracks(store, include_missing=True) == 49
        hidden.rename(gone)
        summary = scan(store, [lib])
        assert summary.returned == 1 and summary.added == 0
        assert get_track_by_path(store, str(gone))["missing"] == 0

        # Moved/renamed file: same id, so its plays stay attached.
        moved = lib / "renamed.ogg"
        gone.rename(moved)
        summary = scan(store, [lib])
        assert (summary.moved, summary.added, summary.missing) == (1, 0, 0)
        assert get_track_by_path(store, str(moved))["id"] == gone_id
        plays = store.conn.execute("SELECT COUNT(*) FROM plays WHERE track_id = ?", (gone_id,)).fetchone()[0]
        assert plays == 1

        # A whole folder gone (an unmounted drive): its tracks are kept, flagged missing.
        shutil.rmtree(lib / "muldjord")
        summary = scan(store, [lib])
        assert summary.missing == 8
        assert count_tracks(store, include_missing=True) == 49


def test_a_renamed_untagged_file_keeps_its_id_and_takes_its_new_name(
    corpus_dir: Path, tmp_path: Path
) -> None:
    """A walk renamed track30.ogg while the app ran: the move was found, but the title stayed "Track 30",
    a name from a file name that no longer exists. A track named by its file is read again when it moves
    (same id, so its plays stay); a tagged one keeps its tags unread."""
    lib = tmp_path / "lib"
    lib.mkdir()
    audio = corpus_dir / "drascula-music" / "scummvm" / "drascula" / "audio"
    for name in ("track3.ogg", "track6.ogg"):
        shutil.copy2(audio / name, lib / name)
    with Store.open(tmp_path / "db.sqlite") as store:
        scan(store, [lib])
        old = get_track_by_path(store, str(lib / "track6.ogg"))
        assert old["tags_from_path"] == 1 and old["title"] == "Track 6"
        (lib / "track6.ogg").rename(lib / "Harbour at night.ogg")
        summary = scan(store, [lib])
        assert (summary.moved, summary.added, summary.missing) == (1, 0, 0)
        assert (summary.updated, summary.unchanged) == (0, 1)  # the moved one counted once
        new = get_track_by_path(store, str(lib / "Harbour at night.ogg"))
        assert new["id"] == old["id"] and new["title"] == "Harbour at night"
        assert count_tracks(store, include_missing=True) == 2


def test_scan_cli_prints_summary_and_json(corpus_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    target = corpus_dir / "fretsonfire-songs-muldjord"
    cmd = [sys.executable, str(REPO / "main.py"), "scan", "--db", str(db), str(target)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert out.startswith("8 added, 0 updated, 0 unchanged, 0 missing, 0 errors")
    out = subprocess.run([*cmd, "--json"], check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    data = json.loads(out)
    assert data["unchanged"] == 8 and data["added"] == 0
    # --db also works before the subcommand.
    other = tmp_path / "other.db"
    before = [sys.executable, str(REPO / "main.py"), "--db", str(other), "scan", str(target)]
    out = subprocess.run(before, check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert out.startswith("8 added")
    # A folder that is not there (a typo): said, a failure, and nothing scanned or recorded (a walk got
    # "0 added ... 1 errors", exit 0, and the path listed under `scan --errors` for good).
    typo = [
        sys.executable,
        str(REPO / "main.py"),
        "scan",
        "--db",
        str(db),
        str(tmp_path / "Musci"),
        str(target),
    ]
    proc = subprocess.run(typo, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0 and proc.stdout == ""
    assert (
        proc.stderr.strip() == f"encore: no such file or folder: {tmp_path / 'Musci'} (nothing was scanned)"
    )
    errors = [sys.executable, str(REPO / "main.py"), "scan", "--db", str(db), "--errors"]
    assert (
        subprocess.run(errors, check=True, capture_output=True, text=True).stdout.strip() == "no scan errors"
    )


def test_encore_home_sets_the_default_database(corpus_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "ENCORE_HOME": str(tmp_path / "home")}
    target = corpus_dir / "fretsonfire-songs-muldjord"
    subprocess.run(
        [sys.executable, str(REPO / "main.py"), "scan", str(target)], check=True, env=env, capture_output=True
    )
    with Store.open(tmp_path / "home" / "encore.db") as store:
        assert count_tracks(store) == 8


def test_parallel_readers_store_what_one_process_stores(corpus_files: list[Path], tmp_path: Path) -> None:
    """Past 400 files the tags are read in worker processes: forked from a command line's single thread,
    started by a forkserver when the scan runs in a thread (the app's way). Both store, row for row,
    what reading in the scanning process stores."""
    import threading

    lib = tmp_path / "lib"
    for copy in range(3):  # 543 files, hard links
        folder = lib / f"copy {copy}"
        folder.mkdir(parents=True)
        for j, src in enumerate(corpus_files):
            os.link(src, folder / f"{j:03d} - {src.name}")
    scanned: dict[str, list[dict]] = {}

    def run(label: str, workers: int) -> None:
        with Store.open(tmp_path / f"{label}.db") as store:
            summary = scan(store, [lib], workers=workers)
            assert (summary.added, summary.errors) == (3 * len(corpus_files), 0), label
            # ids follow the order chunks come back in, which differs between ways of reading
            rows = [
                {k: v for k, v in t.items() if k not in ("id", "added_at", "updated_at")}
                for t in iter_tracks(store)
            ]
            scanned[label] = sorted(rows, key=lambda row: row["path"])

    run("one process", 1)
    run("forked", 2)
    thread = threading.Thread(target=run, args=("forkserver", 2))
    thread.start()
    thread.join()
    assert len(scanned) == 3
    assert scanned["forked"] == scanned["one process"]
    assert scanned["forkserver"] == scanned["one process"]


def test_a_first_scan_gives_no_total_until_its_walk_has_found_every_file(
    corpus_dir: Path, corpus_files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first scan reads files while it walks. Its progress used to count the files found so far as the
    total, so a walk's 120,000-file folder showed "45450 of 47616 files, 95%" with most of it unwalked.
    Until the walk is over the total is 0 (not known: the app shows a busy bar and "N files so far"),
    then it is the real count."""
    import player.library

    # The walk runs ahead of the reading by these many files at first (2,000 and 400): the corpus is
    # smaller, so the stream starts sooner here.
    monkeypatch.setattr(player.library, "_DEFER_INDEXES_FROM", 10)
    monkeypatch.setattr(player.library, "_PARALLEL_THRESHOLD", 10)
    reports: list[tuple[int, int]] = []
    with Store.open(tmp_path / "first.db") as store:
        scan(store, [corpus_dir], progress=lambda done, total: reports.append((done, total)), workers=1)
    n = len(corpus_files)
    assert reports[-1] == (n, n)
    assert all(total in (0, n) for _, total in reports), reports
    assert any(done > 0 and total == 0 for done, total in reports), reports  # read while still walking
