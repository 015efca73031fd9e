"""A parsed prompt (``recommender.prompt.grammar``) matched against the library: which tracks each seed
term pulls toward, which rows the filters and exclusions leave out, and a line per term saying how it
was understood (``--explain``).

Each term is answered by the part of Encore that already answers it, so a prompt means what the rest of
the app means: ``like:`` is the CLI's track lookup (``find_track``), ``sounds:`` and analysis tags are
search by sound (``MoodIndex``), a files' genre is the smart playlists' ``genre contains``, and every
filter (``year:``, ``tempo:``, ``plays:``, any analysis tag, ``added:``...) *is* a smart-playlist
condition, compiled to SQL by ``player.store.smart``; banned tracks and artists are never in the
library the station plans from. Names match as the library's search does (``player.text.loose``:
case, Unicode form and accents ignored).

API: ``ResolvedPrompt``, ``resolve_prompt``, ``filter_fields``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommender.prompt.grammar import Prompt, PromptError, Term, parse_prompt

#: How many tracks one tag or sound term pulls toward at most (its best matches).
TERM_TRACKS = 40
#: How strongly a sound or tag term holds the station to it: its z-scored score times this, clipped.
PULL_WEIGHT = 1.0
PULL_CLIP = 3.0
#: Fewest tracks a station of sounds and tags draws from (else the best-carrying this many).
MIN_SOUND_POOL = 25
#: A track "carries" a sound or tag term, for its reason, this many s.d. above the library's mean.
REASON_Z = 0.5
#: A prompt of filters only starts from the centroid of up to this many of the tracks they keep.
FILTER_SEEDS = 2000
#: A track "is" an analysis tag (for ``-tag:``) when its probability is this many s.d. above the library's.
TAG_EXCLUDE_Z = 1.0
#: A track "sounds like" a ``-sounds:`` text when its search-by-sound score is at least this.
SOUNDS_EXCLUDE_SCORE = 1.0

_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")
_COMPARE = re.compile(r"^\s*(<=|>=|!=|<|>|=)\s*(.+)$")


def filter_fields() -> tuple[str, ...]:
    """The names a prompt accepts as filters: every smart-playlist field and analysis tag (a tag with
    spaces written with underscores)."""
    from player.store.smart import FIELDS, tag_vocabulary

    return (*FIELDS, *(t.replace(" ", "_") for t in tag_vocabulary()))


@dataclass
class ResolvedPrompt:
    """What a prompt means in this library: ``seeds`` (track id -> weight), ``excluded`` (bool per
    library row: never planned), the ``path`` ends and waypoints (track ids) when it is a path, and one
    ``explain`` line per term."""

    prompt: Prompt
    seeds: dict[int, float] = field(default_factory=dict)
    excluded: np.ndarray | None = None
    pull: np.ndarray | None = None
    path: list[int] | None = None
    explain: list[str] = field(default_factory=list)
    reasons: list[tuple[str, set[int] | None, np.ndarray | None]] = field(default_factory=list)

    def why(self, row: int) -> str:
        """Why a library row fits the prompt, for the station's reasons: the first term in the prompt
        that names it ("Muldjord, as you asked") or that it carries clearly ("sounds like 'calm'")."""
        for label, rows, z in self.reasons:
            if rows is not None and row in rows:
                return label
            if z is not None and z[row] >= REASON_Z:
                return label
        return "sounds close to what the prompt asks for"

    @property
    def seed_track_id(self) -> int | None:
        """The seed with the most weight: the one the station's reasons name."""
        return max(self.seeds, key=lambda t: (self.seeds[t], -t)) if self.seeds else None


class _Context:
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


def _fail(prompt: Prompt, term: Term, message: str) -> PromptError:
    return PromptError(message, prompt.text, term.start, term.end - term.start)


