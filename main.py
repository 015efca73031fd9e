"""Encore's entry point: the GUI when run without a subcommand, else one CLI subcommand.

Each area of the app registers its own subcommands (``register(subparsers, common)`` in the modules
listed in ``COMMAND_MODULES``); those modules import nothing heavy at module level, so building the
parser stays cheap and the GUI starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

COMMAND_MODULES = (
    "player.cli.library",  # scan
    "player.cli.playback",  # play, stats
    "player.cli.ratings",  # love, unlove, ban, unban, bans, loves
    "player.cli.playlists",  # playlist ..., smart ...
    "recommender.cli.audio",  # analyze, sounds-like
    "recommender.cli.factors",  # pretrain, evaluate, match-report, recommend
    "recommender.cli.radio",  # radio, similar, evaluate-radio
    "recommender.cli.shaping",  # mood, path, evaluate-path
    "recommender.cli.for_you",  # for-you
    "recommender.cli.mixes",  # mix, discover
    "recommender.cli.similar_eval",  # evaluate-similar
    "recommender.cli.history",  # import-history, history
)

#: Commands for building and measuring the recommender's models, not for listening: listed apart, after
#: the user's commands, so ``encore --help`` reads as a music player's help.
#: Seconds an interrupted command's exit may wait for its workers before the process ends anyway.
INTERRUPTED_EXIT_S = 5.0

DEV_COMMANDS = (
    "pretrain",
    "evaluate",
    "match-report",
    "evaluate-radio",
    "evaluate-path",
    "evaluate-similar",
)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        # SUPPRESS: a subcommand's own (absent) --db must not erase one given before the subcommand.
        default=argparse.SUPPRESS,
        help="SQLite database to use (default: $ENCORE_HOME/encore.db or the user data dir)",
    )
    parser = argparse.ArgumentParser(
        prog="encore",
        description="Encore: a music player whose recommender runs on your machine. "
        "Without a subcommand, the desktop app starts.",
        epilog=f"developer commands (training and evaluating the models): {', '.join(DEV_COMMANDS)}; "
        "`encore COMMAND --help` describes each.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    # argparse has no public way to leave a subcommand out of the list: drop its help entry (it still runs).
    sub._choices_actions = [a for a in sub._choices_actions if a.dest not in DEV_COMMANDS]
    return parser


def _stop_on_signals() -> Callable[[], None]:
    """SIGTERM and SIGHUP stop a command as Ctrl-C does: open plays are closed, finished work kept.
    Returns what puts the previous handlers back.

    An interrupt raised while Python runs a finalizer or a weakref callback is printed as "Exception
    ignored" and lost, and the command ran on to its end (seen twice in 300 scans sent SIGTERM): such
    an interrupt is raised again, as the same signal, once that code has returned."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    received: list[int] = []  # the signal behind the interrupt last raised by ``interrupt``

    def interrupt(signum: int, _frame: object) -> None:
        received[:] = [signum]
        raise KeyboardInterrupt

    def unraisable(info: Any) -> None:
        if info.exc_type is not None and issubclass(info.exc_type, KeyboardInterrupt):
            # Sent again a moment later, from a thread: raised here it would be lost once more. Its
            # handler (``interrupt``, or Python's own for Ctrl-C) then raises it where it propagates,
            # and should it land in a finalizer again, this comes round again.
            signum = received.pop() if received else signal.SIGINT
            again = threading.Timer(0.01, os.kill, (os.getpid(), signum))
            again.daemon = True
            resends.append(again)
            again.start()
            return
        hook(info)

    resends: list[threading.Timer] = []
    hook = sys.unraisablehook
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    sys.unraisablehook = unraisable

    def restore() -> None:
        """Called as the command ends (and again by ``main``'s ``finally``): a resend still on its way
        is called off, so it cannot cut the command's last steps short or meet the default handler."""
        for again in resends:
            again.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.unraisablehook = hook  # last: an interrupt lost before this is still sent again

    return restore


def _split_files(argv: list[str]) -> tuple[list[str], list[str]]:
    """``encore [--db DB] FILE...`` (a file manager's "Open with"): the files go to the app."""
    head = argv[:2] if argv[:1] == ["--db"] else []
    rest = argv[len(head) :]
    if rest and all(not a.startswith("-") and os.path.isfile(a) for a in rest):
        return head, rest
    return argv, []


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    argv, files = _split_files(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        from ui.app import run_app

        return run_app(db_path=getattr(args, "db", None), files=files)
    restore_signals = _stop_on_signals()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        restore_signals()
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a database or file fault: one clear sentence, never a traceback
        from player.cli.common import report_fault

        return report_fault(exc, getattr(args, "db", None))
    finally:
        restore_signals()


def exit_soon(code: int, after_s: float = INTERRUPTED_EXIT_S) -> None:
    """An interrupted command ends, whatever Python's own exit waits for. The exit joins the worker pools'
    threads and every child process; a scan sent SIGTERM right after one of its workers was killed printed
    "interrupted" and then hung in that wait (1 full test run in 5 on 2 busy cores, never in 65 runs of the
    same scenario alone, so the child or thread it waited on was not caught). The normal exit still runs
    first; should it wait more than ``after_s`` seconds, the process ends with ``code`` (the store is
    closed by then, and a worker left over ends when its pipe to this process closes)."""
    import threading

    def leave() -> None:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)

    timer = threading.Timer(after_s, leave)
    timer.daemon = True  # it never keeps the process alive itself
    timer.start()


if __name__ == "__main__":
    status = main()
    if status == 130:  # interrupted (Ctrl-C, SIGTERM, SIGHUP)
        exit_soon(status)
    sys.exit(status)
