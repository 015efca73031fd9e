"""The station's candidate pool: which tracks may still be planned, and the few thousand among them the
planner chooses from, kept apart from ``radio.Station``'s session state and learning (as the fit and the
planning are).

Why a pool: a play event must plan the next tracks in milliseconds at a million rows, so the planner
works on the tracks that fit the station best (``pool_size``, ``pool_fraction``) and those the other
terms rank highest (the taste, the co-listening, the known artists, the chance of a finished track),
merged; only the fit and these lists pass over every row.
"""

from __future__ import annotations

import numpy as np

from recommender.factors.foldin import on_one_blas_thread
from recommender.ranking import largest, sorted_union, zscore


class CandidatePool:
    """Mixin of ``Station``: the playable rows, the pool and its per-candidate terms."""

    @on_one_blas_thread  # ``_fit_started`` says why
    def _refresh_pool(self) -> None:
        """Recompute the fit and keep the ``pool_size`` best-fitting tracks that are still playable,
        with the tracks the other terms rank highest."""
        fitting = self._fit_started()  # on its own thread while the lists that do not need it are taken
        s = self.settings
        n_rows = len(self.lib)
        available = self._unplayed()
        if not self.tiny:
            available &= ~self.recent
        cand = np.flatnonzero(available & ~self.short)
        if len(cand) == 0:
            cand = np.flatnonzero(available)
        if len(cand) == 0 and not self.tiny:
            cand = np.flatnonzero(~self.played & ~self.resting())  # all recent: allow it rather than stop
        if len(cand) == 0:
            # Every track has been played this session: start over (tiny libraries), oldest first;
            # what rests after a skip still rests unless nothing else is left.
            self.played[:] = False
            self.passed[:] = False
            if self.history and n_rows > 1:
                self.played[self.history[-1]] = True  # never the same track twice in a row
            cand = np.flatnonzero(~self.played & ~self.resting())
            if len(cand) == 0:
                self.skipped[:] = False
                self.session_artist_skips[:] = 0
                cand = np.flatnonzero(~self.played & ~self.excluded)
        m = min(len(cand), s.pool_size, max(30, int(s.pool_fraction * len(cand))))
        if len(cand) > m:
            # Each list is a set of candidates (``largest``: ties at the edge spread evenly over the tied
            # rows); the pool is their union, in row order.
            codes = self.lib.artist[cand]
            top_rows = self.signals.top_rows
            lists = []
            if self.taste_raw is not None and s.taste_pool_fraction > 0:
                lists.append(top_rows(self._taste_ranked[cand], cand, s.taste_pool_fraction, s.pool_size))
            if self.signals.active:
                lists.append(top_rows(self.signals.colisten[codes], cand, s.pool_fraction, s.pool_size))
            if self.enjoy is not None:
                lists.append(top_rows(self.enjoy.rows(cand, codes), cand, s.pool_fraction, s.pool_size))
            fit, parts = fitting.result()
            fit_cand = fit[cand]
            lists.append(cand[largest(fit_cand, m, spread=True)])
            if s.known_weight > 0 and self.signals.known.any():
                kn = np.where(self.signals.known[codes] > 0, fit_cand, -np.inf)
                lists.append(top_rows(kn, cand, s.pool_fraction, s.pool_size))
            cand = sorted_union(lists)
        else:
            fit, parts = fitting.result()
        self._pool = cand
        self._pool_fit = fit[cand]
        self._fit_all = fit
        self._parts_all = parts
        # Taste among candidates, z-scored over them: it decides among tracks that fit.
        if self.taste_raw is not None:
            t = self.taste_raw[cand]
            ok = np.isfinite(t)
            self._pool_taste = zscore(np.where(ok, t, 0.0), ok)
        else:
            self._pool_taste = np.zeros(len(cand))
        # Local skip penalty: similarity to recently skipped tracks (in audio, else factor space).
        penalty = np.zeros(len(cand))
        lib = self.lib
        pool_rows: dict[str, np.ndarray] = {}  # each space's rows of the pool, read once for every skip
        for row, w in zip(self.skipped_rows, self.skip_weights, strict=True):
            for name, matrix, mask in (
                ("audio", lib.audio, lib.has_audio),
                ("factors", lib.factors, lib.has_factors),
            ):
                if matrix is None or not mask[row]:
                    continue
                if name not in pool_rows:
                    pool_rows[name] = matrix[cand]
                sim = pool_rows[name] @ matrix[row]
                sim = np.where(mask[cand], sim, 0.0)
                penalty += (
                    w
                    * s.skip_region_penalty
                    * np.maximum(0.0, sim - s.skip_region_threshold)
                    / (1.0 - s.skip_region_threshold)
                )
                break
        self._pool_penalty = penalty

    def _rest(self, row: int) -> None:
        """A skip: the track rests for the session, and its artist too once skipped often enough."""
        if not self.skipped[row]:
            self.skipped[row] = True
            self.session_artist_skips[self.lib.artist[row]] += 1

    def resting(self) -> np.ndarray:
        """Rows that rest for the session (``RadioSettings.rest_artist_after_skips``)."""
        rested_artists = self.session_artist_skips >= max(1, self.settings.rest_artist_after_skips)
        out = self.skipped | self.excluded
        if rested_artists.any():  # their rows, read once per set of rested artists (a pass over every row)
            key = np.flatnonzero(rested_artists).tobytes()
            if key != self._rested_key:
                self._rested_key, self._rested_rows = key, rested_artists[self.lib.artist]
            out |= self._rested_rows
        return out

    def _unplayed(self) -> np.ndarray:
        """Rows the station may still plan: not played this session, not resting after a skip, and not
        passed over (``playing``) unless nothing else is left (then they come back before the station
        starts over)."""
        free = ~self.played & ~self.resting()
        if self.passed.any():
            fresh = free & ~self.passed
            if fresh.any():
                return fresh
        return free
