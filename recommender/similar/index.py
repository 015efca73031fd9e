"""Fans also like: the artists nearest to an artist in the pretrained factor space, plus "sounds like".

Why factor space: two artists are close there when the same people listen to both (WMF item factors),
which is what "fans also like" means; the cosine is made support-aware (``recommender.similar.support``:
neighbours need 3 listeners, the cosine is shrunk by their support and blended with item-kNN), which
``encore evaluate-similar`` measured ahead of raw cosine, item-kNN and popularity on held-out users; audio similarity answers a different question ("sounds like"),
so both are given, separately. Each similar artist is marked **in library** (with its track ids, ready
to play or to seed a radio) or **discovery** (not in the library: its name and a link to read about it).
Artists the bundle does not know (most indie and game-music artists) are placed in the factor space by
the audio-to-factor bridge from their tracks' audio tags, and can then have, and be, neighbours.

One ``SimilarIndex`` is built per library, from the radio's start-up part (``SimilarIndex.from_library``:
its artist match, audio-placed artists and projected audio, so the two never disagree and a new album is
added to one cache, ``recommender.radio.append``; kept on disk by ``recommender.similar.stored``); each
query is then one or two matrix-vector products, well under 10 ms.

Bans are applied per query (``bans``: ``recommender.taste.bans.Bans``, read by the caller just before),
not baked into the index, which is cached on disk and in memory across lookups: a banned artist, in the
library or a discovery, is no neighbour; a banned track is no sound-alike, nor among an in-library
artist's tracks. Banned candidates are masked before the top-k, so ``n`` results still come back.

API: ``SimilarIndex.from_store(store, bundle=None)``, ``SimilarIndex.from_library(library, match, predicted, bundle, gone=None)``, ``.artist(name, n, sounds_like, bans=None)``,
``.track(track_id, artist, n, sounds_like, bans=None)``; the answers are ``recommender.similar.answers``'.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.ranking import top_k
from recommender.similar.answers import Similar, SimilarArtist, SoundsLike, lastfm_link
from recommender.taste.bans import Bans

AUDIO_DIMS = 64
MIN_SOUNDS_LIKE_S = 30.0
"""Tracks shorter than this (jingles, sound effects) are not offered as sound-alikes."""


class SimilarIndex:
    """Artist neighbours in factor space (bundle + audio-predicted artists) and audio neighbours."""

    def __init__(
        self,
        bundle: Any,
        artist_to_item: dict[str, int],
        artist_tracks: dict[str, list[int]],
        predicted: dict[str, np.ndarray] | None = None,
        audio_ids: np.ndarray | None = None,
        audio: np.ndarray | None = None,
        short_tracks: set[int] | None = None,
        *,
        overwrite_audio: bool = False,
        prepared: tuple[np.ndarray, np.ndarray] | None = None,
        keys: dict[str, str] | None = None,
    ) -> None:
        """``short_tracks``: ids never offered as sound-alikes (jingles and sound effects);
        ``overwrite_audio``: ``audio`` may be centred in place (saves a copy); ``prepared``: the
        (centred, projected, normalised audio, sound-alike mask) of an earlier index (the disk cache);
        ``keys``: each artist's normalised name -> its spelling in ``artist_tracks`` where the artist
        match made them (``LibraryMatch.keys``), else they are made here."""
        from recommender.factors.match import normalise_artist

        self._norm = normalise_artist
        self.bundle = bundle
        self.artist_tracks = artist_tracks
        self.artist_to_item = artist_to_item
        self.local_of_item: dict[int, str] = {}
        for artist, item in artist_to_item.items():
            self.local_of_item.setdefault(int(item), artist)
        if keys is not None:
            self.local_by_key = dict(keys)
        else:
            self.local_by_key = {}
            for artist in artist_tracks:
                key = normalise_artist(artist)
                if key is not None:
                    self.local_by_key.setdefault(key, artist)
        self.predicted = predicted or {}
        self.pred_names = list(self.predicted)
        self.pred_index = {name: j for j, name in enumerate(self.pred_names)}
        k = bundle.k if bundle is not None else 0
        y = (
            np.asarray(bundle.normalised_factors, dtype=np.float32)
            if bundle is not None
            else np.zeros((0, k))
        )
        extra = np.zeros((0, k), dtype=np.float32)
        if self.pred_names:
            extra = np.vstack([self.predicted[a] for a in self.pred_names]).astype(np.float32)
            norms = np.linalg.norm(extra, axis=1, keepdims=True)
            extra = extra / np.where(norms > 0, norms, 1.0)
        self.items = y
        self.extra = extra
        # Predicted vectors are shrunk toward the popular direction (held-out cosine to the true vector
        # ≈ 0.37 on Last.fm), so raw cosines flatter them; scores that involve one are discounted by that
        # expected cosine to rank them fairly against co-listening evidence.
        report = (bundle.meta.get("bridge") if bundle is not None else None) or {}
        self.predicted_confidence = float(report.get("cosine_mean", 0.4))
        self.short_tracks = short_tracks or set()
        # Audio: centred, normalised embeddings (CNN embeddings are mostly positive).
        self.audio_ids = np.zeros(0, np.int64) if audio_ids is None else np.asarray(audio_ids, np.int64)
        self._audio_sorted: bool | None = None  # whether audio_ids ascend (worked out on first use)
        self._audio_row: dict[int, int] | None = None  # else track id -> row, built on first use
        self._artist_of_track: dict[int, str] | None = None  # likewise (only queries with bans need it)
        self._untagged: list[int] | None = None  # ``_untagged_rows``, worked out on first use
        self.audio = None
        if prepared is not None:
            self.audio, self.audio_ok = prepared
        elif audio is not None and len(self.audio_ids):
            a = np.asarray(audio, dtype=np.float32)
            self.audio_ok = ~np.isin(
                self.audio_ids, np.fromiter(self.short_tracks, np.int64, len(self.short_tracks))
            )
            if len(a) >= 20:
                from recommender.radio.library import pca_basis

                if overwrite_audio:
                    a -= a.mean(axis=0)
                else:
                    a = a - a.mean(axis=0)
                if a.shape[1] > AUDIO_DIMS:  # as the radio: 64 principal axes, a third of the bytes to read
                    a = a @ pca_basis(a, AUDIO_DIMS)
            norms = np.linalg.norm(a, axis=1, keepdims=True)
            self.audio = a / np.where(norms > 0, norms, 1.0)

    @classmethod
    def from_store(cls, store: Any, bundle: Any = None) -> SimilarIndex:
        """Everything from the database and the shipped bundle (or ``bundle``).

        Kept on disk between runs (``recommender.radio.cache``: reading and projecting 100k embeddings
        and matching every credit cost seconds; the cache is named by what it was computed from)."""
        from recommender.factors.bundle_file import load_bundle
        from recommender.radio import cache
        from recommender.similar import stored

        bundle = bundle if bundle is not None else load_bundle(or_none=True)
        key = cache.fingerprint(store, "similar", bundle)
        cached = cache.load(store, "similar", key)
        if cached is not None:
            try:
                return cls(bundle, **stored.index_parts(bundle, cached))
            except (KeyError, ValueError, IndexError, TypeError, UnicodeDecodeError):
                pass  # an inconsistent cache file (incl. disk_cache.Doubt): compute again, overwrite it
        if bundle is not None:  # the radio's static part: its match, placed artists and projected audio
            from recommender.radio.load import static_part

            static, _how = static_part(store, bundle)
            index = cls.from_library(static.library, static.match, static.predicted, bundle, static.gone)
        else:
            index = cls._without_bundle(store)
        if key is not None:
            cache.save(store, "similar", key, stored.index_arrays(index))
        return index

    @classmethod
    def from_library(
        cls,
        library: Any,
        match: Any,
        predicted: dict[str, np.ndarray],
        bundle: Any,
        gone: np.ndarray | None = None,
    ) -> SimilarIndex:
        """The index over the radio's static part (``recommender.radio.load.static_part``: every track, bans
        left to each query): the same artist match, audio-placed artists and projected audio as the radio,
        so a new album is added to one cache (``recommender.radio.append``) instead of this index being
        computed again from every track (issue 25, item 1). ``gone``: the rows whose file is missing
        (``Static.gone``): never a sound-alike nor an artist's track, and an artist with no other track is
        no longer in the library (a discovery, if the bundle knows it)."""
        ids = prepared = None
        has = library.has_audio
        if gone is not None and gone.any():
            has = has & ~gone if has is not None else None
            match, predicted = _without_tracks(match, predicted, library.track_ids[gone])
        if library.audio is not None and has is not None and has.any():
            rows = np.flatnonzero(has)
            ids = library.track_ids[rows]
            ok = (
                np.nan_to_num(np.asarray(library.duration, dtype=np.float64)[rows], nan=0.0)
                >= MIN_SOUNDS_LIKE_S
            )
            prepared = (np.ascontiguousarray(library.audio[rows]), ok)
        return cls(
            bundle,
            dict(match.artist_to_item),
            match.artist_tracks,
            dict(predicted),
            ids,
            prepared=prepared,
            keys=match.keys,
        )

    @classmethod
    def _without_bundle(cls, store: Any) -> SimilarIndex:
        """No factor bundle: artists by their tags' names, and "sounds like" from the analysis alone."""
        from player.store.analysis import load_analysis_matrix
        from player.store.tracks import track_columns

        ids, emb, _tags = load_analysis_matrix(store)
        short = {
            int(r[0]) for r in track_columns(store, ("id", "duration")) if (r[1] or 0) < MIN_SOUNDS_LIKE_S
        }
        artist_tracks: dict[str, list[int]] = {}
        for _id, artist, album_artist in track_columns(store, ("id", "artist", "album_artist")):
            name = artist or album_artist
            if name:
                artist_tracks.setdefault(name.strip(), []).append(int(_id))
        audio = emb if len(ids) else None
        return cls(None, {}, artist_tracks, {}, ids, audio, short, overwrite_audio=True)

    def audio_rows(self, track_ids: Any) -> np.ndarray:
        """The rows of ``audio`` of those of ``track_ids`` that have one, in their order. A binary search
        over ``audio_ids`` when they are ascending (as the radio's library gives them); else one dict,
        built on first use (100k entries: 20 ms, most of a ``similar`` answer)."""
        ids = np.fromiter((int(t) for t in track_ids if t is not None), np.int64)
        known = self.audio_ids
        if self._audio_sorted is None:
            self._audio_sorted = len(known) < 2 or bool((np.diff(known) > 0).all())
        if self._audio_sorted:
            at = np.minimum(np.searchsorted(known, ids), max(len(known) - 1, 0))
            return at[known[at] == ids] if len(known) else np.zeros(0, np.int64)
        if self._audio_row is None:
            self._audio_row = dict(zip(known.tolist(), range(len(known)), strict=True))
        row = self._audio_row
        return np.array([row[t] for t in ids.tolist() if t in row], dtype=np.int64)

    # ------------------------------------------------------------------------------------------ queries

    def resolve(self, name: str) -> tuple[str, np.ndarray | None, str, int | None]:
        """(display name, unit factor vector or None, 'bundle' | 'audio' | 'none', bundle item or None)."""
        key = self._norm(name)
        local = self.local_by_key.get(key) if key else None
        display = local or name.strip()
        if local is not None and local in self.artist_to_item:
            item = int(self.artist_to_item[local])
            return display, self.items[item], "bundle", item
        if local is not None and local in self.predicted:
            return display, self.extra[self.pred_index[local]], "audio", None
        if self.bundle is not None and key and key in self.bundle.key_index:
            item = int(self.bundle.key_index[key])
            return str(self.bundle.names[item]), self.items[item], "bundle", item
        return display, None, "none", None

    def artist(self, name: str, n: int = 20, sounds_like: int = 10, bans: Bans | None = None) -> Similar:
        """The ``n`` nearest artists to ``name`` and ``sounds_like`` tracks near its tracks' audio,
        none of them banned (``bans``)."""
        bans = bans or Bans()
        display, q, known, item = self.resolve(name)
        own_tracks = self.artist_tracks.get(display, [])
        artists: list[SimilarArtist] = []
        if q is not None and n > 0:
            artists = self._neighbours(q, n, item, display, item, bans)
        return Similar(display, known, artists, self._sounds_like(own_tracks, sounds_like, bans))

    def track(
        self,
        track_id: int,
        artist: str | None,
        n: int = 20,
        sounds_like: int = 10,
        bans: Bans | None = None,
    ) -> Similar:
        """For the playing track: its artist's neighbours, and tracks that sound like this one (none of
        them banned)."""
        bans = bans or Bans()
        result = self.artist(artist, n, 0, bans) if artist else Similar("", "none", [], [])
        result.sounds_like = self._sounds_like([int(track_id)], sounds_like, bans)
        return result

    def _banned_rows(self, bans: Bans) -> list[int]:
        """Rows of the neighbour scores (bundle items, then predicted artists) that bans rule out: banned
        names (bundle artists and library artists), and library artists every track of which is banned."""
        if not bans:
            return []
        n_items = len(self.items)
        rows = bans.items(self.bundle)
        local = {self.local_by_key[key] for key in bans.artist_keys if key in self.local_by_key}
        if bans.track_ids:
            if self._artist_of_track is None:
                self._artist_of_track = {t: a for a, ts in self.artist_tracks.items() for t in ts}
            touched = {self._artist_of_track.get(t) for t in bans.track_ids} - {None}
            local |= {a for a in touched if all(t in bans.track_ids for t in self.artist_tracks[a])}
        for artist in local:
            item = self.artist_to_item.get(artist)
            if item is not None and self.local_of_item.get(int(item)) == artist:
                rows.append(int(item))
            j = self.pred_index.get(artist)
            if j is not None:
                rows.append(n_items + j)
        return rows

    def _untagged_rows(self) -> list[int]:
        """Rows of the neighbour scores that are untagged groups ("Unknown artist (hyperrogue)"): placed by
        their sound so that they have neighbours, but a folder of untagged files is no artist to suggest
        (as For you leaves them out)."""
        if self._untagged is None:
            from player.naming import is_untagged_artist

            n_items = len(self.items)
            self._untagged = [n_items + j for j, a in enumerate(self.pred_names) if is_untagged_artist(a)]
        return self._untagged

    def _neighbours(
        self,
        q: np.ndarray,
        n: int,
        exclude_item: int | None,
        exclude_local: str,
        query_item: int | None,
        bans: Bans,
    ) -> list[SimilarArtist]:
        q = np.asarray(q, dtype=np.float32)
        n_items = len(self.items)
        if (
            n_items
        ):  # support-aware: min support, shrinkage, blend with item-kNN (recommender.similar.support)
            from recommender.similar.support import support_scores

            scores = support_scores(self.bundle, q, query_item).astype(np.float32)
        else:
            scores = np.zeros(0, np.float32)
        if len(self.extra):
            scores = np.concatenate([scores, (self.extra @ q) * np.float32(self.predicted_confidence)])
        if exclude_item is not None:
            scores[exclude_item] = -np.inf
        j = self.pred_index.get(exclude_local)
        if j is not None:
            scores[n_items + j] = -np.inf
        out: list[SimilarArtist] = []

        def playable(artist: str) -> list[int]:
            return [t for t in self.artist_tracks.get(artist, []) if t not in bans.track_ids]

        for i in top_k(scores, self._banned_rows(bans) + self._untagged_rows(), n).tolist():
            score = float(scores[i])
            if i >= n_items:
                name = self.pred_names[i - n_items]
                out.append(SimilarArtist(name, score, True, playable(name), None, True))
                continue
            local = self.local_of_item.get(i)
            if local is not None:
                out.append(SimilarArtist(local, score, True, playable(local)))
            else:
                name = str(self.bundle.names[i])
                out.append(SimilarArtist(name, score, False, [], lastfm_link(name)))
        return out

    def _sounds_like(self, track_ids: list[int], n: int, bans: Bans) -> list[SoundsLike]:
        if self.audio is None or n <= 0:
            return []
        rows = self.audio_rows(track_ids)
        if not len(rows):
            return []
        q = self.audio[rows].mean(axis=0)
        norm = float(np.linalg.norm(q))
        if norm == 0:
            return []
        scores = self.audio @ (q / norm)
        scores[rows] = -np.inf
        scores[~self.audio_ok] = -np.inf
        banned = self.audio_rows(bans.track_ids).tolist()
        return [SoundsLike(int(self.audio_ids[i]), float(scores[i])) for i in top_k(scores, banned, n)]


def _without_tracks(match: Any, predicted: dict[str, np.ndarray], absent: np.ndarray) -> tuple[Any, dict]:
    """The match without the tracks ``absent`` (files gone missing), and without the artists left with no
    track (and their placed vectors), as an ``of_arrays`` match: a few array passes, even at a million."""
    from recommender.factors.match import LibraryMatch

    names, tracks, local = match.arrays()
    keep = ~np.isin(tracks, absent)
    tracks, local = tracks[keep], local[keep]
    alive = np.bincount(local, minlength=len(names)) > 0
    renumber = np.cumsum(alive) - 1
    kept = [a for a, ok in zip(names, alive.tolist(), strict=True) if ok]
    out = LibraryMatch.of_arrays(kept, tracks, renumber[local])
    present = set(kept)
    out.artist_to_item = {a: i for a, i in match.artist_to_item.items() if a in present}
    out.how = {a: h for a, h in match.how.items() if a in present}
    out.unmatched = [a for a in match.unmatched if a in present]
    if match.keys is not None:
        out.keys = {k: a for k, a in match.keys.items() if a in present}
    return out, {a: v for a, v in predicted.items() if a in present}
