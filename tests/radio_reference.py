"""The radio's and ``similar``'s loading code as it was before it was made fast (issue 12, item 13).

Kept verbatim (one row at a time, Python dicts per track) as the reference that
``tests/test_radio_loading.py`` compares the fast path against: the same arrays, bit for bit, and so
the same picks. Only the structure changed (functions instead of methods); the arithmetic did not.
Since the genre placement (issue 21, item 7), unknown artists are placed from their audio tags and what
their files' genre tags, folders and album titles name; ``artist_genres`` gathers the latter here in its
own plain way, one track dict at a time, and both paths hand them to the one ``place_artists``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from recommender.radio.library import LibraryParts, RadioLibrary, pca_basis
from recommender.radio.row_blocks import project_audio
from recommender.radio.shared_rows import SharedRows, normalise_rows


def codes(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    index: dict[Any, int] = {}
    names: list[Any] = []
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        key = ("__none__", i) if value is None else value
        code = index.get(key)
        if code is None:
            code = index[key] = len(names)
            names.append(value)
        out[i] = code
    return out, names


def build(
    track_ids,
    artists,
    albums=None,
    *,
    album_artists=None,
    genres=None,
    audio=None,
    has_audio=None,
    factors=None,
    has_factors=None,
    factor_source=None,
    taste=None,
    taste_evidence=None,
    center_audio=True,
    audio_dims=64,
    **descriptors,
) -> RadioLibrary:
    n = len(track_ids)
    artist_keys = [a.strip().casefold() if isinstance(a, str) and a.strip() else None for a in artists]
    artist_codes, artist_names = codes(artist_keys)
    display = {}
    for key, raw in zip(artist_keys, artists, strict=True):
        if key is not None and key not in display:
            display[key] = raw.strip()
    artist_names = [display.get(k, None) if k is not None else None for k in artist_names]
    if albums is None:
        albums = [None] * n
    album_artists = album_artists if album_artists is not None else [None] * n
    album_keys = [
        (str(album_artists[i] or artist_keys[i] or "").casefold(), str(a).casefold())
        if a not in (None, "")
        else None
        for i, a in enumerate(albums)
    ]
    album_codes, _ = codes(album_keys)
    artists_per_album: dict[int, set] = {}
    for code, artist in zip(album_codes.tolist(), artist_codes.tolist(), strict=True):
        artists_per_album.setdefault(code, set()).add(artist)
    shared = np.array([len(artists_per_album[c]) > 1 for c in album_codes.tolist()], dtype=bool)
    album_codes = np.where(shared, album_codes.max(initial=0) + 1 + np.arange(n), album_codes)
    genre_codes = None
    if genres is not None:
        keys = [g.strip().casefold() if isinstance(g, str) and g.strip() else None for g in genres]
        genre_index: dict[str, int] = {}
        genre_codes = np.array(
            [-1 if k is None else genre_index.setdefault(k, len(genre_index)) for k in keys], dtype=np.int64
        )
    audio_n = audio_mean = audio_basis = None
    if audio is not None:
        audio = np.asarray(audio, dtype=np.float32)
        mask = np.ones(n, dtype=bool) if has_audio is None else np.asarray(has_audio, dtype=bool)
        if center_audio and mask.sum() >= 20:
            audio_mean = audio[mask].mean(axis=0)
            if audio_dims and audio.shape[1] > audio_dims:
                audio_basis = pca_basis(audio[mask] - audio_mean, audio_dims)
        audio_n = project_audio(audio, audio_mean, audio_basis)  # in fixed blocks (tested on its own)
        audio_n[~mask] = 0.0
        has_audio = mask
    factors_n = raw = None
    if factors is not None:
        raw = factors if isinstance(factors, SharedRows) else np.asarray(factors, dtype=np.float32)
        mask = np.ones(n, dtype=bool) if has_factors is None else np.asarray(has_factors, dtype=bool)
        if isinstance(raw, SharedRows):
            factors_n = raw.normalised()
        else:
            factors_n = normalise_rows(raw)
            factors_n[~mask] = 0.0
        has_factors = mask
    return RadioLibrary(
        track_ids=np.asarray(track_ids, dtype=np.int64),
        artist=artist_codes,
        album=album_codes,
        artist_names=artist_names,
        genre=genre_codes,
        audio=audio_n,
        has_audio=has_audio,
        factors=factors_n,
        raw_factors=raw,
        has_factors=has_factors,
        factor_source=factor_source,
        taste=None if taste is None else np.asarray(taste, dtype=np.float32),
        taste_evidence=taste_evidence,
        audio_mean=audio_mean,
        audio_basis=audio_basis,
        **{k: (None if v is None else np.asarray(v, dtype=np.float64)) for k, v in descriptors.items()},
    )


def _per_artist(factors: np.ndarray, has: np.ndarray, ids: np.ndarray, match: Any) -> SharedRows:
    """Per-track factors as ``SharedRows``: vector j + 1 is the match's j-th artist's, row 0 is zero."""
    local_id = {a: j for j, a in enumerate(match.artist_tracks)}
    index = np.array(
        [local_id[match.track_artist[t]] + 1 if t in match.track_artist else 0 for t in ids.tolist()],
        dtype=np.int32,
    )
    vectors = np.zeros((len(local_id) + 1, factors.shape[1]), dtype=np.float32)
    vectors[index[has]] = factors[has]
    return SharedRows(vectors, index)


def match_credits(credits: Iterable, bundle: Any):
    from recommender.factors.match import LibraryMatch, _local_artist, candidate_names, normalise_artist

    index = bundle.key_index
    mbid_index = bundle.mbid_index
    result = LibraryMatch()
    key_of_local: dict[str, str] = {}
    for c in credits:
        local = _local_artist(c.artist, c.album_artist)
        if local is None:
            continue
        key = normalise_artist(local)
        local = key_of_local.setdefault(key, local)
        result.track_artist[c.track_id] = local
        result.artist_tracks.setdefault(local, []).append(c.track_id)
        if local in result.artist_to_item:
            continue
        item, how = None, None
        for mbid in (c.mb_artist_id, c.mb_album_artist_id):
            if mbid and mbid_index and mbid.strip().lower() in mbid_index:
                item, how = mbid_index[mbid.strip().lower()], "mbid"
                break
        if item is None:
            for n, name in enumerate(candidate_names(c.artist, c.album_artist)):
                k = normalise_artist(name)
                if k is not None and k in index:
                    item, how = index[k], ("name" if n == 0 or name == local else "credit")
                    break
        if item is not None:
            result.artist_to_item[local] = int(item)
            result.how[local] = how or "name"
    result.unmatched = [a for a in result.artist_tracks if a not in result.artist_to_item]
    return result


def match_library(store: Any, bundle: Any):
    """Every track's credits, those whose file is missing too (since issue 25: they describe the taste)."""
    from player.store.feedback import TrackCredit

    rows = store.conn.execute(
        "SELECT id, artist, album_artist, title, mb_artist_id, mb_album_artist_id FROM tracks ORDER BY id"
    ).fetchall()
    return match_credits([TrackCredit(*row) for row in rows], bundle)


