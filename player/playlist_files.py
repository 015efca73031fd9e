"""Playlist files: import and export M3U8 (also plain M3U) and XSPF, with relative or absolute paths.

Export writes each entry's path relative to the playlist file's folder (``relative=True``, portable with
the music) or absolute. Import resolves each entry (absolute path, path relative to the file, ``file://``
URI) to a library track: by path, else by scanning a file that exists but is not in the library yet.
Entries that cannot be resolved (no such file, a web address) are returned in ``ImportResult.missing``,
never dropped silently. A file that cannot be read or parsed raises ``PlaylistFileError`` with a message
for the user.

Export writes every entry so that import reads it back as the same path: a path an M3U line cannot hold
as it is (a line break or other control character, spaces at either end, bytes that are not UTF-8) is
written percent-encoded (a ``file://`` URI, or a relative URI reference), a relative name that would read
as a comment, a web address or a home folder (``#``, ``http:``, ``~``) gets "./" before it; text an
``#EXTINF`` line or XML 1.0 cannot hold (line breaks, control characters) is dropped from titles and names,
so a tag can never add an entry of its own or make the file unreadable.

XSPF is parsed with the standard library's expat parser (expat ≥ 2.4 refuses entity-expansion bombs and
external entities are never fetched); a document type declaration is refused outright.

API: ``PlaylistFileError``, ``FileEntry``, ``ImportResult``, ``read_playlist_file``, ``write_playlist_file``,
``export_playlist``, ``import_playlist``, ``FORMATS``.
"""

from __future__ import annotations

import os
import unicodedata
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from player.store.core import Store
from player.text import decoded

FORMATS = {".m3u8": "m3u", ".m3u": "m3u", ".xspf": "xspf"}
XSPF_NS = "http://xspf.org/ns/0/"


class PlaylistFileError(ValueError):
    """A playlist file that cannot be read or written, with the reason."""


@dataclass(frozen=True)
class FileEntry:
    location: str  # as written in the file (path or URI)
    title: str | None = None
    artist: str | None = None
    duration: float | None = None


@dataclass
class ImportResult:
    playlist_id: int
    name: str
    added: int
    missing: list[str] = field(default_factory=list)  # entries (as written) that matched no track
    scanned: int = 0  # files found on disk that were not in the library yet


def _format(path: Path) -> str:
    kind = FORMATS.get(path.suffix.casefold())
    if kind is None:
        raise PlaylistFileError(f"{path}: unknown playlist format (use .m3u8, .m3u or .xspf)")
    return kind


# --- reading ------------------------------------------------------------------------------------------


def read_playlist_file(path: str | os.PathLike[str]) -> list[FileEntry]:
    """The entries of an M3U/M3U8 or XSPF file, in order."""
    file = Path(path)
    kind = _format(file)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PlaylistFileError(f"cannot read {file}: {exc.strerror or exc}") from exc
    return _read_m3u(file, data) if kind == "m3u" else _read_xspf(file, data)


