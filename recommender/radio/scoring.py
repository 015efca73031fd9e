"""The station's co-listening and satiety terms, kept apart from ``radio.Station``'s planning.

- **Co-listening**: ``RadioLibrary.artist_similarity`` (artist code x artist code, item-kNN cosine over
  the factor bundle's training listeners; ``None`` when the library has no bundle artists) gives each
  artist's co-listening with the seed artist; finished artists add their neighbours, skipped ones
  subtract theirs (``colisten_rate``). Factor similarity is a smoothed version of the same evidence;
  the raw co-listening keeps the sharp neighbourhoods (fans of this band play those five bands).
- **Known artists**: ``RadioLibrary.artist_completions`` (finished plays per artist in the app) gives
  a bonus to what the user already chose to hear, on a log scale.
- **Satiety**: an artist already played in the session loses ``artist_repeat_penalty`` per play, a
  track heard before loses ``heard_penalty`` (fading over days), so the station rotates through what
  the user likes instead of replaying it.
"""

from __future__ import annotations

import math

import numpy as np

from recommender.csr import CsrRows
from recommender.radio.library import RadioLibrary
from recommender.radio.settings import RadioSettings
from recommender.ranking import largest, zscore


class SessionSignals:
    """Per-session co-listening and satiety state over a library's rows."""

    def __init__(self, lib: RadioLibrary, settings: RadioSettings, seed_row: int, now: float) -> None:
        self.lib = lib
        self.settings = settings
        self.sim = getattr(lib, "artist_similarity", None)
        n_codes = int(lib.artist.max()) + 1 if len(lib) else 1
        self.artist_plays = np.zeros(n_codes)
        self.colisten = np.zeros(n_codes)
        if self.sim is not None:
            self.colisten += self._neighbours(int(lib.artist[seed_row]))
        last = lib.last_played
        heard = np.zeros(len(lib))
        if last is not None:
            age_days = (now - np.where(np.isfinite(last), last, -np.inf)) / 86400.0
            half = max(settings.heard_half_life_days, 1e-6)
            heard = np.where(np.isfinite(last), np.exp2(-np.maximum(age_days, 0.0) / half), 0.0)
        self.heard = heard
        self.artist_heard = (
            np.bincount(lib.artist, weights=heard, minlength=n_codes) if len(lib) else np.zeros(1)
        )
        known = np.zeros(n_codes)
        done = getattr(lib, "artist_completions", None)
        if done is not None and len(done) and float(np.max(done)) > 0:
            known[: len(done)] = np.log1p(np.maximum(done, 0.0)) / math.log1p(float(np.max(done)))
        self.known = known

    def _neighbours(self, code: int) -> np.ndarray:
        out = dense_row(self.sim, code)
        out[code] = max(out[code], 1.0)  # the artist itself: full co-listening
        return out

    @property
    def active(self) -> bool:
        return self.sim is not None and self.settings.colisten_weight > 0

    def played(self, row: int) -> None:
        self.artist_plays[self.lib.artist[row]] += 1.0

    def learn(self, row: int, sign: int) -> None:
        if self.sim is None:
            return
        rate = self.settings.colisten_rate
        self.colisten += (rate if sign > 0 else -rate) * self._neighbours(int(self.lib.artist[row]))

    def colisten_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.colisten[self.lib.artist[rows]]

    def terms(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(co-listening bonus, satiety penalty) for candidate rows, in s.d. units."""
        s = self.settings
        bonus = np.zeros(len(rows))
        if self.active and len(rows):
            bonus = s.colisten_weight * zscore(self.colisten_rows(rows))
        bonus = bonus + s.known_weight * self.known[self.lib.artist[rows]]
        penalty = s.artist_repeat_penalty * self.artist_plays[self.lib.artist[rows]]
        penalty = penalty + s.heard_penalty * self.heard[rows]
        penalty = penalty + s.artist_rest_penalty * self.artist_heard[self.lib.artist[rows]]
        return bonus, penalty

    def top_rows(self, values: np.ndarray, cand: np.ndarray, fraction: float, cap: int) -> np.ndarray:
        """The best ``fraction`` of ``cand`` by ``values`` (one per candidate; finite ones only), at most
        ``cap``, in ``cand``'s order.

        Values already ``-inf`` where they do not count (the taste, the known artists' list) are taken as
        they are: the non-finite ones rank below every finite one, so unless fewer than the list's length
        are finite, the largest are the finite ones' largest, without gathering them first (a million
        values at every play event)."""
        m = min(len(cand), cap, max(0, math.ceil(fraction * len(cand))))
        if m <= 0:
            return cand[:0]
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, or finite values past the range
            total = values.sum()  # finite: every value is; -inf: some are -inf and none NaN or +inf
        if np.isnan(total) or total == np.inf:
            values = np.where(np.isfinite(values), values, -np.inf)
        picked = largest(values, m, spread=True)
        if np.isfinite(total) or np.isfinite(values[picked]).all():
            return cand[picked]
        return cand[np.isfinite(values)]  # fewer than m finite values: all of them


def dense_row(sim: object, code: int) -> np.ndarray:
    """Row ``code`` of a co-listening matrix (``CsrRows``, scipy sparse or dense) as a new float64 vector."""
    if isinstance(sim, CsrRows):
        return sim.row(code)
    row = sim[code]
    if hasattr(row, "toarray"):
        row = row.toarray().ravel()
    return np.asarray(row, dtype=np.float64).copy()


def item_of_code(artist_codes: np.ndarray, item_of_row: np.ndarray, n_codes: int) -> np.ndarray:
    """The bundle item of each artist code (-1 none): its rows' item, the last row's where they differ."""
    out = np.full(n_codes, -1, dtype=np.int64)
    known = item_of_row >= 0
    out[artist_codes[known]] = item_of_row[known]
    return out


def artist_similarity(artist_codes: np.ndarray, item_of_row: np.ndarray, bundle) -> CsrRows | None:
    """Co-listening between a library's artists (codes) from the bundle's item-kNN cosine: a sparse
    [codes x codes] matrix; artists the bundle does not know (``item_of_row`` < 0) have empty rows.

    Gathered from the kNN's CSR arrays with numpy: the rows of the codes' items, each neighbour item
    written once for every code it is the item of. Why not scipy: importing it cost 0.2 s of a first
    start, and this was the only thing there that needed it."""
    arrays = getattr(bundle, "item_similarity_arrays", None) if bundle is not None else None
    if arrays is None or len(artist_codes) == 0:
        return None
    indptr, indices, data = arrays
    n_codes = int(artist_codes.max()) + 1
    items = item_of_code(artist_codes, item_of_row, n_codes)
    codes = np.flatnonzero(items >= 0)
    if len(codes) == 0:
        return None
    rows = CsrRows(data, indices, indptr, (len(indptr) - 1, len(indptr) - 1))
    at, counts = rows.positions(items[codes])
    neighbour, value, row = indices[at], data[at], np.repeat(codes, counts)
    # The codes of each item, grouped by item: a neighbour item becomes every code that has it.
    by_item = np.argsort(items[codes], kind="stable")
    item_sorted, code_sorted = items[codes][by_item], codes[by_item]
    first = np.searchsorted(item_sorted, neighbour, "left")
    times = np.searchsorted(item_sorted, neighbour, "right") - first
    total = int(times.sum())
    step = np.arange(total) - np.repeat(np.cumsum(times) - times, times)
    col = code_sorted[np.repeat(first, times) + step]
    row = np.repeat(row, times)
    out_indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=n_codes))])
    return CsrRows(
        np.repeat(value, times), col.astype(np.int32), out_indptr.astype(np.int64), (n_codes, n_codes)
    )
