"""Reasons in words, built from the terms that ranked an item (one phrasing for every feature).

A reason names real things: the log artists whose evidence moved the user's taste toward an item
(``Contributor``: played, merely owned, or placed by their sound), a track of the library an item
sounds like, the seed and session of a radio, or the fact that the user never played it.

API: ``Contributor``, ``name_list(names)``, ``taste_reason(contributors, discovery)``,
``sounds_like_reason(title)``, ``NEVER_PLAYED``, ``join_reasons(parts)``, ``station_text(label)``,
``path_step_reason``; for the radio's queue:
``TasteBasis`` (names the log artists behind a taste score), ``shared_tags``, ``sounds_like_track_reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from player.history.formats import SOURCE_NAMES

if TYPE_CHECKING:
    import numpy as np

NEVER_PLAYED = "new to you: never played"
#: Labels of queues that are not a radio from a seed track (a path, a mood): shown as they are.
NAMED_STATIONS = ("Path to ", "Mood ")


@dataclass(frozen=True)
class Contributor:
    """A library artist behind a taste score: its share of the score and why it is in the taste."""

    artist: str
    weight: float  # its additive share of the WMF fold-in score
    kind: str  # 'played' (plays in the log) | 'owned' (in the library, no plays) | 'sound' (bridge)
    plays: int = 0
    placed: bool = False  # its factors were placed from its sound (the listening data lacks it)
    elsewhere: int = 0  # listens imported from elsewhere
    source: str | None = None  # where most of those come from ('spotify', 'listenbrainz', 'lastfm')


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
    if kind == "played" and all(c.plays == 0 and c.elsewhere > 0 for c in same):
        # Known from the history imported from elsewhere: say where ("412 times on Spotify").
        where = name_list(sorted({SOURCE_NAMES.get(c.source or "", "elsewhere") for c in same}))
        if len(same) == 1:
            times = "once" if same[0].elsewhere == 1 else f"{same[0].elsewhere} times"
            return f"fans of {names}, which you played {times} on {where}"
        return f"fans of {names}, which you played on {where}"
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
    """'sounds like “Teardrop” in your library' (typographic quotes: the window shows plain text, so
    Markdown's asterisks appeared literally)."""
    by = f" by {artist}" if artist else ""
    return f"sounds like {quoted(title)}{by} in your library"


def join_reasons(parts: Sequence[str | None]) -> str:
    """Non-empty parts joined with '; ' (the most specific first, as given)."""
    return "; ".join(p for p in parts if p)


@dataclass
class TasteBasis:
    """The fold-in's evidence, kept so that a taste score can name the log artists behind it.

    The fold-in is linear in its evidence (``recommender.taste.profile.Taste.contributions``): the taste score
    of an artist vector ``v`` is ``Σ_j v · rows[j]``, one term per evidence artist. A radio keeps this
    (m x k, m = the library artists with evidence) instead of the whole ``Taste``.
    """

    artists: list[str]
    kinds: list[str]  # 'played' | 'owned' | 'sound' (as ``Contributor.kind``)
    plays: list[int]
    placed: list[bool]
    rows: np.ndarray  # [m, k]: artist j's term is v · rows[j]
    elsewhere: list[int] | None = None  # listens imported from elsewhere, per artist
    sources: list[str | None] | None = None

    @classmethod
    def from_taste(cls, taste: Any) -> TasteBasis | None:
        """From a ``Taste``; None when it has no evidence."""
        import numpy as np

        artists = taste.evidence_artists()
        if not artists:
            return None
        k = taste.bundle.k
        _, share = taste.contributions(np.eye(k))  # row i: the terms of the unit vector e_i
        kinds, plays, placed, elsewhere, sources = [], [], [], [], []
        for af in artists:
            played = af.completions > 0 or af.positive > 0
            kinds.append("played" if played else ("sound" if af.item is None else "owned"))
            away = int(getattr(af, "elsewhere", 0))
            own = int(af.completions) - int(getattr(af, "elsewhere_completions", 0))
            plays.append(max(0, own))  # Encore's own finished plays
            placed.append(af.item is None)
            elsewhere.append(away)
            sources.append(getattr(af, "elsewhere_source", None))
        return cls(
            [af.artist for af in artists],
            kinds,
            plays,
            placed,
            np.ascontiguousarray(share.T),
            elsewhere,
            sources,
        )

    def contributors(self, vector: Any, n: int = 2, skip: str | None = None) -> list[Contributor]:
        """The evidence artists with the largest positive terms for ``vector``, played ones first."""
        import numpy as np

        from recommender.ranking import top_k

        terms = self.rows @ np.asarray(vector, dtype=self.rows.dtype)

        ranked = top_k(terms, (), n + 1).tolist()  # one may be ``skip``; rank them all if more are
        if (
            len(ranked) == n + 1
            and terms[ranked[-1]] > 0
            and sum(self.artists[j] == skip for j in ranked) > 1
        ):
            ranked = top_k(terms, (), len(terms)).tolist()
        kept = [j for j in ranked if terms[j] > 0 and self.artists[j] != skip]
        out = [
            Contributor(
                self.artists[j],
                float(terms[j]),
                self.kinds[j],
                self.plays[j],
                self.placed[j],
                self.elsewhere[j] if self.elsewhere else 0,
                self.sources[j] if self.sources else None,
            )
            for j in kept[:n]
        ]
        out.sort(key=lambda c: c.kind != "played")
        return out


def shared_tags(a: Sequence[str], b: Sequence[str], n: int = 2) -> str | None:
    """'both calm and piano' for the audio tags two tracks share (in ``a``'s order), or None."""
    common = [t for t in a if t and t in set(b)][:n]
    return f"both {name_list(common)}" if common else None


def sounds_like_track_reason(title: str, anchor: str, tags: str | None = None) -> str:
    """'sounds like “Title”, the seed (both calm and piano)' / '..., which you just finished'."""
    where = {"seed": "the seed", "session": "which you finished just now"}.get(anchor, anchor)
    return f"sounds like {quoted(title)}, {where}" + (f" ({tags})" if tags else "")


def quoted(title: str) -> str:
    """A title inside a sentence: “Title”."""
    return f"\u201c{title}\u201d"


def station_text(label: str | None) -> str:
    """What a radio entry says it comes from: 'Radio from Artist – Title', or the label itself when it
    already names what it is ('Path to …', 'Mood …': 'Radio from Path to …' read as nonsense)."""
    if not label:
        return "Radio"
    if label.startswith(NAMED_STATIONS):
        return label
    return f"Radio from {label}"


def path_step_reason(step: int, steps: int, share: float) -> str:
    """A path's step in words: 'step 3 of 9, about a third of the way to the destination by sound'."""
    if share < 0.15:
        where = "still close to the start"
    elif share > 0.85:
        where = "nearly at the destination"
    else:
        where = f"about {round(share * 100 / 5) * 5}% of the way to the destination"
    return f"step {step} of {steps}, {where} by sound"
