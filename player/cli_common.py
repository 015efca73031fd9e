"""Small pieces every CLI subcommand shares: opening the store named by ``--db``, printing JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from player.store import Store


def open_store(args: argparse.Namespace) -> Store:
    """The store named by ``--db`` (or the default one)."""
    return Store.open(getattr(args, "db", None))


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def fail(message: str, code: int = 2) -> int:
    """Print a clear error for the user and return the exit code to use."""
    print(f"encore: {message}", file=sys.stderr)
    return code
