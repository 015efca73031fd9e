"""CLI subcommands of the recommender's user-facing features: ``radio``, ``similar``, ``evaluate-radio``.

Nothing heavy is imported at module level (numpy, the bundle and torch load inside the commands).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from player.cli.common import bounded_int, fail, no_track_message, open_store, print_json, resolve_track, say
from player.text import count_text

DEFAULT_LASTFM = Path(__file__).resolve().parents[2] / "shared" / "data" / "lastfm-2k"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    radio = sub.add_parser(
        "radio",
        parents=[common],
        help="print a radio station from a seed song",
        description="Plan a lean-back radio station from a seed track (a path, a track id or an "
        "'artist - title' query), or from a prompt in the station language, and print its first tracks "
        "with the reason for each. Prompt terms: like:(A - Song) artist:(Name) tag:(trip hop) "
        "sounds:(calm piano), each with an optional weight :2; -artist:(...) -tag:(...) to exclude; "
        "year:1990-1999 tempo:<110 and any smart-playlist field or analysis tag as a filter; the words "
        "new, familiar, loved, unplayed; from:(A) via:(C) to:(B) for a path.",
    )
    radio.add_argument(
        "seed", metavar="SEED", nargs="?", help="seed track: path, id or 'artist - title' query"
    )
    radio.add_argument("--prompt", metavar="TEXT", help="a station in the station language (instead of SEED)")
    radio.add_argument("--explain", action="store_true", help="with --prompt: how each term was understood")
    radio.add_argument(
        "--dial",
        type=bounded_int(-2, 2),
        default=None,
        metavar="-2..2",
        help="familiar (-2) to new (+2) (default 0, or the saved station's)",
    )
    radio.add_argument("--save-station", metavar="NAME", help="with --prompt: save the station as NAME")
    radio.add_argument("--station", metavar="NAME", help="play the saved station NAME")
    radio.add_argument(
        "--n", type=bounded_int(1, 1000), default=30, help="how many tracks to print (default 30)"
    )
    radio.add_argument("--json", action="store_true", help="a JSON list of {path, artist, title, why}")
    radio.add_argument(
        "--random-seed",
        type=bounded_int(0, 2**63 - 1),
        default=None,
        help="fix the exploration (reproducible)",
    )
    radio.add_argument("--no-analyze", action="store_true", help="do not analyse an unanalysed seed now")
    radio.set_defaults(func=cmd_radio)

    similar = sub.add_parser(
        "similar",
        parents=[common],
        help="fans also like: similar artists (in your library or to discover) and sound-alikes",
        description="Artists nearest to ARTIST in the pretrained factor space, each in your library "
        "(with its tracks) or a discovery (with a link), plus tracks that sound like the artist's.",
    )
    similar.add_argument("artist", metavar="ARTIST", help="an artist name (with --track: a track)")
    similar.add_argument(
        "--track",
        action="store_true",
        help="ARTIST is a track (path, id or query): its artist's neighbours "
        "and tracks that sound like this one",
    )
    similar.add_argument(
        "--n", type=bounded_int(1, 500), default=20, help="how many similar artists (default 20)"
    )
    similar.add_argument(
        "--tracks", type=bounded_int(0, 500), default=10, help="how many 'sounds like' tracks (default 10)"
    )
    similar.add_argument("--json", action="store_true", help="machine-readable output")
    similar.add_argument(
        "--export",
        metavar="FILE",
        help="write the artists to discover to FILE (a CSV wishlist; .txt/.html: links)",
    )
    similar.set_defaults(func=cmd_similar)

    ev = sub.add_parser(
        "evaluate-radio",
        parents=[common],
        help="simulated listeners: the radio and its baselines on users no model trained on",
        description="Simulate radio sessions for the users of a Last.fm user_artists-format file: each "
        "owns a library (their artists plus popularity-drawn distractors), 80%% of their artists are "
        "the app's log, the rest liked but never played; completions fall with satiety. Compares "
        "Encore's radio with library shuffle, seed item-kNN, user item-kNN, WMF, EASE, seed x taste "
        "and log replay, with 95%% bootstrap intervals over listeners.",
    )
    from recommender.cli.evaluate_radio import add_arguments

    add_arguments(ev)
    ev.set_defaults(func=cmd_evaluate_radio)


# --- radio --------------------------------------------------------------------------------------------


def cmd_radio(args: argparse.Namespace) -> int:
    from player.store.tracks import count_tracks, get_track
    from recommender.radio.library import LibraryParts
    from recommender.radio.load import load_library
    from recommender.radio.station import Station

    if args.n < 1:
        return fail("--n must be at least 1")
    if args.station is not None:
        if args.seed is not None or args.prompt is not None:
            return fail("give a SEED, a --prompt or a --station, one of them")
        from player.store.stations import find_station

        with open_store(args) as store:
            saved = find_station(store, args.station)
        if saved is None:
            return fail(f"no saved station is called {args.station!r}")
        args.prompt = saved.prompt
        args.dial = saved.dial if args.dial is None else args.dial
    if args.save_station and args.prompt is None:
        return fail("--save-station goes with --prompt")
    if args.prompt is not None:
        if args.seed is not None:
            return fail("give a SEED or a --prompt, not both")
        return _radio_from_prompt(args)
    if args.seed is None:
        return fail("give a seed song (SEED) or a station (--prompt '...')")
    if args.explain or args.dial is not None:
        return fail("--explain and --dial go with --prompt or --station")
    with open_store(args) as store:
        seed = resolve_track(store, args.seed, scan_file=True)  # a file outside the library: added first
        if seed is None:
            return fail(no_track_message(store, args.seed))
        if not args.no_analyze:
            _analyse_seed_if_needed(store, int(seed["id"]))
        parts = LibraryParts()
        library = load_library(store, parts=parts, keep=[int(seed["id"])])
        station = Station(library, int(seed["id"]), rng=args.random_seed)
        rows = []
        # Never more than the library holds: a station asked for 1000 tracks of a 40-track library would
        # only repeat itself (or wait on rests) past its end.
        for _ in range(min(args.n, count_tracks(store))):
            item = station.next_item()
            track = get_track(store, item.track_id) or {}
            rows.append(
                {
                    "path": track.get("path"),
                    "artist": track.get("artist") or track.get("album_artist"),
                    "title": track.get("title"),
                    "why": item.why,
                }
            )
    if args.json:
        print_json(rows)
        return 0
    say(f"Radio from {seed.get('artist') or '?'} - {seed.get('title') or seed['path']}")
    for i, r in enumerate(rows, 1):
        say(f"{i:3d}. {r['artist'] or '?'} - {r['title'] or r['path']}   ({r['why']})")
    return 0


def _radio_from_prompt(args: argparse.Namespace) -> int:
    """``radio --prompt TEXT``: the station the prompt describes; a prompt that cannot be understood is
    printed with a caret under the faulty term."""
    from player.store.tracks import get_track
    from player.text import decoded
    from recommender.prompt.grammar import PromptError
    from recommender.prompt.station import prompt_station

    text = decoded(args.prompt)
    from recommender.radio.settings import RadioSettings

    with open_store(args) as store:
        try:
            made = prompt_station(
                store, text, rng=args.random_seed, n=args.n, settings=RadioSettings(dial=args.dial or 0)
            )
        except PromptError as exc:
            from recommender.cli.output import prompt_failed

            return prompt_failed(exc)
        if args.save_station:
            from player.store.stations import save_station

            try:
                save_station(store, args.save_station, text, args.dial or 0)
            except ValueError as exc:
                return fail(str(exc))
        rows = []
        for track_id, why in made.items(args.n):
            track = get_track(store, track_id) or {}
            rows.append(
                {
                    "path": track.get("path"),
                    "artist": track.get("artist") or track.get("album_artist"),
                    "title": track.get("title"),
                    "why": why,
                }
            )
    if args.json:
        print_json(
            {"prompt": text, "explain": made.resolved.explain, "tracks": rows} if args.explain else rows
        )
        return 0
    say(f"Radio: {text}" + (f" (saved as the station {args.save_station!r})" if args.save_station else ""))
    if args.explain:
        for line in made.resolved.explain:
            say(f"  {line}")
    for i, r in enumerate(rows, 1):
        say(f"{i:3d}. {r['artist'] or '?'} - {r['title'] or r['path']}   ({r['why']})")
    return 0


def _analyse_seed_if_needed(store, track_id: int) -> None:
    """A seed that ``analyze`` has not reached yet is analysed now (≈0.3 s plus loading the model),
    so the station starts from its sound; a failure only means the station works without it."""
    from player.store.analysis import analysis_counts, get_analysis

    if get_analysis(store, track_id) is not None or analysis_counts(store).get("analyzed", 0) == 0:
        return
    try:
        from recommender.audio.analyze import analyze_track

        analyze_track(store, track_id)
    except Exception as exc:  # noqa: BLE001 - any decode/model failure: go on without audio
        say(f"encore: could not analyse the seed now ({exc}); using its metadata", file=sys.stderr)


# --- similar ------------------------------------------------------------------------------------------


def cmd_similar(args: argparse.Namespace) -> int:
    from player.store.tracks import get_track
    from recommender.similar.index import SimilarIndex
    from recommender.taste.bans import Bans

    with open_store(args) as store:
        index = SimilarIndex.from_store(store)
        bans = Bans.from_store(store)
        if index.bundle is None:  # none installed, or refused: the sound of the library alone
            say(
                "encore: warning: no usable factor bundle (build one with `encore pretrain`, see "
                "resources/factors); showing tracks that sound alike only",
                file=sys.stderr,
            )
        if args.track:
            track = resolve_track(store, args.artist)
            if track is None:
                return fail(no_track_message(store, args.artist))
            result = index.track(
                int(track["id"]), track.get("artist") or track.get("album_artist"), args.n, args.tracks, bans
            )
        else:
            result = index.artist(args.artist, args.n, args.tracks, bans)
        if result.known == "none" and not ((args.track or index.bundle is None) and result.sounds_like):
            return fail(
                f"{args.artist!r} is neither in the factor bundle nor an analysed artist of your library"
            )

        def track_info(track_id: int) -> dict:
            t = get_track(store, track_id) or {}
            return {"path": t.get("path"), "artist": t.get("artist"), "title": t.get("title")}

        out = {
            "artist": result.artist,
            "known": result.known,
            "artists": [
                {
                    "name": a.name,
                    "score": round(a.score, 4),
                    "in_library": a.in_library,
                    "predicted_from_audio": a.predicted,
                    "tracks": [track_info(t) for t in a.track_ids],
                    "link": a.link,
                }
                for a in result.artists
            ],
            "sounds_like": [
                {**track_info(s.track_id), "score": round(s.score, 4)} for s in result.sounds_like
            ],
        }
    if args.export:
        from recommender.cli.output import export_wishlist

        fans = [
            {"artist": a["name"], "why": f"fans of {out['artist']} also like it"}
            for a in out["artists"]
            if not a["in_library"]
        ]
        return export_wishlist(args.export, fans)
    if args.json:
        print_json(out)
        return 0
    how = {"bundle": "", "audio": " (placed by its sound: unknown to the listening data)"}.get(
        result.known, ""
    )
    say(f"Fans of {out['artist']} also like{how}:")
    for a in out["artists"]:
        if a["in_library"]:
            say(f"  {a['score']:.2f}  {a['name']}  [in your library: {count_text(len(a['tracks']))}]")
        else:
            say(f"  {a['score']:.2f}  {a['name']}  [discover: {a['link']}]")
    if out["sounds_like"]:
        say("Sounds like:")
        for s in out["sounds_like"]:
            say(f"  {s['score']:.2f}  {s['artist'] or '?'} - {s['title'] or s['path']}")
    return 0


# --- evaluate-radio -----------------------------------------------------------------------------------


def cmd_evaluate_radio(args: argparse.Namespace) -> int:
    from recommender.cli.evaluate_radio import run

    return run(args)
