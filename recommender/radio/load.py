"""``load_library(store)``: the store's library as a ``RadioLibrary``, fast enough for 100k tracks.

Why a module of its own: this is what the user waits for before the first radio track, so it is
written for speed (issue 12, item 13) and split in two:

- the **static** part (tracks, audio analysis projected on its principal axes, the artist match,
  factors, audio-predicted factors, co-listening between the library's artists, the similarity
  z-score statistics) depends only on the library, its analysis and the bundle. It is computed over
  every track, banned ones and those whose file is missing included, and the bans and the missing files
  are applied as a row mask at every load (``RadioLibrary.rows``), so a ban, an unban or an unplugged
  drive never throws the cache away (issue 25, item 1); a missing file's sound and plays still describe
  its artist, so unplugging a drive moves no artist and no taste. It is read
  as plain tuples, names are folded once per distinct name, artists matched once per distinct credit,
  the analysis read in chunks straight into arrays, and the result is kept on disk
  (``recommender.radio.cache`` names it, ``recommender.radio.stored`` writes and checks its arrays)
  so the next start reads a few arrays instead of recomputing; tracks added or analysed since are
  added to it as rows (``recommender.radio.append``) rather than recomputing every track;
- the **dynamic** part (the bans, recency and the fold-in taste) is recomputed at every load.

``tests/radio_reference.py`` keeps the old row-at-a-time loader; ``tests/test_radio_loading.py``
checks that both give the same arrays bit for bit, with and without the cache, and so the same picks.

API: ``load_library(store, *, bundle=None, taste=True, now=None, parts=None, keep=())``; ``static_part(store,
bundle)`` (the static part alone, from the cache, brought up to date or built: ``similar`` derives its index
from it); ``full_static(store, bundle, frozen=None)`` (computed over every track)
(``recommender.similar.prewarm`` fills the caches right after an analysis).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from recommender.factors.bridge import bridge_unmatched, rows_by_artist
from recommender.factors.bundle_file import load_bundle
from recommender.factors.genre import vocabulary_of
from recommender.radio import append, cache, stored
from recommender.radio.inputs import distinctive_tags, library_tag_mean, row_taste_scores, user_taste
from recommender.radio.library import LibraryParts, RadioLibrary
from recommender.radio.shared_rows import artist_rows
from recommender.radio.stored import Frozen, Static, set_tags

log = logging.getLogger(__name__)

AUDIO_WRITE_WAIT_S = 2.0
"""How long a load that brought the cache up to date waits for the audio rows to be in the file before it
copies them instead (a million rows are 256 MB: about 0.1 s to a local disk's page cache)."""

MAX_SESSION_HOURS = 24.0
"""How far back the skips that may rest in a new station are read (``RadioSettings.session_hours`` picks
the ones inside the listening session; a longer setting counts no further back than this)."""


def load_library(
    store: Any,
    *,
    bundle: Any = None,
    taste: np.ndarray | None | bool = True,
    now: float | None = None,
    parts: LibraryParts | None = None,
    keep: Sequence[int] = (),
) -> RadioLibrary:
    """The store's library as a ``RadioLibrary``: tracks, audio analysis, artist factors and taste.

    ``bundle``: a factor bundle, or None for the shipped one (left out if there is none). Artists the
    bundle does not know get factors predicted from their tracks' audio tags through the bridge.
    ``taste``: True computes the user's fold-in from the plays (at time ``now``), an array is used as
    is, False/None leaves taste out. Parts that are not available (no analysis yet, no bundle) are
    simply left out; the station then works from what there is, down to genre/album/artist metadata.
    Fill ``parts`` to get the bundle and match back. Banned tracks and artists (``player.store.ratings``)
    are left out, so no station can play them, except the tracks in ``keep`` (a seed the user chose).
    """
    from player.store.plays import track_stats
    from player.store.ratings import banned_track_ids

    parts = parts if parts is not None else LibraryParts()
    banned = banned_track_ids(store).difference(int(t) for t in keep)
    if bundle is None:
        bundle = load_bundle(or_none=True)
    static, parts.cache = static_part(store, bundle)
    library = static.library
    if static.match is not None:
        parts.bundle, parts.match = bundle, static.match
    parts.predicted_artists = static.predicted
    user = None
    if not isinstance(taste, np.ndarray) and taste and bundle is not None:
        # The fold-in reads no row of the library: computed while the writer thread (if the static part
        # was brought up to date) writes the audio rows that the mask below moves.
        user = user_taste(store, bundle, match=parts.match, now=now, audio_factors=static.predicted)
    if banned or static.gone.any():  # a mask over the cached rows: the station never sees a banned track
        # (but a kept seed) nor one whose file is missing
        hidden = static.gone.copy()
        if banned:
            hidden |= np.isin(library.track_ids, np.fromiter(banned, np.int64, len(banned)))
        # Used by this load only: moved in place, once in the file if it is being written behind (256 MB
        # at a million tracks not copied at the peak); a disk too slow for that gets a copy instead.
        in_place = parts.cache == "cache" or cache.array_saved(
            store, "radio", "lib_audio", AUDIO_WRITE_WAIT_S
        )
        library = library.rows(~hidden, in_place=in_place)
    parts.analysed = int(library.has_audio.sum()) if library.has_audio is not None else 0
    # Recency: from the plays, at every load.
    n = len(library)
    last_played = np.full(n, np.nan)
    completions = np.zeros(n)
    skips = np.zeros(n)
    stats = track_stats(store)
    if stats and n:
        s_rows, s_found = library.rows_of(np.fromiter(stats, dtype=np.int64, count=len(stats)))
        values = list(stats.values())
        lp = np.array([np.nan if v.get("last_played") is None else float(v["last_played"]) for v in values])
        done = np.array([float(v.get("completions") or 0) for v in values])
        skipped = np.array([float(v.get("skips") or 0) for v in values])
        last_played[s_rows] = lp[s_found]
        completions[s_rows] = done[s_found]
        skips[s_rows] = skipped[s_found]
    library.last_played = last_played
    from player.store.plays import skipped_since

    at = time.time() if now is None else float(now)
    library.recent_skips = skipped_since(store, at - MAX_SESSION_HOURS * 3600.0)
    if n:
        library.artist_completions = np.bincount(library.artist, weights=completions)
        library.artist_skips = np.bincount(library.artist, weights=skips)
    taste_vec, evidence, basis = None, None, None
    library.taste_scores = None
    if isinstance(taste, np.ndarray):
        taste_vec = taste
    elif user is not None:
        taste_vec, evidence, basis = user.vector, user.evidence, user.basis
        library.taste_scores = row_taste_scores(library, user, bundle)
    library.taste_basis = basis
    library.taste = None if taste_vec is None else np.asarray(taste_vec, dtype=np.float32)
    library.taste_evidence = evidence
    return library


def static_part(store: Any, bundle: Any) -> tuple[Static, str]:
    """The static part and how it was had: "cache" (read as saved), "appended" (a stale cache brought up
    to date from the change log, ``recommender.radio.append``) or "built" (computed over every track);
    the file is rewritten unless read as saved."""
    from player.store.changes import log_position

    key = cache.fingerprint(store, "radio", bundle)
    static = stored.from_arrays(cache.load(store, "radio", key), bundle)
    if static is not None:
        return static, "cache"
    base = cache.base_fingerprint(store, "radio", bundle)
    how = "appended"
    stale = stored.from_arrays(cache.load_stale(store, "radio", base), bundle)
    static = None
    if stale is not None:
        try:
            static = append.update(stale, store, bundle)
        except Exception:  # a cache is an optimisation: a failed update builds in full and overwrites it
            log.warning("the radio's start-up cache could not be brought up to date", exc_info=True)
    if static is None:  # none yet, another code or bundle, or changes the log cannot add: every track
        how, seq = "built", log_position(store)  # read first: what changes during the build is added later
        static = full_static(store, bundle)
        has = static.library.has_audio
        static.seq, static.built_rows = seq, len(static.library)
        static.built_analysed = int(has.sum()) if has is not None else 0
    if key is not None:
        cache.save(store, "radio", key, {**stored.to_arrays(static), "meta_base": np.array(base or "")})
    return static, how


def full_static(store: Any, bundle: Any, frozen: Frozen | None = None) -> Static:
    """Everything that depends on neither the plays, the bans nor which files are missing, computed from
    the store (every track, missing ones too, in id order, so rows added later come last). ``frozen``: the
    library-wide statistics of the last full build to use instead of this library's own, which is what
    ``recommender.radio.append`` keeps after adding rows (the reference its bit-for-bit tests compare
    against)."""
    from player.store.analysis import load_analysis_rows
    from player.store.tracks import track_columns

    # The tracks table, read once: the library's columns and the artist match's (by id).
    columns = ("id", "artist", "album_artist", "album", "genre", "duration", "title")
    match_columns = ("mb_artist_id", "mb_album_artist_id", "path", "missing")
    every = track_columns(store, columns + match_columns, order="id", include_missing=True)
    n = len(every)
    # As columns, in one pass: rows regrouped into tuples cost 0.12 s at 100k tracks.
    (
        ids_t,
        artist_col,
        album_artist_col,
        album_col,
        genre_col,
        duration_col,
        title_col,
        mb_a,
        mb_aa,
        paths,
        gone,
    ) = zip(*every, strict=True) if every else ((),) * (len(columns) + len(match_columns))
    del every
    gone = np.array(gone, dtype=bool)
    ids = np.array(ids_t, dtype=np.int64)
    # The analysis table, read once: audio and descriptors straight into row order.
    loaded = load_analysis_rows(store, ids, descriptors=("tempo", "loudness"))
    audio, tag_probs, has_audio = loaded.embeddings, loaded.tags, loaded.analysed
    have_analysis = audio is not None
    if not have_analysis:
        has_audio = None
    tempo, loudness = loaded.descriptors["tempo"], loaded.descriptors["loudness"]
    del loaded
    # Factors: the bundle's artist vectors, else placed by the audio bridge and the files' genre words.
    factors = has_factors = source = match = None
    item_of_row = np.full(n, -1, dtype=np.int64)
    predicted: dict[str, np.ndarray] = {}
    if bundle is not None:
        from recommender.factors.match import match_rows

        match = match_rows(zip(ids_t, artist_col, album_artist_col, mb_a, mb_aa, strict=True), bundle)
        local_names = list(match.artist_tracks)
        local_id = {a: j for j, a in enumerate(local_names)}
        track_artist = match.track_artist
        if len(track_artist) == n:  # every track has an artist, matched in row order: no look-up by id
            local_of_row = np.fromiter(map(local_id.__getitem__, track_artist.values()), np.int64, n)
        else:
            get_local, get_artist = local_id.get, track_artist.get
            local_of_row = np.array([get_local(get_artist(t), -1) for t in ids.tolist()], dtype=np.int64)
        if tag_probs is not None:
            # Only the artists the bundle lacks are placed: their tracks' words alone are read (a quarter of
            # a second at 100k tracks when every track was).
            # Their genre words (genre tag, album title, folders): ``factors.genre``.
            unmatched = np.array([a not in match.artist_to_item for a in local_names] + [False])
            placed_rows = np.flatnonzero(unmatched[local_of_row]).tolist()
            genres = vocabulary_of(bundle).artist_genres(
                [(ids_t[i], genre_col[i], album_col[i], paths[i]) for i in placed_rows], match.track_artist
            )
            groups = rows_by_artist(local_of_row, np.arange(n), len(local_names))
            predicted = bridge_unmatched(
                match, local_id, [g[has_audio[g]] for g in groups], tag_probs, bundle, genres
            )
        # One vector per match artist (row 0: none), each row pointing at its artist's (``SharedRows``).
        item_of_row, factors, has_factors, source = artist_rows(
            local_names, match.artist_to_item, local_of_row, predicted, bundle
        )
    # The audio tags each track stands out by, for the radio's reasons ("both piano and calm").
    tag_mean = top_tags = None
    if tag_probs is not None and tag_probs.shape[1] == 50:
        tag_mean = frozen.tag_mean if frozen is not None else library_tag_mean(tag_probs, has_audio)
        top_tags = distinctive_tags(tag_probs, has_audio, tag_mean)
    del tag_probs, mb_a, mb_aa, paths
    library = RadioLibrary.build(
        track_ids=ids,
        artists=[a or aa for a, aa in zip(artist_col, album_artist_col, strict=True)],
        albums=album_col,
        album_artists=album_artist_col,
        genres=genre_col,
        audio=audio,
        has_audio=has_audio,
        factors=factors,
        has_factors=has_factors,
        factor_source=source,
        frozen_audio=None if frozen is None else (frozen.audio_mean, frozen.audio_basis),
        duration=np.array([np.nan if d is None else d for d in duration_col], dtype=np.float64),
        tempo=tempo,
        loudness=loudness,
    )
    del audio
    library.titles = list(title_col)
    library.item = item_of_row if match is not None else None
    library.tag_mean = tag_mean
    set_tags(library, top_tags)
    del artist_col, album_artist_col, album_col, genre_col, duration_col, title_col, ids_t
    if match is not None:
        # Co-listening between the library's artists (the radio's co-listening term).
        from recommender.radio.scoring import artist_similarity

        library.artist_similarity = artist_similarity(library.artist, item_of_row, bundle)
    if frozen is not None:
        library._stats = dict(frozen.stats)
    for space in ("audio", "factors"):  # the z-score statistics, computed once and cached with the rest
        if getattr(library, space) is not None:
            library.space_stats(space)
    return Static(library, match, predicted, gone=gone)
