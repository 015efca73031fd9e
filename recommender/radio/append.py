"""The radio's start-up cache brought up to date with the tracks added, analysed, retagged, gone missing,
come back or moved since, not rebuilt.

Why: the cache (``recommender.radio.stored``) holds arrays derived from every track. Recomputing them for
100k tracks because one album was scanned cost the next radio start seconds (issue 25, item 1). The
library's change log (``player.store.changes``) says which tracks changed, so ``update`` adds the new
rows (tracks with ids above the cached ones: their codes, projected audio, top tags, match and factors)
and refreshes the rows of tracks analysed since, touching the rest only where an artist they share
changed (its factors, placed again from all its tracks, or its bundle item when a new credit matched).
Retagged tracks are patched in their rows first (``recommender.radio.retag``). A file gone missing or
back only flips its row in the missing mask (``Static.gone``, applied at load); a moved file changes
nothing but the folder words of its artist, so an artist the bundle lacks is placed again (a known one
keeps its bundle vector). A rescan that rewrote no column the recommender reads logs nothing
(``player.store.schema``, version 12).

What a full build computes over the whole library (the audio centre and axes, the z-score statistics,
the audio tags' mean) stays as the last full build left it (``Frozen``), so the result equals a full
build given those statistics (``load.full_static(store, bundle, frozen)``), bit for bit, which the tests
check. A full build happens instead when the log cannot say (trimmed, or a database without it), when a
cached track was deleted or lost its analysis, when the rows added, retagged or analysed since the last
full build pass ``GROWTH`` of it, when the cache has no audio statistics to place new analyses with, or
when the update fails (``load.static_part`` logs it).

API: ``update(static, store, bundle) -> Static | None`` (None: build in full).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.factors.bridge import place_from_store
from recommender.radio import retag
from recommender.radio.codes import (
    ALBUM_SEP,
    KeyCodes,
    album_codes,
    album_title_key,
    artist_key,
    plus_strings,
)
from recommender.radio.library import RadioLibrary
from recommender.radio.row_blocks import project_audio, taken_grown
from recommender.radio.shared_rows import SharedRows
from recommender.radio.stored import Static, set_tags

GROWTH = 0.25
"""Rows added, retagged in place, or analysed rows gained, since the last full build, as a share of its
rows (its analysed rows), past which the next load builds in full: the frozen statistics never describe
much less than the library (a first build while the analysis had done 30 tracks must not place the other
100k with them)."""

COLUMNS = (
    "id", "artist", "album_artist", "album", "genre", "duration", "title", "mb_artist_id", "mb_album_artist_id",
    "path", "missing",
)  # fmt: skip


def update(static: Static, store: Any, bundle: Any) -> Static | None:
    """``static`` with the tracks added, analysed, retagged, gone missing, back or moved since its log
    position, or None to build in full."""
    from player.store.changes import changes_since, log_position
    from player.store.tracks import track_columns

    seq = log_position(store)
    if static.seq is None or seq is None:
        return None
    changes = changes_since(store, static.seq)
    if changes is None:
        return None
    lib = static.library
    top = int(lib.track_ids.max()) if len(lib) else 0
    if not len(lib) or any(
        t <= top for what in ("removed", "unanalysed", "added") for t in changes.get(what, ())
    ):
        return None
    retagged = [t for t in changes.get("changed", ()) if t <= top]
    if static.retagged + len(retagged) > static.built_rows * GROWTH:
        return None  # the factor space's statistics stay the last full build's: not for a retagged library
    if retagged:  # names patched in their rows first; what was added or analysed since goes on top of them
        static = retag.retagged(static, store, bundle, retagged)
        if static is None:
            return None
        lib = static.library
    rows = track_columns(store, COLUMNS, order="id", after_id=top, include_missing=True)
    old_ids = np.array(sorted(t for t in changes.get("analysed", ()) if t <= top), dtype=np.int64)
    old_rows = lib.rows_of(old_ids)[0]
    gone = _flip_gone(static, store, {t for w in ("gone", "back") for t in changes.get(w, ()) if t <= top})
    moved = _moved_unplaced(static, bundle, [t for t in changes.get("moved", ()) if t <= top])
    if not rows and not len(old_rows) and not len(moved):
        built = (static.built_rows, static.built_analysed)
        return Static(lib, static.match, static.predicted, seq, *built, gone=gone, retagged=static.retagged)
    if len(lib) + len(rows) > static.built_rows * (1.0 + GROWTH):
        return None
    added = _Added(lib, rows)
    analysis = _analysis(store, lib, added.ids, old_rows)
    if analysis is None:
        return None
    out = added.library(analysis, old_rows)
    if out.has_audio is not None and int(out.has_audio.sum()) > static.built_analysed * (1.0 + GROWTH):
        return None  # the frozen audio statistics would describe too few of the analysed tracks
    match = static.match
    predicted = dict(static.predicted)
    if match is not None and bundle is not None:
        if rows:
            match = match.plus([(r[0], r[1], r[2], r[7], r[8]) for r in rows], bundle)
        _factors(
            store, bundle, out, match, predicted, added, np.concatenate([lib.track_ids[old_rows], moved])
        )
        _similarity(out, lib, bundle)
        predicted = {a: predicted[a] for a in match.unmatched if a in predicted}
    gone = np.concatenate([gone, np.array([bool(r[10]) for r in rows], dtype=bool)])
    built = (static.built_rows, static.built_analysed)
    return Static(out, match, predicted, seq, *built, gone=gone, retagged=static.retagged)


def _flip_gone(static: Static, store: Any, ids: set[int]) -> np.ndarray:
    """The cached missing mask with the rows of ``ids`` (cached tracks flagged missing or back since) set to
    their flag now."""
    from player.store.tracks import track_columns

    gone = static.gone.copy()
    if ids:
        flags = track_columns(store, ("id", "missing"), order="id", ids=sorted(ids), include_missing=True)
        rows, found = static.library.rows_of(np.array([f[0] for f in flags], dtype=np.int64))
        gone[rows] = np.array([bool(f[1]) for f in flags], dtype=bool)[found]
    return gone


def _moved_unplaced(static: Static, bundle: Any, ids: list[int]) -> np.ndarray:
    """Those of the cached tracks moved since (``ids``) whose artist the bundle lacks, so is placed partly by
    its files' folder names (``factors.genre``): their artist is placed again; a moved track of a known
    artist changes nothing."""
    match = static.match
    if not ids or match is None or bundle is None or getattr(bundle, "tag_names", None) is None:
        return np.zeros(0, dtype=np.int64)
    ids_a = np.array(sorted(ids), dtype=np.int64)
    artists = match.track_artist.artists_of(ids_a)
    keep = [a is not None and a not in match.artist_to_item for a in artists]
    return ids_a[np.array(keep, dtype=bool)]


class _Added:
    """The new tracks' plain columns, numbered into the cached library's artist, album and genre codes."""

    def __init__(self, lib: RadioLibrary, rows: list[tuple]) -> None:
        self.lib = lib
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        names = list(lib.artist_names)
        code_of = {artist_key(a): c for c, a in enumerate(names) if a is not None}
        pairs = lib.album_pairs or []
        new_pairs: list[str] = []
        pair_of = KeyCodes(pairs, new_pairs)
        genres = list(lib.genre_keys or ())
        genre_of = {g: j for j, g in enumerate(genres)}
        artist, album_key, genre = [], [], []
        for r in rows:
            credit = r[1] or r[2]
            key = artist_key(credit)
            if key is None:
                artist.append(len(names))
                names.append(None)
            else:
                code = code_of.get(key)
                if code is None:
                    code = code_of[key] = len(names)
                    names.append(credit.strip())
                artist.append(code)
            title = album_title_key(r[3])
            if title is None:
                album_key.append(-1)
            else:
                owner = str(r[2]).casefold() if r[2] else (key or "")
                album_key.append(pair_of.code(owner + ALBUM_SEP + title))
            g = artist_key(r[4])
            genre.append(-1 if g is None else genre_of.setdefault(g, len(genre_of)))
            if g is not None and len(genre_of) > len(genres):
                genres.append(g)
        self.names, self.pairs, self.genres = names, plus_strings(pairs, new_pairs), genres
        self.artist = np.array(artist, dtype=np.int64)
        self.album_key = np.array(album_key, dtype=np.int64)
        self.genre = np.array(genre, dtype=np.int64)
        self.duration = np.array([np.nan if r[5] is None else r[5] for r in rows], dtype=np.float64)
        self.titles = [r[6] for r in rows]

    def library(self, analysis: dict[str, Any], old_rows: np.ndarray) -> RadioLibrary:
        """The cached library with the new rows below it and the re-analysed rows refreshed."""
        lib, m = self.lib, len(self.ids)
        artist = np.concatenate([lib.artist, self.artist])
        album_key = np.concatenate([lib.album_key, self.album_key])
        values: dict[str, Any] = {}
        for name in ("audio", "has_audio", "tempo", "loudness", "top_tags"):
            new = analysis[name]
            if getattr(lib, name) is None:
                values[name] = None
                continue
            if name == "audio":  # the big one: the cached library's own, grown (``lib`` is not used again)
                merged = taken_grown(lib, name, new[:m])
            else:
                merged = np.concatenate([getattr(lib, name), new[:m]])
            merged[old_rows] = new[m:]
            values[name] = merged
        factors: dict[str, Any] = {}
        for name, fill in (("has_factors", False), ("factor_source", 0)):
            old = getattr(lib, name)
            factors[name] = None if old is None else np.concatenate([old, np.full(m, fill, old.dtype)])
        if lib.raw_factors is not None:  # new rows point at no vector until ``_factors`` matches them
            index = np.concatenate([lib.raw_factors.index, np.zeros(m, dtype=lib.raw_factors.index.dtype)])
            raw = SharedRows(lib.raw_factors.vectors, index)
            factors.update(raw_factors=raw, factors=SharedRows(lib.factors.vectors, index))
        item = None if lib.item is None else np.concatenate([lib.item, np.full(m, -1, dtype=lib.item.dtype)])
        out = RadioLibrary(
            track_ids=np.concatenate([lib.track_ids, self.ids]),
            artist=artist,
            album=album_codes(album_key, artist),
            artist_names=self.names,
            genre=np.concatenate([lib.genre, self.genre]),
            duration=np.concatenate([lib.duration, self.duration]),
            item=item,
            audio_mean=lib.audio_mean,
            audio_basis=lib.audio_basis,
            album_key=album_key,
            album_pairs=self.pairs,
            genre_keys=self.genres,
            tag_mean=lib.tag_mean,
            **factors,
            **values,
        )
        out.titles = plus_strings(lib.titles or [], self.titles)
        set_tags(out, out.top_tags)
        out.artist_similarity = lib.artist_similarity
        out._stats = dict(lib._stats)
        return out


def _analysis(
    store: Any, lib: RadioLibrary, new_ids: np.ndarray, old_rows: np.ndarray
) -> dict[str, Any] | None:
    """The new rows' analysis then the re-analysed rows', in the cached library's space; None when the
    cache cannot place them (no audio statistics yet, or a row that lost its analysis)."""
    from player.store.analysis import load_analysis_rows
    from recommender.radio.inputs import distinctive_tags

    ids = np.concatenate([new_ids, lib.track_ids[old_rows]])
    loaded = load_analysis_rows(store, ids, descriptors=("tempo", "loudness"), by_id=True)
    has = loaded.analysed
    if has.any() and (lib.audio is None or lib.audio_mean is None):
        return None  # the first analyses (or the first 20): a full build centres and projects them
    if lib.has_audio is not None and (lib.has_audio[old_rows] & ~has[len(new_ids) :]).any():
        return None
    out: dict[str, Any] = {"has_audio": has, **loaded.descriptors}
    if lib.audio is None:
        out["audio"] = None
        out["top_tags"] = None
        return out
    if loaded.embeddings is None:
        out["audio"] = np.zeros((len(ids), lib.audio.shape[1]), dtype=np.float32)
    else:
        places = np.concatenate([len(lib) + np.arange(len(new_ids)), old_rows])
        audio = project_audio(loaded.embeddings, lib.audio_mean, lib.audio_basis, places)
        audio[~has] = 0.0
        out["audio"] = audio
    if lib.top_tags is not None:
        if loaded.tags is None:
            out["top_tags"] = np.full((len(ids), lib.top_tags.shape[1]), -1, dtype=np.int16)
        else:
            out["top_tags"] = distinctive_tags(loaded.tags, has, lib.tag_mean)
    else:
        out["top_tags"] = None
    return out


def _factors(
    store: Any,
    bundle: Any,
    out: RadioLibrary,
    match: Any,
    predicted: dict[str, np.ndarray],
    added: _Added,
    old_ids: np.ndarray,
) -> None:
    """Set the factors of every row whose artist the new tracks (matched into ``match``) or a new analysis
    touched."""
    # The match is the cache's (``LibraryMatch.of_arrays``, or ``plus`` of it): its tracks are arrays.
    ids = np.concatenate([np.asarray(added.ids, dtype=np.int64), np.asarray(old_ids, dtype=np.int64)])
    touched = [a for a in dict.fromkeys(match.track_artist.artists_of(ids)) if a is not None]  # first seen
    tracks_of = {a: np.array(match.artist_tracks[a], dtype=np.int64) for a in touched}
    placed = place_from_store(store, bundle, match, [a for a in touched if a not in match.artist_to_item])
    item_factors = np.asarray(bundle.item_factors, dtype=np.float32)
    locals_ = {a: j for j, a in enumerate(match.artist_tracks)}
    raw = out.raw_factors
    vectors = np.zeros((len(locals_) + 1, bundle.k), dtype=np.float32)  # new artists: rows of zeros
    vectors[: len(raw.vectors)] = raw.vectors
    for a in touched:
        rows_a = out.rows_of(tracks_of[a])[0]
        item = match.artist_to_item.get(a, -1)
        predicted.pop(a, None)
        out.item[rows_a] = item
        if item >= 0:
            vector, source = item_factors[item], 1
        elif a in placed:
            vector, source = placed[a], 2
            predicted[a] = vector
        else:
            vector, source = np.zeros(bundle.k, dtype=np.float32), 0
        vectors[locals_[a] + 1] = vector
        raw.index[rows_a] = locals_[a] + 1
        out.has_factors[rows_a] = source > 0
        out.factor_source[rows_a] = source
    out.raw_factors = SharedRows(vectors, raw.index)
    out.factors = out.raw_factors.normalised()


def _similarity(out: RadioLibrary, lib: RadioLibrary, bundle: Any) -> None:
    """The co-listening between the library's artists: the cached one, padded for new artist codes, unless
    an artist code gained or changed its bundle item (then computed again)."""
    from recommender.csr import CsrRows
    from recommender.radio.scoring import artist_similarity, item_of_code

    before = item_of_code(lib.artist, lib.item, out.n_artist_codes)
    after = item_of_code(out.artist, out.item, out.n_artist_codes)
    sim = lib.artist_similarity
    if not np.array_equal(before, after) or sim is None:
        out.artist_similarity = artist_similarity(out.artist, out.item, bundle)
        return
    n = out.n_artist_codes
    indptr = np.concatenate([sim.indptr, np.full(n - sim.shape[0], sim.indptr[-1], dtype=sim.indptr.dtype)])
    out.artist_similarity = CsrRows(sim.data, sim.indices, indptr, (n, n))
