"""The library as arrays for the radio: ``RadioLibrary`` (one row per track).

Why a module of its own: building the arrays is the slow, store-facing half of the radio (tracks, audio
analysis, the factor bundle and its artist match, audio-predicted factors for unknown artists, the
user's fold-in taste, recency), while ``recommender.radio.station.Station`` is the fast, plain-array half that
plans tracks. ``RadioLibrary.build`` takes plain per-track values (simulations and benchmarks use it
directly); ``recommender.radio.load.load_library(store)`` gathers them from the database and the other
recommender parts.
Parts that are not available (no analysis yet, no bundle) are left out and the station works from what
there is.

Large libraries: audio embeddings are centred and projected on 64 principal axes, and the mean and
covariance of each vector space are computed once (``space_stats``), so z-scoring a similarity costs
nothing per query.

API: ``RadioLibrary`` (``.build(...)``, ``.rows(keep, in_place=False)``), ``LibraryParts``, ``pca_basis``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommender.cache_strings import StoredStrings
from recommender.radio.codes import (
    ALBUM_SEP,
    album_codes,
    album_title_key,
    artist_key,
    first_seen_codes,
    keyed,
    value_ids,
)
from recommender.radio.row_blocks import compacted, project_audio
from recommender.radio.shared_rows import SharedRows, normalise_rows


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
    factors: Any = None  # [n, k] float32 ``SharedRows`` (a dense array is wrapped), normalised
    raw_factors: Any = None  # [n, k] float32 ``SharedRows``, sharing the index of ``factors``
    has_factors: np.ndarray | None = None  # bool [n]
    factor_source: np.ndarray | None = None  # 0 none, 1 bundle, 2 predicted from audio
    item: np.ndarray | None = None  # int64 [n]: the bundle item of the row's artist, -1 none
    tempo: np.ndarray | None = None  # float [n], nan unknown
    loudness: np.ndarray | None = None  # float [n], nan unknown
    last_played: np.ndarray | None = None  # epoch seconds [n], nan never
    artist_completions: np.ndarray | None = None  # per artist code: completed plays in the app, or None
    artist_skips: np.ndarray | None = None  # per artist code: skipped plays in the app, or None
    recent_skips: Sequence[tuple[int, float]] = ()  # (track id, when) of the last day's skips, oldest first
    artist_similarity: Any = None  # [artist code, artist code] co-listening cosine (CsrRows), or None
    taste: np.ndarray | None = None  # float [k] fold-in user vector (same space as raw_factors)
    taste_evidence: int | None = None  # tracks with plays behind ``taste`` (None: trust it fully)
    taste_scores: np.ndarray | None = None  # float [n]: the shipped model's taste score per row, NaN unknown
    audio_mean: np.ndarray | None = None  # what was subtracted from the raw embeddings (for new vectors)
    audio_basis: np.ndarray | None = None  # [d_raw, d] PCA projection applied after centring, or None
    # For reasons only (``Station._why``): titles, each track's most distinctive audio tags (indices
    # into ``tag_names``, -1 none), and the fold-in's evidence terms (``recommender.reasons.TasteBasis``).
    titles: Sequence[Any] | None = None  # a list, or the cache's ``StoredStrings``
    top_tags: np.ndarray | None = None  # int16 [n, 3]
    tag_names: Sequence[str] | None = None
    taste_basis: Any = None
    # What rows added later are numbered by (``recommender.radio.append``): each row's album pair (-1
    # untitled), the pairs' "owner\x1ftitle" keys, the genre keys in code order, the audio tags' mean.
    album_key: np.ndarray | None = None
    album_pairs: Sequence[str] | None = None
    genre_keys: list[Any] | None = None
    tag_mean: np.ndarray | None = None
    _row_of: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _stats: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n = len(self.track_ids)
        self.track_ids = np.asarray(self.track_ids, dtype=np.int64)
        if self.audio is not None and self.has_audio is None:
            self.has_audio = np.ones(n, dtype=bool)
        if self.factors is not None and self.has_factors is None:
            self.has_factors = np.ones(n, dtype=bool)
        if self.factors is not None and self.raw_factors is None:
            self.raw_factors = self.factors
        for name in ("factors", "raw_factors"):  # each artist's vector once, not once per track
            value = getattr(self, name)
            if value is not None and not isinstance(value, SharedRows):
                setattr(self, name, SharedRows.dense(value))
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
        frozen_audio: tuple[np.ndarray | None, np.ndarray | None] | None = None,
        **descriptors: Any,
    ) -> RadioLibrary:
        """From plain per-track values: artist/album names become codes, vectors get normalised.

        Audio embeddings are centred on the library mean first (when there are enough of them): CNN
        embeddings are mostly positive, and without centring every cosine is close to 1. They are then
        projected on their ``audio_dims`` principal axes: scoring a 100k-track library is bound by
        memory bandwidth, and 64 axes keep the neighbourhoods while reading a third of the bytes.
        ``factors``: a dense [n, k] array, or ``SharedRows`` (each artist's vector once).
        ``frozen_audio``: (mean, axes) to use instead of the library's own (those of the last full build,
        so that rows added since are placed where the cached ones are). Albums are numbered by
        ``album_codes`` from ``album_key`` (kept with ``album_pairs``); genres by their key's first
        appearance (``genre_keys``), -1 where none.
        """
        audio_mean = audio_basis = None
        n = len(track_ids)
        artists = list(artists)
        artist_ids, artist_keys = keyed(artists, artist_key)
        artist_codes = first_seen_codes(artist_ids)
        display: dict[str, str] = {}
        firsts = np.unique(artist_codes, return_index=True)[1] if n else np.zeros(0, np.int64)
        artist_names = [
            display.setdefault(artist_keys[artist_ids[r]], artists[r].strip()) if artist_ids[r] >= 0 else None
            for r in firsts.tolist()
        ]
        # An album is (album artist or artist, title): ``album_key`` numbers the distinct pairs
        # (``album_pairs`` names them, so rows added later find theirs), ``album_codes`` makes the codes.
        albums = [None] * n if albums is None else list(albums)
        album_artists = [None] * n if album_artists is None else list(album_artists)
        aa_ids, aa_values = value_ids(album_artists)
        owner_index: dict[str, int] = {}  # casefolded album artist (or artist key) -> id
        aa_owner = np.array(
            [owner_index.setdefault(str(v).casefold(), len(owner_index)) if v else -1 for v in aa_values],
            dtype=np.int64,
        )
        key_owner = np.array(
            [owner_index.setdefault(str(k).casefold(), len(owner_index)) for k in artist_keys], dtype=np.int64
        )
        blank = owner_index.setdefault("", len(owner_index))
        owner = aa_owner[aa_ids] if n else aa_ids
        fallback = np.where(
            artist_ids >= 0, key_owner[np.maximum(artist_ids, 0)] if len(key_owner) else blank, blank
        )
        owner = np.where(owner >= 0, owner, fallback)
        title_ids, title_keys = keyed(albums, album_title_key)
        album_key = np.full(n, -1, dtype=np.int64)
        titled = np.flatnonzero(title_ids >= 0)
        album_pairs: list[str] = []
        if len(titled):
            pair = owner[titled] * (int(title_ids.max()) + 1) + title_ids[titled]
            album_key[titled] = first_seen_codes(pair)
            firsts = titled[np.unique(album_key[titled], return_index=True)[1]]
            owners = list(owner_index)
            album_pairs = [
                owners[o] + ALBUM_SEP + title_keys[t]
                for o, t in zip(owner[firsts].tolist(), title_ids[firsts].tolist(), strict=True)
            ]
        genre_codes = None
        genre_keys: list[Any] = []
        if genres is not None:
            genre_codes, genre_keys = keyed(list(genres), artist_key)
        audio_n = None
        if audio is not None:
            mask = np.ones(n, dtype=bool) if has_audio is None else np.asarray(has_audio, dtype=bool)
            if (
                frozen_audio is not None
            ):  # the centre and axes of the last full build (``recommender.radio.append``)
                audio_mean, audio_basis = frozen_audio
            elif center_audio and mask.sum() >= 20:
                audio = np.asarray(audio, dtype=np.float32)
                rows = audio if mask.all() else audio[mask]
                audio_mean = rows.mean(axis=0)
                if audio_dims and audio.shape[1] > audio_dims:
                    audio_basis = pca_basis(rows, audio_dims, mean=audio_mean)
                del rows
            audio_n = project_audio(audio, audio_mean, audio_basis)
            del audio
            audio_n[~mask] = 0.0
            has_audio = mask
        factors_n = raw = None
        if isinstance(factors, SharedRows):  # the loader's: rows without factors point at zero vectors
            raw, factors_n = factors, factors.normalised()
            has_factors = (
                np.ones(n, dtype=bool) if has_factors is None else np.asarray(has_factors, dtype=bool)
            )
        elif factors is not None:
            raw = np.asarray(factors, dtype=np.float32)
            mask = np.ones(n, dtype=bool) if has_factors is None else np.asarray(has_factors, dtype=bool)
            factors_n = normalise_rows(raw)
            factors_n[~mask] = 0.0
            has_factors = mask
        library = cls(
            track_ids=np.asarray(track_ids, dtype=np.int64),
            artist=artist_codes,
            album=album_codes(album_key, artist_codes),
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
        library.album_key, library.album_pairs, library.genre_keys = album_key, album_pairs, genre_keys
        return library

    def __len__(self) -> int:
        return len(self.track_ids)

    def rows(self, keep: np.ndarray, *, in_place: bool = False) -> RadioLibrary:
        """The library with only the rows in ``keep`` (a bool mask), everything else as computed over all.

        Why: bans and missing files are applied at load (issue 25, item 1), so the cached arrays never
        depend on them. What was derived from the whole library stays as it was: artist and album codes (a
        wholly banned artist leaves an unused code, its name and its co-listening row), the audio mean and
        principal axes, the z-score statistics and each row's top tags. Per-artist play counts are not
        carried: ``load_library`` computes them after. ``in_place``: this library is not used again, so its
        audio rows are moved up over its own (``compacted``) instead of copied: at a million tracks the copy
        was 256 MB more at the peak of every start with a ban or a missing file."""
        per_row = (
            "artist album genre duration audio has_audio factors raw_factors has_factors factor_source item"
            " tempo loudness last_played top_tags taste_scores"
        ).split()
        values = {name: getattr(self, name) for name in per_row}
        values = {
            name: None if v is None else _kept(v, keep) for name, v in values.items() if name != "audio"
        }
        audio = self.audio
        if in_place and isinstance(audio, np.ndarray) and audio.flags.writeable:
            self.audio = None  # moved: this library's own rows are overwritten
            values["audio"] = compacted(audio, keep)
        else:
            values["audio"] = None if audio is None else _kept(audio, keep)
        out = RadioLibrary(track_ids=self.track_ids[keep], artist_names=self.artist_names, **values)
        whole = (
            "artist_similarity audio_mean audio_basis tag_names recent_skips taste taste_evidence taste_basis"
        )
        for name in whole.split():
            setattr(out, name, getattr(self, name))
        if isinstance(self.titles, StoredStrings):
            out.titles = self.titles.subset(keep)
        elif self.titles:
            out.titles = [self.titles[r] for r in np.flatnonzero(keep).tolist()]
        else:
            out.titles = self.titles
        out._stats = dict(self._stats)
        return out

    def row(self, track_id: int) -> int:
        """The row of a track id (KeyError if the track is not in the library)."""
        rows, found = self.rows_of(np.array([int(track_id)], dtype=np.int64))
        if not found[0]:
            raise KeyError(track_id)
        return int(rows[0])

    def rows_of(self, track_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the rows of those of ``track_ids`` in the library, in their order; which of them are)."""
        n = len(self.track_ids)
        if n == 0 or len(track_ids) == 0:
            return np.zeros(0, np.int64), np.zeros(len(track_ids), dtype=bool)
        if not self._row_of:  # sorted once on first use (a dict of 100k: 50 ms)
            order = np.argsort(self.track_ids, kind="stable")
            self._row_of = {"order": order, "sorted": self.track_ids[order]}
        sorted_ids = self._row_of["sorted"]
        pos = np.minimum(np.searchsorted(sorted_ids, track_ids), n - 1)
        found = sorted_ids[pos] == track_ids
        return self._row_of["order"][pos[found]], found

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