def banned_track_ids(store: Any) -> set[int]:
    from player.store.ratings import BANNED_SQL

    return {int(r[0]) for r in store.conn.execute(f"SELECT t.id FROM tracks t WHERE {BANNED_SQL}")}


def artist_genres(store, bundle, match) -> dict:
    """What every track's genre tag, folders and album title name, summed per artist, one track at a
    time (the loaders memoise per distinct genre/album/folder and group in one pass)."""
    from player.store.tracks import iter_tracks
    from recommender.factors.genre import ArtistGenres, TagVocabulary

    vocab = TagVocabulary(bundle)
    out: dict[str, ArtistGenres] = {}
    if bundle.tag_names is None:
        return out
    for t in iter_tracks(store, include_missing=True):
        artist = match.track_artist.get(t["id"])
        if artist is None:
            continue
        # The genre tag and the album title; the folders only when those two name nothing.
        found = vocab.genre_tags(t["genre"]) | vocab.album_tags(t["album"]) or vocab.folder_tags(t["path"])
        entry = out.setdefault(artist, ArtistGenres())
        entry.tracks += 1
        if found:
            entry.covered += 1
        for row in found:
            entry.tag_tracks[row] = entry.tag_tracks.get(row, 0) + 1
    return out


def bridge_factors(store, bundle, match, row_of, tag_probs, has_audio) -> dict[str, np.ndarray]:
    """The unmatched analysed artists placed by ``place_artists`` (the one placement, shared with the
    fast path: what is compared here is how its inputs are gathered)."""
    from recommender.factors.bridge import place_artists

    names, profiles = [], []
    for artist in match.unmatched:
        rows = [
            row_of[t] for t in match.artist_tracks.get(artist, []) if t in row_of and has_audio[row_of[t]]
        ]
        if rows:
            names.append(artist)
            profiles.append(tag_probs[rows].mean(axis=0))
    if not names:
        return {}
    return place_artists(bundle, names, profiles, artist_genres(store, bundle, match))


def user_taste(store, bundle, match, now=None):
    from recommender.reasons import TasteBasis
    from recommender.taste.profile import Taste

    taste = Taste.from_store(store, bundle, match=match, now=now)
    vector = np.asarray(taste.user_vector, dtype=np.float32)
    vector = vector if np.any(vector) else None
    basis = TasteBasis.from_taste(taste) if vector is not None else None
    scores = taste.item_scores() if vector is not None else None
    return vector, len(taste.track_feedback), basis, scores


