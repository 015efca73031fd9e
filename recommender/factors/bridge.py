"""Audio-to-factor bridge: predict an artist's WMF factors from the 50 musicnn tag probabilities.

Cold start in the spirit of van den Oord, Dieleman & Schrauwen (2013): most local artists (indie,
game music) are not in the bundle, but the audio model tags their tracks with the same 50 Last.fm tags
that MSD_musicnn was trained on. We learn a regression from an artist's tag profile to its WMF
factor vector on bundle artists, using each artist's Last.fm tag profile (``user_taggedartists.dat``
mapped onto the 50-tag vocabulary) as the stand-in for audio tags, and apply it to the per-artist mean
of the audio tag probabilities of unmatched library artists.

The two inputs live on different scales (tag counts vs. sigmoid probabilities), so both are brought to
the same shape first: divide by the profile's largest entry (top tag = 1), then square-root (counts are
heavy-tailed), then L2-normalise. Features are that vector plus a bias.

The prediction averages two estimators: the ridge regression (smooth, but pulled toward the mean
factor) and a k-nearest-neighbour regression (the popularity-weighted mean factor of the ``knn`` bundle
artists whose tag profiles are most similar, similarity raised to ``knn_power``), which keeps the
sharper directions of real artists; the mix beats either alone on held-out artists.

The regression (``bridge_*`` arrays in the bundle) and its held-out evaluation (``meta["bridge"]``) are
made at pretraining time by ``recommender.training.bridge_fit.fit_bridge``; this module only predicts.

The 50 tags have no "soundtrack", "classical" or "game", so the bridge alone put every orchestral game
score near Radiohead and Björk (issue 21, item 7). ``place_artists``, the one placement that the radio's
loader, ``similar`` and the taste all call, therefore turns the bridge's prediction toward the Last.fm
tags that the artist's own files name (genre tags, soundtrack markers in album titles, else folder
names: ``recommender.factors.genre``), by ``GENRE_WEIGHT``, chosen on held-out catalogue artists
(``benchmarks/genre_placement.py``).

API: ``MUSICNN_TAGS``, ``tag_profile_matrix(artist_ids, artist_tags)``, ``features``, ``knn_predict``, ``mix``,
``predict_artist_factors(tag_probs, bundle=None) -> [n, k]``, ``GENRE_WEIGHT``, ``genre_position``,
``place_artists(bundle, names, profiles, genres)``, ``place_from_store(store, bundle, match, artists)``,
``artist_audio_tags(store, match)``,
``artist_genres(store, bundle, match)``, ``audio_factors_for_unmatched(store, bundle, match)``; for
loaders that already hold the analysis and the tracks: ``rows_by_artist``, ``bridge_unmatched``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from recommender.audio.weights import MUSICNN_TAGS
from recommender.factors.genre import vocabulary_of

if TYPE_CHECKING:
    from player.store.core import Store
    from recommender.factors.bundle import Bundle
    from recommender.factors.genre import ArtistGenres, TagVocabulary
    from recommender.factors.match import LibraryMatch


# Free-text Last.fm spellings folded onto a vocabulary entry (after ``_tag_key``).
_ALIASES = {
    "hiphop": "hiphop",
    "rap": None,
    "rb": "rnb",
    "rnb": "rnb",
    "rhythmandblues": "rnb",
    "chillout": "chillout",
    "progrock": "progressiverock",
    "00s": "00s",
    "2000s": "00s",
    "1980s": "80s",
    "1990s": "90s",
    "1970s": "70s",
    "1960s": "60s",
    "housemusic": "house",
    "femalevocals": "femalevocalists",
    "malevocals": "malevocalists",
    "malevocalist": "malevocalists",
}


def _tag_key(tag: str) -> str:
    return re.sub(r"[^0-9a-z]", "", tag.casefold())


_VOCAB_INDEX = {_tag_key(t): j for j, t in enumerate(MUSICNN_TAGS)}


def vocab_index(tag: str) -> int | None:
    """Position of a free-text tag in ``MUSICNN_TAGS`` (case/punctuation-insensitive), or None."""
    key = _tag_key(tag)
    if key in _ALIASES:
        alias = _ALIASES[key]
        if alias is None:
            return None
        key = alias
    return _VOCAB_INDEX.get(key)


def tag_profile_matrix(artist_ids: np.ndarray, artist_tags: dict[str, dict[str, int]]) -> np.ndarray:
    """[n, 50] counts of each artist's Last.fm tag applications that fall in the vocabulary."""
    out = np.zeros((len(artist_ids), len(MUSICNN_TAGS)), dtype=np.float64)
    for row, aid in enumerate(artist_ids):
        for tag, n in artist_tags.get(str(aid), {}).items():
            j = vocab_index(tag)
            if j is not None:
                out[row, j] += n
    return out


