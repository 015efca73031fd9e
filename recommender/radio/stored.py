"""The radio's static part (``Static``) as the arrays of its start-up cache, and back.

Why a module of its own: ``recommender.radio.load`` computes the static part; this is how it is kept
on disk (``recommender.radio.cache`` names the file and its key) and read back, with the checks that a
file whose arrays do not fit together is recomputed rather than trusted. ``cached_match`` reads just the
artist match for ``for-you``.

API: ``Static``, ``to_arrays(static)``, ``from_arrays(arrays, bundle)``, ``cached_match(store, bundle)``,
``set_tags(library, top_tags)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommender import cache_strings, disk_cache
from recommender.radio import cache
from recommender.radio.library import RadioLibrary
from recommender.radio.shared_rows import SharedRows

_ARRAYS = (
    "audio track_ids artist album genre duration has_audio has_factors factor_source item"
    " tempo loudness audio_mean audio_basis top_tags album_key tag_mean"
).split()
"""The library's arrays kept as they are, the audio rows first: written first behind the first track, they
are the first the load may move in place (``recommender.radio.load``)."""


@dataclass
class Frozen:
    """The library-wide statistics of a full build, kept while rows are added (``recommender.radio.append``):
    the audio centre and axes, the z-score statistics of each space and the audio tags' mean."""

    audio_mean: np.ndarray | None
    audio_basis: np.ndarray | None
    stats: dict[str, tuple[np.ndarray, np.ndarray]]
    tag_mean: np.ndarray | None


@dataclass
class Static:
    """What ``load_library`` keeps between starts: computed over every track, bans left to the load.

    ``seq``: the library change log's position it reflects (``player.store.changes``); ``built_rows`` and
    ``built_analysed``: how many rows, and analysed rows, its last full build had (rows added or analysed
    since are placed with that build's statistics); ``gone``: the rows whose file is missing (bool [n]),
    which every load masks out as it masks the bans (default: none); ``retagged``: how many rows were
    retagged in place since that build (``recommender.radio.retag``)."""

    library: RadioLibrary
    match: Any = None
    predicted: dict[str, np.ndarray] = field(default_factory=dict)
    seq: int | None = None
    built_rows: int = 0
    built_analysed: int = 0
    gone: np.ndarray = None  # type: ignore[assignment]  # filled in by __post_init__
    retagged: int = 0

    def __post_init__(self) -> None:
        if self.gone is None:
            self.gone = np.zeros(len(self.library), dtype=bool)

    def frozen(self) -> Frozen:
        lib = self.library
        return Frozen(lib.audio_mean, lib.audio_basis, dict(lib._stats), lib.tag_mean)


def set_tags(library: RadioLibrary, top_tags: np.ndarray | None) -> None:
    if top_tags is not None:
        from recommender.factors.bridge import MUSICNN_TAGS

        library.top_tags, library.tag_names = top_tags, MUSICNN_TAGS


