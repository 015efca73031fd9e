"""What each seed term of a prompt matches in the library: ``like:`` a song, ``artist:`` an artist's tracks
(album artists and a soundtrack's composers included), ``sounds:`` search by sound, ``tag:`` an analysis
tag, a genre from the files and a Last.fm tag; each as rows with weights, the pull a sound or tag adds,
and why a row fits, for the station's reasons.

Why a module of its own: ``recommender.prompt.resolve`` puts a prompt together (modifiers, filters,
exclusions, paths, the pool a station draws from); how one seed term is read is a job apart, and the one
that grows with each new way of reading a word.

API: ``TermContext(store, library)``, ``track_rows(ctx, prompt, term)``, ``fail(prompt, term, message)``,
and the constants below.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.prompt.grammar import Prompt, PromptError, Term

#: How many tracks one tag or sound term pulls toward at most (its best matches).
TERM_TRACKS = 40
#: How strongly a sound or tag term holds the station to it: its z-scored score times this, clipped.
PULL_WEIGHT = 1.0
PULL_CLIP = 3.0
#: A track "carries" a sound or tag term, for its reason, this many s.d. above the library's mean.
REASON_Z = 0.5
#: A track "is" an analysis tag (for ``-tag:``) when its probability is this many s.d. above the library's.
TAG_EXCLUDE_Z = 1.0
#: A track "sounds like" a ``-sounds:`` text when its search-by-sound score is at least this.
SOUNDS_EXCLUDE_SCORE = 1.0


class TermContext:
    """The library and what terms need from the store, read once per prompt and only when asked."""

    def __init__(self, store: Any, library: Any) -> None:
        self.store = store
        self.lib = library
        self._mood: Any = None
        self._row_of = {int(t): i for i, t in enumerate(library.track_ids.tolist())}
        self._artist_keys: list[str] | None = None
        self._album_artists: list[tuple[int, str, str]] = []
        self.pull: np.ndarray | None = None
        # Why a row fits, per term: (label, rows it names or None, z-scores of a sound/tag term or None).
        self.reasons: list[tuple[str, set[int] | None, np.ndarray | None]] = []

    def rows_of(self, track_ids: Any) -> np.ndarray:
        rows = [self._row_of[int(t)] for t in track_ids if int(t) in self._row_of]
        return np.asarray(sorted(set(rows)), dtype=np.int64)

    @property
    def mood(self) -> Any:
        if self._mood is None:
            from recommender.shaping.mood import MoodIndex

            self._mood = MoodIndex.from_store(self.store)
        return self._mood

    def artist_rows(self, name: str) -> tuple[np.ndarray, list[str]]:
        """Rows credited to ``name`` (loosely) as artist or album artist ("Wesnoth Project" for a
        soundtrack's composers), else to artists whose name contains it; and the names matched."""
        from player.text import loose

        if self._artist_keys is None:
            self._artist_keys = [loose(str(a)) if a is not None else "" for a in self.lib.artist_names]
            # Album artists, passed on to the album's tracks that lack one (a soundtrack tagged on most
            # files as "Wesnoth Project" and on a few not at all is still one album).
            rows = self.store.conn.execute("SELECT id, album, album_artist FROM tracks").fetchall()
            holder = {al: aa for _t, al, aa in rows if al and aa}
            self._album_artists = [
                (int(t), str(aa or holder[al]), loose(aa or holder[al]))
                for t, al, aa in rows
                if aa or (al and al in holder)
            ]
        key = " ".join(loose(name).split())
        for exact in (True, False):
            if not exact and len(key) < 3:
                break
            hit = (lambda k: k == key) if exact else (lambda k: key in k)
            codes = [c for c, k in enumerate(self._artist_keys) if hit(k)]
            names = [str(self.lib.artist_names[c]) for c in codes]
            by_album = [(t, a) for t, a, k in self._album_artists if hit(k)]
            names += sorted({a for _t, a in by_album} - set(names))
            album_rows = self.rows_of(t for t, _a in by_album)
            if len(album_rows):
                # An artist most of whose tracks are under the matched album artist belongs to it (a
                # soundtrack's composer, a band's member): their loose tracks match too.
                here, counts = np.unique(self.lib.artist[album_rows], return_counts=True)
                totals = np.bincount(self.lib.artist, minlength=self.lib.n_artist_codes)
                codes += [int(c) for c, k in zip(here, counts, strict=True) if k >= 0.5 * totals[c]]
            rows = np.union1d(np.flatnonzero(np.isin(self.lib.artist, codes)), album_rows)
            if len(rows):
                return rows.astype(np.int64), names
        return np.zeros(0, dtype=np.int64), []

    def add_pull(self, track_ids: np.ndarray, scores: np.ndarray, weight: float, label: str = "") -> None:
        """A sound or tag term's scores, z-scored over the tracks that have them and clipped to
        [-PULL_CLIP, PULL_CLIP], added to ``pull`` with the term's weight times ``PULL_WEIGHT``."""
        from recommender.ranking import zscore

        ok = np.isfinite(scores)
        if ok.sum() < 2:
            return
        z = np.clip(zscore(np.where(ok, scores, 0.0), ok), -PULL_CLIP, PULL_CLIP)
        if self.pull is None:
            self.pull = np.zeros(len(self.lib))
        row = np.asarray([self._row_of[int(t)] for t in track_ids.tolist()], dtype=np.int64)
        self.pull[row] += PULL_WEIGHT * weight * np.where(ok, z, 0.0)
        if label:
            full = np.zeros(len(self.lib))
            full[row] = np.where(ok, z, 0.0)
            self.reasons.append((label, None, full))

    def closest_artists(self, name: str) -> list[str]:
        import difflib

        names = [str(a) for a in self.lib.artist_names if a]
        return difflib.get_close_matches(name, names, n=3, cutoff=0.5)


def fail(prompt: Prompt, term: Term, message: str) -> PromptError:
    return PromptError(message, prompt.text, term.start, term.end - term.start)


def track_rows(ctx: TermContext, prompt: Prompt, term: Term) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows a like/artist/tag/sounds term matches, their weights (summing to 1) and how it was read."""
    if term.kind == "like":
        from player.store.tracks import find_track

        track = find_track(ctx.store, term.value)
        rows = ctx.rows_of([track["id"]]) if track else np.zeros(0, dtype=np.int64)
        if not len(rows):
            raise fail(prompt, term, f"no track in your library matches {term.value!r}")
        shown = f"{track.get('artist') or '?'} - {track.get('title') or track['path']}"
        return rows, np.ones(1), f"the song {shown}"
    if term.kind == "artist":
        rows, names = ctx.artist_rows(term.value)
        if not len(rows):
            close = ctx.closest_artists(term.value)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise fail(prompt, term, f"no artist in your library is called {term.value!r}{hint}")
        return rows, np.full(len(rows), 1.0 / len(rows)), f"{len(rows)} tracks by {', '.join(names[:3])}"
    if term.kind == "sounds":
        return sound_rows(ctx, prompt, term, term.value, "sound like")
    return tag_rows(ctx, prompt, term)


def sound_rows(
    ctx: TermContext, prompt: Prompt, term: Term, text: str, label: str, only_tag: bool = False
) -> tuple[np.ndarray, np.ndarray, str]:
    from recommender.shaping.mood import MoodError, parse_mood

    try:
        query = parse_mood(text)
    except MoodError as exc:
        raise fail(prompt, term, str(exc)) from None
    mood = ctx.mood
    if not len(mood):
        raise fail(prompt, term, f"{term.kind}: needs analysed tracks: run `encore analyze` first")
    scores = mood.scores(query)
    in_lib = np.asarray([int(t) in ctx._row_of for t in mood.track_ids.tolist()], dtype=bool)
    if term.negated:
        cut = TAG_EXCLUDE_Z if only_tag else SOUNDS_EXCLUDE_SCORE
        hit = np.flatnonzero(in_lib & (scores >= cut))
        return (
            ctx.rows_of(mood.track_ids[hit]),
            np.zeros(len(hit)),
            f"{len(hit)} tracks that {label} {text!r}",
        )
    reason = f"carries the tag {text!r}" if only_tag else f"sounds like {text!r}"
    ctx.add_pull(mood.track_ids[in_lib], scores[in_lib], term.weight, reason)
    order = np.argsort(-np.where(in_lib, scores, -np.inf), kind="stable")[:TERM_TRACKS]
    order = order[np.isfinite(scores[order]) & (scores[order] > 0) & in_lib[order]]
    if not len(order):
        raise fail(prompt, term, f"no analysed track {label} {text!r}")
    rows = np.asarray([ctx._row_of[int(t)] for t in mood.track_ids[order].tolist()], dtype=np.int64)
    weights = scores[order] / scores[order].sum()
    return rows, weights, f"the {len(rows)} tracks that {label} {text!r} most ({query.describe()})"


def tag_rows(ctx: TermContext, prompt: Prompt, term: Term) -> tuple[np.ndarray, np.ndarray, str]:
    """A tag is read three ways, each that applies sharing the term's weight: an analysis tag (by sound),
    a genre word in the files' own tags, and a Last.fm tag of the factor bundle (artists near it in taste
    space, ``recommender.prompt.lastfm_tags``)."""
    from player.store.smart import smart_track_ids, tag_vocabulary
    from player.text import fold

    value = term.value.replace("_", " ")
    readings: list[tuple[np.ndarray, np.ndarray, str]] = []
    unanswered: PromptError | None = None
    tags = {fold(t): t for t in tag_vocabulary()}
    if fold(value) in tags:
        try:
            readings.append(sound_rows(ctx, prompt, term, tags[fold(value)], "carry the tag", only_tag=True))
        except PromptError as exc:
            unanswered = exc  # not analysed yet: the other readings may still answer
    genre_ids = smart_track_ids(
        ctx.store, {"match": "all", "conditions": [{"field": "genre", "op": "contains", "value": value}]}
    )
    genre_rows = ctx.rows_of(genre_ids)
    if len(genre_rows):
        if not term.negated:
            if ctx.pull is None:
                ctx.pull = np.zeros(len(ctx.lib))
            ctx.pull[genre_rows] += PULL_WEIGHT * term.weight  # the file says so: one s.d. of pull
        share = np.zeros(len(genre_rows)) if term.negated else np.full(len(genre_rows), 1.0 / len(genre_rows))
        readings.append((genre_rows, share, f"{len(genre_rows)} tracks whose genre says {value!r}"))
    lastfm = lastfm_rows(ctx, term, value)
    if lastfm is not None:
        readings.append(lastfm)
    if not readings and unanswered is not None:
        raise unanswered
    if not readings:
        from recommender.prompt.lastfm_tags import closest_lastfm_tags

        close = closest_lastfm_tags(value)
        hint = f" (closest Last.fm tags: {', '.join(close)})" if close else ""
        raise fail(
            prompt,
            term,
            f"no track carries the tag {value!r}: use one of the 50 analysis tags (encore smart fields), "
            f"a genre from your files or a Last.fm tag{hint}",
        )
    rows = np.concatenate([r for r, _w, _s in readings])
    weights = np.concatenate([w / len(readings) for _r, w, _s in readings])
    return rows, weights, " and ".join(s for _r, _w, s in readings)


def lastfm_rows(ctx: TermContext, term: Term, value: str) -> tuple[np.ndarray, np.ndarray, str] | None:
    """The Last.fm reading of a tag term: its pull (z-scored cosine), the nearest rows as seeds, or for
    ``-tag:`` the rows clearly near it; None when the bundle has no such tag."""
    from recommender.prompt.lastfm_tags import EXCLUDE_Z, read_lastfm_tag

    tag = read_lastfm_tag(value, ctx.lib)
    if tag is None:
        return None
    z = tag.z()
    if term.negated:
        rows = np.flatnonzero(z >= EXCLUDE_Z)
        return rows, np.zeros(len(rows)), f"{len(rows)} tracks by artists near the Last.fm tag {tag.name!r}"
    ok = np.isfinite(tag.cosine)
    ctx.add_pull(ctx.lib.track_ids[ok], tag.cosine[ok], term.weight, f"near the Last.fm tag {tag.name!r}")
    order = np.argsort(-np.where(ok, z, -np.inf), kind="stable")[:TERM_TRACKS]
    order = order[ok[order] & (z[order] > 0)]
    if not len(order):
        return None
    weights = z[order] / z[order].sum()
    near = ", ".join(tag.near_artists(ctx.lib, order))
    return (
        order.astype(np.int64),
        weights,
        f"the {len(order)} tracks by artists nearest the Last.fm tag {tag.name!r} ({near})",
    )
