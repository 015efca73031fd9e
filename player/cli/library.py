"""``encore scan``: scan music folders into the library, or list what could not be scanned."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from player.cli.common import bounded_int, fail, nonempty_path, open_store, print_json, shown
from player.store import Store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "scan",
        parents=[common],
        help="scan music folders into the library",
        description="Scan folders (incrementally) into the library and print what changed.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=nonempty_path,
        metavar="PATH",
        help="folders or files to scan (default: the music folders chosen in the app)",
    )
    p.add_argument("--errors", action="store_true", help="list the files that could not be scanned")
    p.add_argument(
        "--workers",
        type=bounded_int(1, 64),
        default=None,
        help="tag-reading processes (default: cores, max 4)",
    )
    p.add_argument("--json", action="store_true", help="print the summary (or errors) as JSON")
    p.set_defaults(func=cmd_scan)


#: Where the app keeps its settings, music folders among them (``ui.settings.STATE_KEY``; the player
#: reads the folders only, and never imports the UI).
APP_SETTINGS_KEY = "settings.ui"


def music_folders(store: Store) -> list[str]:
    """The music folders chosen in the app (its settings), what ``encore scan`` with no PATH rescans."""
    try:
        folders = json.loads(store.get_state(APP_SETTINGS_KEY) or "{}").get("folders") or []
    except (ValueError, AttributeError):  # a damaged or foreign value: no folders rather than a crash
        return []
    return [str(f) for f in folders if isinstance(f, str) and f.strip()]


def cmd_scan(args: argparse.Namespace) -> int:
    from player.library import scan
    from player.store.errors import list_scan_errors

    with open_store(args) as store:
        if args.errors:
            rows = list_scan_errors(store)
            if args.json:
                print_json(rows)
            elif not rows:
                print("no scan errors")
            else:
                for row in rows:
                    print(f"{row['kind']:<18} {shown(row['path'])}\n{'':<18} {shown(row['message'])}")
                print(f"{len(rows)} files or folders could not be scanned")
            return 0
        paths = args.paths or music_folders(store)
        if not paths:
            return fail("no music folders are set up yet: give the folders to scan (encore scan ~/Music)")
        # A folder named on the command line that is not there is a typo, not a drive unplugged since
        # the last scan (a saved folder: its tracks are kept, flagged missing): nothing is scanned.
        absent = [p for p in args.paths or [] if not os.path.exists(p)]
        if absent:
            return fail(
                f"no such file or folder: {', '.join(shown(p) for p in absent)} (nothing was scanned)"
            )
        if not args.paths and not args.json:
            print(f"rescanning {', '.join(shown(p) for p in paths)}")
        bar = None
        if sys.stderr.isatty() and not args.json:
            from tqdm import tqdm

            bar = tqdm(total=0, unit="file", desc="scanning", leave=False)

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total or None  # 0: a first scan still finding files, no total yet
                bar.n = done
                bar.refresh()

        started = time.perf_counter()
        try:
            summary = scan(store, paths, progress=progress, workers=args.workers)
        finally:
            if bar is not None:
                bar.close()
        elapsed = time.perf_counter() - started
        if args.json:
            print_json({**summary.as_dict(), "seconds": round(elapsed, 3)})
        else:
            print(f"{summary} in {elapsed:.1f} s")
            if summary.errors:
                print("see `encore scan --errors` for the files that could not be scanned")
    return 0
