"""Names for untagged music: natural sort keys, folder-based artist groups and tidy titles.

- ``natural_key``: "track4" sorts before "track10" (runs of digits compare as numbers).
- ``untagged_artist``: a file without any artist tag, whose folders name no artist either, belongs to
  "Unknown artist (<folder>)" rather than to one "Unknown Artist" shared by every untagged folder, so
  artist lists, the radio's artist spacing and similarity keep the folders apart.
- ``tidy_titles``: the titles of one folder's untagged files without the prefix they all share
  ("Game OST - 01 Intro", "Game OST - 02 Boss" → "01 Intro", "02 Boss"; "track4" → "Track 4").
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

#: The scan's artist placeholder for files it could not name (``player.tags.guess_from_path``).
PLACEHOLDER_ARTIST = "Unknown Artist"
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


def untagged_artist(path: str) -> str:
    """The artist group of a file that names no artist: "Unknown artist (<its folder>)"."""
    folder = os.path.basename(os.path.dirname(path)) or "?"
    return f"Unknown artist ({folder})"


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
