"""CLI of listening history from elsewhere: ``import-history`` and ``history`` (list, forget).

Nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import sys
import time

from player.cli.common import bounded_int, fail, open_store, print_json, shown


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    p = sub.add_parser(
        "import-history",
        parents=[common],
        help="import your listening history from ListenBrainz, Spotify or Last.fm into your taste",
        description="Import listening history exported from ListenBrainz (JSON or JSON lines), Spotify "
        "(extended streaming history or the short account-data export, or the zip they come in) or "
        "Last.fm (CSV). The format is recognised from the content. Listens feed your taste from day "
        "one; importing a file again adds nothing. Encore's own plays stay apart.",
    )
    p.add_argument("files", nargs="+", metavar="FILE_OR_ZIP", help="history exports to import")
    p.add_argument(
        "--bundle", metavar="FILE", help="factor bundle to match artists (default: the shipped one)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_import)

    h = sub.add_parser(
        "history",
        parents=[common],
        help="the listening history imported so far (forget ID removes one import)",
        description="List the imports of listening history (source, file, date range, counts), or "
        "forget one: its listens leave your taste and the library's counts.",
    )
    h.add_argument("action", nargs="?", choices=("list", "forget"), default="list")
    h.add_argument("id", nargs="?", type=bounded_int(1, 2**62), help="the import to forget")
    h.add_argument("--json", action="store_true", help="machine-readable output")
    h.set_defaults(func=cmd_history)


def cmd_import(args: argparse.Namespace) -> int:
    from player.history.read import HistoryFormatError
    from recommender.factors.bundle_file import load_bundle
    from recommender.taste.history import import_history

    try:
        bundle = load_bundle(args.bundle) if args.bundle else load_bundle(or_none=True)
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    reports = []
    with open_store(args) as store:
        for path in args.files:
            bar = None
            if sys.stderr.isatty() and not args.json:
                from tqdm import tqdm

                bar = tqdm(total=1, unit="B", unit_scale=True, desc=shown(path), leave=False)

            def progress(done: int, total: int, bar=bar) -> None:
                if bar is not None:
                    bar.total = total
                    bar.n = done
                    bar.refresh()

            try:
                report = import_history(store, path, bundle, progress)
            except HistoryFormatError as exc:
                if bar is not None:
                    bar.close()
                return fail(str(exc), code=1)
            if bar is not None:
                bar.close()
            reports.append(report)
    if args.json:
        print_json(reports)
        return 0
    for r in reports:
        print(summary_text(r))
    return 0


def summary_text(r: dict) -> str:
    """An import's report in words (the CLI and the app's summary dialog say the same)."""
    from player.history.formats import SOURCE_NAMES

    left = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(r["left_out"].items()))
    lines = [
        f"{shown(r['file'])}: {SOURCE_NAMES.get(r['source'], r['source'])} history, "
        + (f"import {r['import_id']}" if r["import_id"] is not None else "nothing new to import"),
        f"  {r['listens_read']} listens read, {r['listens_kept']} kept"
        + (f", {r['duplicates']} already imported" if r["duplicates"] else "")
        + (f"; left out: {left}" if left else ""),
        f"  {r['artists']} artists; the listening data knows the artist of {r['catalogue_share']:.0%} "
        f"of the listens; {r['library_share']:.0%} matched tracks in your library",
    ]
    outcomes = r.get("outcomes") or {}
    if outcomes:
        lines.append("  " + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))
    if r["top_unmatched"]:
        names = ", ".join(f"{shown(a)} ({n})" for a, n in r["top_unmatched"][:5])
        lines.append(f"  artists the listening data does not know: {names}")
    return "\n".join(lines)


def _date(at: float | None) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(at)) if at else "-"


def cmd_history(args: argparse.Namespace) -> int:
    from player.store.listens import forget_import, list_imports

    with open_store(args) as store:
        if args.action == "forget":
            if args.id is None:
                return fail("history forget needs the ID of an import (encore history lists them)")
            gone = forget_import(store, args.id)
            if gone is None:
                return fail(f"no import {args.id} (encore history lists them)")
            print(f"Forgot import {args.id}: {gone} listens removed from your taste")
            return 0
        imports = list_imports(store)
    if args.json:
        print_json(imports)
        return 0
    if not imports:
        print("No listening history imported yet (encore import-history FILE).")
        return 0
    for i in imports:
        print(
            f"{i['id']:4d}  {i['source']:12s}  {_date(i['first_at'])} .. {_date(i['last_at'])}  "
            f"{i['listens_held']} listens ({i['listens_read']} read)  {shown(i['file'])}"
        )
    return 0