def _vectors(prefix: str, vectors: dict[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
    names = list(vectors)
    matrix = (
        np.vstack([vectors[a] for a in names]).astype(np.float32) if names else np.zeros((0, k), np.float32)
    )
    return {**cache_strings.prefixed(prefix, cache_strings.strings(names)), prefix + "matrix": matrix}


def _unvectors(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    names = cache_strings.unstrings(arrays, prefix)
    return dict(zip(names, arrays[prefix + "matrix"], strict=True))


def to_arrays(static: Static) -> dict[str, np.ndarray]:
    lib = static.library
    out: dict[str, np.ndarray] = {
        "lib_" + name: np.asarray(getattr(lib, name)) for name in _ARRAYS if getattr(lib, name) is not None
    }
    if lib.raw_factors is not None:  # each artist's vector once and the rows' index (``SharedRows``)
        out["factor_vectors"], out["factor_index"] = lib.raw_factors.vectors, lib.raw_factors.index
    out.update(cache_strings.prefixed("names_", cache_strings.strings(lib.artist_names)))
    out.update(cache_strings.prefixed("titles_", cache_strings.strings(lib.titles or [])))
    out.update(cache_strings.prefixed("pairs_", cache_strings.strings(lib.album_pairs or [])))
    out.update(cache_strings.prefixed("genres_", cache_strings.strings(lib.genre_keys or [])))
    out["meta_seq"] = np.array(-1 if static.seq is None else static.seq, dtype=np.int64)
    out["meta_built_rows"] = np.array(static.built_rows, dtype=np.int64)
    out["meta_built_analysed"] = np.array(static.built_analysed, dtype=np.int64)
    out["gone"] = static.gone
    out["meta_retagged"] = np.array(static.retagged, dtype=np.int64)
    for space, (mu, cov) in lib._stats.items():
        out[f"stats_{space}_mu"], out[f"stats_{space}_cov"] = mu, cov
    if lib.artist_similarity is not None:
        sim = lib.artist_similarity.tocsr()
        out.update(
            sim_data=sim.data, sim_indices=sim.indices, sim_indptr=sim.indptr, sim_shape=np.array(sim.shape)
        )
    match = static.match
    if match is not None:
        locals_, out["match_tracks"], out["match_local"] = match.arrays()
        out.update(cache_strings.prefixed("local_", cache_strings.strings(locals_)))
        out.update(cache_strings.prefixed("how_", cache_strings.strings([match.how.get(a) for a in locals_])))
        out["local_item"] = np.array([match.artist_to_item.get(a, -1) for a in locals_], dtype=np.int64)
        if match.keys is not None and len(match.keys) == len(locals_):
            key_of = {a: k for k, a in match.keys.items()}
            keys = cache_strings.strings([key_of.get(a) for a in locals_])
            out.update(cache_strings.prefixed("keys_", keys))
        k = lib.raw_factors.shape[1] if lib.raw_factors is not None else 0
        out.update(_vectors("pred_", static.predicted, k))
    return out


def from_arrays(arrays: dict[str, np.ndarray] | None, bundle: Any = None) -> Static | None:
    """The cached static part, or None to recompute: a file whose arrays do not fit together (wrong
    shapes, codes out of range, NaN where the radio needs numbers) would otherwise make tracebacks or,
    worse, a quietly wrong station (NaN embeddings once gave an alphabetical radio with false reasons)."""
    if arrays is None:
        return None
    try:
        static = _rebuild(arrays)
        _check(static, bundle)
        return static
    except (KeyError, ValueError, IndexError, TypeError, UnicodeDecodeError):  # incl. disk_cache.Doubt
        return None


def _check(static: Static, bundle: Any) -> None:
    """Raise ``disk_cache.Doubt`` unless every array of a rebuilt ``Static`` fits the others."""
    from recommender.factors.bridge import MUSICNN_TAGS

    require, finite, within = disk_cache.require, disk_cache.finite, disk_cache.within
    lib = static.library
    ids = lib.track_ids
    require(ids.ndim == 1 and ids.dtype.kind in "iu", "track ids")
    n = len(ids)
    n_artists = len(lib.artist_names)
    require(within(lib.artist, 0, n_artists) and lib.artist.shape == (n,), "artist codes")
    # album codes: at most n first-seen ones, then one per compilation row above them (``album_codes``)
    require(within(lib.album, 0, 2 * max(n, 1)) and lib.album.shape == (n,), "album codes")
    require(lib.genre is None or (within(lib.genre, -1, max(n, 1)) and lib.genre.shape == (n,)), "genres")
    require(lib.titles is None or len(lib.titles) in (0, n), "titles")
    n_pairs = len(lib.album_pairs or ())
    require(lib.album_key is not None and lib.album_key.shape == (n,), "album keys")
    require(within(lib.album_key, -1, n_pairs), "album key codes")
    require(lib.genre is None or within(lib.genre, -1, len(lib.genre_keys or ())), "genre keys")
    require(
        lib.tag_mean is None or (lib.tag_mean.shape == (len(MUSICNN_TAGS),) and finite(lib.tag_mean)), "tags"
    )
    require(0 <= static.built_rows and 0 <= static.built_analysed and 0 <= static.retagged, "built rows")
    require(static.gone.shape == (n,) and static.gone.dtype == bool, "missing rows")
    for name in ("duration", "tempo", "loudness"):  # NaN means unknown here; infinity means nothing
        a = getattr(lib, name)
        require(a is None or (a.shape == (n,) and a.dtype.kind == "f" and not np.isinf(a).any()), name)
    for name, mask in {"audio": lib.has_audio, "factors": lib.has_factors}.items():
        matrix = getattr(lib, name)
        if matrix is None:
            continue
        values = matrix.vectors if name == "factors" else matrix  # factors: checked per vector, not per row
        require(values.ndim == 2 and matrix.shape[0] == n and finite(values), name)
        require(mask is not None and mask.shape == (n,) and mask.dtype == bool, f"{name} mask")
    if lib.factors is not None:
        k = lib.factors.shape[1]
        vectors, index = lib.raw_factors.vectors, lib.raw_factors.index
        require(vectors.shape[1:] == (k,) and len(vectors) >= 1 and finite(vectors), "raw factors")
        require(not vectors[0].any() and within(index, 0, len(vectors)), "factor index")
        require(lib.factor_source is None or within(lib.factor_source, 0, 3), "factor sources")
        require(bundle is None or k == bundle.k, "factor width")
    if lib.item is not None:
        require(
            bundle is not None and lib.item.shape == (n,) and within(lib.item, -1, bundle.n_items), "items"
        )
    if lib.audio_mean is not None:
        require(finite(lib.audio_mean) and lib.audio_mean.ndim == 1, "audio mean")
        basis = lib.audio_basis
        width = lib.audio.shape[1] if lib.audio is not None else None
        require(basis is None or (finite(basis) and basis.shape == (len(lib.audio_mean), width)), "basis")
    if lib.top_tags is not None:
        require(lib.top_tags.ndim == 2 and len(lib.top_tags) == n, "top tags")
        require(within(lib.top_tags, -1, len(MUSICNN_TAGS)), "top tag codes")
    for space, (mu, cov) in lib._stats.items():
        d = getattr(lib, space).shape[1] if getattr(lib, space) is not None else -1
        require(
            mu.shape == (d,) and cov.shape == (d, d) and finite(mu) and finite(cov), f"{space} statistics"
        )
    sim = lib.artist_similarity
    if sim is not None:
        require(tuple(sim.shape) == (n_artists, n_artists), "artist similarity shape")
        require(finite(sim.data) and within(sim.indptr, 0, len(sim.data) + 1), "artist similarity")
        require(bool((np.diff(sim.indptr) >= 0).all()) and int(sim.indptr[0]) == 0, "artist similarity rows")
    if static.match is not None:
        _check_match(static.match, static.predicted, bundle)


def _check_match(match: Any, placed: dict[str, np.ndarray], bundle: Any) -> None:
    """Raise ``disk_cache.Doubt`` unless a rebuilt match and its placed factors fit the bundle."""
    require, finite = disk_cache.require, disk_cache.finite
    require(bundle is not None, "a match without a bundle")
    require(all(0 <= i < bundle.n_items for i in match.artist_to_item.values()), "matched items")
    require(all(v.shape == (bundle.k,) and finite(v) for v in placed.values()), "predicted factors")


def _rebuild(arrays: dict[str, np.ndarray]) -> Static:
    values = {name: arrays.get("lib_" + name) for name in _ARRAYS}
    if "factor_vectors" in arrays:
        raw = SharedRows(arrays["factor_vectors"], arrays["factor_index"])
        values.update(raw_factors=raw, factors=raw.normalised())
    lib = RadioLibrary(artist_names=cache_strings.unstrings(arrays, "names_"), **values)
    lib.titles = cache_strings.StoredStrings.of(arrays, "titles_")  # a million titles: read when named
    lib.album_pairs = cache_strings.StoredStrings.of(arrays, "pairs_")  # read only when rows are added
    lib.genre_keys = cache_strings.unstrings(arrays, "genres_")
    set_tags(lib, lib.top_tags)
    for space in ("audio", "factors"):
        if f"stats_{space}_mu" in arrays:
            lib._stats[space] = (arrays[f"stats_{space}_mu"], arrays[f"stats_{space}_cov"])
    if "sim_data" in arrays:  # row look-ups only: no scipy on a warm start
        from recommender.csr import CsrRows

        shape = tuple(int(x) for x in arrays["sim_shape"])
        lib.artist_similarity = CsrRows(
            arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"], shape
        )
    seq = int(arrays["meta_seq"])
    static = Static(
        lib,
        seq=None if seq < 0 else seq,
        built_rows=int(arrays["meta_built_rows"]),
        built_analysed=int(arrays["meta_built_analysed"]),
        gone=arrays["gone"],
        retagged=int(arrays["meta_retagged"]),
    )
    if "local_item" in arrays:
        static.match, static.predicted = _rebuild_match(arrays)
    return static


_MATCH_ARRAYS = ("local_", "how_", "match_", "pred_", "keys_")
"""The cache's arrays of the artist match and the audio-placed factors (``_rebuild_match``)."""


def cached_match(store: Any, bundle: Any) -> tuple[Any, dict[str, np.ndarray]] | None:
    """The artist match and the audio-placed factors of unmatched artists (over every track, banned
    ones too, as the taste wants them) from the radio's start-up cache when it is current, else None;
    the per-track arrays are not read. Why: ``for-you`` needs just these, and matching 100k credits
    and placing the unknown artists again costs it 2 s (issue 27)."""
    key = cache.fingerprint(store, "radio", bundle)
    arrays = cache.load(store, "radio", key, _MATCH_ARRAYS)
    if not arrays or "local_item" not in arrays:
        return None
    try:
        match, predicted = _rebuild_match(arrays)
        _check_match(match, predicted, bundle)
    except (KeyError, ValueError, IndexError, TypeError, UnicodeDecodeError):  # incl. disk_cache.Doubt
        return None
    return match, predicted


def _rebuild_match(arrays: dict[str, np.ndarray]) -> tuple[Any, dict[str, np.ndarray]]:
    """(match, predicted) from the cache's ``_MATCH_ARRAYS``."""
    from recommender.factors.match import LibraryMatch

    locals_ = cache_strings.unstrings(arrays, "local_")
    hows = cache_strings.unstrings(arrays, "how_")
    tracks, local = arrays["match_tracks"], arrays["match_local"]
    disk_cache.require(tracks.shape == local.shape and disk_cache.within(local, 0, len(locals_)), "match")
    disk_cache.require(len(set(locals_)) == len(locals_) and None not in locals_, "match artists")
    match = LibraryMatch.of_arrays(locals_, tracks, local)  # dicts of a million tracks only if asked for
    for a, item, how in zip(locals_, arrays["local_item"].tolist(), hows, strict=True):
        if item >= 0:
            match.artist_to_item[a] = int(item)
        if how is not None:
            match.how[a] = how
    match.unmatched = [a for a in match.artist_tracks if a not in match.artist_to_item]
    if "keys_ends" in arrays:  # each artist's normalised name, for new spellings to be matched against
        keys = cache_strings.unstrings(arrays, "keys_")
        disk_cache.require(len(keys) == len(locals_) and None not in keys, "match keys")
        disk_cache.require(len(set(keys)) == len(keys), "match keys")
        match.keys = dict(zip(keys, locals_, strict=True))
    return match, _unvectors(arrays, "pred_")
