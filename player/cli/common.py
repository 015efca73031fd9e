"""Small pieces every CLI subcommand shares: opening the store named by ``--db``, printing JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from player.store import Store
from player.text import shown

__all__ = ["bounded_float", "bounded_int", "fail", "nonempty_path", "open_store", "print_json", "shown"]


def open_store(args: argparse.Namespace) -> Store:
    """The store named by ``--db`` (or the default one)."""
    return Store.open(getattr(args, "db", None))


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def fail(message: str, code: int = 2) -> int:
    """Print a clear error for the user and return the exit code to use."""
    print(f"encore: {shown(message)}", file=sys.stderr)
    return code


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer in ``[low, high]``, else a clear usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, not {value}")
        return value

    parse.__name__ = "number"  # argparse names the type in its messages
    return parse


def bounded_float(low: float, high: float) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in ``[low, high]``, else a clear usage error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, not {text}")
        return value

    parse.__name__ = "number"
    return parse


def nonempty_path(text: str) -> str:
    """An argparse ``type`` for a path argument: an empty string names nothing (and never ".")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path names no file or folder")
    return text


def report_fault(exc: Exception, db: str | None) -> int:
    """Print what a database or file fault means (exit 1), or the message of an exception marked
    ``user_facing``; re-raise anything else (a bug)."""
    from player.faults import explain
    from player.store.core import default_db_path

    message = explain(exc, db if db is not None else default_db_path())
    if message is None and getattr(exc, "user_facing", False):
        message = str(exc)  # an error whose message is written for the user (a refused model file)
    if message is None:
        raise exc
    return fail(message, code=1)
