"""An Ogg Vorbis file's stream info and comments read straight from its pages: mutagen's answer, faster.

Ogg Vorbis is what most free music ships as, and a first scan is tag reading from end to end: mutagen's
``OggVorbis`` builds an object per page and per packet and reads the last 64 KB of every file to find
its length, 0.1 ms a file, the scan's workers' whole cost. This reader takes the plain layout only (one
logical stream; the identification header alone on the first page; the comment header on the pages
that follow it, in sequence; every comment ``KEY=value`` with an ASCII key; the file's last page the
stream's last, with a granule position) and gives what mutagen gives for such a file, three times
faster. Anything else (a chained or multiplexed stream, a damaged page, an odd comment) returns None
and mutagen reads the file as before, so damaged files keep mutagen's diagnosis.
``tests/test_ogg_vorbis.py`` compares the two on every corpus file and on files altered byte by byte.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from typing import BinaryIO

_PAGE = struct.Struct("<4sBBqIIiB")  # capture, version, flags, granule, serial, sequence, crc, segments
_ID_FIELDS = struct.Struct("<BI3i")  # channels, sample rate, maximum, nominal, minimum bitrate
_U32 = struct.Struct("<I")
_CONTINUED, _FIRST, _LAST = 1, 2, 4
#: Bytes read at the start (the headers of a file without a cover) and at the end (its last page).
_HEAD_READ = 16384
_TAIL_READ = 8192
#: What mutagen's ``is_valid_key`` accepts: printable ASCII from space to '}', '=' excluded.
_VALID_KEY = re.compile(r"[ -<>-}]+")
#: What, in a file's first 128 bytes, another Ogg format of mutagen's scores on (Theora, Speex, FLAC, Opus).
_OTHER_OGG_MARKS = re.compile(rb"\x80theora|\x81theora|Speex   |FLAC|fLaC|OpusHead")


@dataclass(frozen=True)
class VorbisFile:
    """What the scan asks of ``mutagen.oggvorbis.OggVorbis``: its info's fields and its comments, grouped
    by lower-cased key as ``player.tag_formats.tag_lookup`` groups them."""

    length: float
    channels: int
    sample_rate: int
    bitrate: int
    tags: dict[str, list[str]]


def is_vorbis_head(head: bytes) -> bool:
    """True where, of mutagen's Ogg formats, only ``OggVorbis`` scores on these first 128 bytes."""
    return head.startswith(b"OggS") and b"\x01vorbis" in head and not _OTHER_OGG_MARKS.search(head)


class _Pages:
    """Ogg pages parsed from a growing buffer of the file's first bytes."""

    def __init__(self, fh: BinaryIO, data: bytes) -> None:
        self.fh = fh
        self.data: bytes | bytearray = data
        self.pos = 0
        self.at_end = False

    def _have(self, end: int) -> bool:
        while len(self.data) < end and not self.at_end:
            more = self.fh.read(max(_HEAD_READ, end - len(self.data)))
            self.at_end = not more
            if isinstance(self.data, bytes):  # grown in place from here: appending to bytes copied all of it
                self.data = bytearray(self.data)  # each time (a 24 MB cover: 2.1 s against mutagen's 0.07 s)
            self.data += more
        return len(self.data) >= end

    def next(self) -> tuple[int, int, int, list[bytes], bool] | None:
        """(flags, serial, sequence, packets, last packet complete) of the next page, or None."""
        start = self.pos
        if not self._have(start + 27):
            return None
        capture, version, flags, _granule, serial, sequence, _crc, segments = _PAGE.unpack_from(
            self.data, start
        )
        if capture != b"OggS" or version != 0 or not self._have(start + 27 + segments):
            return None
        lengths, total = [], 0
        for lacing in self.data[start + 27 : start + 27 + segments]:
            total += lacing
            if lacing < 255:
                lengths.append(total)
                total = 0
        complete = not total
        if total:
            lengths.append(total)
        body = start + 27 + segments
        if not self._have(body + sum(lengths)):
            return None
        packets = []
        for length in lengths:
            packets.append(self.data[body : body + length])
            body += length
        self.pos = body
        return flags, serial, sequence, packets, complete