def load_library(
    store: Any,
    *,
    bundle: Any,
    taste: Any = True,
    keep: Sequence[int] = (),
    now: float | None = None,
    parts: LibraryParts | None = None,
    drop_missing: bool = True,
) -> RadioLibrary:
    """The old ``recommender.radio.library.load_library`` (a bundle must be given). Since issue 25 it
    computes over every track, those whose file is missing too, and drops them from the result at the
    end with the bans (unless not ``drop_missing``)."""
    from player.store.analysis import load_analysis_matrix, load_descriptors
    from player.store.plays import track_stats
    from player.store.tracks import iter_tracks

    parts = parts if parts is not None else LibraryParts()
    banned = banned_track_ids(store).difference(int(t) for t in keep)
    # every track, in id order: the bans and the missing files are dropped from the result at the end
    tracks = sorted(iter_tracks(store, include_missing=True), key=lambda t: t["id"])
    if drop_missing:
        banned |= {int(t["id"]) for t in tracks if t["missing"]}
    ids = np.array([t["id"] for t in tracks], dtype=np.int64)
    row_of = {int(t): i for i, t in enumerate(ids)}
    n = len(ids)
    a_ids, emb, tags = load_analysis_matrix(store, include_missing=True)
    audio = has_audio = None
    tag_probs = None
    if len(a_ids):
        audio = np.zeros((n, emb.shape[1]), dtype=np.float32)
        tag_probs = np.zeros((n, tags.shape[1]), dtype=np.float32)
        has_audio = np.zeros(n, dtype=bool)
        for j, t in enumerate(a_ids.tolist()):
            i = row_of.get(t)
            if i is not None:
                audio[i] = emb[j]
                tag_probs[i] = tags[j]
                has_audio[i] = True
        parts.analysed = int(has_audio.sum())
    tempo = np.full(n, np.nan)
    loudness = np.full(n, np.nan)
    for t, d in load_descriptors(store).items():
        i = row_of.get(int(t))
        if i is not None:
            tempo[i] = d.get("tempo") if d.get("tempo") is not None else np.nan
            loudness[i] = d.get("loudness") if d.get("loudness") is not None else np.nan
    factors = has_factors = source = None
    if bundle is not None:
        match = match_library(store, bundle)
        parts.bundle, parts.match = bundle, match
        factors = np.zeros((n, bundle.k), dtype=np.float32)
        has_factors = np.zeros(n, dtype=bool)
        source = np.zeros(n, dtype=np.int8)
        item_factors = np.asarray(bundle.item_factors, dtype=np.float32)
        for track_id, item in match.track_item.items():
            i = row_of.get(int(track_id))
            if i is not None:
                factors[i] = item_factors[item]
                has_factors[i] = True
                source[i] = 1
        if tag_probs is not None:
            predicted = bridge_factors(store, bundle, match, row_of, tag_probs, has_audio)
            parts.predicted_artists = predicted
            for artist, vector in predicted.items():
                for track_id in match.artist_tracks.get(artist, []):
                    i = row_of.get(int(track_id))
                    if i is not None and not has_factors[i]:
                        factors[i] = vector
                        has_factors[i] = True
                        source[i] = 2
    last_played = np.full(n, np.nan)
    completions = np.zeros(n)
    skips = np.zeros(n)
    for t, st in track_stats(store).items():
        i = row_of.get(int(t))
        if i is not None and st.get("last_played") is not None:
            last_played[i] = float(st["last_played"])
        if i is not None:
            completions[i] = float(st.get("completions") or 0)
            skips[i] = float(st.get("skips") or 0)
    taste_vec, evidence, basis, item_scores = None, None, None, None
    if isinstance(taste, np.ndarray):
        taste_vec = taste
    elif taste and bundle is not None:
        taste_vec, evidence, basis, item_scores = user_taste(store, bundle, match=parts.match, now=now)
    if factors is not None:  # the loader's layout: one vector per match artist (row 0: none)
        factors = _per_artist(factors, has_factors, ids, match)
    library = build(
        track_ids=ids,
        artists=[t.get("artist") or t.get("album_artist") for t in tracks],
        albums=[t.get("album") for t in tracks],
        album_artists=[t.get("album_artist") for t in tracks],
        genres=[t.get("genre") for t in tracks],
        audio=audio,
        has_audio=has_audio,
        factors=factors,
        has_factors=has_factors,
        factor_source=source,
        taste=taste_vec,
        taste_evidence=evidence,
        duration=np.array([t.get("duration") if t.get("duration") is not None else np.nan for t in tracks]),
        tempo=tempo,
        loudness=loudness,
        last_played=last_played,
    )
    if n:
        library.artist_completions = np.bincount(library.artist, weights=completions)
        library.artist_skips = np.bincount(library.artist, weights=skips)
    # The bundle item of each row, and the shipped model's taste score of each row (issue 21: the app
    # hands the station what the simulation does), one row at a time.
    if parts.match is not None:
        library.item = np.full(n, -1, dtype=np.int64)
        for track_id, item in parts.match.track_item.items():
            i = row_of.get(int(track_id))
            if i is not None:
                library.item[i] = item
    if item_scores is not None and library.item is not None:
        wmf = np.asarray(bundle.item_factors, dtype=np.float64) @ np.asarray(taste_vec, dtype=np.float64)
        mu, sd = float(wmf.mean()), float(wmf.std()) or 1.0
        scores = np.full(n, np.nan)
        for i in range(n):
            if library.item[i] >= 0:
                scores[i] = item_scores[library.item[i]]
            elif source[i] == 2:
                scores[i] = (
                    float(library.raw_factors[i].astype(np.float64) @ taste_vec.astype(np.float64)) - mu
                ) / sd
        library.taste_scores = scores
    # What the radio's reasons name (issue 11): titles, distinctive audio tags, the taste's evidence.
    library.titles = [t.get("title") for t in tracks]
    library.taste_basis = basis
    if tag_probs is not None and tag_probs.shape[1] == 50:
        from recommender.factors.bridge import MUSICNN_TAGS
        from recommender.radio.inputs import distinctive_tags, library_tag_mean

        library.tag_names = MUSICNN_TAGS
        library.top_tags = distinctive_tags(tag_probs, has_audio, library_tag_mean(tag_probs, has_audio))
    if parts.match is not None:
        from recommender.radio.scoring import artist_similarity

        item_of_row = np.full(n, -1, dtype=np.int64)
        for track_id, item in parts.match.track_item.items():
            i = row_of.get(int(track_id))
            if i is not None:
                item_of_row[i] = int(item)
        library.artist_similarity = artist_similarity(library.artist, item_of_row, bundle)
    if banned:
        library = drop_rows(library, [i for i, t in enumerate(ids.tolist()) if t not in banned])
        if len(library):
            library.artist_completions = np.bincount(
                library.artist, weights=completions[~np.isin(ids, list(banned))]
            )
            library.artist_skips = np.bincount(library.artist, weights=skips[~np.isin(ids, list(banned))])
    return library


