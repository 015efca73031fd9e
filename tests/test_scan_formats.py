"""Formats derived from a real track with ffmpeg, tags written with mutagen (non-ASCII, ReplayGain,
mis-encoded), and the ways a file can be bad. A bad file never stops a scan."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest
from mutagen.easyid3 import EasyID3
from mutagen.id3 import ID3, TIT2, TPE1, TXXX, Encoding

from player import tag_formats
from player.library import scan
from player.store import Store
from player.store.errors import list_scan_errors
from player.store.tracks import get_track_by_path, iter_tracks
from player.tag_values import fix_text
from player.tags import guess_from_path

REPO = Path(__file__).resolve().parent.parent

FORMATS = {  # extension: (ffmpeg codec args, mutagen format name)
    "mp3": (["-c:a", "libmp3lame", "-b:a", "128k"], "mp3"),
    "flac": (["-c:a", "flac"], "flac"),
    "opus": (["-c:a", "libopus", "-b:a", "64k"], "oggopus"),
    "m4a": (["-c:a", "aac", "-b:a", "128k"], "mp4"),
    "wav": (["-c:a", "pcm_s16le"], "wave"),
}
NAMES = {"artist": "Björk Guðmundsdóttir", "title": "Jóga – 日本語テスト", "album": "Homogenic ♫"}


@pytest.fixture(scope="module")
def source_track(corpus_dir: Path) -> Path:
    return next((corpus_dir / "hyperrogue-music").rglob("music/*.ogg"))


@pytest.fixture(scope="module")
def derived(source_track: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The first 20 s of a real track in five formats, tagged with non-ASCII text and ReplayGain."""
    folder = tmp_path_factory.mktemp("formats") / "Some Artist" / "Some Album"
    folder.mkdir(parents=True)
    out: dict[str, Path] = {}
    for ext, (codec, _) in FORMATS.items():
        target = folder / f"0{len(out) + 1} - derived {ext}.{ext}"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(source_track),
                "-t",
                "20",
                "-map_metadata",
                "-1",
                *codec,
                str(target),
            ],
            check=True,
        )
        if ext != "wav":
            audio = mutagen.File(target, easy=True)
            if audio.tags is None:
                audio.add_tags()
            for key, value in NAMES.items():
                audio[key] = value
            audio["tracknumber"] = "3/12"
            audio["date"] = "1997-09-22"
            if ext in ("flac", "opus"):  # Vorbis comments carry ReplayGain as plain fields
                audio["replaygain_track_gain"] = "-7.25 dB"
                audio["replaygain_album_gain"] = "-6.50 dB"
            audio.save()
        out[ext] = target
    mp3 = ID3(out["mp3"])
    mp3.add(TXXX(encoding=Encoding.UTF8, desc="REPLAYGAIN_TRACK_GAIN", text=["-7.25 dB"]))
    mp3.save()
    return out


def test_every_format_is_scanned_with_its_tags(derived: dict[str, Path], tmp_path: Path) -> None:
    with Store.open(tmp_path / "encore.db") as store:
        summary = scan(store, [next(iter(derived.values())).parent.parent])  # ".../Some Artist"
        assert (summary.added, summary.errors) == (len(FORMATS), 0)
        for ext, path in derived.items():
            track = get_track_by_path(store, str(path))
            assert track["format"] == FORMATS[ext][1], ext
            assert track["duration"] == pytest.approx(20.0, abs=0.1), ext
            if ext == "wav":  # untagged: the album from its folder, the title from the file name
                assert (track["artist"], track["album"], track["title"]) == (
                    "Unknown artist (Some Album)",
                    "Some Album",
                    "derived wav",
                )
                assert track["track_number"] == 5 and track["tags_from_path"] == 1
                continue
            assert {k: track[k] for k in NAMES} == NAMES, ext
            assert track["track_number"] == 3 and track["year"] == 1997, ext
            if ext in ("mp3", "flac", "opus"):
                assert track["rg_track_gain"] == pytest.approx(-7.25), ext


