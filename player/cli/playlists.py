"""CLI subcommands for playlists: ``playlist create|list|show|add|remove|rename|delete|import|export``
and smart playlists: ``smart create|edit|preview|show|fields``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable

from player.cli.common import (
    bounded_int,
    fail,
    open_store,
    playlist_or_fail,
    print_json,
    resolve_track,
    say,
    text_arg,
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    pl = sub.add_parser(
        "playlist",
        parents=[common],
        help="playlists: create, list, show, add, remove, rename, delete, import, export",
        description="Manage playlists. Import and export read and write M3U8/M3U and XSPF files.",
    )
    psub = pl.add_subparsers(dest="playlist_command", metavar="ACTION", required=True)
    p = psub.add_parser("create", parents=[common], help="a new, empty playlist")
    p.add_argument("name", type=text_arg, metavar="NAME")
    p.set_defaults(func=cmd_create)
    p = psub.add_parser("list", parents=[common], help="every playlist with its number of tracks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = psub.add_parser("show", parents=[common], help="a playlist's tracks, in order")
    p.add_argument("name", type=text_arg, metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)
    p = psub.add_parser("add", parents=[common], help="append tracks (paths, ids or queries)")
    p.add_argument("name", type=text_arg, metavar="NAME")
    p.add_argument("tracks", nargs="+", metavar="TRACK")
    p.set_defaults(func=cmd_add)
    p = psub.add_parser("remove", parents=[common], help="remove entries by position (1 = first)")
    p.add_argument("name", type=text_arg, metavar="NAME")
    p.add_argument("positions", nargs="+", type=bounded_int(1, 1_000_000), metavar="POSITION")
    p.set_defaults(func=cmd_remove)
    p = psub.add_parser("rename", parents=[common], help="rename a playlist")
    p.add_argument("name", type=text_arg, metavar="NAME")
    p.add_argument("new_name", type=text_arg, metavar="NEW_NAME")
    p.set_defaults(func=cmd_rename)
    p = psub.add_parser("delete", parents=[common], help="delete a playlist (the tracks stay in the library)")
    p.add_argument("name", type=text_arg, metavar="NAME")
    p.set_defaults(func=cmd_delete)
    p = psub.add_parser(
        "import", parents=[common], help="import an M3U8/M3U or XSPF file; lists missing entries"
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--name", type=text_arg, help="name of the new playlist (default: the file's name)")
    p.set_defaults(func=cmd_import)
    p = psub.add_parser("export", parents=[common], help="write a playlist to FILE (.m3u8 or .xspf)")
    p.add_argument("name", type=text_arg, metavar="NAME")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--absolute", action="store_true", help="absolute paths (default: relative to FILE)")
    p.set_defaults(func=cmd_export)

    sm = sub.add_parser(
        "smart",
        parents=[common],
        help="smart playlists: rules over tags, play statistics and audio analysis",
        description="Smart playlists are rules, e.g. --rule 'ambient > 0.3' --rule 'tempo < 100' "
        "--sort last_played --limit 25 (the 25 least recently played calm, ambient tracks). "
        "`encore smart fields` lists what a rule can use.",
    )
    ssub = sm.add_subparsers(dest="smart_command", metavar="ACTION", required=True)
    for action, text in (
        ("create", "a new smart playlist"),
        ("edit", "replace a smart playlist's rules"),
        ("preview", "the tracks rules give, without saving"),
    ):
        p = ssub.add_parser(action, parents=[common], help=text)
        if action != "preview":
            p.add_argument("name", type=text_arg, metavar="NAME")
        p.add_argument(
            "--rule",
            action="append",
            type=text_arg,
            default=[],
            metavar="'FIELD OP VALUE'",
            help="a condition",
        )
        p.add_argument("--any", action="store_true", help="match any condition (OR; default: all, AND)")
        p.add_argument("--limit", type=bounded_int(1, 100_000), help="at most this many tracks")
        p.add_argument(
            "--sort",
            type=text_arg,
            metavar="FIELD",
            help="sort by a field (or 'random'); ascending unless --desc",
        )
        p.add_argument("--desc", action="store_true", help="sort descending")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=cmd_smart, smart_action=action)
    p = ssub.add_parser("show", parents=[common], help="a smart playlist's rules and current tracks")
    p.add_argument("name", type=text_arg, metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)
    p = ssub.add_parser("fields", parents=[common], help="the fields, operators and tags a rule can use")
    p.set_defaults(func=cmd_fields)


def _label(track: dict) -> str:
    who = track.get("artist") or track.get("album_artist") or "?"
    return f"{who} - {track.get('title') or track.get('path')}"


def cmd_create(args: argparse.Namespace) -> int:
    from player.store.playlists import PlaylistError, create_playlist

    with open_store(args) as store:
        try:
            create_playlist(store, args.name)
        except PlaylistError as exc:
            return fail(str(exc))
    say(f"Created the playlist {' '.join(args.name.split())}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from player.store.playlists import list_playlists
    from player.store.smart import count_smart

    with open_store(args) as store:
        rows = list_playlists(store)
        for r in rows:
            if r["smart"] and r["problem"] is None:
                r["tracks"] = count_smart(store, r["rules"])
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        say("No playlists yet (encore playlist create NAME, or encore smart create NAME --rule ...).")
    for r in rows:
        if r["problem"]:
            say(f"{r['name']}  (smart, {r['problem']})")
        else:
            say(f"{r['name']}  ({r['tracks']} tracks{', smart' if r['smart'] else ''})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print a playlist; a static one is streamed from the database entry by entry (a playlist of a
    million entries held as dicts took 1.9 GB)."""
    from player.store.playlists import iter_playlist_tracks
    from player.store.smart import describe_rules, smart_tracks

    with open_store(args) as store:
        playlist = playlist_or_fail(store, args.name)
        if playlist["problem"]:
            return fail(f"{playlist['name']}: {playlist['problem']}", code=1)
        if playlist["smart"]:
            chosen = smart_tracks(store, playlist["rules"])
            tracks: Iterable[dict] = chosen
            count = len(chosen)
        else:
            tracks = iter_playlist_tracks(store, playlist["id"])
            count = int(
                store.conn.execute(
                    "SELECT COUNT(*) FROM playlist_entries e JOIN tracks t ON t.id = e.track_id"
                    " WHERE e.playlist_id = ?",
                    (playlist["id"],),
                ).fetchone()[0]
            )
        if args.json:
            _print_json_streamed(playlist, tracks)
            return 0
        say(f"{playlist['name']}: {count} tracks")
        if playlist["smart"]:
            say(f"  rules: {describe_rules(playlist['rules'])}")
        for i, t in enumerate(tracks, 1):
            say(f"{i:4d}. {_label(t)}")
    return 0