def features(profiles: np.ndarray) -> np.ndarray:
    """Scale-free features of tag profiles or tag probabilities: max-normalise, sqrt, L2, + bias."""
    x = np.atleast_2d(np.asarray(profiles, dtype=np.float64)).clip(min=0.0)
    top = x.max(axis=1, keepdims=True)
    top[top == 0] = 1.0
    x = np.sqrt(x / top)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return np.hstack([x / norm, np.ones((len(x), 1))])


KNN = 10
KNN_POWER = 4.0


def knn_predict(
    x: np.ndarray, profiles: np.ndarray, factors: np.ndarray, weights: np.ndarray, k: int, power: float
) -> np.ndarray:
    sims = x[:, :-1] @ profiles.T
    k = min(k, len(profiles))
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    sw = np.clip(np.take_along_axis(sims, idx, axis=1), 0.0, None) ** power * weights[idx]
    sw[sw.sum(axis=1) == 0] = 1.0
    return np.einsum("ij,ijk->ik", sw, factors[idx]) / sw.sum(axis=1, keepdims=True)


def mix(ridge: np.ndarray, knn: np.ndarray) -> np.ndarray:
    """Half each; the ridge part rescaled to the kNN part's norm (ridge shrinks norms toward the mean)."""
    rn = np.maximum(np.linalg.norm(ridge, axis=1, keepdims=True), 1e-12)
    return 0.5 * ridge / rn * np.linalg.norm(knn, axis=1, keepdims=True) + 0.5 * knn


def predict_artist_factors(tag_probs: np.ndarray, bundle: Bundle | None = None) -> np.ndarray:
    """Predicted factor vectors [n, k] (float32) for tag-probability rows [n, 50] in MUSICNN_TAGS order."""
    if bundle is None:
        from recommender.factors.bundle_file import load_bundle

        bundle = load_bundle()
    if "weights" not in bundle.bridge:
        raise ValueError("this factor bundle has no audio bridge (pretrain it from Last.fm data with tags)")
    probs = np.atleast_2d(np.asarray(tag_probs, dtype=np.float64))
    if probs.shape[1] != len(MUSICNN_TAGS):
        raise ValueError(f"expected {len(MUSICNN_TAGS)} tag probabilities per row, got {probs.shape[1]}")
    x = features(probs)
    pred = x @ bundle.bridge["weights"].astype(np.float64)
    if "profiles" in bundle.bridge:
        items = bundle.bridge["items"].astype(np.int64)
        knn = knn_predict(
            x,
            bundle.bridge["profiles"].astype(np.float64),
            bundle.item_factors[items].astype(np.float64),
            bundle.bridge["item_weights"].astype(np.float64),
            KNN,
            KNN_POWER,
        )
        pred = mix(pred, knn)
    return pred.astype(np.float32)


