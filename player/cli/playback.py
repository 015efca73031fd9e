"""CLI subcommands of playback: ``play`` (plays and logs exactly like the app) and ``stats``.

With ListenBrainz on (``player.listenbrainz``), ``play`` runs the same submitter as the app while it plays
("playing now", listens as plays qualify) and at exit waits at most ``ListenBrainzSettings.exit_flush_s``
(3 s) for its listens to go out; what is left (offline, a backoff, a rate limit) stays queued in the
database for the app or the next ``encore play``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import threading
from typing import TYPE_CHECKING

from player.cli.common import bounded_float, bounded_int, say
from player.text import count_text

if TYPE_CHECKING:
    from player.listenbrainz.submitter import ListenBrainzSubmitter
    from player.session import PlaybackController
    from player.store import Store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the parser."""
    play = sub.add_parser(
        "play",
        parents=[common],
        help="play tracks from the command line (logged like the app)",
        description="Play library tracks (a path, a track id, or an 'artist - title' query / words) in "
        "order, logging each play exactly as the app does. Like playing from the app, this replaces the "
        "play queue. A file not yet in the library is scanned first. Ctrl-C stops (logged as stopped).",
    )
    play.add_argument("targets", nargs="+", metavar="PATH|QUERY", help="what to play; several are queued")
    play.add_argument("--no-audio", action="store_true", help="decode and log, but output no sound")
    play.add_argument(
        "--start", type=bounded_float(0.0, 1e6), default=0.0, metavar="SECONDS", help="start this far in"
    )
    play.add_argument(
        "--rate", type=bounded_float(0.25, 32.0), default=1.0, help="playback speed (1.0 = normal)"
    )
    play.add_argument(
        "--crossfade", type=bounded_float(0.0, 10.0), default=None, metavar="SECONDS", help="crossfade 0-10 s"
    )
    play.set_defaults(func=cmd_play)

    stats = sub.add_parser(
        "stats",
        parents=[common],
        help="summary of the listening log",
        description="Plays, listening time, skip rate, top tracks and artists from the listening log. "
        "Listening history imported from elsewhere is counted on a line of its own, never in these.",
    )
    stats.add_argument(
        "--limit", type=bounded_int(1, 1000), default=10, help="how many top tracks/artists (default 10)"
    )
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(func=cmd_stats)


def _label(track: dict) -> str:
    artist = track.get("artist") or "?"
    title = track.get("title") or os.path.basename(track["path"])
    return f"{artist} - {title}"


