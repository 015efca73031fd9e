"""Reading playlist files (M3U8, plain M3U, XSPF) into entries, within bounds, and resolving each entry to
a local path.

Bounds, because the file comes from anywhere: only a regular file is opened (``player.files``: a
``.m3u8`` symlink to ``/dev/zero`` or a FIFO is refused before a byte is read, not read until a
``MemoryError`` or forever), of at most ``MAX_PLAYLIST_BYTES``, with at most ``MAX_ENTRIES`` entries
(the largest real playlists hold a few tens of thousands; a million-line file is refused with a message
instead of taking minutes and gigabytes downstream). Both formats are read as a stream (line by line,
expat fed in chunks), so the memory used follows the entries kept, not the file's bytes.

XSPF is parsed with expat directly, and any document type declaration is refused by expat's own
``StartDoctypeDeclHandler``, the moment expat meets it, whatever the file's encoding (UTF-16 included)
and wherever it stands: internal entities (the "billion laughs") and external ones can only be declared
in a DTD, so without one there is nothing to expand or fetch. (A byte search for ``<!DOCTYPE`` missed
UTF-16 files and declarations past its window; expat decodes the file before it reports the
declaration, so neither can slip through. This is what ``defusedxml``'s ``forbid_dtd`` does, without a
new dependency.)

Entries whose path is written Windows-style (``..\\Music\\x.ogg``) are resolved with ``/`` when no file
has the name as written (a backslash is a legal character in a Linux file name, so that name comes first).

API: ``PlaylistFileError``, ``FileEntry``, ``FORMATS``, ``MAX_PLAYLIST_BYTES``, ``MAX_ENTRIES``,
``playlist_format``, ``read_playlist_file``, ``read_playlist`` (the entries and the file's own name),
``resolve_location``.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from player.files import MIB, open_regular

FORMATS = {".m3u8": "m3u", ".m3u": "m3u", ".xspf": "xspf"}
XSPF_NS = "http://xspf.org/ns/0/"
#: The largest playlist file read (100 000 entries with long paths and titles take about 30 MB).
MAX_PLAYLIST_BYTES = 64 * MIB
#: The most entries one import takes; a larger file is refused whole (nothing is imported).
MAX_ENTRIES = 100_000
CHUNK = 1 << 16


class PlaylistFileError(ValueError):
    """A playlist file that cannot be read or written, with the reason."""


@dataclass(frozen=True)
class FileEntry:
    location: str  # as written in the file (path or URI)
    title: str | None = None
    artist: str | None = None
    duration: float | None = None


def playlist_format(path: Path) -> str:
    """'m3u' or 'xspf', by the file's suffix; a ``PlaylistFileError`` for any other."""
    kind = FORMATS.get(path.suffix.casefold())
    if kind is None:
        raise PlaylistFileError(f"{path}: unknown playlist format (use .m3u8, .m3u or .xspf)")
    return kind


def read_playlist_file(path: str | os.PathLike[str]) -> list[FileEntry]:
    """The entries of an M3U/M3U8 or XSPF file, in order (see the module docstring for the bounds)."""
    return read_playlist(path)[0]


def read_playlist(path: str | os.PathLike[str]) -> tuple[list[FileEntry], str | None]:
    """The entries of a playlist file and the name it gives itself (M3U's ``#PLAYLIST:``, XSPF's
    ``<title>``: what an export writes), or None."""
    file = Path(path)
    kind = playlist_format(file)
    try:
        fh = open_regular(file, MAX_PLAYLIST_BYTES)
    except OSError as exc:
        raise PlaylistFileError(f"cannot read {file}: {exc.strerror or exc}") from exc
    try:
        with fh:
            return _read_m3u(file, fh) if kind == "m3u" else _read_xspf(file, fh)
    except OSError as exc:  # an I/O error half-way (a disk going away)
        raise PlaylistFileError(f"cannot read {file}: {exc.strerror or exc}") from exc


def _too_many(file: Path) -> PlaylistFileError:
    return PlaylistFileError(
        f"{file} has more than {MAX_ENTRIES} entries, more than one import takes: nothing was imported "
        "(split it into smaller playlists)"
    )


def _too_big(file: Path) -> PlaylistFileError:
    return PlaylistFileError(
        f"{file} grew past the {MAX_PLAYLIST_BYTES // MIB} MiB a playlist file may have while it was read"
    )


def _lines(file: Path, fh: BinaryIO, encoding: str) -> Iterator[str]:
    """The file's lines decoded one at a time, never more than ``MAX_PLAYLIST_BYTES`` read in all (even
    from a file that grows while it is read)."""
    left = MAX_PLAYLIST_BYTES
    first, binary = True, False
    while True:
        raw = fh.readline(left + 1)
        if not raw:
            break
        left -= len(raw)
        if left < 0:
            raise _too_big(file)
        if first and encoding == "utf-8":
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte order mark
        first = False
        # Decoded to the end even once binary: "not UTF-8" is the first thing to say of a binary .m3u8.
        text = raw.decode(encoding)
        binary = binary or "\x00" in text
        if not binary:
            yield from text.splitlines()
    if binary:
        raise PlaylistFileError(f"{file} is not a text playlist (binary data)")


def _read_m3u(file: Path, fh: BinaryIO) -> tuple[list[FileEntry], str | None]:
    try:
        return _parse_m3u(file, _lines(file, fh, "utf-8"))
    except UnicodeDecodeError:
        if file.suffix.casefold() == ".m3u8":
            raise PlaylistFileError(f"{file} is not valid UTF-8 text, so not an M3U8 playlist") from None
    fh.seek(0)
    return _parse_m3u(file, _lines(file, fh, "latin-1"))  # plain .m3u: the legacy 8-bit encoding


