"""The radio's co-listening, known-artist and satiety terms (recommender/radio/scoring.py), on a small
synthetic library: plain arrays, no audio, milliseconds."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.radio.library import RadioLibrary
from recommender.radio.station import PlayEvent, RadioSettings, Station

ARTISTS = 40
PER = 3


def _library() -> RadioLibrary:
    rng = np.random.default_rng(0)
    names = [f"artist {a}" for a in range(ARTISTS) for _ in range(PER)]
    factors = np.repeat(rng.normal(size=(ARTISTS, 8)), PER, axis=0).astype(np.float32)
    lib = RadioLibrary.build(
        track_ids=np.arange(1, ARTISTS * PER + 1),
        artists=names,
        albums=[f"{n} album" for n in names],
        factors=factors,
        duration=np.full(ARTISTS * PER, 200.0),
    )
    lib.last_played = np.full(len(lib), np.nan)
    return lib


def _settings(**kw) -> RadioSettings:
    base = dict(noise=0.0, exploration_rate=0.0, taste_weight=0.0, artist_spacing=3, album_spacing=0)
    return RadioSettings(**{**base, **kw})


def _code(lib: RadioLibrary, name: str) -> int:
    return lib.artist_names.index(name)


def test_colistening_with_the_seed_decides_when_weighted():
    lib = _library()
    seed, friend = _code(lib, "artist 0"), _code(lib, "artist 17")
    n = len(lib.artist_names)
    lib.artist_similarity = sp.csr_matrix(([0.9, 0.9], ([seed, friend], [friend, seed])), shape=(n, n))
    first = Station(lib, 1, _settings(colisten_weight=20.0), rng=0, now=1e9).next()
    assert lib.artist[lib.row(first)] == friend
    plain = Station(lib, 1, _settings(colisten_weight=0.0), rng=0, now=1e9).next()
    assert lib.artist[lib.row(plain)] != friend  # without the term, factor fit alone decides


def test_a_skip_moves_the_colistening_neighbours_down():
    lib = _library()
    seed, a, b = (_code(lib, f"artist {i}") for i in (0, 5, 6))
    n = len(lib.artist_names)
    rows = [seed, seed, a, b]
    cols = [a, b, b, a]
    lib.artist_similarity = sp.csr_matrix(([0.5, 0.5, 0.9, 0.9], (rows, cols)), shape=(n, n))
    st = Station(lib, 1, _settings(colisten_weight=20.0, colisten_rate=1.0), rng=0, now=1e9)
    first = st.next()
    assert lib.artist[lib.row(first)] in (a, b)
    st.observe(PlayEvent(first, "skipped"))
    other = b if lib.artist[lib.row(first)] == a else a
    assert all(lib.artist[p.index] != other for p in st.plan[:2])  # its co-listened neighbour sank


def test_known_artists_and_rested_tracks_come_first():
    lib = _library()
    fav = _code(lib, "artist 9")
    done = np.zeros(len(lib.artist_names))
    done[fav] = 50.0
    lib.artist_completions = done
    first = Station(lib, 1, _settings(known_weight=20.0), rng=0, now=1e9).next()
    assert lib.artist[lib.row(first)] == fav
    # Satiety: the same artist's tracks heard yesterday lose to its unheard one.
    rows = np.flatnonzero(lib.artist == fav)
    lib.last_played[rows[:2]] = 1e9 - 86400.0
    first = Station(lib, 1, _settings(known_weight=20.0, heard_penalty=5.0), rng=0, now=1e9).next()
    assert lib.row(first) == rows[2]


def _enjoy_settings(**kw) -> RadioSettings:
    """Only the chance-of-finishing term (and the factor fit) decides."""
    base = dict(colisten_weight=0.0, known_weight=0.0, artist_rest_penalty=0.0, heard_penalty=0.0)
    return _settings(**{**base, "enjoy_weight": 20.0, **kw})


def test_the_station_rotates_favourites_by_freshness():
    lib = _library()
    favs = [_code(lib, f"artist {i}") for i in (7, 8, 9)]
    done = np.zeros(len(lib.artist_names))
    done[favs] = 40.0
    lib.artist_completions = done
    first = Station(lib, 1, _enjoy_settings(), rng=0, now=1e9).next()
    assert lib.artist[lib.row(first)] in favs
    # Favourites heard yesterday rest: the one not heard lately comes first.
    for code in favs[:2]:
        lib.last_played[np.flatnonzero(lib.artist == code)] = 1e9 - 86400.0
    first = Station(lib, 1, _enjoy_settings(), rng=0, now=1e9).next()
    assert lib.artist[lib.row(first)] == favs[2]
    # Without the term, the factor fit alone decides (a favourite only by chance).
    plain = Station(lib, 1, _enjoy_settings(enjoy_weight=0.0), rng=0, now=1e9)
    assert plain.enjoy is None


def test_a_skip_of_an_unplayed_artist_sinks_it_and_its_neighbours():
    lib = _library()
    a, b, c = (_code(lib, f"artist {i}") for i in (5, 6, 30))
    n = len(lib.artist_names)
    lib.artist_similarity = sp.csr_matrix(([0.9, 0.9], ([a, b], [b, a])), shape=(n, n))
    taste = np.zeros(len(lib))
    taste[np.isin(lib.artist, [a, b, c])] = 5.0  # the taste model's three best unplayed artists
    st = Station(lib, 1, _enjoy_settings(taste_weight=0.0), rng=0, now=1e9, taste_scores=taste)
    before = st.enjoy.like()[[a, b, c]]
    assert np.all(before > 0.5) and np.allclose(before, before[0])
    row = int(np.flatnonzero(lib.artist == a)[0])
    st.observe(PlayEvent(int(lib.track_ids[row]), "skipped"))
    like = st.enjoy.like()
    assert like[a] < 0.1 and like[c] == before[2]
    assert like[b] < before[1] - 0.2  # co-listened with the skipped artist
    assert lib.artist[st.plan[0].index] == c  # the taste's remaining confident guess comes next
    # A finish makes an unplayed artist a known favourite at once.
    row = int(np.flatnonzero(lib.artist == c)[0])
    st.observe(PlayEvent(int(lib.track_ids[row]), "completed"))
    assert st.enjoy.known[c] and st.enjoy.like()[c] > 0.9


def test_a_recent_find_is_played_again_while_it_is_new():
    lib = _library()
    find, old_fav = _code(lib, "artist 11"), _code(lib, "artist 12")
    done = np.zeros(len(lib.artist_names))
    done[find], done[old_fav] = 1.0, 1.0
    lib.artist_completions = done
    lib.last_played[np.flatnonzero(lib.artist == find)[0]] = 1e9 - 86400.0  # finished yesterday
    settings = _enjoy_settings(enjoy_find_bonus=0.5)
    st = Station(lib, 1, settings, rng=0, now=1e9)
    assert st.enjoy.find[find] and not st.enjoy.find[old_fav]  # the other was not heard lately
    assert lib.artist[lib.row(st.next())] == find
    done[find] = 50.0  # a long-time favourite is no find
    assert not Station(lib, 1, settings, rng=0, now=1e9).enjoy.find[find]


def _top_rows_by_finite_gather(values, cand, fraction, cap):
    """``SessionSignals.top_rows`` as it was: the finite values gathered, then their largest."""
    import math

    from recommender.ranking import largest

    ok = np.flatnonzero(np.isfinite(values))
    m = min(len(ok), cap, max(0, math.ceil(fraction * len(cand))))
    if m <= 0:
        return cand[:0]
    return cand[ok[largest(values[ok], m, spread=True)]] if len(ok) > m else cand[ok]


def test_top_rows_takes_finite_values_only_whichever_the_non_finite_kind():
    """Non-finite values never make a list, whether NaN, +inf or -inf, and with fewer finite values than
    the list is long all of them do: the same rows as gathering the finite ones first."""
    signals = Station(_library(), 1, _settings()).signals
    rng = np.random.default_rng(5)
    for n in (1, 40, 3_000, 200_000):  # the last takes ``largest``'s sampled threshold
        cand = np.sort(rng.choice(10 * n, size=n, replace=False))
        base = rng.integers(0, 50, size=n).astype(np.float64)  # wide ties, as per-artist terms make
        for share in (0.0, 0.001, 0.5, 0.999, 1.0):
            for bad in (-np.inf, np.nan, np.inf, "mixed"):
                values = base.copy()
                hit = rng.random(n) < share
                if bad == "mixed":
                    values[hit] = rng.choice([-np.inf, np.inf, np.nan], size=int(hit.sum()))
                else:
                    values[hit] = bad
                for fraction, cap in ((0.1, 4000), (0.5, 10), (1.0, n + 1), (0.0, 10)):
                    got = signals.top_rows(values, cand, fraction, cap)
                    expected = _top_rows_by_finite_gather(values, cand, fraction, cap)
                    assert np.array_equal(got, expected), (n, share, bad, fraction, cap)


def test_the_fit_on_its_own_thread_picks_as_in_turn_and_leaves_blas_as_it_was(monkeypatch):
    """``QueryFit._fit_started`` runs the fit beside the candidate lists: the same picks as computed one
    after the other, and the BLAS thread limit the steps set is given back afterwards."""
    from concurrent.futures import Future

    from threadpoolctl import threadpool_info

    from recommender.radio.fit import QueryFit

    def limits():
        return [(i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]

    def picks() -> list[int]:
        station = Station(_library(), 1, _settings(noise=0.5, exploration_rate=0.2), rng=3)
        out = []
        for k in range(40):
            item = station.next_item()
            out.append(item.track_id)
            station.observe(PlayEvent(item.track_id, "skipped" if k % 3 == 2 else "completed"))
        return out

    before = limits()
    beside = picks()
    assert limits() == before

    def in_turn(self):
        done = Future()
        done.set_result(self._fit_products())
        return done

    monkeypatch.setattr(QueryFit, "_fit_started", in_turn)
    assert picks() == beside
