"""The station's *fit*: how well each track matches the moving query (audio and factor similarity plus
the seed's metadata), kept apart from ``radio.Station``'s session state and planning.

The query starts at the seed and moves with the session (``complete_rate`` / ``skip_rate``, the
centroid of finished tracks); similarity z-scores come from the library's precomputed means and
covariances, so one fit costs two matrix-vector products over the library.
"""

from __future__ import annotations

import math

import numpy as np

from recommender.factors.foldin import single_blas_thread


class QueryFit:
    """Mixin of ``Station``: the seed vectors, the moving query and the fit of every track to it."""

    def _seed_vector(
        self, matrix: np.ndarray | None, mask: np.ndarray | None, given: np.ndarray | None
    ) -> np.ndarray | None:
        if matrix is None:
            return None
        if given is not None:
            v = np.asarray(given, dtype=np.float32).ravel()
            norm = float(np.linalg.norm(v))
            return v / norm if norm > 0 else None
        if mask is not None and mask[self.seed_row]:
            return matrix[self.seed_row].astype(np.float32).copy()
        return None

    def _seed_centroids(self, seeds: dict[int, float]) -> None:
        """Several weighted seeds (a prompt's like/artist/tag/sounds terms, as track id -> weight): the
        seed vectors become their weighted centroids in library space, and the metadata term their
        weighted mix (``_metadata_term``), so the station starts between them as one seed starts at it."""
        lib = self.lib
        rows, weights = [], []
        for track_id, weight in seeds.items():
            try:
                rows.append(lib.row(int(track_id)))
            except KeyError:
                continue
            weights.append(max(0.0, float(weight)))
        self.seed_rows = np.asarray(rows, dtype=np.int64)
        self.seed_weights = np.asarray(weights, dtype=np.float64)
        for name, matrix, mask in (
            ("audio", lib.audio, lib.has_audio),
            ("factors", lib.factors, lib.has_factors),
        ):
            if matrix is None or not len(rows):
                continue
            ok = mask[self.seed_rows] if mask is not None else np.ones(len(rows), dtype=bool)
            w = self.seed_weights * ok
            if w.sum() <= 0:
                setattr(self, f"seed_{name}", None)
                continue
            v = (w[:, None] * matrix[self.seed_rows]).sum(axis=0)
            norm = float(np.linalg.norm(v))
            setattr(self, f"seed_{name}", (v / norm).astype(np.float32) if norm > 0 else None)

    def _query(self, name: str) -> np.ndarray | None:
        seed = getattr(self, f"seed_{name}")
        if seed is None:
            return None
        q = seed + getattr(self, f"_pull_{name}")
        if self.completions:
            s = self.settings
            w = min(s.session_weight_max, s.session_weight_per_completion * self.completions)
            done = getattr(self, f"_done_{name}")
            norm = float(np.linalg.norm(done))
            if norm > 0:
                q = (1 - w) * q + w * done / norm
        norm = float(np.linalg.norm(q))
        return q / norm if norm > 0 else seed

    #: Most seed rows whose metadata (genre, album, artist) the station's metadata term mixes.
    MAX_META_SEEDS = 32

    def _metadata_term(self) -> np.ndarray:
        lib = self.lib
        term = np.zeros(len(lib), dtype=np.float64)
        rows = getattr(self, "seed_rows", None)
        if rows is None or not len(rows):
            rows, weights = np.asarray([self.seed_row]), np.ones(1)
        else:
            top = np.argsort(-self.seed_weights, kind="stable")[: self.MAX_META_SEEDS]
            rows, weights = rows[top], self.seed_weights[top]
        weights = weights / max(float(weights.sum()), 1e-12)
        for r, w in zip(rows, weights, strict=True):
            if lib.genre[r] >= 0:
                term += w * 0.5 * (lib.genre == lib.genre[r])
            term += w * 0.3 * (lib.album == lib.album[r])
            term += w * 0.3 * (lib.artist == lib.artist[r])
        return term * self.settings.metadata_weight

    def _fit_weights(self) -> None:
        """Per-row blend of the z-scored audio and factor similarity: a track with only one kind of
        vector is judged on that one; a track with neither sits below the average (-1 s.d.)."""
        lib = self.lib
        s = self.settings
        n = len(lib)
        wa = np.zeros(n, dtype=np.float32)
        wf = np.zeros(n, dtype=np.float32)
        if self.seed_audio is not None:
            wa = np.where(lib.has_audio, s.audio_weight, 0.0).astype(np.float32)
        if self.seed_factors is not None:
            share = 1.0 - s.audio_weight if self.seed_audio is not None else 1.0
            wf = np.where(lib.has_factors, share, 0.0).astype(np.float32)
            if lib.factor_source is not None:
                wf = np.where(lib.factor_source == 2, wf * s.predicted_factor_weight, wf).astype(np.float32)
        total = wa + wf
        safe = np.where(total > 0, total, 1.0)
        self._wa = wa / safe
        self._wf = wf / safe
        if self.seed_audio is None and self.seed_factors is None:
            base = np.zeros(n, dtype=np.float32)
        else:
            base = np.where(total > 0, 0.0, -1.0).astype(np.float32)
        self._fit_base = base + self.meta.astype(np.float32)

    def _fit(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fit of every track to the current query: z-scored audio and factor similarity, blended.

        This is the one pass over the whole library per play event (two matrix-vector products). They
        run on one BLAS thread: a [100k x 200] product is memory-bound, and waking a thread pool that
        competes with playback for busy cores made the next-track step ~3x slower (120 vs 40 ms).
        """
        with single_blas_thread():
            return self._fit_products()

    def _fit_products(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        lib = self.lib
        parts: dict[str, np.ndarray] = {}
        fit = self._fit_base.copy()
        for name, weights in (("audio", self._wa), ("factors", self._wf)):
            q = self._query(name)
            if q is None:
                continue
            mu, cov = lib.space_stats(name)
            mean = float(mu @ q)
            sd = math.sqrt(max(float(q @ cov @ q), 1e-12))
            z = getattr(lib, name) @ ((q / sd).astype(np.float32))
            z -= np.float32(mean / sd)
            parts[name] = z
            fit += weights * z
        return fit, parts