def _parse_m3u(file: Path, lines: Iterator[str]) -> tuple[list[FileEntry], str | None]:
    entries: list[FileEntry] = []
    name: str | None = None
    info: tuple[float | None, str | None, str | None] = (None, None, None)
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.upper().startswith("#PLAYLIST:"):
                name = name or line[10:].strip() or None
            elif line.upper().startswith("#EXTINF:"):
                head, _, label = line[8:].partition(",")
                try:
                    seconds: float | None = float(head.split()[0]) if head.split() else None
                except ValueError:
                    seconds = None
                artist, sep, title = label.partition(" - ")
                info = (
                    seconds if seconds and seconds > 0 else None,
                    artist.strip() if sep else None,
                    (title if sep else label).strip() or None,
                )
            continue
        if len(entries) >= MAX_ENTRIES:
            raise _too_many(file)
        entries.append(FileEntry(line, title=info[2], artist=info[1], duration=info[0]))
        info = (None, None, None)
    return entries, name


class _Refused(Exception):
    """Raised from an expat handler to stop the parse at once."""


class _XspfReader:
    """expat handlers that collect ``<track>`` entries as they stream past (no tree is built)."""

    FIELDS = ("location", "title", "creator", "duration")

    def __init__(self, file: Path) -> None:
        self.file = file
        self.ns: str | None = None  # the root's namespace, '' for none
        self.entries: list[FileEntry] = []
        self.track_depth: int | None = None
        self.depth = 0
        self.field: str | None = None
        self.values: dict[str, list[str]] = {}
        self.name: list[str] | None = None  # the playlist's own <title>, as it streams past

    @staticmethod
    def _split(name: str) -> tuple[str, str]:
        ns, sep, local = name.rpartition("}")
        return (ns if sep else ""), local

    def doctype(self, *_: object) -> None:
        raise _Refused(f"{self.file}: XSPF with a document type declaration (DTD) is not accepted")

    def start(self, name: str, _attrs: object) -> None:
        ns, local = self._split(name)
        self.depth += 1
        if self.ns is None:
            if local != "playlist":
                raise _Refused(f"{self.file} is not an XSPF playlist (its root element is not <playlist>)")
            self.ns = ns
            return
        if ns != self.ns:
            return
        if local == "title" and self.depth == 2 and self.name is None:
            self.name, self.field = [], "name"
        elif local == "track" and self.track_depth is None:
            if len(self.entries) >= MAX_ENTRIES:
                raise _Refused(str(_too_many(self.file)))
            self.track_depth, self.values = self.depth, {}
        elif self.track_depth is not None and self.depth == self.track_depth + 1 and local in self.FIELDS:
            if local not in self.values:  # the first of each, as ElementTree's findtext took it
                self.field = local
                self.values[local] = []

    def text(self, data: str) -> None:
        if self.field == "name" and self.name is not None:
            self.name.append(data)
        elif self.field is not None:
            self.values[self.field].append(data)

    def end(self, _name: str) -> None:
        if self.field == "name" and self.track_depth is None:
            self.field = None
        elif self.track_depth is not None and self.depth == self.track_depth + 1:
            self.field = None
        elif self.depth == self.track_depth:
            self.track_depth = None
            self._add({k: "".join(v).strip() for k, v in self.values.items()})
        self.depth -= 1

    def _add(self, values: dict[str, str]) -> None:
        location, title = values.get("location", ""), values.get("title") or None
        ms = values.get("duration", "")
        self.entries.append(
            FileEntry(
                location or (title or "(entry without a location)"),
                title,
                values.get("creator") or None,
                float(ms) / 1000.0 if ms.isdigit() else None,
            )
        )


def _read_xspf(file: Path, fh: BinaryIO) -> tuple[list[FileEntry], str | None]:
    reader = _XspfReader(file)
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = reader.doctype
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    left = MAX_PLAYLIST_BYTES
    try:
        while True:
            chunk = fh.read(min(CHUNK, left + 1))
            left -= len(chunk)
            if left < 0:
                raise _too_big(file)
            parser.Parse(chunk, not chunk)
            if not chunk:
                break
    except _Refused as exc:
        raise PlaylistFileError(str(exc)) from None
    except PlaylistFileError:
        raise  # already a message for the user (a ValueError, which the next clause would re-word)
    except (expat.ExpatError, ValueError) as exc:  # ValueError: an encoding Python cannot decode
        raise PlaylistFileError(f"{file} is not a valid XSPF playlist: {exc}") from None
    return reader.entries, ("".join(reader.name).strip() or None) if reader.name is not None else None


def resolve_location(location: str, base: Path) -> str | None:
    """The absolute local path an entry names (relative paths are relative to ``base``; ``\\`` read as
    ``/`` when no file has the name as written), or None for a web address."""
    text = location.strip()
    parsed = urllib.parse.urlparse(text)
    if parsed.scheme == "file":
        text = urllib.parse.unquote(parsed.path, errors="surrogateescape")  # non-UTF-8 names keep their bytes
    elif parsed.scheme and len(parsed.scheme) > 1:  # http:, https: ... (one letter: a Windows drive)
        return None
    elif "%" in text and not os.path.exists(base / text):
        text = urllib.parse.unquote(text, errors="surrogateescape")  # a relative URI reference
    resolved = _local(text, base)
    if "\\" in text and not os.path.lexists(resolved):
        windows = _local(text.replace("\\", "/"), base)
        if os.path.lexists(windows):
            return windows
    return resolved


def _local(text: str, base: Path) -> str:
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = base / path
    return os.path.normpath(path)