def artist_audio_tags(store: Store, match: LibraryMatch) -> dict[str, np.ndarray]:
    """Local artist -> mean audio tag probabilities [50] over its analysed tracks (empty if none)."""
    try:
        from player.store.analysis import load_analysis_matrix
    except ImportError:  # the audio analysis is not part of this build
        return {}
    track_ids, _emb, tags = load_analysis_matrix(store, include_missing=True)  # as the match: every track
    if len(track_ids) == 0 or tags.ndim != 2 or tags.shape[1] != len(MUSICNN_TAGS):
        return {}
    groups: dict[str, list[int]] = {}
    for row, tid in enumerate(track_ids):
        artist = match.track_artist.get(int(tid))
        if artist is not None:
            groups.setdefault(artist, []).append(row)
    return {a: tags[rows].mean(axis=0) for a, rows in groups.items()}


GENRE_WEIGHT = 0.7
"""How far an unknown artist's placement turns from the audio bridge's prediction toward the tag positions
its genre words name (all its tracks naming one; less for fewer): chosen on the tuning half of held-out
Last.fm artists by ``benchmarks/genre_placement.py`` (figures in resources/factors/README.md)."""


def genre_position(genres: ArtistGenres, vocabulary: TagVocabulary) -> np.ndarray | None:
    """The mean position [k] of the tags an artist's tracks name, weighted by how many tracks name each;
    None when they name none."""
    if not genres.tag_tracks:
        return None
    rows = sorted(genres.tag_tracks)
    weights = np.array([genres.tag_tracks[r] for r in rows], dtype=np.float64)
    return weights @ np.vstack([vocabulary.position(r) for r in rows]) / weights.sum()


PLACE_ROWS = 256
"""Artists per block of ``place_artists``' prediction: every block this tall (the last padded with zeros), so
an artist lands on the same bits whichever artists are placed with it (the radio's cache places only the
artists a new album touches, ``recommender.radio.append``, and must match a whole build)."""


def _predict_in_blocks(profiles: np.ndarray, bundle: Bundle) -> np.ndarray:
    out = np.empty((len(profiles), bundle.k), dtype=np.float32)
    block = np.zeros((PLACE_ROWS, profiles.shape[1]), dtype=np.float64)
    for start in range(0, len(profiles), PLACE_ROWS):
        part = profiles[start : start + PLACE_ROWS]
        block[: len(part)] = part
        block[len(part) :] = 0.0
        out[start : start + len(part)] = predict_artist_factors(block, bundle)[: len(part)]
    return out


def place_artists(
    bundle: Bundle,
    names: list[str],
    profiles: list[np.ndarray],
    genres: dict[str, ArtistGenres] | None = None,
    genre_weight: float = GENRE_WEIGHT,
) -> dict[str, np.ndarray]:
    """Factors for library artists the bundle does not know: the one placement every caller uses (the
    radio's loader, ``similar``, the taste's fold-in), so they all put an artist in the same place.

    ``profiles``: each artist's mean audio tag probabilities [50]; ``genres``: what its files' genre tags,
    folders and album titles name (``TagVocabulary.artist_genres``). The audio bridge predicts a vector;
    when the artist's files name tags of the bundle's vocabulary, its direction turns toward their mean
    position by ``genre_weight`` x the share of its tracks that name one, and the length stays the
    bridge's (the taste's fold-in weighs unknown artists by it, as before). Words alone place nothing:
    an artist without an analysed track stays unplaced, so a library with neither plays nor analysis
    still says it has no signal. {} without a bridge."""
    if not names:
        return {}
    try:
        predicted = _predict_in_blocks(np.vstack(profiles).astype(np.float64), bundle)
    except ValueError:  # a bundle without a bridge
        return {}
    if genres and bundle.tag_names is not None:
        vocabulary = vocabulary_of(bundle)
        for j, name in enumerate(names):
            found = genres.get(name)
            position = genre_position(found, vocabulary) if found is not None else None
            length = float(np.linalg.norm(predicted[j].astype(np.float64)))
            size = float(np.linalg.norm(position)) if position is not None else 0.0
            if size == 0.0 or length == 0.0:
                continue
            weight = genre_weight * found.coverage
            turned = (1.0 - weight) * predicted[j].astype(np.float64) / length + weight * position / size
            predicted[j] = (turned * (length / max(float(np.linalg.norm(turned)), 1e-12))).astype(np.float32)
    return dict(zip(names, predicted, strict=True))


