"""Shortcuts in how the scan asks mutagen for a file's format and tags, each giving mutagen's own answer.

``mutagen.File`` scores every one of its 24 formats on each file (one of them seeks to the end of the
file and reads its last bytes) before parsing it: a third of its time on an Ogg file. Where the name and
the first bytes already settle the contest, ``candidates`` names the few formats that can win it, so
``mutagen.File(..., options=...)`` picks the same format as the full contest would:

- ``.mp3`` starting with an ID3 tag or an MPEG sync word: ``MP3`` scores at least 3; no other format
  can score more than 2 on such a file.
- ``.flac`` starting with ``fLaC``: ``FLAC`` scores 4; no other format more than 2.
- an Ogg name starting with ``OggS``, without the bytes ``ftyp``/``mp4`` in the first 128 (which MP4 would
  score 2 on): no format outside the Ogg family scores more than 1, and at equal scores mutagen keeps
  the format whose class name sorts last, which is an ``Ogg…`` one. Among the Ogg formats the contest
  is run as usual; if none of them takes the file, the caller asks all formats (``None`` from here also
  means "ask all").

The scores are those of mutagen's ``score`` methods (mutagen 1.47); tests/test_scan_formats.py checks
on real files of each format that both ways give the same type.
"""

from __future__ import annotations

import os
from typing import Any

from mutagen._vorbis import VCommentDict
from mutagen.flac import FLAC
from mutagen.mp3 import EasyMP3
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggtheora import OggTheora
from mutagen.oggvorbis import OggVorbis

_OGG_NAMES = frozenset({".ogg", ".oga", ".opus", ".spx"})
OGG = [OggTheora, OggSpeex, OggVorbis, OggFLAC, OggOpus]
_MP3_STARTS = (b"ID3", b"\xff\xf2", b"\xff\xf3", b"\xff\xfa", b"\xff\xfb")


def candidates(path: str, head: bytes) -> list[Any] | None:
    """The mutagen formats (easy variants) that can win on a file with this name and first 128 bytes,
    or None where the whole contest must run."""
    ext = os.path.splitext(path)[1].lower()
    if ext in _OGG_NAMES:
        if head.startswith(b"OggS") and b"ftyp" not in head and b"mp4" not in head:
            return OGG
    elif ext == ".flac":
        if head.startswith(b"fLaC"):
            return [FLAC]
    elif ext == ".mp3" and head.startswith(_MP3_STARTS):
        return [EasyMP3]
    return None


def tag_lookup(tags: Any) -> Any:
    """Something with ``.get(key)`` giving a tag's list of values, as ``tags.get`` does.

    Vorbis comments (Ogg, FLAC) are a list of (key, value) pairs that mutagen searches from the start,
    lower-casing every key, on each ``get``: for the 26 keys the scan asks for, that was a quarter of a
    file's reading time. One pass makes the dict of lists that those ``get`` calls would have returned.
    """
    if isinstance(tags, VCommentDict):
        grouped: dict[str, list[str]] = {}
        for key, value in tags:
            grouped.setdefault(key.lower(), []).append(value)
        return grouped
    return tags or {}
