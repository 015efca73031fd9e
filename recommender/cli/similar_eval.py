"""``encore evaluate-similar``: are the "Fans also like" lists what real fans co-listen to?

For every artist with at least ``--min-listeners`` listeners in a history file that no model was trained
on, each method's top-10 list is scored by those listeners' co-listening cosine
``|X ∩ Y| / √(|X|·|Y|)`` between the artist's listeners X and each neighbour's listeners Y (0 for a
neighbour nobody in the file heard), averaged over the list and then over artists, with a bootstrap
95% interval over artists (and paired intervals of the shipped lists' lead over each baseline).

Methods, all from the same bundle (the same training listeners): ``shipped`` (the support-aware lists
"Fans also like" shows, ``recommender.similar.support``), ``item_knn`` (cosine over the training
listeners' columns), ``factor_cosine`` (raw WMF item-factor cosine) and ``popularity`` (the most heard
artists).

An honest run: ``encore pretrain ... --holdout-users N SEED HELD.dat --out HOLD.npz`` leaves listeners
out, then ``--users validation`` (a seeded half of HELD.dat's users) to choose settings (``--grid``)
and ``--users test`` (the other half) for the figures.

The computation is in ``recommender.training.similar_eval``; nothing heavy is imported here.
"""

from __future__ import annotations

import argparse

from player.cli.common import bounded_int


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    p = sub.add_parser(
        "evaluate-similar",
        parents=[common],
        help="score 'Fans also like' lists by held-out listeners' co-listening",
        description="For artists with at least N listeners in FILE (user_artists.dat format, listeners "
        "no model saw), score each top-10 list by the co-listening cosine |X∩Y|/sqrt(|X||Y|) of those "
        "listeners; shipped lists vs item-kNN cosine, raw factor cosine and popularity, with bootstrap "
        "95%% intervals.",
    )
    p.add_argument("--history", required=True, metavar="FILE", help="userID<TAB>artistID<TAB>weight")
    p.add_argument("--bundle", metavar="FILE", help="factor bundle (default: the shipped one)")
    p.add_argument(
        "--min-listeners",
        type=bounded_int(1, 1_000_000),
        default=5,
        help="query artists need N listeners (5)",
    )
    p.add_argument("--n", type=bounded_int(1, 500), default=10, help="list length (default 10)")
    p.add_argument(
        "--users",
        choices=("all", "validation", "test"),
        default="all",
        help="all users of FILE, or a seeded half: 'validation' to tune, 'test' to report",
    )
    p.add_argument("--grid", action="store_true", help="score a grid of support settings (to tune them)")
    p.add_argument(
        "--bootstrap", type=bounded_int(1, 100_000), default=1000, help="bootstrap resamples (default 1000)"
    )
    p.add_argument(
        "--seed", type=bounded_int(0, 2**32 - 1), default=0, help="seed of the user halves and the bootstrap"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate_similar)


def cmd_evaluate_similar(args: argparse.Namespace) -> int:
    from player.cli.common import fail, print_json
    from recommender.factors.bundle_file import load_bundle
    from recommender.training.similar_eval import evaluate_similar, grid_scores, read_history

    if args.n < 1 or args.min_listeners < 1:
        return fail("--n and --min-listeners must be at least 1")
    try:
        bundle = load_bundle(args.bundle)
        if bundle.item_similarity is None:
            return fail("this bundle carries no training counts, which item-kNN and support need")
        history = read_history(args.history, bundle, args.users, args.seed)
        if args.grid:
            rows = grid_scores(history, bundle, args.min_listeners, args.n)
            if args.json:
                print_json(rows)
                return 0
            print(f"{'min_support':>11} {'shrinkage':>9} {'knn_weight':>10} {'score':>7}")
            for r in rows:
                print(
                    f"{r['min_support']:>11d} {r['shrinkage']:>9.0f} {r['knn_weight']:>10.1f} {r['mean']:>7.4f}"
                )
            return 0
        result = evaluate_similar(
            history, bundle, args.min_listeners, args.n, None, args.bootstrap, args.seed
        )
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    if args.json:
        print_json(result)
        return 0
    print(
        f"{result['queries']} artists with >= {result['min_listeners']} of {result['listeners']} listeners "
        f"({args.users} users); top-{result['n']} lists scored by co-listening cosine"
    )
    print(f"{'method':<14} {'score':>7}  {'95% interval':<17} {'shipped lead (95%)':<24}")
    for name, m in result["methods"].items():
        lead = result["shipped_lead"].get(name)
        lead_text = f"{lead['mean']:+.4f} [{lead['ci95'][0]:+.4f}, {lead['ci95'][1]:+.4f}]" if lead else ""
        print(f"{name:<14} {m['mean']:>7.4f}  [{m['ci95'][0]:.4f}, {m['ci95'][1]:.4f}]  {lead_text}")
    return 0
