"""The station's planning: greedy picks under the spacing rules, transitions, exploration and the
human-readable reason of each planned track, kept apart from ``radio.Station``'s scoring and learning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.factors.foldin import on_one_blas_thread


@dataclass
class PlanItem:
    track_id: int
    index: int
    score: float
    why: str


def _gumbel(rng: np.random.Generator, n: int) -> np.ndarray:
    return -np.log(-np.log(rng.uniform(1e-12, 1.0, size=n)))


class Planner:
    """Mixin of ``Station``: plans the next ``lookahead`` tracks from the candidate pool."""

    def _transition(self, prev: int | None, log2_tempo: np.ndarray, loudness: np.ndarray) -> np.ndarray:
        """Penalty for moving from ``prev`` to each candidate (given by its log2 tempo and loudness)."""
        if prev is None:
            return np.zeros(len(log2_tempo), dtype=np.float32)
        s = self.settings
        lib = self.lib
        pen = np.zeros(len(log2_tempo), dtype=np.float32)
        tp = lib.log2_tempo[prev]
        if np.isfinite(tp):
            r = np.abs(log2_tempo - tp)
            r = np.minimum(r, np.abs(r - 1.0))  # half / double time is a smooth change
            pen += np.nan_to_num(
                np.float32(s.tempo_penalty) * np.maximum(r - np.float32(s.tempo_tolerance), 0)
            )
        lp = lib.loudness32[prev]
        if np.isfinite(lp):
            d = np.abs(loudness - lp) - np.float32(s.loudness_tolerance_db)
            pen += np.nan_to_num(np.float32(s.loudness_penalty) * np.maximum(d, 0))
        return pen

    @on_one_blas_thread  # the reasons' products too: a woken BLAS pool spins on the fit's core
    def _replan(self, keep: list[PlanItem] | None = None) -> None:
        """Greedily plan the next ``lookahead`` tracks from the pool under the spacing rules.

        ``keep``: planned items still valid (after ``next`` without new evidence): only the tail is
        planned. When no pool track satisfies the spacing (small libraries, or a pool of few artists),
        the best fitting allowed track of the whole library is taken instead; only when none exists
        anywhere is the spacing relaxed (halved, step by step).
        """
        s = self.settings
        lib = self.lib
        cand = self._pool
        unplayed = self._unplayed()
        if cand is None or len(cand) == 0 or not unplayed[cand].any():
            self._refresh_pool()
            cand = self._pool
            keep = None
            unplayed = self._unplayed()  # a refresh may start the session over
        bonus, satiety = self.signals.terms(cand)
        self._pool_enjoy = None
        if self.enjoy is not None:
            enjoy = s.enjoy_weight * self.enjoy.rows(cand)
            self._pool_enjoy = enjoy - float(enjoy.mean()) if len(enjoy) else enjoy
            bonus = bonus + enjoy
        self._pool_bonus = bonus
        base = (
            self._pool_fit
            + self.taste_weight * self._pool_taste
            - self._pool_penalty
            + self.artist_feedback[lib.artist[cand]]
            + bonus
            - satiety
        ).astype(np.float32)
        taken = ~unplayed[cand]
        plan: list[PlanItem] = list(keep or [])
        sequence = list(self.history) + [p.index for p in plan]
        taken_rows: set[int] = {p.index for p in plan}
        if plan:
            taken |= np.isin(cand, list(taken_rows))
        artists, albums = lib.artist[cand], lib.album[cand]
        log2_tempo, loudness = lib.log2_tempo[cand], lib.loudness32[cand]
        while len(plan) < s.lookahead:
            prev = sequence[-1] if sequence else None
            picked = None
            gaps = (self._artist_spacing, self._album_spacing)
            while picked is None:
                if not taken.all():
                    noise = np.float32(s.noise) * _gumbel(self.rng, len(cand)).astype(np.float32)
                    score = base - self._transition(prev, log2_tempo, loudness) + noise
                    ok = ~taken & self._allowed(artists, albums, sequence, gaps)
                    pick = self._pick(score, ok)
                    if pick is not None:
                        taken[pick] = True
                        picked = (int(cand[pick]), float(score[pick]), int(pick))
                        break
                row = self._pick_wide(sequence, gaps, taken_rows, prev)
                if row is not None:
                    picked = (row, float(self._fit_all[row]), None)
                    break
                if gaps == (0, 0):
                    break
                gaps = (gaps[0] // 2, gaps[1] // 2)
            if picked is None:
                break
            row, score_value, pick = picked
            taken_rows.add(row)
            sequence.append(row)
            plan.append(PlanItem(int(lib.track_ids[row]), row, score_value, self._why(row, pick)))
        self.plan = plan

    def _allowed(
        self, artists: np.ndarray, albums: np.ndarray, sequence: list[int], gaps: tuple[int, int]
    ) -> np.ndarray:
        """Which candidates (given by artist and album codes) the spacing allows after ``sequence``."""
        lib = self.lib
        blocked = np.zeros(len(artists), dtype=bool)
        if sequence and gaps[0] > 0:
            recent = np.zeros(lib.n_artist_codes, dtype=bool)
            recent[lib.artist[sequence[-gaps[0] :]]] = True
            blocked |= recent[artists]
        if sequence and gaps[1] > 0:
            recent = np.zeros(lib.n_album_codes, dtype=bool)
            recent[lib.album[sequence[-gaps[1] :]]] = True
            blocked |= recent[albums]
        return ~blocked

    def _pick(self, score: np.ndarray, ok: np.ndarray) -> int | None:
        """Best allowed candidate (or, with ``exploration_rate``, one of the next best)."""
        s = self.settings
        count = int(ok.sum())
        if count == 0:
            return None
        masked = np.where(ok, score, -np.inf)
        if count > 1 and self.rng.random() < s.exploration_rate:
            k = min(count, s.exploration_top_k)
            top = np.argpartition(-masked, k - 1)[:k]
            top = top[np.argsort(-masked[top])]
            return int(top[self.rng.integers(1, k)])
        return int(np.argmax(masked))

    def _pick_wide(
        self, sequence: list[int], gaps: tuple[int, int], taken_rows: set[int], prev: int | None
    ) -> int | None:
        """The best-fitting allowed track outside the pool's constraints: any unplayed track."""
        lib = self.lib
        available = self._unplayed()
        if taken_rows:
            available[list(taken_rows)] = False
        rows = np.flatnonzero(available & ~self.short)
        if not self.tiny:
            rows = rows[~self.recent[rows]]
        if len(rows) == 0:
            rows = np.flatnonzero(available)
        if len(rows) == 0:
            return None
        rows = rows[self._allowed(lib.artist[rows], lib.album[rows], sequence, gaps)]
        if len(rows) == 0:
            return None
        score = (
            self._fit_all[rows]
            + self.artist_feedback[lib.artist[rows]]
            - self._transition(prev, lib.log2_tempo[rows], lib.loudness32[rows])
        )
        return int(rows[int(np.argmax(score))])

    def _why(self, row: int, pick: int | None) -> str:
        """A short reason for a planned track, from the term that contributed most, naming what drives
        it (the seed or the session track it sounds like, the log artists behind its taste score);
        "new to you" is added for a track never played (``recommender.reasons``)."""
        from recommender.reasons import NEVER_PLAYED, join_reasons

        lib = self.lib
        seed_artist = self._seed_artists()
        artist = lib.artist_name(row)
        reasons: list[tuple[float, str]] = []
        parts = self._parts_all
        if "audio" in parts and lib.has_audio[row]:
            reasons.append((self._wa[row] * parts["audio"][row], self._sounds_like(row)))
        if "factors" in parts and lib.has_factors[row]:
            seed_known = lib.factor_source is None or lib.factor_source[self.seed_row] == 1
            if artist == seed_artist:  # not "NeonCorridor is close to NeonCorridor" (a walk of the app)
                text = f"more of {artist}, as the seed"
            elif seed_known:
                text = f"fans of {seed_artist} like {artist}"
            else:
                text = f"{artist} is close to {seed_artist}"
            reasons.append((self._wf[row] * parts["factors"][row], text))
        if pick is not None and self.taste_raw is not None and np.isfinite(self.taste_raw[row]):
            reasons.append((self.taste_weight * self._pool_taste[pick], self._taste_text(row, artist)))
        if pick is not None and self.signals.active:
            if artist != seed_artist and self.signals.colisten_rows(np.array([row]))[0] > 0:
                text = f"fans of {seed_artist} also play {artist}"
                reasons.append((float(self._pool_bonus[pick]), text))
        known = self.signals.known[lib.artist[row]]
        if known > 0:
            reasons.append((self.settings.known_weight * known, f"you often play {artist}"))
        enjoy = self.enjoy
        if pick is not None and enjoy is not None and enjoy.known[lib.artist[row]]:
            code = lib.artist[row]
            text = f"you found {artist} recently" if enjoy.find[code] else f"you finish {artist} often"
            reasons.append((float(self._pool_enjoy[pick]), text))
        if self.artist_feedback[lib.artist[row]] > 0:
            reasons.append(
                (self.artist_feedback[lib.artist[row]], f"you finished {artist} earlier this session")
            )
        if self.meta[row] > 0 and not reasons:
            reasons.append((self.meta[row], f"same genre/album/artist as {seed_artist}"))
        best = max(reasons)[1] if reasons else "from your library"
        new = lib.last_played is not None and not np.isfinite(lib.last_played[row])
        return join_reasons([best, NEVER_PLAYED if new else None])

    def _taste_text(self, row: int, artist: str) -> str:
        """'fits your taste', naming the log artists behind the row's factors (``taste_reason``).

        The words depend on the row's factor vector and artist alone, and every play event plans five
        tracks again, mostly by the same artists: each is worked out once per station (a product with
        every evidence artist, 0.6 ms at 20,000 of them)."""
        from recommender.reasons import taste_reason

        lib = self.lib
        basis = lib.taste_basis
        if basis is None or lib.raw_factors is None:
            return "fits your taste"
        vector = lib.raw_factors[row]
        key = (vector.tobytes(), artist)
        text = self._taste_texts.get(key)
        if text is None:
            named = taste_reason(basis.contributors(vector, 2, skip=artist))
            text = f"fits your taste: {named}" if named else "fits your taste"
            self._taste_texts[key] = text
        return text

    def _seed_artists(self) -> str:
        """The seed's artist, or a prompt's two weightiest seed artists."""
        lib = self.lib
        if self.seed_rows is None or not len(self.seed_rows):
            return lib.artist_name(self.seed_row)
        names: list[str] = []
        for r in self.seed_rows[np.argsort(-self.seed_weights, kind="stable")].tolist():
            name = lib.artist_name(r)
            if name not in names:
                names.append(name)
            if len(names) == 2:
                break
        return " and ".join(names)

    def _sounds_like(self, row: int) -> str:
        """'sounds like *Title*, the seed' or the finished session track it is closest to in sound,
        with the distinctive audio tags they share."""
        from recommender.reasons import shared_tags, sounds_like_track_reason

        lib = self.lib
        several = self.seed_rows is not None  # a prompt's seeds: no one track is "the seed"
        anchors = [(self.seed_row, "seed")] if lib.has_audio[self.seed_row] and not several else []
        anchors += [
            (r, "session")
            for r in self.history[-20:]
            if r != self.seed_row and self.outcomes.get(r) == "completed" and lib.has_audio[r]
        ]
        if not anchors or lib.titles is None:
            if self.completions:
                return "sounds like the tracks you finished"
            if several:
                return self.why_prompt(row) if self.why_prompt is not None else "fits the station's prompt"
            return "sounds like the seed"
        sims = lib.audio[[a for a, _ in anchors]] @ lib.audio[row]
        anchor, kind = anchors[int(np.argmax(sims))]
        tags = None
        if lib.top_tags is not None and lib.tag_names is not None:
            names = [lib.tag_names[int(t)].lower() if t >= 0 else "" for t in lib.top_tags[row]]
            other = [lib.tag_names[int(t)].lower() if t >= 0 else "" for t in lib.top_tags[anchor]]
            tags = shared_tags(names, other)
        return sounds_like_track_reason(str(lib.titles[anchor] or "?"), kind, tags)
