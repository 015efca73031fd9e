"""Small pieces every CLI subcommand shares: opening the store named by ``--db``, argument types, printing
JSON and errors, and the one way to turn a user's words into a track (``resolve_track``, and
``say_which_track`` when the words name many) or a playlist (``playlist_or_fail``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from player.store import Store
from player.text import MAX_QUERY_CHARS, QueryTooLong, check_query, decoded, shown

__all__ = [
    "CommandError",
    "bounded_float",
    "bounded_int",
    "fail",
    "no_track_message",
    "nonempty_path",
    "open_store",
    "playlist_or_fail",
    "print_json",
    "resolve_track",
    "say",
    "say_which_track",
    "shown",
    "text_arg",
]


class CommandError(Exception):
    """A command cannot go on for a reason the user can fix (no such playlist): printed as one line,
    exit status ``exit_code`` (2, like a usage error), never a traceback."""

    user_facing = True

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def open_store(args: argparse.Namespace) -> Store:
    """The store named by ``--db`` (or the default one)."""
    return Store.open(getattr(args, "db", None))


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def say(line: object = "", *, file: TextIO | None = None, flush: bool = False) -> None:
    """Print one line of command output (stdout unless ``file``). Every line that may hold tag, file-name
    or playlist-name text goes through here: ``shown`` escapes its control characters, so a crafted tag
    cannot clear the screen, retitle the terminal or fake a line of its own. A line break inside ``line``
    is escaped too: print an empty line with ``say()``."""
    print(shown(line), file=file if file is not None else sys.stdout, flush=flush)


def fail(message: str, code: int = 2) -> int:
    """Print a clear error for the user and return the exit code to use."""
    say(f"encore: {message}", file=sys.stderr)
    return code


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer in ``[low, high]``, else a clear usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, not {value}")
        return value

    parse.__name__ = "number"  # argparse names the type in its messages
    return parse


def bounded_float(low: float, high: float) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in ``[low, high]``, else a clear usage error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, not {text}")
        return value

    parse.__name__ = "number"
    return parse


def text_arg(text: str) -> str:
    """An argparse ``type`` for every argument that is text rather than a file path (a playlist or
    artist name, a rule, a query): bytes that are not UTF-8 are decoded with U+FFFD (``decoded``), so
    the name can be stored, matched and printed. File paths never use it: they keep their bytes."""
    return decoded(text)


def nonempty_path(text: str) -> str:
    """An argparse ``type`` for a path argument: an empty string names nothing (and never ".")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path names no file or folder")
    return text


def resolve_track(store: Store, target: str, *, scan_file: bool = False) -> dict | None:
    """The library track ``target`` names (a path, an id or an "artist - title" query), or None.
    ``scan_file``: a file outside the library is scanned in first (``play FILE``, ``radio FILE``)."""
    import os

    from player.store.tracks import find_track

    if len(target) > MAX_QUERY_CHARS and not os.path.exists(target):
        try:
            check_query(target)
        except QueryTooLong as exc:
            raise CommandError(str(exc)) from None
    track = find_track(store, target)
    if track is None and scan_file and os.path.isfile(target):
        from player.library import scan

        scan(store, [target])
        track = find_track(store, target)
    return track


def say_which_track(store: Store, target: str, track: dict) -> None:
    """When ``target`` matched several tracks and ``resolve_track`` took the best, say which song and how
    many the words matched, on stderr (JSON on stdout stays whole): a walk's ``encore path track
    wanderer`` silently started from one of 31 songs holding "track"."""
    import os

    from player.store.tracks import find_track_among

    found, many = find_track_among(store, target)
    if found is not None and found["id"] == track["id"] and many > 1:
        title = track.get("title") or os.path.basename(track["path"])
        artist = track.get("artist") or track.get("album_artist") or "an unknown artist"
        say(
            f"{target!r} matches {many} songs; taking {title!r} by {artist}: give more words to pick another",
            file=sys.stderr,
        )


def no_track_message(store: Store, target: str) -> str:
    """Why ``target`` names no track: for a file the scan refused, the scan's reason (it was found, so
    "scan your music" would send the user in a circle); for a query against a library that has music,
    that it is not in the library and the closest tracks; for an empty library, how music gets in."""
    import os

    from player.store.errors import scan_error
    from player.store.tracks import closest_tracks, count_tracks

    refused = scan_error(store, os.path.abspath(target)) if os.path.isfile(target) else None
    if refused is not None:
        return f"{target} cannot be played: the library refused it ({refused['message']})"
    if not count_tracks(store):
        return f"no track matches {target!r}: the library is empty (scan your music with `encore scan DIR`)"
    message = f"no track matches {target!r}: it is not in the library"
    closest = closest_tracks(store, target)
    if closest:
        names = "; ".join(f"{t.get('artist') or '?'} - {t.get('title') or t['path']}" for t in closest)
        message += f"; closest: {names}"
    return message


PLAYLIST_KINDS = {None: "playlist", False: "static playlist", True: "smart playlist"}


def playlist_or_fail(store: Store, name: str, smart: bool | None = None) -> dict:
    """The playlist called ``name`` (of the kind asked for: ``smart`` True or False, None for either),
    else a ``CommandError`` that names what was missing."""
    from player.store.playlists import find_playlist

    playlist = find_playlist(store, name)
    if playlist is None or (smart is not None and bool(playlist["smart"]) != smart):
        raise CommandError(f"no {PLAYLIST_KINDS[smart]} named {name!r} (encore playlist list shows them)")
    return playlist


def report_fault(exc: Exception, db: str | None) -> int:
    """Print what a database or file fault means (exit 1), or the message of an exception marked
    ``user_facing``; re-raise anything else (a bug)."""
    from player.faults import explain
    from player.store.core import default_db_path

    message = explain(exc, db if db is not None else default_db_path())
    if message is None and getattr(exc, "user_facing", False):
        message = str(exc)  # an error whose message is written for the user (a refused model file)
    if message is None:
        raise exc
    return fail(message, code=getattr(exc, "exit_code", 1))
