"""CLI of the collaborative recommender: ``pretrain``, ``evaluate``, ``match-report``, ``recommend``.

``evaluate``'s protocol and user groups are documented in ``recommender.training.heldout``.

Heavy modules (numpy, scipy, implicit) are imported inside the command functions so that building
the argument parser stays cheap.
"""

from __future__ import annotations

import argparse
import sys

from player.cli.common import bounded_float, bounded_int, say


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    p = sub.add_parser(
        "pretrain",
        parents=[common],
        help="train WMF factors on listening data and write a bundle (implicit, or Spark ALS)",
        description="Train Weighted Matrix Factorization (implicit ALS) on Last.fm 2k "
        "(--source lastfm2k FOLDER) or MSD Taste Profile data (--source msd TRIPLETS [METADATA]) "
        "and write a factor bundle (.npz).",
    )
    p.add_argument("--source", choices=("lastfm2k", "msd"), required=True)
    p.add_argument("paths", nargs="+", metavar="PATH", help="lastfm2k: FOLDER; msd: TRIPLETS [METADATA]")
    p.add_argument("--out", required=True, metavar="FILE", help="bundle to write (.npz)")
    p.add_argument("--level", choices=("song", "artist"), default="song", help="msd only: item level")
    p.add_argument("--factors", type=bounded_int(1, 1024), help="latent factors k (default 64)")
    p.add_argument("--regularization", type=bounded_float(0.0, 1e6))
    p.add_argument(
        "--alpha", type=bounded_float(0.0, 1e6), help="confidence scale α in c = 1 + α·log(1 + r/ε)"
    )
    p.add_argument("--eps", type=bounded_float(1e-9, 1e9), help="ε in the confidence")
    p.add_argument("--iterations", type=bounded_int(1, 1000))
    p.add_argument("--seed", type=bounded_int(0, 2**32 - 1))
    p.add_argument(
        "--rp3-weight",
        type=bounded_float(0.0, 1.0),
        help="weight of the RP3beta part of the blend (0: WMF only)",
    )
    p.add_argument("--no-tag-rows", action="store_true", help="do not add tags as pseudo-listeners")
    p.add_argument("--no-validation", action="store_true", help="skip the validation run")
    p.add_argument("--cpu", action="store_true", help="never use CUDA")
    p.add_argument(
        "--engine",
        choices=("implicit", "spark"),
        default="implicit",
        help="ALS engine: implicit (one machine, default) or spark (Spark ALS, local or a cluster)",
    )
    p.add_argument(
        "--master",
        default="local[*]",
        metavar="URL",
        help="--engine spark: Spark master URL (default local[*]; e.g. spark://host:7077, yarn)",
    )
    p.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="--engine spark: a Spark setting (repeatable), e.g. spark.executor.memory=8g",
    )
    p.add_argument(
        "--holdout-users",
        nargs=3,
        metavar=("N", "SEED", "FILE"),
        help="lastfm2k: leave N random users (and their tags) out of training and write their rows to FILE, "
        "for an honest `evaluate --history FILE --bundle OUT`",
    )
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser(
        "evaluate",
        parents=[common],
        help="static accuracy on listeners no model saw (mean over 4 split seeds)",
        description="Recall@20, Recall@50, NDCG@100 of the model against plain WMF, item-kNN and "
        "popularity, averaged over the 80/20 split seeds (default 0-3). --history FILE: the users of a "
        "user_artists.dat-style file are folded into the bundle (never trained on). --groups FOLDER: on "
        "the Last.fm 2k folder, train the shipped recipe without the validation users (the ones every "
        "setting was tuned on) and without the test users (never tuned on), evaluate each, and print "
        "the gap.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--history", metavar="FILE", help="userID<TAB>artistID<TAB>weight, with header")
    src.add_argument(
        "--groups", metavar="FOLDER", help="Last.fm 2k folder: validation users vs test users (retrains)"
    )
    p.add_argument(
        "--bundle", metavar="FILE", help="with --history: factor bundle (default: the shipped one)"
    )
    p.add_argument(
        "--seeds",
        default="0,1,2,3",
        metavar="LIST",
        help="seeds of the 80/20 split, comma-separated (0,1,2,3)",
    )
    p.add_argument("--per-seed", action="store_true", help="also print each seed's figures")
    p.add_argument("--cpu", action="store_true", help="with --groups: never train on CUDA")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "match-report",
        parents=[common],
        help="how much of the library the factor bundle knows",
        description="Coverage of the library by the factor bundle: tracks and artists matched, and the "
        "unmatched artists by play count.",
    )
    p.add_argument("--bundle", metavar="FILE")
    p.add_argument(
        "--limit",
        type=bounded_int(-1, 100_000),
        default=30,
        help="unmatched artists to list (default 30; -1: all)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_match_report)

    p = sub.add_parser(
        "recommend",
        parents=[common],
        help="artists to hear next, from your plays",
        description="Artists you should hear next: those in your library first, then discoveries.",
    )
    p.add_argument("--n", type=bounded_int(1, 1000), default=20, help="artists per section (default 20)")
    p.add_argument("--bundle", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_recommend)


def _progress(message: str) -> None:
    say(message, file=sys.stderr, flush=True)


def cmd_pretrain(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from player.cli.common import fail
    from recommender.factors.bundle_file import save_bundle
    from recommender.training.als import PretrainConfig
    from recommender.training.pretrain import pretrain

    config = PretrainConfig()
    overrides = {
        "factors": args.factors,
        "regularization": args.regularization,
        "alpha": args.alpha,
        "eps": args.eps,
        "iterations": args.iterations,
        "seed": args.seed,
        "rp3_weight": args.rp3_weight,
    }
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    if args.no_tag_rows:
        config = replace(config, tag_rows=False)
    if args.cpu:
        config = replace(config, use_gpu=False)
    trainer = None
    try:
        if args.engine == "spark":
            conf = {}
            for item in args.spark_conf:
                key, sep, value = item.partition("=")
                if not sep or not key:
                    raise ValueError(f"--spark-conf wants KEY=VALUE, not {item!r}")
                conf[key.strip()] = value.strip()
            from recommender.training.spark_als import SparkTrainer, paths_exist

            paths_exist(args.source, args.paths)
            trainer = SparkTrainer(args.source, args.paths, master=args.master, conf=conf)
        bundle = pretrain(
            args.source,
            args.paths,
            config,
            level=args.level,
            run_validation=not args.no_validation,
            progress=_progress,
            holdout=(int(args.holdout_users[0]), int(args.holdout_users[1]), args.holdout_users[2])
            if args.holdout_users
            else None,
            trainer=trainer,
        )
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    finally:
        if trainer is not None:
            trainer.close()
    path = save_bundle(bundle, args.out)
    if bundle.ease is not None:
        from recommender.factors.ease import ease_path_for, save_ease

        ease_path = save_ease(ease_path_for(path), bundle.ease[0], bundle.item_ids, bundle.ease[1])
        say(
            f"wrote {ease_path} (EASE, {bundle.ease[0].nnz} weights, {ease_path.stat().st_size / 1e6:.1f} MB)"
        )
    val = bundle.meta.get("validation")
    if val:
        for name in ("model", "blend", "wmf", "item_knn", "popularity"):
            m = val[name]
            _progress(
                f"validation {name:10s} R@20 {m['recall@20']:.4f}  R@50 {m['recall@50']:.4f}  "
                f"NDCG@100 {m['ndcg@100']:.4f}"
            )
    say(f"wrote {path} ({bundle.n_items} items, k={bundle.k}, {path.stat().st_size / 1e6:.1f} MB)")
    return 0


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--seeds: not a comma-separated list of integers: {text!r}") from None
    if not seeds or len(seeds) > 100 or not all(0 <= s < 2**32 for s in seeds):
        raise ValueError("--seeds: give 1 to 100 seeds between 0 and 2**32 - 1")
    return seeds


def _table(title: str, result: dict, per_seed: bool) -> None:
    from recommender.training.heldout import ROWS

    seeds = ",".join(str(s) for s in result["seeds"])
    say(f"{title}: {result['users']} users, mean over split seeds {seeds}")
    say(f"  {'':12s} {'Recall@20':>9s} {'Recall@50':>9s} {'NDCG@100':>9s}")
    for name in ROWS:
        m = result["mean"][name]
        say(f"  {name:12s} {m['recall@20']:9.4f} {m['recall@50']:9.4f} {m['ndcg@100']:9.4f}")
    if per_seed:
        for s in result["per_seed"]:
            cells = "  ".join(f"{name} {s[name]['recall@20']:.4f}/{s[name]['ndcg@100']:.4f}" for name in ROWS)
            say(f"  seed {s['seed']}: {cells}  (R@20/NDCG@100)")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from player.cli.common import fail, print_json
    from recommender.training.als import PretrainConfig
    from recommender.training.heldout import evaluate_groups, evaluate_history

    try:
        seeds = _seeds(args.seeds)
        if args.history:
            result = evaluate_history(args.history, args.bundle, seeds)
        else:
            if args.bundle:
                return fail("--bundle goes with --history; --groups trains its own bundles")
            config = replace(PretrainConfig(), use_gpu=False) if args.cpu else PretrainConfig()
            result = evaluate_groups(args.groups, config, seeds, progress=_progress)
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    if args.json:
        print_json(result)
        return 0
    if args.history:
        info = result["info"]
        say(
            f"{info['skipped_users']} of {info['file_users']} users skipped (< 2 known artists); "
            f"{info['unknown_items']} of {info['items']} user-artist pairs unknown to the bundle were dropped"
        )
        _table("users of " + args.history, result, args.per_seed)
        return 0
    _table("validation users (every setting was tuned on them)", result["validation"], args.per_seed)
    _table("test users (never used to choose anything)", result["test"], args.per_seed)
    gap = result["gap"]
    say(
        "validation minus test: "
        + "; ".join(
            f"{name} R@20 {gap[name]['recall@20']:+.4f}, NDCG@100 {gap[name]['ndcg@100']:+.4f}"
            for name in gap
        )
    )
    return 0


def cmd_match_report(args: argparse.Namespace) -> int:
    from player.cli.common import fail, open_store, print_json
    from player.store.feedback import track_play_counts
    from recommender.factors.bundle_file import load_bundle
    from recommender.factors.match import match_library

    try:
        bundle = load_bundle(args.bundle)
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    with open_store(args) as store:
        match = match_library(store, bundle)
        plays = track_play_counts(store)
        from player.store.tracks import count_tracks

        total_tracks = count_tracks(store, include_missing=True)  # as the match: missing files' too
    matched_tracks = len(match.track_item)
    rows = []
    for artist in match.unmatched:
        tracks = match.artist_tracks[artist]
        rows.append({"artist": artist, "tracks": len(tracks), "plays": sum(plays.get(t, 0) for t in tracks)})
    rows.sort(key=lambda r: (-r["plays"], -r["tracks"], r["artist"].casefold()))
    matched = [
        {
            "artist": a,
            "item": str(bundle.names[i]),
            "how": match.how.get(a, "name"),
            "tracks": len(match.artist_tracks[a]),
        }
        for a, i in sorted(match.artist_to_item.items(), key=lambda kv: kv[0].casefold())
    ]
    report = {
        "tracks": total_tracks,
        "tracks_with_artist": len(match.track_artist),
        "tracks_matched": matched_tracks,
        "artists": len(match.artist_tracks),
        "artists_matched": len(match.artist_to_item),
        "matched": matched,
        "unmatched": rows[: args.limit] if args.limit >= 0 else rows,
        "unmatched_total": len(rows),
    }
    if args.json:
        print_json(report)
        return 0

    def pct(a: int, b: int) -> str:
        return f"{100.0 * a / b:.1f}%" if b else "-"

    say(
        f"tracks:  {matched_tracks} of {total_tracks} matched ({pct(matched_tracks, total_tracks)}); "
        f"{total_tracks - len(match.track_artist)} without a usable artist tag"
    )
    say(
        f"artists: {len(match.artist_to_item)} of {len(match.artist_tracks)} matched "
        f"({pct(len(match.artist_to_item), len(match.artist_tracks))})"
    )
    for m in matched:
        say(f"  = {m['artist']}  ->  {m['item']}  [{m['how']}]")
    if rows:
        say(f"unmatched artists by plays ({len(rows)}):")
        say(f"  {'plays':>6s} {'tracks':>6s}  artist")
        for r in report["unmatched"]:
            say(f"  {r['plays']:6d} {r['tracks']:6d}  {r['artist']}")
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from player.cli.common import fail, open_store, print_json
    from recommender.factors.bundle_file import load_bundle
    from recommender.taste.profile import Taste

    try:
        bundle = load_bundle(args.bundle)
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    from recommender.taste.bans import Bans

    with open_store(args) as store:
        taste = Taste.from_store(store, bundle)
        bans = Bans.from_store(store)
    if not taste.evidence_artists():  # nothing matched, nothing analysed: no taste, so no global hits
        from recommender.for_you.lists import NO_SIGNAL

        if args.json:
            print_json({"signal": "none", "summary": NO_SIGNAL, "in_library": [], "discoveries": []})
        else:
            say(NO_SIGNAL)
        return 0
    from recommender.taste.recommend import recommend

    recs = recommend(taste, args.n, bans)
    if args.json:
        print_json(
            {
                "in_library": [r.as_dict() for r in recs.in_library],
                "discoveries": [r.as_dict() for r in recs.discoveries],
            }
        )
        return 0
    played = sum(1 for a in taste.artist_feedback.values() if a.completions or a.skips)
    say(
        f"taste from {len(taste.track_feedback)} played tracks, {played} artists with plays "
        f"({len(taste.match.artist_to_item)} artists matched, {len(taste.audio_factors)} placed from audio)"
    )
    for title, items in (("In your library", recs.in_library), ("Discoveries", recs.discoveries)):
        say()
        say(f"{title}:")
        if not items:
            say("  (none)")
        for r in items:
            why = f"  — {r.reason}" if r.reason else ""
            say(f"  {r.score:7.3f}  {r.artist}{why}")
    return 0
