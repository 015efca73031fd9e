"""The station's *fit*: how well each track matches the moving query (audio and factor similarity plus
the seed's metadata), kept apart from ``radio.Station``'s session state and planning.

The query starts at the seed and moves with the session (``complete_rate`` / ``skip_rate``, the
centroid of finished tracks); similarity z-scores come from the library's precomputed means and
covariances, so one fit costs two matrix-vector products over the library.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

_FIT_THREAD: ThreadPoolExecutor | None = None
"""The thread ``QueryFit._fit_started`` runs fits on, started at the first."""


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

    def _fit_started(self) -> Future[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """The fit of every track to the current query (``_fit_products``), computed on the radio's
        own thread while the caller takes the candidate lists that do not depend on it (the taste,
        co-listening and enjoyment lists). The caller holds ``single_blas_thread`` until it has the
        result, so the products run on one BLAS thread.

        Why: this is the one pass over the whole library per play event (two matrix-vector products;
        at a million tracks the audio one is 13-15 ms of a 55 ms step) and the lists are as long, each
        a pass over every row; numpy lets go of the interpreter in both, so on two cores they overlap.
        One BLAS thread: the products are memory-bound, and a woken OpenBLAS pool keeps spinning on the
        other core (with one, a next-track step at a million tracks went from 48 to 37 ms; with a pool
        competing with playback, a step at 100k was once 3x slower). One thread for the fits, not a
        pool: a station asks for one at a time, and the values are those computed in turn."""
        global _FIT_THREAD
        if _FIT_THREAD is None:
            _FIT_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encore-radio-fit")
        try:
            return _FIT_THREAD.submit(self._fit_products)
        except RuntimeError:  # the interpreter is shutting down (no more threads): computed here
            done: Future[tuple[np.ndarray, dict[str, np.ndarray]]] = Future()
            done.set_result(self._fit_products())
            return done

    def _fit_products(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Z-scored audio and factor similarity to the query, blended per row (``_fit_weights``)."""
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
