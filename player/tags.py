"""Reading one audio file's tags and stream info with mutagen, into a plain ``tracks`` row.

Runs in scanner worker processes, so it takes a path and returns plain values. Every way a file can
be bad becomes a ``TagReadError`` with a kind and a message a user understands; nothing else escapes.
"""

from __future__ import annotations

import os
import re
import stat as stat_module
import struct
import time
import types
import zlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import mutagen
import mutagen.id3._frames as _id3_frames
from mutagen.easyid3 import EasyID3
from mutagen.easymp4 import EasyMP4Tags

from player import ogg_vorbis
from player import tag_formats as formats
from player.naming import PLACEHOLDER_ARTIST, file_title, untagged_artist
from player.tag_values import tag_columns
from player.text import cap_tag

AUDIO_EXTENSIONS = frozenset(
    {
        ".mp3",
        ".ogg",
        ".oga",
        ".opus",
        ".flac",
        ".m4a",
        ".m4b",
        ".mp4",
        ".aac",
        ".wav",
        ".wv",
        ".ape",
        ".mpc",
        ".aif",
        ".aiff",
        ".wma",
        ".spx",
    }
)

# ReplayGain in ID3 and MP4 lives in user-defined frames; expose them under our own names.
for _name in ("track_gain", "track_peak", "album_gain", "album_peak"):
    EasyID3.RegisterTXXXKey(f"encore_rg_{_name}", f"REPLAYGAIN_{_name.upper()}")
    EasyMP4Tags.RegisterFreeformKey(f"encore_rg_{_name}", f"replaygain_{_name}")
    EasyMP4Tags.RegisterFreeformKey(f"encore_rg_{_name}_upper", f"REPLAYGAIN_{_name.upper()}")


#: A compressed ID3 frame may expand to at most this many bytes (a 4 MB "zip bomb" frame expands to 1 GB).
MAX_FRAME_BYTES = 16 * 1024 * 1024
#: Largest ID3v2 tag read (covers included); a bigger one is refused rather than loaded into memory.
MAX_ID3_BYTES = 64 * 1024 * 1024


def _bounded_decompress(data: bytes, *_args: object) -> bytes:
    """``zlib.decompress`` that refuses to produce more than ``MAX_FRAME_BYTES``."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, MAX_FRAME_BYTES)
    if inflater.unconsumed_tail:
        raise zlib.error(f"compressed frame expands beyond {MAX_FRAME_BYTES // 2**20} MB")
    return out


# mutagen inflates compressed ID3 frames with an unbounded ``zlib.decompress``; give its frame reader a
# zlib whose decompress is bounded (an oversized frame becomes a junk frame, which mutagen drops).
if hasattr(_id3_frames, "zlib"):
    _id3_frames.zlib = types.SimpleNamespace(decompress=_bounded_decompress, error=zlib.error)


class TagReadError(Exception):
    """A file that cannot be scanned; ``kind`` is a short machine-readable category."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class FileStat:
    path: str
    size: int
    mtime: float


# Folder names that say nothing about artist or album ("Music/Artist/Album/CD1/01.mp3", "game/1.16/").
_GENERIC_DIRS = re.compile(
    r"^(audio|music|musik|musique|sounds?|songs?|tracks?|data|files|media|ogg|mp3|flac|opus|core|"
    r"(cd|disc|disk)\s*\d+|v?\d+(\.\d+)+)$",
    re.IGNORECASE,
)
_TRACK_PREFIX = re.compile(r"^\s*(?:(\d{1,2})[-.](\d{1,3})|(\d{1,3}))\s*(?:[-._)]\s*|\s+)")


def _id3_size(head: bytes) -> int:
    """The size of the ID3v2 tag at the start of a file, from its first bytes (0 if none)."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    b = struct.unpack(">4B", head[6:10])
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]


def guess_from_path(path: str, root: str | None = None) -> dict[str, Any]:
    """Artist, album, title and track number for an untagged file, from its folder and file names.

    The album is the nearest folder that is not a generic name (``Music``, ``CD1``, ``1.16``); the
    artist only ever comes from an ``Artist - Title.ext`` file name, never from a folder (folders of
    packaged music are "games", "usr", "scummvm": see ``player.naming``); the title is the file name
    cleaned (``player.naming.file_title``: "track19" -> "Track 19").
    """
    pure = PurePath(path)
    stem = pure.stem.replace("_", " ").strip()
    number = None
    match = _TRACK_PREFIX.match(stem)
    if match and match.end() < len(stem):
        number = int(match.group(2) or match.group(3))
        stem = stem[match.end() :].strip()
    artist = album = None
    if " - " in stem:
        artist, stem = (part.strip() for part in stem.split(" - ", 1))
    stem = file_title(stem)  # "track19" -> "Track 19"
    if number is None and stem.startswith("Track ") and stem[6:].isdigit():
        number = int(stem[6:])
    # Folders below the scanned root, and the root itself (the folder the user picked names
    # something), but nothing above it: "/home/me" says nothing about the music.
    first = len(PurePath(root).parts) - 1 if root else 1
    parents = [p for p in pure.parent.parts[max(first, 1) :] if p != "/" and not _GENERIC_DIRS.match(p)]
    if parents:
        album = parents[-1]  # the folder names the album; no folder is taken for the artist (naming)
    return {
        "artist": artist or "Unknown Artist",
        "album": album or "Unknown Album",
        "title": stem or pure.name,
        "track_number": number,
    }


def _diagnose(path: str, exc: Exception | None) -> TagReadError:
    """Say why a file is not readable audio in words a user can act on."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as err:
        return TagReadError("unreadable", err.strerror or str(err))
    if head and not head.strip(b"\0"):
        return TagReadError("corrupt", "the file contains only zero bytes (damaged or never written)")
    if head and b"\0" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return TagReadError("not-audio", "this is a text file, not audio (wrong extension?)")
    if exc is None:
        return TagReadError("not-audio", "not a recognised audio file (content matches no audio format)")
    detail = str(exc) if isinstance(exc, mutagen.MutagenError) else f"{type(exc).__name__}: {exc}"
    if not detail.strip():
        detail = f"{type(exc).__name__} (mutagen gave no reason)"
    detail = cap_tag(detail, 300)
    return TagReadError("corrupt", f"damaged audio file: {detail.replace(repr(path), 'file')}")


