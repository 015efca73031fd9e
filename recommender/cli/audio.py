"""CLI subcommands of the audio area: ``analyze`` (the library's audio analysis) and ``sounds-like``.

Nothing heavy is imported at module level: torch and friends load only when a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys

from player.cli.common import bounded_int, fail, no_track_message, open_store, print_json, resolve_track, say


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    p = sub.add_parser(
        "analyze",
        parents=[common],
        help="analyse the audio of every track that lacks a current analysis (resumable)",
        description="Run the MSD_musicnn CNN over the library: embeddings, 50 tags, tempo, loudness, "
        "brightness, energy. Recently added/played tracks go first; Ctrl-C is safe, a rerun resumes.",
    )
    p.add_argument(
        "--device", choices=["cpu", "cuda"], default="cpu", help="where the CNN runs (default cpu)"
    )
    p.add_argument(
        "--engine",
        choices=["auto", "onnx", "torch"],
        default="auto",
        help="what runs the CNN (default auto: ONNX Runtime on the CPU, PyTorch with --device cuda)",
    )
    p.add_argument(
        "--workers",
        type=bounded_int(0, 64),
        metavar="N",
        help="worker processes (default: one per core, each decoding and running the CNN; with "
        "--engine torch: cores - 1 decoding for the CNN here; 0 = none)",
    )
    p.add_argument(
        "--windows",
        type=bounded_int(1, 100),
        metavar="N",
        help="3-s windows per track (default 6; more = closer to a full-track analysis, slower)",
    )
    p.add_argument(
        "--limit", type=bounded_int(1, 10_000_000), metavar="N", help="analyse at most N tracks this run"
    )
    p.add_argument("--retry-errors", action="store_true", help="retry tracks whose analysis failed before")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser(
        "sounds-like",
        parents=[common],
        help="list the library tracks whose audio is closest to a track or file",
        description="PATH or QUERY ('artist - title', words, or a track id). A file outside the library, "
        "or a track not analysed yet, is analysed on the spot.",
    )
    p.add_argument("target", metavar="PATH|QUERY")
    p.add_argument("--n", type=bounded_int(1, 1000), default=10, help="how many tracks (default 10)")
    p.add_argument(
        "--json", action="store_true", help="print a JSON list of {path, artist, title, score, ...}"
    )
    p.set_defaults(func=cmd_sounds_like)


def cmd_analyze(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from player.store.analysis import analysis_counts
    from recommender.audio.analyze import AnalysisSettings, analyze_library

    settings = AnalysisSettings(engine=args.engine)
    if args.workers is not None:
        if args.workers < 0:
            return fail("--workers must be >= 0")
        settings = replace(settings, workers=args.workers)
    if args.windows is not None:
        if args.windows < 1:
            return fail("--windows must be >= 1")
        settings = replace(settings, windows=args.windows)
    with open_store(args) as store:
        try:
            summary = analyze_library(
                store,
                device=args.device,
                settings=settings,
                progress=not args.quiet,
                retry_errors=args.retry_errors,
                limit=args.limit,
            )
        except RuntimeError as exc:
            return fail(str(exc))
        counts = analysis_counts(store)
        if summary.analyzed:
            from recommender.similar.prewarm import prewarm

            prewarm(store)  # the next radio / similar start reads the result instead of computing it
    if summary.pending_before == 0:
        say(f"nothing to analyse: {counts['analyzed']} tracks analysed, {counts['failed']} failed")
        return 0
    say(
        f"analysed {summary.analyzed} tracks, {summary.failed} failed, in {summary.seconds:.1f} s "
        f"({summary.tracks_per_second:.2f} tracks/s, {summary.engine} engine); library: {counts['analyzed']} analysed, "
        f"{counts['failed']} failed, {counts['pending']} pending"
    )
    if summary.failed:
        say(
            "failed tracks are listed in the analysis_errors table; retry with --retry-errors",
            file=sys.stderr,
        )
    return 0


def cmd_sounds_like(args: argparse.Namespace) -> int:
    from player.store.tracks import get_track
    from recommender.audio.analyze import analyze_file, analyze_track
    from recommender.audio.decode import DecodeError
    from recommender.audio.index import AudioIndex

    if args.n < 1:
        return fail("--n must be >= 1")
    with open_store(args) as store:
        index = AudioIndex.from_store(store)
        track = resolve_track(store, args.target)
        try:
            if track is not None:
                if track["id"] not in index:
                    analyze_track(store, track["id"])
                    index.reload()
                query: int | object = int(track["id"])
            elif os.path.isfile(args.target):
                query = analyze_file(os.path.abspath(args.target)).embedding
            else:
                return fail(no_track_message(store, args.target))
        except DecodeError as exc:
            return fail(f"cannot analyse {args.target}: {exc}")
        if len(index) == 0:
            return fail("no analysed tracks yet: run `encore analyze` first")
        from player.store.ratings import banned_track_ids

        results = []  # a banned track or artist is in no list (issue 21)
        for track_id, score in index.nearest(query, args.n, exclude=banned_track_ids(store)):
            t = get_track(store, track_id) or {}
            results.append(
                {
                    "track_id": track_id,
                    "path": t.get("path"),
                    "artist": t.get("artist"),
                    "title": t.get("title"),
                    "album": t.get("album"),
                    "score": round(score, 4),
                }
            )
    if args.json:
        print_json(results)
        return 0
    if track is not None:
        say(f"sounds like {track.get('artist') or '?'} - {track.get('title') or track['path']}:")
    for r in results:
        name = f"{r['artist'] or '?'} - {r['title'] or os.path.basename(r['path'] or '')}"
        say(f"{r['score']:6.3f}  {name}  ({r['path']})")
    return 0
