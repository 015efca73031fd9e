"""Hostile files and faults, each crafted from a real corpus track (mutagen, struct, ffmpeg).

``hostile_lib`` is built once per session: a folder of good tracks with the bad files beside them, so
every test can check both that the bad file gets a clear answer and that the good ones are intact.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

ESCAPE_TITLE = "Evil\x1b]0;pwned\x07\x1b[2J\rline\nbreak"
NFD_ARTIST = unicodedata.normalize("NFD", "Björk")
NFD_TITLE = unicodedata.normalize("NFD", "Jóga")


@dataclass
class HostileLibrary:
    root: Path
    good: list[Path] = field(default_factory=list)
    bad: dict[str, Path] = field(default_factory=dict)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _id3_frame(frame_id: bytes, payload: bytes, flags: int = 0) -> bytes:
    """An ID3v2.4 frame (syncsafe size)."""
    n = len(payload)
    size = bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))
    return frame_id + size + struct.pack(">H", flags) + payload


def _id3_tag(frames: bytes) -> bytes:
    n = len(frames)
    size = bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))
    return b"ID3\x04\x00\x00" + size + frames


def _with_id3(mp3: Path, out: Path, tag: bytes) -> Path:
    out.write_bytes(tag + mp3.read_bytes())
    return out


def _zlib_bomb_frame(expanded: int) -> bytes:
    """A TIT2 frame whose zlib payload expands to ``expanded`` bytes of text (v2.4: compressed +
    data-length indicator flags)."""
    text = b"\x03" + b"A" * expanded  # encoding byte 3 = UTF-8
    n = len(text)
    dli = bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))
    return _id3_frame(b"TIT2", dli + zlib.compress(text, 9), flags=0x0008 | 0x0001)


def _ogg_copy(src: Path, out: Path, **tags: str) -> Path:
    import mutagen

    shutil.copyfile(src, out)
    audio = mutagen.File(out)
    for key, value in tags.items():
        audio[key] = value
    audio.save()
    return out


@pytest.fixture(scope="session")
def hostile_lib(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> HostileLibrary:
    root = tmp_path_factory.mktemp("hostile") / "music"
    root.mkdir()
    music = corpus_dir / "wesnoth-1.16-music" / "games" / "wesnoth" / "1.16" / "data" / "core" / "music"
    sources = sorted(music.glob("*.ogg"))[:6]
    lib = HostileLibrary(root)
    for src in sources[:4]:
        lib.good.append(Path(shutil.copy(src, root / src.name)))

    work = root.parent / "work"
    work.mkdir()
    mp3 = work / "clip.mp3"
    _ffmpeg(
        "-t", "4", "-i", str(sources[4]), "-map_metadata", "-1", "-c:a", "libmp3lame", "-b:a", "64k", str(mp3)
    )

    # 1. a zlib-compressed title expanding to 64 MB (the reported file expanded to 1 GB)
    bomb = _id3_tag(_zlib_bomb_frame(64 * 2**20) + _id3_frame(b"TPE1", b"\x03Bomber"))
    lib.bad["zlib_bomb"] = _with_id3(mp3, root / "bomb.mp3", bomb)
    # 1. a plain 3 MB title of two-byte characters: stored capped at 4 KiB, cut at a character boundary
    long_title = b"\x03" + ("é" * (1_500_000)).encode("utf-8")
    lib.bad["long_title"] = _with_id3(
        mp3,
        root / "long.mp3",
        _id3_tag(_id3_frame(b"TIT2", long_title) + _id3_frame(b"TPE1", b"\x03Longman")),
    )
    # 1/14. an ID3 header claiming a 200 MB tag (sparse: costs no disk)
    huge = root / "huge_tag.mp3"
    n = 200 * 2**20
    with open(huge, "wb") as fh:
        fh.write(b"ID3\x04\x00\x00" + bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F)))
        fh.truncate(n + 10)
        fh.seek(n + 10)
        fh.write(mp3.read_bytes())
    lib.bad["huge_tag"] = huge
    # 14. the same in an ID3v2.3 header (its error once read just "damaged audio file: ")
    huge23 = root / "huge_tag_v23.mp3"
    with open(huge23, "wb") as fh:
        fh.write(b"ID3\x03\x00\x00" + bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F)))
        fh.truncate(n + 10)
        fh.seek(n + 10)
        fh.write(mp3.read_bytes())
    lib.bad["huge_tag_v23"] = huge23
    # 14. a FIFO with an audio name
    fifo = root / "pipe.mp3"
    os.mkfifo(fifo)
    lib.bad["fifo"] = fifo
    # 12. a title that would clear the screen and retitle the terminal
    lib.bad["escape"] = _ogg_copy(sources[5], root / "escape.ogg", title=ESCAPE_TITLE, artist="Mallory")
    # 8. tags in NFD (as macOS writes them)
    lib.bad["nfd"] = _ogg_copy(sources[4], root / "nfd.ogg", title=NFD_TITLE, artist=NFD_ARTIST)
    # 14. ReplayGain of 1e309 dB (infinity), and a title with LIKE wildcards
    lib.bad["gain"] = _ogg_copy(
        sources[3],
        root / "gain.ogg",
        title="100% Pure_Wild",
        artist="Gainer",
        replaygain_track_gain="1e309 dB",
    )
    shutil.rmtree(work)
    return lib


@pytest.fixture(scope="session")
def hostile_db(hostile_lib: HostileLibrary, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile library scanned once (read-only for tests: copy it to write)."""
    from player.library import scan
    from player.store import Store

    path = tmp_path_factory.mktemp("hostile-db") / "encore.db"
    with Store.open(path) as store:
        scan(store, [hostile_lib.root], workers=1)
        store.checkpoint()
    return path


@pytest.fixture
def hostile_copy(hostile_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "encore.db"
    shutil.copyfile(hostile_db, target)
    return target