def cmd_play(args: argparse.Namespace) -> int:
    from player.cli.common import fail, no_track_message, open_store, resolve_track
    from player.playback.events import PlaybackError, StateChanged, TrackStarted
    from player.playback.settings import PlaybackSettings
    from player.session import PlaybackController

    store = open_store(args)
    tracks = []
    for target in args.targets:
        track = resolve_track(store, target, scan_file=True)
        if track is None:
            message = no_track_message(store, target)
            store.close()
            return fail(message)
        tracks.append(track)
    length = tracks[0].get("duration")
    if args.start and length and args.start >= length:
        store.close()
        return fail(f"--start {args.start:g} is past the end of {_label(tracks[0])} ({length:.0f} s long)")

    settings = PlaybackSettings.load(store)
    if args.no_audio:
        settings.audio_output = "adummy"
    if args.crossfade is not None:
        settings = dataclasses.replace(settings, crossfade_s=args.crossfade)
    # repeat "off": the command plays what it was asked once, whatever repeat mode the app saved.
    controller = PlaybackController(store, settings=settings, repeat="off")
    for play in controller.log.recovered:
        say(f"closed an interrupted play of track {play.track_id} ({play.outcome})", file=sys.stderr)
    done = threading.Event()
    failures: list[str] = []
    labels = {t["id"]: _label(t) for t in tracks}

    def on_event(event) -> None:
        if isinstance(event, TrackStarted):
            entry = controller.queue.get(event.item.key)
            say(f"▶ {labels.get(entry.track_id if entry else None, event.item.path)}", flush=True)
        elif isinstance(event, PlaybackError):
            failures.append(event.message)
            say(f"error: {controller.describe_error(event)}", file=sys.stderr, flush=True)
        elif isinstance(event, StateChanged) and event.state == "stopped":
            if controller.player.state == "stopped":  # not when the controller skipped a bad file
                done.set()

    def on_finished(play) -> None:
        where = f"play {play.play_id}" if play.saved else "not saved yet: kept in memory"
        say(
            f"  {play.outcome}: {play.seconds_listened:.1f} s listened of {play.duration or 0:.1f} s ({where})",
            flush=True,
        )

    controller.events.subscribe(on_event)

    def on_problem(message: str | None) -> None:
        if message:
            say(f"encore: {message}", file=sys.stderr, flush=True)
        else:
            say("encore: the plays kept in memory are saved now", file=sys.stderr, flush=True)

    controller.log.on_problem(on_problem)
    if controller.log.problem:
        on_problem(controller.log.problem)
    submitter = _listenbrainz(controller, store)
    controller.on_play_finished(on_finished)
    if args.rate != 1.0:
        controller.player.set_rate(args.rate)
    code = 0
    try:  # SIGTERM and SIGHUP stop it as Ctrl-C does (``main._stop_on_signals``): the play logged as stopped
        controller.play_tracks([t["id"] for t in tracks], source="library", position=args.start)
        warned = False
        while not done.wait(0.5):
            if not warned and controller.player.audio_reaches_output() is False:
                warned = True  # as the app's notice says it (libasound's own retries are kept quiet)
                say(f"encore: {controller.player.no_sound_message()}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        code = 130
    finally:
        controller.shutdown()  # closes the open play (stopped, or completed if nearly done)
        if submitter is not None:  # a bounded wait for the listens; the rest stays queued
            submitter.close(flush_s=submitter.settings.exit_flush_s)
        unsaved = controller.log.unsaved_count
        store.close()
    if unsaved:
        return fail(f"{unsaved} play(s) could not be saved: {controller.log.problem}", code=1)
    if failures and code == 0:
        n = len(failures)
        return fail(f"{n} track{'s' if n > 1 else ''} could not be played (see the error above)", code=1)
    return code


def _listenbrainz(controller: PlaybackController, store: Store) -> ListenBrainzSubmitter | None:
    """The ListenBrainz submitter hooked to ``controller`` and started, or None while it is off."""
    from player.listenbrainz.settings import ListenBrainzSettings
    from player.listenbrainz.submitter import ListenBrainzSubmitter

    settings = ListenBrainzSettings.load(store)
    if not settings.active:
        return None
    submitter = ListenBrainzSubmitter(store.path, settings)
    submitter.on_problem(lambda message: message and say(f"encore: {message}", file=sys.stderr, flush=True))
    submitter.attach(controller)
    submitter.start()
    return submitter


def cmd_stats(args: argparse.Namespace) -> int:
    from player.cli.common import open_store, print_json
    from player.history.formats import SOURCE_NAMES
    from player.store.listens import listens_by_source
    from player.store.plays import outcome_counts, top_artists, top_tracks

    with open_store(args) as store:
        counts = outcome_counts(store)
        judged = counts["completed"] + counts["skipped"] + counts["stopped"]
        summary = {
            "plays": counts["total"],
            "outcomes": {k: counts[k] for k in ("completed", "skipped", "stopped", "error", "open")},
            "hours_listened": round(counts["seconds_listened"] / 3600.0, 3),
            "skip_rate": round(counts["skipped"] / judged, 4) if judged else None,
            "top_tracks": top_tracks(store, args.limit),
            "top_artists": top_artists(store, args.limit),
            # Apart from Encore's own plays above: listens imported from elsewhere, by source.
            "imported_listens": listens_by_source(store),
        }
    if args.json:
        print_json(summary)
        return 0
    o = summary["outcomes"]
    rate = "n/a" if summary["skip_rate"] is None else f"{100 * summary['skip_rate']:.1f} %"
    say(
        f"{count_text(summary['plays'], 'play')}, {summary['hours_listened']:.2f} h listened, skip rate {rate}"
    )
    say(
        f"  completed {o['completed']}, skipped {o['skipped']}, stopped {o['stopped']}, error {o['error']}"
        + (f", open {o['open']}" if o["open"] else "")
    )
    if summary["top_tracks"]:
        say("Top tracks:")
        for t in summary["top_tracks"]:
            say(
                f"  {t['completions'] or 0:4d} done  {t['play_count']:4d} plays  {t['skips'] or 0:3d} skipped  "
                f"{t['artist'] or '?'} - {t['title'] or '?'}"
            )
    if summary["top_artists"]:
        say("Top artists:")
        for a in summary["top_artists"]:
            say(
                f"  {a['completions'] or 0:4d} done  {a['play_count']:4d} plays  {a['skips'] or 0:3d} skipped  {a['artist']}"
            )
    imported = summary["imported_listens"]
    if imported:
        sources = "/".join(SOURCE_NAMES.get(s, s) for s in imported)
        say(f"Listening history imported: {sum(imported.values())} listens from {sources} (encore history)")
    return 0
