"""CLI of the mixes: ``mix`` (daily mixes from your history, the time-of-day mix, a mix from a prompt)
and ``discover`` (artists to discover, exported as a wishlist).

Nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import datetime as dt

from player.cli.common import bounded_int, fail, open_store, print_json, say


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    p = sub.add_parser(
        "mix",
        parents=[common],
        help="daily mixes from your history, the mix for this time of day, or a mix from a prompt",
        description="Up to six daily mixes, each a corner of your taste (named by its strongest tags and "
        "artists), mixing favourites with new finds; the same all day, new tomorrow (--refresh: new ones "
        "now). --dial sets the share of new finds. --prompt makes one mix from a station prompt (see "
        "`encore radio --help`), --save keeps it as a playlist.",
    )
    p.add_argument(
        "--dial",
        type=bounded_int(-2, 2),
        default=0,
        metavar="-2..2",
        help="familiar (-2) to new (+2); default 0",
    )
    p.add_argument("--refresh", action="store_true", help="new daily mixes now (they stay until tomorrow)")
    p.add_argument("--time-of-day", action="store_true", help="only the mix for this time of day")
    p.add_argument("--prompt", metavar="TEXT", help="one mix from a station prompt")
    p.add_argument("--save", metavar="NAME", help="with --prompt: save the mix as a playlist NAME")
    p.add_argument("--n", type=bounded_int(1, 500), default=30, help="tracks per mix (default 30)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_mix)

    d = sub.add_parser(
        "discover",
        parents=[common],
        help="artists to discover (not in your library), as a list, a wishlist CSV or MusicBrainz links",
        description="The artists For you offers to discover, best first, with the reason for each. "
        "--export FILE writes them as a CSV wishlist (artist, why, MusicBrainz search link) or, for a "
        ".txt/.html FILE, as one link per artist. Not interested in one? `encore ban --artist NAME` "
        "and it never comes back.",
    )
    d.add_argument("--n", type=bounded_int(1, 500), default=30, help="how many artists (default 30)")
    d.add_argument("--export", metavar="FILE", help="write the list to FILE (.csv, .txt or .html)")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.set_defaults(func=cmd_discover)


def _rows(store, mix) -> list[dict]:
    from player.store.tracks import get_track

    out = []
    for track_id, why in zip(mix.track_ids, mix.whys, strict=True):
        t = get_track(store, track_id) or {}
        out.append(
            {
                "id": track_id,
                "path": t.get("path"),
                "artist": t.get("artist") or t.get("album_artist"),
                "title": t.get("title"),
                "why": why,
            }
        )
    return out


def cmd_mix(args: argparse.Namespace) -> int:
    if args.save and not args.prompt:
        return fail("--save goes with --prompt")
    if args.prompt:
        return _prompt_mix(args)
    from recommender.for_you.daily import daily_mixes, refresh_count, time_of_day_mix
    from recommender.radio.load import load_library

    today = dt.date.today()
    with open_store(args) as store:
        refresh = refresh_count(store, today, args.refresh)
        library = load_library(store)
        if args.time_of_day:
            one = time_of_day_mix(store, library=library, dial=args.dial, refresh=refresh, n_tracks=args.n)
            mixes = [one] if one is not None else []
        else:
            mixes = daily_mixes(
                store, library=library, day=today, dial=args.dial, refresh=refresh, n_tracks=args.n
            )
        shown = [
            {"name": m.name, "tags": m.tags, "artists": m.artists, "tracks": _rows(store, m)} for m in mixes
        ]
    if args.json:
        print_json(shown)
        return 0
    if not shown:
        what = "at this time of day" if args.time_of_day else "yet"
        say(f"No mix {what}: daily mixes grow from what you finish (play music, or `encore import-history`).")
        return 0
    for mix in shown:
        say(mix["name"])
        for i, r in enumerate(mix["tracks"], 1):
            say(f"{i:4d}. {r['artist'] or '?'} - {r['title'] or r['path']}   ({r['why']})")
        say()
    return 0


def _prompt_mix(args: argparse.Namespace) -> int:
    from player.text import decoded
    from recommender.prompt.grammar import PromptError
    from recommender.prompt.station import prompt_station
    from recommender.radio.settings import RadioSettings

    text = decoded(args.prompt)
    with open_store(args) as store:
        try:
            made = prompt_station(store, text, n=args.n, settings=RadioSettings(dial=args.dial))
        except PromptError as exc:
            from recommender.cli.output import prompt_failed

            return prompt_failed(exc)
        items = made.items(args.n)
        from recommender.for_you.daily import DailyMix

        mix = DailyMix(text, [], [], [t for t, _ in items], [w for _, w in items])
        rows = _rows(store, mix)
        if args.save:
            from player.store.playlists import add_tracks, create_playlist

            try:
                pid = create_playlist(store, args.save)
            except ValueError as exc:
                return fail(str(exc))
            add_tracks(store, pid, mix.track_ids)
    if args.json:
        print_json({"prompt": text, "tracks": rows})
        return 0
    say(f"Mix: {text}" + (f" (saved as the playlist {args.save!r})" if args.save else ""))
    for i, r in enumerate(rows, 1):
        say(f"{i:4d}. {r['artist'] or '?'} - {r['title'] or r['path']}   ({r['why']})")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from recommender.cli.output import export_wishlist
    from recommender.factors.bundle_file import load_bundle
    from recommender.for_you.lists import for_you

    try:
        bundle = load_bundle()
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    with open_store(args) as store:
        result = for_you(store, bundle=bundle, n=args.n)
    artists = [{"artist": a.name, "why": a.reason} for a in result.artists[: args.n]]
    if args.export:
        return export_wishlist(args.export, artists)
    if args.json:
        print_json(artists)
        return 0
    if not artists:
        say("Nothing to discover yet: play some music (or import your history) first.")
        return 0
    for i, a in enumerate(artists, 1):
        say(f"{i:3d}. {a['artist']}   ({a['why']})")
    return 0
