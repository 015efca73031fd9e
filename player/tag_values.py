"""A file's tag values made into a ``tracks`` row's columns: text cleaned, numbers and gains read.

Why a module of its own: ``player.tags`` reads a file (mutagen, or the direct Ogg reader) and says why a
file is bad; what a tag's values become in the library (which key fills which column, a UTF-8 text read as
Latin-1 repaired, "3/12" a track number, "-7.32 dB" a gain, the title chosen among several) is a job
apart, the same for every format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from player.naming import choose_title
from player.text import MAX_TAG_VALUES, cap_tag

#: A character that UTF-8 read as Latin-1 leaves (a regex: a Python loop over every character cost more).
_LATIN1_HIGH = re.compile("[\x80-\xff]")


def fix_text(value: str) -> str:
    """Clean a tag string: drop NULs and stray whitespace, repair UTF-8 that was read as Latin-1.

    Many taggers wrote UTF-8 bytes into frames declared Latin-1 ("BjÃ¶rk"); decoding those bytes
    again as UTF-8 recovers the intended text. Real Latin-1 text almost never forms valid UTF-8, so
    the repair is only applied when it succeeds.
    """
    value = value.replace("\x00", "").strip()
    if value and _LATIN1_HIGH.search(value):
        try:
            repaired = value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        else:
            value = repaired
    return value


def _getter(tags: Any) -> Callable[[str], Any]:
    """``tags.get`` for a tag mapping; for mutagen's own tag objects, one that answers None where
    their ``get`` raises on a key they cannot hold."""
    if isinstance(tags, dict):
        return tags.get

    def get(key: str) -> Any:
        try:
            return tags.get(key)
        except (KeyError, ValueError, TypeError):
            return None

    return get


def _cleaned(values: Any) -> list[str]:
    """A tag's non-empty, cleaned values (at most ``MAX_TAG_VALUES``), given what ``get`` returned."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    out = []
    for raw in values[:MAX_TAG_VALUES]:
        text = fix_text(cap_tag(str(raw)))
        if text and text not in out:
            out.append(text)
    return out


def _first(get: Callable[[str], Any], keys: tuple[str, ...]) -> str | None:
    """The first cleaned value of the first of ``keys`` that has one."""
    for key in keys:
        values = get(key)
        if values:  # most keys are absent: no call for them (26 looked up a file)
            cleaned = _cleaned(values)
            if cleaned:
                return cleaned[0]
    return None


def _title(get: Callable[[str], Any], path: str) -> str | None:
    """The title tag; of several values, the one ``player.naming.choose_title`` picks (not blindly the
    first: some taggers accumulate every earlier track's title in each file)."""
    values = _cleaned(get("title"))
    return cap_tag(choose_title(values, path)) if values else None


#: Text columns and the tag keys they are read from, first key first.
_TEXT_COLUMNS = (
    ("artist", ("artist",)),
    ("album_artist", ("albumartist", "album artist")),
    ("album", ("album",)),
    ("genre", ("genre",)),
    ("mb_track_id", ("musicbrainz_trackid",)),
    ("mb_artist_id", ("musicbrainz_artistid",)),
    ("mb_album_id", ("musicbrainz_albumid",)),
    ("mb_album_artist_id", ("musicbrainz_albumartistid",)),
)
_NUMBER_COLUMNS = (
    ("track_number", ("tracknumber",)),
    ("disc_number", ("discnumber",)),
    ("year", ("date", "year")),
)
#: ReplayGain columns; ``encore_rg_*`` are the names ``player.tags`` registers for ID3 and MP4.
_GAIN_COLUMNS = tuple(
    (f"rg_{name}", (f"replaygain_{name}", f"encore_rg_{name}", f"encore_rg_{name}_upper"))
    for name in ("track_gain", "track_peak", "album_gain", "album_peak")
)


def _number(text: str | None) -> int | None:
    """'3/12' -> 3; '2007-05-01' -> 2007; junk -> None."""
    if not text:
        return None
    match = re.match(r"\s*(\d+)", text)
    if not match:
        return None
    number = int(match.group(1))
    return number if number < 100000 else None


_GAIN = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?:\s*dB)?\s*$", re.IGNORECASE)


def _gain(text: str | None, limit: float = 60.0) -> float | None:
    """'-7.32 dB' -> -7.32; anything that is not a finite number within ``±limit`` -> None
    ("1e309 dB" is infinity, not 1 dB)."""
    if not text:
        return None
    match = _GAIN.match(text)
    if not match:
        return None
    value = float(match.group(1))
    return value if math.isfinite(value) and abs(value) <= limit else None


def tag_columns(tags: Any, path: str) -> dict[str, Any]:
    """The columns a file's tags fill (``tags``: a mapping of lower-cased keys to lists of values, or
    mutagen's easy tags): text, title, numbers and gains, None where a tag says nothing."""
    get = _getter(tags)
    row: dict[str, Any] = {column: _first(get, keys) for column, keys in _TEXT_COLUMNS}
    row["title"] = _title(get, path)
    for column, keys in _NUMBER_COLUMNS:
        row[column] = _number(_first(get, keys))
    for column, keys in _GAIN_COLUMNS:
        row[column] = _gain(_first(get, keys))
    return row
