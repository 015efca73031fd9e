"""Playlist files: import and export M3U8 (also plain M3U) and XSPF, with relative or absolute paths.

Export writes each entry's path relative to the playlist file's folder (``relative=True``, portable with
the music) or absolute, streamed entry by entry. Import reads the file within bounds
(``player.playlist_read``) and resolves each entry (absolute path, path relative to the file, ``file://``
URI, Windows-style ``..\\x.ogg``) to a library track: by path, else by scanning a file that exists but
is not in the library yet, else (its path names no file here: a playlist from another machine) by its
"Artist - Title". Entries that cannot be resolved (no such file, a web address) are returned in
``ImportResult.missing``, never dropped silently; when none resolves, no playlist is created
(``NothingMatched``, which carries the list). A file that cannot be read or parsed raises
``PlaylistFileError`` with a message for the user.

Export writes every entry so that import reads it back as the same path: a path an M3U line cannot hold
as it is (a line break or other control character, spaces at either end, bytes that are not UTF-8) is
written percent-encoded (a ``file://`` URI, or a relative URI reference), a relative name that would read
as a comment, a web address or a home folder (``#``, ``http:``, ``~``) gets "./" before it; text an
``#EXTINF`` line or XML 1.0 cannot hold (line breaks, control characters) is dropped from titles and names,
so a tag can never add an entry of its own or make the file unreadable.

API: ``PlaylistFileError``, ``NothingMatched``, ``FileEntry``, ``ImportResult``, ``read_playlist_file``,
``write_playlist_file``, ``export_playlist``, ``import_playlist``, ``FORMATS``.
"""

from __future__ import annotations

import os
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from player.playlist_read import (
    FORMATS,
    XSPF_NS,
    FileEntry,
    PlaylistFileError,
    playlist_format,
    read_playlist,
    read_playlist_file,
    resolve_location,
)
from player.store.core import Store
from player.text import decoded

__all__ = [
    "FORMATS",
    "FileEntry",
    "ImportResult",
    "NothingMatched",
    "PlaylistFileError",
    "export_playlist",
    "import_playlist",
    "read_playlist_file",
    "resolve_location",
    "write_playlist_file",
]


@dataclass
class ImportResult:
    playlist_id: int
    name: str
    added: int
    missing: list[str] = field(default_factory=list)  # entries (as written) that matched no track
    scanned: int = 0  # files found on disk that were not in the library yet
    by_name: int = 0  # entries found by their "Artist - Title" (their path named no file here)
    missing_shown: list[str] = field(default_factory=list)  # the same entries as a person reads them


def shown_entry(entry: FileEntry) -> str:
    """An entry as a person reads it in a list of what was not found: the name the file gives it, if any,
    then where it pointed ("Nobody – Lost Song  ·  /home/someone/Music/lost.ogg")."""
    name = " – ".join(x for x in (entry.artist, entry.title) if x)
    return f"{name}  ·  {entry.location}" if name else entry.location


class NothingMatched(PlaylistFileError):
    """No entry of the file matched a library track: no playlist was created. ``missing`` lists them."""

    def __init__(self, message: str, missing: list[str], missing_shown: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = missing
        self.missing_shown = missing_shown if missing_shown is not None else list(missing)


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
    tracks: Iterable[dict[str, Any]],
    *,
    relative: bool = True,
    title: str | None = None,
) -> int:
    """Write tracks (dicts with path, artist, title, album, duration) as M3U8 or XSPF (by the file's
    suffix); paths relative to the file's folder when ``relative``. Returns the number of entries.
    ``tracks`` is consumed once, each entry written as it comes: memory does not grow with the playlist
    (XSPF is written as text for that, the same bytes ElementTree's indented tree gave)."""
    file = Path(path)
    kind = playlist_format(file)
    base = file.resolve().parent

    def location(track_path: str) -> str:
        if relative:
            try:
                return os.path.relpath(track_path, base)
            except ValueError:  # another drive: cannot be relative
                return track_path
        return track_path

    def m3u(out: IO[bytes]) -> int:
        n = 0
        out.write(b"#EXTM3U\n")
        if title:
            out.write(f"#PLAYLIST:{_one_line(title)}\n".encode())
        for t in tracks:
            seconds = int(round(t["duration"])) if t.get("duration") else -1
            label = " - ".join(_one_line(x) for x in (t.get("artist"), t.get("title")) if x)
            loc = _escaped_location(location(t["path"]))
            out.write(f"#EXTINF:{seconds},{label or _one_line(Path(t['path']).stem)}\n{loc}\n".encode())
            n += 1
        return n

    def xspf(out: IO[bytes]) -> int:
        n = 0
        out.write(
            f"<?xml version='1.0' encoding='utf-8'?>\n<playlist xmlns=\"{XSPF_NS}\" version=\"1\">\n".encode()
        )
        if title:
            out.write(f"  <title>{escape(_xml_text(title))}</title>\n".encode())
        out.write(b"  <trackList>\n")
        for t in tracks:
            loc = location(t["path"])
            if not os.path.isabs(loc) and loc[:1] == "~":
                loc = "./" + loc  # not a home folder
            uri = Path(loc).as_uri() if os.path.isabs(loc) else urllib.parse.quote(os.fsencode(loc))
            parts = [f"      <location>{escape(uri)}</location>"]
            for tag, key in (("creator", "artist"), ("title", "title"), ("album", "album")):
                if t.get(key):
                    parts.append(f"      <{tag}>{escape(_xml_text(t[key]))}</{tag}>")
            if t.get("duration"):
                parts.append(f"      <duration>{int(round(t['duration'] * 1000))}</duration>")
            out.write(("    <track>\n" + "\n".join(parts) + "\n    </track>\n").encode("utf-8"))
            n += 1
        out.write(b"  </trackList>\n</playlist>\n")
        return n

    return write_replacing(file, m3u if kind == "m3u" else xspf)