def artist_genres(store: Store, bundle: Bundle, match: LibraryMatch) -> dict[str, ArtistGenres]:
    """Local artist -> what its files' genre tags, folders and album titles name (empty without tag names)."""
    if bundle.tag_names is None:
        return {}
    from player.store.tracks import track_columns

    rows = track_columns(store, ("id", "genre", "album", "path"), order="id", include_missing=True)
    return vocabulary_of(bundle).artist_genres(rows, match.track_artist)


def audio_factors_for_unmatched(store: Store, bundle: Bundle, match: LibraryMatch) -> dict[str, np.ndarray]:
    """Placed factor vectors (``place_artists``) for library artists the bundle does not know but the
    audio model analysed."""
    if "weights" not in bundle.bridge:
        return {}
    tags = artist_audio_tags(store, match)
    names = [a for a in match.unmatched if a in tags]
    if not names:
        return {}
    return place_artists(bundle, names, [tags[a] for a in names], artist_genres(store, bundle, match))


def rows_by_artist(local_in_order: np.ndarray, rows_in_order: np.ndarray, n_locals: int) -> list[np.ndarray]:
    """Rows of each local artist (an index into the match's artists; -1: none), in the given (track id)
    order, the order the match lists its tracks: grouped once, with one sort, for 100k tracks."""
    keep = local_in_order >= 0
    locals_kept = local_in_order[keep]
    rows_kept = rows_in_order[keep]
    by = np.argsort(locals_kept, kind="stable")
    bounds = np.searchsorted(locals_kept[by], np.arange(n_locals + 1))
    ordered = rows_kept[by]
    return [ordered[bounds[j] : bounds[j + 1]] for j in range(n_locals)]


def bridge_unmatched(
    match: LibraryMatch,
    local_id: dict[str, int],
    analysed: list[np.ndarray],
    tag_probs: np.ndarray,
    bundle: Bundle,
    genres: dict[str, ArtistGenres] | None = None,
) -> dict[str, np.ndarray]:
    """``place_artists`` for the match's unmatched artists with analysed rows, from the mean audio tags
    of those rows (``analysed``: rows per local artist, as ``rows_by_artist`` groups them) and
    ``genres`` (``TagVocabulary.artist_genres``)."""
    names, profiles = [], []
    for artist in match.unmatched:
        rows = analysed[local_id[artist]]
        if len(rows):
            names.append(artist)
            profiles.append(tag_probs[rows].mean(axis=0))
    return place_artists(bundle, names, profiles, genres)


def place_from_store(
    store: Store, bundle: Bundle, match: LibraryMatch, artists: list[str]
) -> dict[str, np.ndarray]:
    """Factors placed for ``artists`` (unmatched ones of ``match``, whose tracks are read by id) from their
    analysed tracks' audio tags and their files' genre words (``place_artists``), as the radio's full build
    places them: what its cache's updates (``recommender.radio.append``, ``recommender.radio.retag``) place
    again for the artists a change touched. An artist with no analysed track is left out."""
    from player.store.analysis import load_analysis_rows
    from player.store.tracks import track_columns

    to_place, profiles = [], []
    tracks_of = {a: np.array(match.artist_tracks[a], dtype=np.int64) for a in artists}
    if artists:
        loaded = load_analysis_rows(store, np.concatenate([tracks_of[a] for a in artists]), by_id=True)
        start = 0
        for a in artists:
            stop = start + len(tracks_of[a])
            has = loaded.analysed[start:stop]
            if has.any():
                to_place.append(a)
                profiles.append(loaded.tags[start:stop][has].mean(axis=0))
            start = stop
    genres = None
    if to_place:
        wanted = {int(t): a for a in to_place for t in tracks_of[a].tolist()}
        genre_rows = track_columns(
            store, ("id", "genre", "album", "path"), order="id", ids=list(wanted), include_missing=True
        )
        genres = vocabulary_of(bundle).artist_genres(genre_rows, wanted)
    return place_artists(bundle, to_place, profiles, genres)