def _kept(values: Any, keep: np.ndarray) -> Any:
    return values.subset(keep) if isinstance(values, SharedRows) else values[keep]


def pca_basis(
    centred: np.ndarray, dims: int, max_rows: int = 20_000, mean: np.ndarray | None = None
) -> np.ndarray:
    """The ``dims`` principal axes ([d, dims]) of centred rows (a seeded sample of them if many).

    ``mean``: the rows are not centred yet; subtract it from the sampled ones only (the same values as
    centring all of them first, without a copy of the whole matrix)."""
    if len(centred) > max_rows:
        centred = centred[np.random.default_rng(0).choice(len(centred), max_rows, replace=False)]
        if mean is not None:
            centred -= mean
    elif mean is not None:
        centred = centred - mean
    cov = centred.T.astype(np.float64) @ centred.astype(np.float64)
    _, vectors = np.linalg.eigh(cov)
    return np.ascontiguousarray(vectors[:, ::-1][:, :dims]).astype(np.float32)


def _space_stats(matrix: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean row and covariance of the rows in ``mask``: sim = M @ q has mean mu·q and variance qᵀCq,
    so z-scoring a similarity costs nothing per query."""
    rows = (np.asarray(matrix) if mask.all() else matrix[mask]).astype(np.float64)  # one copy only
    if len(rows) == 0:
        d = matrix.shape[1]
        return np.zeros(d), np.eye(d)
    mu = rows.mean(axis=0)
    rows -= mu  # centred in place: the same values as ``rows - mu``, without a second 50 MB array
    return mu, rows.T @ rows / len(rows)


@dataclass
class LibraryParts:
    """What ``load_library`` found, for messages and for ``similar``: the bundle and the artist match."""

    bundle: Any = None
    match: Any = None
    predicted_artists: dict[str, np.ndarray] = field(default_factory=dict)  # artist -> factors from audio
    analysed: int = 0
    cache: str = ""  # how the radio's start-up arrays were had: "cache", "appended" or "built"
