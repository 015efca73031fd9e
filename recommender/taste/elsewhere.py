"""Listening history imported from elsewhere (ListenBrainz, Spotify, Last.fm) as evidence for the taste.

Why a module of its own: the taste (``recommender.taste.profile``) folds in evidence from several sources;
how an imported listen becomes evidence (for a library track, for the library's spelling of its artist, or
for a catalogue artist known only from elsewhere) is a job apart from reading Encore's own plays.

API: ``add_listens(taste, store)`` (``taste``: the ``recommender.taste.profile.Taste`` being built).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from recommender.taste.feedback import ArtistFeedback, TrackFeedback

if TYPE_CHECKING:
    from player.store.core import Store


def add_listens(taste: Any, store: Store) -> None:
    """Listening history imported from elsewhere (``player.store.listens``) joins the same evidence
    as Encore's own plays, weighed by age with the same half-life: a listen matched to a library
    track counts for that track; any other listen counts for its artist, the library's spelling of
    it when the library holds it, else the catalogue artist itself (an artist known only from
    elsewhere shapes the taste but is neither "in your library" nor a discovery). A "stopped"
    stream counts as half heard (``partial_weight`` x 0.5: the export says how long, not how much of
    the track), a skip as Encore's own skip does."""
    from player.store.listens import listen_feedback

    s = taste.settings
    rows = listen_feedback(store, taste.now, s.half_life_days)
    if not rows:
        return
    item_of = {str(v): i for i, v in enumerate(taste.bundle.item_ids)}
    local_of_item: dict[int, str] = {}
    for artist, item in taste.match.artist_to_item.items():
        local_of_item.setdefault(int(item), artist)
    from recommender.factors.match import normalise_artist

    local_of_key = {normalise_artist(a): a for a in taste.match.artist_tracks}
    for track_id, catalogue_id, artist, source, outcome, count, weighted, last in rows:
        weight = float(weighted or 0.0)
        if track_id is not None and int(track_id) in taste.match.track_artist:
            fb = taste.track_feedback.get(int(track_id))
            if fb is None:
                fb = taste.track_feedback[int(track_id)] = TrackFeedback(
                    int(track_id), taste.match.track_artist[int(track_id)]
                )
            if outcome == "completed":
                fb.completions += int(count)
                fb.positive += weight
            elif outcome == "skipped":
                fb.skips += int(count)
                fb.negative += weight
            else:
                fb.stops += int(count)
                fb.positive += s.partial_weight * 0.5 * weight
            fb.last_played = max(fb.last_played or 0.0, float(last))
            if fb.artist:
                taste.elsewhere_sources.setdefault(fb.artist, Counter())[source] += int(count)
                if outcome == "completed":
                    taste.elsewhere_sources[fb.artist]["completed"] += int(count)
            continue
        item = item_of.get(str(catalogue_id)) if catalogue_id is not None else None
        name = local_of_item.get(item) if item is not None else None
        name = name or local_of_key.get(normalise_artist(artist))
        if name is None and item is not None:
            name = str(taste.bundle.names[item])
            if name not in taste.artist_feedback:
                taste.artist_feedback[name] = ArtistFeedback(artist=name, item=item, in_library=False)
        if name is None:
            continue  # neither in the library nor in the catalogue: nothing to fold in
        taste.elsewhere_sources.setdefault(name, Counter())[source] += int(count)
        if outcome == "completed":
            taste.elsewhere_sources[name]["completed"] += int(count)
        acc = taste.elsewhere.setdefault(name, [0.0, 0.0, 0.0, 0.0, 0.0])
        if outcome == "completed":
            acc[0] += weight
            acc[2] += int(count)
        elif outcome == "skipped":
            acc[1] += weight
            acc[3] += int(count)
        else:
            acc[0] += s.partial_weight * 0.5 * weight
        acc[4] = max(acc[4], float(last))
