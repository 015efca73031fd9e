"""CLI of the For-you lists: ``for-you`` (tracks, albums and artists with reasons; the Discover mix).

Nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse

from player.cli.common import bounded_int, fail, open_store, print_json, say


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    p = sub.add_parser(
        "for-you",
        parents=[common],
        help="what to hear next: under-played tracks and albums you own, artists to discover, the mix",
        description="Tracks and albums of your library you have played little or never, ranked by your "
        "taste (plays, what you own, and the sound of artists the listening data does not know), "
        "artists to discover, and the stored 30-track Discover mix; each with its reason.",
    )
    p.add_argument("--n", type=bounded_int(1, 500), default=10, help="items per list (default 10)")
    p.add_argument("--mix", action="store_true", help="print the Discover mix (made now if none yet)")
    p.add_argument("--refresh-mix", action="store_true", help="make a new Discover mix and print it")
    p.add_argument("--bundle", metavar="FILE", help="factor bundle (default: the shipped one)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_for_you)


def cmd_for_you(args: argparse.Namespace) -> int:
    from player.store.tracks import get_track
    from recommender.factors.bundle_file import load_bundle
    from recommender.for_you.lists import for_you
    from recommender.for_you.mix import discover_mix

    if args.n < 1:
        return fail("--n must be at least 1")
    try:
        bundle = load_bundle(args.bundle)
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    with open_store(args) as store:
        result = for_you(store, bundle, n=args.n)
        mix = None
        if args.mix or args.refresh_mix:
            mix = discover_mix(store, result, refresh=args.refresh_mix)
            for e in mix:
                t = get_track(store, e["track_id"]) or {}
                e.update(path=t.get("path"), artist=t.get("artist"), title=t.get("title"))
    out = result.as_dict(args.n)
    if mix is not None:
        out["mix"] = mix
    if args.json:
        print_json(out)
        return 0
    say(result.summary)
    if result.signal == "none":
        return 0
    sections = [("In your library: tracks", out["tracks"]), ("In your library: albums", out["albums"])]
    sections.append(("Artists to discover", out["artists"]))
    for title, items in sections:
        say()
        say(f"{title}:")
        if not items:
            say("  (none)")
        for it in items:
            who = f"{it['artist']} - " if it["kind"] != "artist" and it["artist"] else ""
            link = f"  <{it['link']}>" if it.get("link") else ""
            say(f"  {it['score']:6.2f}  {who}{it['name']}  — {it['reason']}{link}")
    if mix is not None:
        say()
        say("Discover mix:")
        for i, e in enumerate(mix, 1):
            say(f"  {i:2d}. {e['artist'] or '?'} - {e['title'] or e['path']}  — {e['reason']}")
    return 0
