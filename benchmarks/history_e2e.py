"""End-to-end proof: listening history imported through the user's path is worth what ``encore evaluate``
says the model is worth.

    .venv/bin/python benchmarks/history_e2e.py                       # all 303 test users, split seed 0
    .venv/bin/python benchmarks/history_e2e.py --seeds 0 1 --users 100   # a seeded sample, two seeds

What it does, for the *test* users (the ``report`` group of ``recommender.evaluation.user_groups``,
never used to choose anything):

1. trains the bundle without them exactly as ``encore evaluate --groups`` does (``train_without`` on
   ``load_lastfm2k`` with ``extra["folder"]`` set, the default ``PretrainConfig``), saves it to a
   temporary ``.npz`` and points ``ENCORE_FACTORS`` at it (``--bundle-cache FILE`` keeps it between runs);
2. per split seed, ``make_split(held, 0.8, seed)`` as the evaluation: per user the given 80% of their
   artists with their play counts, and the held-out 20% to find;
3. per user writes the given 80% as (a) a ListenBrainz export (a JSON array, one listen per play) and
   (b) a Spotify extended streaming history (``Streaming_History_Audio_2025.json``) with the same
   listens ended by ``trackdone`` plus skipped streams (``skipped: true``, ``reason_end: fwdbtn``, 2-8 s
   played) of ``--skip-artists`` popular artists the user never played at all (not in their 100%);
4. imports each file into a fresh database through the real CLI (``main.main([..., "import-history",
   FILE, "--json"])``, in-process), runs ``encore recommend --n 20 --json`` and scores the
   ``discoveries`` against the held-out 20% with the protocol's recall
   (``recommender.evaluation.recall_at_k``: |top-20 ∩ held-out| / min(20, |held-out|), users with at
   least 2 known items, i.e. something held out);
5. scores the same users, split and bundle as ``encore evaluate`` does (``scorers_for(bundle)["model"]``;
   ``evaluate_scorers`` is run as well and its mean must equal the per-user mean printed here).

Prints, per seed and file: the mean Recall@20 of the import path and of the evaluation, each with a 95%
bootstrap interval over users, the paired difference (interval) and the relative difference.

Play counts: one listen per play, uncapped (``--cap N`` caps each artist at N plays, to make a quicker
run; the printout says when it was used). Dates: the listens are spread evenly over the 28 days before
the run, in shuffled order, each on its own second. Why recent: the taste weighs a listen by its age
(``TasteSettings.half_life_days`` = 180, so a listen 28 days old counts 0.90), while the evaluation
folds in raw counts; recent dates keep the two close so that what is measured is the import, matching
and fold-in path, not the recency model (which is a product choice: old listens should fade).

``--diagnose`` adds rows that take the app's differences apart on the same users (see the README).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "lastfm-2k"
WINDOW_DAYS = 28.0
TITLES_PER_ARTIST = 12


def bootstrap(values: np.ndarray, reps: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of the mean, resampling users."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(reps, len(values)))
    means = values[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def train_bundle(cache: Path | None, progress) -> tuple[object, object, Path]:
    """The bundle without the test users (as ``evaluate_groups``), saved; the held-out users' counts."""
    from recommender.evaluation import user_groups
    from recommender.factors.bundle_file import load_bundle, save_bundle
    from recommender.training import data
    from recommender.training.als import PretrainConfig, train_without
    from recommender.training.heldout import GROUPS

    inter = data.load_lastfm2k(str(DATA))
    inter.extra["folder"] = str(DATA)
    rows = user_groups(inter.n_users)[GROUPS["test"]]
    if cache is not None and cache.is_file():
        progress(f"reusing the bundle {cache}")
        train_rows = np.setdiff1d(np.arange(inter.n_users), rows)
        _, seen = inter.subset_users(train_rows)
        held = inter.matrix[rows][:, seen].tocsr()
        path = cache
    else:
        progress(f"training without the {len(rows)} test users...")
        t = time.perf_counter()
        bundle, held = train_without(inter, rows, PretrainConfig(), progress)
        path = cache or Path(tempfile.mkdtemp(prefix="encore-e2e-")) / "bundle.npz"
        save_bundle(bundle, path)
        progress(f"trained in {time.perf_counter() - t:.0f} s, saved to {path}")
    bundle = load_bundle(path)
    if len(bundle.item_ids) != held.shape[1]:
        raise SystemExit(f"{path} does not hold this split's items: delete it and run again")
    return bundle, held, path