def drop_rows(library: RadioLibrary, rows: list[int]) -> RadioLibrary:
    """The library built over every track with only ``rows`` left (issue 25, item 1: bans are a mask
    at load). What was computed over the whole library stays: codes and names, the audio mean and
    axes, the z-score statistics, the co-listening matrix, each row's top tags."""

    def pick(a):
        return (
            None
            if a is None
            else np.array([a[i] for i in rows], dtype=a.dtype).reshape((len(rows),) + a.shape[1:])
        )

    out = RadioLibrary(
        track_ids=pick(library.track_ids),
        artist=pick(library.artist),
        album=pick(library.album),
        artist_names=library.artist_names,
        genre=pick(library.genre),
        duration=pick(library.duration),
        audio=pick(library.audio),
        has_audio=pick(library.has_audio),
        factors=pick(library.factors),
        raw_factors=pick(library.raw_factors),
        has_factors=pick(library.has_factors),
        factor_source=pick(library.factor_source),
        item=pick(library.item),
        tempo=pick(library.tempo),
        loudness=pick(library.loudness),
        last_played=pick(library.last_played),
        taste=library.taste,
        taste_evidence=library.taste_evidence,
        taste_scores=pick(library.taste_scores),
        audio_mean=library.audio_mean,
        audio_basis=library.audio_basis,
        titles=None if library.titles is None else [library.titles[i] for i in rows],
        top_tags=pick(library.top_tags),
        tag_names=library.tag_names,
        taste_basis=library.taste_basis,
    )
    out.artist_similarity = library.artist_similarity
    for space in ("audio", "factors"):  # the z-score statistics of the whole library
        if getattr(library, space) is not None:
            out._stats[space] = library.space_stats(space)
    return out


def similar_index(store: Any, bundle: Any):
    """``SimilarIndex.from_store`` as derived from the radio's library: this reference's library over every
    track (banned ones kept: ``similar`` applies bans per query), its match and placed artists."""
    from player.store.tracks import iter_tracks
    from recommender.similar.index import SimilarIndex

    parts = LibraryParts()
    tracks = list(iter_tracks(store, include_missing=True))
    every = [int(t["id"]) for t in tracks]
    library = load_library(store, bundle=bundle, taste=False, keep=every, parts=parts, drop_missing=False)
    gone = np.isin(library.track_ids, [int(t["id"]) for t in tracks if t["missing"]])
    return SimilarIndex.from_library(library, parts.match, parts.predicted_artists, bundle, gone)
