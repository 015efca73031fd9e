"""Names for untagged music: natural sort keys, folder-based artist groups and tidy titles.

- ``natural_key``: "track4" sorts before "track10" (runs of digits compare as numbers).
- ``untagged_artist``: a file without any artist tag (nor an "Artist - Title" file name) belongs to
  "Unknown artist (<its album folder>)" rather than to one "Unknown Artist" shared by every untagged
  folder, so artist lists, the radio's artist spacing and similarity keep the folders apart. Folder
  names are never taken for artists: "games", "usr", "scummvm" or "hyperrogue-music" are packaging,
  not people, and shown bare they read as real artists (issue 26 item 3).
- ``is_untagged_artist``: whether a name is such a group (or the placeholder), so the recommender never
  ranks it as an artist.
- ``file_title``: a title made from a file name, cleaned ("track19", "track_05" -> "Track 19", "Track 5").
- ``choose_title``: the title of a tag with several values: the one the file is named after
  (a tagger that appended each track's title to the last: "Living Caves", "Crossroads"... in
  hr3-crossroads.ogg -> "Crossroads"), else the values joined.
- ``tidy_titles``: the titles of one folder's untagged files without the prefix they all share
  ("Game OST - 01 Intro", "Game OST - 02 Boss" → "01 Intro", "02 Boss"; "track4" → "Track 4").
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

#: The scan's artist placeholder for files it could not name (``player.tags.guess_from_path``).
PLACEHOLDER_ARTIST = "Unknown Artist"
#: How an untagged group's name starts (``untagged_artist``), compared casefolded.
UNTAGGED_PREFIX = "Unknown artist"
_TRACK_WORD = re.compile(r"^(?:track|piste|titel|pista|traccia)[\s_.-]*0*(\d{1,4})$", re.IGNORECASE)
_DIGITS = re.compile(r"(\d+)")
_SEPARATORS = " -_.·–—,;:()[]"


def natural_key(text: str | None) -> tuple:
    """Sort key comparing digit runs as numbers, case-insensitively ("track4" < "track10")."""
    parts = _DIGITS.split((text or "").casefold())
    if len(parts) == 1:
        return (parts[0],)
    # Even positions are text, odd positions digits: comparisons never mix int and str.
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts)


def untagged_artist(path: str, album_folder: str | None = None) -> str:
    """The artist group of a file that names no artist: "Unknown artist (<album folder>)", the album
    folder being the one ``player.tags.guess_from_path`` names the album after (default: its folder)."""
    folder = album_folder or os.path.basename(os.path.dirname(path)) or "?"
    return f"{UNTAGGED_PREFIX} ({folder})"


def is_untagged_artist(name: str | None) -> bool:
    """Whether ``name`` is no artist's name but an untagged group or the placeholder (or empty)."""
    if not name:
        return True
    folded = name.strip().casefold()
    return folded == PLACEHOLDER_ARTIST.casefold() or folded.startswith(UNTAGGED_PREFIX.casefold() + " (")


def renamed_untagged_artist(path: str, artist: str | None, album: str | None) -> str | None:
    """What an earlier scan stored as a file's artist, as today's scan names it: a folder name taken for
    the artist ("games", "scummvm"), the placeholder or an untagged group becomes "Unknown artist (<album
    folder>)"; any other name (a tag, an "Artist - Title" file name) is kept. For schema 8."""
    if artist and not is_untagged_artist(artist) and artist not in path.split("/")[:-1]:
        return artist
    return untagged_artist(path, album if album and album != "Unknown Album" else None)


def file_title(text: str) -> str:
    """A title taken from a file name, cleaned: "track19", "Track_05" -> "Track 19", "Track 5"; other
    names unchanged. Idempotent, so stored titles can be cleaned again safely (schema 8)."""
    match = _TRACK_WORD.match(text.strip())
    return f"Track {int(match.group(1))}" if match else text


def choose_title(values: Sequence[str], path: str) -> str:
    """One title from a tag's values: the only one; else the value sharing the longest run of letters
    with the file name (at least 3, and no tie); else all of them joined with " / "."""
    from difflib import SequenceMatcher

    from player.text import search_key

    if len(values) == 1:
        return values[0]

    def squashed(text: str) -> str:
        return "".join(search_key(text).split())

    stem = squashed(os.path.splitext(os.path.basename(path))[0])
    scores = []
    for value in values:
        key = squashed(value)
        run = SequenceMatcher(None, stem, key, autojunk=False).find_longest_match(0, len(stem), 0, len(key))
        scores.append(run.size)
    best = max(scores)
    if best >= 3 and scores.count(best) == 1:
        return values[scores.index(best)]
    return " / ".join(values)


def _common_prefix(names: Sequence[str]) -> str:
    prefix = os.path.commonprefix(list(names))
    if not prefix:
        return ""
    # Cut back to a word boundary: after a separator, or where letters meet the track digits.
    for k in range(len(prefix), 0, -1):
        head, nxt = prefix[k - 1], prefix[k] if k < len(prefix) else None
        if head in _SEPARATORS:
            return prefix[:k]
        if k == len(prefix) and all(len(n) > k and n[k].isdigit() for n in names) and not head.isdigit():
            return prefix  # "track" + "4", "track" + "10"
        if nxt is not None and head.isalpha() and nxt.isdigit():
            return prefix[:k]
    return ""


def tidy_titles(titles: Sequence[str]) -> list[str]:
    """One folder's file-name titles without their shared prefix; an all-digit rest becomes "Track N".

    Fewer than two titles, or a prefix that would leave a title empty, change nothing.
    """
    if len(titles) < 2:
        return list(titles)
    prefix = _common_prefix(titles)
    rests = [t[len(prefix) :].strip(_SEPARATORS) for t in titles] if prefix else list(titles)
    if prefix and not all(rests):
        return list(titles)
    out = []
    for original, rest in zip(titles, rests, strict=True):
        out.append(f"Track {int(rest)}" if rest.isdigit() else (rest if prefix else original))
    return out
