"""A parsed prompt (``recommender.prompt.grammar``) matched against the library: which tracks each seed
term pulls toward, which rows the filters and exclusions leave out, and a line per term saying how it
was understood (``--explain``).

Each term is answered by the part of Encore that already answers it, so a prompt means what the rest of
the app means: ``like:`` is the CLI's track lookup (``find_track``), ``sounds:`` and analysis tags are
search by sound (``MoodIndex``), a files' genre is the smart playlists' ``genre contains``, a Last.fm tag
is where the taste model places it (``recommender.prompt.lastfm_tags``; each seed term is read in
``recommender.prompt.terms``), and every
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
from recommender.prompt.terms import REASON_Z, TermContext, fail, track_rows

#: Fewest tracks a station of sounds and tags draws from (else the best-carrying this many).
MIN_SOUND_POOL = 25
#: A prompt of filters only starts from the centroid of up to this many of the tracks they keep.
FILTER_SEEDS = 2000

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
        raise fail(prompt, term, str(exc)) from None


def _modifier_rows(ctx: TermContext, word: str) -> tuple[np.ndarray, str]:
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
    ctx = TermContext(store, library)
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
            rows, weights, said = track_rows(ctx, prompt, term)
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


def _path_end(ctx: TermContext, prompt: Prompt, term: Term) -> int:
    from player.store.tracks import find_track

    track = find_track(ctx.store, term.value)
    if track is None or not len(ctx.rows_of([track["id"]])):
        raise fail(prompt, term, f"no track in your library matches {term.value!r}")
    return int(track["id"])


def read_prompt(text: str, store: Any, library: Any) -> ResolvedPrompt | PromptError:
    """``resolve_prompt``, with a prompt the library cannot answer returned as its ``PromptError`` rather
    than raised: what a station session's worker hands back (``RadioSession(resolve=...)``)."""
    try:
        return resolve_prompt(text, store, library)
    except PromptError as exc:
        return exc