def _track_rows(ctx: _Context, prompt: Prompt, term: Term) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows a like/artist/tag/sounds term matches, their weights (summing to 1) and how it was read."""
    if term.kind == "like":
        from player.store.tracks import find_track

        track = find_track(ctx.store, term.value)
        rows = ctx.rows_of([track["id"]]) if track else np.zeros(0, dtype=np.int64)
        if not len(rows):
            raise _fail(prompt, term, f"no track in your library matches {term.value!r}")
        shown = f"{track.get('artist') or '?'} - {track.get('title') or track['path']}"
        return rows, np.ones(1), f"the song {shown}"
    if term.kind == "artist":
        rows, names = ctx.artist_rows(term.value)
        if not len(rows):
            close = ctx.closest_artists(term.value)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise _fail(prompt, term, f"no artist in your library is called {term.value!r}{hint}")
        return rows, np.full(len(rows), 1.0 / len(rows)), f"{len(rows)} tracks by {', '.join(names[:3])}"
    if term.kind == "sounds":
        return _sound_rows(ctx, prompt, term, term.value, "sound like")
    return _tag_rows(ctx, prompt, term)


def _sound_rows(
    ctx: _Context, prompt: Prompt, term: Term, text: str, label: str, only_tag: bool = False
) -> tuple[np.ndarray, np.ndarray, str]:
    from recommender.shaping.mood import MoodError, parse_mood

    try:
        query = parse_mood(text)
    except MoodError as exc:
        raise _fail(prompt, term, str(exc)) from None
    mood = ctx.mood
    if not len(mood):
        raise _fail(prompt, term, f"{term.kind}: needs analysed tracks: run `encore analyze` first")
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
        raise _fail(prompt, term, f"no analysed track {label} {text!r}")
    rows = np.asarray([ctx._row_of[int(t)] for t in mood.track_ids[order].tolist()], dtype=np.int64)
    weights = scores[order] / scores[order].sum()
    return rows, weights, f"the {len(rows)} tracks that {label} {text!r} most ({query.describe()})"


def _tag_rows(ctx: _Context, prompt: Prompt, term: Term) -> tuple[np.ndarray, np.ndarray, str]:
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
            readings.append(_sound_rows(ctx, prompt, term, tags[fold(value)], "carry the tag", only_tag=True))
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
    lastfm = _lastfm_rows(ctx, term, value)
    if lastfm is not None:
        readings.append(lastfm)
    if not readings and unanswered is not None:
        raise unanswered
    if not readings:
        from recommender.prompt.lastfm_tags import closest_lastfm_tags

        close = closest_lastfm_tags(value)
        hint = f" (closest Last.fm tags: {', '.join(close)})" if close else ""
        raise _fail(
            prompt,
            term,
            f"no track carries the tag {value!r}: use one of the 50 analysis tags (encore smart fields), "
            f"a genre from your files or a Last.fm tag{hint}",
        )
    rows = np.concatenate([r for r, _w, _s in readings])
    weights = np.concatenate([w / len(readings) for _r, w, _s in readings])
    return rows, weights, " and ".join(s for _r, _w, s in readings)


def _lastfm_rows(ctx: _Context, term: Term, value: str) -> tuple[np.ndarray, np.ndarray, str] | None:
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


def _condition(prompt: Prompt, term: Term) -> list[dict[str, Any]]:
    """A filter term as smart-playlist conditions: ``year:1990-1999`` is two, ``tempo:<110`` one,
    ``genre:(contains rock)`` / ``added:(within 30)`` their own words, a bare text value ``contains``."""
    from player.store.smart import SmartRuleError, parse_condition

    name = term.kind.replace("_", " ")
    value = term.value.strip()
    texts: list[str] = []
    span = _RANGE.match(value)
    compare = _COMPARE.match(value)
    if span:
        texts = [f"{name} >= {span.group(1)}", f"{name} <= {span.group(2)}"]
    elif compare:
        texts = [f"{name} {compare.group(1)} {compare.group(2)}"]
    elif re.match(r"^-?\d+(?:\.\d+)?$", value):
        texts = [f"{name} = {value}"]
    elif re.match(r"^(is not|is|contains|not contains|starts with|within|not within)\b", value):
        texts = [f"{name} {value}"]
    else:
        texts = [f"{name} contains {value}"]
    try:
        return [parse_condition(t) for t in texts]
    except SmartRuleError as exc:
        raise _fail(prompt, term, str(exc)) from None


def _modifier_rows(ctx: _Context, word: str) -> tuple[np.ndarray, str]:
    """Rows a modifier keeps: ``unplayed`` never-played tracks, ``loved`` loved tracks (or of a loved
    artist), ``new`` artists never finished here, ``familiar`` artists finished before."""
    from player.store.ratings import loved_track_ids
    from player.store.smart import smart_track_ids

    lib = ctx.lib
    n = len(lib)
    if word == "unplayed":
        ids = smart_track_ids(
            ctx.store, {"match": "all", "conditions": [{"field": "play_count", "op": "=", "value": 0}]}
        )
        return ctx.rows_of(ids), "tracks never played"
    if word == "loved":
        return ctx.rows_of(loved_track_ids(ctx.store)), "loved tracks (and tracks of loved artists)"
    done = lib.artist_completions
    finished = np.zeros(n, dtype=bool) if done is None else np.asarray(done)[lib.artist] > 0
    if word == "new":
        return np.flatnonzero(~finished), "artists you have not finished a track of"
    return np.flatnonzero(finished), "artists you have finished tracks of"


def resolve_prompt(text: str, store: Any, library: Any) -> ResolvedPrompt:
    """Parse ``text`` and match it against ``library`` (a ``RadioLibrary``; banned tracks are already
    out of it). Raises ``PromptError`` (with the position of the term) when a term matches nothing or
    the filters leave nothing to play."""
    prompt = parse_prompt(text, filter_fields())
    ctx = _Context(store, library)
    n = len(library)
    out = ResolvedPrompt(prompt, excluded=np.zeros(n, dtype=bool))
    keep = np.ones(n, dtype=bool)
    conditions: list[dict[str, Any]] = []
    filter_terms: list[Term] = []
    for term in prompt.terms:
        shown = term.text(prompt.text)
        if term.kind == "modifier":
            rows, said = _modifier_rows(ctx, term.value)
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            keep &= mask
            out.explain.append(f"{shown}: only {said} ({len(rows)} tracks)")
        elif term.kind in ("like", "artist", "tag", "sounds"):
            rows, weights, said = _track_rows(ctx, prompt, term)
            if term.negated:
                out.excluded[rows] = True
                out.explain.append(f"{shown}: never {said}")
                continue
            for r, w in zip(rows.tolist(), weights.tolist(), strict=True):
                tid = int(library.track_ids[r])
                out.seeds[tid] = out.seeds.get(tid, 0.0) + term.weight * w
            weight = f", weight {term.weight:g}" if term.weight != 1 else ""
            out.explain.append(f"{shown}: toward {said}{weight}")
            if term.kind in ("like", "artist"):
                named = "the song you named" if term.kind == "like" else f"{term.value}, as you asked"
                ctx.reasons.append((named, set(rows.tolist()), None))
        elif term.kind in ("from", "via", "to"):
            continue
        else:
            found = _condition(prompt, term)
            conditions.extend(found)
            filter_terms.append(term)
            from player.store.smart import describe_condition

            out.explain.append(
                f"{shown}: only tracks with {' and '.join(describe_condition(c) for c in found)}"
            )
    if conditions:
        from player.store.smart import smart_track_ids

        ids = smart_track_ids(store, {"match": "all", "conditions": conditions})
        mask = np.zeros(n, dtype=bool)
        mask[ctx.rows_of(ids)] = True
        keep &= mask
    if ctx.pull is not None and prompt.of("sounds", "tag", negated=False):
        # Sounds and tags hold the station: it draws from the tracks that carry them at least as much as
        # the library's average track (a favourite artist's death metal is no "ambient", however often
        # it is finished), and from the songs and artists the prompt names.
        carries = ctx.pull >= 0
        need = min(n, max(MIN_SOUND_POOL, int(0.1 * n)))
        if carries.sum() < need:
            carries = ctx.pull >= np.sort(ctx.pull)[-need]
        named = [int(library.row(t)) for t, w in out.seeds.items() if w > 0 and ctx.pull[library.row(t)] < 0]
        carries[named] = True
        keep &= carries
        out.explain.append(
            f"kept to the {int((carries & keep).sum())} tracks that carry these sounds and tags"
        )
    out.excluded |= ~keep
    out.pull = ctx.pull
    out.reasons = ctx.reasons
    if prompt.of("from"):
        out.path = [
            _path_end(ctx, prompt, t) for t in (*prompt.of("from"), *prompt.of("via"), *prompt.of("to"))
        ]
        out.explain.insert(0, f"a path through {len(out.path)} songs")
    if not out.path and (~out.excluded).sum() == 0:
        raise PromptError(
            "nothing in your library is left to play after these filters and exclusions", text, 0, len(text)
        )
    if not out.path and not out.seeds:
        # Filters alone: the station starts from what the filters keep, weighted alike.
        free = np.flatnonzero(~out.excluded)
        free = free[np.linspace(0, len(free) - 1, min(len(free), FILTER_SEEDS)).astype(np.int64)]
        out.seeds = {int(library.track_ids[r]): 1.0 / len(free) for r in free.tolist()}
        out.explain.append(
            f"no seed term: the station starts among the {int((~out.excluded).sum())} tracks the filters keep"
        )
    return out


def _path_end(ctx: _Context, prompt: Prompt, term: Term) -> int:
    from player.store.tracks import find_track

    track = find_track(ctx.store, term.value)
    if track is None or not len(ctx.rows_of([track["id"]])):
        raise _fail(prompt, term, f"no track in your library matches {term.value!r}")
    return int(track["id"])


def read_prompt(text: str, store: Any, library: Any) -> ResolvedPrompt | PromptError:
    """``resolve_prompt``, with a prompt the library cannot answer returned as its ``PromptError`` rather
    than raised: what a station session's worker hands back (``RadioSession(resolve=...)``)."""
    try:
        return resolve_prompt(text, store, library)
    except PromptError as exc:
        return exc
