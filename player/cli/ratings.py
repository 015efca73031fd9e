"""CLI subcommands for love and ban: ``love``, ``unlove``, ``ban``, ``unban`` (a track or ``--artist``),
``bans`` and ``loves`` (the lists)."""

from __future__ import annotations

import argparse
import sys

from player.cli.common import fail, open_store, print_json, resolve_track, say, text_arg


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    helps = {
        "love": "love a track or an artist: it weighs more than a completion in your taste",
        "unlove": "forget a love",
        "ban": "ban a track or an artist: the radio, mixes and smart playlists never play it",
        "unban": "undo a ban",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, parents=[common], help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument(
            "track", nargs="?", metavar="TRACK", help="a path, a track id or an 'artist - title' query"
        )
        p.add_argument(
            "--artist", type=text_arg, metavar="NAME", help="rate this artist instead of one track"
        )
        p.set_defaults(func=cmd_rate, action=name)
    for name, text in (("bans", "the banned tracks and artists"), ("loves", "the loved tracks and artists")):
        p = sub.add_parser(
            name, parents=[common], help=f"list {text}", description=f"List {text}, newest first."
        )
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=cmd_list, which=name)


def _label(track: dict) -> str:
    who = track.get("artist") or track.get("album_artist") or "?"
    return f"{who} - {track.get('title') or track.get('path')}"


def cmd_rate(args: argparse.Namespace) -> int:
    from player.store.ratings import (
        BAN,
        LOVE,
        artist_rating,
        artist_track_count,
        rate_artist,
        rate_track,
        resolve_artist,
        track_rating,
        unrate_artist,
        unrate_track,
    )

    action = args.action
    if bool(args.track) == bool(args.artist):
        return fail(f"{action}: give either a TRACK or --artist NAME")
    rating = {"love": LOVE, "ban": BAN}.get(action)
    with open_store(args) as store:
        if args.artist is not None:
            name = " ".join(args.artist.split())
            if not name:
                return fail(f"{action}: --artist needs a name")
            name = resolve_artist(store, name)
            known = artist_track_count(store, name)
            if rating is not None:
                rate_artist(store, name, rating)
                done = "Loved" if rating == LOVE else "Banned"
                say(f"{done} the artist {name} ({known} tracks in your library)")
                if not known:
                    say(f"encore: no track in your library is by {name!r} yet", file=sys.stderr)
                return 0
            wanted = LOVE if action == "unlove" else BAN
            if artist_rating(store, name) != wanted:
                return fail(f"{name!r} is not {'loved' if wanted == LOVE else 'banned'}", code=1)
            unrate_artist(store, name)
            say(f"{'Unloved' if wanted == LOVE else 'Unbanned'} the artist {name}")
            return 0
        track = resolve_track(store, args.track)
        if track is None:
            return fail(f"no track matches {args.track!r}")
        if rating is not None:
            rate_track(store, int(track["id"]), rating)
            say(f"{'Loved' if rating == LOVE else 'Banned'}: {_label(track)}")
            return 0
        wanted = LOVE if action == "unlove" else BAN
        if track_rating(store, int(track["id"])) != wanted:
            return fail(f"{_label(track)} is not {'loved' if wanted == LOVE else 'banned'} itself", code=1)
        unrate_track(store, int(track["id"]))
        say(f"{'Unloved' if wanted == LOVE else 'Unbanned'}: {_label(track)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from player.store.ratings import BAN, LOVE, list_ratings

    with open_store(args) as store:
        rows = list_ratings(store, BAN if args.which == "bans" else LOVE)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        say(f"No {args.which}.")
        return 0
    for r in rows:
        if r["kind"] == "artist":
            say(f"artist  {r['artist']}")
        else:
            say(f"track   {r['artist'] or '?'} - {r['title'] or r['path']}")
    return 0