def _read_m3u(file: Path, data: bytes) -> list[FileEntry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if file.suffix.casefold() == ".m3u8":
            raise PlaylistFileError(f"{file} is not valid UTF-8 text, so not an M3U8 playlist") from None
        text = data.decode("latin-1")  # plain .m3u: the legacy 8-bit encoding
    if "\x00" in text:
        raise PlaylistFileError(f"{file} is not a text playlist (binary data)")
    entries: list[FileEntry] = []
    info: tuple[float | None, str | None, str | None] = (None, None, None)
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.upper().startswith("#EXTINF:"):
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
        entries.append(FileEntry(line, title=info[2], artist=info[1], duration=info[0]))
        info = (None, None, None)
    return entries


def _read_xspf(file: Path, data: bytes) -> list[FileEntry]:
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise PlaylistFileError(f"{file}: XSPF with a document type declaration is not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise PlaylistFileError(f"{file} is not a valid XSPF playlist: {exc}") from exc
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if root.tag != f"{ns}playlist":
        raise PlaylistFileError(f"{file} is not an XSPF playlist (its root element is not <playlist>)")
    entries: list[FileEntry] = []
    for track in root.iter(f"{ns}track"):
        location = (track.findtext(f"{ns}location") or "").strip()
        title = (track.findtext(f"{ns}title") or "").strip() or None
        creator = (track.findtext(f"{ns}creator") or "").strip() or None
        ms = (track.findtext(f"{ns}duration") or "").strip()
        duration = float(ms) / 1000.0 if ms.isdigit() else None
        entries.append(
            FileEntry(location or (title or "(entry without a location)"), title, creator, duration)
        )
    return entries


def resolve_location(location: str, base: Path) -> str | None:
    """The absolute local path an entry names (relative paths are relative to ``base``), or None for a
    web address."""
    text = location.strip()
    parsed = urllib.parse.urlparse(text)
    if parsed.scheme == "file":
        text = urllib.parse.unquote(parsed.path, errors="surrogateescape")  # non-UTF-8 names keep their bytes
    elif parsed.scheme and len(parsed.scheme) > 1:  # http:, https: ... (one letter: a Windows drive)
        return None
    elif "%" in text and not os.path.exists(base / text):
        text = urllib.parse.unquote(text, errors="surrogateescape")  # a relative URI reference
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = base / path
    return os.path.normpath(path)


# --- writing ------------------------------------------------------------------------------------------


def _one_line(text: object) -> str:
    """Tag text for an ``#EXTINF`` / ``#PLAYLIST`` line: line breaks and other control characters become
    spaces (a newline in a tag would otherwise start a path line of its own)."""
    chars = (" " if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") else c for c in str(text))
    return " ".join("".join(chars).split())


def _xml_text(text: object) -> str:
    """Text XML 1.0 can hold: the control characters it forbids (all of C0 but tab, LF and CR), lone
    surrogates and U+FFFE/U+FFFF dropped (one of them makes the whole file not well-formed)."""
    return "".join(
        c
        for c in str(text)
        if c in "\t\n\r" or ("\x20" <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or c >= "\U00010000"
    )


def _plain_location(loc: str) -> bool:
    """Whether ``loc`` can be written as it is on an M3U line and read back unchanged."""
    try:
        loc.encode("utf-8")
    except UnicodeEncodeError:  # a file name that is not UTF-8 (surrogate-escaped bytes)
        return False
    controls = any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in loc)  # what splits a line
    return not controls and loc == loc.strip()


def _escaped_location(loc: str) -> str:
    """``loc`` (a path) as written in a playlist file, guarded against what a reader would take for
    something else; see the module docstring."""
    if not os.path.isabs(loc) and (loc[:1] in ("#", "~") or urllib.parse.urlparse(loc).scheme):
        loc = "./" + loc  # not a comment, a home folder or a web address
    if _plain_location(loc) and "%" not in loc:
        return loc
    if os.path.isabs(loc):
        return Path(loc).as_uri()
    return urllib.parse.quote(os.fsencode(loc))


def write_playlist_file(
    path: str | os.PathLike[str],
    tracks: list[dict[str, Any]],
    *,
    relative: bool = True,
    title: str | None = None,
) -> int:
    """Write tracks (dicts with path, artist, title, album, duration) as M3U8 or XSPF (by the file's
    suffix); paths relative to the file's folder when ``relative``. Returns the number of entries."""
    file = Path(path)
    kind = _format(file)
    base = file.resolve().parent

    def location(track_path: str) -> str:
        if relative:
            try:
                return os.path.relpath(track_path, base)
            except ValueError:  # another drive: cannot be relative
                return track_path
        return track_path

    if kind == "m3u":
        lines = ["#EXTM3U"]
        if title:
            lines.append(f"#PLAYLIST:{_one_line(title)}")
        for t in tracks:
            seconds = int(round(t["duration"])) if t.get("duration") else -1
            label = " - ".join(_one_line(x) for x in (t.get("artist"), t.get("title")) if x)
            lines += [f"#EXTINF:{seconds},{label or _one_line(Path(t['path']).stem)}"]
            lines.append(_escaped_location(location(t["path"])))
        payload = ("\n".join(lines) + "\n").encode("utf-8")
    else:
        ET.register_namespace("", XSPF_NS)
        root = ET.Element(f"{{{XSPF_NS}}}playlist", {"version": "1"})
        if title:
            ET.SubElement(root, f"{{{XSPF_NS}}}title").text = _xml_text(title)
        track_list = ET.SubElement(root, f"{{{XSPF_NS}}}trackList")
        for t in tracks:
            el = ET.SubElement(track_list, f"{{{XSPF_NS}}}track")
            loc = location(t["path"])
            if not os.path.isabs(loc) and loc[:1] == "~":
                loc = "./" + loc  # not a home folder
            uri = Path(loc).as_uri() if os.path.isabs(loc) else urllib.parse.quote(os.fsencode(loc))
            ET.SubElement(el, f"{{{XSPF_NS}}}location").text = uri
            for tag, key in (("creator", "artist"), ("title", "title"), ("album", "album")):
                if t.get(key):
                    ET.SubElement(el, f"{{{XSPF_NS}}}{tag}").text = _xml_text(t[key])
            if t.get("duration"):
                ET.SubElement(el, f"{{{XSPF_NS}}}duration").text = str(int(round(t["duration"] * 1000)))
        ET.indent(root)
        payload = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
    write_replacing(file, payload)
    return len(tracks)


def write_replacing(file: Path, payload: bytes) -> None:
    """Write ``payload`` to ``file`` through ``FILE.part`` (a reader never sees half a playlist). On any
    failure the partial file is removed; a read-only file is refused, not replaced (its mode says the
    user wants it kept, and a rename would replace it even so)."""
    if file.is_file() and not file.stat().st_mode & 0o222:
        raise PlaylistFileError(
            f"{file} is read-only: it was not replaced (make it writable or choose another name)"
        )
    tmp = file.with_name(file.name + ".part")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(payload)
        os.replace(tmp, file)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # the first error is the one to report
        raise PlaylistFileError(f"cannot write {file}: {exc.strerror or exc}") from exc


def export_playlist(
    store: Store, playlist_id: int, path: str | os.PathLike[str], *, relative: bool = True
) -> int:
    """Write a playlist (static or smart) to a file; returns the number of entries written."""
    from player.store.playlists import get_playlist, playlist_tracks
    from player.store.smart import smart_tracks

    playlist = get_playlist(store, playlist_id)
    if playlist is None:
        raise PlaylistFileError(f"no playlist with id {playlist_id}")
    if playlist["problem"]:
        raise PlaylistFileError(f"{playlist['name']}: {playlist['problem']}")
    tracks = (
        smart_tracks(store, playlist["rules"]) if playlist["smart"] else playlist_tracks(store, playlist_id)
    )
    return write_playlist_file(path, tracks, relative=relative, title=playlist["name"])


def import_playlist(
    store: Store, path: str | os.PathLike[str], name: str | None = None, *, scan_new: bool = True
) -> ImportResult:
    """Read a playlist file into a new playlist (named after the file unless ``name``; a taken name gets
    " (2)", " (3)"...). Files that exist but are not in the library are scanned in when ``scan_new``."""
    from player.store.playlists import add_tracks, create_playlist, find_playlist
    from player.store.tracks import get_track_by_path

    file = Path(path)
    entries = read_playlist_file(file)
    base = file.resolve().parent
    track_ids: list[int] = []
    missing: list[str] = []
    to_scan: list[tuple[int, str]] = []
    resolved: list[str | None] = []
    for entry in entries:
        local = resolve_location(entry.location, base)
        resolved.append(local)
        if local is not None and get_track_by_path(store, local) is None and os.path.isfile(local):
            to_scan.append((len(resolved) - 1, local))
    scanned = 0
    if to_scan and scan_new:
        from player.library import scan

        scanned = scan(store, [p for _, p in to_scan]).added
    for entry, local in zip(entries, resolved, strict=True):
        track = get_track_by_path(store, local) if local is not None else None
        if track is None:
            missing.append(entry.location)
        else:
            track_ids.append(int(track["id"]))
    base_name = " ".join(decoded(name or file.stem).split()) or "Imported playlist"
    # One transaction: a kill or a full disk leaves either the whole playlist or none (never an empty
    # one that makes the next try "name (2)"); the name is chosen under the same write lock.
    with store.transaction():
        chosen, n = base_name, 1
        while find_playlist(store, chosen) is not None:
            n += 1
            chosen = f"{base_name} ({n})"
        playlist_id = create_playlist(store, chosen)
        add_tracks(store, playlist_id, track_ids)
    return ImportResult(playlist_id, chosen, len(track_ids), missing, scanned)
