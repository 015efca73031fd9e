"""Pretraining time against the number of rows, ``implicit`` against Spark ALS (``--engine spark``).

Datasets, each read from files by both engines:
- ``msd-fragment``: the Taste Profile fragment (42,739 rows, song level);
- ``lastfm2k``: Last.fm 2k (74,334 listening rows, plus tag pseudo-listener rows);
- ``lastfm2k-x10``: a synthetic 10x Last.fm written to a temporary folder: every user ten times
  (copy 0 is the real user), each copy keeping a seeded 90% of the user's artists with counts scaled
  by log-normal noise (σ 0.5, at least 1), tag files shared (only the real users tagged).

For every dataset and engine: the whole ``pretrain`` without the validation run (read, ALS, bundle)
and the ALS step alone, with the shipped hyper-parameters (``PretrainConfig()``: k, iterations, λ, α,
ε). ``implicit`` runs on one CPU thread (as ``train_item_factors`` pins it, for reproducibility) or on
CUDA if it has it; Spark on ``--master`` (default ``local[*]``: every core). The Spark session's
start-up (JVM) is timed once and reported apart, and one small warm-up fit runs before the table
(``--no-warmup`` to leave it out: the first jobs of a fresh JVM are slower).

``--recall`` adds the full-size quality check: Recall@20 (model blend and WMF alone) on the
developers' validation users (``heldout.validate``: the seeded 20% of users, 80% of their items
given) for both engines on Last.fm 2k and the MSD fragment.

Usage: ``.venv/bin/python benchmarks/pretrain_scaling.py [--datasets msd-fragment,lastfm2k,lastfm2k-x10]
[--master local[*]] [--recall] [--iterations N]``. Figures are wall-clock seconds on whatever else
the machine is doing; no test asserts them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
LASTFM = DATA / "lastfm-2k"
MSD = DATA / "msd-fragments"


def synthetic_lastfm(folder: Path, copies: int = 10, keep: float = 0.9, seed: int = 0) -> Path:
    """Write a ``copies``-times Last.fm 2k (perturbed user copies) into ``folder``; returns it."""
    import numpy as np

    from recommender.training.data import read_user_artists

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("artists.dat", "tags.dat", "user_taggedartists.dat"):
        shutil.copy(LASTFM / name, folder / name)
    users, artists, counts = read_user_artists(LASTFM / "user_artists.dat")
    rng = np.random.default_rng(seed)
    lines = ["userID\tartistID\tweight"]
    for copy in range(copies):
        if copy == 0:
            mask = np.ones(len(users), dtype=bool)
            c = counts
        else:
            mask = rng.random(len(users)) < keep
            c = np.maximum(1, np.round(counts * rng.lognormal(0.0, 0.5, len(counts))))
        prefix = "" if copy == 0 else f"{copy}x"
        lines += [
            f"{prefix}{u}\t{a}\t{int(w)}" for u, a, w in zip(users[mask], artists[mask], c[mask], strict=True)
        ]
    (folder / "user_artists.dat").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _timed_trainer(inner, times: list[float]):
    def trainer(inter, side, config, progress=None):
        t = time.perf_counter()
        out = inner(inter, side, config, progress)
        times.append(time.perf_counter() - t)
        return out

    trainer.engine = getattr(inner, "engine", "implicit")
    return trainer


def run_one(source: str, paths: list[str], engine: str, config, spark=None) -> dict:
    from recommender.training.als import implicit_trainer
    from recommender.training.pretrain import pretrain

    inner = implicit_trainer
    if engine == "spark":
        from recommender.training.spark_als import SparkTrainer

        inner = SparkTrainer(source, paths, spark=spark)
    als: list[float] = []
    t = time.perf_counter()
    bundle = pretrain(source, paths, config, run_validation=False, trainer=_timed_trainer(inner, als))
    total = time.perf_counter() - t
    rows = int(bundle.meta["n_interactions"])
    return {"rows": rows, "tag_rows": int(bundle.meta["n_tag_rows"]), "total": total, "als": als[0]}


def recall(spark, config) -> list[tuple]:
    from recommender.training import data
    from recommender.training.heldout import validate
    from recommender.training.msd import load_msd
    from recommender.training.spark_als import SparkTrainer

    out = []
    lastfm = data.load_lastfm2k(LASTFM)
    lastfm.extra["folder"] = str(LASTFM)
    msd = load_msd(MSD / "taste_profile_fragment.txt", MSD / "msd_subset_song_data.csv")
    sets = [
        ("lastfm2k", lastfm, [str(LASTFM)]),
        (
            "msd-fragment",
            msd,
            [str(MSD / "taste_profile_fragment.txt"), str(MSD / "msd_subset_song_data.csv")],
        ),
    ]
    for name, inter, paths in sets:
        source = "lastfm2k" if name == "lastfm2k" else "msd"
        a = validate(inter, config)
        b = validate(inter, config, trainer=SparkTrainer(source, paths, spark=spark))
        out.append(
            (
                name,
                a["model"]["recall@20"],
                b["model"]["recall@20"],
                a["wmf"]["recall@20"],
                b["wmf"]["recall@20"],
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="msd-fragment,lastfm2k,lastfm2k-x10")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--engines", default="implicit,spark")
    parser.add_argument("--iterations", type=int, help="override the config's iterations")
    parser.add_argument("--recall", action="store_true", help="also compare validation Recall@20")
    parser.add_argument("--no-warmup", action="store_true", help="time Spark's first (cold) jobs too")
    args = parser.parse_args()

    from recommender.training.als import PretrainConfig

    config = PretrainConfig()
    if args.iterations:
        config = replace(config, iterations=args.iterations)
    engines = args.engines.split(",")
    spark = None
    if "spark" in engines or args.recall:
        from recommender.training.spark_als import spark_session

        t = time.perf_counter()
        spark = spark_session(args.master)
        print(
            f"Spark {spark.version} session on {spark.sparkContext.master}: {time.perf_counter() - t:.1f} s to start"
        )
        if not args.no_warmup:  # the JVM's first jobs run cold (class loading, JIT): keep that out of row 1
            t = time.perf_counter()
            warm = replace(config, factors=8, iterations=2)
            run_one("msd", [str(MSD / "taste_profile_fragment.txt")], "spark", warm, spark)
            print(
                f"warm-up (one small ALS on the fragment, not in the table): {time.perf_counter() - t:.1f} s"
            )
    print(f"config: k={config.factors}, {config.iterations} iterations, λ {config.regularization}, "
          f"α {config.alpha}, ε {config.eps}")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="encore-pretrain-scaling-"))
    try:
        sets = {
            "msd-fragment": (
                "msd",
                [str(MSD / "taste_profile_fragment.txt"), str(MSD / "msd_subset_song_data.csv")],
            ),
            "lastfm2k": ("lastfm2k", [str(LASTFM)]),
            "lastfm2k-x10": ("lastfm2k", None),
        }
        rows = []
        for name in args.datasets.split(","):
            source, paths = sets[name]
            if paths is None:
                paths = [str(synthetic_lastfm(tmp / "lastfm2k-x10"))]
            for engine in engines:
                r = run_one(source, paths, engine, config, spark)
                rows.append((name, engine, r))
                print(f"  {name} {engine}: {r}", file=sys.stderr, flush=True)
        print("\n| data | listening rows | tag rows | engine | ALS s | whole pretrain s |")
        print("|---|---:|---:|---|---:|---:|")
        for name, engine, r in rows:
            label = engine if engine == "implicit" else f"spark {spark.sparkContext.master}"
            print(
                f"| {name} | {r['rows']:,} | {r['tag_rows']:,} | {label} | {r['als']:.1f} | {r['total']:.1f} |"
            )
        if args.recall:
            print(
                "\n| data | R@20 model implicit | R@20 model spark | gap | R@20 WMF implicit | R@20 WMF spark |"
            )
            print("|---|---:|---:|---:|---:|---:|")
            for name, a, b, wa, wb in recall(spark, config):
                print(f"| {name} | {a:.4f} | {b:.4f} | {b - a:+.4f} | {wa:.4f} | {wb:.4f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if spark is not None:
            spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