def write_replacing(file: Path, write: Callable[[IO[bytes]], int]) -> int:
    """Write through ``FILE.part`` with ``write`` (a reader never sees half a playlist); returns what
    ``write`` returns. On any failure the partial file is removed; a read-only file is refused, not
    replaced (its mode says the user wants it kept, and a rename would replace it even so)."""
    if file.is_file() and not file.stat().st_mode & 0o222:
        raise PlaylistFileError(
            f"{file} is read-only: it was not replaced (make it writable or choose another name)"
        )
    tmp = file.with_name(file.name + ".part")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            n = write(out)
        os.replace(tmp, file)
        return n
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # the first error is the one to report
        if isinstance(exc, OSError):
            raise PlaylistFileError(f"cannot write {file}: {exc.strerror or exc}") from exc
        raise


def export_playlist(
    store: Store, playlist_id: int, path: str | os.PathLike[str], *, relative: bool = True
) -> int:
    """Write a playlist (static or smart) to a file; returns the number of entries written. A static
    playlist is streamed from the database to the file, one entry at a time."""
    from player.store.playlists import get_playlist, iter_playlist_tracks
    from player.store.smart import smart_tracks

    playlist = get_playlist(store, playlist_id)
    if playlist is None:
        raise PlaylistFileError(f"no playlist with id {playlist_id}")
    if playlist["problem"]:
        raise PlaylistFileError(f"{playlist['name']}: {playlist['problem']}")
    tracks = (
        smart_tracks(store, playlist["rules"])
        if playlist["smart"]
        else iter_playlist_tracks(store, playlist_id)
    )
    return write_playlist_file(path, tracks, relative=relative, title=playlist["name"])


def import_playlist(
    store: Store, path: str | os.PathLike[str], name: str | None = None, *, scan_new: bool = True
) -> ImportResult:
    """Read a playlist file into a new playlist (``name``, else the name the file gives itself, as an
    export writes it, else the file's; a taken name gets " (2)", " (3)"...). Files that exist but are not
    in the library are scanned in when ``scan_new``.
    An entry whose path names no file here (a playlist from another machine) is matched by its
    ``#EXTINF`` "Artist - Title" (XSPF: creator and title) against the library, by the same folded name
    key artists are rated by. When nothing matches, no playlist is created: ``NothingMatched`` says so."""
    from player.store.playlists import add_tracks, create_playlist, find_playlist
    from player.store.tracks import get_track_by_path

    file = Path(path)
    entries, own_name = read_playlist(file)
    base = file.resolve().parent
    resolved = [resolve_location(entry.location, base) for entry in entries]
    to_scan = [
        local
        for local in resolved
        if local is not None and get_track_by_path(store, local) is None and os.path.isfile(local)
    ]
    scanned = 0
    if to_scan and scan_new:
        from player.library import scan

        scanned = scan(store, to_scan).added
    found: list[int | None] = []
    for local in resolved:
        track = get_track_by_path(store, local) if local is not None else None
        found.append(int(track["id"]) if track is not None else None)
    by_name = _match_by_name(store, entries, resolved, found)
    track_ids = [t for t in found if t is not None]
    missing = [entry.location for entry, t in zip(entries, found, strict=True) if t is None]
    shown = [shown_entry(entry) for entry, t in zip(entries, found, strict=True) if t is None]
    if entries and not track_ids:  # an empty file is an empty playlist (what exporting one writes)
        raise NothingMatched(
            f"nothing in {file} matched a library track, so no playlist was created "
            f"({len(missing)} {'entry was' if len(missing) == 1 else 'entries were'} not found)",
            missing,
            shown,
        )
    base_name = " ".join(decoded(name or own_name or file.stem).split()) or "Imported playlist"
    # One transaction: a kill or a full disk leaves either the whole playlist or none (never an empty
    # one that makes the next try "name (2)"); the name is chosen under the same write lock.
    with store.transaction():
        chosen, n = base_name, 1
        while find_playlist(store, chosen) is not None:
            n += 1
            chosen = f"{base_name} ({n})"
        playlist_id = create_playlist(store, chosen)
        add_tracks(store, playlist_id, track_ids)
    return ImportResult(playlist_id, chosen, len(track_ids), missing, scanned, by_name, shown)


def _match_by_name(
    store: Store, entries: list[FileEntry], resolved: list[str | None], found: list[int | None]
) -> int:
    """Fill ``found`` for entries whose local path names nothing (neither a track nor a file) by their
    artist and title; returns how many were found that way. A web address is never matched by name
    (the playlist meant that stream), nor is an entry without both an artist and a title."""
    from player.store.functions import fold_artist
    from player.store.tracks import tracks_by_artist_title

    wanted = [
        i
        for i, (entry, local) in enumerate(zip(entries, resolved, strict=True))
        if found[i] is None
        and local is not None
        and entry.artist
        and entry.title
        and not os.path.lexists(local)
    ]
    if not wanted:
        return 0
    index = tracks_by_artist_title(store)
    n = 0
    for i in wanted:
        track_id = index.get((fold_artist(entries[i].artist), fold_artist(entries[i].title)))
        if track_id is not None:
            found[i] = track_id
            n += 1
    return n