def read_track(stat: FileStat, root: str | None = None) -> dict[str, Any]:
    """The ``tracks`` row for one file (without ids and timestamps), or raise ``TagReadError``."""
    path = stat.path
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise TagReadError("unreadable", exc.strerror or str(exc)) from None
    if not stat_module.S_ISREG(mode):
        raise TagReadError("not-a-file", f"this is {_file_kind(mode)}, not a regular file")
    if stat.size == 0:
        raise TagReadError("empty", "the file is empty (0 bytes)")
    try:
        # One open for the ID3 size check, the format guess and mutagen's parse (it was three).
        with open(path, "rb") as fh:
            try:
                head = fh.read(128)
            except OSError:
                head = b""
            id3 = _id3_size(head)
            if id3 > MAX_ID3_BYTES:
                raise TagReadError(
                    "oversized-tag",
                    f"its ID3 tag is {id3 / 2**20:.0f} MB, more than the {MAX_ID3_BYTES // 2**20} MB "
                    "Encore reads (a damaged or crafted file); re-tag it to scan it",
                )
            options = formats.candidates(path, head)
            # The plain Ogg Vorbis file, most of a free collection, is read without mutagen's objects.
            vorbis = (
                ogg_vorbis.read_vorbis(fh, head)
                if options is formats.OGG and ogg_vorbis.is_vorbis_head(head)
                else None
            )
            if vorbis is None:
                fh.seek(0)
                audio = mutagen.File(fh, options=options, easy=True)
                if audio is None and options is not None:  # the likely formats refused it: ask them all
                    fh.seek(0)
                    audio = mutagen.File(fh, easy=True)
    except TagReadError:
        raise
    except PermissionError:
        raise TagReadError("unreadable", "permission denied") from None
    except OSError as exc:
        raise TagReadError("unreadable", exc.strerror or str(exc)) from None
    except Exception as exc:  # MutagenError, and assorted errors on hostile files
        raise _diagnose(path, exc) from None
    if vorbis is not None:
        info: Any = vorbis
        tags: Any = vorbis.tags
        format_name = "oggvorbis"
    elif audio is None:
        raise _diagnose(path, None)
    else:
        info = audio.info
        tags = formats.tag_lookup(audio.tags)
        format_name = type(audio).__name__.removeprefix("Easy").lower()
    length = float(getattr(info, "length", 0) or 0)
    if not length > 0:
        raise TagReadError("no-audio", "the file has no playable audio (duration is 0)")

    row = tag_columns(tags, path)
    row["duration"] = length
    row["format"] = format_name
    row["bitrate"] = int(getattr(info, "bitrate", 0) or 0) or None
    row["sample_rate"] = int(getattr(info, "sample_rate", 0) or 0) or None
    row["channels"] = int(getattr(info, "channels", 0) or 0) or None
    row["tags_from_path"] = int(not (row["artist"] and row["title"]))
    missing = [key for key in ("artist", "album", "title", "track_number") if not row[key]]
    if not missing and row["artist"] != PLACEHOLDER_ARTIST:
        return row  # fully tagged: the path says nothing more (and guessing from it costs 60 µs)
    guessed = guess_from_path(path, root)
    for key in missing:
        row[key] = guessed[key] if key != "artist" else (row["album_artist"] or guessed[key])
    if row["artist"] == PLACEHOLDER_ARTIST:
        # No tag and no file name names an artist: group by album folder, not into one "Unknown Artist".
        row["artist"] = untagged_artist(
            path, guessed["album"] if guessed["album"] != "Unknown Album" else None
        )
    return row


def _file_kind(mode: int) -> str:
    if stat_module.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat_module.S_ISSOCK(mode):
        return "a socket"
    if stat_module.S_ISCHR(mode) or stat_module.S_ISBLK(mode):
        return "a device"
    if stat_module.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def read_many(
    batch: list[tuple[FileStat, str | None]],
) -> list[tuple[FileStat, dict[str, Any] | None, tuple[str, str] | None]]:
    """Read a batch of files (the unit of work sent to a worker process)."""
    out: list[tuple[FileStat, dict[str, Any] | None, tuple[str, str] | None]] = []
    for stat, root in batch:
        try:
            out.append((stat, read_track(stat, root), None))
        except TagReadError as exc:
            out.append((stat, None, (exc.kind, exc.message)))
        except Exception as exc:  # a tag mutagen parsed but we could not use: never stop the scan
            out.append((stat, None, ("corrupt", f"unreadable tags: {type(exc).__name__}: {exc}")))
    return out


def read_many_timed(
    batch: list[tuple[FileStat, str | None]],
) -> tuple[list[tuple[FileStat, dict[str, Any] | None, tuple[str, str] | None]], float]:
    """``read_many`` plus the CPU seconds it took in this (worker) process, for the scan's accounting."""
    t = time.process_time()
    out = read_many(batch)
    return out, time.process_time() - t


def is_audio_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS
