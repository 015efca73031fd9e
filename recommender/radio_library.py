"""The library as arrays for the radio: ``RadioLibrary`` (one row per track) and ``load_library``.

Why a module of its own: building the arrays is the slow, store-facing half of the radio (tracks, audio
analysis, the factor bundle and its artist match, audio-predicted factors for unknown artists, the
user's fold-in taste, recency), while ``recommender.radio.Station`` is the fast, plain-array half that
plans tracks. ``RadioLibrary.build`` takes plain per-track values (simulations and benchmarks use it
directly); ``load_library(store)`` gathers them from the database and the other recommender parts.
Parts that are not available (no analysis yet, no bundle) are left out and the station works from what
there is.

Large libraries: audio embeddings are centred and projected on 64 principal axes, and the mean and
covariance of each vector space are computed once (``space_stats``), so z-scoring a similarity costs
nothing per query.

API: ``RadioLibrary`` (``.build(...)``), ``LibraryParts``, ``load_library(store)``, ``user_taste``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _codes(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """Dense integer codes for hashable values (None gets its own code per row: it never collides)."""
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


@dataclass
class RadioLibrary:
    """The library as arrays, one row per track (what ``Station`` needs and nothing more).

    ``audio`` rows are centred and L2-normalised embeddings (zero rows where ``has_audio`` is False);
    ``factors`` rows are L2-normalised artist factors (bundle or audio-predicted) and ``raw_factors`` the
    unnormalised ones used with ``taste`` (the fold-in user vector) for the WMF preference estimate.
    """

    track_ids: np.ndarray  # int64 [n]
    artist: np.ndarray  # int64 codes [n]
    album: np.ndarray  # int64 codes [n]
    artist_names: list[Any]
    genre: np.ndarray | None = None  # int64 codes [n] (-1 unknown)
    duration: np.ndarray | None = None  # float [n], nan unknown
    audio: np.ndarray | None = None  # float32 [n, d]
    has_audio: np.ndarray | None = None  # bool [n]
    factors: np.ndarray | None = None  # float32 [n, k], normalised
    raw_factors: np.ndarray | None = None  # float32 [n, k]
    has_factors: np.ndarray | None = None  # bool [n]
    factor_source: np.ndarray | None = None  # 0 none, 1 bundle, 2 predicted from audio
    tempo: np.ndarray | None = None  # float [n], nan unknown
    loudness: np.ndarray | None = None  # float [n], nan unknown
    last_played: np.ndarray | None = None  # epoch seconds [n], nan never
    artist_completions: np.ndarray | None = None  # per artist code: completed plays in the app, or None
    artist_similarity: Any = None  # [artist code, artist code] co-listening cosine (scipy sparse), or None
    taste: np.ndarray | None = None  # float [k] fold-in user vector (same space as raw_factors)
    taste_evidence: int | None = None  # tracks with plays behind ``taste`` (None: trust it fully)
    audio_mean: np.ndarray | None = None  # what was subtracted from the raw embeddings (for new vectors)
    audio_basis: np.ndarray | None = None  # [d_raw, d] PCA projection applied after centring, or None
    # For reasons only (``Station._why``): titles, each track's most distinctive audio tags (indices
    # into ``tag_names``, -1 none), and the fold-in's evidence terms (``recommender.reasons.TasteBasis``).
    titles: list[Any] | None = None
    top_tags: np.ndarray | None = None  # int16 [n, 3]
    tag_names: Sequence[str] | None = None
    taste_basis: Any = None
    _row_of: dict[int, int] = field(default_factory=dict, repr=False)
    _stats: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n = len(self.track_ids)
        self.track_ids = np.asarray(self.track_ids, dtype=np.int64)
        self._row_of = {int(t): i for i, t in enumerate(self.track_ids)}
        if self.audio is not None and self.has_audio is None:
            self.has_audio = np.ones(n, dtype=bool)
        if self.factors is not None and self.has_factors is None:
            self.has_factors = np.ones(n, dtype=bool)
        if self.factors is not None and self.raw_factors is None:
            self.raw_factors = self.factors
        for name in ("duration", "tempo", "loudness", "last_played"):
            if getattr(self, name) is None:
                setattr(self, name, np.full(n, np.nan))
        if self.genre is None:
            self.genre = np.full(n, -1, dtype=np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.log2_tempo = np.log2(np.where(self.tempo > 0, self.tempo, np.nan)).astype(np.float32)
        self.loudness32 = np.asarray(self.loudness, dtype=np.float32)
        self.n_artist_codes = int(self.artist.max()) + 1 if n else 1
        self.n_album_codes = int(self.album.max()) + 1 if n else 1

    @classmethod
    def build(
        cls,
        track_ids: Sequence[int],
        artists: Sequence[str | None],
        albums: Sequence[Any] | None = None,
        *,
        album_artists: Sequence[str | None] | None = None,
        genres: Sequence[str | None] | None = None,
        audio: np.ndarray | None = None,
        has_audio: np.ndarray | None = None,
        factors: np.ndarray | None = None,
        has_factors: np.ndarray | None = None,
        factor_source: np.ndarray | None = None,
        taste: np.ndarray | None = None,
        taste_evidence: int | None = None,
        center_audio: bool = True,
        audio_dims: int | None = 64,
        **descriptors: Any,
    ) -> RadioLibrary:
        """From plain per-track values: artist/album names become codes, vectors get normalised.

        Audio embeddings are centred on the library mean first (when there are enough of them): CNN
        embeddings are mostly positive, and without centring every cosine is close to 1. They are then
        projected on their ``audio_dims`` principal axes: scoring a 100k-track library is bound by
        memory bandwidth, and 64 axes keep the neighbourhoods while reading a third of the bytes.
        """
        n = len(track_ids)
        artist_keys = [a.strip().casefold() if isinstance(a, str) and a.strip() else None for a in artists]
        artist_codes, artist_names = _codes(artist_keys)
        display = {}
        for key, raw in zip(artist_keys, artists, strict=True):
            if key is not None and key not in display:
                display[key] = raw.strip()
        artist_names = [display.get(k, None) if k is not None else None for k in artist_names]
        if albums is None:
            albums = [None] * n
        # An album is (album artist or artist, title). Album spacing keeps one artist's album from
        # hogging the station; a compilation or soundtrack with many artists is left to artist spacing
        # (otherwise a 40-track OST could play only every 25 tracks), so its tracks get their own codes.
        album_artists = album_artists if album_artists is not None else [None] * n
        album_keys = [
            (str(album_artists[i] or artist_keys[i] or "").casefold(), str(a).casefold())
            if a not in (None, "")
            else None
            for i, a in enumerate(albums)
        ]
        album_codes, _ = _codes(album_keys)
        artists_per_album: dict[int, set] = {}
        for code, artist in zip(album_codes.tolist(), artist_codes.tolist(), strict=True):
            artists_per_album.setdefault(code, set()).add(artist)
        shared = np.array([len(artists_per_album[c]) > 1 for c in album_codes.tolist()], dtype=bool)
        album_codes = np.where(shared, album_codes.max(initial=0) + 1 + np.arange(n), album_codes)
        genre_codes = None
        if genres is not None:
            keys = [g.strip().casefold() if isinstance(g, str) and g.strip() else None for g in genres]
            codes, _ = _codes(keys)
            genre_codes = np.where(np.array([k is None for k in keys], dtype=bool), -1, codes)
        audio_n = audio_mean = audio_basis = None
        if audio is not None:
            audio = np.asarray(audio, dtype=np.float32)
            mask = np.ones(n, dtype=bool) if has_audio is None else np.asarray(has_audio, dtype=bool)
            if center_audio and mask.sum() >= 20:
                audio_mean = audio[mask].mean(axis=0)
                audio = audio - audio_mean
                if audio_dims and audio.shape[1] > audio_dims:
                    audio_basis = pca_basis(audio[mask], audio_dims)
                    audio = audio @ audio_basis
            audio_n = _normalise_rows(audio)
            audio_n[~mask] = 0.0
            has_audio = mask
        factors_n = raw = None
        if factors is not None:
            raw = np.asarray(factors, dtype=np.float32)
            mask = np.ones(n, dtype=bool) if has_factors is None else np.asarray(has_factors, dtype=bool)
            factors_n = _normalise_rows(raw)
            factors_n[~mask] = 0.0
            has_factors = mask
        return cls(
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

    def __len__(self) -> int:
        return len(self.track_ids)

    def row(self, track_id: int) -> int:
        """The row of a track id (KeyError if the track is not in the library)."""
        return self._row_of[int(track_id)]

    def space_stats(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(mean row, covariance) of the ``audio`` or ``factors`` rows that exist, computed once."""
        if name not in self._stats:
            matrix = getattr(self, name)
            mask = getattr(self, "has_audio" if name == "audio" else "has_factors")
            self._stats[name] = _space_stats(matrix, mask)
        return self._stats[name]

    def prepare_audio(self, embedding: np.ndarray) -> np.ndarray:
        """A raw embedding (e.g. of a file analysed on demand) in the library's centred, unit space."""
        v = np.asarray(embedding, dtype=np.float32).ravel()
        if self.audio_mean is not None:
            v = v - self.audio_mean
        if self.audio_basis is not None:
            v = v @ self.audio_basis
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else v

    def artist_name(self, row: int) -> str:
        name = self.artist_names[int(self.artist[row])]
        return name if name else "unknown artist"


def pca_basis(centred: np.ndarray, dims: int, max_rows: int = 20_000) -> np.ndarray:
    """The ``dims`` principal axes ([d, dims]) of centred rows (a seeded sample of them if many)."""
    if len(centred) > max_rows:
        centred = centred[np.random.default_rng(0).choice(len(centred), max_rows, replace=False)]
    cov = centred.T.astype(np.float64) @ centred.astype(np.float64)
    _, vectors = np.linalg.eigh(cov)
    return np.ascontiguousarray(vectors[:, ::-1][:, :dims]).astype(np.float32)


def _space_stats(matrix: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean row and covariance of the rows in ``mask``: sim = M @ q has mean mu·q and variance qᵀCq,
    so z-scoring a similarity costs nothing per query."""
    rows = matrix[mask].astype(np.float64)
    if len(rows) == 0:
        d = matrix.shape[1]
        return np.zeros(d), np.eye(d)
    mu = rows.mean(axis=0)
    centred = rows - mu
    return mu, centred.T @ centred / len(rows)


@dataclass
class LibraryParts:
    """What ``load_library`` found, for messages and for ``similar``: the bundle and the artist match."""

    bundle: Any = None
    match: Any = None
    predicted_artists: dict[str, np.ndarray] = field(default_factory=dict)  # artist -> factors from audio
    analysed: int = 0


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
    ``taste``: True computes the user's fold-in from the plays, an array is used as is, False/None
    leaves taste out. Parts that are not available (no analysis yet, no bundle) are simply left out;
    the station then works from what there is, down to genre/album/artist metadata. Fill ``parts`` to
    get the bundle and match back. Banned tracks and artists (``player.store.ratings``) are left out,
    so no station can play them, except the tracks in ``keep`` (a seed the user chose explicitly).
    """
    from player.store.analysis import load_analysis_matrix, load_descriptors
    from player.store.plays import track_stats
    from player.store.ratings import banned_track_ids
    from player.store.tracks import iter_tracks

    parts = parts if parts is not None else LibraryParts()
    banned = banned_track_ids(store).difference(int(t) for t in keep)
    tracks = [t for t in iter_tracks(store) if t["id"] not in banned]
    ids = np.array([t["id"] for t in tracks], dtype=np.int64)
    row_of = {int(t): i for i, t in enumerate(ids)}
    n = len(ids)
    # Audio.
    a_ids, emb, tags = load_analysis_matrix(store)
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
    # Factors: the bundle's artist vectors, else predicted from audio tags through the bridge.
    if bundle is None:
        bundle = shipped_bundle()
    factors = has_factors = source = None
    if bundle is not None:
        from recommender.factors.match import match_library

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
            predicted = bridge_factors(bundle, match, row_of, tag_probs, has_audio)
            parts.predicted_artists = predicted
            for artist, vector in predicted.items():
                for track_id in match.artist_tracks.get(artist, []):
                    i = row_of.get(int(track_id))
                    if i is not None and not has_factors[i]:
                        factors[i] = vector
                        has_factors[i] = True
                        source[i] = 2
    # Recency.
    last_played = np.full(n, np.nan)
    completions = np.zeros(n)
    for t, st in track_stats(store).items():
        i = row_of.get(int(t))
        if i is not None and st.get("last_played") is not None:
            last_played[i] = float(st["last_played"])
        if i is not None:
            completions[i] = float(st.get("completions") or 0)
    taste_vec, evidence, basis = None, None, None
    if isinstance(taste, np.ndarray):
        taste_vec = taste
    elif taste and bundle is not None:
        taste_vec, evidence, basis = user_taste(store, bundle, match=parts.match, basis=True)
    library = RadioLibrary.build(
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
    library.titles = [t.get("title") for t in tracks]
    library.taste_basis = basis
    if tag_probs is not None and tag_probs.shape[1] == 50:
        from recommender.factors.bridge import MUSICNN_TAGS

        library.tag_names = MUSICNN_TAGS
        library.top_tags = distinctive_tags(tag_probs, has_audio)
    if parts.match is not None:
        # Co-listening between the library's artists (the radio's co-listening term).
        from recommender.radio_scoring import artist_similarity

        item_of_row = np.full(n, -1, dtype=np.int64)
        for track_id, item in parts.match.track_item.items():
            i = row_of.get(int(track_id))
            if i is not None:
                item_of_row[i] = int(item)
        library.artist_similarity = artist_similarity(library.artist, item_of_row, bundle)
    return library


def shipped_bundle() -> Any:
    """The default factor bundle, or None when it is not installed (radio then runs on audio alone)."""
    from recommender.factors.bundle import BundleError, load_bundle

    try:
        return load_bundle()
    except FileNotFoundError:
        return None
    except BundleError as exc:  # damaged or tampered with: go on without it, and say so
        _warn_once(f"the factor bundle is refused ({exc}); recommending from audio alone")
        return None


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"encore: warning: {message}", file=sys.stderr)


def bridge_factors(
    bundle: Any, match: Any, row_of: dict[int, int], tag_probs: np.ndarray, has_audio: np.ndarray
) -> dict[str, np.ndarray]:
    """Factors for unmatched artists from the mean audio tag probabilities of their analysed tracks."""
    try:
        from recommender.factors.bridge import predict_artist_factors
    except ImportError:
        return {}
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
    try:
        predicted = np.asarray(predict_artist_factors(np.vstack(profiles), bundle), dtype=np.float32)
    except ValueError:  # a bundle without a bridge
        return {}
    return dict(zip(names, predicted, strict=True))


def user_taste(store: Any, bundle: Any, match: Any = None, basis: bool = False) -> tuple:
    """The user's fold-in vector (``recommender.taste.Taste``) and how many tracks have plays behind it
    (``match``: the library already matched to ``bundle``, not matched again); with ``basis`` also the
    ``recommender.reasons.TasteBasis`` that names the artists behind a taste score (None if no vector)."""
    from recommender.taste import Taste

    taste = Taste.from_store(store, bundle, match=match)
    vector = np.asarray(taste.user_vector, dtype=np.float32)
    out = (vector if np.any(vector) else None), len(taste.track_feedback)
    if not basis:
        return out
    from recommender.reasons import TasteBasis

    return (*out, TasteBasis.from_taste(taste) if out[0] is not None else None)


def distinctive_tags(tag_probs: np.ndarray, has_audio: np.ndarray | None, n: int = 3) -> np.ndarray:
    """Per track, the ``n`` audio tags most above the library's mean (int16 indices, -1 where none):
    what a reason can say two tracks share ("both piano and calm") beyond what all tracks have."""
    out = np.full((len(tag_probs), n), -1, dtype=np.int16)
    rows = np.flatnonzero(has_audio) if has_audio is not None else np.arange(len(tag_probs))
    if len(rows) == 0:
        return out
    lift = tag_probs[rows] - tag_probs[rows].mean(axis=0)
    top = np.argsort(-lift, axis=1, kind="stable")[:, :n]
    keep = np.take_along_axis(lift, top, 1) > 0
    out[rows] = np.where(keep, top, -1).astype(np.int16)
    return out
