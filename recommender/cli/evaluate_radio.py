"""``encore evaluate-radio``: arguments and the command (heavy imports inside ``run``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(ev: argparse.ArgumentParser) -> None:
    from player.cli.common import bounded_float, bounded_int

    ev.add_argument("--history", required=True, metavar="FILE", help="userID, artistID, weight (TSV)")
    ev.add_argument(
        "--holdout",
        nargs="?",
        const="report",
        default=None,
        choices=("report", "tuning"),
        help="FILE is the shared training file: train a bundle without the GROUP's users (default "
        "'report', users no setting was tuned on) and simulate them; without --holdout FILE's users "
        "are taken as withheld listeners of the bundle",
    )
    ev.add_argument("--bundle", metavar="PATH", help="factor bundle (default: the shipped one)")
    ev.add_argument(
        "--listeners",
        type=bounded_int(0, 1_000_000),
        default=None,
        help="listeners sampled (default 160; 0: all of them)",
    )
    ev.add_argument(
        "--sessions", type=bounded_int(1, 1000), default=None, help="sessions per listener (default 3)"
    )
    ev.add_argument(
        "--length", type=bounded_int(1, 1000), default=None, help="tracks per session (default 30)"
    )
    ev.add_argument(
        "--noise", type=bounded_float(0.0, 0.5), default=None, help="listener's flip rate (default 0.05)"
    )
    ev.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=0, help="random seed (default 0)")
    ev.add_argument(
        "--policies", default=None, help="comma-separated subset (default: encore and all baselines)"
    )
    ev.add_argument("--checks", action="store_true", help="also run the oracle and disliked-only policies")
    ev.add_argument(
        "--app",
        action="store_true",
        help="also run Encore through the app (controller, queue, listening log on a SQLite file per "
        "listener; metrics from the plays table) and count broken product rules",
    )
    ev.add_argument(
        "--dial",
        action="store_true",
        help="run Encore at the five steps of the familiar <-> new dial (encore@-2 .. encore@+2) "
        "instead of the policies; with --plot, draw found per session against skip rate",
    )
    ev.add_argument("--json", action="store_true", help="machine-readable output")
    ev.add_argument("--plot", metavar="FILE.png", help="draw the skip / found / coherence trade-off")


def run(args: argparse.Namespace) -> int:
    from player.cli.common import fail, print_json
    from recommender.simulation.data import holdout_bundle, pretrain_config_of
    from recommender.simulation.policies import CHECKS, DIAL_POLICIES, POLICIES, POLICY_CLASSES
    from recommender.simulation.report import plot, table_text
    from recommender.simulation.runner import simulate
    from recommender.simulation.world import WorldSettings, build_listeners

    history = Path(args.history)
    if not history.exists():
        return fail(f"{history} does not exist")
    settings = WorldSettings(seed=args.seed)
    for name in ("sessions", "length", "noise"):
        value = getattr(args, name)
        if value is not None:
            setattr(settings, name, value)
    if settings.sessions < 1 or settings.length < 1:
        return fail("--sessions and --length must be at least 1")
    if not 0.0 <= settings.noise < 0.5:
        return fail("--noise must be in [0, 0.5)")
    if args.listeners is not None:
        if args.listeners < 0:
            return fail("--listeners must be 0 (all) or more")
        settings.max_listeners = args.listeners or None
    policies = tuple(args.policies.split(",")) if args.policies else POLICIES
    if args.dial:
        if args.policies or args.app:
            return fail("--dial runs the five dial steps: leave out --policies and --app")
        policies = DIAL_POLICIES
    unknown = [p for p in policies if p not in POLICY_CLASSES]
    if unknown:
        return fail(f"unknown policies: {', '.join(unknown)} (known: {', '.join(POLICY_CLASSES)})")
    if args.checks:
        policies = policies + tuple(c for c in CHECKS if c not in policies)
    from recommender.factors.bundle_file import load_bundle

    try:
        bundle = load_bundle(args.bundle) if args.bundle or args.holdout is None else None
    except FileNotFoundError as exc:
        return fail(str(exc))
    if args.holdout is not None:
        config = pretrain_config_of(bundle) if bundle is not None else None
        if config is None:
            from recommender.factors.bundle_file import load_bundle

            shipped = load_bundle(or_none=True)
            config = pretrain_config_of(shipped) if shipped is not None else None
        print(f"training a bundle without the '{args.holdout}' users...", file=sys.stderr)
        bundle, triples = holdout_bundle(history, args.holdout, config=config)
    else:
        from recommender.training.data import read_user_artists

        triples = read_user_artists(history)
    listeners = build_listeners(*triples, bundle, settings)
    if not listeners:
        return fail(f"no user in {history} has {settings.min_artists} or more artists the bundle knows")
    bar = None
    if sys.stderr.isatty() and not args.json:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="listener", leave=False)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    result = simulate(listeners, bundle, settings, policies, progress=progress)
    if args.app:
        from recommender.simulation.app import simulate_app

        app = simulate_app(listeners, bundle, settings, progress=progress)
        result["policies"].update(app["policies"])
        result["violations"] = app["violations"]
    if bar is not None:
        bar.close()
    result["users"] = f"holdout group '{args.holdout}'" if args.holdout else f"all of {history.name}"
    print(
        f"{len(listeners)} listeners ({result['users']}), {settings.sessions} sessions x "
        f"{settings.length} tracks each, noise {settings.noise}; mean [95% bootstrap interval]",
        file=sys.stderr,
    )
    if args.plot:
        try:
            plot(result, args.plot)
        except OSError as exc:
            return fail(f"cannot write {args.plot}: {exc}")
    if args.json:
        print_json(result)
    else:
        print(table_text(result))
        if "violations" in result:
            broken = ", ".join(f"{k} {v}" for k, v in result["violations"].items())
            print(f"rules broken in the app-level run (each should be 0): {broken}")
    return 0
