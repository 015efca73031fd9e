"""One warning per message and process, on stderr: a refused model file (the bundle, the EASE weights,
the re-ranker) is said once, however often the recommender asks for it."""

from __future__ import annotations

import sys

_WARNED: set[str] = set()


def warn_once(message: str) -> None:
    """Print ``encore: warning: message`` the first time ``message`` comes up in this process."""
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"encore: warning: {message}", file=sys.stderr)
