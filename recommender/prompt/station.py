"""A station from a prompt: the radio (``Station``) started from a prompt's seeds with its exclusions
and filters, or a path through its from/via/to songs; what ``encore radio --prompt`` and the app's
radio panel play.

A station is a value: the prompt text is all it takes to make it again (saved, named, restarted), so
nothing here keeps state beyond the ``Station`` it returns.

API: ``PromptStation``, ``prompt_station``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recommender.prompt.resolve import ResolvedPrompt, resolve_prompt


@dataclass
class PromptStation:
    """``resolved`` (how each term was read); ``station`` (a ``Station``) or, for a path, ``path``
    (``PathStep``s from the first song to the last through the waypoints)."""

    resolved: ResolvedPrompt
    station: Any = None
    path: list[Any] | None = None

    def items(self, n: int) -> list[tuple[int, str]]:
        """The first ``n`` (track id, why) of the station, or the path's steps."""
        if self.path is not None:
            return [(s.track_id, s.why) for s in self.path[:n]]
        out = []
        for _ in range(n):
            item = self.station.next_item()
            out.append((item.track_id, item.why))
        return out


def prompt_station(
    store: Any, text: str, *, library: Any = None, rng: Any = None, n: int = 12, settings: Any = None
) -> PromptStation:
    """Resolve ``text`` against the library (loaded here unless given) and start its station, or plan
    its path of ``n`` songs. Raises ``recommender.prompt.grammar.PromptError``."""
    if library is None:
        from recommender.radio.load import load_library

        library = load_library(store)
    resolved = resolve_prompt(text, store, library)
    if resolved.path is not None:
        return PromptStation(resolved, path=_path(store, library, resolved, n))
    from recommender.radio.station import Station

    station = Station(
        library,
        int(resolved.seed_track_id),
        settings,
        rng=rng,
        seed_played=False,
        seeds=resolved.seeds,
        excluded=resolved.excluded,
        pull=resolved.pull,
        why_prompt=resolved.why,
    )
    return PromptStation(resolved, station=station)


def _path(store: Any, library: Any, resolved: ResolvedPrompt, n: int) -> list[Any]:
    """The path through ``resolved.path`` (from, vias, to): one leg per pair of neighbours, ``n`` songs
    in all shared among the legs; a song is never used twice and excluded rows never at all."""
    from recommender.radio.session import resting_track_ids
    from recommender.shaping.path import PathSpace

    ends = resolved.path or []
    legs = len(ends) - 1
    excluded = {int(t) for t in library.track_ids[resolved.excluded].tolist()} - set(ends)
    used: set[int] = set()
    steps: list[Any] = []
    per_leg = max(2, (n + legs - 1) // legs + 1)
    for k in range(legs):
        a, b = ends[k], ends[k + 1]
        space = PathSpace.from_store(
            store, keep=[a, b], exclude=excluded | resting_track_ids(store) | (used - {a, b})
        )
        leg = space.path(a, b, min(per_leg, len(space)))
        steps.extend(leg if k == 0 else leg[1:])
        used.update(s.track_id for s in leg)
    return steps
