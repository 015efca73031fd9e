"""What several recommender commands say alike: a prompt the library cannot answer, and a list of artists to
discover written to a wishlist file.

Why a module of its own: ``radio`` and ``mix`` both read prompts, ``discover`` and ``similar`` both export
wishlists; each message was once written in each command, and two commands must not word one thing twice.

API: ``prompt_failed(exc) -> int``, ``export_wishlist(path, artists) -> int``.
"""

from __future__ import annotations

import sys
from typing import Any

from player.cli.common import fail, say
from player.text import count_text


def prompt_failed(exc: Any) -> int:
    """A prompt the library cannot answer (a ``PromptError``), on stderr as the shell shows it: the prompt,
    a caret under the faulty term, then the message; the exit status of a failed command."""
    for line in exc.show().split("\n")[:2]:
        say(f"  {line}", file=sys.stderr)
    return fail(f"cannot read the prompt: {exc.message}")


def export_wishlist(path: str, artists: list[dict[str, Any]]) -> int:
    """Write ``artists`` (name and why) as a wishlist (CSV or MusicBrainz links, by the file's name), say
    so, and return the command's exit status; a file that cannot be written is a clear error."""
    from player.playlist_files import PlaylistFileError
    from recommender.for_you.wishlist import write_wishlist

    try:
        kind = write_wishlist(path, artists)
    except (PlaylistFileError, ValueError) as exc:
        return fail(str(exc))
    say(f"Wrote {count_text(len(artists), 'artist')} to discover to {path} ({kind})")
    return 0