def test_format_shortcut_picks_what_mutagen_picks(
    derived: dict[str, Path], corpus_files: list[Path], tmp_path: Path
) -> None:
    """``tag_formats.candidates`` narrows mutagen's contest by name and first bytes; on real files of
    every format, mislabelled and damaged ones included, the winner is the full contest's winner."""
    good = next(p for p in corpus_files if "wesnoth" in str(p))
    odd = {
        "mislabelled.mp3": good.read_bytes(),  # Ogg content, MP3 name: the full contest runs
        "ogg-named.flac": derived["flac"].read_bytes(),
        "truncated.ogg": good.read_bytes()[:3000],
        "zeroed.flac": bytes(4096),
    }
    for name, data in odd.items():
        (tmp_path / name).write_bytes(data)
    files = [*derived.values(), *corpus_files[::20], *(tmp_path / name for name in odd)]
    narrowed = 0
    for path in files:
        with open(path, "rb") as fh:
            options = tag_formats.candidates(str(path), fh.read(128))
            fh.seek(0)
            full = _kind(fh, None)
            fh.seek(0)
            short = _kind(fh, options) if options else full
        if options and short == "None":
            short = full  # the caller asks all formats when the likely ones refuse the file
        narrowed += options is not None
        assert short == full, path
    assert narrowed >= 3 + len(corpus_files[::20])  # mp3, flac, opus and the corpus took the shortcut


def _kind(fh, options) -> str:
    try:
        return type(mutagen.File(fh, options=options, easy=True)).__name__
    except Exception as exc:  # a damaged file: the same parser must fail the same way
        return f"error {type(exc).__name__}"


def test_utf8_written_as_latin1_is_repaired(derived: dict[str, Path], tmp_path: Path) -> None:
    """Old taggers stored UTF-8 bytes in frames declared Latin-1; real Latin-1 text stays as it is."""
    bad = tmp_path / "mojibake.mp3"
    shutil.copyfile(derived["mp3"], bad)
    tags = ID3(bad)
    tags.delall("TPE1")
    tags.delall("TIT2")
    tags.add(TPE1(encoding=Encoding.LATIN1, text=["Björk".encode().decode("latin-1")]))
    tags.add(TIT2(encoding=Encoding.LATIN1, text=["Café del Mar"]))
    tags.save()
    assert EasyID3(bad)["artist"] == ["BjÃ¶rk"]  # what a naive reader shows
    with Store.open(tmp_path / "encore.db") as store:
        scan(store, [bad])
        track = get_track_by_path(store, str(bad))
    assert track["artist"] == "Björk"
    assert track["title"] == "Café del Mar"


