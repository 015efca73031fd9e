"""For you: what to hear next, from the user's own library and beyond, each with its reason.

Three lists, all ranked by the folded-in taste (``recommender.taste.profile``):

- **tracks** and **albums** the user owns but has played little or never. A track's fit is its
  artist's taste score (the shipped model's blend for bundle artists; for artists the bundle does not
  know, the fold-in against the factors the audio bridge predicts from the track's own tags, averaged
  with its artist's), plus how close the track sounds to the tracks the user completes; every play
  already made lowers it (``play_penalty``), so the under-played lead, and tracks played more than
  ``max_plays`` times, mostly skipped ones and jingles are left out. What was finished recently
  **rests** (``rest_days``): those tracks, and albums mostly made of them, are left out of the lists
  and of a new Discover mix until the window has passed (``ForYou.rested`` keeps them, ranked, for a
  mix that would otherwise come out too short).
- **artists** to discover: bundle artists the user does not own with at least ``min_support``
  listeners behind their factors (a single listener's artist is noise, not a discovery).

Nothing banned is offered (``recommender.taste.bans``): banned tracks, tracks of banned artists, and
banned artists among the discoveries.

Cold start by sound: when few of the library's artists match the bundle, the fold-in's evidence is the
artists the audio bridge placed from their sound (plus whatever plays there are). With no evidence at
all (nothing matched and nothing analysed), ``signal`` is ``"none"``, the lists are empty and
``summary`` says so: global hits are never offered as a taste. Popularity only breaks ties (the
taste's 1e-3 prior).

Reasons come from the terms that ranked an item: the fold-in is linear in its evidence, so the artists
with the largest share of an item's score are named (``Taste.contributions``), with how they entered
(played, owned, placed by sound); a track close in sound to a completed track names that track; an
unplayed track says "new to you: never played".

API: ``ForYouSettings``, ``ForYouItem``, ``ForYou``, ``for_you(store, bundle=None, settings=None,
taste=None, n=30, now=None)``; the Discover mix built from the result is ``recommender.for_you.mix``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from player.text import count_text
from recommender.ranking import zscore
from recommender.reasons import (
    NEVER_PLAYED,
    Contributor,
    join_reasons,
    sounds_like_reason,
    taste_reason,
)

if TYPE_CHECKING:
    from player.store.core import Store
    from recommender.taste.profile import Taste


@dataclass
class ForYouSettings:
    """How the lists are made. Defaults are documented next to each field."""

    max_plays: int = 2  # tracks played more often than this are not "under-played"
    play_penalty: float = 0.5  # fit minus 0.5·log(1 + plays)
    audio_weight: float = 0.5  # weight of the z-scored closeness in sound to completed tracks
    track_artist_mix: float = 0.5  # unknown artists: share of the track's own audio-predicted factors
    min_support: int = 3  # discoveries need this many listeners behind their factors
    min_seconds: float = 30.0  # shorter tracks (jingles, sound effects) are not offered
    sounds_like_min: float = 0.6  # cosine to a completed track above which "sounds like" is the reason
    n_reasons: int = 2  # artists named in a reason
    mix_size: int = 30
    mix_per_artist: int = 3
    rest_days: float = 14.0
    """A track completed in the last 14 days rests: it is left out of the tracks and of a new Discover mix,
    and comes back once the window has passed. What was just heard in full is the last thing to suggest
    hearing next (issue 21: the 8 tracks just finished filled the top of the list), yet a favourite is
    still a favourite a fortnight later."""
    album_rest_share: float = 0.5
    """An album more than half of whose tracks rest is left out of the albums: an album just played
    (mostly) through is not one to suggest, one with a single track heard lately still is."""
    mix_min: int = 10
    """A new Discover mix shorter than this, because most candidates rest (a small library just played
    through), is topped up with resting tracks, placed last: a short mix of what was heard lately
    beats an empty one."""


@dataclass
class ForYouItem:
    kind: str  # 'track' | 'album' | 'artist'
    name: str  # track title, album title or artist name
    artist: str | None
    score: float
    reason: str
    track_ids: list[int] = field(default_factory=list)
    plays: int = 0
    link: str | None = None  # artists to discover: where to read about them

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["score"] = round(float(self.score), 4)
        return d


@dataclass
class ForYou:
    signal: str  # 'plays' | 'library' | 'sound' | 'none'
    summary: str  # where the taste comes from, in words
    tracks: list[ForYouItem]
    albums: list[ForYouItem]
    artists: list[ForYouItem]
    matched_artists: int = 0
    sound_artists: int = 0
    played_tracks: int = 0
    rested: list[ForYouItem] = field(default_factory=list)  # resting tracks, ranked (``rest_days``)

    def as_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "summary": self.summary,
            "tracks": [t.as_dict() for t in self.tracks],
            "albums": [a.as_dict() for a in self.albums],
            "artists": [a.as_dict() for a in self.artists],
        }


NO_SIGNAL = (
    "Encore cannot tell your taste yet: none of your library's artists are in its listening data and "
    "no track has been analysed for its sound. Run the audio analysis (encore analyze) or play some "
    "music, and suggestions will follow."
)


def _contributors(
    taste: Taste, rows: np.ndarray, exclude: Iterable[set[str]], n: int
) -> list[list[Contributor]]:
    """Per row of factor vectors: the evidence artists with the largest positive shares, best first."""
    artists, share = taste.contributions(rows)
    out: list[list[Contributor]] = []
    for r, skip in zip(range(len(share)), exclude, strict=False):
        order = np.argsort(-share[r], kind="stable")
        picked: list[Contributor] = []
        for j in order:
            if share[r, j] <= 0 or len(picked) >= n:
                break
            af = artists[j]
            if af.artist in skip:
                continue
            played = af.completions > 0 or af.positive > 0
            kind = "played" if played else ("sound" if af.item is None else "owned")
            picked.append(Contributor(af.artist, float(share[r, j]), kind, af.completions, af.item is None))
        # The played artists say more than owned ones: name them first when they contribute at all.
        picked.sort(key=lambda c: c.kind != "played")
        out.append(picked)
    return out


def for_you(
    store: Store,
    bundle: Any = None,
    settings: ForYouSettings | None = None,
    taste: Taste | None = None,
    n: int = 30,
    now: float | None = None,
) -> ForYou:
    """The three For-you lists (``n`` items each; all under-played tracks ranked for the mix).

    ``now``: the clock that resting is measured against (default: the taste's, which is the time of
    the call when ``taste`` is not given)."""
    from player.store.analysis import load_analysis_matrix
    from player.store.plays import track_stats
    from player.store.tracks import iter_tracks
    from recommender.similar.index import lastfm_link
    from recommender.taste.bans import Bans
    from recommender.taste.profile import Taste

    s = settings or ForYouSettings()
    if taste is None:
        if bundle is None:
            from recommender.factors.bundle import load_bundle

            bundle = load_bundle()
        taste = Taste.from_store(store, bundle, now=now)
    now = taste.now if now is None else now
    bundle = taste.bundle
    match = taste.match
    evidence = taste.evidence_artists()
    played_tracks = sum(1 for fb in taste.track_feedback.values() if fb.completions or fb.positive > 0)
    matched, placed = len(match.artist_to_item), len(taste.audio_factors)
    if not evidence:
        return ForYou("none", NO_SIGNAL, [], [], [], matched, placed, played_tracks)
    if played_tracks:
        signal = "plays"
    elif matched >= max(3, placed):
        signal = "library"
    else:
        signal = "sound"
    summary = _summary(signal, matched, placed, played_tracks, len(match.artist_tracks))

    scores = taste.item_scores()
    y = bundle.item_factors.astype(np.float64)
    wmf = y @ taste.user_vector
    mu, sd = float(wmf.mean()), float(wmf.std()) or 1.0

    # --- tracks of the library ---------------------------------------------------------------------
    stats = track_stats(store)
    bans = Bans.from_store(store)  # never offered
    tracks = {int(t["id"]): t for t in iter_tracks(store) if int(t["id"]) not in bans.track_ids}
    rest_since = now - s.rest_days * 86400.0

    def resting(tid: int) -> bool:
        fb = taste.track_feedback.get(tid)
        return fb is not None and fb.last_completed is not None and fb.last_completed > rest_since

    ids, emb, tag_probs = load_analysis_matrix(store)
    row_of = {int(t): i for i, t in enumerate(ids)}
    candidates: list[int] = []
    for tid, t in tracks.items():
        artist = match.track_artist.get(tid)
        if artist is None:
            continue
        af = taste.artist_feedback.get(artist)
        if af is None or (af.preference == 0 and af.negative > 0):
            continue  # a mostly skipped artist is not something to hear next
        if (t.get("duration") or 0.0) < s.min_seconds:
            continue
        fb = taste.track_feedback.get(tid)
        if fb is not None and fb.score < 0:
            continue
        if (stats.get(tid, {}).get("play_count") or 0) > s.max_plays:
            continue
        if af.item is None and artist not in taste.audio_factors:
            continue  # neither the bundle nor the sound places it: no fit to rank by
        candidates.append(tid)
    vec = np.zeros((len(candidates), bundle.k))
    base = np.zeros(len(candidates))
    own = [tracks_vector(taste, match.track_artist[t], y) for t in candidates]
    for j, (v, item) in enumerate(own):
        vec[j] = v
        base[j] = float(scores[item]) if item is not None else (float(v @ taste.user_vector) - mu) / sd
    # Unknown artists: the track's own sound, through the bridge, refines its artist's position.
    unknown = [j for j, (_v, item) in enumerate(own) if item is None and candidates[j] in row_of]
    if unknown and "weights" in bundle.bridge and tag_probs.ndim == 2 and tag_probs.shape[1] == 50:
        from recommender.factors.bridge import predict_artist_factors

        pred = predict_artist_factors(tag_probs[[row_of[candidates[j]] for j in unknown]], bundle)
        m = s.track_artist_mix
        for j, p in zip(unknown, pred.astype(np.float64), strict=True):
            own_score = (float(p @ taste.user_vector) - mu) / sd
            base[j] = (1 - m) * base[j] + m * own_score
            vec[j] = (1 - m) * vec[j] + m * p
    # Closeness in sound to the tracks the user completes (the nearest one is named).
    audio_term = np.zeros(len(candidates))
    nearest: list[tuple[int, float] | None] = [None] * len(candidates)
    liked = [
        t for t, fb in taste.track_feedback.items() if fb.completions > 0 and fb.score > 0 and t in row_of
    ]
    if liked and len(ids):
        e = emb.astype(np.float64)
        e = e - e.mean(axis=0)
        e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        liked = sorted(liked, key=lambda t: -taste.track_feedback[t].score)[:200]
        lv = e[[row_of[t] for t in liked]]
        have = [j for j, t in enumerate(candidates) if t in row_of]
        if have:
            sims = e[[row_of[candidates[j]] for j in have]] @ lv.T
            for r, j in enumerate(have):
                row = sims[r]
                if candidates[j] in liked:
                    row = row.copy()
                    row[liked.index(candidates[j])] = -np.inf
                b = int(np.argmax(row))
                if np.isfinite(row[b]):
                    nearest[j] = (liked[b], float(row[b]))
                    audio_term[j] = float(row[b])
            audio_term[have] = zscore(audio_term[have])
    plays = np.array([stats.get(t, {}).get("play_count") or 0 for t in candidates], dtype=np.float64)
    fit = zscore(base) + s.audio_weight * audio_term - s.play_penalty * np.log1p(plays)
    contrib = (
        _contributors(taste, vec, ({match.track_artist[t]} for t in candidates), s.n_reasons)
        if len(candidates)
        else []
    )
    track_items: list[ForYouItem] = []
    for j, tid in enumerate(candidates):
        t = tracks[tid]
        artist = match.track_artist[tid]
        near = nearest[j]
        sound = None
        if near is not None and near[1] >= s.sounds_like_min:
            lt = tracks.get(near[0]) or {}
            la = match.track_artist.get(near[0])
            sound = sounds_like_reason(lt.get("title") or "?", la if la != artist else None)
        parts: list[str | None] = [NEVER_PLAYED if plays[j] == 0 else None, sound, taste_reason(contrib[j])]
        if not sound and not parts[2]:
            af = taste.artist_feedback[artist]
            if af.completions or af.positive > 0:
                parts.append(f"more by {artist}, which you play")
            elif af.item is None:
                parts.append(f"the sound of {artist} fits your taste")
            else:
                parts.append(f"{artist} fits your taste")
        track_items.append(
            ForYouItem(
                "track",
                t.get("title") or str(t.get("path")),
                artist,
                float(fit[j]),
                join_reasons(parts),
                [tid],
                int(plays[j]),
            )
        )
    track_items.sort(key=lambda it: (-it.score, it.track_ids[0]))
    rested = [it for it in track_items if resting(it.track_ids[0])]
    track_items = [it for it in track_items if not resting(it.track_ids[0])]

    # --- albums ------------------------------------------------------------------------------------
    def album_key(tid: int) -> tuple[str, str] | None:
        t = tracks[tid]
        artist = t.get("album_artist") or match.track_artist.get(tid) or ""
        return (artist.strip(), t["album"]) if t.get("album") else None

    size: dict[tuple[str, str], int] = {}
    resting_in: dict[tuple[str, str], int] = {}
    for tid in tracks:
        key = album_key(tid)
        if key is not None:
            size[key] = size.get(key, 0) + 1
            resting_in[key] = resting_in.get(key, 0) + resting(tid)
    groups: dict[tuple[str, str], list[ForYouItem]] = {}
    for it in track_items:
        key = album_key(it.track_ids[0])
        if key is not None:
            groups.setdefault(key, []).append(it)
    albums: list[ForYouItem] = []
    for key, items in groups.items():
        if len(items) < 2 or resting_in[key] > s.album_rest_share * size[key]:
            continue
        album_artist, album = key
        top = items[:3]  # already best first
        total = sum(i.plays for i in items)
        best = top[0].reason.replace(NEVER_PLAYED + "; ", "").replace(NEVER_PLAYED, "")
        lead = (
            f"new to you: {count_text(len(items))} never played"
            if total == 0
            else (f"{sum(1 for i in items if i.plays == 0)} of {count_text(len(items))} never played")
        )
        albums.append(
            ForYouItem(
                "album",
                album,
                album_artist or None,
                float(np.mean([i.score for i in top])),
                join_reasons([lead, best or None]),
                [i.track_ids[0] for i in sorted(items, key=lambda i: i.track_ids[0])],
                total,
            )
        )
    albums.sort(key=lambda it: -it.score)

    # --- artists to discover -----------------------------------------------------------------------
    owned = {af.item for af in taste.artist_feedback.values() if af.item is not None}
    allowed = np.asarray(bundle.popularity) >= s.min_support
    masked = np.where(allowed, scores, -np.inf)
    if owned:
        masked[list(owned)] = -np.inf
    masked[bans.items(bundle)] = -np.inf
    from recommender.ranking import top_k

    top = top_k(masked, (), n)
    dcontrib = _contributors(taste, y[top], (set() for _ in top), s.n_reasons) if len(top) else []
    artists = []
    for j, i in enumerate(top.tolist()):
        name = str(bundle.names[i])
        reason = taste_reason(dcontrib[j], discovery=True) or "close to your library's taste"
        artists.append(ForYouItem("artist", name, name, float(scores[i]), reason, [], 0, lastfm_link(name)))
    return ForYou(signal, summary, track_items, albums[:n], artists, matched, placed, played_tracks, rested)


def tracks_vector(taste: Taste, artist: str, y: np.ndarray) -> tuple[np.ndarray, int | None]:
    """A library artist's factor vector (bundle or audio-placed) and its bundle item (None if placed)."""
    af = taste.artist_feedback[artist]
    if af.item is not None:
        return y[af.item], af.item
    return np.asarray(taste.audio_factors[artist], dtype=np.float64), None


def _summary(signal: str, matched: int, placed: int, played: int, artists: int) -> str:
    if signal == "plays":
        return (
            f"From your plays of {count_text(played)} and your library of {count_text(artists, 'artist')} "
            f"({matched} known from listening data, {placed} placed by their sound)."
        )
    if signal == "library":
        return (
            f"From what you own: {matched} of your {artists} artists are known from listening data"
            f"{f', {placed} more placed by their sound' if placed else ''}. Play music to sharpen it."
        )
    return (
        f"From the sound of your library: {placed} of your {artists} artists placed by their audio"
        f"{f', {matched} known from listening data' if matched else ''}. Play music to sharpen it."
    )
