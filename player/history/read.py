"""Reading history exports: the format from the content, entries streamed one at a time, zips opened.

Why streamed: a Spotify extended history is a zip of JSON arrays that can reach hundreds of MB; the
array is decoded element by element from a bounded buffer (``json.JSONDecoder.raw_decode``), so memory
stays flat whatever the size. A file cut off in the middle is an error that names the file (the
importer then keeps nothing of it). A file in none of the formats gets one sentence naming those it
accepts (``ACCEPTED``).

API: ``open_history(path) -> list[Part]`` (a zip gives one part per member in a known format);
``Part.entries()`` yields ``(Listen | Skip)``; ``Part.size`` and ``Part.consumed`` for progress.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from player.history import formats
from player.history.formats import Listen, Skip

ACCEPTED = (
    "a ListenBrainz export (JSON or JSON lines), Spotify streaming history "
    "(Streaming_History_Audio_*.json, StreamingHistory*.json, or the zip they come in) or Last.fm "
    "scrobbles as CSV (artist, album, track and a date or Unix time)"
)
CHUNK = 1 << 16
SNIFF_BYTES = 1 << 16
MAX_CSV_FIELD = 1 << 20


class HistoryFormatError(ValueError):
    """A file the importer cannot read: the message says which file and why, for the user."""

    user_facing = True


@dataclass
class Part:
    """One stream of listens: a file, or a member of a zip."""

    name: str
    kind: str  # 'listenbrainz' | 'listenbrainz-jsonl' | 'spotify' | 'spotify-short' | 'lastfm'
    size: int
    opener: Callable[[], IO[bytes]]
    consumed: int = 0  # bytes read so far (progress)
    count: int = field(default=0)  # entries yielded so far

    @property
    def source(self) -> str:
        return self.kind.split("-")[0]

    def entries(self) -> Iterator[Listen | Skip]:
        """Each entry as a ``Listen``, or the ``Skip`` that says why it is left out."""
        convert = _CONVERTERS[self.kind]
        with self.opener() as raw:
            rows = _JSONL_OR_CSV.get(self.kind, _json_array)(raw, self)
            for row in rows:
                self.count += 1
                try:
                    yield convert(row)
                except Skip as skip:
                    yield skip
                except (TypeError, ValueError, AttributeError) as exc:
                    raise HistoryFormatError(
                        f"{self.name}: entry {self.count} is not a {self.source} listen ({exc})"
                    ) from None


def open_history(path: str | Path) -> list[Part]:
    """The parts of a history file (a zip: its members in a known format, others ignored)."""
    path = Path(path)
    if not path.is_file():
        raise HistoryFormatError(f"{path}: not a readable file")
    if zipfile.is_zipfile(path):
        parts = []
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
        for member in members:
            opener = _member_opener(path, member.filename)
            with opener() as f:
                head = f.read(SNIFF_BYTES)
            kind = _sniff(head)
            if kind is not None:
                parts.append(Part(f"{path.name}:{member.filename}", kind, member.file_size, opener))
        if not parts:
            raise HistoryFormatError(f"{path}: the zip holds no listening history; Encore reads {ACCEPTED}")
        return parts
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    kind = _sniff(head)
    if kind is None:
        raise HistoryFormatError(f"{path}: not a listening history Encore can read; it reads {ACCEPTED}")
    return [Part(str(path), kind, path.stat().st_size, lambda: open(path, "rb"))]


def _member_opener(path: Path, name: str) -> Callable[[], IO[bytes]]:
    class _Member(io.RawIOBase):
        def __init__(self) -> None:
            self.archive = zipfile.ZipFile(path)
            self.inner = self.archive.open(name)

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            data = self.inner.read(len(b))
            b[: len(data)] = data
            return len(data)

        def close(self) -> None:
            self.inner.close()
            self.archive.close()
            super().close()

    return lambda: io.BufferedReader(_Member(), CHUNK)


def _sniff(head: bytes) -> str | None:
    """The format of a file from its first bytes, or None."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff").lstrip()
    if text.startswith("["):
        first = _first_object(text[1:])
        if first is None:
            return None
        keys = set(first)
        if {"ts", "ms_played"} <= keys or "master_metadata_album_artist_name" in keys:
            return "spotify"
        if {"endTime", "msPlayed"} <= keys or {"endTime", "artistName"} <= keys:
            return "spotify-short"
        if "listened_at" in keys and "track_metadata" in keys:
            return "listenbrainz"
        return None
    if text.startswith("{"):
        line = text.split("\n", 1)[0]
        try:
            first = json.loads(line)
        except json.JSONDecodeError:
            return None
        if isinstance(first, dict) and "listened_at" in first and "track_metadata" in first:
            return "listenbrainz-jsonl"
        return None
    return "lastfm" if _csv_header(text) is not None else None


def _first_object(text: str) -> dict | None:
    text = text.lstrip()
    if text.startswith("]"):
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


