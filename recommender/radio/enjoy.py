"""The station's estimate of how likely the listener is to *finish* each artist's next track.

Why a separate term: the other scores say what fits the seed (audio, factors, co-listening) or what
the user's taste ranks high. None of them says "this user finished 300 tracks of this band, but
heard it yesterday", or "this artist was skipped the only time it came up". A lean-back station is
judged by skips, so it should rank by the chance of a finished track, and that chance has two parts
a real listener shows every day:

- **Liking** ``P(like artist)``: an artist the user has finished tracks of in the app is liked (what
  they chose to hear is the surest evidence there is); one they only ever skipped is probably not; an
  artist never played is as likely as the taste model says, through a logistic curve over the taste
  score's z-value among the unplayed artists (``enjoy_unknown_logit``, ``enjoy_taste_slope``): most
  unplayed artists of a collection are not favourites, the taste's best few often are.
- **Freshness**: the same artist again soon is welcome less often (``enjoy_satiety`` per play this
  session, and per track heard before, fading with ``enjoy_half_life_days``), and a track heard before
  less often than an unheard one (``enjoy_heard_drop``). So the station rotates through everything the
  user likes instead of replaying the same favourites every day.

In-session learning: a finished artist counts as liked at once (a new find is played again in later
sessions through the app's completions) and raises its co-listening neighbours among the unplayed
artists (``enjoy_neighbour_rate`` x cosine); a skip lowers the artist (an unplayed one by
``enjoy_skip_logit``, a known favourite by ``enjoy_known_skip``: one skip of a favourite is usually a
mood, not a verdict) and its neighbours likewise.

``enjoy_explore`` adds ``P(like)`` of unplayed artists as a bonus: finding artists the user likes but
never played is what a radio is for, and every find becomes a favourite the station can rotate in.
``enjoy_find_bonus`` goes to a *recent find*: an artist with only a few finished tracks
(``enjoy_find_plays``) heard in the last days. A discovery is new to the listener: hearing it again
over the next days is what turns it into a favourite, and it costs far fewer skips than trying
another unknown artist.
"""

from __future__ import annotations

import numpy as np

from recommender.radio.library import RadioLibrary
from recommender.radio.scoring import dense_row
from recommender.radio.settings import RadioSettings


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))


class Enjoyment:
    """Per-session chance of finishing each artist's next track (per artist code), and per row."""

    def __init__(
        self,
        lib: RadioLibrary,
        settings: RadioSettings,
        now: float,
        taste_raw: np.ndarray | None,
    ) -> None:
        s = settings
        self.lib = lib
        self.settings = s
        n_codes = int(lib.artist.max()) + 1 if len(lib) else 1
        done = np.zeros(n_codes)
        skips = np.zeros(n_codes)
        for name, out in (("artist_completions", done), ("artist_skips", skips)):
            v = getattr(lib, name, None)
            if v is not None and len(v):
                out[: len(v)] = np.maximum(np.asarray(v, dtype=np.float64)[:n_codes], 0.0)
        self.known = done > 0
        z = np.zeros(n_codes)
        if taste_raw is not None and len(lib):
            ok = np.isfinite(taste_raw)
            total = np.bincount(lib.artist[ok], weights=taste_raw[ok], minlength=n_codes)
            count = np.bincount(lib.artist[ok], minlength=n_codes)
            has = count > 0
            mean = np.where(has, total / np.maximum(count, 1), 0.0)
            pool = has & ~self.known
            if pool.sum() >= 2:
                mu, sd = float(mean[pool].mean()), float(mean[pool].std())
                z = np.where(has, (mean - mu) / (sd if sd > 1e-9 else 1.0), 0.0)
        self.taste_z = z  # per artist code: the taste's z-value among the unplayed artists
        self.logit = np.where(
            self.known, s.enjoy_known_logit, s.enjoy_unknown_logit + s.enjoy_taste_slope * z
        )
        self.logit -= s.enjoy_skip_logit * skips / (1.0 + done)
        heard = np.zeros(len(lib))
        last = lib.last_played
        if last is not None and len(lib):
            seen = np.isfinite(last)
            age_days = np.maximum((now - np.where(seen, last, now)) / 86400.0, 0.0)
            heard = np.where(seen, np.exp2(-age_days / max(s.enjoy_half_life_days, 1e-6)), 0.0)
        self.heard = heard  # per row: 1 just heard, fading with the days; 0 never heard
        self.fresh = 1.0 - s.enjoy_heard_drop * heard  # per row: what hearing it before leaves of P(finish)
        self.load = s.enjoy_rest * (
            np.bincount(lib.artist, weights=heard, minlength=n_codes) if len(lib) else np.zeros(1)
        )
        self.sim = getattr(lib, "artist_similarity", None)
        heard_artist = np.bincount(lib.artist, weights=heard, minlength=n_codes) if len(lib) else 0.0
        self.find = self.known & (done <= s.enjoy_find_plays) & (heard_artist > 0.05)

    def played(self, row: int) -> None:
        self.load[self.lib.artist[row]] += 1.0

    def _neighbours(self, code: int) -> np.ndarray:
        out = dense_row(self.sim, code)
        out[code] = 0.0
        return out

    def learn(self, row: int, sign: int) -> None:
        s = self.settings
        code = int(self.lib.artist[row])
        if sign > 0:
            self.logit[code] = max(self.logit[code], s.enjoy_known_logit)
            self.known[code] = True
        elif self.known[code]:
            self.logit[code] -= s.enjoy_known_skip
        else:
            self.logit[code] -= s.enjoy_skip_logit
        if self.sim is not None and s.enjoy_neighbour_rate > 0:
            shift = (1.0 if sign > 0 else -1.0) * s.enjoy_neighbour_rate * self._neighbours(code)
            self.logit += np.where(self.known, 0.0, shift)

    def like(self) -> np.ndarray:
        return _sigmoid(self.logit)

    def rows(self, rows: np.ndarray, codes: np.ndarray | None = None) -> np.ndarray:
        """The score term for candidate rows (``codes``: their artist codes, if the caller has them):
        P(finish) plus the exploration bonus of unplayed artists.

        Everything but freshness is per artist, so it is computed per artist code and then read per
        row: a million candidate rows cost two reads and one product each, not a sigmoid and a power."""
        s = self.settings
        p = _sigmoid(self.logit)
        finish = p * s.enjoy_satiety**self.load
        bonus = s.enjoy_explore * np.where(self.known, 0.0, p) + s.enjoy_find_bonus * self.find
        codes = self.lib.artist[rows] if codes is None else codes
        return finish[codes] * self.fresh[rows] + bonus[codes]