def listens_of(
    items: np.ndarray, counts: np.ndarray, names: np.ndarray, cap: int | None, now: float, rng
) -> list[tuple[int, str, str]]:
    """(time, artist, title) per play, shuffled, one second apart at least, within the window."""
    plays = np.asarray(counts, dtype=np.int64)
    if cap:
        plays = np.minimum(plays, cap)
    artist_of = np.repeat(np.arange(len(items)), plays)
    rng.shuffle(artist_of)
    n = len(artist_of)
    end = now - 3600.0
    step = max(1.0, WINDOW_DAYS * 86400.0 / max(n, 1))
    times = (end - step * np.arange(n)).astype(np.int64)
    seen: dict[int, int] = {}
    out = []
    for t, a in zip(times.tolist(), artist_of.tolist(), strict=True):
        k = seen.get(a, 0)
        seen[a] = k + 1
        out.append((t, str(names[items[a]]), f"Song {k % TITLES_PER_ARTIST + 1}"))
    return out


def write_listenbrainz(path: Path, listens: list[tuple[int, str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("[")
        for i, (t, artist, title) in enumerate(listens):
            entry = {
                "listened_at": t,
                "recording_msid": f"00000000-0000-4000-8000-{i:012d}",
                "track_metadata": {
                    "artist_name": artist,
                    "track_name": title,
                    "release_name": f"{artist}: greatest hits",
                    "additional_info": {"duration_ms": 215_000, "submission_client": "encore-e2e"},
                },
            }
            f.write(("," if i else "") + json.dumps(entry, ensure_ascii=False))
        f.write("]")


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def write_spotify(
    path: Path, listens: list[tuple[int, str, str]], skipped: list[str], skips_each: int, rng
) -> int:
    """The listens as completed streams plus ``skips_each`` skipped streams of each ``skipped`` artist,
    all in time order; returns how many skipped streams were written."""
    rows = [(t, a, s, False) for t, a, s in listens]
    if skipped and listens:
        lo, hi = min(t for t, _, _ in listens), max(t for t, _, _ in listens)
        taken = {t for t, _, _ in listens}
        for a in skipped:
            for k in range(skips_each):
                t = int(rng.integers(lo, hi + 1))
                while t in taken:
                    t += 1
                taken.add(t)
                rows.append((t, a, f"Hit {k + 1}", True))
    rows.sort()
    with open(path, "w", encoding="utf-8") as f:
        f.write("[")
        for i, (t, artist, title, skip) in enumerate(rows):
            entry = {
                "ts": _iso(t),
                "platform": "linux",
                "ms_played": int(rng.integers(2_000, 8_000)) if skip else 215_000,
                "conn_country": "GB",
                "master_metadata_track_name": title,
                "master_metadata_album_artist_name": artist,
                "master_metadata_album_album_name": f"{artist}: greatest hits",
                "spotify_track_uri": f"spotify:track:{i:022d}",
                "episode_name": None,
                "episode_show_name": None,
                "spotify_episode_uri": None,
                "audiobook_title": None,
                "audiobook_uri": None,
                "reason_start": "clickrow" if skip else "trackdone",
                "reason_end": "fwdbtn" if skip else "trackdone",
                "shuffle": False,
                "skipped": bool(skip),
                "offline": False,
                "incognito_mode": False,
            }
            f.write(("," if i else "") + json.dumps(entry, ensure_ascii=False))
        f.write("]")
    return sum(1 for r in rows if r[3])


def cli(argv: list[str]) -> tuple[int, str]:
    """``encore ARGV`` in-process; (exit code, stdout)."""
    import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main.main(argv)
    return code, out.getvalue()


def import_and_recommend(db: Path, export: Path, name_to_item: dict[str, int]) -> tuple[np.ndarray, dict]:
    code, text = cli(["--db", str(db), "import-history", str(export), "--json"])
    if code != 0:
        raise SystemExit(f"import-history failed ({code}) on {export}")
    report = json.loads(text)[0]
    code, text = cli(["--db", str(db), "recommend", "--n", "20", "--json"])
    if code != 0:
        raise SystemExit(f"recommend failed ({code})")
    found = json.loads(text)["discoveries"]
    ranked = np.array([name_to_item[d["artist"]] for d in found], dtype=np.int64)
    return ranked, report


def diagnose(db: Path, bundle, heldout: np.ndarray, given: np.ndarray, eval_scores: np.ndarray) -> dict:
    """Recall@20 of variants that take the app's differences from the evaluation apart, same user."""
    from player.store.core import Store
    from recommender.evaluation import recall_at_k
    from recommender.ranking import top_k
    from recommender.taste.feedback import TasteSettings
    from recommender.taste.profile import Taste

    supported = np.asarray(bundle.popularity) >= TasteSettings().min_support
    out = {}
    with Store.open(db) as store:
        for name, settings in (
            ("app", TasteSettings()),
            ("app, no decay", TasteSettings(half_life_days=1e12)),
            ("app, library_weight 0", TasteSettings(library_weight=0.0)),
            ("app, no decay, library_weight 0", TasteSettings(half_life_days=1e12, library_weight=0.0)),
        ):
            taste = Taste.from_store(store, bundle, settings)
            scores = taste.item_scores()
            owned = np.array(
                sorted({af.item for af in taste.artist_feedback.values() if af.item is not None}),
                dtype=np.int64,
            )
            out[name] = recall_at_k(top_k(np.where(supported, scores, -np.inf), owned, 20), heldout, 20)
            out[name + ", no support filter"] = recall_at_k(top_k(scores, owned, 20), heldout, 20)
            if name == "app":
                out["evaluate, minus what the app owns"] = recall_at_k(
                    top_k(eval_scores, np.union1d(owned, given), 20), heldout, 20
                )
        if store.conn.execute("SELECT COUNT(*) FROM listens WHERE outcome = 'skipped'").fetchone()[0]:
            with store.transaction() as conn:  # a throwaway database: the same taste without the skips
                conn.execute("DELETE FROM listens WHERE outcome = 'skipped'")
            taste = Taste.from_store(store, bundle)
            owned = [af.item for af in taste.artist_feedback.values() if af.item is not None]
            out["app, skipped streams taken out"] = recall_at_k(
                top_k(np.where(supported, taste.item_scores(), -np.inf), owned, 20), heldout, 20
            )
    out["evaluate + support filter"] = recall_at_k(
        top_k(np.where(supported, eval_scores, -np.inf), given, 20), heldout, 20
    )
    return out


def summary(label: str, a: np.ndarray, b: np.ndarray) -> str:
    lo, hi = bootstrap(a)
    elo, ehi = bootstrap(b)
    d = a - b
    dlo, dhi = bootstrap(d)
    rel = (a.mean() - b.mean()) / b.mean() if b.mean() else float("nan")
    return (
        f"  {label:<34s} {a.mean():.4f} [{lo:.4f}, {hi:.4f}]   evaluate {b.mean():.4f} [{elo:.4f}, {ehi:.4f}]"
        f"   diff {d.mean():+.4f} [{dlo:+.4f}, {dhi:+.4f}]  ({rel:+.1%} relative)"
    )


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="80/20 split seeds (default 0)")
    parser.add_argument("--users", type=int, default=0, help="a seeded sample of test users (0: all)")
    parser.add_argument("--sample-seed", type=int, default=7)
    parser.add_argument("--cap", type=int, default=0, help="cap each artist's plays (0: every play)")
    parser.add_argument("--skip-artists", type=int, default=5, help="popular artists skipped on Spotify")
    parser.add_argument("--skips-each", type=int, default=3, help="skipped streams per such artist")
    parser.add_argument("--bundle-cache", type=Path, help="keep the trained bundle here (reused if present)")
    parser.add_argument("--formats", nargs="+", default=["listenbrainz", "spotify"])
    parser.add_argument("--diagnose", action="store_true", help="add rows that take the gap apart")
    args = parser.parse_args(argv)

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    from recommender.evaluation import evaluate_scorers, make_split, recall_at_k
    from recommender.ranking import top_k
    from recommender.training.heldout import scorers_for

    bundle, held, path = train_bundle(args.bundle_cache, progress)
    os.environ["ENCORE_FACTORS"] = str(path)
    names = np.asarray(bundle.names).astype(str)
    name_to_item: dict[str, int] = {}
    for i, n in enumerate(names):
        name_to_item.setdefault(n, i)
    model = scorers_for(bundle)["model"]
    popular = np.argsort(-np.asarray(bundle.popularity), kind="stable")
    print(
        f"bundle: {bundle.n_items} items, trained without the {held.shape[0]} test users ({path})\n"
        f"plays per artist: {'capped at ' + str(args.cap) if args.cap else 'every play, uncapped'}; "
        f"listens dated over the last {WINDOW_DAYS:.0f} days; Spotify adds {args.skips_each} skipped streams "
        f"of each of {args.skip_artists} popular artists the user never played"
    )
    for seed in args.seeds:
        split = make_split(held, 0.8, seed)
        users = np.array([u for u, h in enumerate(split.heldout) if len(h)], dtype=np.int64)
        reference = evaluate_scorers({"model": model}, split)["model"]["recall@20"]
        scores = np.asarray(model(split.given[users]))
        eval_recall = {}
        for j, u in enumerate(users):
            g = split.given
            exclude = g.indices[g.indptr[u] : g.indptr[u + 1]]
            eval_recall[int(u)] = recall_at_k(top_k(scores[j], exclude, 100), split.heldout[u], 20)
        all_mean = float(np.mean(list(eval_recall.values())))
        if abs(all_mean - reference) > 1e-9:
            raise SystemExit(f"per-user recall {all_mean} differs from evaluate_scorers {reference}")
        chosen = users
        if args.users and args.users < len(users):
            rng = np.random.default_rng(args.sample_seed)
            chosen = np.sort(rng.choice(users, size=args.users, replace=False))
        print(
            f"\nseed {seed}: {len(chosen)} of {len(users)} test users with something held out "
            f"({'all' if len(chosen) == len(users) else f'seeded sample, seed {args.sample_seed}'}); "
            f"evaluate_scorers on all {len(users)}: Recall@20 {reference:.4f}"
        )
        got: dict[str, list[float]] = {f: [] for f in args.formats}
        shares: dict[str, list[float]] = {f: [] for f in args.formats}
        diag: dict[str, dict[str, list[float]]] = {}
        base = [eval_recall[int(u)] for u in chosen]
        n_listens = 0
        t0 = time.perf_counter()
        for k, u in enumerate(chosen):
            g = split.given
            lo, hi = g.indptr[u], g.indptr[u + 1]
            items, counts = g.indices[lo:hi], g.data[lo:hi]
            rng = np.random.default_rng([seed, int(u)])
            now = time.time()
            listens = listens_of(items, counts, names, args.cap, now, rng)
            n_listens += len(listens)
            full = set(held.indices[held.indptr[u] : held.indptr[u + 1]].tolist())
            skip_names = [str(names[i]) for i in popular if int(i) not in full][: args.skip_artists]
            with tempfile.TemporaryDirectory(prefix="encore-e2e-") as tmp:
                for fmt in args.formats:
                    if fmt == "listenbrainz":
                        export = Path(tmp) / "listens.json"
                        write_listenbrainz(export, listens)
                    else:
                        export = Path(tmp) / "Streaming_History_Audio_2025.json"
                        write_spotify(export, listens, skip_names, args.skips_each, rng)
                    db = Path(tmp) / f"{fmt}.db"
                    ranked, report = import_and_recommend(db, export, name_to_item)
                    got[fmt].append(recall_at_k(ranked, split.heldout[u], 20))
                    shares[fmt].append(report["catalogue_share"])
                    export.unlink()
                    if args.diagnose:
                        j = int(np.searchsorted(users, u))
                        for name, r in diagnose(db, bundle, split.heldout[u], items, scores[j]).items():
                            diag.setdefault(fmt, {}).setdefault(name, []).append(r)
            if (k + 1) % 25 == 0:
                progress(
                    f"  {k + 1}/{len(chosen)} users, {n_listens} listens, {time.perf_counter() - t0:.0f} s; "
                    + ", ".join(f"{f} {np.mean(v):.4f}" for f, v in got.items())
                    + f" vs evaluate {np.mean(base[: k + 1]):.4f}"
                )
        b = np.asarray(base)
        print(
            f"  {n_listens} listens imported per format ({n_listens / len(chosen):.0f} per user), "
            f"{time.perf_counter() - t0:.0f} s"
        )
        for fmt in args.formats:
            a = np.asarray(got[fmt])
            print(summary(f"{fmt} import -> recommend", a, b))
            share = np.asarray(shares[fmt])
            print(
                "    catalogue_share (listens whose artist the bundle knows): "
                f"mean {share.mean():.4f}, min {share.min():.4f}"
            )
            for name, values in diag.get(fmt, {}).items():
                print("  " + summary(name, np.asarray(values), b))
    return 0


if __name__ == "__main__":
    sys.exit(main_())