def _print_json_streamed(playlist: dict, tracks: Iterable[dict]) -> None:
    """What ``print_json`` prints for {name, rules, tracks}, written one track at a time."""

    def dumps(value: object, indent: str) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)

    out = sys.stdout
    out.write(
        f'{{\n  "name": {dumps(playlist["name"], "  ")},\n  "rules": {dumps(playlist["rules"], "  ")},\n'
    )
    out.write('  "tracks": [')
    first = True
    for t in tracks:
        item = {"path": t["path"], "artist": t["artist"], "title": t["title"]}
        out.write(("\n    " if first else ",\n    ") + dumps(item, "    "))
        first = False
    out.write("]\n}\n" if first else "\n  ]\n}\n")


def cmd_add(args: argparse.Namespace) -> int:
    from player.store.playlists import PlaylistError, add_tracks

    with open_store(args) as store:
        playlist = playlist_or_fail(store, args.name)
        ids = []
        for text in args.tracks:
            track = resolve_track(store, text)
            if track is None:
                return fail(f"no track matches {text!r}; nothing was added")
            ids.append(int(track["id"]))
        try:
            add_tracks(store, playlist["id"], ids)
        except PlaylistError as exc:
            return fail(str(exc))
    say(f"Added {len(ids)} track(s) to {playlist['name']}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from player.store.playlists import playlist_tracks, remove_entries

    with open_store(args) as store:
        playlist = playlist_or_fail(store, args.name, smart=False)
        entries = playlist_tracks(store, playlist["id"])
        bad = [p for p in args.positions if not 1 <= p <= len(entries)]
        if bad:
            return fail(f"{playlist['name']} has {len(entries)} entries; no position {bad[0]}")
        n = remove_entries(store, playlist["id"], [entries[p - 1]["entry_id"] for p in args.positions])
    say(f"Removed {n} entr{'y' if n == 1 else 'ies'} from {playlist['name']}")
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    from player.store.playlists import PlaylistError, rename_playlist

    with open_store(args) as store:
        playlist = playlist_or_fail(store, args.name)
        try:
            rename_playlist(store, playlist["id"], args.new_name)
        except PlaylistError as exc:
            return fail(str(exc))
    say(f"Renamed {playlist['name']} to {' '.join(args.new_name.split())}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from player.store.playlists import delete_playlist

    with open_store(args) as store:
        playlist = playlist_or_fail(store, args.name)
        delete_playlist(store, playlist["id"])
    say(f"Deleted the playlist {playlist['name']}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from player.playlist_files import NothingMatched, PlaylistFileError, import_playlist

    with open_store(args) as store:
        try:
            result = import_playlist(store, args.file, args.name)
        except NothingMatched as exc:
            code = fail(str(exc), 1)
            _list_missing(exc.missing)
            return code
        except PlaylistFileError as exc:
            return fail(str(exc))
    say(f"Imported {result.added} track(s) into the playlist {result.name}")
    if result.scanned:
        say(f"  {result.scanned} file(s) were not in the library and have been scanned in")
    if result.by_name:
        say(f"  {result.by_name} entr{'y' if result.by_name == 1 else 'ies'} found by artist and title")
    if result.missing:
        _list_missing(result.missing)
        return 1
    return 0


def _list_missing(missing: list[str]) -> None:
    say(f"  {len(missing)} entr{'y' if len(missing) == 1 else 'ies'} not found:")
    for location in missing:
        say(f"    {location}")


def cmd_export(args: argparse.Namespace) -> int:
    from player.playlist_files import PlaylistFileError, export_playlist
    from player.store.smart import SmartRuleError

    with open_store(args) as store:
        playlist = playlist_or_fail(store, args.name)
        try:
            n = export_playlist(store, playlist["id"], args.file, relative=not args.absolute)
        except (PlaylistFileError, SmartRuleError) as exc:
            return fail(str(exc))
    say(f"Wrote {n} entries of {playlist['name']} to {args.file}")
    return 0


def _rules_from(args: argparse.Namespace) -> dict:
    from player.store.smart import parse_condition, validate_rules

    rules: dict = {
        "match": "any" if args.any else "all",
        "conditions": [parse_condition(r) for r in args.rule],
    }
    if args.limit is not None:
        rules["limit"] = args.limit
    if args.sort:
        rules["sort"] = args.sort
        rules["descending"] = args.desc
    return validate_rules(rules)


def cmd_smart(args: argparse.Namespace) -> int:
    from player.store.playlists import PlaylistError, create_playlist, set_rules
    from player.store.smart import SmartRuleError, describe_rules, smart_tracks

    try:
        rules = _rules_from(args)
    except SmartRuleError as exc:
        return fail(str(exc))
    with open_store(args) as store:
        if args.smart_action == "create":
            try:
                create_playlist(store, args.name, rules)
            except PlaylistError as exc:
                return fail(str(exc))
        elif args.smart_action == "edit":
            playlist = playlist_or_fail(store, args.name, smart=True)
            set_rules(store, playlist["id"], rules)
        tracks = smart_tracks(store, rules)
    if args.json:
        print_json(
            {
                "rules": rules,
                "tracks": [{"path": t["path"], "artist": t["artist"], "title": t["title"]} for t in tracks],
            }
        )
        return 0
    title = "Preview" if args.smart_action == "preview" else " ".join(args.name.split())
    say(f"{title}: {describe_rules(rules)} -> {len(tracks)} tracks")
    for i, t in enumerate(tracks, 1):
        say(f"{i:4d}. {_label(t)}")
    return 0


def cmd_fields(args: argparse.Namespace) -> int:
    from player.store.smart import (
        DATE_FIELDS,
        DATE_OPS,
        NUMBER_FIELDS,
        NUMBER_OPS,
        TEXT_FIELDS,
        TEXT_OPS,
        tag_vocabulary,
    )

    out = sys.stdout
    out.write(f"tags: {', '.join(TEXT_FIELDS)}  ops: {', '.join(TEXT_OPS)}\n")
    out.write(f"numbers: {', '.join(NUMBER_FIELDS)}  ops: {' '.join(NUMBER_OPS)}\n")
    out.write(f"dates: {', '.join(DATE_FIELDS)}  ops: {', '.join(DATE_OPS)} N (days)\n")
    out.write(f"analysis tags (probability 0..1, number ops): {', '.join(tag_vocabulary())}\n")
    out.write("sort: any field, or random\n")
    return 0