def _make_bad_library(root: Path, good: Path) -> dict[str, str]:
    """A folder of real and broken files; returns path -> expected error kind."""
    root.mkdir()
    shutil.copyfile(good, root / "good.ogg")
    expected = {}
    (root / "empty.mp3").touch()
    expected["empty.mp3"] = "empty"
    data = good.read_bytes()
    (root / "truncated.ogg").write_bytes(data[:3000])  # headers cut mid-page
    expected["truncated.ogg"] = "corrupt"
    (root / "zeroed.flac").write_bytes(b"\0" * len(data))
    expected["zeroed.flac"] = "corrupt"  # mutagen tries FLAC by its extension and fails
    (root / "notes.mp3").write_text("this is a text file with an audio extension\n" * 50)
    expected["notes.mp3"] = "not-audio"
    # A real Ogg file named .mp3 is mislabelled, not broken: it scans by its content.
    shutil.copyfile(good, root / "mislabelled.mp3")
    # A symlink loop and a dangling link must not hang or crash the walk.
    (root / "loop").mkdir()
    (root / "loop" / "again").symlink_to("..")
    (root / "dangling.ogg").symlink_to(root / "nowhere.ogg")
    # A file name that is not UTF-8.
    os.close(os.open(os.fsencode(root) + b"/bad-\xff-name.ogg", os.O_CREAT | os.O_WRONLY))
    # A path longer than the system allows (PATH_MAX 4096): built relative to a folder fd.
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(18):
            os.mkdir("d" * 240, dir_fd=fd)
            new = os.open("d" * 240, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        os.close(os.open("deep.ogg", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    finally:
        os.close(fd)
    # A long path that is still legal is scanned normally.
    long_dir = root / ("x" * 200) / ("y" * 200)
    long_dir.mkdir(parents=True)
    shutil.copyfile(good, long_dir / ("z" * 200 + ".ogg"))
    return expected


def test_bad_files_are_recorded_and_the_rest_is_scanned(corpus_files: list[Path], tmp_path: Path) -> None:
    good = next(p for p in corpus_files if "wesnoth" in str(p))
    lib = tmp_path / "lib"
    expected = _make_bad_library(lib, good)
    with Store.open(tmp_path / "encore.db") as store:
        summary = scan(store, [lib])
        errors = {Path(e["path"]).name: e for e in list_scan_errors(store)}
        scanned = {Path(t["path"]).name: t for t in iter_tracks(store)}
    assert set(scanned) >= {"good.ogg", "mislabelled.mp3", "z" * 200 + ".ogg"}
    assert scanned["mislabelled.mp3"]["format"] == "oggvorbis"
    for name, kind in expected.items():
        assert errors[name]["kind"] == kind, (name, errors[name])
        assert errors[name]["message"]
    assert any(e["kind"] == "bad-filename" for e in errors.values())
    assert any(e["kind"] == "path-too-long" for e in errors.values())
    assert summary.errors == len(errors)
    assert summary.added == len(scanned) == 3  # the loop did not visit files twice


def test_unreadable_folder_is_recorded(corpus_files: list[Path], tmp_path: Path) -> None:
    """Root reads every folder, so as root the scan runs without the capabilities that bypass
    file permissions (util-linux setpriv), like an ordinary user's process."""
    good = next(p for p in corpus_files if "wesnoth" in str(p))
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"encore-perm-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    (base / "lib" / "open").mkdir(parents=True)
    (base / "lib" / "locked").mkdir()
    shutil.copyfile(good, base / "lib" / "open" / "a.ogg")
    shutil.copyfile(good, base / "lib" / "locked" / "b.ogg")
    os.chmod(base / "lib" / "locked", 0)
    db = base / "encore.db"
    cmd = [sys.executable, str(REPO / "main.py"), "scan", "--db", str(db), str(base / "lib")]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *cmd]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=base)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("1 added, 0 updated, 0 unchanged, 0 missing, 1 errors")
        with Store.open(db) as store:
            (error,) = list_scan_errors(store)
        assert error["kind"] == "unreadable-folder" and error["path"].endswith("locked")
        assert "Permission denied" in error["message"]
        errors_out = subprocess.run(
            [sys.executable, str(REPO / "main.py"), "scan", "--db", str(db), "--errors"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "unreadable-folder" in errors_out and "locked" in errors_out

        # Tracks already known in a folder that turns unreadable are not "vanished": not flagged missing.
        os.chmod(base / "lib" / "locked", 0o700)
        with Store.open(db) as store:
            assert scan(store, [base / "lib"]).added == 1
        os.chmod(base / "lib" / "locked", 0)
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=base)
        assert result.stdout.startswith("0 added, 0 updated, 1 unchanged, 0 missing, 1 errors"), result.stdout
        with Store.open(db) as store:
            assert get_track_by_path(store, str(base / "lib" / "locked" / "b.ogg"))["missing"] == 0
    finally:
        os.chmod(base / "lib" / "locked", 0o700)
        shutil.rmtree(base, ignore_errors=True)


def test_fixed_errors_are_forgotten(corpus_files: list[Path], tmp_path: Path) -> None:
    good = next(p for p in corpus_files if "wesnoth" in str(p))
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "later.ogg").touch()
    with Store.open(tmp_path / "encore.db") as store:
        assert scan(store, [lib]).errors == 1
        shutil.copyfile(good, lib / "later.ogg")
        summary = scan(store, [lib])
        assert (summary.added, summary.errors) == (1, 0)
        assert list_scan_errors(store) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # No folder is taken for the artist ("games", "scummvm" are not people): only "Artist - Title".
        ("/home/u/Music/Artist/Album/03 - Song Name.mp3", ("Unknown Artist", "Album", "Song Name", 3)),
        ("/home/u/Music/Artist/Album/CD2/1-07 Song.flac", ("Unknown Artist", "Album", "Song", 7)),
        ("/home/u/Music/Band - Hit Single.ogg", ("Band", "Unknown Album", "Hit Single", None)),
        ("/home/u/Music/Album Only/track_05.ogg", ("Unknown Artist", "Album Only", "Track 5", 5)),
        ("/home/u/Music/game/1.16/data/core/music/silence.ogg", ("Unknown Artist", "game", "silence", None)),
    ],
)
def test_guess_from_path(path: str, expected: tuple) -> None:
    guess = guess_from_path(path, "/home/u/Music")
    assert (guess["artist"], guess["album"], guess["title"], guess["track_number"]) == expected


def test_fix_text() -> None:
    assert fix_text("BjÃ¶rk\x00 ") == "Björk"
    assert fix_text("Motörhead") == "Motörhead"
    assert fix_text("日本語") == "日本語"