_CSV_NAMES = {
    "artist": "artist",
    "artist_name": "artist",
    "album": "album",
    "album_name": "album",
    "track": "track",
    "title": "track",
    "track_name": "track",
    "name": "track",
    "uts": "uts",
    "timestamp": "uts",
    "utc_time": "date",
    "date": "date",
    "time": "date",
    "artist_mbid": "artist_mbid",
    "album_mbid": "album_mbid",
    "track_mbid": "track_mbid",
}


def _csv_header(text: str) -> list[str] | None:
    """Column names of a Last.fm CSV: its header, or (artist, album, track, date) for the headerless
    export whose fourth column is a date; None when it is not one."""
    try:
        first = next(csv.reader(io.StringIO(text.split("\n", 1)[0])))
    except (StopIteration, csv.Error):
        return None
    names = [_CSV_NAMES.get(c.strip().lower().replace(" ", "_")) for c in first]
    if "artist" in names and ("uts" in names or "date" in names):
        return [n or "" for n in names]
    if len(first) >= 4:
        try:
            formats._csv_time({"date": first[3]})
        except Skip:
            return None
        return ["artist", "album", "track", "date"] + [""] * (len(first) - 4)
    return None


def _text_stream(raw: IO[bytes], part: Part) -> Iterator[str]:
    """Decoded chunks of ``raw`` (UTF-8, a BOM dropped), counting the bytes read into ``part``."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("replace")
    while True:
        data = raw.read(CHUNK)
        part.consumed += len(data)
        if not data:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        yield decoder.decode(data)


def _json_array(raw: IO[bytes], part: Part) -> Iterator[dict]:
    """The elements of a JSON array, one at a time, from a bounded buffer."""
    decoder = json.JSONDecoder()
    chunks = _text_stream(raw, part)
    buf, pos, eof = "", 0, False

    def more() -> bool:
        nonlocal buf, pos, eof
        try:
            chunk = next(chunks)
        except StopIteration:
            eof = True
            return False
        buf = buf[pos:] + chunk
        pos = 0
        return True

    def skip_space() -> None:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf) or not more():
                return

    skip_space()
    if pos >= len(buf) or buf[pos] != "[":
        raise HistoryFormatError(f"{part.name}: does not start with a JSON list")
    pos += 1
    first = True
    while True:
        skip_space()
        if pos >= len(buf):
            raise HistoryFormatError(_cut_off(part))
        if buf[pos] == "]":
            return
        if not first:
            if buf[pos] != ",":
                raise HistoryFormatError(f"{part.name}: not valid JSON after entry {part.count}")
            pos += 1
            skip_space()
        first = False
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError:
                if eof or not more():
                    raise HistoryFormatError(_cut_off(part)) from None
        pos = end
        if pos > CHUNK:
            buf, pos = buf[pos:], 0
        if not isinstance(value, dict):
            raise HistoryFormatError(f"{part.name}: entry {part.count + 1} is not a JSON object")
        yield value


def _cut_off(part: Part) -> str:
    return (
        f"{part.name}: the file is cut off (truncated JSON) after {part.count} entries; nothing was imported"
    )


def _json_lines(raw: IO[bytes], part: Part) -> Iterator[dict]:
    rest = ""
    for chunk in _text_stream(raw, part):
        lines = (rest + chunk).split("\n")
        rest = lines.pop()
        for line in lines:
            if line.strip():
                yield _line(line, part)
    if rest.strip():
        yield _line(rest, part)


def _line(line: str, part: Part) -> dict:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        raise HistoryFormatError(
            f"{part.name}: line {part.count + 1} is not complete JSON (a cut-off file?); nothing was imported"
        ) from None
    if not isinstance(value, dict):
        raise HistoryFormatError(f"{part.name}: line {part.count + 1} is not a JSON object")
    return value


def _csv_rows(raw: IO[bytes], part: Part) -> Iterator[dict]:
    csv.field_size_limit(MAX_CSV_FIELD)
    text = io.TextIOWrapper(_Counting(raw, part), encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(text)
    header: list[str] | None = None
    for row in reader:
        if not row or not any(c.strip() for c in row):
            continue
        if header is None:
            header = _csv_header(",".join(_quote(c) for c in row))
            if header is None:
                raise HistoryFormatError(f"{part.name}: not a Last.fm CSV; Encore reads {ACCEPTED}")
            if "artist" in [c.strip().lower() for c in row]:
                continue  # that was the header line
        yield {name: value for name, value in zip(header, row, strict=False) if name}


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if ("," in cell or '"' in cell) else cell


class _Counting(io.RawIOBase):
    """A byte stream that counts what was read into ``part.consumed`` (CSV progress)."""

    def __init__(self, raw: IO[bytes], part: Part) -> None:
        self.raw, self.part = raw, part

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.raw.read(len(b))
        self.part.consumed += len(data)
        b[: len(data)] = data
        return len(data)


_JSONL_OR_CSV = {"listenbrainz-jsonl": _json_lines, "lastfm": _csv_rows}
_CONVERTERS = {
    "listenbrainz": formats.listenbrainz,
    "listenbrainz-jsonl": formats.listenbrainz,
    "spotify": formats.spotify_extended,
    "spotify-short": formats.spotify_short,
    "lastfm": formats.lastfm_row,
}
