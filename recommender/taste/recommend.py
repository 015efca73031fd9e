"""What to hear next from a ``recommender.taste.profile.Taste``: library artists ranked by predicted taste, then
the best-supported artists outside the library, each with the listened artists nearest to it (``why``)
and a reason in words from the fold-in's own terms (``recommender.reasons``).

Kept apart from ``taste.py`` (which builds and solves the taste) because ranking and explaining are a
job of their own; ``recommend(taste, n, bans=None)`` is the way in (banned artists are in neither list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from player.naming import is_untagged_artist

if TYPE_CHECKING:
    from recommender.taste.bans import Bans
    from recommender.taste.profile import Taste


@dataclass
class Recommendation:
    artist: str
    score: float
    in_library: bool
    item: int | None
    why: list[str] = field(default_factory=list)
    plays: int = 0
    reason: str = ""  # in words, from the fold-in's terms (``recommender.reasons``)

    def as_dict(self) -> dict:
        return {
            "artist": self.artist,
            "score": round(float(self.score), 4),
            "in_library": self.in_library,
            "plays": self.plays,
            "why": self.why,
            "reason": self.reason,
        }


@dataclass
class Recommendations:
    in_library: list[Recommendation]
    discoveries: list[Recommendation]


def _why(
    taste: Taste, vector: np.ndarray, exclude: str | None, listened: list[tuple[str, np.ndarray]]
) -> list[str]:
    if not listened:
        return []
    names = [n for n, _ in listened if n != exclude]
    vecs = np.stack([v for n, v in listened if n != exclude]) if names else None
    if vecs is None:
        return []
    sims = (
        vecs @ vector / np.maximum(np.linalg.norm(vecs, axis=1) * max(np.linalg.norm(vector), 1e-12), 1e-12)
    )
    order = np.argsort(-sims, kind="stable")[: taste.settings.why_count]
    return [names[i] for i in order if sims[i] > 0]


def recommend(taste: Taste, n: int = 20, bans: Bans | None = None) -> Recommendations:
    """Library artists ranked by predicted taste, then the best artists outside the library; none of
    them banned: a banned library artist is disliked in the taste (so left out like a mostly skipped one),
    a banned artist outside the library is matched by name (``bans``)."""
    scores = taste.item_scores()
    y = taste.bundle.item_factors
    wmf = y @ taste.user_vector
    mu, sd = float(wmf.mean()), float(wmf.std()) or 1.0
    listened: list[tuple[str, np.ndarray]] = []
    for af in taste.artist_feedback.values():
        if af.preference > 0 and (af.completions or af.positive > 0):
            vec = y[af.item] if af.item is not None else taste.audio_factors.get(af.artist)
            if vec is not None:
                listened.append((af.artist, np.asarray(vec, dtype=np.float64)))
    library: list[Recommendation] = []
    listed_items: set[int] = set()  # one line per bundle artist, whatever its local spellings
    for af in taste.artist_feedback.values():
        if not af.in_library:
            continue  # known from listening elsewhere only: neither in the library nor new to you
        if is_untagged_artist(af.artist):
            # "Unknown artist (games)": its sound still shapes the taste (and the radio), but a folder of
            # untagged files is no artist to hear next.
            continue
        if af.item is not None:
            if af.item in listed_items:
                continue
            listed_items.add(af.item)
            score, vec = float(scores[af.item]), y[af.item]
        elif af.artist in taste.audio_factors:
            vec = taste.audio_factors[af.artist]
            score = (float(vec @ taste.user_vector) - mu) / sd  # WMF part on the blend's scale
        else:
            continue
        if af.preference == 0 and af.negative > 0:
            continue  # mostly skipped: not something to hear next
        library.append(
            Recommendation(
                af.artist,
                score,
                True,
                af.item,
                _why(taste, vec, af.artist, listened),
                af.completions + af.skips,
            )
        )
    library.sort(key=lambda r: -r.score)
    owned = {af.item for af in taste.artist_feedback.values() if af.item is not None}
    supported = np.asarray(taste.bundle.popularity) >= taste.settings.min_support
    order = np.argsort(-scores, kind="stable")
    banned = set(bans.items(taste.bundle)) if bans is not None else set()
    discoveries: list[Recommendation] = []
    for i in order:
        if len(discoveries) >= n:
            break
        if int(i) in owned or not supported[i]:
            continue  # a single listener's artist is noise, not a discovery
        if int(i) in banned:
            continue
        name = str(taste.bundle.names[i])
        discoveries.append(
            Recommendation(name, float(scores[i]), False, int(i), _why(taste, y[i], None, listened))
        )
    _reasons(taste, library[:n], discoveries)
    return Recommendations(in_library=library[:n], discoveries=discoveries)


def _reasons(taste: Taste, library: list[Recommendation], discoveries: list[Recommendation]) -> None:
    """Each recommendation's reason: the evidence artists with the largest share of its score."""
    from recommender.reasons import TasteBasis, taste_reason

    basis = TasteBasis.from_taste(taste)
    if basis is None:
        return
    y = taste.bundle.item_factors
    for r in [*library, *discoveries]:
        vec = y[r.item] if r.item is not None else taste.audio_factors.get(r.artist)
        if vec is None:
            continue
        named = taste_reason(basis.contributors(vec, 2, skip=r.artist), discovery=not r.in_library)
        r.reason = named or "close to your library's taste"
