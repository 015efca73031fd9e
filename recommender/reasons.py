"""Reasons in words, built from the terms that ranked an item (one phrasing for every feature).

A reason names real things: the log artists whose evidence moved the user's taste toward an item
(``Contributor``: played, merely owned, or placed by their sound), a track of the library an item
sounds like, the seed and session of a radio, or the fact that the user never played it.

API: ``Contributor``, ``name_list(names)``, ``taste_reason(contributors, discovery)``,
``sounds_like_reason(title)``, ``NEVER_PLAYED``, ``join_reasons(parts)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NEVER_PLAYED = "new to you: never played"


@dataclass(frozen=True)
class Contributor:
    """A library artist behind a taste score: its share of the score and why it is in the taste."""

    artist: str
    weight: float  # its additive share of the WMF fold-in score
    kind: str  # 'played' (plays in the log) | 'owned' (in the library, no plays) | 'sound' (bridge)
    plays: int = 0
    placed: bool = False  # its factors were placed from its sound (the listening data lacks it)


def name_list(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def taste_reason(contributors: Sequence[Contributor], discovery: bool = False) -> str | None:
    """'fans of A and B, which you play often' and the like; None when nothing contributed."""
    if not contributors:
        return None
    kind = contributors[0].kind
    same = [c for c in contributors if c.kind == kind][:2]
    names = name_list([c.artist for c in same])
    if kind == "played":
        often = all(c.plays >= 3 for c in same)
        which = (
            "which you play often"
            if often
            else ("which you played" if len(same) == 1 else "which you have played")
        )
        if all(c.placed for c in same):
            return f"close to the sound of {names}, {which}"
        return f"fans of {names}, {which}"
    if kind == "sound":
        return f"close to the sound of {names} in your library"
    return f"fans of {names}, which you own" if discovery else f"fans of {names} in your library like it"


def sounds_like_reason(title: str, artist: str | None = None) -> str:
    """'sounds like *Teardrop* in your library'."""
    by = f" by {artist}" if artist else ""
    return f"sounds like *{title}*{by} in your library"


def join_reasons(parts: Sequence[str | None]) -> str:
    """Non-empty parts joined with '; ' (the most specific first, as given)."""
    return "; ".join(p for p in parts if p)