def _comments(packet: bytes) -> dict[str, list[str]] | None:
    """The comment header's ``KEY=value`` pairs grouped by lower-cased key (None: an odd header)."""
    if not packet.startswith(b"\x03vorbis"):
        return None
    (vendor,) = _U32.unpack_from(packet, 7)
    offset = 11 + vendor
    (count,) = _U32.unpack_from(packet, offset)
    offset += 4
    grouped: dict[str, list[str]] = {}
    for _ in range(count):
        (size,) = _U32.unpack_from(packet, offset)
        offset += 4
        if offset + size > len(packet):
            return None
        key, sep, value = packet[offset : offset + size].decode("utf-8", "replace").partition("=")
        offset += size
        if not sep or not key.isascii():
            return (
                None  # mutagen names such a comment "unknown<i>" or re-encodes its key: leave it to mutagen
            )
        if _VALID_KEY.fullmatch(key):
            grouped.setdefault(key.lower(), []).append(value)
    if offset >= len(packet) or not packet[offset] & 1:  # the framing bit
        return None
    return grouped


def _last_granule(fh: BinaryIO, serial: int) -> int | None:
    """The granule position of the file's last page, where that page ends the stream ``serial``.

    mutagen looks for the last ``OggS`` in the file's last 64 KB; a last page (at most 64 KB) starts
    within the last 8 KB almost always, and then it is the same one."""
    end = fh.seek(0, os.SEEK_END)
    fh.seek(max(0, end - _TAIL_READ))
    tail = fh.read(_TAIL_READ)
    start = tail.rfind(b"OggS")
    if start < 0 or len(tail) < start + 27:
        return None
    _capture, version, flags, granule, page_serial, _seq, _crc, segments = _PAGE.unpack_from(tail, start)
    lacing = tail[start + 27 : start + 27 + segments]
    if version != 0 or len(lacing) != segments or start + 27 + segments + sum(lacing) > len(tail):
        return None
    if page_serial != serial or not flags & _LAST or granule == -1:
        return None
    return granule


def _bitrate(maximum: int, nominal: int, minimum: int) -> int:
    """mutagen's choice among the three bitrates of the identification header."""
    maximum, nominal, minimum = max(0, maximum), max(0, nominal), max(0, minimum)
    if nominal == 0:
        return (maximum + minimum) // 2
    if maximum and maximum < nominal:
        return maximum
    if minimum > nominal:
        return minimum
    return nominal


def read_vorbis(fh: BinaryIO, head: bytes) -> VorbisFile | None:
    """Read the open file, whose first bytes ``head`` were just read from it; None where its layout is not
    the plain one (ask mutagen).

    Raises OSError only (a read that fails)."""
    pages = _Pages(fh, head + fh.read(_HEAD_READ - len(head)))
    try:
        first = pages.next()
        if first is None:
            return None
        flags, serial, sequence, packets, complete = first
        if not flags & _FIRST or len(packets) != 1 or not complete:
            return None
        ident = packets[0]
        if not ident.startswith(b"\x01vorbis") or len(ident) < 28:
            return None
        channels, sample_rate, maximum, nominal, minimum = _ID_FIELDS.unpack_from(ident, 11)
        if sample_rate == 0:
            return None
        parts: list[bytes] = []
        while True:
            page = pages.next()
            sequence += 1
            if page is None:
                return None
            flags, page_serial, page_sequence, packets, complete = page
            continued = bool(flags & _CONTINUED)
            if page_serial != serial or page_sequence != sequence or continued != bool(parts) or not packets:
                return None
            parts.append(packets[0])
            if complete or len(packets) > 1:
                break
        tags = _comments(b"".join(parts))
    except struct.error:
        return None
    if tags is None:
        return None
    granule = _last_granule(fh, serial)
    if granule is None:
        return None
    return VorbisFile(
        length=granule / float(sample_rate),
        channels=channels,
        sample_rate=sample_rate,
        bitrate=_bitrate(maximum, nominal, minimum),
        tags=tags,
    )
