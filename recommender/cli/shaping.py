"""CLI subcommands that shape what plays by sound: ``mood`` (search by sound), ``path`` (a smooth path
from one song to another) and ``evaluate-path`` (its smoothness against interpolation and shuffle).

Nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse

from player.cli.common import (
    bounded_int,
    fail,
    no_track_message,
    open_store,
    print_json,
    resolve_track,
    say,
    say_which_track,
    text_arg,
)

#: Longest path ``encore path`` plans: each step searches the whole library (a 500-track path took
#: over a minute at 100k tracks), and 100 tracks are already six hours of music.
MAX_PATH_TRACKS = 100


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    mood = sub.add_parser(
        "mood",
        parents=[common],
        help="search by sound: 'calm piano', 'heavy guitar', 'female vocal', 'fast electronic'",
        description="Rank the library's analysed tracks by how their audio matches a description, "
        "mapped onto the 50 analysis tags (plus tempo, loudness, energy) through a small synonym table.",
    )
    mood.add_argument("query", nargs="?", type=text_arg, metavar="QUERY", help="words describing a sound")
    mood.add_argument("--n", type=bounded_int(1, 10_000), default=20, help="how many tracks (default 20)")
    mood.add_argument("--tags", action="store_true", help="list the tags and synonyms a query can use")
    mood.add_argument("--json", action="store_true", help="a JSON list of {path, artist, title, score, why}")
    mood.set_defaults(func=cmd_mood)

    path = sub.add_parser(
        "path",
        parents=[common],
        help="a smooth path of library tracks from song A to song B",
        description="N tracks (A first, B last) that move step by step through audio-embedding space "
        "from A to B, with no artist repeated within the radio's spacing, each with its reason.",
    )
    path.add_argument("a", metavar="A", help="start track: path, id or 'artist - title' query")
    path.add_argument("b", metavar="B", help="destination track")
    path.add_argument(
        "--n",
        type=bounded_int(2, MAX_PATH_TRACKS),
        default=None,
        help="tracks in the path, A and B included (default: as many as the distance from A to B asks, "
        f"3 to 12; at most {MAX_PATH_TRACKS})",
    )
    path.add_argument("--json", action="store_true")
    path.set_defaults(func=cmd_path)

    ev = sub.add_parser(
        "evaluate-path",
        parents=[common],
        help="smoothness of song paths against interpolation and shuffle baselines",
        description="Over random pairs of analysed music tracks, the mean and the maximum step distance "
        "(cosine, in the radio's audio space) of Encore's path, the nearest-to-the-line interpolation "
        "baseline and shuffle, and artist-spacing breaks per path.",
    )
    ev.add_argument(
        "--pairs", type=bounded_int(1, 10_000), default=50, help="random (A, B) pairs (default 50)"
    )
    ev.add_argument("--n", type=bounded_int(2, 500), default=12, help="tracks per path (default 12)")
    ev.add_argument(
        "--seed", type=bounded_int(0, 2**32 - 1), default=0, help="random seed of the pairs (default 0)"
    )
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_evaluate_path)


def _info(track: dict) -> dict:
    return {
        "path": track.get("path"),
        "artist": track.get("artist") or track.get("album_artist"),
        "title": track.get("title"),
    }


def cmd_mood(args: argparse.Namespace) -> int:
    from player.store.tracks import get_track
    from recommender.shaping.mood import PHRASES, SYNONYMS, MoodError, parse_mood, rank_by_mood

    if args.tags:
        from player.store.smart import tag_vocabulary

        say("Tags: " + ", ".join(tag_vocabulary()))
        say("Descriptors: tempo, loudness, energy")
        say("Synonyms: " + ", ".join(sorted([*SYNONYMS, *PHRASES])))
        return 0
    if not args.query:
        return fail("mood: give a QUERY such as 'calm piano' (or --tags to list the vocabulary)")
    if args.n < 1:
        return fail("--n must be at least 1")
    try:
        query = parse_mood(args.query)
    except MoodError as exc:
        return fail(str(exc))
    with open_store(args) as store:
        hits = rank_by_mood(store, query, args.n)
        if not hits:
            return fail("no analysed tracks yet: run `encore analyze` first", code=1)
        rows = [
            {**_info(get_track(store, h.track_id) or {}), "score": round(h.score, 3), "why": h.why}
            for h in hits
        ]
    if args.json:
        print_json(rows)
        return 0
    say(f"Sounds like {args.query!r}: {query.describe()}")
    if query.unknown:
        hints = query.suggestions()
        words = [w + (f" (did you mean {hints[w]!r}?)" if w in hints else "") for w in query.unknown]
        say(f"  (not in the vocabulary, ignored: {', '.join(words)})")
    for i, r in enumerate(rows, 1):
        say(f"{i:3d}. {r['artist'] or '?'} - {r['title'] or r['path']}   ({r['why']})")
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    from player.store.analysis import get_analysis
    from player.store.tracks import get_track
    from recommender.shaping.path import song_path

    if args.n is not None and args.n < 2:
        return fail("--n must be at least 2 (A and B)")
    with open_store(args) as store:
        ends = []
        for text in (args.a, args.b):
            track = resolve_track(store, text)
            if track is None:
                return fail(no_track_message(store, text))
            say_which_track(store, text, track)
            ends.append(track)
        if ends[0]["id"] == ends[1]["id"]:
            # Two different words can find one song (a walk's "a" and "b"): say which, so the next try works.
            found = _info(ends[0])
            song = f"{found['artist'] or '?'} - {found['title'] or found['path']}"
            return fail(
                f"{args.a!r} and {args.b!r} both find the same song ({song}): name two different songs"
            )
        for end in ends:
            if get_analysis(store, int(end["id"])) is None:  # a path goes by sound
                found = _info(end)
                return fail(
                    f"{found['artist'] or '?'} - {found['title'] or found['path']} has no audio analysis yet "
                    "(run `encore analyze`)"
                )
        try:
            steps = song_path(store, int(ends[0]["id"]), int(ends[1]["id"]), args.n)
        except KeyError as exc:
            return fail(str(exc.args[0]) if exc.args else str(exc))
        except ValueError as exc:
            return fail(str(exc))
        rows = [
            {**_info(get_track(store, s.track_id) or {}), "step": round(s.distance, 4), "why": s.why}
            for s in steps
        ]
    if args.json:
        print_json(rows)
        return 0
    label = [f"{_info(e)['artist'] or '?'} - {e.get('title') or e['path']}" for e in ends]
    say(f"Path from {label[0]} to {label[1]}")
    for i, r in enumerate(rows, 1):
        say(f"{i:3d}. {r['artist'] or '?'} - {r['title'] or r['path']}   ({r['why']})")
    d = [r["step"] for r in rows[1:]]
    say(f"mean step {sum(d) / len(d):.3f}, max step {max(d):.3f}")
    return 0


def cmd_evaluate_path(args: argparse.Namespace) -> int:
    from recommender.shaping.path import PathSpace, evaluate_paths

    if args.pairs < 1 or args.n < 3:
        return fail("--pairs must be at least 1 and --n at least 3")
    with open_store(args) as store:
        space = PathSpace.from_store(store)
        try:
            result = evaluate_paths(space, pairs=args.pairs, n=args.n, seed=args.seed)
        except ValueError as exc:
            return fail(str(exc))
    if args.json:
        print_json(result)
        return 0
    say(
        f"{result['pairs']} random pairs of music tracks, {result['n']} tracks per path, library "
        f"{result['tracks']} analysed tracks, artist spacing {result['artist_spacing']}, "
        f"mean A-B distance {result['mean_a_to_b_distance']:.3f}"
    )
    say(f"{'policy':<15}{'mean step':>10}{'max step':>10}{'spacing breaks':>16}")
    for name, m in result["policies"].items():
        say(f"{name:<15}{m['mean_step']:>10.3f}{m['max_step']:>10.3f}{m['spacing_breaks_per_path']:>16.2f}")
    return 0
